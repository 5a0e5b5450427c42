// The dormouse command: a thin adapter from argv to a plain VM spec and policy, the VM object
// (src/vmm/virtual-machine.ts) on the Node host, its console on stdin/stdout, SIGUSR1 as the
// power button, and its events printed with -v.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DiskError } from "../devices/virtio/blk.ts";
import { HvError } from "../hv/errors.ts";
import { nodeHost, type StreamSink, streamSink } from "../host/node/index.ts";
import { isLinuxImage, maybeGunzip } from "../machine/linux.ts";
import { ImageError } from "../machine/loader.ts";
import { guestKit, KitError } from "../kit/guest-kit.ts";
import { type VmEvent, VmStateError } from "../vmm/events.ts";
import type { SuspendPolicy } from "../vmm/power.ts";
import { checkDisks, readSnapshot, type SnapshotConfig, SnapshotError } from "../vmm/snapshot.ts";
import { VirtualMachine, type VmmHost, type VmPolicy } from "../vmm/virtual-machine.ts";

const USAGE = `usage: dormouse run <image> [options]
       dormouse run --kernel <Image> [--initrd <file>] [--append <cmdline>] [options]
       dormouse run [options]          (no image: the guest kit's kernel and initramfs)
       dormouse resume <snapshot> [--on-suspend honour|deny|save=FILE] [--smp N] [--memory SIZE] [--disk FILE]... [-v]
       dormouse guest-kit [--cache DIR] [--suite sid|trixie-backports|bookworm] [--mirror URL] [--refresh]

Runs a bare-metal AArch64 image (ELF, or a flat binary loaded at 0x40000000) or an arm64 Linux
Image on Dormouse's QEMU-virt-compatible board: PL011 console at 0x09000000, PL031 RTC, PL061
GPIO with a power button, virtio-mmio (disks, RNG), SBSA watchdog, GICv3, generic timers,
PSCI 1.3, and a device tree whose address is in x0.

Wake requests: SIGUSR1 presses the guest's power button (kill -USR1 <pid>): KEY_POWER in a
running guest, a wake-up for a suspended one. Console input and the RTC alarm wake it too.

options:
  --kernel FILE           an arm64 Linux Image (plain or gzip-compressed)
  --initrd FILE           an initramfs for the kernel
  --dtb FILE              boot the kernel with this device tree instead of the board's own
                          (its /chosen gets the command line and the initrd range)
  --append CMDLINE        kernel command line (default "console=ttyAMA0")
  --smp N                 vCPUs (default 1)
  --memory SIZE           RAM, e.g. 512M or 1G (default 128M, 512M with a kernel)
  --disk FILE[,ro]        a raw disk image as a virtio-blk device (repeatable; ",ro" read-only)
  --psci-conduit hvc|smc  PSCI conduit in the device tree (default hvc)
  --on-suspend honour|deny|save=FILE
                          answer to SYSTEM_SUSPEND (default honour); save=FILE writes the
                          suspended VM to FILE and exits (dormouse resume FILE continues it)
  --deterministic         time derived from retired instructions instead of the host clock
  -v, --verbose           report power events on stderr`;

class UsageError extends Error {}

/** Console input held for the guest before stdin is no longer read. */
const INPUT_HELD = 1 << 16;

/** Where `dormouse guest-kit` and a bare `dormouse run` keep the kit. */
function defaultKitCache(): string {
  return join(homedir(), ".cache", "dormouse", "guest-kit");
}

/** --disk FILE[,ro] values; paths made absolute so a snapshot resumed elsewhere finds the same files. */
function diskOptions(args: string[]): { path: string; readOnly: boolean }[] {
  return args.map((d) => {
    const ro = d.endsWith(",ro");
    const path = ro ? d.slice(0, -3) : d;
    if (!path) throw new UsageError("--disk takes a file name");
    return { path: resolve(path), readOnly: ro };
  });
}

