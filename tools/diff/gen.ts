// Generates differential test cases from the encoding tables: each instruction is a random word
// of one table entry (so every entry is reachable), then fixed up so it can run the same way in
// a Linux process and on our EL0: memory accesses land in the data buffer, branches go forward
// inside the sequence, and instructions whose user-mode behaviour is the kernel's (exception
// generation, WFI/WFE, timers, ID registers, TPIDR) are left out.
import { decodeOp } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { type Entry, loadTables } from "../gen-decoder.ts";
import { FPCR_AARCH32_ONLY, FPSR_AARCH32_ONLY } from "./compare.ts";
import { BRK0, type Case, CODE_ADDR, DATA_ADDR, DATA_SIZE, MAX_WORDS } from "./format.ts";
import { FastRng as Rng } from "./rng.ts";
import { fpcrValue, fpsrValue, intValue, vecValue } from "./values.ts";

/** Whether the word's bits under mask equal value (unsigned: JavaScript's & is signed). */
const is = (w: number, mask: number, value: number) => (w & mask) >>> 0 === value >>> 0;

/** Why a word is never generated, or null when it may be. */
export function excluded(w: number): string | null {
  if (is(w, 0xff00_0000, 0xd400_0000)) return "exception generation (SVC/HVC/SMC/BRK/HLT/DCPS)";
  if (is(w, 0xffff_ffdf, 0xd503_205f)) return "WFE/WFI";
  if (is(w, 0xbfe0_fc00, 0x0ee0_e000)) return "PMULL 1Q: qemu's Cortex-A57 has FEAT_PMULL, Dormouse does not advertise it";
  if (is(w, 0xff3e_0c00, 0x4e28_0800) || is(w, 0xff20_8c00, 0x5e00_0000) || is(w, 0xff3e_0c00, 0x5e28_0800)) {
    return "AES/SHA: qemu's Cortex-A57 has the Crypto extension, Dormouse does not advertise it";
  }
  if (is(w, 0xffc0_0000, 0xd500_0000) && (w >>> 19) & 2) {
    // MRS/MSR (register): op0 = 2 or 3.
    const op0 = (w >>> 19) & 3;
    const op1 = (w >>> 16) & 7;
    const crn = (w >>> 12) & 15;
    const crm = (w >>> 8) & 15;
    const op2 = (w >>> 5) & 7;
    if (op0 === 3 && op1 === 3 && crn === 13 && crm === 0) return "TPIDR_EL0/TPIDRRO_EL0 (owned by the C library)";
    if (op0 === 3 && op1 === 3 && crn === 14) return "generic timer (time-dependent)";
    if (op0 === 3 && op1 === 3 && crn === 9) return "PMU (kernel-configured)";
    if (op0 === 3 && op1 === 0 && crn === 0) return "ID registers (the kernel emulates EL0 reads)";
    if (op0 === 2 && op1 === 3) return "debug communication channel (kernel-configured)";
    void op2;
  }
  return null;
}

/** Classes of word that need fixing up. */
const isLoadStore = (w: number) => is(w, 0x0a00_0000, 0x0800_0000);

interface Access {
  /** Offset of the first access from the base register (0 when post-indexed or none). */
  offset: bigint;
  /** Bit position of a second address register (register offset), or -1. */
  rmPos: number;
  /** Shift applied to that register. */
  rmShift: number;
  /** Registers that must differ from the base: bit positions of Rt/Rt2/Rs fields. */
  others: number[];
  pair: boolean;
  exclusive: boolean;
  literal: boolean;
  store: boolean;
}

const sext = (v: number, bits: number) => BigInt(((v << (32 - bits)) >> (32 - bits)) | 0);

