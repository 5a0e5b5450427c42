// The GICv3 redistributors (GICR): per vCPU an RD_base frame and an SGI_base frame, 128 KiB in
// all, consecutive from 0x080A_0000 on QEMU virt.
import type { GicState, IrqState } from "./gic.ts";
import { IIDR, PIDR2_GICV3, readBits, readConfig, readPriorities, writeBits, writeConfig, writePriorities } from "./regs.ts";

export const GICR_STRIDE = 0x2_0000;

export class Redistributors {
  constructor(private readonly gic: GicState) {}

  /** Bytes of address space the redistributors of `n` vCPUs take. */
  static size(n: number): number {
    return n * GICR_STRIDE;
  }

  read(offset: number, size: number): bigint {
    const cpu = Math.floor(offset / GICR_STRIDE);
    const off = offset % GICR_STRIDE;
    const g = this.gic;
    const c = g.cpus[cpu];
    if (!c) return 0n;
    const priv = (intid: number): IrqState | null => (intid < 32 ? g.irq(cpu, intid) : null);
    if (off < 0x1_0000) {
      switch (off) {
        case 0x0000:
          return BigInt(c.rctlr);
        case 0x0004:
          return BigInt(IIDR);
        case 0x0008:
        case 0x000c: {
          // TYPER: Affinity_Value [63:32], Processor_Number [23:8], Last [4].
          const a = g.affinity[cpu];
          const aff = ((a >> 32n) << 24n) | (a & 0xff_ffffn);
          const typer = (aff << 32n) | (BigInt(cpu) << 8n) | (cpu === g.cpuCount - 1 ? 0x10n : 0n);
          if (size === 8) return typer;
          return off === 0x8 ? typer & 0xffff_ffffn : typer >> 32n;
        }
        case 0x0014:
          // WAKER: ChildrenAsleep (bit 2) follows ProcessorSleep (bit 1) at once.
          return c.sleep ? 6n : 0n;
        case 0xffe8:
          return BigInt(PIDR2_GICV3);
        default:
          return 0n;
      }
    }
    const s = off - 0x1_0000;
    let v = 0;
    if (s === 0x0080) v = readBits(priv, 0, (x) => x.group1);
    else if (s === 0x0100 || s === 0x0180) v = readBits(priv, 0, (x) => x.enabled);
    else if (s === 0x0200 || s === 0x0280) v = readBits(priv, 0, (x) => x.pendingLatch || (!x.edge && x.level));
    else if (s === 0x0300 || s === 0x0380) v = readBits(priv, 0, (x) => x.active);
    else if (s >= 0x0400 && s < 0x0420) v = readPriorities(priv, s - 0x400, size);
    else if (s === 0x0c00 || s === 0x0c04) v = readConfig(priv, ((s - 0xc00) / 4) * 16);
    return BigInt(v >>> 0);
  }

  write(offset: number, size: number, value: bigint): void {
    const cpu = Math.floor(offset / GICR_STRIDE);
    const off = offset % GICR_STRIDE;
    const g = this.gic;
    const c = g.cpus[cpu];
    if (!c) return;
    const v = Number(value & 0xffff_ffffn);
    const priv = (intid: number): IrqState | null => (intid < 32 ? g.irq(cpu, intid) : null);
    if (off < 0x1_0000) {
      if (off === 0x0014) c.sleep = (v & 2) !== 0;
      return;
    }
    const s = off - 0x1_0000;
    if (s === 0x0080)
      writeBits(priv, 0, v, (x, b) => {
        x.group1 = b;
      });
    else if (s === 0x0100)
      writeBits(priv, 0, v, (x, b) => {
        if (b) x.enabled = true;
      });
    else if (s === 0x0180)
      writeBits(priv, 0, v, (x, b) => {
        if (b) x.enabled = false;
      });
    else if (s === 0x0200)
      writeBits(priv, 0, v, (x, b) => {
        if (b) x.pendingLatch = true;
      });
    else if (s === 0x0280)
      writeBits(priv, 0, v, (x, b) => {
        if (b) x.pendingLatch = false;
      });
    else if (s === 0x0300)
      writeBits(priv, 0, v, (x, b) => {
        if (b) x.active = true;
      });
    else if (s === 0x0380)
      writeBits(priv, 0, v, (x, b) => {
        if (b) x.active = false;
      });
    else if (s >= 0x0400 && s < 0x0420) writePriorities(priv, s - 0x400, size, v);
    else if (s === 0x0c04) writeConfig(priv, 16, v);
    g.changed(cpu);
  }
}
