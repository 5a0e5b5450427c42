// AdvSIMD three same (integer) and scalar three same (Arm ARM C4.1.68). Handlers take the fields
// of src/cpu/decode/simd_int_same.decode. Common operations use wasm SIMD where it matches Arm
// exactly; the rest go through one lane loop (sameLoop) over sameOp.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { getV128 } from "../state";
import {
  ADD, CMEQ, CMGE, CMGT, CMHI, CMHS, CMTST, PMUL, SHADD, SHSUB, SMAX, SMIN, SQADD, SQDMULH,
  SQRDMULH, SQRSHL, SQSHL, SQSUB, SRHADD, SRSHL, SSHL, SUB, UHADD, UHSUB, UMAX, UMIN, UQADD,
  UQRSHL, UQSHL, UQSUB, URHADD, URSHL, USHL, sameLoop,
} from "./simd_int_sameop";
import { addV, cmpEq, minMax, setQC, subV, uzpV, writeVQ } from "./simd_util";

/** Vector form through the lane loop, after the size checks. */
// @ts-ignore: decorator
@inline function vecLoop(opc: u32, Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameLoop(opc, size, (<u32>8 << Q) >> size, Rm, Rn, Rd);
}

/** Vector form: UNDEFINED when size = 3 with Q = 0 (or size = 3 at all when !allow64). */
// @ts-ignore: decorator
@inline function badSize(Q: u32, size: u32, allow64: bool): bool {
  if (size == 3 && (Q == 0 || !allow64)) {
    undefinedInstruction();
    return true;
  }
  return false;
}

// ---- Vector three same -------------------------------------------------------------------

export function SHADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  vecLoop(SHADD, Q, size, Rm, Rn, Rd);
}
export function UHADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  vecLoop(UHADD, Q, size, Rm, Rn, Rd);
}
export function SRHADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  vecLoop(SRHADD, Q, size, Rm, Rn, Rd);
}
export function URHADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  if (size == 0) writeVQ(Rd, i8x16.avgr_u(getV128(Rn), getV128(Rm)), Q);
  else if (size == 1) writeVQ(Rd, i16x8.avgr_u(getV128(Rn), getV128(Rm)), Q);
  else vecLoop(URHADD, Q, size, Rm, Rn, Rd);
}
export function SHSUB_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  vecLoop(SHSUB, Q, size, Rm, Rn, Rd);
}
export function UHSUB_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  vecLoop(UHSUB, Q, size, Rm, Rn, Rd);
}