/** Decodes the addressing of a load/store word (Arm ARM C4.1.66). */
export function accessOf(w: number): Access {
  const op0 = (w >>> 28) & 15;
  const v = (w >>> 26) & 1;
  const a: Access = { offset: 0n, rmPos: -1, rmShift: 0, others: [0], pair: false, exclusive: false, literal: false, store: false };
  switch (op0 & 3) {
    case 0:
      if (!v && !((w >>> 24) & 1)) {
        a.exclusive = true;
        a.store = !((w >>> 22) & 1);
        a.others = [0, 10, 16];
      } else if (v && !((w >>> 31) & 1)) {
        a.store = !((w >>> 22) & 1);
      }
      break;
    case 1:
      if (!((w >>> 24) & 1)) a.literal = true;
      break;
    case 2: {
      const opc = (w >>> 30) & 3;
      const scale = v ? 2 + opc : opc === 2 ? 3 : 2;
      const mode = (w >>> 23) & 3;
      a.pair = true;
      a.store = !((w >>> 22) & 1);
      a.others = [0, 10];
      if (mode !== 1) a.offset = sext((w >>> 15) & 0x7f, 7) << BigInt(scale);
      break;
    }
    default: {
      const size = (w >>> 30) & 3;
      const opc = (w >>> 22) & 3;
      const scale = v && opc >= 2 && size === 0 ? 4 : size;
      if ((w >>> 24) & 1) {
        a.offset = BigInt((w >>> 10) & 0xfff) << BigInt(scale);
      } else if (!((w >>> 21) & 1)) {
        if (((w >>> 10) & 3) !== 1) a.offset = sext((w >>> 12) & 0x1ff, 9);
      } else if (((w >>> 10) & 3) === 2) {
        a.rmPos = 16;
        a.rmShift = (w >>> 12) & 1 ? scale : 0;
      } else {
        a.others = [0, 16];
      }
    }
  }
  return a;
}

/** System registers (op0, op1, CRn, CRm, op2) whose EL0 behaviour Linux leaves to the hardware. */
const EL0_SYSREGS = [
  [3, 3, 4, 2, 0], // NZCV
  [3, 3, 4, 2, 1], // DAIF (traps: SCTLR_EL1.UMA is 0)
  [3, 3, 4, 4, 0], // FPCR
  [3, 3, 4, 4, 1], // FPSR
  [3, 3, 0, 0, 1], // CTR_EL0
  [3, 3, 0, 0, 7], // DCZID_EL0
  [3, 0, 4, 2, 0], // SPSel (UNDEFINED at EL0)
  [3, 0, 4, 2, 2], // CurrentEL (UNDEFINED at EL0)
  [3, 0, 1, 0, 0], // SCTLR_EL1 (UNDEFINED at EL0)
];
/** Cache maintenance by address allowed at EL0 (op1, CRn, CRm, op2): DC ZVA, CVAC, CVAU, CIVAC, IC IVAU. */
const EL0_CACHE_OPS = [
  [3, 7, 4, 1],
  [3, 7, 10, 1],
  [3, 7, 11, 1],
  [3, 7, 14, 1],
  [3, 7, 5, 1],
];

/** The data buffer's possible initial contents (few, so both sides can cache them). */
const DATA_SEEDS = Array.from({ length: 64 }, (_, i) => (Math.imul(i + 1, 0x9e3779b9) ^ 0x5eed) >>> 0);

const setField = (w: number, pos: number, val: number) => ((w & ~(31 << pos)) | ((val & 31) << pos)) >>> 0;
const field = (w: number, pos: number) => (w >>> pos) & 31;

export interface GenOptions {
  seed: number;
  count: number;
  /** Only entries of this table group (file name without .decode). */
  group?: string;
  /** Only this entry (by name). */
  entry?: string;
  /**
   * Tells whether a word is UNDEFINED (on Dormouse): words of an entry are then redrawn a few
   * times while they are, except a quarter of the time, so fewer sequences stop at a reserved
   * field value and both views of what is allocated are still compared.
   */
  isUndefined?: (word: number) => boolean;
  /** Most instructions per case, the end marker excluded (1..MAX_WORDS-1). */
  maxLen?: number;
  /**
   * Probability that an instruction after the first is a uniformly random word (any encoding,
   * allocated or not, exclusions and fix-ups applied; named "(raw)"): finds encodings qemu
   * executes that no table entry covers.
   */
  raw?: number;
  /**
   * Probability that an instruction after the first is a forward branch of any kind (B, B.cond,
   * CBZ/CBNZ, TBZ/TBNZ, named "(branch)"): sequences of every group then have several blocks,
   * which the JIT compiles into one region.
   */
  branches?: number;
  /**
   * Probability that a case ends in a loop back to one of its instructions, run 1-3 times
   * (named "(loop)"): compiled regions then take back-edges.
   */
  loops?: number;
}

