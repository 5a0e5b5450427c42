// Our side: runs cases on the Dormouse Cpu at EL0 with the MMU on, the same virtual addresses
// as the oracle's process (identity-mapped Normal memory), and an EL1 vector table whose every
// entry is an HVC, so a synchronous exception stops the run and its ESR/FAR/ELR can be read.
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import {
  type Case,
  CODE_ADDR,
  CODE_SIZE,
  DATA_ADDR,
  DATA_SIZE,
  fillData,
  type Outcome,
  SIG_OTHER,
  SIGALRM,
  SIGBUS,
  SIGFPE,
  SIGILL,
  SIGSEGV,
  SIGTRAP,
} from "./format.ts";
import { coreModule } from "../../src/host/node/core.ts";

const RAM_BASE = DATA_ADDR;
const RAM_SIZE = 0x10_0000;
const VECTORS = 0x1004_0000n;
const TABLES = 0x1005_0000n;

// System register keys (op0:op1:CRn:CRm:op2).
export const K = {
  SCTLR: 0xc080,
  CPACR: 0xc082,
  TTBR0: 0xc100,
  TTBR1: 0xc101,
  TCR: 0xc102,
  SPSR: 0xc200,
  ELR: 0xc201,
  SP_EL0: 0xc208,
  ESR: 0xc290,
  FAR: 0xc300,
  MAIR: 0xc510,
  VBAR: 0xc600,
  TPIDR_EL0: 0xde82,
} as const;

const CLREX = 0xd503_305f;
const PT_VALID = 3n; // table descriptor / level-3 page descriptor
const AF = 1n << 10n;
const SH_INNER = 3n << 8n;
const PXN = 1n << 53n;
const UXN = 1n << 54n;
const AP_RW_ALL = 1n << 6n;
const AP_RO_ALL = 3n << 6n;
const AP_RO_EL1 = 2n << 6n;

/** SCTLR_EL1 as Linux runs user space: MMU and caches on, EL0 cache maintenance, CTR, DC ZVA, WFI/WFE allowed; no alignment checks. */
export const SCTLR_USER = (1 << 0) | (1 << 2) | (1 << 12) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 26);

/** The exception class of ESR_EL1 mapped to the signal Linux delivers for it at EL0. */
export function signalOf(esr: bigint): number {
  const ec = Number((esr >> 26n) & 0x3fn);
  const fsc = Number(esr & 0x3fn);
  switch (ec) {
    case 0x3c:
      return SIGTRAP;
    case 0x00:
    case 0x01:
    case 0x07:
    case 0x0e:
    case 0x18:
      return SIGILL;
    case 0x20:
    case 0x21:
      return SIGSEGV;
    case 0x24:
    case 0x25:
      return fsc === 0x21 ? SIGBUS : SIGSEGV;
    case 0x22:
    case 0x26:
      return SIGBUS;
    case 0x2c:
      return SIGFPE;
    default:
      return SIG_OTHER;
  }
}

/** An address without its tag: the top byte is cleared where TBI0 applies (bit 55 clear; TBI1 is off). */
export function untag(va: bigint): bigint {
  return va & (1n << 55n) ? va : va & 0x00ff_ffff_ffff_ffffn;
}

/** A Cpu set up once as an EL0 user process at the oracle's addresses. */
export class DormouseRunner {
  readonly cpu: Cpu;
  private data: Uint32Array = new Uint32Array(DATA_SIZE / 4);
  private readonly fills = new Map<number, Uint32Array>();
  private readonly ram32: Uint32Array;
  private readonly codeBuf = new Uint8Array(CODE_SIZE);
  /** Instructions one case may execute before it counts as not finishing. */
  budget = 10_000;
  /**
   * With every block compiled from its first execution (DORMOUSE_JIT=1), each case first runs
   * once interpreted, so that the compared run compiles multi-block regions: compiled at once,
   * a block's successors are not decoded yet and it is compiled alone.
   */
  readonly regions = process.env.DORMOUSE_JIT === "1";

  constructor() {
    this.cpu = new Cpu({ module: coreModule(), ramBase: RAM_BASE, ramSize: RAM_SIZE });
    const ram = this.cpu.ram;
    this.ram32 = new Uint32Array(ram.buffer, ram.byteOffset, DATA_SIZE / 4);
    this.setup();
  }

  private put64(pa: bigint, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.cpu.writePhys(pa, b);
  }

  private setup(): void {
    const cpu = this.cpu;
    cpu.reset();
    // Translation tables: L1 (1 GiB entries) -> L2 (2 MiB) -> L3 (4 KiB pages).
    const l1 = TABLES;
    const l2 = TABLES + 0x1000n;
    const l3 = TABLES + 0x2000n;
    this.put64(l1, l2 | PT_VALID);
    this.put64(l2 + 8n * ((DATA_ADDR >> 21n) & 0x1ffn), l3 | PT_VALID);
    const page = (va: bigint, bits: bigint) => this.put64(l3 + 8n * ((va >> 12n) & 0x1ffn), va | PT_VALID | AF | SH_INNER | bits);
    for (let off = 0n; off < BigInt(DATA_SIZE); off += 0x1000n) page(DATA_ADDR + off, AP_RW_ALL | UXN | PXN);
    page(CODE_ADDR, AP_RO_ALL | PXN);
    page(VECTORS, AP_RO_EL1 | UXN);
    // Vectors: entry i is "hvc #i".
    const vec = new Uint8Array(0x800);
    const dv = new DataView(vec.buffer);
    for (let i = 0; i < 16; i++) dv.setUint32(i * 0x80, (0xd400_0002 | (i << 5)) >>> 0, true);
    cpu.writePhys(VECTORS, vec);
    cpu.setSysreg(K.MAIR, 0xffn);
    // T0SZ = T1SZ = 25 (39-bit VAs), inner/outer write-back, inner shareable, 4 KiB granule,
    // TTBR1 walks disabled, TBI0 as Linux sets it for user space.
    const tcr = 25n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (25n << 16n) | (1n << 23n) | (2n << 30n) | (1n << 37n);
    cpu.setSysreg(K.TCR, tcr);
    cpu.setSysreg(K.TTBR0, l1);
    cpu.setSysreg(K.VBAR, VECTORS);
    cpu.setSysreg(K.CPACR, 3n << 20n);
    cpu.setSysreg(K.SCTLR, BigInt(SCTLR_USER));
    cpu.flushCaches();
  }

