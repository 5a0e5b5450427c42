// GICv3 interrupt state and prioritisation: SGIs and PPIs per redistributor (per vCPU), SPIs in
// the distributor, the CPU interfaces' priority mask, running priority and active-priority
// stacks. Affinity routing is always on and security is disabled (GICD_CTLR.DS = 1), as a
// KVM guest sees it. No LPIs/ITS. MMIO frames are in distributor.ts and redistributor.ts, the
// ICC_* system registers in cpu-interface.ts.

import { BigBits, Bits, Int, require, type Static, Struct, Type, validate } from "../../schema/index.ts";
import { MAX_VCPUS } from "../constants.ts";

/** INTIDs the generic timer uses (QEMU virt / KVM): virtual timer PPI 11, physical PPI 14. */
export const PPI_VIRT_TIMER = 27;
export const PPI_PHYS_TIMER = 30;
/** Spurious INTID returned by IAR when nothing is pending. */
export const INTID_SPURIOUS = 1023;

/** Per-interrupt state. */
export interface IrqState {
  enabled: boolean;
  /** Software-set pending (ISPENDR, SGIs, edge triggers). */
  pendingLatch: boolean;
  /** Input line level (level-sensitive interrupts are pending while it is high). */
  level: boolean;
  active: boolean;
  priority: number;
  /** Group 1 (what Linux uses) when true, group 0 when false. */
  group1: boolean;
  /** Edge-triggered (ICFGR = 0b10) when true. */
  edge: boolean;
  /** SPIs: routing affinity (IROUTER Aff3.Aff2.Aff1.Aff0) and the 1-of-N mode bit. */
  route: bigint;
}

export function newIrq(edge: boolean): IrqState {
  return { enabled: false, pendingLatch: false, level: false, active: false, priority: 0, group1: false, edge, route: 0n };
}

/** One CPU interface (per vCPU). */
export interface CpuIfState {
  pmr: number;
  bpr0: number;
  bpr1: number;
  /** ICC_CTLR_EL1.EOImode (bit 1) and CBPR (bit 0). */
  ctlr: number;
  grpen0: boolean;
  grpen1: boolean;
  /** Active priorities, one entry per preemption level taken (a stack of group priorities). */
  activePrio: number[];
  /** GICR_WAKER.ProcessorSleep. */
  sleep: boolean;
  /** GICR_CTLR (EnableLPIs not supported). */
  rctlr: number;
}

export function newCpuIf(): CpuIfState {
  return { pmr: 0, bpr0: 2, bpr1: 3, ctlr: 0, grpen0: false, grpen1: false, activePrio: [], sleep: true, rctlr: 0 };
}

/** SPIs of a VM that does not say (QEMU virt has 256 interrupts, i.e. 224 SPIs). */
export const DEFAULT_SPIS = 224;

export interface GicOptions {
  /** Number of SPIs (multiple of 32; QEMU virt has 256 interrupts, i.e. 224 SPIs). */
  spis?: number;
}

const IrqSchema = Struct({
  enabled: Type.Boolean(),
  pendingLatch: Type.Boolean(),
  level: Type.Boolean(),
  active: Type.Boolean(),
  /** Five priority bits (the low three read as zero). */
  priority: Bits(0xf8),
  group1: Type.Boolean(),
  edge: Type.Boolean(),
  /** IROUTER: Aff3 (39:32), Interrupt_Routing_Mode (31), Aff2.Aff1.Aff0. */
  route: BigBits(0xff_80ff_ffffn),
});

const CpuIfSchema = Struct({
  pmr: Bits(0xf8),
  bpr0: Int(2, 7),
  bpr1: Int(3, 7),
  ctlr: Bits(3),
  grpen0: Type.Boolean(),
  grpen1: Type.Boolean(),
  /** One entry per preemption level: 32 group priorities at most, each below the one before. */
  activePrio: Type.Array(Bits(0xf8), { maxItems: 32 }),
  sleep: Type.Boolean(),
  rctlr: Int(0, 0),
});

/** Plain, versioned GIC state for snapshots. */
export const GicSnapshotSchema = Struct({
  version: Type.Literal(1),
  /** GICD_CTLR: EnableGrp0, EnableGrp1. */
  ctlr: Bits(3),
  spis: Type.Array(IrqSchema, { maxItems: 988 }),
  /** SGIs and PPIs of each vCPU: 32 each. */
  private: Type.Array(Type.Array(IrqSchema, { minItems: 32, maxItems: 32 }), { maxItems: MAX_VCPUS }),
  cpus: Type.Array(CpuIfSchema, { maxItems: MAX_VCPUS }),
});
export type GicSnapshot = Static<typeof GicSnapshotSchema>;

