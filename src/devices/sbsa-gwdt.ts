// The SBSA Generic Watchdog (Arm DEN0029, "Generic Watchdog"; Linux drivers/watchdog/sbsa_gwdt.c),
// architecture version 1 (48-bit WOR), as QEMU's sbsa_gwdt: a refresh frame and a control frame.
// The watchdog compares the system counter with WCV: the first timeout raises WS0 (an interrupt)
// and reloads WCV; the second raises WS1, the system reset. Unlike QEMU, WCV is in system-counter
// ticks as the specification says, and the countdown stops while the VM is suspended.
import { CNTFRQ } from "../hv/timer.ts";
import { BigRange, Bits, type Static, StateError, Struct, Type, validate } from "../schema/index.ts";
import type { BusDevice, Device, IrqLine } from "./types.ts";

/** Refresh frame registers. */
export const enum GwdtRefreshReg {
  WRR = 0x000,
  W_IIDR = 0xfcc,
}

/** Control frame registers. WOR and WCV are 64-bit, accessible as two 32-bit halves. */
export const enum GwdtControlReg {
  WCS = 0x000,
  WOR = 0x008,
  WORU = 0x00c,
  WCV = 0x010,
  WCVU = 0x014,
  W_IIDR = 0xfcc,
}

/** WCS bits. */
export const WCS_EN = 1;
export const WCS_WS0 = 2;
export const WCS_WS1 = 4;

/**
 * W_IIDR: ProductID 0, architecture version 1 in bits [19:16] (so Linux drives WOR as 48 bits
 * with lo_hi_writeq), revision 0, implementer 0x43B (Arm's JEP106 code). QEMU reports the same.
 */
export const GWDT_IIDR = 0x0001_043b;

const M32 = 0xffff_ffffn;
const M48 = (1n << 48n) - 1n;
const M64 = (1n << 64n) - 1n;

/** The system counter and timers (the VM's clock on the board), injected so tests can drive them. */
export interface WatchdogClock {
  /** The system counter (the VM's physical counter, CNTPCT), in ticks. */
  counter(): bigint;
  /** Calls `fn` after `ms` milliseconds; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

/** Where the control frame sits in the watchdog's one window, after the refresh frame (as on the virt board: 0x090C0000, 0x090D0000). */
export const GWDT_CONTROL_OFFSET = 0x1_0000;
/** The window covering both frames. */
export const GWDT_WINDOW = 0x2_0000;

/** Thrown for a bad saved state; guest accesses never throw. */
export class SbsaGwdtStateError extends StateError {}

/**
 * Plain, versioned watchdog state. The compare value is kept relative to the system counter
 * (`remaining` = WCV − counter when saved), so a watchdog restored in another process, whose
 * counter started elsewhere, continues the countdown from where it stopped.
 */
export const SbsaGwdtStateSchema = Struct({
  version: Type.Literal(1),
  /** WCS: EN, WS0, WS1. */
  wcs: Bits(WCS_EN | WCS_WS0 | WCS_WS1),
  /** WOR: 48 bits. */
  wor: BigRange(0n, M48),
  /** WCV − system counter at save time (negative if WCV was already in the past). */
  remaining: BigRange(-M64, M64),
  /** Whether the countdown was paused (the VM suspended): it resumes on `resume()`. */
  paused: Type.Boolean(),
});
export type SbsaGwdtState = Static<typeof SbsaGwdtStateSchema>;

export class SbsaGwdt implements BusDevice, Device {
  /** The control frame's MMIO window. */
  readonly control: BusDevice;
  /** The refresh frame's MMIO window. */
  readonly refresh: BusDevice;
  private wcs = 0;
  private wor = 0n;
  private wcv = 0n;
  private paused = false;
  /** While paused: WCV − counter, frozen. */
  private frozen = 0n;
  private cancel: (() => void) | null = null;

  /**
   * @param irq the WS0 interrupt (level: high while WS0 is set).
   * @param onReset the WS1 signal: called once when the second timeout expires (the board's system reset).
   * @param frequency the system counter's frequency, for turning ticks into host milliseconds.
   */
  constructor(
    private readonly irq: IrqLine,
    private readonly onReset: () => void,
    private readonly clock: WatchdogClock,
    private readonly frequency: bigint = CNTFRQ,
  ) {
    this.control = { read: (o, s) => this.readControl(o, s), write: (o, s, v) => this.writeControl(o, s, v) };
    this.refresh = { read: (o, s) => this.readRefresh(o, s), write: (o, s, v) => this.writeRefresh(o, s, v) };
  }

  /** Both frames as one window: the refresh frame at 0, the control frame at GWDT_CONTROL_OFFSET; the rest reads zero. */
  read(offset: number, size: number): bigint {
    if (offset < 0x1000) return this.readRefresh(offset, size);
    if (offset >= GWDT_CONTROL_OFFSET && offset < GWDT_CONTROL_OFFSET + 0x1000) return this.readControl(offset - GWDT_CONTROL_OFFSET, size);
    return 0n;
  }

  write(offset: number, size: number, value: bigint): void {
    if (offset < 0x1000) this.writeRefresh(offset, size, value);
    else if (offset >= GWDT_CONTROL_OFFSET && offset < GWDT_CONTROL_OFFSET + 0x1000)
      this.writeControl(offset - GWDT_CONTROL_OFFSET, size, value);
  }

  /** Watchdog Control and Status (EN, WS0, WS1). */
  get status(): number {
    return this.wcs;
  }

  /** The compare value WCV in system-counter ticks (while paused, where it will be if resumed now). */
  get compareValue(): bigint {
    return this.paused ? (this.clock.counter() + this.frozen) & M64 : this.wcv;
  }

