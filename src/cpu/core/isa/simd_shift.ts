// AdvSIMD shift by immediate, vector and scalar (Arm ARM C4.1, "Data Processing -- Scalar
// Floating-Point and Advanced SIMD": "Advanced SIMD shift by immediate", "Advanced SIMD scalar
// shift by immediate"). Handlers take the fields of
// src/cpu/decode/simd_shift.decode: (Q,) immh, immb, Rn, Rd. The element size is
// 8 << HighestSetBit(immh); right shifts are 2 * esize - immh:immb, left shifts immh:immb - esize.
// The fixed-point conversions of these classes (SCVTF, UCVTF, FCVTZS, FCVTZU) live with FP.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { vAddr } from "../state";
import {
  ldS,
  ldU,
  minS,
  onesU,
  satS,
  satSU,
  satU,
  setQC,
  qcIfAny,
  vAdd,
  vExtend,
  vNe,
  vOnes,
  vShl,
  vShrS,
  vShrU,
  vTrunc,
  writePart,
  writeScalar,
} from "./simd_shift_lanes";

// Operations of the same-size right- and left-shift families.
const SSHR: u32 = 0;
const USHR: u32 = 1;
const SSRA: u32 = 2;
const USRA: u32 = 3;
const SRSHR: u32 = 4;
const URSHR: u32 = 5;
const SRSRA: u32 = 6;
const URSRA: u32 = 7;
const SRI: u32 = 8;
const SHL: u32 = 9;
const SLI: u32 = 10;
const SQSHL: u32 = 11;
const UQSHL: u32 = 12;
const SQSHLU: u32 = 13;

// Narrowing right shifts.
const SHRN: u32 = 0;
const RSHRN: u32 = 1;
const SQSHRN: u32 = 2;
const SQRSHRN: u32 = 3;
const UQSHRN: u32 = 4;
const UQRSHRN: u32 = 5;
const SQSHRUN: u32 = 6;
const SQRSHRUN: u32 = 7;

/** log2 of the element size in bytes: HighestSetBit(immh) (immh is non-zero). */
// @ts-ignore: decorator
@inline function eszOf(immh: u32): u32 {
  return 31 - clz(immh);
}

// ---- Vector, same element size ---------------------------------------------------------------

/** The right-shift and insert family (SSHR .. SRI), all in v128 lanes. */
// @ts-ignore: decorator
@inline function shrVector(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  if (immh >> 3 && !Q) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = eszOf(immh);
  const shift = (16 << esz) - ((immh << 3) | immb);
  const x = v128.load(vAddr(Rn));
  const d = vAddr(Rd);
  let r: v128;
  if (op == SRI) {
    r = v128.bitselect(vShrU(x, esz, shift), v128.load(d), vShrU(i64x2.splat(-1), esz, shift));
  } else {
    const signed = (op & 1) == 0;
    r = signed ? vShrS(x, esz, shift) : vShrU(x, esz, shift);
    if (op == SRSHR || op == URSHR || op == SRSRA || op == URSRA) {
      r = vAdd(r, v128.and(vShrU(x, esz, shift - 1), vOnes(esz)), esz);
    }
    if (op == SSRA || op == USRA || op == SRSRA || op == URSRA) r = vAdd(v128.load(d), r, esz);
  }
  v128.store(d, r);
  if (!Q) store<u64>(d, 0, 8);
}

/** SHL and SLI in v128 lanes. */
// @ts-ignore: decorator
@inline function shlVector(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32, insert: bool): void {
  if (immh >> 3 && !Q) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = eszOf(immh);
  const shift = ((immh << 3) | immb) - (8 << esz);
  const d = vAddr(Rd);
  let r = vShl(v128.load(vAddr(Rn)), esz, shift);
  if (insert) r = v128.bitselect(r, v128.load(d), vShl(i64x2.splat(-1), esz, shift));
  v128.store(d, r);
  if (!Q) store<u64>(d, 0, 8);
}