/** Checks a GIC state for a VM of `cpus` vCPUs and `spis` SPIs (a StateError naming the field). */
export function checkGicSnapshot(s: unknown, cpus: number, spis: number, what = "gic"): asserts s is GicSnapshot {
  // Compiled: its only bigints (IROUTER) are refined to 40 bits.
  validate(GicSnapshotSchema, s, what);
  require(s.spis.length === spis, `${what}.spis: ${s.spis.length} SPIs, this VM has ${spis}`);
  require(s.private.length === cpus, `${what}.private: state of ${s.private.length} redistributors, this VM has ${cpus} vCPUs`);
  require(s.cpus.length === cpus, `${what}.cpus: state of ${s.cpus.length} CPU interfaces, this VM has ${cpus} vCPUs`);
  s.private.forEach((p, c) => p.forEach((x, i) => require(i >= 16 || x.edge, `${what}.private[${c}][${i}].edge: SGIs are edge-triggered`)));
  s.cpus.forEach((c, i) =>
    c.activePrio.forEach((p, j) =>
      require(j === 0 || p < c.activePrio[j - 1], `${what}.cpus[${i}].activePrio[${j}]: not below the priority it preempted`),
    ),
  );
}

export class GicState {
  /** GICD_CTLR: EnableGrp0 (bit 0), EnableGrp1 (bit 1); ARE and DS read as one. */
  ctlr = 0;
  readonly nSpis: number;
  readonly spis: IrqState[];
  readonly priv: IrqState[][] = [];
  readonly cpus: CpuIfState[] = [];
  /** MPIDR affinity of each vCPU (for SPI routing and SGI targets). */
  readonly affinity: bigint[] = [];
  /** Called whenever an interrupt line to a vCPU may have changed. */
  onChange: (cpu: number) => void = () => {};
  /**
   * Bumped by every change of interrupt state (changed(), resets, restore): the highest-priority
   * pending and waking interrupts are cached per vCPU for one generation, as they are asked for
   * before every run slice and on every wake check.
   */
  private gen = 0;
  private hppiGen: number[] = [];
  private hppiVal: number[] = [];
  private wakeGen: number[] = [];
  private wakeVal: number[] = [];

  constructor(opts: GicOptions = {}) {
    this.nSpis = opts.spis ?? DEFAULT_SPIS;
    this.spis = Array.from({ length: this.nSpis }, () => newIrq(false));
  }

  /** Adds (or resets) the redistributor and CPU interface of vCPU `cpu` with MPIDR `aff`. */
  addCpu(cpu: number, aff: bigint): void {
    this.affinity[cpu] = aff;
    this.hppiGen[cpu] = -1;
    this.wakeGen[cpu] = -1;
    this.resetCpu(cpu);
  }

  /** Interrupt state that may change vCPU `cpu`'s lines changed (the frames and ICC registers call this). */
  changed(cpu: number): void {
    this.gen++;
    this.onChange(cpu);
  }

  /** Resets a vCPU's redistributor and CPU interface (VM creation, system reset). */
  resetCpu(cpu: number): void {
    // SGIs are edge-triggered; PPIs default to level.
    this.priv[cpu] = Array.from({ length: 32 }, (_, i) => newIrq(i < 16));
    this.cpus[cpu] = newCpuIf();
    this.gen++;
  }

  /**
   * A vCPU's warm reset (KVM_ARM_VCPU_INIT, CPU_ON, wake from SYSTEM_SUSPEND) resets its CPU
   * interface registers only. The redistributor keeps its SGI/PPI configuration, as KVM's vGIC
   * does: Linux does not reprogram the boot CPU's PPIs after resuming from SYSTEM_SUSPEND.
   */
  resetCpuInterface(cpu: number): void {
    const old = this.cpus[cpu];
    this.cpus[cpu] = { ...newCpuIf(), sleep: old?.sleep ?? true, rctlr: old?.rctlr ?? 0 };
    this.gen++;
  }

  /** System reset: distributor, every redistributor and CPU interface. */
  reset(): void {
    this.ctlr = 0;
    for (let i = 0; i < this.nSpis; i++) this.spis[i] = newIrq(false);
    for (let c = 0; c < this.cpus.length; c++) this.resetCpu(c);
    this.gen++;
  }

  get cpuCount(): number {
    return this.cpus.length;
  }

  /** The state of INTID `intid` as seen from vCPU `cpu` (SGI/PPI banked); null when out of range. */
  irq(cpu: number, intid: number): IrqState | null {
    if (intid < 32) return this.priv[cpu]?.[intid] ?? null;
    return this.spis[intid - 32] ?? null;
  }

