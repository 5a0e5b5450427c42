// The VM as an object with a lifecycle: a board built from a plain spec, one run loop per vCPU
// over Vcpu.run() (every exit handled in one switch that fails loudly on anything it does not
// know), commands, and a typed event stream. The CLI, tests and tools (and later a daemon) are
// adapters of this one object (Firecracker's VmmAction, QMP's commands and events).
//
// States and transitions (illegal requests are a VmStateError naming the state):
//
//   created ──start──▶ running ──pause──▶ paused ──resume──▶ running
//   created ──restore──▶ paused, or the state the snapshot was saved in (running, paused, suspended)
//   running ──SYSTEM_SUSPEND honoured──▶ suspended ──woken (interrupt, or wakeup)──▶ running
//   suspended ──save──▶ saved          paused ──save──▶ paused (a copy on disk)
//   running ──snapshot──▶ running      (pause, save as "running", resume)
//   running ──SYSTEM_OFF2──▶ hibernated;  ──SYSTEM_OFF / stop──▶ shutdown;  anything ──▶ error
//   a system reset (guest, watchdog or host) keeps it running.
//   running ──freeze──▶ frozen ──thaw──▶ running      (around a host suspend; frozen ──save──▶ saved)
//   suspended ──freeze──▶ suspended, held ──thaw──▶ suspended, or running when a wake source
//                         fired meanwhile (the RTC alarm passed, console input arrived)
//
// Pausing stops every vCPU at an instruction boundary (an MMIO access in flight is completed
// first, so a snapshot never holds half of one), then quiesces devices, the GIC and the vCPUs'
// time (the counter stops: the guest does not see the pause; the RTC shows wall-clock time).
import { MpState, SystemEventType } from "../hv/constants.ts";
import type { Exit } from "../hv/exits.ts";
import { PPI_PHYS_TIMER, PPI_VIRT_TIMER } from "../hv/gicv3/index.ts";
import type { Vcpu } from "../hv/vcpu.ts";
import { type BoardHost, VirtBoard } from "../machine/board.ts";
import type { ConsoleSink } from "../devices/types.ts";
import {
  FINAL_STATES,
  type ResetReason,
  type SavedRunState,
  type VmEvent,
  type VmEventBody,
  type VmState,
  VmStateError,
} from "./events.ts";
import { onSystemSuspend, onWakeup, type SuspendPolicy } from "./power.ts";
import { type LoadedSnapshot, restoreSnapshot, saveSnapshot, type SnapshotConfig, type SnapshotIo } from "./snapshot.ts";

/** Everything the VMM takes from its host: the board's services and snapshot storage and checksum. */
export interface VmmHost extends BoardHost {
  snapshots: SnapshotIo;
  /**
   * The VM went to sleep (SYSTEM_SUSPEND honoured, or restored suspended: nothing runs until a
   * wake source fires): the host's chance to do now the housekeeping it would otherwise do in the
   * background while the guest sleeps (Node's: a full garbage collection, src/host/node/gc.ts).
   */
  idle?: () => void;
}

/** The guest image a new VM boots. */
export type VmImage =
  /** A kernel as QEMU's -kernel takes it: an arm64 Linux Image, an ELF or a raw image (VirtBoard.loadKernel). */
  | { kind: "linux"; kernel: Uint8Array; initrd?: Uint8Array; dtb?: Uint8Array }
  /** A bare-metal ELF or flat binary. */
  | { kind: "binary"; bytes: Uint8Array }
  /** The firmware in the board's flash (SnapshotConfig.firmware), as QEMU's -bios; a kernel for it goes through fw_cfg (-bios with -kernel). */
  | { kind: "firmware"; kernel?: Uint8Array; initrd?: Uint8Array; cmdline?: string };

/** A VM described as plain data: the board, and the image it boots (none when it is restored from a snapshot). */
export interface VmSpec {
  board: SnapshotConfig;
  image?: VmImage;
}

/** How the VM answers the guest's power requests. */
export interface VmPolicy {
  /** SYSTEM_SUSPEND: suspend in place, refuse, or suspend and save the VM to `snapshotPath`. */
  onSuspend: SuspendPolicy;
  snapshotPath?: string;
}

export interface VmOptions {
  policy?: VmPolicy;
  /** Console output (default: dropped). */
  console?: ConsoleSink | ((byte: number) => void);
}

function describe(e: Exit): string {
  return JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v));
}