/** One saturating left shift (SQSHL, UQSHL, SQSHLU by immediate) of an element. */
// @ts-ignore: decorator
@inline function qshlElem(a: usize, e: u32, esz: u32, shift: u32, op: u32): u64 {
  const esize: u32 = 8 << esz;
  if (op == UQSHL) {
    const x = ldU(a, e, esz);
    if (shift && x >> <u64>(esize - shift)) {
      setQC();
      return onesU(esize);
    }
    return x << <u64>shift;
  }
  const x = ldS(a, e, esz);
  if (op == SQSHLU) {
    if (x < 0) {
      setQC();
      return 0;
    }
    if (shift && (<u64>x) >> <u64>(esize - shift)) {
      setQC();
      return onesU(esize);
    }
    return (<u64>x) << <u64>shift;
  }
  const t = x >> <i64>(esize - 1 - shift);
  if (t != 0 && t != -1) {
    setQC();
    return <u64>(x < 0 ? minS(esize) : ~minS(esize));
  }
  return (<u64>x) << <u64>shift;
}

/** SQSHL, UQSHL, SQSHLU by immediate (vector) in v128 lanes; saturated lanes set QC. */
// @ts-ignore: decorator
@inline function qshlVector(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  if (immh >> 3 && !Q) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = eszOf(immh);
  const esize: u32 = 8 << esz;
  const shift = ((immh << 3) | immb) - esize;
  const x = v128.load(vAddr(Rn));
  const zero = i64x2.splat(0);
  const shifted = vShl(x, esz, shift);
  let r: v128;
  let sat: v128;
  if (op == UQSHL) {
    // Bits shifted out of the top saturate the lane to all ones.
    sat = shift ? vNe(vShrU(x, esz, esize - shift), zero, esz) : zero;
    r = v128.or(shifted, sat);
  } else if (op == SQSHL) {
    // The top shift + 1 bits must all equal the sign bit.
    const sign = vShrS(x, esz, esize - 1);
    sat = vNe(vShrS(x, esz, esize - 1 - shift), sign, esz);
    r = v128.bitselect(v128.xor(sign, vShrU(i64x2.splat(-1), esz, 1)), shifted, sat);
  } else {
    // SQSHLU: negative lanes give 0, too-large positive ones all ones.
    const neg = vShrS(x, esz, esize - 1);
    const big = shift ? v128.andnot(vNe(vShrU(x, esz, esize - shift), zero, esz), neg) : zero;
    r = v128.andnot(v128.or(shifted, big), neg);
    sat = v128.or(neg, big);
  }
  qcIfAny(sat, Q);
  const d = vAddr(Rd);
  v128.store(d, r);
  if (!Q) store<u64>(d, 0, 8);
}

export function SSHR_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, SSHR);
}
export function USHR_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, USHR);
}
export function SSRA_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, SSRA);
}
export function USRA_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, USRA);
}
export function SRSHR_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, SRSHR);
}
export function URSHR_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, URSHR);
}
export function SRSRA_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, SRSRA);
}
export function URSRA_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, URSRA);
}
export function SRI_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrVector(Q, immh, immb, Rn, Rd, SRI);
}
export function SHL_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shlVector(Q, immh, immb, Rn, Rd, false);
}
export function SLI_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shlVector(Q, immh, immb, Rn, Rd, true);
}
export function SQSHL_imm_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  qshlVector(Q, immh, immb, Rn, Rd, SQSHL);
}
export function UQSHL_imm_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  qshlVector(Q, immh, immb, Rn, Rd, UQSHL);
}
export function SQSHLU_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  qshlVector(Q, immh, immb, Rn, Rd, SQSHLU);
}

// ---- Narrowing and widening ------------------------------------------------------------------

/**
 * One narrowing right shift: the source element (2 * esize bits, esize = 8 << esz) shifted right
 * by `shift` (1..esize), optionally rounded, then truncated or saturated to esize bits.
 */
// @ts-ignore: decorator
@inline function shrnElem(a: usize, e: u32, esz: u32, shift: u32, op: u32): u64 {
  const esize: u32 = 8 << esz;
  const round = (op & 1) != 0;
  if (op == SHRN || op == RSHRN || op == UQSHRN || op == UQRSHRN) {
    const x = ldU(a, e, esz + 1);
    let r = x >> <u64>shift;
    if (round) r += (x >> <u64>(shift - 1)) & 1;
    return op == SHRN || op == RSHRN ? r : satU(r, esize);
  }
  const x = ldS(a, e, esz + 1);
  let r = x >> <i64>shift;
  if (round) r += (x >> <i64>(shift - 1)) & 1;
  return op == SQSHRN || op == SQRSHRN ? <u64>satS(r, esize) : satSU(r, esize);
}

