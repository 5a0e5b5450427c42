// ARM PrimeCell PL011 UART (ARM DDI 0183): transmit through a 16-byte FIFO to a console sink
// that can push back (a full host stream fills the FIFO and FR.TXFF holds the guest, as a slow
// line does on hardware; TX interrupts when it drains), receive from a FIFO fed by the host as
// it frees (input is held, never dropped), and the RX/TX interrupts on one level-sensitive line.
import { Bits, ByteList, type Static, Struct, Type, U8, U16, validate } from "../schema/index.ts";
import { byteSink, type BusDevice, type ConsoleSink, type Device, type IrqLine } from "./types.ts";

const INT_RX = 1 << 4;
const INT_TX = 1 << 5;
const INT_RT = 1 << 6;
const FR_BUSY = 1 << 3;
const FR_RXFE = 1 << 4;
const FR_TXFF = 1 << 5;
const FR_RXFF = 1 << 6;
const FR_TXFE = 1 << 7;
const LCR_FEN = 1 << 4;
const FIFO_DEPTH = 16;
/** TXIFLSEL (IFLS[2:0]): the TX interrupt asserts at or below 1/8, 1/4, 1/2, 3/4 or 7/8 of the FIFO. */
const TX_TRIGGER = [2, 4, 8, 12, 14, 8, 8, 8];
const ID = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/** Host input a snapshot may hold for the guest (the CLI stops reading its input long before). */
const MAX_BACKLOG = 1 << 20;

/** Plain, versioned PL011 state. */
export const Pl011StateSchema = Struct({
  version: Type.Literal(1),
  /** The receive FIFO. */
  rx: ByteList(FIFO_DEPTH),
  /** Host input not yet in the FIFO. */
  backlog: ByteList(MAX_BACKLOG),
  ris: Bits(0x7ff),
  imsc: Bits(0x7ff),
  lcr: U8,
  cr: U16,
  ibrd: U16,
  fbrd: Bits(0x3f),
  ifls: Bits(0x3f),
  ilpr: U8,
  /** Output the guest wrote that the host had no room for yet (absent: none). */
  tx: Type.Optional(ByteList(FIFO_DEPTH)),
});
export type Pl011State = Static<typeof Pl011StateSchema>;

export class Pl011 implements BusDevice, Device {
  private rx: number[] = [];
  private tx: number[] = [];
  /** The sink said it is full: output waits in the TX FIFO until it drains. */
  private blocked = false;
  private readonly sink: ConsoleSink;
  /** Host input waiting for room in the receive FIFO (so pasted text is not lost). */
  private backlog: number[] = [];
  private ris = 0;
  private imsc = 0;
  private lcr = 0;
  private cr = 0x300;
  private ibrd = 0;
  private fbrd = 0;
  private ifls = 0x12;
  private ilpr = 0;

  /** `output`: the console sink, or a function taking each byte (a sink that never pushes back). */
  constructor(
    private readonly irq: IrqLine,
    output: ConsoleSink | ((byte: number) => void),
  ) {
    this.sink = typeof output === "function" ? byteSink(output) : output;
    this.sink.onDrain(() => {
      this.blocked = false;
      this.pump();
      this.update();
    });
  }

  private get depth(): number {
    return this.lcr & LCR_FEN ? FIFO_DEPTH : 1;
  }

  /** Moves the TX FIFO to the sink while it has room; TXRIS then follows the FIFO's level. */
  private pump(): void {
    if (!this.blocked && this.tx.length) {
      const bytes = Uint8Array.from(this.tx);
      this.tx = [];
      if (!this.sink.write(bytes)) this.blocked = true;
    }
    const trigger = this.lcr & LCR_FEN ? TX_TRIGGER[this.ifls & 7] : 0;
    if (this.tx.length <= trigger) this.ris |= INT_TX;
    else this.ris &= ~INT_TX;
  }

  /** Whether the host has pushed back and output is being held. */
  get outputHeld(): boolean {
    return this.blocked;
  }

  private update(): void {
    this.irq.set((this.ris & this.imsc) !== 0);
  }

  /** Bytes the host sends to the guest (console input); a wake source. Queued while the FIFO is full. */
  receive(bytes: Uint8Array | number[]): void {
    for (const b of bytes) this.backlog.push(b & 0xff);
    this.refill();
  }

  private refill(): void {
    const depth = this.depth;
    while (this.backlog.length && this.rx.length < depth) this.rx.push(this.backlog.shift() as number);
    if (this.rx.length) this.ris |= INT_RX | INT_RT;
    this.update();
  }

