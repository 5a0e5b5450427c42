// Lane helpers shared by the AdvSIMD integer handlers (simd_int_*.ts): element access by size,
// a scratch result vector (so a destination may alias a source), Q-aware write-back and the
// saturation flag FPSR.QC.
import { getFPSR, setFPSR, vAddr } from "../state";

/** A 16-byte result buffer; lanes are built here and then committed to Vd. */
export const SCR: usize = memory.data(32, 16);

/** FPSR.QC, the cumulative saturation bit. */
export const FPSR_QC: u32 = 1 << 27;

/** Sets FPSR.QC (a saturating operation saturated). */
// @ts-ignore: decorator
@inline export function setQC(): void {
  setFPSR(getFPSR() | FPSR_QC);
}

/** Writes r to Vd; a 64-bit operation (Q = 0) clears the upper half. */
// @ts-ignore: decorator
@inline export function writeVQ(Rd: u32, r: v128, Q: u32): void {
  const a = vAddr(Rd);
  if (Q) {
    v128.store(a, r);
  } else {
    store<u64>(a, v128.extract_lane<u64>(r, 0));
    store<u64>(a, 0, 8);
  }
}

/** Clears the scratch vector. */
// @ts-ignore: decorator
@inline export function scrClear(): void {
  v128.store(SCR, i64x2.splat(0));
}

/** Copies the scratch vector to Vd (all 128 bits; lanes never written stay zero). */
// @ts-ignore: decorator
@inline export function scrCommit(Rd: u32): void {
  v128.store(vAddr(Rd), v128.load(SCR));
}

/** Element i of Vn, 8 << esz bits wide, zero-extended. */
// @ts-ignore: decorator
@inline export function elemU(n: u32, i: u32, esz: u32): u64 {
  const a = vAddr(n) + ((<usize>i) << esz);
  switch (esz) {
    case 0:
      return <u64>load<u8>(a);
    case 1:
      return <u64>load<u16>(a);
    case 2:
      return <u64>load<u32>(a);
    default:
      return load<u64>(a);
  }
}

/** Element i of Vn, 8 << esz bits wide, sign-extended. */
// @ts-ignore: decorator
@inline export function elemS(n: u32, i: u32, esz: u32): i64 {
  const a = vAddr(n) + ((<usize>i) << esz);
  switch (esz) {
    case 0:
      return <i64>load<i8>(a);
    case 1:
      return <i64>load<i16>(a);
    case 2:
      return <i64>load<i32>(a);
    default:
      return load<i64>(a);
  }
}

/** Element i, signed or unsigned by `unsigned`, as a 64-bit pattern. */
// @ts-ignore: decorator
@inline export function elem(n: u32, i: u32, esz: u32, unsigned: bool): u64 {
  return unsigned ? elemU(n, i, esz) : <u64>elemS(n, i, esz);
}

/** Writes element i of the scratch vector (the low 8 << esz bits of v). */
// @ts-ignore: decorator
@inline export function scrSet(i: u32, esz: u32, v: u64): void {
  storeElem(SCR + ((<usize>i) << esz), esz, v);
}

/** Stores the low 8 << esz bits of v at a. */
// @ts-ignore: decorator
@inline export function storeElem(a: usize, esz: u32, v: u64): void {
  switch (esz) {
    case 0:
      store<u8>(a, <u8>v);
      break;
    case 1:
      store<u16>(a, <u16>v);
      break;
    case 2:
      store<u32>(a, <u32>v);
      break;
    default:
      store<u64>(a, v);
      break;
  }
}

/** Largest signed value of an element of 8 << esz bits. */
// @ts-ignore: decorator
@inline export function smax(esz: u32): i64 {
  return <i64>((<u64>-1) >>> (64 - (8 << esz) + 1));
}

/** Smallest signed value of an element of 8 << esz bits. */
// @ts-ignore: decorator
@inline export function smin(esz: u32): i64 {
  return -smax(esz) - 1;
}

