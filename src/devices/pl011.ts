// ARM PrimeCell PL011 UART (as QEMU models it): transmit to an output sink, receive from a
// FIFO fed by the host, and the RX/TX interrupts on one level-sensitive line.
import type { BusDevice, IrqLine } from "./types.ts";

const INT_RX = 1 << 4;
const INT_TX = 1 << 5;
const INT_RT = 1 << 6;
const FR_RXFE = 1 << 4;
const FR_TXFE = 1 << 7;
const FR_RXFF = 1 << 6;
const LCR_FEN = 1 << 4;
const FIFO_DEPTH = 16;
const ID = [0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/** Plain, versioned PL011 state. */
export interface Pl011State {
  version: 1;
  rx: number[];
  backlog: number[];
  ris: number;
  imsc: number;
  lcr: number;
  cr: number;
  ibrd: number;
  fbrd: number;
  ifls: number;
  ilpr: number;
}

export class Pl011 implements BusDevice {
  private rx: number[] = [];
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

  constructor(
    private readonly irq: IrqLine,
    private readonly output: (byte: number) => void,
  ) {}

  private update(): void {
    this.irq.set((this.ris & this.imsc) !== 0);
  }

  /** Bytes the host sends to the guest (console input); a wake source. Queued while the FIFO is full. */
  receive(bytes: Uint8Array | number[]): void {
    for (const b of bytes) this.backlog.push(b & 0xff);
    this.refill();
  }

  private refill(): void {
    const depth = this.lcr & LCR_FEN ? FIFO_DEPTH : 1;
    while (this.backlog.length && this.rx.length < depth) this.rx.push(this.backlog.shift() as number);
    if (this.rx.length) this.ris |= INT_RX | INT_RT;
    this.update();
  }

  /** Whether the guest can take more input now. */
  get canReceive(): boolean {
    return this.rx.length < (this.lcr & LCR_FEN ? FIFO_DEPTH : 1);
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
        let fr = FR_TXFE;
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
        this.output(v & 0xff);
        this.ris |= INT_TX;
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
        break;
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

  save(): Pl011State {
    return {
      version: 1,
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

  restore(s: Pl011State): void {
    if (s.version !== 1) throw new Error(`unsupported PL011 state version ${s.version}`);
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
    this.backlog = [...(s.backlog ?? [])];
    this.update();
  }
}
