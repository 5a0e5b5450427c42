// The ARM generic timer: the VM's counter (host monotonic clock, or deterministic time derived
// from retired instructions), and each vCPU's virtual and physical EL1 timers and CNTKCTL. The
// counter stops while the VM is paused (freeze/thaw), as QEMU's does on Arm: a paused guest
// does not see the pause as time that passed.
import { BigBits, BigRange, require, type Static, Struct, Type, U64, validate } from "../schema/index.ts";
import { MAX_VCPUS } from "./constants.ts";

/** Counter frequency (CNTFRQ_EL0), as QEMU's virt board: 62.5 MHz. */
export const CNTFRQ = 62_500_000n;
/** Deterministic clock: counter ticks per retired instruction is 1/INSNS_PER_TICK (≈1 G insn/s). */
export const INSNS_PER_TICK = 16n;

// System-register keys (op0:op1:CRn:CRm:op2) the timer owns.
export enum TimerReg {
  CNTKCTL_EL1 = 0xc708,
  CNTFRQ_EL0 = 0xdf00,
  CNTPCT_EL0 = 0xdf01,
  CNTVCT_EL0 = 0xdf02,
  CNTP_TVAL_EL0 = 0xdf10,
  CNTP_CTL_EL0 = 0xdf11,
  CNTP_CVAL_EL0 = 0xdf12,
  CNTV_TVAL_EL0 = 0xdf18,
  CNTV_CTL_EL0 = 0xdf19,
  CNTV_CVAL_EL0 = 0xdf1a,
}

const M64 = (1n << 64n) - 1n;
const QUIET: readonly [boolean, boolean] = [false, false];

/** One vCPU's timer registers. */
const VcpuTimerSchema = Struct({
  cntkctl: BigBits(0x3ffn),
  /** CNTV_CTL: ENABLE, IMASK (ISTATUS is computed). */
  vctl: BigBits(3n),
  vcval: U64,
  pctl: BigBits(3n),
  pcval: U64,
});
export type VcpuTimerState = Static<typeof VcpuTimerSchema>;

/** Plain, versioned timer state for snapshots. */
export const TimerSnapshotSchema = Struct({
  version: Type.Literal(1),
  counter: U64,
  /** CNTVCT = counter − cntvoff: restores shift it by the new counter's start, so it may be negative. */
  cntvoff: BigRange(-(1n << 65n), 1n << 65n),
  vcpus: Type.Array(VcpuTimerSchema, { maxItems: MAX_VCPUS }),
});
export type TimerSnapshot = Static<typeof TimerSnapshotSchema>;

/** Checks a timer state for a VM of `cpus` vCPUs. */
export function checkTimerSnapshot(s: unknown, cpus: number, what = "timers"): asserts s is TimerSnapshot {
  validate(TimerSnapshotSchema, s, what);
  require(s.vcpus.length === cpus, `${what}.vcpus: timers of ${s.vcpus.length} vCPUs, this VM has ${cpus}`);
}

export type ClockMode = "host" | "deterministic";

interface HasId {
  readonly id: number;
}

export class Timers {
  private readonly regs: VcpuTimerState[] = [];
  /** Virtual offset: CNTVCT = counter − cntvoff. */
  cntvoff = 0n;
  /** Deterministic mode: retired instructions of the whole VM plus idle skips, in ticks. */
  private detTicks = 0n;
  private detRemainder = 0n;
  /** Host mode: monotonic nanoseconds at counter zero. */
  private hostBase: bigint;
  /** Host mode, while frozen: the monotonic time the counter stopped at. */
  private frozenAt: bigint | null = null;
  private lastInstret = new Map<number, bigint>();

  /** `monotonicNs`: the host's monotonic clock in nanoseconds (host mode's time base). */
  constructor(
    readonly mode: ClockMode,
    private readonly instret: (vcpu: HasId) => bigint,
    private readonly monotonicNs: () => bigint,
  ) {
    this.hostBase = monotonicNs();
  }

  private of(v: HasId): VcpuTimerState {
    let r = this.regs[v.id];
    if (!r) {
      r = { cntkctl: 0n, vctl: 0n, vcval: 0n, pctl: 0n, pcval: 0n };
      this.regs[v.id] = r;
    }
    return r;
  }

