// The VM object's states and events: plain data that serialises to JSON as
// {event, timestamp, ...fields} (a control API streams them as JSON lines).

/**
 * The VM's states (design.md, "The VM and its host"):
 *   created → running ⇄ paused; running → suspended → running (woken); suspended → saved;
 *   paused → saved is a save that keeps it paused; running → hibernated | shutdown | error;
 *   running ⇄ frozen around a host suspend (a suspended VM frozen stays "suspended", held).
 */
export type VmState = "created" | "running" | "paused" | "suspended" | "saved" | "hibernated" | "frozen" | "shutdown" | "error";

/** The states a VM never leaves. */
export const FINAL_STATES: readonly VmState[] = ["saved", "hibernated", "shutdown", "error"];

/** The VM's state when a snapshot was taken: what a restore "as saved" continues. */
export type SavedRunState = "running" | "paused" | "suspended";

/** Who asked for a system reset. */
export type ResetReason = "guest" | "watchdog" | "host";

interface Stamp {
  /** ISO 8601, from the host's wall clock. */
  timestamp: string;
}

export type VmEvent = Stamp &
  (
    | { event: "started" }
    /** `ms`: from the request until every vCPU had stopped. */
    | { event: "paused"; ms: number }
    | { event: "resumed" }
    /**
     * Held for a host suspend: `from` is the state it returns to on thaw (a running VM is then
     * "frozen", a suspended one stays "suspended" but its wake sources wait for the thaw); `ms` as
     * for paused; `flushed` the disks whose written data was made durable first.
     */
    | { event: "frozen"; from: "running" | "suspended"; ms: number; flushed: number }
    /** The host woke: the VM continues as `to` (a suspended one whose wake source fired meanwhile then wakes). */
    | { event: "thawed"; to: "running" | "suspended" }
    /** SYSTEM_SUSPEND from `vcpu` honoured. */
    | { event: "suspended"; vcpu: number }
    /** SYSTEM_SUSPEND from `vcpu` refused (policy, or other vCPUs still on). */
    | { event: "suspend_denied"; vcpu: number }
    /**
     * The suspended vCPU woke: `reason` names the source whose interrupt woke it ("console",
     * "rtc", "power-button", "sleep-button", "timer", "watchdog", "virtio-blk@0"..., "request" for a wakeup
     * command, else "intid <n>"); `intid` is that interrupt (null for a request); `pc` the resume entry.
     */
    | { event: "woken"; reason: string; intid: number | null; vcpu: number; pc: string }
    | { event: "saved"; path: string; bytes: number; seconds: number; state: SavedRunState }
    | { event: "restored"; path: string; state: VmState; seconds: number }
    | { event: "hibernated" }
    /** `reason`: the guest powered off, or the host stopped the VM. */
    /** reset: the guest (or the watchdog) reset a VM restored from a snapshot, which has no image to boot again. */
    | { event: "shutdown"; reason: "guest" | "host" | "reset" }
    | { event: "reset"; reason: ResetReason }
    /** The SBSA watchdog expired: the first time an interrupt to the guest, the second a system reset. */
    | { event: "watchdog"; action: "interrupt" | "reset" }
    | { event: "error"; message: string }
  );

/** An event without its timestamp (what the VM emits; the stamp is added on the way out). */
export type VmEventBody = VmEvent extends infer E ? (E extends Stamp ? Omit<E, "timestamp"> : never) : never;

/** A request the VM's state does not allow (pause a shut-down VM, save a running one...). */
export class VmStateError extends Error {
  constructor(
    readonly command: string,
    readonly state: VmState,
    hint = "",
  ) {
    super(`cannot ${command} a VM that is ${state}${hint ? `: ${hint}` : ""}`);
    this.name = "VmStateError";
  }
}
