// Integer helpers shared by the data-processing groups (Arm ARM shared pseudocode).
import { NZCV_ADDR } from "../layout";
import { setFlags } from "../state";

// ---- AddWithCarry and flag setting ----------------------------------------------------

/** AddWithCarry on 64 bits; sets NZCV when setflags. */
// @ts-ignore: decorator
@inline export function addWithCarry64(x: u64, y: u64, carry: u32, setflags: bool): u64 {
  const r = x + y + <u64>carry;
  if (setflags) {
    // Unsigned overflow: r < x, or r == x when a carry-in wrapped y = ~0 all the way round.
    const c = carry ? r <= x : r < x;
    const v = ((~(x ^ y) & (x ^ r)) >>> 63) != 0;
    setFlags(<i64>r < 0, r == 0, c, v);
  }
  return r;
}

/** AddWithCarry on 32 bits (operands in the low halves); sets NZCV when setflags. */
// @ts-ignore: decorator
@inline export function addWithCarry32(x: u32, y: u32, carry: u32, setflags: bool): u32 {
  const wide = <u64>x + <u64>y + <u64>carry;
  const r = <u32>wide;
  if (setflags) {
    const v = ((~(x ^ y) & (x ^ r)) >>> 31) != 0;
    setFlags(<i32>r < 0, r == 0, (wide >>> 32) != 0, v);
  }
  return r;
}

/** x + y on 64 bits, setting NZCV as AddWithCarry(x, y, 0) does. */
// @ts-ignore: decorator
@inline export function adds64(x: u64, y: u64): u64 {
  const r = x + y;
  setFlags(<i64>r < 0, r == 0, r < x, ((~(x ^ y) & (x ^ r)) >>> 63) != 0);
  return r;
}

/** x - y on 64 bits, setting NZCV as AddWithCarry(x, NOT(y), 1) does (C = no borrow). */
// @ts-ignore: decorator
@inline export function subs64(x: u64, y: u64): u64 {
  const r = x - y;
  setFlags(<i64>r < 0, r == 0, x >= y, (((x ^ y) & (x ^ r)) >>> 63) != 0);
  return r;
}

/** x + y on 32 bits, setting NZCV as AddWithCarry(x, y, 0) does. */
// @ts-ignore: decorator
@inline export function adds32(x: u32, y: u32): u32 {
  const r = x + y;
  setFlags(<i32>r < 0, r == 0, r < x, ((~(x ^ y) & (x ^ r)) >>> 31) != 0);
  return r;
}

/** x - y on 32 bits, setting NZCV as AddWithCarry(x, NOT(y), 1) does (C = no borrow). */
// @ts-ignore: decorator
@inline export function subs32(x: u32, y: u32): u32 {
  const r = x - y;
  setFlags(<i32>r < 0, r == 0, x >= y, (((x ^ y) & (x ^ r)) >>> 31) != 0);
  return r;
}

/** NZ from a 64-bit result, C = V = 0 (logical operations with setflags). */
// @ts-ignore: decorator
@inline export function logicFlags64(r: u64): void {
  store<u32>(NZCV_ADDR, (<u32>(r >>> 32) & 0x80000000) | (<u32>(r == 0) << 30));
}

/** NZ from a 32-bit result, C = V = 0 (logical operations with setflags). */
// @ts-ignore: decorator
@inline export function logicFlags32(r: u32): void {
  store<u32>(NZCV_ADDR, (r & 0x80000000) | (<u32>(r == 0) << 30));
}

/** PSTATE.C as 0 or 1. */
// @ts-ignore: decorator
@inline export function carryFlag(): u32 {
  return (load<u32>(NZCV_ADDR) >>> 29) & 1;
}

// ---- Conditions ---------------------------------------------------------------------------

// For each condition, bit f of its 16-bit entry says whether it holds when NZCV = f
// (N = bit 3 ... V = bit 0). AL and NV (0b1111) always hold.
const COND_TABLE: usize = memory.data<u16>([
  0xf0f0, 0x0f0f, 0xcccc, 0x3333, 0xff00, 0x00ff, 0xaaaa, 0x5555,
  0x0c0c, 0xf3f3, 0xaa55, 0x55aa, 0x0a05, 0xf5fa, 0xffff, 0xffff,
]);

