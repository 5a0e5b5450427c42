// Deterministic case generation for the soft-float differential tests. Values are produced as
// bigint bit patterns biased towards the interesting classes.

import type { Kind, OpSpec } from "./ops.ts";

/** Small seeded PRNG (xorshift32 variant). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  /** Random bigint with the given number of low bits. */
  bits(n: number): bigint {
    if (n <= 0) return 0n;
    return this.u64() & ((1n << BigInt(n)) - 1n);
  }
}

interface Fmt {
  e: number;
  f: number;
}
const FMTS: Record<string, Fmt> = { f16: { e: 5, f: 10 }, f32: { e: 8, f: 23 }, f64: { e: 11, f: 52 } };

function pack(fmt: Fmt, s: number, e: number, frac: bigint): bigint {
  return (BigInt(s) << BigInt(fmt.e + fmt.f)) | (BigInt(e) << BigInt(fmt.f)) | (frac & ((1n << BigInt(fmt.f)) - 1n));
}

/** A fraction with either random bits, few significant bits, or near-all-ones / near-zero patterns. */
function frac(r: Rng, f: number): bigint {
  switch (r.int(6)) {
    case 0:
      return r.bits(f) & ~((1n << BigInt(r.int(f + 1))) - 1n); // few low bits
    case 1:
      return (1n << BigInt(f)) - 1n - r.bits(r.int(4)); // near all ones
    case 2:
      return r.bits(r.int(4)); // near zero
    case 3:
      return (r.bits(f) & ~((1n << BigInt(f - 2)) - 1n)) | r.bits(2); // tie-ish patterns
    default:
      return r.bits(f);
  }
}

/** Random float bit pattern of the format. */
export function genFloat(r: Rng, kind: Kind): bigint {
  const fmt = FMTS[kind];
  const bias = (1 << (fmt.e - 1)) - 1;
  const maxE = (1 << fmt.e) - 1;
  const s = r.int(2);
  switch (r.int(22)) {
    case 0:
      return pack(fmt, s, 0, 0n);
    case 1:
      return pack(fmt, s, 0, frac(r, fmt.f) || 1n);
    case 2:
      return pack(fmt, s, 0, r.bits(1 + r.int(fmt.f)) || 1n);
    case 3:
      return pack(fmt, s, maxE, 0n);
    case 4:
      return pack(fmt, s, maxE, (1n << BigInt(fmt.f - 1)) | r.bits(fmt.f - 1));
    case 5:
      return pack(fmt, s, maxE, r.bits(fmt.f - 1) || 1n);
    case 6:
    case 7:
      return pack(fmt, s, 1 + r.int(4), frac(r, fmt.f));
    case 8:
      return pack(fmt, s, maxE - 1 - r.int(4), frac(r, fmt.f));
    case 9:
    case 10:
      return pack(fmt, s, bias - 8 + r.int(20), frac(r, fmt.f));
    case 11: {
      // Near the integer-conversion boundaries 2^31, 2^32, 2^63, 2^64 (and 2^15/2^16 for f16).
      const targets = kind === "f16" ? [14, 15, 16] : [30, 31, 32, 62, 63, 64];
      const t = targets[r.int(targets.length)];
      const e = Math.min(maxE - 1, bias + t - (r.int(3) === 0 ? 1 : 0));
      return pack(fmt, s, e, r.chance(0.5) ? frac(r, fmt.f) : (1n << BigInt(fmt.f)) - 1n - r.bits(r.int(12)));
    }
    case 12: {
      // Small integers and halves (rounding-to-integral ties).
      const v = (r.int(64) + (r.chance(0.5) ? 0.5 : 0) + (r.chance(0.2) ? 0.25 : 0)) * (s ? -1 : 1);
      return fromNumber(kind, v);
    }
    case 13:
      // Exponent around the bias minus the fraction width: fractional bits at the edge.
      return pack(fmt, s, bias + fmt.f - 2 + r.int(5), frac(r, fmt.f));
    case 14:
      // Around the underflow boundary for products and quotients.
      return pack(fmt, s, Math.max(1, bias - (bias >> 1) - 4 + r.int(8)), frac(r, fmt.f));
    case 15:
      return pack(fmt, s, Math.min(maxE - 1, bias + (bias >> 1) - 4 + r.int(8)), frac(r, fmt.f));
    default:
      return r.bits(fmt.e + fmt.f + 1);
  }
}

const dv = new DataView(new ArrayBuffer(8));

/** Bits of a JS number in a float format (f16 only for simple values). */
export function fromNumber(kind: Kind, v: number): bigint {
  if (kind === "f64") {
    dv.setFloat64(0, v);
    return dv.getBigUint64(0);
  }
  dv.setFloat32(0, v);
  const b = BigInt(dv.getUint32(0));
  if (kind === "f32") return b;
  // f32 -> f16 by truncation (inputs here are small exact values).
  const s = (b >> 31n) & 1n;
  const e = Number((b >> 23n) & 0xffn);
  if (e === 0) return s << 15n;
  return (s << 15n) | (BigInt(e - 127 + 15) << 10n) | ((b >> 13n) & 0x3ffn);
}

