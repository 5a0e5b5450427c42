// Lane helpers shared by the AdvSIMD shift-by-immediate (simd_shift), three-different
// (simd_long) and by-element (simd_elem) groups. Element sizes are given as esz = log2(bytes),
// so an element has 8 << esz bits.
import { getFPSR, setFPSR } from "../state";

/** Sets FPSR.QC, the cumulative saturation bit. */
export function setQC(): void {
  setFPSR(getFPSR() | (1 << 27));
}

/** Element e (8 << esz bits) at address a, sign-extended. */
// @ts-ignore: decorator
@inline export function ldS(a: usize, e: u32, esz: u32): i64 {
  if (esz == 0) return <i64>load<i8>(a + <usize>e);
  if (esz == 1) return <i64>load<i16>(a + ((<usize>e) << 1));
  if (esz == 2) return <i64>load<i32>(a + ((<usize>e) << 2));
  return load<i64>(a + ((<usize>e) << 3));
}

/** Element e (8 << esz bits) at address a, zero-extended. */
// @ts-ignore: decorator
@inline export function ldU(a: usize, e: u32, esz: u32): u64 {
  if (esz == 0) return <u64>load<u8>(a + <usize>e);
  if (esz == 1) return <u64>load<u16>(a + ((<usize>e) << 1));
  if (esz == 2) return <u64>load<u32>(a + ((<usize>e) << 2));
  return load<u64>(a + ((<usize>e) << 3));
}

/** Stores the low 8 << esz bits of v as element e at address a. */
// @ts-ignore: decorator
@inline export function stE(a: usize, e: u32, esz: u32, v: u64): void {
  if (esz == 0) store<u8>(a + <usize>e, <u8>v);
  else if (esz == 1) store<u16>(a + ((<usize>e) << 1), <u16>v);
  else if (esz == 2) store<u32>(a + ((<usize>e) << 2), <u32>v);
  else store<u64>(a + ((<usize>e) << 3), v);
}

/** Element i (8 << esz bits, esz ≤ 2) of the 64-bit value x, sign-extended. */
// @ts-ignore: decorator
@inline export function extS(x: u64, i: u32, esz: u32): i64 {
  const bits: u32 = 8 << esz;
  return (<i64>(x << <u64>(64 - (i + 1) * bits))) >> <i64>(64 - bits);
}

/** Element i (8 << esz bits, esz ≤ 2) of the 64-bit value x, zero-extended. */
// @ts-ignore: decorator
@inline export function extU(x: u64, i: u32, esz: u32): u64 {
  const bits: u32 = 8 << esz;
  return (x >> <u64>(i * bits)) & ((<u64>-1) >> <u64>(64 - bits));
}

/** All ones in the low `bits` bits (1..64). */
// @ts-ignore: decorator
@inline export function onesU(bits: u32): u64 {
  return (<u64>-1) >> <u64>(64 - bits);
}

/** The most negative `bits`-bit signed value (1..64), sign-extended. */
// @ts-ignore: decorator
@inline export function minS(bits: u32): i64 {
  return <i64>((<u64>-1) << <u64>(bits - 1));
}

/** Signed saturation of v to `bits` bits (< 64); sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function satS(v: i64, bits: u32): i64 {
  const lo = minS(bits);
  const hi = ~lo;
  if (v > hi) {
    setQC();
    return hi;
  }
  if (v < lo) {
    setQC();
    return lo;
  }
  return v;
}

/** Unsigned saturation of the unsigned v to `bits` bits (< 64); sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function satU(v: u64, bits: u32): u64 {
  const hi = onesU(bits);
  if (v > hi) {
    setQC();
    return hi;
  }
  return v;
}

/** Unsigned saturation of the signed v to `bits` bits (< 64); sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function satSU(v: i64, bits: u32): u64 {
  if (v < 0) {
    setQC();
    return 0;
  }
  return satU(<u64>v, bits);
}

/** Signed saturating a + b on `bits`-bit values (bits ≤ 64, inputs in range); sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function addSatS(a: i64, b: i64, bits: u32): i64 {
  if (bits < 64) return satS(a + b, bits);
  const r = a + b;
  if (((a ^ r) & (b ^ r)) < 0) {
    setQC();
    return a < 0 ? i64.MIN_VALUE : i64.MAX_VALUE;
  }
  return r;
}

/** Signed saturating a - b on `bits`-bit values (bits ≤ 64, inputs in range); sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function subSatS(a: i64, b: i64, bits: u32): i64 {
  if (bits < 64) return satS(a - b, bits);
  const r = a - b;
  if (((a ^ b) & (a ^ r)) < 0) {
    setQC();
    return a < 0 ? i64.MIN_VALUE : i64.MAX_VALUE;
  }
  return r;
}

/**
 * SignedSatQ(2 * a * b, 2 * esize) for esize = 8 << esz (16 or 32 bits): the doubled product
 * only overflows when both operands are the most negative value.
 */
