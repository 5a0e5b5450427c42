// ARM PrimeCell PL061 GPIO (ARM DDI 0190B): eight pins, data access through the address-bus
// mask, per-pin edge (single or both) and level interrupt detection, combined into one line.
// On the virt board pin 3 is the gpio-keys power button, a wake source from suspend.
import { type Static, StateError, Struct, Type, U8, validate } from "../schema/index.ts";
import type { BusDevice, Device, IrqLine } from "./types.ts";

/** PrimeCell peripheral and cell ID registers, 0xFE0..0xFFC (part 0x061, ARM, rev 1), as QEMU's pl061. */
const ID = [0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/** Register offsets (DDI 0190B §3.2). GPIODATA is 0x000..0x3FC, offset bits [9:2] masking the pins. */
export const enum Pl061Reg {
  DIR = 0x400,
  IS = 0x404,
  IBE = 0x408,
  IEV = 0x40c,
  IE = 0x410,
  RIS = 0x414,
  MIS = 0x418,
  IC = 0x41c,
  AFSEL = 0x420,
}

/** The number of GPIO pins. */
export const PL061_PINS = 8;

/** Thrown for a bad host-side request (pin number, saved state); guest accesses never throw. */
export class Pl061Error extends StateError {}

/** Plain, versioned PL061 state. All fields are 8-bit pin masks. */
export const Pl061StateSchema = Struct({
  version: Type.Literal(1),
  /** GPIODATA as written (drives the pins configured as outputs). */
  out: U8,
  /** The levels driven into the pins from outside (`setInput`). */
  in: U8,
  dir: U8,
  is: U8,
  ibe: U8,
  iev: U8,
  ie: U8,
  /** Latched edge-detected interrupts (level interrupts are computed from the pins). */
  edges: U8,
  afsel: U8,
});
export type Pl061State = Static<typeof Pl061StateSchema>;

export class Pl061 implements BusDevice, Device {
  private out = 0;
  private in = 0;
  private dir = 0;
  private is = 0;
  private ibe = 0;
  private iev = 0;
  private ie = 0;
  private edges = 0;
  private afsel = 0;

  constructor(private readonly irq: IrqLine) {}

  /** The pins' levels: outputs driven from GPIODATA, inputs from outside. */
  private pins(): number {
    return (this.out & this.dir) | (this.in & ~this.dir & 0xff);
  }

  /**
   * GPIORIS: latched edges, plus level-sensitive pins at their active level (GPIOIEV selects high
   * or low). A level interrupt follows the pin; GPIOIC cannot clear it while the level persists.
   */
  private raw(): number {
    const active = ~(this.pins() ^ this.iev) & 0xff;
    return this.edges | (active & this.is);
  }

  /** Latches edge interrupts for pins whose level went from `before` to the current one. */
  private detect(before: number): void {
    const now = this.pins();
    const changed = (before ^ now) & ~this.is & 0xff;
    if (!changed) return;
    // Both edges (GPIOIBE) catch any change; otherwise GPIOIEV picks rising (1) or falling (0).
    const wanted = this.ibe | ~(now ^ this.iev);
    this.edges |= changed & wanted & 0xff;
  }

  private update(): void {
    this.irq.set((this.raw() & this.ie) !== 0);
  }

  /** Drives input pin `pin` (0..7) from outside the chip; pins configured as outputs ignore it until turned into inputs. */
  setInput(pin: number, level: boolean): void {
    if (!Number.isInteger(pin) || pin < 0 || pin >= PL061_PINS) throw new Pl061Error(`PL061 has no pin ${pin}`);
    const before = this.pins();
    if (level) this.in |= 1 << pin;
    else this.in &= ~(1 << pin);
    this.detect(before);
    this.update();
  }

  /** The level of every pin as seen on the pads (bit n = pin n). */
  levels(): number {
    return this.pins();
  }

  read(offset: number, _size: number): bigint {
    if (offset < 0x400) return BigInt(this.pins() & ((offset >> 2) & 0xff));
    switch (offset) {
      case Pl061Reg.DIR:
        return BigInt(this.dir);
      case Pl061Reg.IS:
        return BigInt(this.is);
      case Pl061Reg.IBE:
        return BigInt(this.ibe);
      case Pl061Reg.IEV:
        return BigInt(this.iev);
      case Pl061Reg.IE:
        return BigInt(this.ie);
      case Pl061Reg.RIS:
        return BigInt(this.raw());
      case Pl061Reg.MIS:
        return BigInt(this.raw() & this.ie);
      case Pl061Reg.AFSEL:
        return BigInt(this.afsel);
      default:
        if (offset >= 0xfe0 && offset < 0x1000) return BigInt(ID[(offset - 0xfe0) >> 2]);
        return 0n;
    }
  }

  write(offset: number, _size: number, value: bigint): void {
    const v = Number(value & 0xffn);
    const before = this.pins();
    if (offset < 0x400) {
      // Only the pins selected by address bits [9:2] change, and only outputs drive the pad.
      const mask = (offset >> 2) & 0xff;
      this.out = (this.out & ~mask) | (v & mask);
    } else {
      switch (offset) {
        case Pl061Reg.DIR:
          this.dir = v;
          break;
        case Pl061Reg.IS:
          this.is = v;
          break;
        case Pl061Reg.IBE:
          this.ibe = v;
          break;
        case Pl061Reg.IEV:
          this.iev = v;
          break;
        case Pl061Reg.IE:
          this.ie = v;
          break;
        case Pl061Reg.IC:
          this.edges &= ~v;
          break;
        case Pl061Reg.AFSEL:
          this.afsel = v;
          break;
        default:
          return;
      }
    }
    this.detect(before);
    this.update();
  }

  /** The power-on state (DDI 0190B: every register zero, all pins inputs). Inputs driven from outside stay. */
  reset(): void {
    this.out = this.dir = this.is = this.ibe = this.iev = this.ie = this.edges = this.afsel = 0;
    this.update();
  }

  /** Nothing of its own runs between guest accesses. */
  stop(): void {}

  cont(): void {}

  suspend(): void {}

  wake(): void {}

  close(): void {}

  save(): Pl061State {
    const { out, in: input, dir, is, ibe, iev, ie, edges, afsel } = this;
    return { version: 1, out, in: input, dir, is, ibe, iev, ie, edges, afsel };
  }

  /** Restores save()'s state; a StateError naming the field when it is malformed or out of range. */
  restore(s: unknown): void {
    validate(Pl061StateSchema, s, "devices.gpio", Pl061Error);
    ({
      out: this.out,
      in: this.in,
      dir: this.dir,
      is: this.is,
      ibe: this.ibe,
      iev: this.iev,
      ie: this.ie,
      edges: this.edges,
      afsel: this.afsel,
    } = s);
    this.update();
  }
}