  /** The physical counter now. */
  counter(): bigint {
    if (this.mode === "deterministic") return this.detTicks;
    return (((this.frozenAt ?? this.monotonicNs()) - this.hostBase) * CNTFRQ) / 1_000_000_000n;
  }

  /** Whether the counter is stopped (the VM is paused). */
  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  /**
   * Stops the counter (the VM pauses). Deterministic time stands still anyway while nothing
   * runs; host time is held at this instant until thaw().
   */
  freeze(): void {
    if (this.mode === "host" && this.frozenAt === null) this.frozenAt = this.monotonicNs();
  }

  /** Restarts the counter from where freeze() held it (the VM resumes). */
  thaw(): void {
    if (this.frozenAt === null) return;
    this.hostBase += this.monotonicNs() - this.frozenAt;
    this.frozenAt = null;
  }

  /** Resets a vCPU's timers (vCPU reset). */
  reset(v: HasId): void {
    this.regs[v.id] = { cntkctl: 0n, vctl: 0n, vcval: 0n, pctl: 0n, pcval: 0n };
    this.lastInstret.set(v.id, this.instret(v));
  }

  /** Deterministic mode: adds the instructions the vCPU retired since the last call to the clock. */
  account(v: HasId): void {
    if (this.mode !== "deterministic") return;
    const now = this.instret(v);
    const prev = this.lastInstret.get(v.id) ?? now;
    this.lastInstret.set(v.id, now);
    const total = this.detRemainder + (now - prev);
    this.detTicks += total / INSNS_PER_TICK;
    this.detRemainder = total % INSNS_PER_TICK;
  }

  /** Deterministic mode: all vCPUs are idle until `ticks`; time jumps there. */
  skipTo(ticks: bigint): void {
    if (this.mode === "deterministic" && ticks > this.detTicks) {
      this.detTicks = ticks;
      this.detRemainder = 0n;
    }
  }

  private static istatus(ctl: bigint, cval: bigint, cnt: bigint): boolean {
    return (ctl & 1n) !== 0n && cnt >= cval;
  }

  /** The timer PPIs' levels for a vCPU: [virtual, physical]. */
  lines(v: HasId): readonly [boolean, boolean] {
    const r = this.of(v);
    // Neither timer enabled and unmasked: no need to read the counter.
    if ((r.vctl & 3n) !== 1n && (r.pctl & 3n) !== 1n) return QUIET;
    const cnt = this.counter();
    const virt = Timers.istatus(r.vctl, r.vcval, cnt - this.cntvoff) && (r.vctl & 2n) === 0n;
    const phys = Timers.istatus(r.pctl, r.pcval, cnt) && (r.pctl & 2n) === 0n;
    return [virt, phys];
  }

  /** Whether either timer of the vCPU is asserting its interrupt. */
  firing(v: HasId): boolean {
    const [a, b] = this.lines(v);
    return a || b;
  }

  /** Counter value of the earliest enabled, unmasked timer deadline of a vCPU, or null. */
  nextDeadlineTicks(v: HasId): bigint | null {
    const r = this.of(v);
    let best: bigint | null = null;
    if ((r.vctl & 3n) === 1n) best = r.vcval + this.cntvoff;
    if ((r.pctl & 3n) === 1n && (best === null || r.pcval < best)) best = r.pcval;
    return best;
  }

  /** Deterministic mode: caps a run slice so it ends at the vCPU's next deadline. */
  sliceBudget(v: HasId, max: number): number {
    if (this.mode !== "deterministic") return max;
    const t = this.nextDeadlineTicks(v);
    if (t === null) return max;
    const now = this.counter();
    if (t <= now) return Math.min(max, 1024);
    const insns = (t - now) * INSNS_PER_TICK;
    return insns < BigInt(max) ? Math.max(1, Number(insns)) : max;
  }

