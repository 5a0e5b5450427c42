// The console of a VM run from the command line: stdin feeds it, stdout takes its output, SIGUSR1
// presses its power button, and its events are printed with -v.
import type { StreamSink } from "../host/node/index.ts";
import type { VmEvent } from "../vmm/events.ts";
import { MAX_SNAPSHOT_BYTES } from "../vmm/snapshot.ts";
import type { VirtualMachine, VmmHost } from "../vmm/virtual-machine.ts";
import { Failure } from "./args.ts";

/** Console input held for the guest before stdin is no longer read. */
const INPUT_HELD = 1 << 16;

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
      if (e.reason === "reset") return "the guest reset the system: a VM resumed from a snapshot cannot boot again, so it is shut down";
      return e.reason === "guest" ? "guest powered off" : "stopped";
    case "paused":
      return `paused (${e.ms.toFixed(1)} ms)`;
    case "frozen":
      return `frozen for a host suspend (${e.from}; ${e.flushed} disks flushed; ${e.ms.toFixed(1)} ms)`;
    case "thawed":
      return `thawed (${e.to})`;
    case "started":
    case "resumed":
    case "hibernated":
    case "error":
      return e.event;
  }
}

/** Prints the VM's events with -v and keeps its error messages. */
export function report(vm: VirtualMachine, log?: (m: string) => void): string[] {
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
export async function attach(
  host: VmmHost,
  vm: VirtualMachine,
  out: StreamSink,
  failed: string[],
  log?: (m: string) => void,
): Promise<number> {
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
    // Reported by main as any error is: one line, internal when what the VM caught was a bug.
    if (state === "error") throw new Failure(failed[0] ?? "the VM failed", { cause: vm.failure });
    if (state === "saved") {
      const path = vm.options.policy?.snapshotPath as string;
      const file = host.snapshots.storage.open(path, { minBytes: 0, maxBytes: MAX_SNAPSHOT_BYTES });
      const size = file.size;
      file.close();
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