/** Byte-wise product modulo 256: 16-bit products, low bytes gathered. */
// @ts-ignore: decorator
@inline function mul8(a: v128, b: v128): v128 {
  const lo = i16x8.extmul_low_i8x16_u(a, b);
  const hi = i16x8.extmul_high_i8x16_u(a, b);
  return i8x16.shuffle(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}

/** Element-wise product modulo the element size (size < 3). */
// @ts-ignore: decorator
@inline function mulV(size: u32, a: v128, b: v128): v128 {
  return size == 0 ? mul8(a, b) : size == 1 ? i16x8.mul(a, b) : i32x4.mul(a, b);
}

/** Writes a saturating result computed with wasm SIMD, setting QC when it differs from the wrapping one. */
// @ts-ignore: decorator
@inline function writeSat(Rd: u32, sat: v128, wrap: v128, Q: u32): void {
  let diff = v128.xor(sat, wrap);
  if (!Q) diff = v128.and(diff, i64x2(-1, 0));
  if (v128.any_true(diff)) setQC();
  writeVQ(Rd, sat, Q);
}

/** Arithmetic shift right of each element by its width - 1: all ones where negative (size 2 or 3). */
// @ts-ignore: decorator
@inline function signMask(size: u32, a: v128): v128 {
  return size == 2 ? i32x4.shr_s(a, 31) : i64x2.shr_s(a, 63);
}

/** Unsigned a > b per element (size 2 or 3), by flipping the sign bits for a signed compare. */
// @ts-ignore: decorator
@inline function gtU(size: u32, a: v128, b: v128): v128 {
  return size == 2
    ? i32x4.gt_s(v128.xor(a, i32x4.splat(-2147483648)), v128.xor(b, i32x4.splat(-2147483648)))
    : i64x2.gt_s(v128.xor(a, i64x2.splat(-9223372036854775808)), v128.xor(b, i64x2.splat(-9223372036854775808)));
}

/** Sets QC if any element in the operated part (64 bits when Q = 0) of the overflow mask is set. */
// @ts-ignore: decorator
@inline function qcIf(overflow: v128, Q: u32): void {
  if (v128.any_true(Q ? overflow : v128.and(overflow, i64x2(-1, 0)))) setQC();
}

/**
 * SQADD, UQADD, SQSUB, UQSUB on 32- or 64-bit elements: the wrapping result, the elements that
 * overflowed, and the saturated value for those.
 */
// @ts-ignore: decorator
@inline function satAddSubWide(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, sub: bool, unsigned: bool): void {
  const a = getV128(Rn);
  const b = getV128(Rm);
  const r = sub ? subV(size, a, b) : addV(size, a, b);
  let overflow: v128;
  let result: v128;
  if (unsigned) {
    overflow = sub ? gtU(size, b, a) : gtU(size, a, r);
    result = sub ? v128.andnot(r, overflow) : v128.or(r, overflow);
  } else {
    // Signed overflow: the operands' signs made the result's sign impossible.
    overflow = signMask(size, sub ? v128.and(v128.xor(a, b), v128.xor(a, r)) : v128.and(v128.xor(a, r), v128.xor(b, r)));
    const max = size == 2 ? i32x4.splat(0x7fffffff) : i64x2.splat(0x7fffffffffffffff);
    result = v128.bitselect(v128.xor(signMask(size, a), max), r, overflow);
  }
  qcIf(overflow, Q);
  writeVQ(Rd, result, Q);
}

export function SQADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.add_sat_s(a, b), i8x16.add(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.add_sat_s(a, b), i16x8.add(a, b), Q);
  else satAddSubWide(Q, size, Rm, Rn, Rd, false, false);
}
export function UQADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.add_sat_u(a, b), i8x16.add(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.add_sat_u(a, b), i16x8.add(a, b), Q);
  else satAddSubWide(Q, size, Rm, Rn, Rd, false, true);
}
export function SQSUB_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.sub_sat_s(a, b), i8x16.sub(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.sub_sat_s(a, b), i16x8.sub(a, b), Q);
  else satAddSubWide(Q, size, Rm, Rn, Rd, true, false);
}
export function UQSUB_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.sub_sat_u(a, b), i8x16.sub(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.sub_sat_u(a, b), i16x8.sub(a, b), Q);
  else satAddSubWide(Q, size, Rm, Rn, Rd, true, true);
}

/** Signed greater-than (ge = false) or greater-or-equal on the elements of a and b. */
// @ts-ignore: decorator
@inline function cmpS(size: u32, a: v128, b: v128, ge: bool): v128 {
  switch (size) {
    case 0:
      return ge ? i8x16.ge_s(a, b) : i8x16.gt_s(a, b);
    case 1:
      return ge ? i16x8.ge_s(a, b) : i16x8.gt_s(a, b);
    case 2:
      return ge ? i32x4.ge_s(a, b) : i32x4.gt_s(a, b);
    default:
      return ge ? i64x2.ge_s(a, b) : i64x2.gt_s(a, b);
  }
}

/** The sign bit of each element of size `size`, for unsigned compares via signed ones. */
// @ts-ignore: decorator
@inline function signBits(size: u32): v128 {
  switch (size) {
    case 0:
      return i8x16.splat(-128);
    case 1:
      return i16x8.splat(-32768);
    case 2:
      return i32x4.splat(-2147483648);
    default:
      return i64x2.splat(-9223372036854775808);
  }
}

