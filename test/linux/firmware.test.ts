// UEFI firmware built for QEMU's virt board on Dormouse, unmodified: Debian's qemu-efi-aarch64
// (EDK2 ArmVirtQemu, QEMU_EFI.fd) with --bios, fetched from Debian's archive at test time and
// cached in ~/.cache/dormouse/firmware. It reaches its boot manager; its variables persist in
// the --bios-vars file across boots; from a GPT disk's EFI system partition it runs the UEFI
// Shell (taken out of the same firmware image), whose startup.nsh boots the guest kit's kernel
// through its EFI stub with the initrd and command line, to the kit's shell. QEMU runs the same
// firmware and disks for comparison; the times to each milestone are reported. With --kernel the
// firmware gets the kernel through fw_cfg and boots it, as QEMU's -bios with -kernel.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { defaultFirmwareCache } from "../../src/cli/firmware.ts";
import { uefiFirmware } from "../../src/kit/firmware.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { GuestConsole } from "../support/guest-console.ts";
import { repoRoot } from "../support/toolchain.ts";
import { buildEspDisk, extractShell } from "../support/uefi.ts";

const GUID = "6c1a0f3e-5d2b-4c8e-9f7a-1b2c3d4e5f60";
const MIN = 60_000;

let dir = "";
let fw: ReturnType<typeof uefiFirmware>;
let kernelDisk = "";
let kit: ReturnType<typeof guestKit>;
let varsDisk = "";

