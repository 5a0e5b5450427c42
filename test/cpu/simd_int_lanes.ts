// Helpers for the AdvSIMD integer tests: running single instruction words, lane packing and
// the saturation arithmetic of the Arm pseudocode (unbounded integers, BigInt).
import type { Cpu } from "../../src/cpu/cpu.ts";
import { ExitReason } from "../../src/cpu/cpu.ts";
import type { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu } from "../support/snippet.ts";

/** FPSR.QC. */
export const QC = 1 << 27;
const HVC0 = 0xd4000002;

export interface WordInit {
  v?: Record<number, bigint>;
  x?: Record<number, bigint>;
  fpsr?: number;
}

let cpu: Cpu | null = null;

/** A reset CPU (FP/SIMD enabled) holding `word` then HVC #0 at CODE_BASE; RAM is cleared once only. */
function prepare(word: number): Cpu {
  if (!cpu) cpu = freshCpu();
  cpu.reset();
  cpu.setSysreg(0xc082, 3n << 20n); // CPACR_EL1.FPEN = 0b11
  const code = new Uint8Array(8);
  const dv = new DataView(code.buffer);
  dv.setUint32(0, word >>> 0, true);
  dv.setUint32(4, HVC0, true);
  cpu.writePhys(CODE_BASE, code);
  cpu.flushCaches();
  cpu.pc = CODE_BASE;
  return cpu;
}

/** Runs one instruction word (followed by HVC #0) at EL1 with the given registers. */
export function runWord(word: number, init: WordInit = {}): Cpu {
  const c = prepare(word);
  for (const [n, val] of Object.entries(init.v ?? {})) c.setV(Number(n), val);
  for (const [n, val] of Object.entries(init.x ?? {})) c.setX(Number(n), val);
  c.fpsr = init.fpsr ?? 0;
  const r = c.run(10);
  if (r !== ExitReason.Hvc) throw new Error(`word ${word.toString(16)} stopped with exit ${r} (undef count ${c.undefCount})`);
  return c;
}

/** Runs one word and reports whether it took an UNDEFINED exception (ESR_EL1.EC = 0). */
export function isUndefined(word: number): boolean {
  const c = prepare(word);
  const before = c.undefCount;
  c.run(1);
  return c.undefCount === before + 1;
}

export const M64 = (1n << 64n) - 1n;
export const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/** The `count` lanes of `esize` bits of v, unsigned, lane 0 first. */
export function lanes(v: bigint, esize: number, count = 128 / esize): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) out.push((v >> BigInt(i * esize)) & mask(esize));
  return out;
}

/** Packs lanes (lane 0 lowest) of `esize` bits; each value is truncated to the lane. */
export function pack(ls: bigint[], esize: number): bigint {
  let v = 0n;
  ls.forEach((l, i) => {
    v |= (l & mask(esize)) << BigInt(i * esize);
  });
  return v;
}

/** Signed value of the low `bits` of v. */
export const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
/** Unsigned value of the low `bits` of v. */
export const ux = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);

/** SignedSatQ: [clamped value (as a lane pattern), saturated]. */
export function satS(v: bigint, bits: number): [bigint, boolean] {
  const hi = (1n << BigInt(bits - 1)) - 1n;
  const lo = -hi - 1n;
  if (v > hi) return [hi, true];
  if (v < lo) return [ux(lo, bits), true];
  return [ux(v, bits), false];
}

/** UnsignedSatQ: [clamped value, saturated]. */
export function satU(v: bigint, bits: number): [bigint, boolean] {
  const hi = mask(bits);
  if (v > hi) return [hi, true];
  if (v < 0n) return [0n, true];
  return [v, false];
}

const SPECIAL = [
  0n,
  1n,
  2n,
  0x7fn,
  0x80n,
  0xffn,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  M64 >> 1n,
  1n << 63n,
  M64,
];

/** A random 64-bit value biased towards edge cases (extremes, small and small negative lanes). */
export function rand64(rng: Rng): bigint {
  switch (rng.below(6)) {
    case 0:
      return rng.pick(SPECIAL);
    case 1: {
      let v = 0n;
      for (let i = 0; i < 8; i++) v |= BigInt(rng.pick([0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x81, rng.below(256)])) << BigInt(8 * i);
      return v;
    }
    case 2: {
      let v = 0n;
      for (let i = 0; i < 8; i++) v |= BigInt((rng.below(40) - 20) & 0xff) << BigInt(8 * i);
      return v;
    }
    default:
      return rng.u64();
  }
}

/** A random 128-bit vector value (see rand64). */
export const rand128 = (rng: Rng): bigint => (rand64(rng) << 64n) | rand64(rng);

/** Arrangement name → element size in bits and Q. */
export function arrangementOf(t: string): { esize: number; q: number; count: number } {
  const m = /^(\d+)([bhsd])$/.exec(t);
  if (!m) throw new Error(`bad arrangement ${t}`);
  const esize = { b: 8, h: 16, s: 32, d: 64 }[m[2] as "b"] as number;
  const count = Number(m[1]);
  return { esize, q: esize * count === 128 ? 1 : 0, count };
}

/** Scalar register letter → element size in bits. */
export const scalarBits = (r: string): number => ({ b: 8, h: 16, s: 32, d: 64 })[r as "b"] as number;