  /** Whether the guest can take more input now. */
  get canReceive(): boolean {
    return this.rx.length < this.depth;
  }

  /** Host input not yet in the receive FIFO. */
  get pendingInput(): number {
    return this.backlog.length;
  }

  read(offset: number, _size: number): bigint {
    switch (offset) {
      case 0x000: {
        const b = this.rx.shift() ?? 0;
        if (!this.rx.length) this.ris &= ~(INT_RX | INT_RT);
        this.refill();
        return BigInt(b);
      }
      case 0x018: {
        let fr = this.tx.length ? FR_BUSY : FR_TXFE;
        if (this.tx.length >= this.depth) fr |= FR_TXFF;
        if (!this.rx.length) fr |= FR_RXFE;
        if (!this.canReceive) fr |= FR_RXFF;
        return BigInt(fr);
      }
      case 0x020:
        return BigInt(this.ilpr);
      case 0x024:
        return BigInt(this.ibrd);
      case 0x028:
        return BigInt(this.fbrd);
      case 0x02c:
        return BigInt(this.lcr);
      case 0x030:
        return BigInt(this.cr);
      case 0x034:
        return BigInt(this.ifls);
      case 0x038:
        return BigInt(this.imsc);
      case 0x03c:
        return BigInt(this.ris);
      case 0x040:
        return BigInt(this.ris & this.imsc);
      default:
        if (offset >= 0xfe0 && offset < 0x1000) return BigInt(ID[(offset - 0xfe0) >> 2]);
        return 0n;
    }
  }

  write(offset: number, _size: number, value: bigint): void {
    const v = Number(value & 0xffff_ffffn);
    switch (offset) {
      case 0x000:
        // A write to a full FIFO is lost, as on hardware (drivers wait for TXFF to clear).
        if (this.tx.length < this.depth) this.tx.push(v & 0xff);
        this.pump();
        break;
      case 0x020:
        this.ilpr = v & 0xff;
        return;
      case 0x024:
        this.ibrd = v & 0xffff;
        return;
      case 0x028:
        this.fbrd = v & 0x3f;
        return;
      case 0x02c:
        // Turning the FIFO off or on empties it, as on hardware.
        if ((this.lcr ^ v) & LCR_FEN) this.rx = [];
        this.lcr = v & 0xff;
        // Host input waiting behind the flushed FIFO was never received: it moves in now.
        this.refill();
        return;
      case 0x030:
        this.cr = v & 0xffff;
        return;
      case 0x034:
        this.ifls = v & 0x3f;
        return;
      case 0x038:
        this.imsc = v & 0x7ff;
        break;
      case 0x044:
        this.ris &= ~v;
        break;
      default:
        return;
    }
    this.update();
  }

  /** System reset: registers to their reset values, FIFOs empty (held host input stays: it was never received). */
  reset(): void {
    this.rx = [];
    this.tx = [];
    this.ris = 0;
    this.imsc = 0;
    this.lcr = 0;
    this.cr = 0x300;
    this.ibrd = 0;
    this.fbrd = 0;
    this.ifls = 0x12;
    this.ilpr = 0;
    this.refill();
  }

  stop(): void {}

  cont(): void {}

  suspend(): void {}

  wake(): void {}

  close(): void {}

  save(): Pl011State {
    return {
      version: 1,
      tx: [...this.tx],
      rx: [...this.rx],
      backlog: [...this.backlog],
      ris: this.ris,
      imsc: this.imsc,
      lcr: this.lcr,
      cr: this.cr,
      ibrd: this.ibrd,
      fbrd: this.fbrd,
      ifls: this.ifls,
      ilpr: this.ilpr,
    };
  }

  restore(state: unknown): void {
    const s = state;
    validate(Pl011StateSchema, s, "uart");
    const typed = [...this.rx, ...this.backlog];
    ({
      ris: this.ris,
      imsc: this.imsc,
      lcr: this.lcr,
      cr: this.cr,
      ibrd: this.ibrd,
      fbrd: this.fbrd,
      ifls: this.ifls,
      ilpr: this.ilpr,
    } = s);
    this.rx = [...s.rx];
    // Input the host sent before the restore (typed while the snapshot was read) stays, after what was held then.
    this.backlog = [...(s.backlog ?? []), ...typed];
    this.tx = [...(s.tx ?? [])];
    // Output held when the VM was saved goes out now (its TX interrupt follows when it has).
    if (this.tx.length) this.pump();
    if (this.backlog.length) this.refill();
    else this.update();
  }
}
