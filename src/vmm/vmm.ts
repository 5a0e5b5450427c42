// The VMM's run loop: one loop per vCPU over Vcpu.run(), handling every exit in one switch
// that fails loudly on anything it does not know.
import { SystemEventType } from "../hv/constants.ts";
import type { Exit } from "../hv/exits.ts";
import type { Vcpu } from "../hv/vcpu.ts";
import type { VirtBoard } from "../machine/board.ts";
import { onSystemSuspend, onWakeup, type SuspendPolicy } from "./power.ts";
import { saveSnapshot } from "./snapshot.ts";

export type RunOutcome =
  | { kind: "poweroff" }
  | { kind: "hibernated" }
  | { kind: "reset" }
  | { kind: "saved"; path: string; bytes: number; seconds: number }
  | { kind: "error"; message: string };

export interface VmmOptions {
  onSuspend: SuspendPolicy;
  /** Where "save" writes the suspended VM. */
  snapshotPath?: string;
  /** Observability: the VMM reports what it does (suspend, wake) without printing itself. */
  log?: (message: string) => void;
}

function describe(e: Exit): string {
  return JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v));
}

export class Vmm {
  private outcome: RunOutcome | null = null;
  private finished: (() => void) | null = null;

  constructor(
    readonly board: VirtBoard,
    readonly options: VmmOptions,
  ) {}

  private finish(o: RunOutcome): void {
    if (this.outcome) return;
    this.outcome = o;
    for (const v of this.board.vcpus) v.kick();
    this.finished?.();
  }

  /** Ends the run with a system reset (the watchdog's second timeout), as a guest's SYSTEM_RESET would. */
  requestReset(why: string): void {
    this.options.log?.(`system reset: ${why}`);
    this.finish({ kind: "reset" });
  }

  /** Runs the booted board until power-off, hibernation, reset or an error. */
  async run(): Promise<RunOutcome> {
    this.outcome = null;
    const done = new Promise<void>((r) => {
      this.finished = r;
    });
    const loops = this.board.vcpus.map((v) => this.loop(v));
    await done;
    await Promise.all(loops);
    return this.outcome as unknown as RunOutcome;
  }

  private async loop(v: Vcpu): Promise<void> {
    const { board, options } = this;
    const log = options.log ?? (() => {});
    while (!this.outcome) {
      const e = await v.run();
      if (this.outcome) return;
      switch (e.reason) {
        case "mmio":
          if (e.write) board.bus.write(e.phys, e.size, e.data);
          else v.completeMmio(board.bus.read(e.phys, e.size));
          break;
        case "system_event":
          switch (e.type) {
            case SystemEventType.SHUTDOWN:
              this.finish(e.ndata >= 1 && (e.data[0] & 1n) !== 0n ? { kind: "hibernated" } : { kind: "poweroff" });
              return;
            case SystemEventType.RESET:
              this.finish({ kind: "reset" });
              return;
            case SystemEventType.SUSPEND:
              if (onSystemSuspend(v, board.vcpus, options.onSuspend)) {
                // Suspend quiesces devices (the watchdog's countdown stops) before anything is saved.
                board.pauseDevices();
                log(`vCPU ${v.id} suspended (SYSTEM_SUSPEND honoured)`);
                if (options.onSuspend === "save") {
                  const t0 = process.hrtime.bigint();
                  const path = options.snapshotPath as string;
                  try {
                    const bytes = await saveSnapshot(board, path);
                    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
                    log(`saved the suspended VM to ${path} (${bytes} bytes in ${seconds.toFixed(2)} s)`);
                    this.finish({ kind: "saved", path, bytes, seconds });
                  } catch (err) {
                    this.finish({ kind: "error", message: (err as Error).message });
                  }
                  return;
                }
              } else log(`SYSTEM_SUSPEND from vCPU ${v.id} denied`);
              break;
            case SystemEventType.WAKEUP:
              onWakeup(v);
              board.resumeDevices();
              log(`vCPU ${v.id} woken, resuming at 0x${v.pc.toString(16)}`);
              break;
            default:
              this.finish({ kind: "error", message: `unexpected system event ${describe(e)}` });
              return;
          }
          break;
        case "intr":
          break;
        case "hypercall":
        case "internal_error":
          this.finish({ kind: "error", message: `vCPU ${v.id}: ${describe(e)}` });
          return;
        default: {
          const never: never = e;
          this.finish({ kind: "error", message: `unknown exit ${describe(never)}` });
          return;
        }
      }
    }
  }
}