/** Largest unsigned value of an element of 8 << esz bits. */
// @ts-ignore: decorator
@inline export function umax(esz: u32): u64 {
  return (<u64>-1) >>> (64 - (8 << esz));
}

/** SignedSatQ: v clamped to the signed range of the element; sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function satS(v: i64, esz: u32): i64 {
  const hi = smax(esz);
  const lo = -hi - 1;
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

/** UnsignedSatQ of a signed value: v clamped to [0, umax]; sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function satSU(v: i64, esz: u32): u64 {
  if (v < 0) {
    setQC();
    return 0;
  }
  const hi = umax(esz);
  if (<u64>v > hi) {
    setQC();
    return hi;
  }
  return <u64>v;
}

/** UnsignedSatQ of an unsigned value: v clamped to umax; sets QC when it saturates. */
// @ts-ignore: decorator
@inline export function satU(v: u64, esz: u32): u64 {
  const hi = umax(esz);
  if (v > hi) {
    setQC();
    return hi;
  }
  return v;
}

/** Replicates the low 8 << esz bits of v across 64 bits. */
// @ts-ignore: decorator
@inline export function replicate64(v: u64, esz: u32): u64 {
  switch (esz) {
    case 0:
      return (v & 0xff) * 0x0101010101010101;
    case 1:
      return (v & 0xffff) * 0x0001000100010001;
    case 2:
      return (v & 0xffffffff) * 0x0000000100000001;
    default:
      return v;
  }
}

// ---- Whole-vector element operations (wasm SIMD, exact for the Arm operations) ---------------

/** Element-wise equality. */
// @ts-ignore: decorator
@inline export function cmpEq(size: u32, a: v128, b: v128): v128 {
  switch (size) {
    case 0:
      return i8x16.eq(a, b);
    case 1:
      return i16x8.eq(a, b);
    case 2:
      return i32x4.eq(a, b);
    default:
      return i64x2.eq(a, b);
  }
}

/** Element-wise min or max (size < 3). */
// @ts-ignore: decorator
@inline export function minMax(size: u32, a: v128, b: v128, unsigned: bool, max: bool): v128 {
  if (size == 0) {
    if (unsigned) return max ? i8x16.max_u(a, b) : i8x16.min_u(a, b);
    return max ? i8x16.max_s(a, b) : i8x16.min_s(a, b);
  }
  if (size == 1) {
    if (unsigned) return max ? i16x8.max_u(a, b) : i16x8.min_u(a, b);
    return max ? i16x8.max_s(a, b) : i16x8.min_s(a, b);
  }
  if (unsigned) return max ? i32x4.max_u(a, b) : i32x4.min_u(a, b);
  return max ? i32x4.max_s(a, b) : i32x4.min_s(a, b);
}

/** Element-wise add (size 0..3). */
// @ts-ignore: decorator
@inline export function addV(size: u32, a: v128, b: v128): v128 {
  switch (size) {
    case 0:
      return i8x16.add(a, b);
    case 1:
      return i16x8.add(a, b);
    case 2:
      return i32x4.add(a, b);
    default:
      return i64x2.add(a, b);
  }
}

/** Element-wise subtract (size 0..3). */
// @ts-ignore: decorator
@inline export function subV(size: u32, a: v128, b: v128): v128 {
  switch (size) {
    case 0:
      return i8x16.sub(a, b);
    case 1:
      return i16x8.sub(a, b);
    case 2:
      return i32x4.sub(a, b);
    default:
      return i64x2.sub(a, b);
  }
}

// ---- Permutes as constant shuffles ----------------------------------------------------------

