// The MMIO accesses of the instruction a vCPU is executing, kept so that an instruction stopped
// by an MMIO exit performs each of its accesses exactly once, in program order: KVM's
// `kvm_run.mmio` and `vcpu->mmio_needed`, for instructions that make several accesses (pairs,
// 128-bit and structure accesses, exclusive pairs, DC ZVA).
//
// The core numbers an instruction's MMIO accesses from 0 (CpuCallbacks). An access the
// hypervisor answers itself (GIC, in-hypervisor devices) completes at once; the first one it
// cannot answer is handed to the VMM with an `mmio` exit and the instruction stops before it
// retires. The next run() resumes it (Cpu.resumeMmio) before any interrupt is taken: its
// accesses come again in the same order, those already done are answered from the record (a
// write is not repeated, a read gets the value it got, the VMM's through completeMmio) and the
// first new one is performed. The record belongs to one dynamic instruction: it is resumed only
// while the vCPU is still at the PC and retired-instruction count the exit left it at, and is
// dropped otherwise (the VMM moved the PC, a reset); an instruction that took another path on
// resumption (the VMM changed its registers) is answered from the record only up to where the
// accesses differ.
import { HostStatus } from "../cpu/cpu.ts";

/** One MMIO access of the instruction in flight. */
export interface MmioAccess {
  phys: bigint;
  size: number;
  write: boolean;
  /** The value written, or the value read once the access is done. */
  data: bigint;
  /** A write performed (by the hypervisor or handed to the VMM), a read answered. */
  done: boolean;
}

/** Where an MMIO exit stopped the instruction. */
interface Stopped {
  pc: bigint;
  /**
   * The low 32 bits of the retired-instruction count (the vCPU runs nothing between the stop
   * and the resumption but the resumed instruction, so they identify it).
   */
  instret: number;
  word: number;
}

/** More MMIO accesses than any instruction makes (at most 64: DC ZVA, LD4 of bytes). */
const MAX_ACCESSES = 256;

/** The in-flight MMIO state of one vCPU. */
export class MmioInflight {
  /** The instruction's accesses so far (entries reused from one instruction to the next). */
  private readonly accesses: MmioAccess[] = [];
  private count = 0;
  private stopped: Stopped | null = null;
  /** Index of the access the last `mmio` exit handed to the VMM (until it resumes), or -1. */
  private handed = -1;

  /** Whether an MMIO exit stopped an instruction that has not been resumed yet. */
  get inFlight(): boolean {
    return this.stopped !== null;
  }

  /** The access the last `mmio` exit handed to the VMM, or null. */
  get handedOut(): Readonly<MmioAccess> | null {
    return this.handed < 0 ? null : this.accesses[this.handed];
  }

  /**
   * Access `ordinal` of the instruction being executed (`resumed`: after an MMIO exit stopped
   * it): the answer when the record holds it done, else undefined (then the access is to be
   * performed and passed to `record`). A read handed to the VMM and never completed is not done:
   * it is handed out again.
   */
  replay(phys: bigint, size: number, write: boolean, ordinal: number, resumed: boolean): bigint | HostStatus | undefined {
    if (resumed && ordinal < this.count) {
      const r = this.accesses[ordinal];
      if (r.done && r.phys === phys && r.size === size && r.write === write) return write ? HostStatus.Ok : r.data;
      // Not done, or not the same access (the VMM changed the registers): forget it and the rest.
      this.count = ordinal;
    } else if (!resumed && ordinal === 0) this.count = 0;
    // The core numbers accesses without gaps: a record that disagrees is not this instruction's.
    if (ordinal !== this.count) this.count = 0;
    return undefined;
  }

  /**
   * Records access `ordinal` as performed with `result` (the hypervisor's own devices: a read
   * value, Ok, Fault, or undefined when the VMM must handle it) and returns the core's answer:
   * the result, or Exit to hand the access to the VMM.
   */
  record(
    phys: bigint,
    size: number,
    write: boolean,
    value: bigint,
    ordinal: number,
    result: bigint | HostStatus | undefined,
  ): bigint | HostStatus {
    if (result === HostStatus.Fault) return result;
    if (ordinal >= MAX_ACCESSES) return HostStatus.Fault;
    if (ordinal === this.count) {
      let r = this.accesses[ordinal];
      if (!r) {
        r = { phys, size, write, data: 0n, done: false };
        this.accesses.push(r);
      }
      r.phys = phys;
      r.size = size;
      r.write = write;
      r.data = typeof result === "bigint" ? result : write ? value : 0n;
      // A write handed to the VMM is its to perform: it counts as done.
      r.done = write || result !== undefined;
      this.count++;
    }
    if (result !== undefined) return result;
    // Not recorded (a record that disagreed) cannot be handed out; the exit reports it as internal.
    this.handed = ordinal < this.count ? ordinal : -1;
    return HostStatus.Exit;
  }

  /** An `mmio` exit stopped the instruction at `pc` (word `word`) with `instret` instructions retired. */
  stop(pc: bigint, instret: number, word: number): void {
    this.stopped = { pc, instret, word };
  }

  /**
   * The word of the stopped instruction when the vCPU is still there (the next run() resumes
   * it); otherwise the record is dropped and null returned.
   */
  resumeWord(pc: bigint, instret: number): number | null {
    const s = this.stopped;
    if (s && s.pc === pc && s.instret === instret) return s.word;
    if (s) this.clear();
    return null;
  }

  /** The stopped instruction ran to its end (retired or took an exception). */
  resumed(): void {
    this.stopped = null;
    this.handed = -1;
  }

  /** Completes the read handed to the VMM with `data` (a write needs nothing); false when no access is handed out. */
  complete(data: bigint): boolean {
    if (this.handed < 0) return false;
    const h = this.accesses[this.handed];
    if (!h.write) {
      h.data = data;
      h.done = true;
    }
    return true;
  }

  /** Forgets everything (vCPU reset, restore). */
  clear(): void {
    this.count = 0;
    this.stopped = null;
    this.handed = -1;
  }
}
