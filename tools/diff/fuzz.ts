// The CPU fuzzer: executes random instruction words at EL1 and EL0, MMU on and off, on vectors
// that skip whatever faults (ELR += 4, kept inside the code region; ERET), and records host
// errors: JavaScript exceptions and wasm traps escaping Cpu.run(), which must never happen
// whatever the guest executes.
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { decodeOp } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { assemble } from "../../test/support/toolchain.ts";
import { entries } from "./gen.ts";
import { FastRng } from "./rng.ts";
import { coreModule } from "../../src/host/node/core.ts";

const RAM_BASE = 0x4000_0000n;
const RAM_SIZE = 0x40_0000;
/** 16 KiB of random words (the handler keeps ELR inside it; its address is a bitmask immediate). */
const CODE = 0x4000_0000n;
const CODE_WORDS = 0x1000;
const DATA = 0x4020_0000n;
const VECTORS = 0x4030_0000n;
const TABLES = 0x4031_0000n;

const K_SCTLR = 0xc080;
const K_CPACR = 0xc082;
const K_TTBR0 = 0xc100;
const K_TCR = 0xc102;
const K_MAIR = 0xc510;
const K_VBAR = 0xc600;
const K_TPIDR_EL1 = 0xc684;

/** The vector body: skip the faulting instruction, stay in the code region, count in TPIDR_EL1. */
const HANDLER = `
  .global _start
_start:
  mrs x0, elr_el1
  add x0, x0, #4
  and x0, x0, #0x${(CODE_WORDS * 4 - 4).toString(16)}
  orr x0, x0, #0x${CODE.toString(16)}
  msr elr_el1, x0
  mrs x1, tpidr_el1
  add x1, x1, #1
  msr tpidr_el1, x1
  eret
`;
const HANDLER_LEN = 9;

export interface HostError {
  word: number;
  pc: bigint;
  el: number;
  mmu: boolean;
  message: string;
}

export interface FuzzResult {
  executed: number;
  hostErrors: HostError[];
}

export interface FuzzOptions {
  /** Random words to execute (at least). */
  count: number;
  seed?: number;
  /** Instructions per slice (a fresh code region, mode and register set each). */
  slice?: number;
  /** Called with progress (executed so far). */
  progress?: (executed: number) => void;
}

const u64le = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};

class Fuzzer {
  cpu: Cpu;
  private readonly rng: FastRng;
  private readonly vectors: Uint8Array;
  private readonly code = new Uint8Array(CODE_WORDS * 4);
  private readonly codeView = new DataView(this.code.buffer);
  private readonly valid: { mask: number; value: number; op: number }[];

  constructor(seed: number) {
    this.rng = new FastRng(seed);
    this.cpu = new Cpu({ module: coreModule(), ramBase: RAM_BASE, ramSize: RAM_SIZE });
    const body = assemble(HANDLER, Number(VECTORS));
    this.vectors = new Uint8Array(0x800);
    for (let i = 0; i < 16; i++) this.vectors.set(body, i * 0x80);
    this.valid = entries().map((e, i) => ({ mask: e.mask, value: e.value, op: i + 1 }));
  }

  /** A word: half the time one of a table entry (so it decodes), otherwise uniform. */
  private word(): number {
    const rng = this.rng;
    if (rng.below(2)) return rng.u32();
    for (let k = 0; k < 8; k++) {
      const e = rng.pick(this.valid);
      const w = ((rng.u32() & ~e.mask) | e.value) >>> 0;
      if (decodeOp(w) === e.op) return w;
    }
    return rng.u32();
  }