before(() => {
  const log = (m: string) => process.stderr.write(`# ${m}\n`);
  fw = uefiFirmware(defaultFirmwareCache(), { log });
  kit = guestKit(join(repoRoot, ".cache/guest-kit"), { log });
  dir = mkdtempSync(join(tmpdir(), "dormouse-fw-"));
  const shell = extractShell(readFileSync(fw.code));
  kernelDisk = join(dir, "kernel-esp.img");
  buildEspDisk(kernelDisk, {
    "EFI/BOOT/BOOTAA64.EFI": shell,
    "vmlinuz.efi": readFileSync(kit.kernel),
    "initrd.img": readFileSync(kit.initramfs),
    "startup.nsh": "fs0:\r\n\\vmlinuz.efi initrd=\\initrd.img console=ttyAMA0 dormouse=efi\r\n",
  });
  varsDisk = join(dir, "vars-esp.img");
  buildEspDisk(varsDisk, {
    "EFI/BOOT/BOOTAA64.EFI": shell,
    "startup.nsh": `setvar DormouseMark -guid ${GUID}\r\nsetvar DormouseMark -guid ${GUID} -nv -bs =L"kept"\r\necho mark-set\r\nreset -s\r\n`,
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A guest's console and a way to end it at once. */
interface Vm {
  console: GuestConsole;
  /** Kills the process; resolves with its exit code. */
  end(): Promise<number | null>;
  /** Resolves with the exit code when the process ends by itself. */
  exited: Promise<number | null>;
}

/**
 * `dormouse run` or QEMU's virt (same firmware, disks, console on stdio) as a child process,
 * its console without terminal escape sequences (EDK2 draws with colours and cursor moves).
 */
function start(kind: "dormouse" | "qemu", args: string[]): Vm {
  const proc =
    kind === "dormouse"
      ? spawn(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), "run", ...args], { stdio: ["pipe", "pipe", "pipe"] })
      : spawn(
          "qemu-system-aarch64",
          [
            "-M",
            "virt,gic-version=3",
            "-cpu",
            "cortex-a57",
            "-m",
            "512M",
            "-nographic",
            "-nic",
            "none",
            "-serial",
            "stdio",
            "-monitor",
            "none",
            ...args,
          ],
          { stdio: ["pipe", "pipe", "pipe"] },
        );
  const console = new GuestConsole((s) => proc.stdin.write(s), true);
  let pending = "";
  proc.stdout.on("data", (d: Buffer) => {
    const text = pending + d.toString("latin1");
    // An escape sequence cut at the end of this piece waits for the rest.
    const cut = /\x1b[[(]?[0-9;?=]*$/.exec(text);
    pending = cut ? cut[0] : "";
    const whole = cut ? text.slice(0, cut.index) : text;
    console.push(whole.replace(/\x1b\[[0-9;?=]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]/g, ""));
  });
  proc.stderr.on("data", () => {});
  proc.stdin.on("error", () => {});
  const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
  return {
    console,
    exited,
    end: () => {
      proc.kill("SIGKILL");
      return exited;
    },
  };
}

const qemuDisk = (path: string) => ["-drive", `if=none,file=${path},format=raw,id=d0,readonly=on`, "-device", "virtio-blk-device,drive=d0"];

/** Waits for `ms` for the process to end by itself; its exit code, or kills it and fails. */
async function ended(vm: Vm, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => {
    timer = setTimeout(() => r("late"), ms);
  });
  const r = await Promise.race([vm.exited, late]);
  clearTimeout(timer);
  if (r === "late") {
    await vm.end();
    assert.fail(`the VM did not power off; console tail:\n${vm.console.text.slice(-800)}`);
  }
  return r;
}

/** Seconds since `t0`, for the timing lines. */
const since = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

test("EDK2 boots to its boot manager, and a key opens the Boot Manager Menu (Dormouse, then QEMU)", { timeout: 10 * MIN }, async (t) => {
  const runs: [string, () => Vm][] = [
    ["dormouse", () => start("dormouse", ["--bios", fw.code])],
    ["qemu", () => start("qemu", ["-bios", fw.code])],
  ];
  for (const [name, boot] of runs) {
    const vm = boot();
    const t0 = performance.now();
    try {
      await vm.console.wait(/UEFI firmware \(version [^)]+\)/, 0, 2 * MIN, `${name}: the firmware's banner`);
      await vm.console.wait(/BdsDxe: No bootable option or device was found/, 0, 5 * MIN, `${name}: the boot manager`);
      const bds = since(t0);
      await vm.console.wait(/Press any key to enter the Boot Manager Menu/, 0, MIN, `${name}: the prompt`);
      vm.console.send("\r");
      await vm.console.wait(/Please select boot device:[\s\S]*EFI Internal Shell/, 0, 2 * MIN, `${name}: the Boot Manager Menu`);
      t.diagnostic(`${name}: boot manager after ${bds} s, its menu after ${since(t0)} s`);
    } finally {
      await vm.end();
    }
  }
});

test("firmware variables persist in the --bios-vars file across boots; without one they do not", { timeout: 15 * MIN }, async (t) => {
  const vars = join(dir, "vars.fd");
  copyFileSync(fw.varsTemplate, vars);
  const template = readFileSync(fw.varsTemplate);
  const boot = async (withVars: boolean) => {
    const t0 = performance.now();
    const vm = start("dormouse", ["--bios", fw.code, ...(withVars ? ["--bios-vars", vars] : []), "--disk", `${varsDisk},ro`]);
    try {
      await vm.console.wait(/mark-set/, 0, 8 * MIN, "startup.nsh");
      // `reset -s`: EDK2's ResetSystem(EfiResetShutdown), PSCI SYSTEM_OFF.
      assert.equal(await ended(vm, 2 * MIN), 0);
      t.diagnostic(`boot ${withVars ? "with" : "without"} --bios-vars: startup.nsh done and powered off after ${since(t0)} s`);
      return vm.console.text;
    } finally {
      await vm.end();
    }
  };
  const first = await boot(true);
  assert.match(first, /setvar: Unable to get - 6C1A0F3E-5D2B-4C8E-9F7A-1B2C3D4E5F60 - DormouseMark/);
  assert.notDeepEqual(readFileSync(vars), template, "the variable store file was written");
  const second = await boot(true);
  assert.match(second, /6C1A0F3E-5D2B-4C8E-9F7A-1B2C3D4E5F60 - DormouseMark - 0008 Bytes\s+6B 00 65 00 70 00 74 00/);
  const volatile = await boot(false);
  assert.match(volatile, /setvar: Unable to get - 6C1A0F3E-5D2B-4C8E-9F7A-1B2C3D4E5F60 - DormouseMark/);
});

test(
  "from a virtio disk's EFI system partition: the UEFI Shell's startup.nsh boots the kit's kernel (EFI stub) with its initrd to the kit's shell (Dormouse, then QEMU)",
  { timeout: 20 * MIN },
  async (t) => {
    const runs: [string, () => Vm][] = [
      ["dormouse", () => start("dormouse", ["--bios", fw.code, "--disk", `${kernelDisk},ro`, "--smp", "2"])],
      ["qemu", () => start("qemu", ["-bios", fw.code, "-smp", "2", ...qemuDisk(kernelDisk)])],
    ];
    for (const [name, boot] of runs) {
      const vm = boot();
      const t0 = performance.now();
      try {
        await vm.console.wait(/BdsDxe: starting Boot\d+ "UEFI Misc Device"/, 0, 5 * MIN, `${name}: the disk's boot option`);
        const bds = since(t0);
        await vm.console.wait(/UEFI Interactive Shell/, 0, 2 * MIN, `${name}: the UEFI Shell`);
        await vm.console.wait(/Press ESC in \d seconds to skip startup.nsh/, 0, 2 * MIN, `${name}: startup.nsh`);
        vm.console.send(" ");
        await vm.console.wait(/Booting Linux on physical CPU/, 0, 5 * MIN, `${name}: the kernel`);
        const kernel = since(t0);
        await vm.console.wait(/dormouse-kit: shell ready/, 0, 10 * MIN, `${name}: the kit's shell`);
        const shell = since(t0);
        const cmdline = await vm.console.sh("cat /proc/cmdline");
        assert.match(cmdline, /initrd=\\initrd\.img console=ttyAMA0 dormouse=efi/);
        assert.match(await vm.console.sh("cat /sys/firmware/efi/fw_platform_size"), /^64/m);
        if (name === "dormouse") assert.match(await vm.console.sh("grep -c ^processor /proc/cpuinfo"), /^2/m);
        t.diagnostic(`${name}: disk boot option after ${bds} s, kernel after ${kernel} s, kit shell after ${shell} s`);
      } finally {
        await vm.end();
      }
    }
  },
);

test(
  "--bios with --kernel, --initrd and --append: EDK2 boots the kernel it gets through fw_cfg, as QEMU's -bios with -kernel",
  { timeout: 20 * MIN },
  async (t) => {
    const append = "console=ttyAMA0 dormouse=fw_cfg";
    const runs: [string, () => Vm][] = [
      ["dormouse", () => start("dormouse", ["--bios", fw.code, "--kernel", kit.kernel, "--initrd", kit.initramfs, "--append", append])],
      ["qemu", () => start("qemu", ["-bios", fw.code, "-kernel", kit.kernel, "-initrd", kit.initramfs, "-append", append])],
    ];
    for (const [name, boot] of runs) {
      const vm = boot();
      const t0 = performance.now();
      try {
        await vm.console.wait(/Booting Linux on physical CPU/, 0, 8 * MIN, `${name}: the kernel`);
        const kernel = since(t0);
        await vm.console.wait(/dormouse-kit: shell ready/, 0, 10 * MIN, `${name}: the kit's shell`);
        assert.match(await vm.console.sh("cat /proc/cmdline"), /console=ttyAMA0 dormouse=fw_cfg/);
        assert.match(await vm.console.sh("cat /sys/firmware/efi/fw_platform_size"), /^64/m);
        t.diagnostic(`${name}: kernel after ${kernel} s, kit shell after ${since(t0)} s`);
      } finally {
        await vm.end();
      }
    }
  },
);
