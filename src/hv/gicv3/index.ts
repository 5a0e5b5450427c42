// GICv3 for one VM: state, distributor and redistributor MMIO frames, CPU interfaces.
import { CpuInterface, isIccReg } from "./cpu-interface.ts";
import { Distributor, GICD_SIZE } from "./distributor.ts";
import { type GicOptions, type GicSnapshot, GicState } from "./gic.ts";
import { Redistributors } from "./redistributor.ts";

export { isIccReg } from "./cpu-interface.ts";
export {
  checkGicSnapshot,
  DEFAULT_SPIS,
  type GicSnapshot,
  GicSnapshotSchema,
  INTID_SPURIOUS,
  PPI_PHYS_TIMER,
  PPI_VIRT_TIMER,
} from "./gic.ts";

/** QEMU virt's GIC addresses. */
export const GICD_BASE = 0x0800_0000n;
export const GICR_BASE = 0x080a_0000n;
const GICD_SPAN = BigInt(GICD_SIZE);

export class Gicv3 {
  readonly state: GicState;
  readonly distributor: Distributor;
  readonly redistributors: Redistributors;
  readonly cpuInterface: CpuInterface;
  private readonly gicdEnd: bigint;

  constructor(
    opts: GicOptions = {},
    readonly gicdBase = GICD_BASE,
    readonly gicrBase = GICR_BASE,
  ) {
    this.state = new GicState(opts);
    this.distributor = new Distributor(this.state);
    this.redistributors = new Redistributors(this.state);
    this.cpuInterface = new CpuInterface(this.state);
    this.gicdEnd = gicdBase + GICD_SPAN;
  }

  addCpu(cpu: number, mpidr: bigint): void {
    this.state.addCpu(cpu, mpidr);
  }
  resetCpu(cpu: number): void {
    this.state.resetCpu(cpu);
  }
  /** A vCPU's warm reset: its CPU interface only (see GicState.resetCpuInterface). */
  resetCpuInterface(cpu: number): void {
    this.state.resetCpuInterface(cpu);
  }
  /** System reset of the whole interrupt controller. */
  reset(): void {
    this.state.reset();
  }
  pendingFor(cpu: number): boolean {
    return this.state.pendingFor(cpu);
  }
  /** The INTID of an interrupt that would wake `cpu` from WFI or SUSPENDED, or -1. */
  wakingIntid(cpu: number): number {
    return this.state.wakingIntid(cpu);
  }
  /** bit0 IRQ, bit1 FIQ for the core's interrupt lines. */
  lines(cpu: number): number {
    return this.state.lines(cpu);
  }
  setSpi(intid: number, level: boolean): void {
    this.state.setSpi(intid, level);
  }
  setPpi(cpu: number, intid: number, level: boolean): void {
    this.state.setPpi(cpu, intid, level);
  }
  isSysreg(key: number): boolean {
    return isIccReg(key);
  }

  private gicrEndFor = -1;
  private gicrEndAt = 0n;
  /** The end of the redistributor frames (one per vCPU). */
  private gicrEnd(): bigint {
    const n = this.state.cpuCount;
    if (n !== this.gicrEndFor) {
      this.gicrEndFor = n;
      this.gicrEndAt = this.gicrBase + BigInt(Redistributors.size(n));
    }
    return this.gicrEndAt;
  }

  /** MMIO in the GIC's frames: the value (reads), true (writes), or undefined when not ours. */
  mmio(phys: bigint, size: number, write: boolean, value: bigint): bigint | true | undefined {
    if (phys >= this.gicdBase && phys < this.gicdEnd) {
      const d = phys - this.gicdBase;
      if (write) {
        this.distributor.write(Number(d), size, value);
        return true;
      }
      return this.distributor.read(Number(d), size);
    }
    if (phys >= this.gicrBase && phys < this.gicrEnd()) {
      const r = phys - this.gicrBase;
      if (write) {
        this.redistributors.write(Number(r), size, value);
        return true;
      }
      return this.redistributors.read(Number(r), size);
    }
    return undefined;
  }

  save(): GicSnapshot {
    return this.state.save();
  }
  restore(s: unknown): void {
    this.state.restore(s);
  }
}