  private setup(el: number, mmu: boolean): void {
    const cpu = this.cpu;
    const rng = this.rng;
    cpu.reset();
    cpu.writePhys(VECTORS, this.vectors);
    for (let i = 0; i < CODE_WORDS; i++) this.codeView.setUint32(4 * i, this.word(), true);
    cpu.writePhys(CODE, this.code);
    cpu.setSysreg(K_VBAR, VECTORS);
    cpu.setSysreg(K_CPACR, rng.below(8) ? 3n << 20n : 0n);
    cpu.setSysreg(K_TPIDR_EL1, 0n);
    if (mmu) {
      // L1 -> L2 -> L3 identity map: code (RO, executable at EL0 and EL1), data (RW at EL0/EL1),
      // vectors (EL1 only); everything else faults.
      // One L3 table per 2 MiB region: CODE's, and DATA's (which VECTORS shares).
      const l2 = TABLES + 0x1000n;
      const l3 = (va: bigint) => (va >> 21n === CODE >> 21n ? TABLES + 0x2000n : TABLES + 0x3000n);
      cpu.writePhys(TABLES + 8n * (RAM_BASE >> 30n), u64le(l2 | 3n));
      for (const va of [CODE, DATA, VECTORS]) cpu.writePhys(l2 + 8n * ((va >> 21n) & 0x1ffn), u64le(l3(va) | 3n));
      const page = (va: bigint, bits: bigint) =>
        cpu.writePhys(l3(va) + 8n * ((va >> 12n) & 0x1ffn), u64le(va | 3n | (1n << 10n) | (3n << 8n) | bits));
      for (let off = 0n; off < BigInt(CODE_WORDS * 4); off += 0x1000n) page(CODE + off, 3n << 6n);
      if (DATA >> 21n === CODE >> 21n || VECTORS >> 21n !== DATA >> 21n)
        throw new Error("fuzzer layout: regions share page tables unexpectedly");
      for (let off = 0n; off < 0x1_0000n; off += 0x1000n) page(DATA + off, (1n << 6n) | (3n << 53n));
      page(VECTORS, (2n << 6n) | (1n << 54n));
      cpu.setSysreg(K_MAIR, 0x00ffn | (0x04n << 8n));
      cpu.setSysreg(K_TCR, 25n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (25n << 16n) | (1n << 23n) | (2n << 30n) | (1n << 37n));
      cpu.setSysreg(K_TTBR0, TABLES);
      cpu.setSysreg(K_SCTLR, BigInt((1 << 0) | (1 << 2) | (1 << 12) | (1 << 14) | (1 << 15) | (1 << 26) | (rng.below(4) ? 0 : 2)));
    }
    cpu.flushCaches();
    cpu.pstate = el === 0 ? 0 : 0x3c5;
    for (let i = 0; i < 31; i++) {
      const k = rng.below(4);
      cpu.setX(i, k === 0 ? DATA + BigInt(rng.below(0x1_0000)) : k === 1 ? CODE + BigInt(rng.below(CODE_WORDS * 4)) : rng.u64());
    }
    for (let i = 0; i < 32; i++) cpu.setV(i, (rng.u64() << 64n) | rng.u64());
    cpu.sp = DATA + 0x8000n;
    cpu.nzcv = rng.below(16) << 28;
    cpu.fpcr = rng.below(2) ? 0 : (rng.u32() & 0x07c0_0000) >>> 0;
    cpu.pc = CODE + 4n * BigInt(rng.below(CODE_WORDS));
  }

  /** The word at the current PC (physical when the MMU is off or the address does not translate). */
  private wordAtPc(): number {
    try {
      const pc = this.cpu.pc;
      const pa = this.cpu.translate(pc) ?? pc;
      const b = this.cpu.readPhys(pa, 4);
      return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    } catch {
      return 0;
    }
  }

  /** Runs one slice; returns the random words executed. */
  slice(budget: number, errors: HostError[]): number {
    const el = this.rng.below(2);
    const mmu = this.rng.below(2) === 1;
    this.setup(el, mmu);
    const cpu = this.cpu;
    const start = cpu.instret;
    let calls = 0;
    for (;;) {
      let exit: ExitReason;
      try {
        const used = Number(cpu.instret - start);
        if (used >= budget || calls++ > 10_000) break;
        exit = cpu.run(budget - used);
      } catch (e) {
        errors.push({ word: this.wordAtPc(), pc: cpu.pc, el, mmu, message: e instanceof Error ? e.message : String(e) });
        // The instance may be inconsistent after a trap: start over on a new one.
        this.cpu = new Cpu({ module: coreModule(), ramBase: RAM_BASE, ramSize: RAM_SIZE });
        return 0;
      }
      if (exit === ExitReason.Budget) break;
    }
    const retired = Number(cpu.instret - start);
    const faults = Number(cpu.sysreg(K_TPIDR_EL1) & 0xffff_ffffn);
    if (process.env.FUZZ_DEBUG)
      console.log(`EL${el} mmu=${mmu} retired=${retired} faults=${faults} undef=${cpu.undefCount} pc=${cpu.pc.toString(16)}`);
    return Math.max(0, retired - HANDLER_LEN * faults) + faults;
  }
}

/** Executes at least `count` random words; returns how many ran and the host errors seen. */
export function fuzzCpu(opts: FuzzOptions): FuzzResult {
  const f = new Fuzzer(opts.seed ?? 1);
  const slice = opts.slice ?? 5_000;
  const errors: HostError[] = [];
  let executed = 0;
  let slices = 0;
  while (executed < opts.count) {
    executed += f.slice(slice, errors);
    // A slice that executes nothing (e.g. the vectors themselves fault) must not stall the run.
    if (++slices > Math.ceil(opts.count / 100) + 100) break;
    opts.progress?.(executed);
  }
  return { executed, hostErrors: errors };
}
