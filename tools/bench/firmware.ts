// npm run bench:firmware — Debian's EDK2 for QEMU's virt (dormouse firmware) in Dormouse and in
// qemu-system-aarch64 (virt, GICv3, Cortex-A57, 512 MiB) side by side, several runs each: the
// seconds to the boot manager (its first "BdsDxe:" line, no disk), and from a disk whose EFI
// system partition holds the UEFI Shell and a startup.nsh, to the guest kit's kernel (its EFI
// stub's first line) and to the kit's shell. Prints
//   firmware-bench: dormouse_bds_s= qemu_bds_s= bds_ratio= dormouse_kernel_s= qemu_kernel_s=
//     dormouse_shell_s= qemu_shell_s= qemu=<version> qemu_from=<suite>
// against the newest QEMU Debian offers for this machine (tools/bench/qemu.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFirmwareCache } from "../../src/cli/firmware.ts";
import { uefiFirmware } from "../../src/kit/firmware.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { buildEspDisk, extractShell } from "../../test/support/uefi.ts";
import { newestQemu, qemuFields } from "./qemu.ts";

const root = join(import.meta.dirname, "../..");
const RUNS = Number(process.env.FIRMWARE_BENCH_RUNS ?? 3);
const log = (m: string) => console.error(`bench:firmware: ${m}`);

/** Starts a command and resolves with the seconds until each marker first appears on its output. */
function timeToMarkers(cmd: string, args: string[], markers: string[], env: NodeJS.ProcessEnv = process.env): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env });
    let out = "";
    const at: number[] = [];
    let skipped = false;
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`${cmd} did not reach "${markers[at.length]}" in 900 s; output tail: ${out.slice(-500)}`));
    }, 900_000);
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString("latin1");
      // The Shell's startup.nsh countdown: any key but ESC goes on at once.
      if (!skipped && out.includes("startup.nsh or any other key")) {
        skipped = true;
        p.stdin.write(" ");
      }
      while (at.length < markers.length && out.includes(markers[at.length])) at.push(Number(process.hrtime.bigint() - t0) / 1e9);
      if (at.length === markers.length) {
        clearTimeout(timer);
        p.kill("SIGKILL");
        resolve(at);
      }
    });
    p.stdin.on("error", () => {});
    p.on("error", (e) => reject(e));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const fw = uefiFirmware(defaultFirmwareCache(), { log });
const kit = guestKit(join(root, ".cache/guest-kit"), { log });
const qemuBin = newestQemu(join(root, ".cache/qemu"), log);
if (qemuBin.note) log(qemuBin.note);
const dir = mkdtempSync(join(tmpdir(), "dormouse-bench-fw-"));
const disk = join(dir, "esp.img");
buildEspDisk(disk, {
  "EFI/BOOT/BOOTAA64.EFI": extractShell(readFileSync(fw.code)),
  "vmlinuz.efi": readFileSync(kit.kernel),
  "initrd.img": readFileSync(kit.initramfs),
  "startup.nsh": "fs0:\r\n\\vmlinuz.efi initrd=\\initrd.img console=ttyAMA0\r\n",
});
const qemu = (extra: string[]) => [
  ...qemuBin.args,
  ...["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "512M", "-nographic", "-nic", "none", "-monitor", "none"],
  ...["-bios", fw.code, ...extra],
];
// bin/dormouse.mjs run as a user's shell runs it: its first line starts Node (src/daemon/locate.ts).
const dormouse = (extra: string[]) => ["run", "--bios", fw.code, "--memory", "512M", ...extra];
const KERNEL = ["Booting Linux on physical CPU", "dormouse-kit: shell ready"];
const r = {
  dBds: [] as number[],
  qBds: [] as number[],
  dKernel: [] as number[],
  qKernel: [] as number[],
  dShell: [] as number[],
  qShell: [] as number[],
};
try {
  for (let i = 0; i < RUNS; i++) {
    r.qBds.push((await timeToMarkers(qemuBin.cmd, qemu([]), ["BdsDxe:"], qemuBin.env))[0]);
    r.dBds.push((await timeToMarkers(join(root, "bin/dormouse.mjs"), dormouse([]), ["BdsDxe:"]))[0]);
    const [qk, qs] = await timeToMarkers(
      qemuBin.cmd,
      qemu(["-drive", `if=none,file=${disk},format=raw,id=d0,readonly=on`, "-device", "virtio-blk-device,drive=d0"]),
      KERNEL,
      qemuBin.env,
    );
    const [dk, ds] = await timeToMarkers(join(root, "bin/dormouse.mjs"), dormouse(["--disk", `${disk},ro`]), KERNEL);
    r.qKernel.push(qk);
    r.qShell.push(qs);
    r.dKernel.push(dk);
    r.dShell.push(ds);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const f = (xs: number[]) => median(xs).toFixed(2);
console.log(
  `firmware-bench: dormouse_bds_s=${f(r.dBds)} qemu_bds_s=${f(r.qBds)} bds_ratio=${(median(r.dBds) / median(r.qBds)).toFixed(2)} ` +
    `dormouse_kernel_s=${f(r.dKernel)} qemu_kernel_s=${f(r.qKernel)} dormouse_shell_s=${f(r.dShell)} qemu_shell_s=${f(r.qShell)} ${qemuFields(qemuBin)}`,
);
