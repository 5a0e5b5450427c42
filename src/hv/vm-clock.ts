// The VM's clock for devices: their timers are deadlines on the VM's counter, not host timers, so
// they stop while the VM is paused and follow deterministic time in --deterministic mode (where
// they fire at exact instruction counts, checked between run slices).
import type { HostClock } from "./host.ts";
import { CNTFRQ, INSNS_PER_TICK, type Timers } from "./timer.ts";

/** Wall-clock seconds at counter zero in deterministic mode (2000-01-01T00:00:00Z): a fixed, reproducible RTC. */
export const DETERMINISTIC_EPOCH_S = 946_684_800;

interface Deadline {
  ticks: bigint;
  fn: () => void;
  cancelHost: (() => void) | null;
}

/** What a device may ask of time: the counter, wall-clock seconds and timers. */
export interface DeviceClock {
  /** The VM's physical counter (CNTPCT) in ticks at CNTFRQ. */
  counter(): bigint;
  /** Wall-clock seconds the guest's RTC shows: the host's, or (deterministic mode) a fixed epoch plus the counter's time. */
  now(): number;
  /** Calls `fn` once `ms` milliseconds of VM time have passed; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export class VmClock implements DeviceClock {
  private deadlines: Deadline[] = [];
  /** The earliest of `deadlines` (checked between every run slice), or null. */
  private earliest: bigint | null = null;
  private paused = false;

  constructor(
    private readonly timers: Timers,
    private readonly host: HostClock,
  ) {}

  counter(): bigint {
    return this.timers.counter();
  }

  now(): number {
    if (this.timers.mode === "deterministic") return DETERMINISTIC_EPOCH_S + Number(this.timers.counter()) / Number(CNTFRQ);
    return this.host.wallMs() / 1000;
  }

  after(ms: number, fn: () => void): () => void {
    const ticks = BigInt(Math.ceil(Math.max(0, ms) * (Number(CNTFRQ) / 1000)));
    return this.at(this.counter() + ticks, fn);
  }

  /** Calls `fn` once the counter reaches `ticks`; returns a cancel function. */
  at(ticks: bigint, fn: () => void): () => void {
    const d: Deadline = { ticks, fn, cancelHost: null };
    this.deadlines.push(d);
    if (this.earliest === null || ticks < this.earliest) this.earliest = ticks;
    this.arm(d);
    return () => {
      d.cancelHost?.();
      d.cancelHost = null;
      this.drop(d);
    };
  }

  private drop(d: Deadline): void {
    this.deadlines = this.deadlines.filter((x) => x !== d);
    let best: bigint | null = null;
    for (const x of this.deadlines) if (best === null || x.ticks < best) best = x.ticks;
    this.earliest = best;
  }

  /** Host mode: a host timer for the deadline, re-checked against the counter when it fires. */
  private arm(d: Deadline): void {
    if (this.timers.mode === "deterministic" || this.paused) return;
    const left = d.ticks - this.counter();
    // Ticks to whole milliseconds, rounded up; host timers take at most 2^31-1 ms.
    const ms = left <= 0n ? 0 : Math.min(Number((left * 1000n + CNTFRQ - 1n) / CNTFRQ), 0x7fff_ffff);
    d.cancelHost = this.host.after(ms, () => {
      d.cancelHost = null;
      if (this.counter() >= d.ticks) this.fire(d);
      else this.arm(d);
    });
  }

  private fire(d: Deadline): void {
    if (!this.deadlines.includes(d)) return;
    this.drop(d);
    d.fn();
  }

  /** Runs the callbacks whose deadline has passed (deterministic mode: between slices and on time skips). */
  runDue(): void {
    if (this.paused || this.earliest === null) return;
    const now = this.counter();
    if (now < this.earliest) return;
    for (const d of [...this.deadlines].sort((a, b) => (a.ticks < b.ticks ? -1 : a.ticks > b.ticks ? 1 : 0))) {
      if (d.ticks <= now) this.fire(d);
    }
  }

  /** The earliest device deadline, in counter ticks, or null. */
  nextDeadline(): bigint | null {
    return this.earliest;
  }

  /** Deterministic mode: caps a slice of `max` instructions so it ends at the next device deadline. */
  sliceBudget(max: number): number {
    const t = this.timers.mode === "deterministic" ? this.nextDeadline() : null;
    if (t === null) return max;
    const now = this.counter();
    if (t <= now) return Math.min(max, 1024);
    const insns = (t - now) * INSNS_PER_TICK;
    return insns < BigInt(max) ? Math.max(1, Number(insns)) : max;
  }

  /** The VM pauses: host timers stop (deadlines are kept, on the frozen counter). */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const d of this.deadlines) {
      d.cancelHost?.();
      d.cancelHost = null;
    }
  }

  /** The VM resumes: host timers are re-armed for the deadlines left. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const d of this.deadlines) this.arm(d);
  }

  /** Drops every deadline (the VM is going away). */
  close(): void {
    for (const d of this.deadlines) d.cancelHost?.();
    this.deadlines = [];
    this.earliest = null;
  }
}
