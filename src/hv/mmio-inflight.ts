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
  instret: bigint;
  word: number;
}

/** More MMIO accesses than any instruction makes (at most 64: DC ZVA, LD4 of bytes). */
const MAX_ACCESSES = 256;

/** The in-flight MMIO state of one vCPU. */
export class MmioInflight {
  private accesses: MmioAccess[] = [];
  private stopped: Stopped | null = null;
  /** The access the last `mmio` exit handed to the VMM, until the instruction resumes. */
  private handed: MmioAccess | null = null;

  /** Whether an MMIO exit stopped an instruction that has not been resumed yet. */
  get inFlight(): boolean {
    return this.stopped !== null;
  }

  /** The access the last `mmio` exit handed to the VMM, or null. */
  get handedOut(): Readonly<MmioAccess> | null {
    return this.handed;
  }

  /**
   * Answers access `ordinal` of the instruction being executed (`resumed`: after an MMIO exit
   * stopped it): from the record when it is already done, else through `perform` (the
   * hypervisor's own devices: a read value, Ok, Fault, or undefined when the VMM must handle it,
   * which stops the instruction with an exit).
   */
  access(
    phys: bigint,
    size: number,
    write: boolean,
    value: bigint,
    ordinal: number,
    resumed: boolean,
    perform: () => bigint | HostStatus | undefined,
  ): bigint | HostStatus {
    const a = this.accesses;
    if (resumed && ordinal < a.length) {
      const r = a[ordinal];
      if (r.done && r.phys === phys && r.size === size && r.write === write) return write ? HostStatus.Ok : r.data;
      // Not done (a read the VMM never completed: it is handed out again), or not the same access.
      a.length = ordinal;
    } else if (!resumed && ordinal === 0) a.length = 0;
    // The core numbers accesses without gaps; a record that disagrees is not this instruction's.
    if (ordinal !== a.length) a.length = 0;
    if (ordinal >= MAX_ACCESSES) return HostStatus.Fault;
    const r = perform();
    if (r === HostStatus.Fault) return r;
    // A write handed to the VMM is its to perform: it counts as done.
    const record: MmioAccess = { phys, size, write, data: write ? value : 0n, done: write || r !== undefined };
    if (typeof r === "bigint") record.data = r;
    if (ordinal === a.length) a.push(record);
    if (r !== undefined) return r;
    this.handed = record;
    return HostStatus.Exit;
  }

  /** An `mmio` exit stopped the instruction at `pc` (word `word`) with `instret` instructions retired. */
  stop(pc: bigint, instret: bigint, word: number): void {
    this.stopped = { pc, instret, word };
  }

  /**
   * The word of the stopped instruction when the vCPU is still there (the next run() resumes
   * it); otherwise the record is dropped and null returned.
   */
  resumeWord(pc: bigint, instret: bigint): number | null {
    const s = this.stopped;
    if (s && s.pc === pc && s.instret === instret) return s.word;
    if (s) this.clear();
    return null;
  }

  /** The stopped instruction ran to its end (retired or took an exception). */
  resumed(): void {
    this.stopped = null;
    this.handed = null;
  }

  /** Completes the read handed to the VMM with `data` (a write needs nothing); false when no access is handed out. */
  complete(data: bigint): boolean {
    const h = this.handed;
    if (!h) return false;
    if (!h.write) {
      h.data = data;
      h.done = true;
    }
    return true;
  }

  /** Forgets everything (vCPU reset, restore). */
  clear(): void {
    this.accesses = [];
    this.stopped = null;
    this.handed = null;
  }
}