  /** Reads a timer register for the vCPU at exception level `el`; null when the access is not allowed. */
  read(v: HasId, key: number, el: number): bigint | null {
    const r = this.of(v);
    const cnt = this.counter();
    if (el === 0 && !this.el0Allowed(r, key)) return null;
    switch (key) {
      case TimerReg.CNTKCTL_EL1:
        return el === 0 ? null : r.cntkctl;
      case TimerReg.CNTFRQ_EL0:
        return CNTFRQ;
      case TimerReg.CNTPCT_EL0:
        return cnt;
      case TimerReg.CNTVCT_EL0:
        return (cnt - this.cntvoff) & M64;
      case TimerReg.CNTV_CTL_EL0:
        return r.vctl | (Timers.istatus(r.vctl, r.vcval, cnt - this.cntvoff) ? 4n : 0n);
      case TimerReg.CNTV_CVAL_EL0:
        return r.vcval;
      case TimerReg.CNTV_TVAL_EL0:
        return (r.vcval - (cnt - this.cntvoff)) & 0xffff_ffffn;
      case TimerReg.CNTP_CTL_EL0:
        return r.pctl | (Timers.istatus(r.pctl, r.pcval, cnt) ? 4n : 0n);
      case TimerReg.CNTP_CVAL_EL0:
        return r.pcval;
      case TimerReg.CNTP_TVAL_EL0:
        return (r.pcval - cnt) & 0xffff_ffffn;
      default:
        return null;
    }
  }

  /** Writes a timer register; false when the access is not allowed (UNDEFINED). */
  write(v: HasId, key: number, el: number, value: bigint): boolean {
    const r = this.of(v);
    if (el === 0 && !this.el0Allowed(r, key)) return false;
    const cnt = this.counter();
    const sext32 = (x: bigint) => BigInt.asIntN(32, x & 0xffff_ffffn);
    switch (key) {
      case TimerReg.CNTKCTL_EL1:
        if (el === 0) return false;
        r.cntkctl = value & 0x3ffn;
        return true;
      case TimerReg.CNTV_CTL_EL0:
        r.vctl = value & 3n;
        return true;
      case TimerReg.CNTV_CVAL_EL0:
        r.vcval = value & M64;
        return true;
      case TimerReg.CNTV_TVAL_EL0:
        r.vcval = (cnt - this.cntvoff + sext32(value)) & M64;
        return true;
      case TimerReg.CNTP_CTL_EL0:
        r.pctl = value & 3n;
        return true;
      case TimerReg.CNTP_CVAL_EL0:
        r.pcval = value & M64;
        return true;
      case TimerReg.CNTP_TVAL_EL0:
        r.pcval = (cnt + sext32(value)) & M64;
        return true;
      default:
        return false;
    }
  }

  private el0Allowed(r: VcpuTimerState, key: number): boolean {
    const k = r.cntkctl;
    switch (key) {
      case TimerReg.CNTPCT_EL0:
        return (k & 1n) !== 0n;
      case TimerReg.CNTVCT_EL0:
      case TimerReg.CNTFRQ_EL0:
        return (k & 3n) !== 0n;
      case TimerReg.CNTV_CTL_EL0:
      case TimerReg.CNTV_CVAL_EL0:
      case TimerReg.CNTV_TVAL_EL0:
        return (k & (1n << 8n)) !== 0n;
      case TimerReg.CNTP_CTL_EL0:
      case TimerReg.CNTP_CVAL_EL0:
      case TimerReg.CNTP_TVAL_EL0:
        return (k & (1n << 9n)) !== 0n;
      default:
        return false;
    }
  }

  /** Plain data for snapshots. */
  save(): TimerSnapshot {
    const vcpus = Array.from(this.regs, (r) => ({ ...(r ?? { cntkctl: 0n, vctl: 0n, vcval: 0n, pctl: 0n, pcval: 0n }) }));
    return { version: 1, counter: this.counter(), cntvoff: this.cntvoff, vcpus };
  }

  /**
   * Restores a snapshot. The counter continues from the saved value: the virtual offset is
   * adjusted so the guest's virtual counter neither jumps nor runs backwards.
   */
  restore(s: unknown, cpus: number): void {
    checkTimerSnapshot(s, cpus);
    const now = this.counter();
    this.cntvoff = s.cntvoff + (now - s.counter);
    s.vcpus.forEach((r, i) => {
      this.regs[i] = { ...r };
    });
  }
}