export function CMGT_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  writeVQ(Rd, cmpS(size, getV128(Rn), getV128(Rm), false), Q);
}
export function CMGE_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  writeVQ(Rd, cmpS(size, getV128(Rn), getV128(Rm), true), Q);
}
export function CMHI_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const s = signBits(size);
  writeVQ(Rd, cmpS(size, v128.xor(getV128(Rn), s), v128.xor(getV128(Rm), s), false), Q);
}
export function CMHS_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const s = signBits(size);
  writeVQ(Rd, cmpS(size, v128.xor(getV128(Rn), s), v128.xor(getV128(Rm), s), true), Q);
}
export function CMTST_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  writeVQ(Rd, v128.not(cmpEq(size, v128.and(getV128(Rn), getV128(Rm)), i64x2.splat(0))), Q);
}
export function CMEQ_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  writeVQ(Rd, cmpEq(size, getV128(Rn), getV128(Rm)), Q);
}

export function SSHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(SSHL, Q, size, Rm, Rn, Rd);
}
export function USHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(USHL, Q, size, Rm, Rn, Rd);
}
export function SQSHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(SQSHL, Q, size, Rm, Rn, Rd);
}
export function UQSHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(UQSHL, Q, size, Rm, Rn, Rd);
}
export function SRSHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(SRSHL, Q, size, Rm, Rn, Rd);
}
export function URSHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(URSHL, Q, size, Rm, Rn, Rd);
}
export function SQRSHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(SQRSHL, Q, size, Rm, Rn, Rd);
}
export function UQRSHL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  vecLoop(UQRSHL, Q, size, Rm, Rn, Rd);
}

export function SMAX_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, minMax(size, getV128(Rn), getV128(Rm), false, true), Q);
}
export function UMAX_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, minMax(size, getV128(Rn), getV128(Rm), true, true), Q);
}
export function SMIN_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, minMax(size, getV128(Rn), getV128(Rm), false, false), Q);
}
export function UMIN_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, minMax(size, getV128(Rn), getV128(Rm), true, false), Q);
}

/** Absolute difference |a - b| per element (size < 3): max - min. */
// @ts-ignore: decorator
@inline function absDiff(size: u32, a: v128, b: v128, unsigned: bool): v128 {
  const hi = minMax(size, a, b, unsigned, true);
  const lo = minMax(size, a, b, unsigned, false);
  return size == 0 ? i8x16.sub(hi, lo) : size == 1 ? i16x8.sub(hi, lo) : i32x4.sub(hi, lo);
}

export function SABD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, absDiff(size, getV128(Rn), getV128(Rm), false), Q);
}
export function UABD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, absDiff(size, getV128(Rn), getV128(Rm), true), Q);
}
export function SABA_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, addV(size, getV128(Rd), absDiff(size, getV128(Rn), getV128(Rm), false)), Q);
}
export function UABA_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, addV(size, getV128(Rd), absDiff(size, getV128(Rn), getV128(Rm), true)), Q);
}

export function ADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  writeVQ(Rd, addV(size, getV128(Rn), getV128(Rm)), Q);
}
export function SUB_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  writeVQ(Rd, subV(size, getV128(Rn), getV128(Rm)), Q);
}

export function MLA_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, addV(size, getV128(Rd), mulV(size, getV128(Rn), getV128(Rm))), Q);
}
export function MLS_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, subV(size, getV128(Rd), mulV(size, getV128(Rn), getV128(Rm))), Q);
}
export function MUL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  writeVQ(Rd, mulV(size, getV128(Rn), getV128(Rm)), Q);
}
export function PMUL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (size != 0) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  vecLoop(PMUL, Q, size, Rm, Rn, Rd);
}

/**
 * Pairwise operation over Vn:Vm (Vn's pairs first): ADDP, SMAXP, UMAXP, SMINP, UMINP, with
 * opc the non-pairwise operation applied to each pair.
 */
function pairwise(opc: u32, Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  const n = getV128(Rn);
  const m = getV128(Rm);
  const a = uzpV(n, m, size, Q, 0);
  const b = uzpV(n, m, size, Q, 1);
  let r: v128;
  switch (opc) {
    case SMAX:
      r = minMax(size, a, b, false, true);
      break;
    case UMAX:
      r = minMax(size, a, b, true, true);
      break;
    case SMIN:
      r = minMax(size, a, b, false, false);
      break;
    case UMIN:
      r = minMax(size, a, b, true, false);
      break;
    default:
      r = addV(size, a, b);
      break;
  }
  writeVQ(Rd, r, Q);
}