export interface Generated {
  cases: Case[];
  /** The entries cases were drawn from. */
  pool: Entry[];
  /** Entries of the pool no generated word can use (every word excluded), with the reason. */
  unusable: Map<string, string>;
}

/** Table entries and their op numbers (op = index + 1). */
let tables: Entry[] | null = null;
export function entries(): Entry[] {
  if (!tables) tables = loadTables();
  return tables;
}

/** A case generator over a pool of entries. */
class Generator {
  private readonly rng: Rng;
  private readonly all = entries();
  private readonly pool: Entry[];
  private readonly opOf = new Map<Entry, number>();
  readonly unusable = new Map<string, string>();

  constructor(
    seed: number,
    pool: Entry[],
    private readonly maxLen: number,
    private readonly isUndefined?: (word: number) => boolean,
    private readonly raw = 0,
    private readonly branches = 0,
    private readonly loops = 0,
  ) {
    this.rng = new Rng(seed);
    this.pool = pool;
    this.all.forEach((e, i) => {
      this.opOf.set(e, i + 1);
    });
  }

  /** A random word of entry e that decodes to it and is not excluded, or null. */
  private wordOf(e: Entry): number | null {
    const op = this.opOf.get(e);
    let reason = "no random word decodes to it (shadowed by an earlier entry?)";
    let undef: number | null = null;
    const probe = this.isUndefined && this.rng.below(4) ? this.isUndefined : null;
    for (let k = 0; k < 64; k++) {
      const w = ((this.rng.u32() & ~e.mask) | e.value) >>> 0;
      if (decodeOp(w) !== op) continue;
      const why = excluded(w);
      if (why) {
        reason = why;
        continue;
      }
      if (probe && k < 48 && probe(w)) {
        undef = w;
        continue;
      }
      return w;
    }
    if (undef !== null) return undef;
    this.unusable.set(e.name, reason);
    return null;
  }

  usable(): Entry[] {
    return this.pool.filter((e) => !this.unusable.has(e.name));
  }