  /** Whether the countdown is paused. */
  get isPaused(): boolean {
    return this.paused;
  }

  private readRefresh(offset: number, _size: number): bigint {
    return offset === GwdtRefreshReg.W_IIDR ? BigInt(GWDT_IIDR) : 0n; // WRR reads as zero
  }

  private writeRefresh(offset: number, _size: number, _value: bigint): void {
    if (offset === GwdtRefreshReg.WRR) this.explicitRefresh();
  }

  private readControl(offset: number, size: number): bigint {
    switch (offset) {
      case GwdtControlReg.WCS:
        return BigInt(this.wcs);
      case GwdtControlReg.WOR:
        return size === 8 ? this.wor : this.wor & M32;
      case GwdtControlReg.WORU:
        return this.wor >> 32n;
      case GwdtControlReg.WCV:
        return size === 8 ? this.compareValue : this.compareValue & M32;
      case GwdtControlReg.WCVU:
        return this.compareValue >> 32n;
      case GwdtControlReg.W_IIDR:
        return BigInt(GWDT_IIDR);
      default:
        return 0n;
    }
  }

  private writeControl(offset: number, size: number, value: bigint): void {
    switch (offset) {
      case GwdtControlReg.WCS:
        // A write to WCS is an explicit refresh (the only writable bit is EN).
        this.wcs = Number(value & 1n);
        this.explicitRefresh();
        break;
      case GwdtControlReg.WOR:
        this.wor = size === 8 ? value & M48 : (this.wor & ~M32) | (value & M32);
        this.explicitRefresh();
        break;
      case GwdtControlReg.WORU:
        this.wor = (this.wor & M32) | ((value & 0xffffn) << 32n);
        this.explicitRefresh();
        break;
      case GwdtControlReg.WCV:
        this.setCompare(size === 8 ? value & M64 : (this.compareValue & ~M32 & M64) | (value & M32));
        break;
      case GwdtControlReg.WCVU:
        this.setCompare((this.compareValue & M32) | ((value & M32) << 32n));
        break;
    }
  }

  /** A write to WRR, WOR or WCS: WS0 and WS1 clear, and WCV = counter + WOR. */
  private explicitRefresh(): void {
    this.wcs &= WCS_EN;
    this.irq.set(false);
    this.setCompare((this.clock.counter() + this.wor) & M64);
  }

  private setCompare(wcv: bigint): void {
    this.wcv = wcv;
    if (this.paused) this.frozen = wcv - this.clock.counter();
    this.arm();
  }

  /** Arms the host timer for WCV; nothing runs while disabled, paused, or after WS1. */
  private arm(): void {
    this.cancel?.();
    this.cancel = null;
    if (!(this.wcs & WCS_EN) || this.wcs & WCS_WS1 || this.paused) return;
    const ticks = this.wcv - this.clock.counter();
    // Ticks to whole milliseconds, rounded up; host timers take at most 2^31-1 ms, and a farther
    // WCV just re-checks after that long. The callback re-checks the counter, since the counter
    // (deterministic mode) need not follow host time.
    const ms = ticks <= 0n ? 0 : Math.min(Number((ticks * 1000n + this.frequency - 1n) / this.frequency), 0x7fff_ffff);
    this.cancel = this.clock.after(ms, () => {
      this.cancel = null;
      if (this.clock.counter() >= this.wcv) this.timeout();
      else this.arm();
    });
  }

  /** The counter reached WCV: WS0 first (with a timeout refresh), WS1 the second time. */
  private timeout(): void {
    if (!(this.wcs & WCS_WS0)) {
      this.wcs |= WCS_WS0;
      this.wcv = (this.clock.counter() + this.wor) & M64;
      this.irq.set(true);
      this.arm();
    } else {
      this.wcs |= WCS_WS1;
      this.onReset();
    }
  }

  /** Stops the countdown (the VM suspends): the ticks left to WCV are kept. */
  pause(): void {
    if (this.paused) return;
    this.frozen = this.wcv - this.clock.counter();
    this.paused = true;
    this.close();
  }

  /** Continues the countdown (the VM wakes): WCV = counter + the ticks left when paused. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.wcv = (this.clock.counter() + this.frozen) & M64;
    this.arm();
  }

  /** The VM pauses: its counter stops, and the countdown with it (no state of its own to hold). */
  stop(): void {}

  cont(): void {}

  /** The VM suspends: the countdown stops (a sleeping guest cannot refresh it). */
  suspend(): void {
    this.pause();
  }

  /** The VM wakes from suspend. */
  wake(): void {
    this.resume();
  }

  /** The reset state: disabled, WOR and WCV zero, not paused. */
  reset(): void {
    this.close();
    this.wcs = 0;
    this.wor = 0n;
    this.wcv = 0n;
    this.paused = false;
    this.frozen = 0n;
    this.irq.set(false);
  }

  save(): SbsaGwdtState {
    const remaining = this.paused ? this.frozen : this.wcv - this.clock.counter();
    return { version: 1, wcs: this.wcs, wor: this.wor, remaining, paused: this.paused };
  }

  /** Restores save()'s state; a StateError naming the field when it is malformed or out of range. */
  restore(s: unknown): void {
    validate(SbsaGwdtStateSchema, s, "devices.watchdog", SbsaGwdtStateError);
    this.close();
    this.wcs = s.wcs;
    this.wor = s.wor;
    this.paused = s.paused;
    this.frozen = s.remaining;
    this.wcv = (this.clock.counter() + s.remaining) & M64;
    this.irq.set((this.wcs & WCS_WS0) !== 0);
    this.arm();
  }

  /** Cancels the host timer (the VM is going away). */
  close(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
