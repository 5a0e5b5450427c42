// The GICv3 CPU interface as system registers (ICC_*_EL1), reached through the core's
// system-register callouts. Keys are op0:op1:CRn:CRm:op2 as in MRS/MSR.
import type { GicState } from "./gic.ts";

export enum IccReg {
  PMR = 0xc230, // 3,0,4,6,0
  IAR0 = 0xc640, // 3,0,12,8,0
  EOIR0 = 0xc641,
  HPPIR0 = 0xc642,
  BPR0 = 0xc643,
  AP0R0 = 0xc644,
  AP1R0 = 0xc648, // 3,0,12,9,0
  DIR = 0xc659, // 3,0,12,11,1
  RPR = 0xc65b,
  SGI1R = 0xc65d,
  ASGI1R = 0xc65e,
  SGI0R = 0xc65f,
  IAR1 = 0xc660, // 3,0,12,12,0
  EOIR1 = 0xc661,
  HPPIR1 = 0xc662,
  BPR1 = 0xc663,
  CTLR = 0xc664,
  SRE = 0xc665,
  IGRPEN0 = 0xc666,
  IGRPEN1 = 0xc667,
}

/** Whether a key belongs to the CPU interface. */
export function isIccReg(key: number): boolean {
  return key === IccReg.PMR || ((key & 0xff80) === 0xc600 && ((key >> 3) & 15) >= 8);
}

export class CpuInterface {
  constructor(private readonly gic: GicState) {}

  /** Reads an ICC register for `cpu`; null when it does not exist (UNDEFINED). */
  read(cpu: number, key: number): bigint | null {
    const g = this.gic;
    const c = g.cpus[cpu];
    switch (key) {
      case IccReg.PMR:
        return BigInt(c.pmr);
      case IccReg.IAR1:
        return BigInt(g.acknowledge(cpu, true));
      case IccReg.IAR0:
        return BigInt(g.acknowledge(cpu, false));
      case IccReg.HPPIR1:
      case IccReg.HPPIR0: {
        const i = g.hppi(cpu);
        const s = i >= 0 ? g.irq(cpu, i) : null;
        return BigInt(s && s.group1 === (key === IccReg.HPPIR1) ? i : 1023);
      }
      case IccReg.BPR0:
        return BigInt(c.bpr0);
      case IccReg.BPR1:
        return BigInt(c.ctlr & 1 ? Math.min(c.bpr0 + 1, 7) : c.bpr1);
      case IccReg.CTLR:
        // PRIbits = 4 (5 bits of priority), IDbits = 0 (16-bit INTIDs), A3V = 0, SEIS = 0.
        return BigInt(c.ctlr | (4 << 8));
      case IccReg.SRE:
        return 7n; // SRE, DFB, DIB: system-register interface only
      case IccReg.IGRPEN0:
        return c.grpen0 ? 1n : 0n;
      case IccReg.IGRPEN1:
        return c.grpen1 ? 1n : 0n;
      case IccReg.RPR: {
        const r = g.runningPriority(cpu);
        return BigInt(Math.min(r, 0xff));
      }
      case IccReg.AP0R0:
      case IccReg.AP1R0: {
        // One bit per active group priority (5 priority bits → 32 levels, bit = prio >> 3).
        let v = 0;
        for (const p of c.activePrio) v |= 1 << (p >> 3);
        return BigInt(v >>> 0);
      }
      default:
        return null;
    }
  }

  /** Writes an ICC register for `cpu`; false when it does not exist or is read-only (UNDEFINED). */
  write(cpu: number, key: number, value: bigint): boolean {
    const g = this.gic;
    const c = g.cpus[cpu];
    const v = Number(value & 0xffff_ffffn);
    switch (key) {
      case IccReg.PMR:
        c.pmr = v & 0xf8;
        break;
      case IccReg.EOIR1:
      case IccReg.EOIR0:
        g.endOfInterrupt(cpu, v & 0xff_ffff);
        return true;
      case IccReg.DIR:
        g.deactivate(cpu, v & 0xff_ffff);
        return true;
      case IccReg.BPR0:
        c.bpr0 = Math.max(2, v & 7);
        break;
      case IccReg.BPR1:
        if ((c.ctlr & 1) === 0) c.bpr1 = Math.max(3, v & 7);
        break;
      case IccReg.CTLR:
        c.ctlr = v & 3;
        break;
      case IccReg.SRE:
        return true;
      case IccReg.IGRPEN0:
        c.grpen0 = (v & 1) === 1;
        break;
      case IccReg.IGRPEN1:
        c.grpen1 = (v & 1) === 1;
        break;
      case IccReg.SGI1R:
      case IccReg.ASGI1R:
      case IccReg.SGI0R:
        g.generateSgi(cpu, value);
        return true;
      case IccReg.AP0R0:
      case IccReg.AP1R0:
        return true;
      default:
        return false;
    }
    g.changed(cpu);
    return true;
  }
}