/** JS number of float bits (f32/f64). */
export function toNumber(kind: Kind, bits: bigint): number {
  if (kind === "f64") {
    dv.setBigUint64(0, bits);
    return dv.getFloat64(0);
  }
  dv.setUint32(0, Number(bits & 0xffffffffn));
  return dv.getFloat32(0);
}

/** Random integer operand biased towards boundaries. */
export function genInt(r: Rng, kind: Kind): bigint {
  const w = kind === "i64" ? 64 : 32;
  const mask = (1n << BigInt(w)) - 1n;
  let v: bigint;
  switch (r.int(8)) {
    case 0:
      v = BigInt(r.int(256));
      break;
    case 1:
      v = (1n << BigInt(r.int(w))) + BigInt(r.int(5)) - 2n;
      break;
    case 2:
      // Values just past the significand width (rounding in conversion).
      v = (r.bits(r.int(w) + 1) | (1n << BigInt(r.int(w)))) ^ BigInt(r.int(4));
      break;
    case 3:
      v = mask - BigInt(r.int(300));
      break;
    default:
      v = r.bits(w);
  }
  if (r.chance(0.3)) v = -v;
  return v & mask;
}

function operand(r: Rng, kind: Kind): bigint {
  if (kind === "-") return 0n;
  if (kind === "i32" || kind === "i64") return genInt(r, kind);
  return genFloat(r, kind);
}

function mask(kind: Kind): bigint {
  return kind === "f64" || kind === "i64" ? (1n << 64n) - 1n : kind === "f16" ? 0xffffn : 0xffffffffn;
}

/** Generates operands (a, b, c) for an op; relates b/c to a part of the time. */
export function genOperands(r: Rng, op: OpSpec): [bigint, bigint, bigint] {
  let a = operand(r, op.a);
  let b = operand(r, op.b);
  let c = op.fbits ? (r.chance(0.4) ? 0n : BigInt(1 + r.int(op.fbits))) : operand(r, op.c);
  const k = op.a;
  if ((k === "f32" || k === "f64") && op.b !== "-" && r.chance(0.35)) {
    const m = mask(k);
    const fb = k === "f64" ? 52n : 23n;
    switch (r.int(5)) {
      case 0:
        b = (a + BigInt(r.int(9)) - 4n) & m; // neighbour
        break;
      case 1:
        b = (a ^ (1n << (fb + (k === "f64" ? 11n : 8n)))) + BigInt(r.int(5) - 2); // near -a
        b &= m;
        break;
      case 2:
        b = (a + (BigInt(r.int(60) - 30) << fb)) & m; // exponent shifted
        break;
      default: {
        // b ~ target / a for the step functions, or 1/a otherwise.
        const av = toNumber(k, a);
        const t = op.pair === "rsqrts" ? 3 : op.pair === "recps" ? 2 : 1;
        const bv = t / av;
        if (Number.isFinite(bv)) b = (fromNumber(k, bv) + BigInt(r.int(3) - 1)) & m;
      }
    }
  }
  if (op.pair === "fma" && r.chance(0.3)) {
    // Short significands make a*b exact in JS; an addend half an ulp of it (give or take)
    // puts the exact sum on or next to a rounding midpoint.
    const fw = k === "f64" ? 52n : 23n;
    const keep = BigInt(k === "f64" ? 26 : 11);
    const shortOf = (v: bigint) => v & ~((1n << (fw - keep)) - 1n);
    a = shortOf(a);
    b = shortOf(b);
    const p = toNumber(k, a) * toNumber(k, b);
    const delta = [0, 2 ** -40, -(2 ** -40), 2 ** -20, 0.5][r.int(5)];
    const cv = p * 2 ** -(Number(fw) + 1 + r.int(3)) * (1 + delta) * (r.chance(0.5) ? -1 : 1);
    if (Number.isFinite(cv)) c = fromNumber(k, cv);
  } else if (op.pair === "fma" && r.chance(0.5)) {
    // Addend close to -(a*b): massive cancellation and exact-zero results.
    const p = toNumber(k, a) * toNumber(k, b);
    if (Number.isFinite(p)) {
      c = (fromNumber(k, -p) + BigInt(r.int(5) - 2)) & mask(k);
      if (r.chance(0.3)) c ^= 1n << (k === "f64" ? 63n : 31n);
    }
  }
  if (k === "f32" && op.c === "-" && !op.fbits) c = 0n;
  a &= mask(op.a === "-" ? "f64" : op.a);
  return [a, b, c];
}

/** Random FPCR: RMode, FZ, DN and (for half conversions) AHP. */
export function genFpcr(r: Rng): number {
  let v = r.int(4) << 22;
  if (r.chance(0.3)) v |= 1 << 24;
  if (r.chance(0.3)) v |= 1 << 25;
  if (r.chance(0.4)) v |= 1 << 26;
  return v >>> 0;
}