// @ts-ignore: decorator
@inline export function sqdmull(a: i64, b: i64, esz: u32): i64 {
  const esize: u32 = 8 << esz;
  if (a == minS(esize) && b == a) {
    setQC();
    return ~minS(2 * esize);
  }
  return 2 * a * b;
}

/**
 * SQDMULH / SQRDMULH of two esize-bit signed values (esize 16 or 32): the high half of the
 * doubled product, optionally rounded; saturates only for most-negative × most-negative.
 */
// @ts-ignore: decorator
@inline export function sqdmulh(a: i64, b: i64, esz: u32, round: bool): i64 {
  const esize: u32 = 8 << esz;
  if (a == minS(esize) && b == a) {
    setQC();
    return ~minS(esize);
  }
  let p = 2 * a * b;
  if (round) p += (<i64>1) << <i64>(esize - 1);
  return p >> <i64>esize;
}

/** Writes the 64-bit value lo to half `part` of Vd at address d: part 0 also clears the upper half. */
// @ts-ignore: decorator
@inline export function writePart(d: usize, part: u32, lo: u64): void {
  if (part) {
    store<u64>(d, lo, 8);
  } else {
    store<u64>(d, lo);
    store<u64>(d, 0, 8);
  }
}

/** Writes a scalar element (8 << esz bits) to the register at address d, clearing the rest. */
// @ts-ignore: decorator
@inline export function writeScalar(d: usize, esz: u32, v: u64): void {
  store<u64>(d, v & onesU(8 << esz));
  store<u64>(d, 0, 8);
}

/** Sign- or zero-extends the low or high half of v to lanes of twice the width (esz of the source lanes, ≤ 2). */
// @ts-ignore: decorator
@inline export function vExtend(v: v128, esz: u32, hi: bool, signed: bool): v128 {
  if (esz == 0) {
    if (signed) return hi ? i16x8.extend_high_i8x16_s(v) : i16x8.extend_low_i8x16_s(v);
    return hi ? i16x8.extend_high_i8x16_u(v) : i16x8.extend_low_i8x16_u(v);
  }
  if (esz == 1) {
    if (signed) return hi ? i32x4.extend_high_i16x8_s(v) : i32x4.extend_low_i16x8_s(v);
    return hi ? i32x4.extend_high_i16x8_u(v) : i32x4.extend_low_i16x8_u(v);
  }
  if (signed) return hi ? i64x2.extend_high_i32x4_s(v) : i64x2.extend_low_i32x4_s(v);
  return hi ? i64x2.extend_high_i32x4_u(v) : i64x2.extend_low_i32x4_u(v);
}

/** Lane-wise a + b for lanes of 8 << esz bits. */
// @ts-ignore: decorator
@inline export function vAdd(a: v128, b: v128, esz: u32): v128 {
  if (esz == 0) return i8x16.add(a, b);
  if (esz == 1) return i16x8.add(a, b);
  if (esz == 2) return i32x4.add(a, b);
  return i64x2.add(a, b);
}

/** Lane-wise a - b for lanes of 8 << esz bits. */
// @ts-ignore: decorator
@inline export function vSub(a: v128, b: v128, esz: u32): v128 {
  if (esz == 0) return i8x16.sub(a, b);
  if (esz == 1) return i16x8.sub(a, b);
  if (esz == 2) return i32x4.sub(a, b);
  return i64x2.sub(a, b);
}

/** Lane-wise a << s (s below the lane width) for lanes of 8 << esz bits. */
// @ts-ignore: decorator
@inline export function vShl(a: v128, esz: u32, s: u32): v128 {
  if (esz == 0) return i8x16.shl(a, s);
  if (esz == 1) return i16x8.shl(a, s);
  if (esz == 2) return i32x4.shl(a, s);
  return i64x2.shl(a, <i32>s);
}

/** Lane-wise arithmetic a >> s for s in 0..esize (a shift by esize fills with the sign). */
// @ts-ignore: decorator
@inline export function vShrS(a: v128, esz: u32, s: u32): v128 {
  const t = s >= (8 << esz) ? (8 << esz) - 1 : s;
  if (esz == 0) return i8x16.shr_s(a, t);
  if (esz == 1) return i16x8.shr_s(a, t);
  if (esz == 2) return i32x4.shr_s(a, t);
  return i64x2.shr_s(a, <i32>t);
}

/** Lane-wise logical a >> s for s in 0..esize (a shift by esize gives zero). */
// @ts-ignore: decorator
@inline export function vShrU(a: v128, esz: u32, s: u32): v128 {
  if (s >= (8 << esz)) return i64x2.splat(0);
  if (esz == 0) return i8x16.shr_u(a, s);
  if (esz == 1) return i16x8.shr_u(a, s);
  if (esz == 2) return i32x4.shr_u(a, s);
  return i64x2.shr_u(a, <i32>s);
}