  /** One case whose first instruction is of `first`. */
  make(first: Entry): Case | null {
    const rng = this.rng;
    const len = 1 + rng.below(this.maxLen);
    const code: number[] = [];
    const names: string[] = [];
    const x: bigint[] = [];
    for (let i = 0; i < 31; i++) x.push(intValue(rng));
    const c: Case = {
      code,
      names,
      x,
      sp: DATA_ADDR + 0x8000n - 16n * BigInt(rng.below(64)),
      nzcv: (rng.below(16) << 28) >>> 0,
      fpcr: fpcrValue(rng),
      fpsr: fpsrValue(rng),
      v: Array.from({ length: 32 }, () => vecValue(rng)),
      dataSeed: DATA_SEEDS[rng.below(DATA_SEEDS.length)],
    };
    const pinned = new Set<number>(); // registers holding an address some instruction relies on
    this.exclLoad = null;
    const written = new Set<number>(); // registers an earlier instruction may have changed
    for (let i = 0; i < len; i++) {
      if (i > 0 && this.raw > 0 && rng.u32() / 2 ** 32 < this.raw) {
        let raw = rng.u32();
        while (excluded(raw)) raw = rng.u32();
        // The same fix-ups as table words: addresses into the data buffer, branches forward.
        const w = this.fixup(raw, i, len, c, pinned, written);
        if (w === null || excluded(w)) continue;
        code.push(w);
        names.push("(raw)");
        written.add(field(w, 0));
        continue;
      }
      if (i > 0 && this.branches > 0 && rng.u32() / 2 ** 32 < this.branches) {
        const w = this.fixup(this.branchWord(), i, len, c, pinned, written);
        if (w === null) continue;
        code.push(w);
        names.push("(branch)");
        continue;
      }
      const e = i === 0 ? first : this.pickEntry();
      if (!e) return null;
      let w: number | null = null;
      for (let tries = 0; tries < 8 && w === null; tries++) {
        const raw = this.wordOf(e);
        if (raw === null) break;
        w = this.fixup(raw, i, len, c, pinned, written);
        if (w !== null && decodeOp(w) !== this.opOf.get(e)) w = null;
      }
      if (w === null) {
        if (i === 0) return null;
        continue;
      }
      code.push(w);
      names.push(e.name);
      written.add(field(w, 0));
      if (isLoadStore(w)) {
        const a = accessOf(w);
        for (const p of a.others) written.add(field(w, p));
      }
      if (is(w, 0xfc00_0000, 0x9400_0000) || is(w, 0xffff_fc1f, 0xd63f_0000)) written.add(30);
      // A store-exclusive may pair with the last load-exclusive while its base register still
      // holds the (aligned) address it was given.
      if (this.exclLoad !== null && written.has(field(this.exclLoad, 5))) this.exclLoad = null;
      if (isLoadStore(w) && accessOf(w).exclusive && !accessOf(w).store) {
        const b = field(w, 5);
        this.exclLoad = ((b === 31 ? c.sp : c.x[b]) & 15n) === 0n ? w : null;
      }
    }
    if (this.loops > 0 && rng.u32() / 2 ** 32 < this.loops && code.length + 3 <= MAX_WORDS) {
      // A loop back to a random instruction, run 1-3 times: SUB Xk, Xk, #1; CBNZ Xk, back,
      // with Xk a register nothing before writes, nor its pair (CASP writes Rs+1, Rt+1); forward
      // branches of the body may land on them. Run again, the body's address registers may hold
      // what later instructions wrote: no store-exclusive or BR/BLR/RET is looped over, where
      // qemu orders its checks differently (see the README).
      const k = this.freeReg(
        pinned,
        written,
        [...written].map((r) => (r + 1) % 32),
        false,
      );
      let from = 0;
      code.forEach((w, j) => {
        if ((isLoadStore(w) && accessOf(w).exclusive && accessOf(w).store) || is(w, 0xff9f_fc1f, 0xd61f_0000)) from = j + 1;
      });
      if (k >= 0 && from < code.length) {
        const back = from + rng.below(code.length - from);
        c.x[k] = BigInt(1 + rng.below(3));
        code.push((0xd100_0400 | (k << 5) | k) >>> 0);
        names.push("(loop)");
        code.push((0xb500_0000 | (((back - code.length) & 0x7ffff) << 5) | k) >>> 0);
        names.push("(loop)");
      }
    }
    // Branch offsets were computed for `len` instructions; dropped words only shorten the case.
    code.push(BRK0);
    names.push("");
    return c;
  }

  /** A static branch of a random kind, condition and register (its offset is fixed up). */
  private branchWord(): number {
    const rng = this.rng;
    const rt = rng.below(32);
    switch (rng.below(4)) {
      case 0:
        return 0x1400_0000; // B
      case 1:
        return (0x5400_0000 | rng.below(16)) >>> 0; // B.cond (AL and NV included)
      case 2:
        return (0x3400_0000 | (rng.below(4) << 24) | (rng.below(2) << 31) | rt) >>> 0; // CBZ/CBNZ, TBZ/TBNZ of bits 0 and 32
      default:
        return (0x3600_0000 | (rng.below(2) << 24) | (rng.below(2) << 31) | (rng.below(32) << 19) | rt) >>> 0; // TBZ/TBNZ
    }
  }

  private pickEntry(): Entry | null {
    const u = this.usable();
    return u.length ? this.rng.pick(u) : null;
  }

