// dormouse run: a thin adapter from argv to a plain VM spec and policy, the VM
// object (src/vmm/virtual-machine.ts) on the Node host, with its console attached (console.ts).
import { resolve } from "node:path";
import { nodeHost, streamSink } from "../host/node/index.ts";
import { isLinuxImage, maybeGunzip } from "../machine/linux.ts";
import { guestKit } from "../kit/guest-kit.ts";
import type { SnapshotConfig } from "../vmm/snapshot.ts";
import { VirtualMachine, type VmImage, type VmPolicy } from "../vmm/virtual-machine.ts";
import { type Command, formatSize, parseOptions, UsageError } from "./args.ts";
import { attach, report } from "./console.ts";
import { checkDistinctDisks, checkSnapshotTarget, makeDirectory, readInputFile } from "./files.ts";
import { diskOptions, MAX_CPUS, MEMORY, memory, smp, suspendPolicy, synopsis } from "./vm-options.ts";
import { defaultKitCache } from "./kit.ts";

const OPTIONS = `options:
  --kernel FILE           a kernel, as QEMU's -kernel takes it: an arm64 Linux Image (plain or
                          gzip-compressed), an ELF, or a raw image (loaded and entered at
                          0x40080000, the device tree after it; x0 has its address)
  --initrd FILE           an initramfs for the kernel
  --dtb FILE              boot the kernel with this device tree instead of the board's own
                          (its /chosen gets the command line and the initrd range)
  --append CMDLINE        the command line, in the device tree's /chosen/bootargs (default
                          "console=ttyAMA0" for a Linux Image, none for other images)
  --bios FILE             firmware (e.g. EDK2's QEMU_EFI.fd, at most 64 MiB) in flash at 0, as
                          QEMU's -bios: the vCPU starts there, the device tree is at 0x40000000
                          (with --kernel, --initrd, --append: given to the firmware
                          through fw_cfg to boot, as QEMU's -kernel with -bios)
  --bios-vars FILE        the firmware's variable store in the second flash bank at 0x04000000
                          (QEMU's -drive if=pflash,unit=1; e.g. a copy of AAVMF_VARS.fd, at
                          most 64 MiB), written back as the firmware changes it
  --smp N                 vCPUs, 1 to ${MAX_CPUS} (default 1)
  --memory SIZE           RAM, e.g. 512M or 1G, ${formatSize(MEMORY.min)} to ${formatSize(MEMORY.max)} in 2M steps
                          (default 128M, 512M with a kernel)
  --disk FILE[,ro]        a raw disk image as a virtio-blk device (repeatable; ",ro" read-only)
  --psci-conduit hvc|smc  PSCI conduit in the device tree (default hvc)
  --on-suspend honour|deny|save=FILE
                          answer to SYSTEM_SUSPEND (default honour); save=FILE writes the
                          suspended VM to FILE and exits (dormouse resume FILE continues it)
  --deterministic         time derived from retired instructions instead of the host clock
  -v, --verbose           report power events on stderr
  --debug                 show the stack of an error`;

const RUN_SYNOPSIS = [
  "run <image> [options]",
  "run --kernel <Image> [--initrd <file>] [--append <cmdline>] [options]",
  "run --bios <QEMU_EFI.fd> [--bios-vars <vars.fd>] [--disk <image>]... [options]",
  "run [options]          (no image: the guest kit's kernel and initramfs)",
];