  /** Runs one case; returns its outcome. */
  run(c: Case): Outcome {
    const cpu = this.cpu;
    let data = this.fills.get(c.dataSeed);
    if (!data) {
      data = new Uint32Array(DATA_SIZE / 4);
      fillData(c.dataSeed, data);
      if (this.fills.size < 1024) this.fills.set(c.dataSeed, data);
    }
    this.data = data;
    this.ram32.set(this.data);
    this.codeBuf.fill(0);
    const cdv = new DataView(this.codeBuf.buffer);
    c.code.forEach((w, i) => {
      cdv.setUint32(4 * i, w >>> 0, true);
    });
    cpu.writePhys(CODE_ADDR, this.codeBuf);
    if (this.regions) {
      // Interpreted first (blocks decoded, none compiled), then compared compiled: the entry
      // block is compiled with every block the case reaches on its page as one region.
      cpu.setJitThreshold(0);
      this.load(c);
      cpu.run(this.budget);
      this.ram32.set(this.data);
      cpu.setJitThreshold(1);
    }
    this.load(c);
    const exit = cpu.run(this.budget);
    return this.outcome(exit);
  }

  /** Sets the case's initial user state (data buffer excepted) and its PC. */
  private load(c: Case): void {
    const cpu = this.cpu;
    cpu.pstate = 0; // EL0t, DAIF clear
    cpu.nzcv = c.nzcv;
    cpu.sp = c.sp;
    for (let i = 0; i < 31; i++) cpu.setX(i, c.x[i]);
    for (let i = 0; i < 32; i++) cpu.setV(i, c.v[i]);
    cpu.fpcr = c.fpcr;
    cpu.fpsr = c.fpsr;
    cpu.pc = CODE_ADDR;
  }

  /**
   * Whether Dormouse takes an UNDEFINED exception on the word as the first instruction at EL0
   * (whatever state the registers are in). Used to steer generation toward allocated encodings.
   */
  isUndefined(word: number): boolean {
    const cpu = this.cpu;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, word >>> 0, true);
    new DataView(b.buffer).setUint32(4, CLREX, true);
    cpu.writePhys(CODE_ADDR, b);
    cpu.pstate = 0;
    cpu.pc = CODE_ADDR;
    cpu.run(1);
    const undef = cpu.pc === VECTORS + 0x400n && cpu.sysreg(K.ESR) >> 26n === 0n;
    // Leave no exclusive monitor armed for the cases that run next.
    cpu.pstate = 0;
    cpu.pc = CODE_ADDR + 4n;
    cpu.run(1);
    return undef;
  }

  private outcome(exit: ExitReason): Outcome {
    const cpu = this.cpu;
    let sig: number;
    let pc: bigint;
    let fault = 0n;
    let sp: bigint;
    let note: string;
    if (exit === ExitReason.Hvc && cpu.exitInfo(0) === 8n) {
      // Synchronous exception from EL0 (vector 0x400).
      const esr = cpu.sysreg(K.ESR);
      sig = signalOf(esr);
      pc = cpu.sysreg(K.ELR);
      sp = cpu.sysreg(K.SP_EL0);
      // Linux delivers si_addr without the address tag.
      if (sig === SIGSEGV || sig === SIGBUS) fault = untag(cpu.sysreg(K.FAR));
      note = `ESR 0x${esr.toString(16)} (EC 0x${((esr >> 26n) & 0x3fn).toString(16)}), FAR 0x${cpu.sysreg(K.FAR).toString(16)}`;
    } else if (exit === ExitReason.Budget) {
      sig = SIGALRM;
      pc = cpu.pc;
      sp = cpu.sp;
      note = `did not finish in ${this.budget} instructions`;
    } else {
      sig = SIG_OTHER;
      pc = cpu.pc;
      sp = cpu.sp;
      note = `run() exit ${ExitReason[exit] ?? exit}, info0 ${cpu.exitInfo(0)}, ESR 0x${cpu.sysreg(K.ESR).toString(16)}, ELR 0x${cpu.sysreg(K.ELR).toString(16)}`;
    }
    const x: bigint[] = [];
    for (let i = 0; i < 31; i++) x.push(cpu.x(i));
    const v: bigint[] = [];
    for (let i = 0; i < 32; i++) v.push(cpu.v(i));
    const mem: number[] = [];
    const ram = this.ram32;
    const init = this.data;
    for (let i = 0; i < init.length; i++) {
      if (ram[i] === init[i]) continue;
      for (let j = 0; j < 4; j++) {
        const a = (init[i] >>> (8 * j)) & 0xff;
        const b = (ram[i] >>> (8 * j)) & 0xff;
        if (a !== b) mem.push(((i * 4 + j) << 8) | b);
      }
    }
    return { sig, fault, pc, x, sp, nzcv: cpu.nzcv, fpcr: cpu.fpcr, fpsr: cpu.fpsr, v, mem, note };
  }
}