export function SMAXP_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  pairwise(SMAX, Q, size, Rm, Rn, Rd);
}
export function UMAXP_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  pairwise(UMAX, Q, size, Rm, Rn, Rd);
}
export function SMINP_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  pairwise(SMIN, Q, size, Rm, Rn, Rd);
}
export function UMINP_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  pairwise(UMIN, Q, size, Rm, Rn, Rd);
}
export function ADDP_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  pairwise(ADD, Q, size, Rm, Rn, Rd);
}

export function SQDMULH_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  vecLoop(SQDMULH, Q, size, Rm, Rn, Rd);
}
export function SQRDMULH_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  vecLoop(SQRDMULH, Q, size, Rm, Rn, Rd);
}

// ---- Vector logical (size is part of the opcode) -----------------------------------------

export function AND_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.and(getV128(Rn), getV128(Rm)), Q);
}
export function BIC_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.andnot(getV128(Rn), getV128(Rm)), Q);
}
export function ORR_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.or(getV128(Rn), getV128(Rm)), Q);
}
export function ORN_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.or(getV128(Rn), v128.not(getV128(Rm))), Q);
}
export function EOR_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.xor(getV128(Rn), getV128(Rm)), Q);
}
export function BSL_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.bitselect(getV128(Rn), getV128(Rm), getV128(Rd)), Q);
}
export function BIT_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.bitselect(getV128(Rn), getV128(Rd), getV128(Rm)), Q);
}
export function BIF_asimdsame_only(Q: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.bitselect(getV128(Rd), getV128(Rn), getV128(Rm)), Q);
}

// ---- Scalar three same -------------------------------------------------------------------

/** Scalar form: UNDEFINED unless size is D (or any size when anySize). */
// @ts-ignore: decorator
@inline function scalar(opc: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, anySize: bool): void {
  if (size != 3 && !anySize) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  sameLoop(opc, size, 1, Rm, Rn, Rd);
}

export function SQADD_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(SQADD, size, Rm, Rn, Rd, true);
}
export function UQADD_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(UQADD, size, Rm, Rn, Rd, true);
}
export function SQSUB_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(SQSUB, size, Rm, Rn, Rd, true);
}
export function UQSUB_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(UQSUB, size, Rm, Rn, Rd, true);
}
export function CMGT_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(CMGT, size, Rm, Rn, Rd, false);
}
export function CMHI_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(CMHI, size, Rm, Rn, Rd, false);
}
export function CMGE_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(CMGE, size, Rm, Rn, Rd, false);
}
export function CMHS_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(CMHS, size, Rm, Rn, Rd, false);
}
export function SSHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(SSHL, size, Rm, Rn, Rd, false);
}
export function USHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(USHL, size, Rm, Rn, Rd, false);
}
export function SQSHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(SQSHL, size, Rm, Rn, Rd, true);
}
export function UQSHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(UQSHL, size, Rm, Rn, Rd, true);
}
export function SRSHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(SRSHL, size, Rm, Rn, Rd, false);
}
export function URSHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(URSHL, size, Rm, Rn, Rd, false);
}
export function SQRSHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(SQRSHL, size, Rm, Rn, Rd, true);
}
export function UQRSHL_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(UQRSHL, size, Rm, Rn, Rd, true);
}
export function ADD_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(ADD, size, Rm, Rn, Rd, false);
}
export function SUB_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(SUB, size, Rm, Rn, Rd, false);
}
export function CMTST_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(CMTST, size, Rm, Rn, Rd, false);
}
export function CMEQ_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  scalar(CMEQ, size, Rm, Rn, Rd, false);
}
export function SQDMULH_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  scalar(SQDMULH, size, Rm, Rn, Rd, true);
}
export function SQRDMULH_asisdsame_only(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  scalar(SQRDMULH, size, Rm, Rn, Rd, true);
}