  static pending(s: IrqState): boolean {
    return s.pendingLatch || (!s.edge && s.level);
  }

  /** The vCPU an SPI is routed to (IRM = 1: the lowest-numbered vCPU accepting interrupts). */
  spiTarget(s: IrqState): number {
    if (s.route & (1n << 31n)) return 0;
    const aff = s.route & 0xff_00ff_ffffn;
    const i = this.affinity.indexOf(aff);
    return i;
  }

  /** Group priority of a priority value under a binary point (preemption granularity). */
  private static groupPrio(prio: number, bpr: number): number {
    const mask = (0xff << (bpr + 1)) & 0xff;
    return prio & mask;
  }

  /** Current running priority of a CPU interface (0x100 when idle). */
  runningPriority(cpu: number): number {
    const a = this.cpus[cpu].activePrio;
    return a.length ? a[a.length - 1] : 0x100;
  }

  /**
   * The highest-priority pending interrupt that may be signalled to `cpu`: enabled, pending, not
   * active, its group enabled in the distributor and the CPU interface, priority below PMR and
   * able to preempt the running priority. Returns the INTID or -1.
   */
  hppi(cpu: number): number {
    if (this.hppiGen[cpu] === this.gen) return this.hppiVal[cpu];
    const i = this.findHppi(cpu);
    this.hppiGen[cpu] = this.gen;
    this.hppiVal[cpu] = i;
    return i;
  }

  private findHppi(cpu: number): number {
    const c = this.cpus[cpu];
    if (!c) return -1;
    const grp0 = (this.ctlr & 1) !== 0 && c.grpen0;
    const grp1 = (this.ctlr & 2) !== 0 && c.grpen1;
    if (!grp0 && !grp1) return -1;
    let best = -1;
    let bestPrio = 0x100;
    const p = this.priv[cpu];
    for (let i = 0; i < 32; i++) {
      const s = p[i];
      if (s.enabled && !s.active && GicState.pending(s) && (s.group1 ? grp1 : grp0) && s.priority < bestPrio) {
        best = i;
        bestPrio = s.priority;
      }
    }
    for (let i = 0; i < this.nSpis; i++) {
      const s = this.spis[i];
      if (s.enabled && !s.active && GicState.pending(s) && (s.group1 ? grp1 : grp0) && s.priority < bestPrio && this.spiTarget(s) === cpu) {
        best = 32 + i;
        bestPrio = s.priority;
      }
    }
    if (best < 0) return -1;
    if (bestPrio >= c.pmr) return -1;
    const s = this.irq(cpu, best) as IrqState;
    const bpr = s.group1 ? (c.ctlr & 1 ? c.bpr0 : c.bpr1 - 1) : c.bpr0;
    if (GicState.groupPrio(bestPrio, Math.max(0, bpr)) >= this.runningPriority(cpu)) return -1;
    return best;
  }

  /** The IRQ (group 1) and FIQ (group 0) signals to a CPU: bit0 IRQ, bit1 FIQ. */
  lines(cpu: number): number {
    const i = this.hppi(cpu);
    if (i < 0) return 0;
    return (this.irq(cpu, i) as IrqState).group1 ? 1 : 2;
  }

  /**
   * Whether an interrupt would wake `cpu` from WFI or a SUSPENDED state: as KVM's
   * kvm_vgic_vcpu_pending_irq, an enabled, pending interrupt of an enabled distributor group
   * with priority below PMR. The CPU interface's group enables and running priority do not
   * matter: Linux clears ICC_IGRPEN1_EL1 before suspending (CPU_PM_ENTER) and relies on the
   * redistributor's wake request.
   */
  pendingFor(cpu: number): boolean {
    return this.wakingIntid(cpu) >= 0;
  }

  /** The INTID of an interrupt that would wake `cpu` (as pendingFor: the lowest such INTID), or -1. */
  wakingIntid(cpu: number): number {
    if (this.wakeGen[cpu] === this.gen) return this.wakeVal[cpu];
    const i = this.findWaking(cpu);
    this.wakeGen[cpu] = this.gen;
    this.wakeVal[cpu] = i;
    return i;
  }

  private findWaking(cpu: number): number {
    const c = this.cpus[cpu];
    if (!c) return -1;
    const wakes = (s: IrqState) =>
      s.enabled && GicState.pending(s) && (s.group1 ? (this.ctlr & 2) !== 0 : (this.ctlr & 1) !== 0) && s.priority < c.pmr;
    const p = this.priv[cpu];
    for (let i = 0; i < 32; i++) if (wakes(p[i])) return i;
    for (let i = 0; i < this.spis.length; i++) if (wakes(this.spis[i]) && this.spiTarget(this.spis[i]) === cpu) return 32 + i;
    return -1;
  }