/** Arm ConditionHolds(cond), branch-free: one table load. */
// @ts-ignore: decorator
@inline export function condHolds(cond: u32): bool {
  return ((<u32>load<u16>(COND_TABLE + ((<usize>cond & 15) << 1)) >>> (load<u32>(NZCV_ADDR) >>> 28)) & 1) != 0;
}

// ---- Shifts and extends -------------------------------------------------------------------

/** ShiftReg on 64 bits: type 0 LSL, 1 LSR, 2 ASR, 3 ROR; amount in 0..63. */
// @ts-ignore: decorator
@inline export function shiftReg64(v: u64, type: u32, amount: u32): u64 {
  const a = <u64>amount;
  switch (type) {
    case 0:
      return v << a;
    case 1:
      return v >>> a;
    case 2:
      return <u64>(<i64>v >> a);
    default:
      return rotr<u64>(v, a);
  }
}

/** ShiftReg on 32 bits: type 0 LSL, 1 LSR, 2 ASR, 3 ROR; amount in 0..31. */
// @ts-ignore: decorator
@inline export function shiftReg32(v: u32, type: u32, amount: u32): u32 {
  switch (type) {
    case 0:
      return v << amount;
    case 1:
      return v >>> amount;
    case 2:
      return <u32>(<i32>v >> amount);
    default:
      return rotr<u32>(v, amount);
  }
}

/** ExtendReg: option 0..7 = UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX, then LSL #shift. */
// @ts-ignore: decorator
@inline export function extendReg(v: u64, option: u32, shift: u32): u64 {
  let e: u64;
  switch (option) {
    case 0:
      e = v & 0xff;
      break;
    case 1:
      e = v & 0xffff;
      break;
    case 2:
      e = v & 0xffffffff;
      break;
    case 4:
      e = <u64>(<i64>(<i8>v));
      break;
    case 5:
      e = <u64>(<i64>(<i16>v));
      break;
    case 6:
      e = <u64>(<i64>(<i32>v));
      break;
    default:
      e = v;
      break;
  }
  return e << <u64>shift;
}

// ---- Bit operations -----------------------------------------------------------------------

/** Reverses the bits of a 64-bit value. */
// @ts-ignore: decorator
@inline export function rbit64(v: u64): u64 {
  let x = bswap<u64>(v);
  x = ((x >>> 4) & 0x0f0f0f0f0f0f0f0f) | ((x & 0x0f0f0f0f0f0f0f0f) << 4);
  x = ((x >>> 2) & 0x3333333333333333) | ((x & 0x3333333333333333) << 2);
  return ((x >>> 1) & 0x5555555555555555) | ((x & 0x5555555555555555) << 1);
}

/** Reverses the bits of a 32-bit value. */
// @ts-ignore: decorator
@inline export function rbit32(v: u32): u32 {
  let x = bswap<u32>(v);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  return ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
}

/** High 64 bits of the unsigned 128-bit product (four 32-bit products: wasm has no 64x64→128). */
// @ts-ignore: decorator
@inline export function umulh64(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff;
  const aHi = a >>> 32;
  const bLo = b & 0xffffffff;
  const bHi = b >>> 32;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  // Cannot overflow: (2^32-1)^2 + 2 * (2^32-1) = 2^64 - 1.
  const cross = (loLo >>> 32) + (hiLo & 0xffffffff) + loHi;
  return aHi * bHi + (hiLo >>> 32) + (cross >>> 32);
}

/** High 64 bits of the signed 128-bit product. */
// @ts-ignore: decorator
@inline export function smulh64(a: u64, b: u64): u64 {
  // Signed high part = unsigned high part - (a < 0 ? b : 0) - (b < 0 ? a : 0).
  const sa = <u64>(<i64>a >> 63);
  const sb = <u64>(<i64>b >> 63);
  return umulh64(a, b) - (sa & b) - (sb & a);
}

// ---- DecodeBitMasks -----------------------------------------------------------------------

