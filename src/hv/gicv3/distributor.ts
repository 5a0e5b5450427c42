// The GICv3 distributor frame (GICD, 64 KiB at 0x0800_0000 on QEMU virt).
import type { GicState, IrqState } from "./gic.ts";
import { IIDR, PIDR2_GICV3, readBits, readConfig, readPriorities, writeBits, writeConfig, writePriorities } from "./regs.ts";

export const GICD_SIZE = 0x1_0000;

export class Distributor {
  constructor(private readonly gic: GicState) {}

  private spi = (intid: number): IrqState | null => (intid >= 32 ? this.gic.irq(0, intid) : null);

  private changed(): void {
    for (let c = 0; c < this.gic.cpuCount; c++) this.gic.changed(c);
  }

  read(offset: number, size: number): bigint {
    const g = this.gic;
    if (offset >= 0x6100 && offset < 0x7fe0) {
      // GICD_IROUTER<n> (64-bit, n ≥ 32).
      const n = (offset - 0x6000) >> 3;
      const s = this.spi(n);
      const v = s ? s.route : 0n;
      return offset & 4 ? v >> 32n : size === 8 ? v : v & 0xffff_ffffn;
    }
    const word = (reg: number) => Math.floor((offset - reg) / 4) * 32;
    let v: number;
    if (offset === 0x0000)
      v = g.ctlr | 0x50; // ARE_NS (bit 4) and DS (bit 6) read as one
    else if (offset === 0x0004)
      v = ((g.nSpis + 32) / 32 - 1) | (9 << 19); // ITLinesNumber, IDbits = 9 (10 bits)
    else if (offset === 0x0008) v = IIDR;
    else if (offset === 0xffe8) v = PIDR2_GICV3;
    else if (offset >= 0x0080 && offset < 0x0100) v = readBits(this.spi, word(0x80), (s) => s.group1);
    else if (offset >= 0x0100 && offset < 0x0200) v = readBits(this.spi, word(offset < 0x180 ? 0x100 : 0x180), (s) => s.enabled);
    else if (offset >= 0x0200 && offset < 0x0300)
      v = readBits(this.spi, word(offset < 0x280 ? 0x200 : 0x280), (s) => s.pendingLatch || (!s.edge && s.level));
    else if (offset >= 0x0300 && offset < 0x0400) v = readBits(this.spi, word(offset < 0x380 ? 0x300 : 0x380), (s) => s.active);
    else if (offset >= 0x0400 && offset < 0x0800) v = readPriorities(this.spi, offset - 0x400, size);
    else if (offset >= 0x0c00 && offset < 0x0d00) v = readConfig(this.spi, ((offset - 0xc00) / 4) * 16);
    else v = 0; // IGRPMODR (security disabled), reserved and unimplemented: RAZ
    return BigInt(v >>> 0);
  }

  write(offset: number, size: number, value: bigint): void {
    const g = this.gic;
    if (offset >= 0x6100 && offset < 0x7fe0) {
      const s = this.spi((offset - 0x6000) >> 3);
      if (s) {
        const mask = 0xff_80ff_ffffn;
        if (size === 8) s.route = value & mask;
        else if (offset & 4) s.route = (s.route & 0xffff_ffffn) | ((value << 32n) & mask);
        else s.route = (s.route & ~0xffff_ffffn) | (value & 0x80ff_ffffn);
      }
      this.changed();
      return;
    }
    const v = Number(value & 0xffff_ffffn);
    const word = (reg: number) => Math.floor((offset - reg) / 4) * 32;
    if (offset === 0x0000) g.ctlr = v & 3;
    else if (offset >= 0x0080 && offset < 0x0100)
      writeBits(this.spi, word(0x80), v, (s, b) => {
        s.group1 = b;
      });
    else if (offset >= 0x0100 && offset < 0x0180)
      writeBits(this.spi, word(0x100), v, (s, b) => {
        if (b) s.enabled = true;
      });
    else if (offset >= 0x0180 && offset < 0x0200)
      writeBits(this.spi, word(0x180), v, (s, b) => {
        if (b) s.enabled = false;
      });
    else if (offset >= 0x0200 && offset < 0x0280)
      writeBits(this.spi, word(0x200), v, (s, b) => {
        if (b) s.pendingLatch = true;
      });
    else if (offset >= 0x0280 && offset < 0x0300)
      writeBits(this.spi, word(0x280), v, (s, b) => {
        if (b) s.pendingLatch = false;
      });
    else if (offset >= 0x0300 && offset < 0x0380)
      writeBits(this.spi, word(0x300), v, (s, b) => {
        if (b) s.active = true;
      });
    else if (offset >= 0x0380 && offset < 0x0400)
      writeBits(this.spi, word(0x380), v, (s, b) => {
        if (b) s.active = false;
      });
    else if (offset >= 0x0400 && offset < 0x0800) writePriorities(this.spi, offset - 0x400, size, v);
    else if (offset >= 0x0c00 && offset < 0x0d00) writeConfig(this.spi, ((offset - 0xc00) / 4) * 16, v);
    this.changed();
  }
}