/** The text after the synopsis in `dormouse --help`: what run boots, and its options. */
export const RUN_DESCRIPTION = `Runs a bare-metal AArch64 image (ELF, or a flat binary loaded at 0x40000000), a kernel or
firmware on Dormouse's QEMU-virt-compatible board: PL011 console at 0x09000000, PL031 RTC, PL061
GPIO with a power button, virtio-mmio (disks, RNG), SBSA watchdog, GICv3, generic timers,
PSCI 1.3, and a device tree whose address is in x0 (firmware finds it at 0x40000000); with
--bios, CFI flash at 0 and 0x04000000 and QEMU's fw_cfg at 0x09020000.

Wake requests: SIGUSR1 presses the guest's power button (kill -USR1 <pid>): KEY_POWER in a
running guest, a wake-up for a suspended one. Console input and the RTC alarm wake it too.

${OPTIONS}`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: argv,
    allowPositionals: true,
    options: {
      kernel: { type: "string" },
      initrd: { type: "string" },
      dtb: { type: "string" },
      append: { type: "string" },
      bios: { type: "string" },
      "bios-vars": { type: "string" },
      smp: { type: "string", default: "1" },
      memory: { type: "string" },
      disk: { type: "string", multiple: true, default: [] },
      "psci-conduit": { type: "string", default: "hvc" },
      "on-suspend": { type: "string", default: "honour" },
      deterministic: { type: "boolean", default: false },
      verbose: { type: "boolean", short: "v", default: false },
    },
  });
  if (positionals.length > 1 || (values.kernel && positionals.length)) throw new UsageError("run takes one image, or --kernel");
  if ((values.initrd || values.dtb) && positionals.length)
    throw new UsageError("--initrd and --dtb go with a kernel, not a bare-metal image");
  if (values["bios-vars"] !== undefined && values.bios === undefined) throw new UsageError("--bios-vars goes with --bios");
  if (values.bios !== undefined) {
    if (positionals.length) throw new UsageError("--bios boots the firmware: no image with it (a --kernel goes to the firmware)");
    if (values.dtb !== undefined) throw new UsageError("--dtb goes with a kernel, not --bios (the firmware gets the board's device tree)");
    for (const o of ["initrd", "append"] as const)
      if (values[o] !== undefined && values.kernel === undefined)
        throw new UsageError(`--${o} with --bios goes with a --kernel for the firmware`);
    if (!values.bios) throw new UsageError("--bios takes a file name");
    if (values["bios-vars"] === "") throw new UsageError("--bios-vars takes a file name");
  }
  const conduit = values["psci-conduit"];
  if (conduit !== "hvc" && conduit !== "smc") throw new UsageError(`--psci-conduit is hvc or smc, not "${conduit}"`);
  const cpus = smp(values.smp);
  const ramSize = values.memory === undefined ? undefined : memory(values.memory);
  const policy = suspendPolicy(values["on-suspend"]);
  const disks = diskOptions(values.disk);
  if (policy.snapshotPath) checkSnapshotTarget(policy.snapshotPath);
  checkDistinctDisks(disks);
  const log = values.verbose ? (m: string) => process.stderr.write(`dormouse: ${m}\n`) : undefined;
  let kernelPath = values.kernel;
  let initrdPath = values.initrd;
  if (values.bios !== undefined) {
    const vars = values["bios-vars"];
    const board: SnapshotConfig = {
      cpus,
      ramSize: ramSize ?? memory("512M"),
      psciConduit: conduit,
      clock: values.deterministic ? ("deterministic" as const) : ("host" as const),
      systemSuspend: true,
      disks,
      rng: true,
      firmware: { code: resolve(values.bios), ...(vars !== undefined ? { vars: resolve(vars) } : {}) },
    };
    // A kernel for the firmware goes through fw_cfg, as QEMU's -kernel with -bios.
    const ram = board.ramSize;
    const image: VmImage = kernelPath
      ? {
          kind: "firmware",
          kernel: readInputFile(kernelPath, "kernel", ram),
          initrd: initrdPath ? readInputFile(initrdPath, "initrd", ram) : undefined,
          cmdline: values.append,
        }
      : { kind: "firmware" };
    return boot(board, image, policy, log);
  }
  if (!kernelPath && !positionals.length) {
    // No image: the guest kit's kernel and initramfs (fetched into the default cache if needed).
    makeDirectory(defaultKitCache(), "guest kit cache");
    const k = guestKit(defaultKitCache(), { log: (m) => process.stderr.write(`guest-kit: ${m}\n`) });
    kernelPath = k.kernel;
    initrdPath ??= k.initramfs;
    log?.(`booting the guest kit's ${k.versions.kernelPackage} ${k.versions.kernelVersion}`);
  }
  const host = nodeHost();
  // Nothing larger than the RAM it is loaded into (the largest default: a kernel's 512M).
  const bytes = readInputFile(kernelPath ?? positionals[0], kernelPath ? "kernel" : "image", ramSize ?? memory("512M"));
  const isImage = isLinuxImage(maybeGunzip(bytes, host.gunzip));
  const linux = kernelPath !== undefined || isImage;
  const ram = ramSize ?? memory(linux ? "512M" : "128M");
  const board: SnapshotConfig = {
    cpus,
    ramSize: ram,
    // QEMU sets /chosen/bootargs only from -append; a Linux Image gets a console by default.
    bootargs: values.append ?? (isImage ? "console=ttyAMA0" : undefined),
    psciConduit: conduit,
    clock: values.deterministic ? ("deterministic" as const) : ("host" as const),
    systemSuspend: true,
    disks,
    rng: true,
  };
  const image = linux
    ? {
        kind: "linux" as const,
        kernel: bytes,
        initrd: initrdPath ? readInputFile(initrdPath, "initrd", ram) : undefined,
        dtb: values.dtb ? readInputFile(values.dtb, "device tree", ram) : undefined,
      }
    : { kind: "binary" as const, bytes };
  return boot(board, image, policy, log, host);
}

/** Builds the VM, starts it and attaches the console. */
function boot(board: SnapshotConfig, image: VmImage, policy: VmPolicy, log?: (m: string) => void, host = nodeHost()): Promise<number> {
  const out = streamSink(process.stdout);
  const vm = new VirtualMachine({ board, image }, host, { policy, console: out });
  const failed = report(vm, log);
  vm.start();
  return attach(host, vm, out, failed, log);
}

export const runCommand: Command = { name: "run", synopsis: RUN_SYNOPSIS, help: `${synopsis(RUN_SYNOPSIS)}\n\n${RUN_DESCRIPTION}`, run };
