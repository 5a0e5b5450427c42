// ARM PrimeCell PL031 real-time clock: seconds of wall-clock time, and the match-register alarm
// raising its interrupt (Linux's /sys/class/rtc/rtc0/wakealarm), a wake source from suspend.
import { Bits, Int, type Static, Struct, Type, U32, validate } from "../schema/index.ts";
import type { BusDevice, Device, IrqLine } from "./types.ts";

const ID = [0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/** Time for the RTC (the VM's clock on the board), injected so tests can drive it. */
export interface RtcClock {
  /** Wall-clock seconds (fractional). */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

/** Plain, versioned PL031 state: the offset from wall-clock time keeps the guest's clock real across a restore. */
export const Pl031StateSchema = Struct({
  version: Type.Literal(1),
  /** RTCDR − wall-clock seconds (RTCLR is 32 bits; the wall clock's seconds fit 33). */
  offset: Int(-(2 ** 34), 2 ** 34),
  mr: U32,
  lr: U32,
  imsc: Bits(1),
  ris: Bits(1),
  /** RTCDR when saved: a match the wall clock passed while the VM was away fires on restore (absent: none). */
  count: Type.Optional(U32),
});
export type Pl031State = Static<typeof Pl031StateSchema>;

export class Pl031 implements BusDevice, Device {
  /** RTCDR = floor(wall clock) + offset (RTCLR writes move it). */
  private offset = 0;
  private mr = 0;
  private lr = 0;
  private imsc = 0;
  private ris = 0;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly irq: IrqLine,
    private readonly clock: RtcClock,
  ) {}

  private counter(): number {
    return (Math.floor(this.clock.now()) + this.offset) >>> 0;
  }

  private update(): void {
    this.irq.set((this.ris & this.imsc & 1) !== 0);
  }

  /**
   * Arms the timer for the match register, as QEMU's pl031_set_alarm: a match now raises the
   * interrupt at once, any other fires when the counter reaches it (MR − RTCDR seconds on, modulo 2^32).
   */
  private arm(): void {
    this.cancel?.();
    this.cancel = null;
    const delta = (this.mr - this.counter()) >>> 0;
    if (delta === 0) {
      this.match();
      return;
    }
    // The next whole second is when the counter next changes. Timers take at most 2^31-1 ms: a
    // farther match just re-checks after that long.
    const ms = (Math.floor(this.clock.now()) + 1 - this.clock.now()) * 1000 + (delta - 1) * 1000;
    this.cancel = this.clock.after(Math.min(Math.max(0, ms), 0x7fff_ffff), () => {
      this.cancel = null;
      // Reached, or just passed (the timer ran late): due. Otherwise not yet: wait again.
      if ((this.mr - this.counter()) >>> 0 > delta) this.match();
      else this.arm();
    });
  }

  /**
   * The wall-clock time (Unix seconds) at which the armed alarm raises the interrupt, or null
   * when none is armed with its interrupt unmasked (a host wakes a saved VM at this time).
   */
  pendingAlarm(): number | null {
    return Pl031.alarmOf(this.save(), this.clock.now());
  }

  /**
   * The same for a saved state (`now`: the wall-clock seconds it was saved at, else those its
   * counter implies): null when the interrupt is masked, already raised, or the match is more
   * than 2^31 seconds ahead (a match register the guest never set).
   */
  static alarmOf(s: Pl031State, now?: number): number | null {
    if ((s.imsc & 1) === 0 || (s.ris & 1) !== 0) return null;
    const count = s.count ?? 0;
    const delta = (s.mr - count) >>> 0;
    if (delta === 0 || delta >= 0x8000_0000) return null;
    const wall = now !== undefined ? Math.floor(now) : (count - s.offset) >>> 0;
    return wall + delta;
  }

  private match(): void {
    this.ris |= 1;
    this.update();
  }

  /** Whether MR lies in (from, to] of the counter (modulo 2^32): the match came while the VM was not running. */
  private passed(from: number, to: number): boolean {
    const d = (this.mr - from) >>> 0;
    return d !== 0 && d <= (to - from) >>> 0;
  }

  read(offset: number, _size: number): bigint {
    switch (offset) {
      case 0x000:
        return BigInt(this.counter());
      case 0x004:
        return BigInt(this.mr);
      case 0x008:
        return BigInt(this.lr);
      case 0x00c:
        return 1n; // always started
      case 0x010:
        return BigInt(this.imsc);
      case 0x014:
        return BigInt(this.ris);
      case 0x018:
        return BigInt(this.ris & this.imsc);
      default:
        if (offset >= 0xfe0 && offset < 0x1000) return BigInt(ID[(offset - 0xfe0) >> 2]);
        return 0n;
    }
  }

  write(offset: number, _size: number, value: bigint): void {
    const v = Number(value & 0xffff_ffffn);
    switch (offset) {
      case 0x004:
        this.mr = v;
        this.arm();
        break;
      case 0x008:
        this.lr = v;
        this.offset = v - Math.floor(this.clock.now());
        this.arm();
        break;
      case 0x010:
        this.imsc = v & 1;
        break;
      case 0x01c:
        this.ris &= ~v;
        break;
      default:
        return;
    }
    this.update();
  }

  /** System reset: the match alarm and interrupt cleared; the clock keeps its time (it is battery-backed). */
  reset(): void {
    this.close();
    this.mr = 0;
    this.imsc = 0;
    this.ris = 0;
    this.update();
  }

  private stoppedAt: number | null = null;

  /** Its alarm is on the VM's clock, which stops while paused; the counter (wall-clock time) does not. */
  stop(): void {
    this.stoppedAt = this.counter();
  }

  /** Wall-clock time moved on while paused: a match passed meanwhile fires now, others are re-aimed. */
  cont(): void {
    const from = this.stoppedAt;
    this.stoppedAt = null;
    if (!this.cancel) return;
    if (from !== null && this.passed(from, this.counter())) {
      this.close();
      this.match();
    } else this.arm();
  }

  suspend(): void {}

  wake(): void {}

  save(): Pl031State {
    return { version: 1, offset: this.offset, mr: this.mr, lr: this.lr, imsc: this.imsc, ris: this.ris, count: this.counter() };
  }

  restore(state: unknown): void {
    const s = state;
    validate(Pl031StateSchema, s, "rtc");
    ({ offset: this.offset, mr: this.mr, lr: this.lr, imsc: this.imsc, ris: this.ris } = s);
    // An alarm due while the VM was saved (a real RTC fires while the machine is off) fires now.
    if (typeof s.count === "number" && this.passed(s.count, this.counter())) this.match();
    else this.arm();
    this.update();
  }

  /** Stops the alarm timer (the VM is going away). */
  close(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
