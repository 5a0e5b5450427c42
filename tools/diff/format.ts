// The differential test's shared definitions: memory layout, test cases, outcomes, and the binary
// formats exchanged with the oracle (tools/diff/oracle/oracle.c, whose structs must agree).

/** The data buffer both sides map at the same address (64 KiB, read/write, not executable). */
export const DATA_ADDR = 0x1000_0000n;
export const DATA_SIZE = 0x1_0000;
/** The page the case's code is copied to (read + execute). */
export const CODE_ADDR = 0x1001_0000n;
export const CODE_SIZE = 0x1000;
/** Most instruction words in one case (the final BRK included). */
export const MAX_WORDS = 16;

/** BRK #0: every case ends with it. */
export const BRK0 = 0xd420_0000;

// Linux signal numbers (arm64).
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGSEGV = 11;
export const SIGALRM = 14;
/** Not a signal: our side ended in a way the oracle cannot (reported as a mismatch). */
export const SIG_OTHER = 100;

export const SIGNAL_NAMES: Record<number, string> = {
  [SIGILL]: "SIGILL",
  [SIGTRAP]: "SIGTRAP",
  [SIGBUS]: "SIGBUS",
  [SIGFPE]: "SIGFPE",
  [SIGSEGV]: "SIGSEGV",
  [SIGALRM]: "timeout",
  [SIG_OTHER]: "other",
};

/** One test case: code and the complete initial user state. */
export interface Case {
  /** Instruction words, ending with BRK #0. */
  code: number[];
  /** Table entry name of each word (for coverage and reports; "" for the end marker). */
  names: string[];
  x: bigint[];
  sp: bigint;
  /** NZCV in bits 31..28. */
  nzcv: number;
  fpcr: number;
  fpsr: number;
  /** V0..V31 as 128-bit values. */
  v: bigint[];
  /** Seed of the data buffer's initial contents (see fillData). */
  dataSeed: number;
}

/** How a case ended and the state it left. */
export interface Outcome {
  /** Signal (SIGTRAP at the end marker), SIGALRM when it did not finish, SIG_OTHER for our oddities. */
  sig: number;
  /** Fault address for SIGSEGV/SIGBUS. */
  fault: bigint;
  pc: bigint;
  x: bigint[];
  sp: bigint;
  nzcv: number;
  fpcr: number;
  fpsr: number;
  v: bigint[];
  /** Changed bytes of the data buffer: (offset << 8) | new value, by ascending offset. */
  mem: number[];
  /** Free text about how our side ended (exception class, exit reason). */
  note?: string;
}

const M64 = (1n << 64n) - 1n;
const CASE_SIZE = 6 * 4 + 31 * 8 + 8 + 512 + MAX_WORDS * 4;
const RESULT_FIXED = 4 + 4 + 8 + 8 + 8 + 31 * 8 + 8 + 4 + 4 + 512 + 4;

/** One word in 32 of the data buffer is one of these (FP specials as words and f64 high halves). */
const SPECIALS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0x00000001, 0x807fffff, 0x7ff00000, 0xfff80000, 0x000fffff,
  0x3ff00000, 0x7f7fffff, 0x00800000, 0xffffffff, 0x7ff80000,
];

/** The data buffer's initial contents: xorshift32 from the seed, one 32-bit word at a time (as oracle.c). */
export function fillData(seed: number, out: Uint32Array): void {
  let s = (seed | 1) >>> 0;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s & 0x1f) === 0 ? SPECIALS[(s >>> 5) & 15] : s;
  }
}

/** Serializes a batch of cases for the oracle. */
export function encodeCases(cases: Case[]): Buffer {
  const buf = Buffer.alloc(8 + cases.length * CASE_SIZE);
  buf.write("DMDC", 0, "latin1");
  buf.writeUInt32LE(cases.length, 4);
  cases.forEach((c, k) => {
    if (c.code.length > MAX_WORDS) throw new Error(`case ${k} has ${c.code.length} words (at most ${MAX_WORDS})`);
    let o = 8 + k * CASE_SIZE;
    for (const w of [c.code.length, 0, c.dataSeed, c.fpcr, c.fpsr, c.nzcv]) {
      buf.writeUInt32LE(w >>> 0, o);
      o += 4;
    }
    for (let i = 0; i < 31; i++, o += 8) buf.writeBigUInt64LE(c.x[i] & M64, o);
    buf.writeBigUInt64LE(c.sp & M64, o);
    o += 8;
    for (let i = 0; i < 32; i++, o += 16) {
      buf.writeBigUInt64LE(c.v[i] & M64, o);
      buf.writeBigUInt64LE((c.v[i] >> 64n) & M64, o + 8);
    }
    c.code.forEach((w, i) => {
      buf.writeUInt32LE(w >>> 0, o + 4 * i);
    });
  });
  return buf;
}

/** Parses the oracle's results. */
export function decodeResults(buf: Buffer, count: number): Outcome[] {
  if (buf.length < 8 || buf.toString("latin1", 0, 4) !== "DMDR" || buf.readUInt32LE(4) !== count) {
    throw new Error(`oracle output is malformed (${buf.length} bytes)`);
  }
  const out: Outcome[] = [];
  let o = 8;
  for (let k = 0; k < count; k++) {
    if (o + RESULT_FIXED > buf.length) throw new Error(`oracle output ends inside result ${k}`);
    const sig = buf.readUInt32LE(o);
    const fault = buf.readBigUInt64LE(o + 8);
    const pc = buf.readBigUInt64LE(o + 16);
    const pstate = buf.readBigUInt64LE(o + 24);
    let p = o + 32;
    const x: bigint[] = [];
    for (let i = 0; i < 31; i++, p += 8) x.push(buf.readBigUInt64LE(p));
    const sp = buf.readBigUInt64LE(p);
    p += 8;
    const fpsr = buf.readUInt32LE(p);
    const fpcr = buf.readUInt32LE(p + 4);
    p += 8;
    const v: bigint[] = [];
    for (let i = 0; i < 32; i++, p += 16) v.push((buf.readBigUInt64LE(p + 8) << 64n) | buf.readBigUInt64LE(p));
    const nd = buf.readUInt32LE(p);
    p += 4;
    const mem: number[] = [];
    for (let i = 0; i < nd; i++, p += 4) mem.push(buf.readUInt32LE(p));
    out.push({ sig, fault, pc, x, sp, nzcv: Number(pstate & 0xf000_0000n), fpcr, fpsr, v, mem });
    o = p;
  }
  return out;
}