  /** Drives an SPI's input line (INTID 32+). Edge-triggered SPIs latch on a rising edge. */
  setSpi(intid: number, level: boolean): void {
    const s = this.spis[intid - 32];
    if (!s) throw new RangeError(`no SPI ${intid}`);
    if (s.edge && level && !s.level) s.pendingLatch = true;
    s.level = level;
    const t = this.spiTarget(s);
    if (t >= 0) this.changed(t);
    else for (let c = 0; c < this.cpus.length; c++) this.changed(c);
  }

  /** Drives a PPI's input line for one vCPU. */
  setPpi(cpu: number, intid: number, level: boolean): void {
    const s = this.priv[cpu]?.[intid];
    if (!s) throw new RangeError(`no PPI ${intid} on vCPU ${cpu}`);
    if (s.level === level) return;
    if (s.edge && level) s.pendingLatch = true;
    s.level = level;
    this.changed(cpu);
  }

  /** ICC_IAR: acknowledges the highest-priority pending interrupt of `group1`'s group. */
  acknowledge(cpu: number, group1: boolean): number {
    const i = this.hppi(cpu);
    if (i < 0) return INTID_SPURIOUS;
    const s = this.irq(cpu, i) as IrqState;
    if (s.group1 !== group1) return INTID_SPURIOUS;
    s.active = true;
    s.pendingLatch = false;
    const c = this.cpus[cpu];
    const bpr = group1 ? (c.ctlr & 1 ? c.bpr0 : c.bpr1 - 1) : c.bpr0;
    c.activePrio.push(GicState.groupPrio(s.priority, Math.max(0, bpr)));
    this.changed(cpu);
    return i;
  }

  /** ICC_EOIR: priority drop, and deactivation unless EOImode = 1. */
  endOfInterrupt(cpu: number, intid: number): void {
    const c = this.cpus[cpu];
    if (intid >= 1020 && intid <= 1023) return;
    c.activePrio.pop();
    if ((c.ctlr & 2) === 0) this.deactivate(cpu, intid);
    this.changed(cpu);
  }

  /** ICC_DIR: deactivation. */
  deactivate(cpu: number, intid: number): void {
    const s = this.irq(cpu, intid);
    if (s) s.active = false;
    this.changed(cpu);
  }

  /** ICC_SGI1R_EL1 / ICC_SGI0R_EL1 write from `cpu`. */
  generateSgi(cpu: number, value: bigint): void {
    const intid = Number((value >> 24n) & 0xfn);
    const irm = (value >> 40n) & 1n;
    const targets = Number(value & 0xffffn);
    const rs = Number((value >> 44n) & 0xfn);
    const aff1 = (value >> 16n) & 0xffn;
    const aff2 = (value >> 32n) & 0xffn;
    const aff3 = (value >> 48n) & 0xffn;
    for (let t = 0; t < this.cpus.length; t++) {
      const a = this.affinity[t];
      let hit: boolean;
      if (irm) hit = t !== cpu;
      else {
        const aff0 = Number(a & 0xffn);
        hit =
          ((a >> 8n) & 0xffn) === aff1 &&
          ((a >> 16n) & 0xffn) === aff2 &&
          ((a >> 32n) & 0xffn) === aff3 &&
          aff0 >> 4 === rs &&
          ((targets >> (aff0 & 15)) & 1) === 1;
      }
      if (hit) {
        this.priv[t][intid].pendingLatch = true;
        this.changed(t);
      }
    }
  }

  save(): GicSnapshot {
    const clone = (s: IrqState) => ({ ...s });
    return {
      version: 1,
      ctlr: this.ctlr,
      spis: this.spis.map(clone),
      private: this.priv.map((p) => p.map(clone)),
      cpus: this.cpus.map((c) => ({ ...c, activePrio: [...c.activePrio] })),
    };
  }

  /** Restores a state from save(); a StateError naming the field when it is malformed, out of range or for another VM shape. */
  restore(s: unknown): void {
    checkGicSnapshot(s, this.cpus.length, this.nSpis);
    this.ctlr = s.ctlr;
    s.spis.forEach((x, i) => {
      this.spis[i] = { ...x };
    });
    s.private.forEach((p, c) => {
      this.priv[c] = p.map((x) => ({ ...x }));
    });
    s.cpus.forEach((x, c) => {
      this.cpus[c] = { ...x, activePrio: [...x.activePrio] };
    });
    for (let c = 0; c < this.cpus.length; c++) this.changed(c);
  }
}