/** A vector with every lane of 8 << esz bits equal to 1. */
// @ts-ignore: decorator
@inline export function vOnes(esz: u32): v128 {
  if (esz == 0) return i8x16.splat(1);
  if (esz == 1) return i16x8.splat(1);
  if (esz == 2) return i32x4.splat(1);
  return i64x2.splat(1);
}

/** The low halves of the lanes of v (lanes of 8 << wesz bits, wesz 1..3), packed into 64 bits. */
// @ts-ignore: decorator
@inline export function vTrunc(v: v128, wesz: u32): u64 {
  let r: v128;
  if (wesz == 1) r = i8x16.shuffle(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
  else if (wesz == 2) r = i8x16.shuffle(v, v, 0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13);
  else r = i8x16.shuffle(v, v, 0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
  return i64x2.extract_lane(r, 0);
}

/** A vector with every lane of 8 << esz bits equal to c. */
// @ts-ignore: decorator
@inline export function vSplat(esz: u32, c: u64): v128 {
  if (esz == 0) return i8x16.splat(<i8>c);
  if (esz == 1) return i16x8.splat(<i16>c);
  if (esz == 2) return i32x4.splat(<i32>c);
  return i64x2.splat(<i64>c);
}

/** Lane-wise a != b (all-ones lanes where they differ) for lanes of 8 << esz bits. */
// @ts-ignore: decorator
@inline export function vNe(a: v128, b: v128, esz: u32): v128 {
  if (esz == 0) return i8x16.ne(a, b);
  if (esz == 1) return i16x8.ne(a, b);
  if (esz == 2) return i32x4.ne(a, b);
  return i64x2.ne(a, b);
}

/** Sets QC when any lane of the all-ones/zero mask `sat` is set (only the low half when Q = 0). */
// @ts-ignore: decorator
@inline export function qcIfAny(sat: v128, Q: u32): void {
  if (!Q) sat = v128.and(sat, i64x2(-1, 0));
  if (v128.any_true(sat)) setQC();
}

/** Lane-wise |a| (signed lanes of 8 << esz bits, esz 1..3). */
// @ts-ignore: decorator
@inline export function vAbs(a: v128, esz: u32): v128 {
  if (esz == 1) return i16x8.abs(a);
  if (esz == 2) return i32x4.abs(a);
  return i64x2.abs(a);
}

/**
 * SQDMULL, SQDMLAL, SQDMLSL in v128 lanes: the signed products of half `hi` of a and b
 * (16- or 32-bit lanes, esz 1 or 2), doubled with saturation (only most-negative squared
 * overflows), then added to or subtracted from acc with saturation (op 0 = add, 1 = subtract,
 * 2 = product only). Sets QC when any lane saturates.
 */
// @ts-ignore: decorator
@inline export function vQdml(acc: v128, a: v128, b: v128, esz: u32, hi: bool, op: u32): v128 {
  let p: v128;
  let sat: v128;
  let r: v128;
  if (esz == 1) {
    p = hi ? i32x4.extmul_high_i16x8_s(a, b) : i32x4.extmul_low_i16x8_s(a, b);
    sat = i32x4.eq(p, i32x4.splat(0x40000000));
    p = v128.xor(i32x4.shl(p, 1), sat);
    if (op == 2) {
      r = p;
    } else {
      r = op ? i32x4.sub(acc, p) : i32x4.add(acc, p);
      const ovf = i32x4.shr_s(op ? v128.and(v128.xor(acc, p), v128.xor(acc, r)) : v128.and(v128.xor(acc, r), v128.xor(p, r)), 31);
      r = v128.bitselect(v128.xor(i32x4.shr_s(acc, 31), i32x4.splat(i32.MAX_VALUE)), r, ovf);
      sat = v128.or(sat, ovf);
    }
  } else {
    p = hi ? i64x2.extmul_high_i32x4_s(a, b) : i64x2.extmul_low_i32x4_s(a, b);
    sat = i64x2.eq(p, i64x2.splat(0x4000000000000000));
    p = v128.xor(i64x2.shl(p, 1), sat);
    if (op == 2) {
      r = p;
    } else {
      r = op ? i64x2.sub(acc, p) : i64x2.add(acc, p);
      const ovf = i64x2.shr_s(op ? v128.and(v128.xor(acc, p), v128.xor(acc, r)) : v128.and(v128.xor(acc, r), v128.xor(p, r)), 63);
      r = v128.bitselect(v128.xor(i64x2.shr_s(acc, 63), i64x2.splat(i64.MAX_VALUE)), r, ovf);
      sat = v128.or(sat, ovf);
    }
  }
  if (v128.any_true(sat)) setQC();
  return r;
}
