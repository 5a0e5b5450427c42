// npm run bench:boot — boots the guest kit's kernel and initramfs to its /init marker in Dormouse
// and in qemu-system-aarch64 (virt, GICv3, Cortex-A57, 1 GiB) in one run, several times each, and
// prints:  boot-bench: dormouse_s=<median> qemu_s=<median> ratio=<r> qemu=<version> qemu_from=<suite>
// against the newest QEMU Debian offers for this machine (tools/bench/qemu.ts).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { newestQemu, qemuFields } from "./qemu.ts";

const root = join(import.meta.dirname, "../..");
const RUNS = Number(process.env.BOOT_BENCH_RUNS ?? 3);
const MARKER = "dormouse-kit: shell ready";
const APPEND = "console=ttyAMA0 quiet";

/** Starts a command and resolves with the seconds until MARKER appears on its output. */
function timeToMarker(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env });
    let out = "";
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`${cmd} did not reach the marker in 600 s; output tail: ${out.slice(-500)}`));
    }, 600_000);
    const onData = (d: Buffer) => {
      out += d.toString("latin1");
      if (out.includes(MARKER)) {
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        clearTimeout(timer);
        p.kill("SIGKILL");
        resolve(s);
      }
    };
    p.stdout.on("data", onData);
    p.stderr.on("data", onData);
    p.on("error", (e) => reject(e));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const kit = guestKit(join(root, ".cache/guest-kit"), { log: (m) => console.error(`bench:boot: ${m}`) });
const qemuBin = newestQemu(join(root, ".cache/qemu"), (m) => console.error(`bench:boot: ${m}`));
if (qemuBin.note) console.error(`bench:boot: ${qemuBin.note}`);
const dormouse: number[] = [];
const qemu: number[] = [];
for (let i = 0; i < RUNS; i++) {
  qemu.push(
    await timeToMarker(
      qemuBin.cmd,
      [
        ...qemuBin.args,
        ...["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "1G", "-nographic", "-nic", "none", "-monitor", "none"],
        ...["-kernel", kit.kernel, "-initrd", kit.initramfs, "-append", APPEND],
      ],
      qemuBin.env,
    ),
  );
  dormouse.push(
    await timeToMarker(process.execPath, [
      join(root, "bin/dormouse.mjs"),
      ...["run", "--kernel", kit.kernel, "--initrd", kit.initramfs, "--append", APPEND, "--memory", "1G"],
    ]),
  );
}
const d = median(dormouse);
const q = median(qemu);
console.log(`boot-bench: dormouse_s=${d.toFixed(2)} qemu_s=${q.toFixed(2)} ratio=${(d / q).toFixed(2)} ${qemuFields(qemuBin)}`);