/**
 * The narrowing shifts in v128 lanes for 8- and 16-bit results (any result size for SHRN and
 * RSHRN, which only truncate); returns the 64-bit narrowed half.
 */
// @ts-ignore: decorator
@inline function shrnV128(x: v128, esz: u32, shift: u32, op: u32): u64 {
  const w = esz + 1;
  const unsignedSrc = op == SHRN || op == RSHRN || op == UQSHRN || op == UQRSHRN;
  let t = unsignedSrc ? vShrU(x, w, shift) : vShrS(x, w, shift);
  if (op & 1) t = vAdd(t, v128.and(vShrU(x, w, shift - 1), vOnes(w)), w);
  if (op == SHRN || op == RSHRN) return vTrunc(t, w);
  let r: v128;
  let sat: v128;
  if (esz == 0) {
    if (op == UQSHRN || op == UQRSHRN) {
      const c = i16x8.splat(0xff);
      sat = i16x8.gt_u(t, c);
      t = i16x8.min_u(t, c);
      r = i8x16.narrow_i16x8_u(t, t);
    } else if (op == SQSHRN || op == SQRSHRN) {
      r = i8x16.narrow_i16x8_s(t, t);
      sat = i16x8.ne(i16x8.extend_low_i8x16_s(r), t);
    } else {
      r = i8x16.narrow_i16x8_u(t, t);
      sat = i16x8.ne(i16x8.extend_low_i8x16_u(r), t);
    }
  } else {
    if (op == UQSHRN || op == UQRSHRN) {
      const c = i32x4.splat(0xffff);
      sat = i32x4.gt_u(t, c);
      t = i32x4.min_u(t, c);
      r = i16x8.narrow_i32x4_u(t, t);
    } else if (op == SQSHRN || op == SQRSHRN) {
      r = i16x8.narrow_i32x4_s(t, t);
      sat = i32x4.ne(i32x4.extend_low_i16x8_s(r), t);
    } else {
      r = i16x8.narrow_i32x4_u(t, t);
      sat = i32x4.ne(i32x4.extend_low_i16x8_u(r), t);
    }
  }
  if (v128.any_true(sat)) setQC();
  return i64x2.extract_lane(r, 0);
}

// @ts-ignore: decorator
@inline function shrnVector(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  if (immh >> 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = eszOf(immh);
  const esize: u32 = 8 << esz;
  const shift = 2 * esize - ((immh << 3) | immb);
  const n = vAddr(Rn);
  let res: u64 = 0;
  if (esz < 2 || op == SHRN || op == RSHRN) {
    res = shrnV128(v128.load(n), esz, shift, op);
  } else {
    for (let e: u32 = 0; e < 2; e++) res |= (shrnElem(n, e, esz, shift, op) & 0xffffffff) << <u64>(e * 32);
  }
  writePart(vAddr(Rd), Q, res);
}

export function SHRN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, SHRN);
}
export function RSHRN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, RSHRN);
}
export function SQSHRN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, SQSHRN);
}
export function SQRSHRN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, SQRSHRN);
}
export function UQSHRN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, UQSHRN);
}
export function UQRSHRN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, UQRSHRN);
}
export function SQSHRUN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, SQSHRUN);
}
export function SQRSHRUN_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnVector(Q, immh, immb, Rn, Rd, SQRSHRUN);
}

/** SSHLL/USHLL (and SXTL/UXTL): widen half `Q` of Vn and shift left by 0..esize-1. */
// @ts-ignore: decorator
@inline function shllVector(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32, signed: bool): void {
  if (immh >> 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = eszOf(immh);
  const shift = ((immh << 3) | immb) - (8 << esz);
  const x = vExtend(v128.load(vAddr(Rn)), esz, Q != 0, signed);
  v128.store(vAddr(Rd), vShl(x, esz + 1, shift));
}

export function SSHLL_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shllVector(Q, immh, immb, Rn, Rd, true);
}
export function USHLL_v(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shllVector(Q, immh, immb, Rn, Rd, false);
}

