// The dormouse command.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DiskError } from "../devices/virtio/blk.ts";
import { HvError } from "../hv/errors.ts";
import { VirtBoard } from "../machine/board.ts";
import { isLinuxImage, maybeGunzip } from "../machine/linux.ts";
import { ImageError } from "../machine/loader.ts";
import { guestKit, KitError } from "../kit/guest-kit.ts";
import type { SuspendPolicy } from "../vmm/power.ts";
import { checkDisks, readSnapshot, restoreSnapshot, SnapshotError } from "../vmm/snapshot.ts";
import { Vmm } from "../vmm/vmm.ts";

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

/** The SBSA watchdog's reset signal, routed to whichever VMM runs the board. */
let watchdogFired = () => {};

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

function suspendPolicy(arg: string): { policy: SuspendPolicy; snapshotPath?: string } {
  const onSuspend = arg === "honor" ? "honour" : arg;
  if (onSuspend === "honour" || onSuspend === "deny") return { policy: onSuspend };
  if (onSuspend.startsWith("save=") && onSuspend.length > 5) return { policy: "save", snapshotPath: resolve(onSuspend.slice(5)) };
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
  const { policy, snapshotPath } = suspendPolicy(values["on-suspend"] as string);
  const disks = diskOptions(values.disk as string[]);
  const smp = Number(values.smp);
  const read = (path: string): Uint8Array => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  };
  const bytes = read(kernelPath ?? positionals[0]);
  const linux = kernelPath !== undefined || isLinuxImage(maybeGunzip(bytes));
  const initrd = initrdPath ? read(initrdPath) : undefined;
  const board = new VirtBoard({
    cpus: smp,
    ramSize: parseSize(values.memory ?? (linux ? "512M" : "128M")),
    bootargs: linux ? values.append : undefined,
    psciConduit: conduit,
    clock: values.deterministic ? "deterministic" : "host",
    systemSuspend: true,
    disks,
    rng: true,
    output: (b) => process.stdout.write(Buffer.of(b)),
    onWatchdogReset: () => watchdogFired(),
  });
  if (linux) board.loadLinux(bytes, initrd, values.dtb ? read(values.dtb) : undefined);
  else board.load(bytes);
  board.boot();
  return attachAndRun(board, { onSuspend: policy, snapshotPath, log });
}

/** Attaches the console to the board's PL011 and runs the VMM until the guest is done. */
async function attachAndRun(
  board: VirtBoard,
  opts: { onSuspend: SuspendPolicy; snapshotPath?: string; log?: (m: string) => void },
): Promise<number> {
  const { log } = opts;
  if (process.stdin.isTTY) {
    process.stdin.setRawMode?.(true);
    process.stderr.write("dormouse: console attached (Ctrl-A x quits)\n");
  }
  let escape = false;
  process.stdin.on("data", (d: Buffer) => {
    if (process.stdin.isTTY) {
      // Ctrl-A x ends the VM (raw mode passes Ctrl-C to the guest), as QEMU's console does.
      for (const b of d) {
        if (escape && (b === 0x78 || b === 0x58)) {
          process.stderr.write("\ndormouse: terminated from the console\n");
          process.stdin.setRawMode?.(false);
          process.exit(0);
        }
        escape = b === 0x01;
      }
    }
    board.uart.receive(d);
  });
  process.stdin.on("error", () => {});
  const wakeRequest = () => {
    log?.("power button pressed (SIGUSR1)");
    board.pressPowerButton();
  };
  process.on("SIGUSR1", wakeRequest);
  try {
    const vmm = new Vmm(board, opts);
    watchdogFired = () => vmm.requestReset("the watchdog expired twice (WS1)");
    for (;;) {
      const o = await vmm.run();
      if (o.kind === "reset") {
        log?.("guest reset");
        board.reset();
        continue;
      }
      if (o.kind === "error") {
        process.stderr.write(`dormouse: ${o.message}\n`);
        return 1;
      }
      if (o.kind === "saved") {
        process.stderr.write(
          `dormouse: guest suspended to ${o.path} (${(o.bytes / 1048576).toFixed(1)} MiB); resume it with: dormouse resume ${o.path}\n`,
        );
        return 0;
      }
      if (o.kind === "hibernated")
        process.stderr.write("dormouse: guest hibernated (SYSTEM_OFF2): boot it again with the same disks to resume it\n");
      else log?.("guest powered off");
      return 0;
    }
  } finally {
    process.off("SIGUSR1", wakeRequest);
    board.close();
    process.stdin.pause();
    if (process.stdin.isTTY) process.stdin.setRawMode?.(false);
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
  const { policy, snapshotPath } = suspendPolicy(values["on-suspend"] as string);
  const log = values.verbose ? (m: string) => process.stderr.write(`dormouse: ${m}\n`) : undefined;
  const t0 = process.hrtime.bigint();
  const snap = readSnapshot(positionals[0]);
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
  checkDisks(snap);
  const board = new VirtBoard({
    ...snap.header.config,
    output: (b) => process.stdout.write(Buffer.of(b)),
    onWatchdogReset: () => watchdogFired(),
  });
  await restoreSnapshot(board, snap);
  log?.(`restored ${positionals[0]} in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)} s; waiting for a wake source`);
  return attachAndRun(board, { onSuspend: policy, snapshotPath, log });
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
      (e instanceof Error && e.constructor === Error)
    ) {
      process.stderr.write(`dormouse: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