  /** A register no earlier instruction wrote and no other fix-up holds (31 = SP when allowed). */
  private freeReg(pinned: Set<number>, written: Set<number>, avoid: number[], allowSp: boolean): number {
    const rng = this.rng;
    if (allowSp && !pinned.has(31) && !written.has(31) && rng.below(6) === 0) return 31;
    for (let k = 0; k < 64; k++) {
      const r = rng.below(31);
      if (!pinned.has(r) && !written.has(r) && !avoid.includes(r)) return r;
    }
    return -1;
  }

  /** A target address in the data buffer, usually 16-byte aligned. */
  private dataTarget(): bigint {
    const a = DATA_ADDR + 0x400n + BigInt(this.rng.below(DATA_SIZE - 0x800));
    return this.rng.below(4) ? a & ~15n : a;
  }

  /** The last load-exclusive of the case being made (a store-exclusive may pair with it). */
  private exclLoad: number | null = null;

  private fixup(w: number, i: number, len: number, c: Case, pinned: Set<number>, written: Set<number>): number | null {
    const rng = this.rng;
    const forward = () => 1 + rng.below(len - i); // words to a later instruction or the end marker
    if (is(w, 0x7c00_0000, 0x1400_0000)) return ((w & 0xfc00_0000) | forward()) >>> 0; // B, BL
    if (is(w, 0xff00_0010, 0x5400_0000) || is(w, 0x7c00_0000, 0x3400_0000)) {
      // B.cond, CBZ/CBNZ (imm19); TBZ/TBNZ (imm14).
      if (is(w, 0x7e00_0000, 0x3600_0000)) return ((w & ~(0x3fff << 5)) | (forward() << 5)) >>> 0;
      return ((w & ~(0x7ffff << 5)) | (forward() << 5)) >>> 0;
    }
    if (is(w, 0xff9f_fc1f, 0xd61f_0000)) {
      // BR, BLR, RET: point the register at a later instruction, sometimes anywhere in the
      // code page (misaligned: PC alignment fault), sometimes leave it as it is (qemu checks a
      // misaligned PC only in mapped pages, so those unmapped addresses are made aligned).
      const r = this.freeReg(pinned, written, [], false);
      if (r < 0) return null;
      pinned.add(r);
      const how = rng.below(16);
      if (how === 0) c.x[r] = CODE_ADDR + BigInt(rng.below(0x1000));
      else if (how === 1) c.x[r] = (c.x[r] & ~3n) | (c.x[r] >> 60n === 0n ? 1n << 60n : 0n);
      else c.x[r] = CODE_ADDR + 4n * BigInt(i + forward());
      return setField(w, 5, r);
    }
    if (is(w, 0xffd0_0000, 0xd510_0000) && rng.below(4)) {
      // MRS/MSR (register): mostly registers user space really uses.
      const [op0, op1, crn, crm, op2] = rng.pick(EL0_SYSREGS);
      const key = ((op0 & 1) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
      w = ((w & ~(0x7fff << 5)) | (key << 5)) >>> 0;
    }
    if (is(w, 0xffff_ffc0, 0xd51b_4400) || is(w, 0xffff_ffc0, 0xd51b_4420)) {
      // MSR FPCR/FPSR: the AArch32-only bits (Len/Stride, FPSR.NZCV) stay clear; qemu's
      // Cortex-A57 keeps them, Dormouse (AArch64 only) has them RES0.
      const r = this.freeReg(pinned, written, [], false);
      if (r < 0) return null;
      pinned.add(r);
      c.x[r] &= ~BigInt(FPCR_AARCH32_ONLY | FPSR_AARCH32_ONLY);
      w = setField(w, 0, r);
    }
    if (is(w, 0xfff8_0000, 0xd508_0000) && rng.below(4)) {
      // SYS: mostly the cache maintenance EL0 may do.
      const [op1, crn, crm, op2] = rng.pick(EL0_CACHE_OPS);
      w = ((w & ~(0x3fff << 5)) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5)) >>> 0;
    }
    if (is(w, 0xfff8_0000, 0xd508_0000) && ((w >>> 16) & 7) === 3 && ((w >>> 12) & 15) === 7) {
      // DC/IC by address at EL0: the address register points into the data buffer.
      const r = this.freeReg(pinned, written, [], false);
      if (r < 0) return null;
      pinned.add(r);
      c.x[r] = this.dataTarget() + BigInt(rng.below(64));
      return setField(w, 0, r);
    }
    if (!isLoadStore(w)) return w;
    const a = accessOf(w);
    if (a.literal) {
      // PC-relative: read the code page itself.
      const imm19 = rng.below(512) - i;
      return ((w & ~(0x7ffff << 5)) | ((imm19 & 0x7ffff) << 5)) >>> 0;
    }
    // Now and then the address is whatever the registers hold; the register constraints below
    // (CONSTRAINED UNPREDICTABLE cases, where qemu and we may choose differently) still apply.
    const wild = rng.below(32) === 0 && !(a.exclusive && a.store);
    if (a.exclusive && a.store && this.exclLoad !== null && ((this.exclLoad ^ w) & (1 << 21)) === 0 && rng.below(2)) {
      // Pair with the earlier load-exclusive: same base register and access size, so the
      // store can succeed (a different size is CONSTRAINED UNPREDICTABLE: not generated).
      const base = field(this.exclLoad, 5);
      w = setField(((w & 0x3fff_ffff) | (this.exclLoad & 0xc000_0000)) >>> 0, 5, base);
      const busy = [field(w, 0), field(w, 10), base];
      let rs = field(w, 16);
      while (busy.includes(rs)) rs = rng.below(31);
      return setField(w, 16, rs);
    }
    const pairLoad = !a.store && (a.pair || (a.exclusive && ((w >>> 21) & 1) === 1));
    if (pairLoad && field(w, 0) === field(w, 10)) w = setField(w, 10, (field(w, 0) + 1) % 31);
    const others = a.others.map((p) => field(w, p));
    const base = this.freeReg(pinned, written, others, true);
    if (base < 0) return null;
    w = setField(w, 5, base);
    if (a.exclusive && a.store) {
      // The status register must differ from the data and address registers.
      const busy = [field(w, 0), field(w, 10), base];
      let rs = field(w, 16);
      while (busy.includes(rs)) rs = rng.below(31);
      w = setField(w, 16, rs);
    }
    pinned.add(base);
    if (wild) return w;
    let offset = a.offset;
    if (a.rmPos >= 0) {
      const rm = this.freeReg(pinned, written, [...others, base], false);
      if (rm < 0) return null;
      pinned.add(rm);
      w = setField(w, a.rmPos, rm);
      const m = BigInt(rng.below(256));
      c.x[rm] = m;
      offset = m << BigInt(a.rmShift);
    }
    // qemu fails a store-exclusive whose address is not the monitored one before checking its
    // alignment (the Arm ARM checks alignment first): keep those aligned.
    const target = a.exclusive && a.store ? this.dataTarget() & ~15n : this.dataTarget();
    const addr = target - offset;
    if (base === 31) c.sp = addr;
    else c.x[base] = addr;
    return w;
  }
}

/** Generates `count` cases; the first instructions go round-robin over the pool, so every usable entry is drawn. */
export function generate(opts: GenOptions): Generated {
  const all = entries();
  let pool = all;
  if (opts.group) pool = pool.filter((e) => e.group === opts.group);
  if (opts.entry) pool = pool.filter((e) => e.name === opts.entry);
  if (pool.length === 0) throw new Error(`no table entry matches ${opts.group ? `group ${opts.group}` : ""} ${opts.entry ?? ""}`.trim());
  const maxLen = Math.max(1, Math.min(opts.maxLen ?? 8, MAX_WORDS - 1));
  const g = new Generator(opts.seed, pool, maxLen, opts.isUndefined, opts.raw ?? 0, opts.branches ?? 0, opts.loops ?? 0);
  const cases: Case[] = [];
  let k = 0;
  let misses = 0;
  while (cases.length < opts.count) {
    const u = g.usable();
    if (u.length === 0) break;
    const c = g.make(u[k++ % u.length]);
    if (c) cases.push(c);
    else if (++misses > opts.count + 1000) break;
  }
  return { cases, pool, unusable: g.unusable };
}