// ---- Scalar ----------------------------------------------------------------------------------

/** Scalar right shifts and SRI: 64-bit only (immh<3> must be set). */
// @ts-ignore: decorator
@inline function shrScalar(immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!(immh >> 3)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const shift = 128 - ((immh << 3) | immb);
  const d = vAddr(Rd);
  const x = load<u64>(vAddr(Rn));
  let r: u64;
  if (op == SRI) {
    const mask = shift >= 64 ? 0 : (<u64>-1) >> <u64>shift;
    const shifted = shift >= 64 ? 0 : x >> <u64>shift;
    r = (load<u64>(d) & ~mask) | shifted;
  } else {
    const signed = (op & 1) == 0;
    if (signed) r = <u64>((<i64>x) >> <i64>(shift >= 64 ? 63 : shift));
    else r = shift >= 64 ? 0 : x >> <u64>shift;
    if (op == SRSHR || op == URSHR || op == SRSRA || op == URSRA) r += (x >> <u64>(shift - 1)) & 1;
    if (op == SSRA || op == USRA || op == SRSRA || op == URSRA) r += load<u64>(d);
  }
  store<u64>(d, r);
  store<u64>(d, 0, 8);
}

export function SSHR_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, SSHR);
}
export function USHR_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, USHR);
}
export function SSRA_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, SSRA);
}
export function USRA_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, USRA);
}
export function SRSHR_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, SRSHR);
}
export function URSHR_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, URSHR);
}
export function SRSRA_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, SRSRA);
}
export function URSRA_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, URSRA);
}
export function SRI_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrScalar(immh, immb, Rn, Rd, SRI);
}

/** Scalar SHL and SLI: 64-bit only. */
// @ts-ignore: decorator
@inline function shlScalar(immh: u32, immb: u32, Rn: u32, Rd: u32, insert: bool): void {
  if (!(immh >> 3)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const shift = ((immh << 3) | immb) - 64;
  const d = vAddr(Rd);
  let r = load<u64>(vAddr(Rn)) << <u64>shift;
  if (insert) r |= load<u64>(d) & ~((<u64>-1) << <u64>shift);
  store<u64>(d, r);
  store<u64>(d, 0, 8);
}

export function SHL_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shlScalar(immh, immb, Rn, Rd, false);
}
export function SLI_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shlScalar(immh, immb, Rn, Rd, true);
}

/** Scalar SQSHL, UQSHL, SQSHLU by immediate: any element size. */
// @ts-ignore: decorator
@inline function qshlScalar(immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!fpCheck()) return;
  const esz = eszOf(immh);
  const shift = ((immh << 3) | immb) - (8 << esz);
  writeScalar(vAddr(Rd), esz, qshlElem(vAddr(Rn), 0, esz, shift, op));
}

export function SQSHL_imm_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  qshlScalar(immh, immb, Rn, Rd, SQSHL);
}
export function UQSHL_imm_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  qshlScalar(immh, immb, Rn, Rd, UQSHL);
}
export function SQSHLU_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  qshlScalar(immh, immb, Rn, Rd, SQSHLU);
}

/** Scalar saturating narrowing shifts: immh<3> must be clear. */
// @ts-ignore: decorator
@inline function shrnScalar(immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  if (immh >> 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = eszOf(immh);
  const shift = (16 << esz) - ((immh << 3) | immb);
  writeScalar(vAddr(Rd), esz, shrnElem(vAddr(Rn), 0, esz, shift, op));
}

export function SQSHRN_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnScalar(immh, immb, Rn, Rd, SQSHRN);
}
export function SQRSHRN_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnScalar(immh, immb, Rn, Rd, SQRSHRN);
}
export function UQSHRN_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnScalar(immh, immb, Rn, Rd, UQSHRN);
}
export function UQRSHRN_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnScalar(immh, immb, Rn, Rd, UQRSHRN);
}
export function SQSHRUN_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnScalar(immh, immb, Rn, Rd, SQSHRUN);
}
export function SQRSHRUN_s(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  shrnScalar(immh, immb, Rn, Rd, SQRSHRUN);
}