/** Hand-picked special values of each operand kind (both signs added by cornerValues). */
const CORNERS: Record<string, bigint[]> = {
  f16: [
    0x0000n,
    0x0001n,
    0x03ffn,
    0x0400n,
    0x3c00n,
    0x3c01n,
    0x3bffn,
    0x7bffn,
    0x7c00n,
    0x7e00n,
    0x7e01n,
    0x7c01n,
    0x7dffn,
    0x7fffn,
    0x4000n,
    0x3800n,
  ],
  f32: [
    0x00000000n,
    0x00000001n,
    0x007fffffn,
    0x00400000n,
    0x00800000n,
    0x00800001n,
    0x3f800000n,
    0x3f800001n,
    0x3f7fffffn,
    0x3fc00000n,
    0x40000000n,
    0x40200000n,
    0x40400000n,
    0x3f000000n,
    0x7f7fffffn,
    0x7f000000n,
    0x7f800000n,
    0x7fc00000n,
    0x7fc12345n,
    0x7f800001n,
    0x7fbfffffn,
    0x4f000000n,
    0x4effffffn,
    0x4f800000n,
    0x5f000000n,
    0x5effffffn,
    0x5f800000n,
    0x33800000n,
    0x0c000000n,
    0x1f800000n,
    0x60000000n,
    0x3effffffn,
  ],
  f64: [
    0x0000000000000000n,
    0x0000000000000001n,
    0x000fffffffffffffn,
    0x0008000000000000n,
    0x0010000000000000n,
    0x0010000000000001n,
    0x3ff0000000000000n,
    0x3ff0000000000001n,
    0x3fefffffffffffffn,
    0x3ff8000000000000n,
    0x4000000000000000n,
    0x4004000000000000n,
    0x4008000000000000n,
    0x3fe0000000000000n,
    0x7fefffffffffffffn,
    0x7fe0000000000000n,
    0x7ff0000000000000n,
    0x7ff8000000000000n,
    0x7ff8000012345678n,
    0x7ff0000000000001n,
    0x7ff7ffffffffffffn,
    0x41e0000000000000n,
    0x41dfffffffffffffn,
    0x41f0000000000000n,
    0x43e0000000000000n,
    0x43dfffffffffffffn,
    0x43f0000000000000n,
    0x3ca0000000000000n,
    0x0180000000000000n,
    0x3810000000000000n,
    0x47efffffe0000000n,
    0x36a0000000000000n,
  ],
  i32: [0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xffffffffn, 0x01000001n, 0x00ffffffn, 0x7fffffc0n],
  i64: [
    0n,
    1n,
    0x7fffffffffffffffn,
    0x8000000000000000n,
    0xffffffffffffffffn,
    0x0020000000000001n,
    0x001fffffffffffffn,
    0x0000000001000001n,
    0x7ffffffffffffc00n,
    0xfffffffffffff800n,
  ],
};

/** Corner values of a kind: each listed value and its negation (integers: two's complement). */
export function cornerValues(kind: Kind): bigint[] {
  const base = CORNERS[kind] ?? [0n];
  const w = kind === "f64" || kind === "i64" ? 64n : kind === "f16" ? 16n : 32n;
  const m = (1n << w) - 1n;
  const out: bigint[] = [];
  for (const v of base) {
    out.push(v);
    out.push(kind[0] === "i" ? -v & m : v ^ (1n << (w - 1n)));
  }
  return out;
}

/** Deterministic corner cases for an op: all pairs (or triples sampled) of corner values. */
export function cornerCases(r: Rng, op: OpSpec): { a: bigint; b: bigint; c: bigint; fpcr: number }[] {
  const va = cornerValues(op.a);
  const vb = op.b === "-" ? [0n] : cornerValues(op.b);
  const out: { a: bigint; b: bigint; c: bigint; fpcr: number }[] = [];
  let n = 0;
  // Cycle through all 32 RMode/FZ/DN/AHP combinations.
  const fpcrOf = (i: number) => (((i & 3) << 22) | ((i & 4) << 22) | ((i & 8) << 22) | ((i & 16) << 22)) >>> 0;
  if (op.c !== "-") {
    const vc = cornerValues(op.c);
    for (let i = 0; i < 2000; i++) {
      out.push({ a: va[r.int(va.length)], b: vb[r.int(vb.length)], c: vc[r.int(vc.length)], fpcr: fpcrOf(n++) });
    }
    return out;
  }
  const reps = op.b === "-" ? 32 : 1;
  for (const a of va) {
    for (const b of vb) {
      for (let k = 0; k < reps; k++) {
        const c = op.fbits ? BigInt(r.int(op.fbits + 1)) : 0n;
        out.push({ a, b, c, fpcr: fpcrOf(n++) });
      }
    }
  }
  return out;
}