function suspendPolicy(arg: string): VmPolicy {
  const onSuspend: string = arg === "honor" ? "honour" : arg;
  if (onSuspend === "honour" || onSuspend === "deny") return { onSuspend: onSuspend as SuspendPolicy };
  if (onSuspend.startsWith("save=") && onSuspend.length > 5) return { onSuspend: "save", snapshotPath: resolve(onSuspend.slice(5)) };
  throw new UsageError("--on-suspend is honour, deny or save=FILE");
}

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(s.trim());
  if (!m) throw new UsageError(`bad size "${s}" (use e.g. 512M or 1G)`);
  const mult = { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase() as "" | "K" | "M" | "G"];
  return Number(m[1]) * mult;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kernel: { type: "string" },
      initrd: { type: "string" },
      dtb: { type: "string" },
      append: { type: "string", default: "console=ttyAMA0" },
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
  const log = values.verbose ? (m: string) => process.stderr.write(`dormouse: ${m}\n`) : undefined;
  let kernelPath = values.kernel;
  let initrdPath = values.initrd;
  if (!kernelPath && !positionals.length) {
    // No image: the guest kit's kernel and initramfs (fetched into the default cache if needed).
    const k = guestKit(defaultKitCache(), { log: (m) => process.stderr.write(`guest-kit: ${m}\n`) });
    kernelPath = k.kernel;
    initrdPath ??= k.initramfs;
    log?.(`booting the guest kit's ${k.versions.kernelPackage} ${k.versions.kernelVersion}`);
  }
  const conduit = values["psci-conduit"];
  if (conduit !== "hvc" && conduit !== "smc") throw new UsageError("--psci-conduit is hvc or smc");
  const policy = suspendPolicy(values["on-suspend"] as string);
  const disks = diskOptions(values.disk as string[]);
  const read = (path: string): Uint8Array => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  };
  const host = nodeHost();
  const bytes = read(kernelPath ?? positionals[0]);
  const linux = kernelPath !== undefined || isLinuxImage(maybeGunzip(bytes, host.gunzip));
  const board: SnapshotConfig = {
    cpus: Number(values.smp),
    ramSize: parseSize(values.memory ?? (linux ? "512M" : "128M")),
    bootargs: linux ? values.append : undefined,
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
        initrd: initrdPath ? read(initrdPath) : undefined,
        dtb: values.dtb ? read(values.dtb) : undefined,
      }
    : { kind: "binary" as const, bytes };
  const out = streamSink(process.stdout);
  const vm = new VirtualMachine({ board, image }, host, { policy, console: out });
  const failed = report(vm, log);
  vm.start();
  return attach(host, vm, out, failed, log);
}

/** One line per event for -v (the words tools and tests look for: "suspended", "woken, resuming at", "saved the ... VM to"). */
function describeEvent(e: VmEvent): string {
  switch (e.event) {
    case "suspended":
      return `vCPU ${e.vcpu} suspended (SYSTEM_SUSPEND honoured)`;
    case "suspend_denied":
      return `SYSTEM_SUSPEND from vCPU ${e.vcpu} denied`;
    case "woken":
      return `vCPU ${e.vcpu} woken, resuming at ${e.pc} (woken by ${e.reason})`;
    case "saved":
      return `saved the ${e.state} VM to ${e.path} (${e.bytes} bytes in ${e.seconds.toFixed(2)} s)`;
    case "restored":
      return `restored ${e.path} in ${e.seconds.toFixed(2)} s; ${e.state === "suspended" ? "waiting for a wake source" : e.state}`;
    case "reset":
      return e.reason === "guest" ? "guest reset" : `system reset (${e.reason})`;
    case "watchdog":
      return e.action === "reset" ? "system reset: the watchdog expired twice (WS1)" : "the watchdog expired (WS0)";
    case "shutdown":
      return e.reason === "guest" ? "guest powered off" : "stopped";
    case "paused":
      return `paused (${e.ms.toFixed(1)} ms)`;
    case "started":
    case "resumed":
    case "hibernated":
    case "error":
      return e.event;
  }
}

/** Prints the VM's events with -v and keeps its error messages. */
function report(vm: VirtualMachine, log?: (m: string) => void): string[] {
  const failed: string[] = [];
  vm.on((e) => {
    if (e.event === "error") failed.push(e.message);
    log?.(describeEvent(e));
  });
  return failed;
}

/**
 * Attaches the console to a started or restored VM (stdin feeds it, stdout takes its output
 * with back-pressure), SIGUSR1 pressing its power button, and waits for a final state; the
 * output is flushed before returning.
 */
async function attach(host: VmmHost, vm: VirtualMachine, out: StreamSink, failed: string[], log?: (m: string) => void): Promise<number> {
  if (process.stdin.isTTY) {
    process.stdin.setRawMode?.(true);
    process.stderr.write("dormouse: console attached (Ctrl-A x quits)\n");
  }
  let escape = false;
  let inputWait: ReturnType<typeof setInterval> | undefined;
  const input = (d: Buffer) => {
    if (process.stdin.isTTY) {
      // Ctrl-A x ends the VM (raw mode passes Ctrl-C to the guest), as QEMU's console does.
      for (const b of d) {
        if (escape && (b === 0x78 || b === 0x58)) {
          process.stderr.write("\ndormouse: terminated from the console\n");
          void vm.stop();
          return;
        }
        escape = b === 0x01;
      }
    }
    vm.sendConsole(d);
    // Input the guest has not taken yet is held here; past INPUT_HELD stdin is not read until it drains.
    if (vm.pendingConsoleInput > INPUT_HELD && !inputWait) {
      process.stdin.pause();
      inputWait = setInterval(() => {
        if (vm.pendingConsoleInput > INPUT_HELD / 4 && vm.state !== "shutdown") return;
        clearInterval(inputWait);
        inputWait = undefined;
        process.stdin.resume();
      }, 20);
    }
  };
  process.stdin.on("data", input);
  process.stdin.on("error", () => {});
  const wakeRequest = () => {
    log?.("power button pressed (SIGUSR1)");
    if (vm.state === "running" || vm.state === "suspended" || vm.state === "paused") vm.pressPowerButton();
  };
  process.on("SIGUSR1", wakeRequest);
  try {
    const state = await vm.finished;
    if (state === "error") {
      process.stderr.write(`dormouse: ${failed[0] ?? "the VM failed"}\n`);
      return 1;
    }
    if (state === "saved") {
      const path = vm.options.policy?.snapshotPath as string;
      const size = host.snapshots.storage.read(path).length;
      process.stderr.write(
        `dormouse: guest suspended to ${path} (${(size / 1048576).toFixed(1)} MiB); resume it with: dormouse resume ${path}\n`,
      );
    }
    if (state === "hibernated")
      process.stderr.write("dormouse: guest hibernated (SYSTEM_OFF2): boot it again with the same disks to resume it\n");
    return 0;
  } finally {
    process.off("SIGUSR1", wakeRequest);
    process.stdin.off("data", input);
    clearInterval(inputWait);
    vm.close();
    process.stdin.pause();
    if (process.stdin.isTTY) process.stdin.setRawMode?.(false);
    await out.end();
  }
}