export class VirtualMachine {
  readonly board: VirtBoard;
  private current: VmState = "created";
  private listeners: ((e: VmEvent) => void)[] = [];
  /** Serialises commands (a pause, save or reset in progress finishes before the next starts). */
  private queue: Promise<unknown> = Promise.resolve();
  /** vCPU loops are held while this is above zero (pause, reset, save, a final state). */
  private holds = 0;
  private parked = 0;
  private parkWaiters: (() => void)[] = [];
  private release: (() => void) | null = null;
  private released: Promise<void> = Promise.resolve();
  private loops: Promise<void>[] = [];
  private ended = false;
  private wakeRequested = false;
  /** Set while frozen for a host suspend: the state the VM returns to on thaw. */
  private frozenFrom: "running" | "suspended" | null = null;
  /** What a paused VM resumes as: running, or suspended when it was restored paused from a suspended snapshot. */
  private resumeAs: "running" | "suspended" = "running";
  private settled!: (s: VmState) => void;
  /** Resolves with the final state (shutdown, hibernated, saved, error) once the VM reaches one. */
  readonly finished: Promise<VmState>;
  private thrown: unknown;

  constructor(
    readonly spec: VmSpec,
    readonly host: VmmHost,
    readonly options: VmOptions = {},
  ) {
    this.finished = new Promise((r) => {
      this.settled = r;
    });
    this.board = new VirtBoard({
      ...spec.board,
      host,
      output: options.console ?? (() => {}),
      onWatchdogInterrupt: () => this.emit({ event: "watchdog", action: "interrupt" }),
      onWatchdogReset: () => {
        this.emit({ event: "watchdog", action: "reset" });
        void this.systemReset("watchdog");
      },
    });
    const image = spec.image;
    try {
      if (image?.kind === "linux") this.board.loadKernel(image.kernel, image.initrd, image.dtb);
      else if (image?.kind === "binary") this.board.load(image.bytes);
      else if (image?.kind === "firmware") this.board.loadFirmware({ kernel: image.kernel, initrd: image.initrd, cmdline: image.cmdline });
      // Restored (no image): the snapshot brings RAM; a firmware board can still reset.
      else if (!image && spec.board.firmware) this.board.loadFirmware({ restored: true });
      if (image) this.board.boot();
    } catch (e) {
      this.board.close();
      throw e;
    }
  }

  /** What was thrown when the VM ended in "error", if anything was (for a host's diagnostics; the event carries its message). */
  get failure(): unknown {
    return this.thrown;
  }

  /** The current state. */
  get state(): VmState {
    return this.current;
  }