/** Replicates an esize-bit pattern across 64 bits. */
// @ts-ignore: decorator
@inline function replicate(v: u64, esize: u32): u64 {
  let r = v;
  for (let s = esize; s < 64; s <<= 1) r |= r << s;
  return r;
}

// @ts-ignore: decorator
@inline function ones(n: u32): u64 {
  return n >= 64 ? ~(<u64>0) : (<u64>1 << n) - 1;
}

/** DecodeBitMasks result: wmask in bmWmask, tmask in bmTmask. */
export let bmWmask: u64 = 0;
export let bmTmask: u64 = 0;

/**
 * Arm DecodeBitMasks(N, imms, immr, immediate). Returns false for reserved encodings
 * (the caller raises UNDEFINED).
 */
export function decodeBitMasks(N: u32, imms: u32, immr: u32, immediate: bool, datasize: u32): bool {
  const combined = (N << 6) | (~imms & 0x3f);
  if (combined == 0) return false;
  const len = 31 - clz<u32>(combined);
  if (len < 1 || (immediate && datasize < (<u32>1 << len))) return false;
  const levels = (<u32>1 << len) - 1;
  if (immediate && (imms & levels) == levels) return false;
  const S = imms & levels;
  const R = immr & levels;
  const d = (S - R) & levels;
  const esize: u32 = <u32>1 << len;
  const welem = ones(S + 1);
  const telem = ones(d + 1);
  // ROR(welem, R) within esize bits.
  const emask = ones(esize);
  const rotated = R == 0 ? welem : ((welem >>> R) | (welem << (esize - R))) & emask;
  bmWmask = replicate(rotated, esize);
  bmTmask = replicate(telem, esize);
  if (datasize == 32) {
    bmWmask &= 0xffffffff;
    bmTmask &= 0xffffffff;
  }
  return true;
}

// Logical immediates decoded once: (N:immr:imms, 13 bits) → the 64-bit wmask (truncate for
// 32-bit forms), with reserved encodings recorded as 0 (no valid bitmask immediate is 0).
// Filled when the module starts.
const LOGIMM_TABLE: usize = memory.data(8 << 13, 8);

function fillLogImmTable(): void {
  for (let k: u32 = 0; k < 1 << 13; k++) {
    const ok = decodeBitMasks(k >>> 12, k & 0x3f, (k >>> 6) & 0x3f, true, 64);
    store<u64>(LOGIMM_TABLE + (<usize>k << 3), ok ? bmWmask : 0);
  }
}
fillLogImmTable();

/** The logical immediate of N:immr:imms as a 64-bit mask, or 0 when the encoding is reserved. */
// @ts-ignore: decorator
@inline export function logicalImmediate(N: u32, immr: u32, imms: u32): u64 {
  return load<u64>(LOGIMM_TABLE + (<usize>((N << 12) | (immr << 6) | imms) << 3));
}

// ---- CRC32 --------------------------------------------------------------------------------
// Byte-at-a-time tables of the bit-reflected CRC-32 (polynomial 0x04C11DB7) and CRC-32C
// (0x1EDC6F41), filled when the module starts. The Arm CRC32 instructions are the reflected
// update with no pre- or post-inversion, which is exactly one table step per byte.
const CRC32_TABLE: usize = memory.data(256 * 4, 4);
const CRC32C_TABLE: usize = memory.data(256 * 4, 4);

function fillCrcTable(table: usize, reflectedPoly: u32): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
    store<u32>(table + (<usize>i << 2), c);
  }
}
fillCrcTable(CRC32_TABLE, 0xedb88320);
fillCrcTable(CRC32C_TABLE, 0x82f63b78);

/** CRC32 or CRC32C (castagnoli) of the low `bytes` bytes of `value` into accumulator `acc`. */
// @ts-ignore: decorator
@inline export function crc32Update(acc: u32, value: u64, bytes: u32, castagnoli: bool): u32 {
  const table = castagnoli ? CRC32C_TABLE : CRC32_TABLE;
  let c = acc;
  let v = value;
  for (let i: u32 = 0; i < bytes; i++) {
    c = (c >>> 8) ^ load<u32>(table + ((<usize>((c ^ <u32>v) & 0xff)) << 2));
    v >>>= 8;
  }
  return c;
}
