// npm run bench:exits — exit latencies on two vCPUs, in Dormouse and in qemu-system-aarch64 in
// one run: an HVC round trip (PSCI_VERSION), an MMIO read of the PL011 from EL1 and from EL0, and
// an IPI (an SGI to a vCPU waiting in WFI until the sender sees its answer). The guest
// (tools/bench/exits/start.S) counts virtual-counter ticks; medians of several runs. Prints:
//   exits-bench: hvc_ns= mmio_ns= mmio_el0_ns= ipi_ns= qemu_hvc_ns= qemu_mmio_ns= qemu_mmio_el0_ns= qemu_ipi_ns= qemu=<version>
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gcc } from "../../test/support/toolchain.ts";
import { newestQemu, qemuFields } from "./qemu.ts";

const here = import.meta.dirname;
const root = join(here, "../..");
const RUNS = Number(process.env.EXITS_BENCH_RUNS ?? 3);

function fail(msg: string): never {
  console.error(`bench:exits: ${msg}`);
  process.exit(1);
}

const elf = gcc(
  {
    "start.S": readFileSync(join(here, "exits/start.S"), "utf8"),
    "link.ld": readFileSync(join(here, "link.ld"), "utf8"),
    "pl011-print.h": readFileSync(join(root, "test/guests/pl011-print.h"), "utf8"),
  },
  ["-nostdlib", "-static", "-fno-pie", "-no-pie", "-Wl,--no-warn-rwx-segments", "-Wl,--build-id=none", "-T", "link.ld"],
  "exits.elf",
);

type Figures = { hvc: number; mmio: number; mmio_el0: number; ipi: number };

/** Nanoseconds per operation from the guest's report line. */
function parse(out: string, who: string): Figures {
  const m = /exits: freq=(\d+) n=(\d+) ipi_n=(\d+) hvc=(\d+) mmio=(\d+) mmio_el0=(\d+) ipi=(\d+)/.exec(out);
  if (!m) fail(`${who} printed no result: ${out.slice(-400)}`);
  const [freq, n, ipiN, hvc, mmio, mmioEl0, ipi] = m.slice(1).map(Number);
  const ns = (ticks: number, count: number) => (ticks * 1e9) / freq / count;
  return { hvc: ns(hvc, n), mmio: ns(mmio, n), mmio_el0: ns(mmioEl0, n), ipi: ns(ipi, ipiN) };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, who: string): Figures {
  const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 300_000, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) fail(`${who} exited with ${r.status ?? r.signal}: ${(r.stderr || r.stdout).slice(-400)}`);
  return parse(r.stdout, who);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function medians(runs: Figures[]): Figures {
  return {
    hvc: median(runs.map((r) => r.hvc)),
    mmio: median(runs.map((r) => r.mmio)),
    mmio_el0: median(runs.map((r) => r.mmio_el0)),
    ipi: median(runs.map((r) => r.ipi)),
  };
}

const qemu = newestQemu(join(root, ".cache/qemu"), (m) => console.error(`bench:exits: ${m}`));
if (qemu.note) console.error(`bench:exits: ${qemu.note}`);
const ours: Figures[] = [];
const theirs: Figures[] = [];
for (let i = 0; i < RUNS; i++) {
  theirs.push(
    run(
      qemu.cmd,
      [
        ...qemu.args,
        ...["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-smp", "2", "-m", "128M"],
        ...["-nographic", "-nic", "none", "-monitor", "none", "-kernel", elf],
      ],
      qemu.env,
      "qemu",
    ),
  );
  // bin/dormouse.mjs run as a user's shell runs it: its first line starts Node (src/daemon/locate.ts).
  ours.push(run(join(root, "bin/dormouse.mjs"), ["run", elf, "--smp", "2"], process.env, "dormouse"));
}
const d = medians(ours);
const q = medians(theirs);
const f = (x: number) => x.toFixed(x < 10 ? 2 : 0);
console.log(
  `exits-bench: hvc_ns=${f(d.hvc)} mmio_ns=${f(d.mmio)} mmio_el0_ns=${f(d.mmio_el0)} ipi_ns=${f(d.ipi)} ` +
    `qemu_hvc_ns=${f(q.hvc)} qemu_mmio_ns=${f(q.mmio)} qemu_mmio_el0_ns=${f(q.mmio_el0)} qemu_ipi_ns=${f(q.ipi)} ${qemuFields(qemu)}`,
);