/** dormouse resume <snapshot>: restores a VM saved by --on-suspend save=FILE and waits for a wake source. */
async function resume(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      verbose: { type: "boolean", short: "v", default: false },
      "on-suspend": { type: "string", default: "honour" },
      smp: { type: "string" },
      memory: { type: "string" },
      disk: { type: "string", multiple: true },
    },
  });
  if (positionals.length !== 1) throw new UsageError("resume takes exactly one snapshot file");
  const policy = suspendPolicy(values["on-suspend"] as string);
  const log = values.verbose ? (m: string) => process.stderr.write(`dormouse: ${m}\n`) : undefined;
  const host = nodeHost();
  const path = positionals[0];
  const snap = readSnapshot(path, host.snapshots);
  // The board comes from the snapshot; options given here must describe the same board.
  const saved = snap.header.config;
  const differs = (what: string, was: unknown, now: unknown) => {
    throw new SnapshotError(`the snapshot's board has ${what} ${was}, not ${now}: a suspended VM resumes on the board it was saved from`);
  };
  if (values.smp !== undefined && Number(values.smp) !== saved.cpus) differs("--smp", saved.cpus, values.smp);
  if (values.memory !== undefined && parseSize(values.memory) !== saved.ramSize)
    differs("--memory", `${saved.ramSize >> 20}M`, values.memory);
  if (values.disk !== undefined) {
    const fmt = (ds: { path: string; readOnly?: boolean }[]) => ds.map((d) => `${d.path}${d.readOnly ? ",ro" : ""}`).join(" ") || "none";
    if (fmt(diskOptions(values.disk as string[])) !== fmt(saved.disks ?? []))
      differs("--disk", fmt(saved.disks ?? []), fmt(diskOptions(values.disk as string[])));
  }
  checkDisks(snap, (p) => host.blocks.identify(p));
  const out = streamSink(process.stdout);
  const vm = new VirtualMachine({ board: saved }, host, { policy, console: out });
  const failed = report(vm, log);
  try {
    // Input typed meanwhile waits in stdin's pipe, and in the PL011 once attached.
    await vm.restore(snap, path, { into: "saved" });
  } catch (e) {
    vm.close();
    throw e;
  }
  return attach(host, vm, out, failed, log);
}

function kit(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      cache: { type: "string" },
      suite: { type: "string", default: "sid" },
      mirror: { type: "string" },
      refresh: { type: "boolean", default: false },
    },
  });
  const cache = values.cache ?? defaultKitCache();
  const k = guestKit(cache, {
    suite: values.suite,
    mirror: values.mirror,
    refresh: values.refresh,
    log: (m) => process.stderr.write(`guest-kit: ${m}\n`),
  });
  console.log(
    `kernel: ${k.kernel}\ninitramfs: ${k.initramfs}\nversions: ${k.versions.kernelPackage} ${k.versions.kernelVersion}, busybox ${k.versions.busyboxVersion} (${k.versions.suite})`,
  );
  console.log(`run it: dormouse run --kernel ${k.kernel} --initrd ${k.initramfs} --smp 2`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "run") return await run(rest);
    if (cmd === "guest-kit") return kit(rest);
    if (cmd === "resume") return await resume(rest);
    if (cmd === "--help" || cmd === "-h" || cmd === "help") {
      console.log(USAGE);
      return 0;
    }
    throw new UsageError(cmd ? `unknown command "${cmd}"` : "no command given");
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`dormouse: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (
      e instanceof ImageError ||
      e instanceof HvError ||
      e instanceof KitError ||
      e instanceof SnapshotError ||
      e instanceof DiskError ||
      e instanceof VmStateError ||
      (e instanceof Error && e.constructor === Error)
    ) {
      process.stderr.write(`dormouse: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