  /** Subscribes to the event stream; returns the unsubscribe function. */
  on(listener: (e: VmEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  private emit(body: VmEventBody): void {
    const e = { ...body, timestamp: new Date(this.host.clock.wallMs()).toISOString() } as VmEvent;
    for (const l of [...this.listeners]) l(e);
  }

  private require(command: string, allowed: readonly VmState[], hint?: string): void {
    if (!allowed.includes(this.current)) throw new VmStateError(command, this.current, hint);
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op);
    this.queue = run.catch(() => {});
    return run;
  }

  // ---- Commands ------------------------------------------------------------------------------

  /** created → running: the vCPUs start at the image's entry. */
  start(): void {
    this.require("start", ["created"]);
    if (!this.spec.image) throw new VmStateError("start", this.current, "the spec has no image (restore a snapshot instead)");
    this.current = "running";
    this.spawnLoops();
    this.emit({ event: "started" });
  }

  /** running → paused: every vCPU stopped at an instruction boundary, devices, GIC and time quiesced. */
  pause(): Promise<void> {
    return this.enqueue(async () => {
      this.require("pause", ["running"]);
      await this.pauseNow();
    });
  }

  private async pauseNow(): Promise<void> {
    const t0 = this.host.clock.monotonicNs();
    await this.hold();
    this.board.pause();
    this.current = "paused";
    this.emit({ event: "paused", ms: Number(this.host.clock.monotonicNs() - t0) / 1e6 });
  }

  /** paused → running: time, the GIC and devices continue (reverse order), then the vCPUs. */
  resume(): Promise<void> {
    return this.enqueue(async () => {
      this.require("resume", ["paused"]);
      this.resumeNow();
    });
  }

  private resumeNow(): void {
    this.board.resume();
    this.current = this.resumeAs;
    this.resumeAs = "running";
    this.unhold();
    if (this.current === "suspended") this.host.idle?.();
    this.emit({ event: "resumed" });
  }

  /**
   * Writes the VM to `path`: a paused VM stays paused (its snapshot restores as paused, or as
   * running with `as: "running"`), a suspended one is then saved (its life continues from the file).
   */
  save(path: string, opts: { as?: SavedRunState } = {}): Promise<{ bytes: number; seconds: number }> {
    return this.enqueue(() => this.saveNow(path, opts.as));
  }

  private async saveNow(path: string, as?: SavedRunState): Promise<{ bytes: number; seconds: number }> {
    this.require("save", ["paused", "suspended", "frozen"], this.current === "running" ? "pause it first, or take a snapshot" : undefined);
    const frozen = this.frozenFrom !== null;
    const wasSuspended = this.current === "suspended";
    // A suspended VM is held for the save (a frozen one already is); it then lives on in the file.
    const holdHere = wasSuspended && !frozen;
    const t0 = this.host.clock.monotonicNs();
    if (holdHere) {
      await this.hold();
      this.board.pause();
    }
    const state: SavedRunState =
      wasSuspended || this.resumeAs === "suspended" ? "suspended" : frozen ? (as ?? "running") : (as ?? "paused");
    let bytes: number;
    try {
      bytes = await saveSnapshot(this.board, path, this.host.snapshots, state);
    } catch (e) {
      if (holdHere) {
        this.board.resume();
        this.unhold();
      }
      throw e;
    }
    const seconds = Number(this.host.clock.monotonicNs() - t0) / 1e9;
    this.emit({ event: "saved", path, bytes, seconds, state });
    if (wasSuspended || frozen) {
      this.frozenFrom = null;
      this.end("saved");
    }
    return { bytes, seconds };
  }

  /** A snapshot of a running VM: pause, save (restoring as running), resume. */
  snapshot(path: string): Promise<{ bytes: number; seconds: number }> {
    return this.enqueue(async () => {
      this.require("snapshot", ["running"]);
      await this.pauseNow();
      try {
        return await this.saveNow(path, "running");
      } finally {
        this.resumeNow();
      }
    });
  }

  /**
   * Holds the VM for a host suspend: its disks flushed (nothing written is lost if the host never
   * wakes), every vCPU stopped and the board quiesced as for a pause — so its watchdog countdown
   * and timers stop and the virtual counter does not count the frozen time, while the RTC keeps
   * wall-clock time. A running VM becomes "frozen"; a suspended one stays "suspended" but its wake
   * sources (an RTC alarm passing, console input, a wakeup request) take effect only on thaw().
   */
  freeze(): Promise<void> {
    return this.enqueue(async () => {
      this.require("freeze", ["running", "suspended"]);
      if (this.frozenFrom) throw new VmStateError("freeze", this.current, "it is frozen already");
      const from = this.current as "running" | "suspended";
      const t0 = this.host.clock.monotonicNs();
      await this.hold();
      this.board.pause();
      let flushed: number;
      try {
        flushed = this.board.flushDisks();
      } catch (e) {
        this.board.resume();
        this.unhold();
        throw e;
      }
      this.frozenFrom = from;
      if (from === "running") this.current = "frozen";
      this.emit({ event: "frozen", from, ms: Number(this.host.clock.monotonicNs() - t0) / 1e6, flushed });
    });
  }

  /** Whether the VM is held by freeze() (a frozen VM, or a suspended one frozen with the host). */
  get frozen(): boolean {
    return this.frozenFrom !== null;
  }

  /**
   * Reverses freeze(): time, the GIC and devices continue and the vCPUs run again. A suspended VM
   * whose wake source fired while frozen wakes now, with that source as its reason; the others
   * stay suspended.
   */
  thaw(): Promise<void> {
    return this.enqueue(async () => {
      const to = this.frozenFrom;
      if (!to) throw new VmStateError("thaw", this.current, "it is not frozen");
      this.frozenFrom = null;
      this.board.resume();
      this.current = to;
      this.emit({ event: "thawed", to });
      this.unhold();
    });
  }

  /**
   * created → paused, or the state the snapshot was saved in: RAM, vCPUs, GIC, timers and
   * devices from `snap` (read with readSnapshot, disks checked by the caller).
   */
  restore(snap: LoadedSnapshot, path: string, opts: { into: "paused" | "saved" }): Promise<void> {
    return this.enqueue(async () => {
      this.require("restore", ["created"]);
      const t0 = this.host.clock.monotonicNs();
      await restoreSnapshot(this.board, snap);
      const saved: SavedRunState = snap.header.runState ?? "suspended";
      const into: VmState = opts.into === "paused" ? "paused" : saved;
      if (into === "paused") {
        this.holds++;
        this.board.pause();
        if (saved === "suspended") this.resumeAs = "suspended";
      }
      this.current = into;
      this.spawnLoops();
      const seconds = Number(this.host.clock.monotonicNs() - t0) / 1e9;
      if (into === "suspended") this.host.idle?.();
      this.emit({ event: "restored", path, state: into, seconds });
    });
  }

  /** A system reset requested by the host (QMP's system_reset): the VM reboots and keeps running. */
  reset(): Promise<void> {
    this.require("reset", ["running", "suspended"]);
    if (!this.board.bootable)
      throw new VmStateError("reset", this.current, "a VM restored from a snapshot has no image to boot again (stop it and boot it anew)");
    return this.systemReset("host");
  }

  /** Presses the power button: KEY_POWER in a running guest, a wake-up for a suspended one. */
  pressPowerButton(): void {
    this.require("press the power button of", ["running", "suspended", "paused"]);
    this.board.pressPowerButton();
  }

  /** Presses the sleep button: KEY_SLEEP in a running guest (logind suspends on it), a wake-up for a suspended one. */
  pressSleepButton(): void {
    this.require("press the sleep button of", ["running", "suspended", "paused"]);
    this.board.pressSleepButton();
  }

  /** Wakes a suspended VM (QMP's system_wakeup): the suspended vCPU resumes at its entry, reason "request". */
  wakeup(): void {
    this.require("wake up", ["suspended"]);
    this.wakeRequested = true;
    for (const v of this.board.vcpus) if (v.getMpState() === MpState.SUSPENDED) v.kick();
  }

  /** Console input: held by the host and fed to the PL011 as its receive FIFO frees; never dropped. */
  sendConsole(bytes: Uint8Array): void {
    if (FINAL_STATES.includes(this.current)) return;
    this.board.uart.receive(bytes);
  }

  /** Console input held by the host, not yet taken by the guest (a host may stop reading above some amount). */
  get pendingConsoleInput(): number {
    return this.board.uart.pendingInput;
  }

  /** Stops the VM hard (no guest shutdown): → shutdown {reason: host}. */
  stop(): Promise<void> {
    this.require("stop", ["created", "running", "paused", "suspended", "frozen"]);
    this.end("shutdown", { event: "shutdown", reason: "host" });
    return Promise.all(this.loops).then(() => {});
  }

  /** Releases host resources (timers, disk images). The VM must be in a final state or never started. */
  close(): void {
    if (!this.ended && this.current !== "created") this.end("shutdown", { event: "shutdown", reason: "host" });
    this.board.close();
  }

  // ---- Holding the vCPU loops ---------------------------------------------------------------

  /** Asks every vCPU loop to stop and resolves once all have (an in-flight MMIO access completes first). */
  private hold(): Promise<void> {
    if (this.holds++ === 0) {
      this.released = new Promise((r) => {
        this.release = r;
      });
    }
    for (const v of this.board.vcpus) v.kick();
    return this.allParked();
  }

  private unhold(): void {
    if (this.holds > 0 && --this.holds === 0) {
      this.release?.();
      this.release = null;
    }
  }

  private allParked(): Promise<void> {
    if (this.parked >= this.loops.length) return Promise.resolve();
    return new Promise((r) => this.parkWaiters.push(r));
  }

  private async park(): Promise<void> {
    this.parked++;
    if (this.parked >= this.loops.length) for (const w of this.parkWaiters.splice(0)) w();
    await this.released;
    this.parked--;
  }

  private spawnLoops(): void {
    if (this.holds > 0 && !this.release) {
      this.released = new Promise((r) => {
        this.release = r;
      });
    }
    this.loops = this.board.vcpus.map((v) => this.loop(v));
  }

  /** Enters a final state: the loops end, the event (if any) goes out, `finished` resolves. */
  private end(state: VmState, event?: VmEventBody): void {
    if (this.ended) return;
    this.ended = true;
    this.current = state;
    for (const v of this.board.vcpus) v.kick();
    this.release?.();
    if (event) this.emit(event);
    this.settled(state);
  }

  private fail(message: string, cause?: unknown): void {
    if (!this.ended) this.thrown = cause;
    this.end("error", { event: "error", message });
  }

  /** A system reset: hold the vCPUs, reset every device and reload the image, continue running. */
  private systemReset(reason: ResetReason): Promise<void> {
    // A VM restored from a snapshot has no image to reload: the reset ends it, as a guest reboot
    // ends a Firecracker microVM (and never as a rejection nobody handles).
    if (!this.board.bootable) {
      this.end("shutdown", { event: "shutdown", reason: "reset" });
      return Promise.resolve();
    }
    // Held at once, so the vCPU that asked runs no further guest code before the reset.
    const held = this.hold();
    return this.enqueue(async () => {
      await held;
      if (this.ended) return;
      this.board.reset();
      this.current = "running";
      this.emit({ event: "reset", reason });
      this.unhold();
    });
  }

  // ---- The vCPU loops -------------------------------------------------------------------------

  private async loop(v: Vcpu): Promise<void> {
    // After an MMIO exit the access completes only when the instruction retires in the next run():
    // a hold that arrived meanwhile waits for that (run() then retires just that instruction).
    let accessInFlight = false;
    try {
      while (!this.ended) {
        if (this.holds > 0 && !accessInFlight) {
          await this.park();
          continue;
        }
        if (this.wakeRequested && v.getMpState() === MpState.SUSPENDED) {
          this.wakeRequested = false;
          this.wake(v, "request", null);
          continue;
        }
        const e = await v.run();
        if (this.ended) return;
        accessInFlight = e.reason === "mmio";
        this.handle(v, e);
      }
    } catch (err) {
      this.fail(`vCPU ${v.id}: ${(err as Error).message}`, err);
    }
  }

  /** One exit: handled synchronously, so an MMIO access completes before anything else can run. */
  private handle(v: Vcpu, e: Exit): void {
    const { board } = this;
    switch (e.reason) {
      case "mmio":
        if (e.write) board.bus.write(e.phys, e.size, e.data);
        else v.completeMmio(board.bus.read(e.phys, e.size));
        return;
      case "intr":
        return;
      case "system_event":
        switch (e.type) {
          case SystemEventType.SHUTDOWN:
            if (e.ndata >= 1 && (e.data[0] & 1n) !== 0n) this.end("hibernated", { event: "hibernated" });
            else this.end("shutdown", { event: "shutdown", reason: "guest" });
            return;
          case SystemEventType.RESET:
            void this.systemReset("guest");
            return;
          case SystemEventType.SUSPEND:
            this.onSuspend(v);
            return;
          case SystemEventType.WAKEUP: {
            // The interrupt that woke it: one pending in the GIC, else a generic timer firing
            // (its PPI reaches the GIC only when the vCPU next runs).
            let intid = board.vm.gic.wakingIntid(v.id);
            if (intid < 0) {
              const [virt, phys] = board.vm.timers.lines(v);
              intid = virt ? PPI_VIRT_TIMER : phys ? PPI_PHYS_TIMER : -1;
            }
            this.wake(v, intid >= 0 ? board.wakeReason(intid) : "timer", intid >= 0 ? intid : null);
            return;
          }
          default:
            this.fail(`unexpected system event ${describe(e)}`);
            return;
        }
      case "hypercall":
      case "internal_error":
        this.fail(`vCPU ${v.id}: ${describe(e)}`);
        return;
      default: {
        const never: never = e;
        this.fail(`unknown exit ${describe(never)}`);
      }
    }
  }

  private onSuspend(v: Vcpu): void {
    const policy = this.options.policy ?? { onSuspend: "honour" };
    if (!onSystemSuspend(v, this.board.vcpus, policy.onSuspend)) {
      this.emit({ event: "suspend_denied", vcpu: v.id });
      return;
    }
    // Suspend quiesces devices (the watchdog's countdown stops) before anything is saved.
    this.board.suspendDevices();
    this.current = "suspended";
    // The host's housekeeping before the event that says the VM sleeps (a suspend that saves
    // ends with the save instead).
    if (policy.onSuspend !== "save") this.host.idle?.();
    this.emit({ event: "suspended", vcpu: v.id });
    if (policy.onSuspend === "save") {
      const path = policy.snapshotPath as string;
      this.save(path).catch((err) => this.fail((err as Error).message, err));
    }
  }

  private wake(v: Vcpu, reason: string, intid: number | null): void {
    onWakeup(v);
    this.board.wakeDevices();
    this.current = "running";
    this.emit({ event: "woken", reason, intid, vcpu: v.id, pc: `0x${v.pc.toString(16)}` });
  }
}
