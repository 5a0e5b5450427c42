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
  const a = SCR + ((<usize>i) << esz);
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