/** UZP1 (part 0) / UZP2 (part 1) of n and m by element size and Q (lanes beyond 64 bits are junk when Q = 0). */
// @ts-ignore: decorator
@inline export function uzpV(n: v128, m: v128, size: u32, Q: u32, part: u32): v128 {
  switch ((size << 2) | (Q << 1) | part) {
    case 0:
      return i8x16.shuffle(n, m, 0, 2, 4, 6, 16, 18, 20, 22, 0, 1, 2, 3, 4, 5, 6, 7);
    case 1:
      return i8x16.shuffle(n, m, 1, 3, 5, 7, 17, 19, 21, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 2:
      return i8x16.shuffle(n, m, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    case 3:
      return i8x16.shuffle(n, m, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    case 4:
      return i8x16.shuffle(n, m, 0, 1, 4, 5, 16, 17, 20, 21, 0, 1, 2, 3, 4, 5, 6, 7);
    case 5:
      return i8x16.shuffle(n, m, 2, 3, 6, 7, 18, 19, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 6:
      return i8x16.shuffle(n, m, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
    case 7:
      return i8x16.shuffle(n, m, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
    case 8:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 4, 5, 6, 7);
    case 9:
      return i8x16.shuffle(n, m, 4, 5, 6, 7, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 10:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    case 11:
      return i8x16.shuffle(n, m, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    case 14:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    case 15:
      return i8x16.shuffle(n, m, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    default:
      return n;
  }
}
/** ZIP1 (part 0) / ZIP2 (part 1) of n and m by element size and Q (lanes beyond 64 bits are junk when Q = 0). */
// @ts-ignore: decorator
@inline export function zipV(n: v128, m: v128, size: u32, Q: u32, part: u32): v128 {
  switch ((size << 2) | (Q << 1) | part) {
    case 0:
      return i8x16.shuffle(n, m, 0, 16, 1, 17, 2, 18, 3, 19, 0, 1, 2, 3, 4, 5, 6, 7);
    case 1:
      return i8x16.shuffle(n, m, 4, 20, 5, 21, 6, 22, 7, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 2:
      return i8x16.shuffle(n, m, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    case 3:
      return i8x16.shuffle(n, m, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    case 4:
      return i8x16.shuffle(n, m, 0, 1, 16, 17, 2, 3, 18, 19, 0, 1, 2, 3, 4, 5, 6, 7);
    case 5:
      return i8x16.shuffle(n, m, 4, 5, 20, 21, 6, 7, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 6:
      return i8x16.shuffle(n, m, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    case 7:
      return i8x16.shuffle(n, m, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    case 8:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 4, 5, 6, 7);
    case 9:
      return i8x16.shuffle(n, m, 4, 5, 6, 7, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 10:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    case 11:
      return i8x16.shuffle(n, m, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    case 14:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    case 15:
      return i8x16.shuffle(n, m, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    default:
      return n;
  }
}
/** TRN1 (part 0) / TRN2 (part 1) of n and m by element size and Q (lanes beyond 64 bits are junk when Q = 0). */
// @ts-ignore: decorator
@inline export function trnV(n: v128, m: v128, size: u32, Q: u32, part: u32): v128 {
  switch ((size << 2) | (Q << 1) | part) {
    case 0:
      return i8x16.shuffle(n, m, 0, 16, 2, 18, 4, 20, 6, 22, 0, 1, 2, 3, 4, 5, 6, 7);
    case 1:
      return i8x16.shuffle(n, m, 1, 17, 3, 19, 5, 21, 7, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 2:
      return i8x16.shuffle(n, m, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    case 3:
      return i8x16.shuffle(n, m, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    case 4:
      return i8x16.shuffle(n, m, 0, 1, 16, 17, 4, 5, 20, 21, 0, 1, 2, 3, 4, 5, 6, 7);
    case 5:
      return i8x16.shuffle(n, m, 2, 3, 18, 19, 6, 7, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 6:
      return i8x16.shuffle(n, m, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    case 7:
      return i8x16.shuffle(n, m, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    case 8:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 4, 5, 6, 7);
    case 9:
      return i8x16.shuffle(n, m, 4, 5, 6, 7, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7);
    case 10:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    case 11:
      return i8x16.shuffle(n, m, 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    case 14:
      return i8x16.shuffle(n, m, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    case 15:
      return i8x16.shuffle(n, m, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    default:
      return n;
  }
}
