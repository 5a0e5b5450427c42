// npm run bench:cpu — the CPU benchmark: one bare-metal workload (SHA-256, CRC32, quicksort,
// string work, floating point; tools/bench/workload.c built with gcc -O2) run in Dormouse and in
// qemu-system-aarch64 in the same invocation. Prints:
//   cpu-bench: insns=<n> dormouse_s=<s> qemu_s=<s> ratio=<dormouse_s/qemu_s> dormouse_mips=<n> qemu=<version> qemu_from=<suite>
// against the newest QEMU Debian offers for this machine (tools/bench/qemu.ts).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { Semihosting } from "../../src/cpu/semihost.ts";
import { newestQemu, type Qemu, qemuFields } from "./qemu.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { buildWorkload } from "./workload.ts";

const here = import.meta.dirname;
const root = join(here, "../..");
const LOAD_ADDR = 0x4008_0000n;

function fail(msg: string): never {
  console.error(`bench:cpu: ${msg}`);
  process.exit(1);
}

function runQemu(qemu: Qemu, elf: string): { seconds: number; output: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    qemu.cmd,
    [
      ...qemu.args,
      ...[
        "-M",
        "virt",
        "-cpu",
        "cortex-a57",
        "-m",
        "512",
        "-nographic",
        "-nic",
        "none",
        "-semihosting",
        "-monitor",
        "none",
        "-serial",
        "none",
      ],
      ...["-kernel", elf],
    ],
    { encoding: "utf8", timeout: 600_000, env: qemu.env },
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) fail(`qemu exited with ${r.status}: ${r.stderr}`);
  // QEMU writes semihosting console output to stderr.
  return { seconds, output: r.stdout + r.stderr };
}

/** Runs the workload on Dormouse's core until its semihosting exit. */
function runDormouse(bin: Uint8Array): { seconds: number; output: string; insns: bigint } {
  const cpu = new Cpu({ module: coreModule(), ramSize: 512 << 20 });
  cpu.writePhys(LOAD_ADDR, bin);
  cpu.pc = LOAD_ADDR;
  cpu.setSemihosting(true);
  let output = "";
  const semi = new Semihosting(cpu, { write: (_stream, bytes) => (output += Buffer.from(bytes).toString("latin1")) });
  const t0 = process.hrtime.bigint();
  for (;;) {
    const r = cpu.run(10_000_000);
    if (cpu.undefCount > 0) {
      const u = cpu.lastUndef;
      fail(`the guest hit an UNDEFINED instruction 0x${u.word.toString(16).padStart(8, "0")} at 0x${u.pc.toString(16)}`);
    }
    if (r === ExitReason.Budget) continue;
    if (r !== ExitReason.Semihost) fail(`Dormouse stopped with exit ${r} at pc 0x${cpu.pc.toString(16)}`);
    const res = semi.handle();
    if (res.kind === "exit") {
      if (res.code !== 0) fail(`guest exited with status ${res.code}`);
      break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, output, insns: cpu.instret };
}

const { elf, bin } = buildWorkload();
const qemu = newestQemu(join(root, ".cache/qemu"), (m) => console.error(`bench:cpu: ${m}`));
if (qemu.note) console.error(`bench:cpu: ${qemu.note}`);
const q = runQemu(qemu, elf);
const d = runDormouse(new Uint8Array(readFileSync(bin)));
// The workload's result line (QEMU's stderr may also carry its own warnings, e.g. about modules).
const result = (out: string) => /^checksum .*$/m.exec(out)?.[0];
if (!result(d.output) || result(q.output) !== result(d.output))
  fail(`results differ: qemu "${q.output.trim()}" dormouse "${d.output.trim()}"`);
const ratio = d.seconds / q.seconds;
console.log(
  `cpu-bench: insns=${d.insns} dormouse_s=${d.seconds.toFixed(3)} qemu_s=${q.seconds.toFixed(3)} ratio=${ratio.toFixed(2)} dormouse_mips=${Math.round(Number(d.insns) / d.seconds / 1e6)} ${qemuFields(qemu)}`,
);
