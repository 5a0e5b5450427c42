// npm run bench:boot — boots the guest kit's kernel and initramfs to its /init marker in Dormouse
// and in qemu-system-aarch64 (virt, GICv3, Cortex-A57, 1 GiB) in one run, several times each, and
// prints:  boot-bench: dormouse_s=<median> qemu_s=<median> ratio=<r> qemu=<version> qemu_from=<suite>
// against the newest QEMU Debian offers for this machine (tools/bench/qemu.ts); then the Debian
// image (`dormouse image debian`, cached) from direct kernel boot to systemd's login prompt on 2
// vCPUs, each boot on a fresh copy of the disk (DEBIAN_BOOT_RUNS times, default 1):
//   debian-boot-bench: debian_login_s=<median> qemu_debian_login_s=<median> ratio=<r> qemu=<version> qemu_from=<suite>
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultImageCache } from "../../src/cli/image.ts";
import { debianImage } from "../../src/kit/debian-image.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { newestQemu, qemuFields } from "./qemu.ts";

const root = join(import.meta.dirname, "../..");
const RUNS = Number(process.env.BOOT_BENCH_RUNS ?? 3);
const MARKER = "dormouse-kit: shell ready";
const APPEND = "console=ttyAMA0 quiet";

/** Starts a command and resolves with the seconds until `marker` appears on its output. */
function timeToMarker(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  marker: string | RegExp = MARKER,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env });
    let out = "";
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`${cmd} did not reach the marker in 900 s; output tail: ${out.slice(-500)}`));
    }, 900_000);
    const onData = (d: Buffer) => {
      out += d.toString("latin1");
      if (typeof marker === "string" ? out.includes(marker) : marker.test(out)) {
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        clearTimeout(timer);
        p.kill("SIGKILL");
        resolve(s);
      }
    };
    p.stdout.on("data", onData);
    p.stderr.on("data", onData);
    p.on("error", (e) => reject(e));
    // A VM that ends before the marker is a failed run, not a wait for the timeout.
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ended (${signal ?? `status ${code}`}) before the marker; output tail: ${out.slice(-500)}`));
    });
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
    // bin/dormouse.mjs run as a user's shell runs it: its first line starts Node (src/daemon/locate.ts).
    await timeToMarker(join(root, "bin/dormouse.mjs"), [
      ...["run", "--kernel", kit.kernel, "--initrd", kit.initramfs, "--append", APPEND, "--memory", "1G"],
    ]),
  );
}
const d = median(dormouse);
const q = median(qemu);
console.log(`boot-bench: dormouse_s=${d.toFixed(2)} qemu_s=${q.toFixed(2)} ratio=${(d / q).toFixed(2)} ${qemuFields(qemuBin)}`);

// The Debian image: systemd to its login prompt, on a fresh copy of the disk each boot.
const log = (m: string) => console.error(`bench:boot: ${m}`);
const img = await debianImage(defaultImageCache(), { log });
const DEBIAN_RUNS = Number(process.env.DEBIAN_BOOT_RUNS ?? 1);
const LOGIN = /login: $/m;
const work = mkdtempSync(join(tmpdir(), "dormouse-bootbench-"));
const disk = join(work, "disk.img");
const fresh = () => {
  rmSync(disk, { force: true });
  execFileSync("cp", ["--sparse=always", img.disk, disk]);
};
const debianD: number[] = [];
const debianQ: number[] = [];
try {
  for (let i = 0; i < DEBIAN_RUNS; i++) {
    fresh();
    debianQ.push(
      await timeToMarker(
        qemuBin.cmd,
        [
          ...qemuBin.args,
          ...["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-smp", "2", "-m", "1G", "-nographic", "-nic", "none", "-monitor", "none"],
          ...["-drive", `file=${disk},format=raw,if=none,id=d0`, "-device", "virtio-blk-device,drive=d0"],
          ...["-kernel", img.kernel, "-initrd", img.initrd, "-append", img.cmdline],
        ],
        qemuBin.env,
        LOGIN,
      ),
    );
    fresh();
    debianD.push(
      await timeToMarker(
        join(root, "bin/dormouse.mjs"),
        [
          ...[
            "run",
            "--kernel",
            img.kernel,
            "--initrd",
            img.initrd,
            "--append",
            img.cmdline,
            "--disk",
            disk,
            "--smp",
            "2",
            "--memory",
            "1G",
          ],
        ],
        process.env,
        LOGIN,
      ),
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const dd = median(debianD);
const dq = median(debianQ);
console.log(
  `debian-boot-bench: debian_login_s=${dd.toFixed(1)} qemu_debian_login_s=${dq.toFixed(1)} ratio=${(dd / dq).toFixed(2)} ${qemuFields(qemuBin)}`,
);
