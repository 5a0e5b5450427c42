// AdvSIMD three same (integer) and scalar three same (Arm ARM C4.1.68). Handlers take the fields
// of src/cpu/decode/simd_int_same.decode. Common operations use wasm SIMD where it matches Arm
// exactly; the rest go through one lane loop (sameLoop) over sameOp.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { getV128 } from "../state";
import { addV, cmpEq, elem, elemU, minMax, satS, satU, scrClear, scrCommit, scrSet, setQC, smax, smin, subV, uzpV, writeVQ } from "./simd_util";

// Operation codes: U << 5 | opcode (bits 15..11), as in the encoding.
const SHADD: u32 = 0x00;
const UHADD: u32 = 0x20;
const SQADD: u32 = 0x01;
const UQADD: u32 = 0x21;
const SRHADD: u32 = 0x02;
const URHADD: u32 = 0x22;
const SHSUB: u32 = 0x04;
const UHSUB: u32 = 0x24;
const SQSUB: u32 = 0x05;
const UQSUB: u32 = 0x25;
const CMGT: u32 = 0x06;
const CMHI: u32 = 0x26;
const CMGE: u32 = 0x07;
const CMHS: u32 = 0x27;
const SSHL: u32 = 0x08;
const USHL: u32 = 0x28;
const SQSHL: u32 = 0x09;
const UQSHL: u32 = 0x29;
const SRSHL: u32 = 0x0a;
const URSHL: u32 = 0x2a;
const SQRSHL: u32 = 0x0b;
const UQRSHL: u32 = 0x2b;
const SMAX: u32 = 0x0c;
const UMAX: u32 = 0x2c;
const SMIN: u32 = 0x0d;
const UMIN: u32 = 0x2d;
const SABD: u32 = 0x0e;
const UABD: u32 = 0x2e;
const SABA: u32 = 0x0f;
const UABA: u32 = 0x2f;
const ADD: u32 = 0x10;
const SUB: u32 = 0x30;
const CMTST: u32 = 0x11;
const CMEQ: u32 = 0x31;
const MLA: u32 = 0x12;
const MLS: u32 = 0x32;
const MUL: u32 = 0x13;
const PMUL: u32 = 0x33;
const SQDMULH: u32 = 0x16;
const SQRDMULH: u32 = 0x36;

/**
 * Shift by a signed register amount (SSHL, USHL, SRSHL, URSHL, SQSHL, UQSHL, SQRSHL, UQRSHL):
 * `a` is the element extended per `unsigned`, `shift` the signed low byte of the other operand.
 */
export function shiftByReg(a: u64, shift: i32, esz: u32, unsigned: bool, round: bool, saturate: bool): u64 {
  if (shift < 0) {
    // (a + round_const) >> n, computed as (a >> n) + the last bit shifted out, without overflow.
    const n = <u64>-shift;
    if (unsigned) {
      const r = n >= 64 ? 0 : a >>> n;
      return round ? r + (n > 64 ? 0 : (a >>> (n - 1)) & 1) : r;
    }
    const s = <i64>a;
    const r = s >> (n > 63 ? 63 : n);
    return <u64>(round ? r + ((s >> (n - 1 > 63 ? 63 : n - 1)) & 1) : r);
  }
  const esize = <i32>(8 << esz);
  if (!saturate) return shift >= 64 ? 0 : a << (<u64>shift);
  if (a == 0) return 0;
  if (unsigned) {
    if (shift >= esize) {
      setQC();
      return <u64>-1;
    }
    const r = a << (<u64>shift);
    if (esz == 3) {
      if (r >>> (<u64>shift) != a) {
        setQC();
        return <u64>-1;
      }
      return r;
    }
    return satU(r, esz);
  }
  const s = <i64>a;
  if (shift >= esize) {
    setQC();
    return <u64>(s < 0 ? smin(esz) : smax(esz));
  }
  const r = s << (<i64>shift);
  if (esz == 3) {
    if (r >> (<i64>shift) != s) {
      setQC();
      return <u64>(s < 0 ? smin(esz) : smax(esz));
    }
    return <u64>r;
  }
  return <u64>satS(r, esz);
}

/** Polynomial multiply of two bytes, low 8 bits of the product. */
// @ts-ignore: decorator
@inline function pmul8(a: u32, b: u32): u32 {
  let r: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) if ((b >> i) & 1) r ^= a << i;
  return r & 0xff;
}

/**
 * One element of a three-same operation. `a`, `b`, `d` (the old destination element, for the
 * accumulating forms) are extended to 64 bits: zero-extended for the unsigned operations, else
 * sign-extended. The result's low 8 << esz bits are the element.
 */
export function sameOp(opc: u32, esz: u32, a: u64, b: u64, d: u64): u64 {
  const sa = <i64>a;
  const sb = <i64>b;
  switch (opc) {
    case SHADD:
      return <u64>((sa + sb) >> 1);
    case UHADD:
      return (a + b) >>> 1;
    case SRHADD:
      return <u64>((sa + sb + 1) >> 1);
    case URHADD:
      return (a + b + 1) >>> 1;
    case SHSUB:
    case UHSUB:
      return <u64>((sa - sb) >> 1);
    case SQADD: {
      if (esz < 3) return <u64>satS(sa + sb, esz);
      const r = sa + sb;
      if (((sa ^ r) & (sb ^ r)) < 0) {
        setQC();
        return <u64>(sa < 0 ? smin(3) : smax(3));
      }
      return <u64>r;
    }
    case UQADD: {
      if (esz < 3) return satU(a + b, esz);
      const r = a + b;
      if (r < a) {
        setQC();
        return <u64>-1;
      }
      return r;
    }
    case SQSUB: {
      if (esz < 3) return <u64>satS(sa - sb, esz);
      const r = sa - sb;
      if (((sa ^ sb) & (sa ^ r)) < 0) {
        setQC();
        return <u64>(sa < 0 ? smin(3) : smax(3));
      }
      return <u64>r;
    }
    case UQSUB:
      if (a < b) {
        setQC();
        return 0;
      }
      return a - b;
    case CMGT:
      return sa > sb ? <u64>-1 : 0;
    case CMHI:
      return a > b ? <u64>-1 : 0;
    case CMGE:
      return sa >= sb ? <u64>-1 : 0;
    case CMHS:
      return a >= b ? <u64>-1 : 0;
    case SSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, false, false);
    case USHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, false, false);
    case SQSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, false, true);
    case UQSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, false, true);
    case SRSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, true, false);
    case URSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, true, false);
    case SQRSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, true, true);
    case UQRSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, true, true);
    case SMAX:
      return sa > sb ? a : b;
    case UMAX:
      return a > b ? a : b;
    case SMIN:
      return sa < sb ? a : b;
    case UMIN:
      return a < b ? a : b;
    case SABD:
      return <u64>(sa > sb ? sa - sb : sb - sa);
    case UABD:
      return a > b ? a - b : b - a;
    case SABA:
      return d + <u64>(sa > sb ? sa - sb : sb - sa);
    case UABA:
      return d + (a > b ? a - b : b - a);
    case ADD:
      return a + b;
    case SUB:
      return a - b;
    case CMTST:
      return (a & b) != 0 ? <u64>-1 : 0;
    case CMEQ:
      return a == b ? <u64>-1 : 0;
    case MLA:
      return d + a * b;
    case MLS:
      return d - a * b;
    case MUL:
      return a * b;
    case PMUL:
      return <u64>pmul8(<u32>a & 0xff, <u32>b & 0xff);
    case SQDMULH:
      // (2ab) >> esize == ab >> (esize - 1); only MIN * MIN saturates.
      return <u64>satS((sa * sb) >> (<i64>(8 << esz) - 1), esz);
    case SQRDMULH:
      return <u64>satS((sa * sb + ((<i64>1) << (<i64>(8 << esz) - 2))) >> (<i64>(8 << esz) - 1), esz);
    default:
      return 0;
  }
}

/** Applies sameOp to `elements` elements of size esz; the rest of Vd is cleared. */
function sameLoop(opc: u32, esz: u32, elements: u32, Rm: u32, Rn: u32, Rd: u32): void {
  // SQRDMULH is the one U = 1 operation on signed elements.
  const unsigned = (opc & 0x20) != 0 && opc != SQRDMULH;
  scrClear();
  for (let i: u32 = 0; i < elements; i++) {
    const a = elem(Rn, i, esz, unsigned);
    const b = elem(Rm, i, esz, unsigned);
    scrSet(i, esz, sameOp(opc, esz, a, b, elemU(Rd, i, esz)));
  }
  scrCommit(Rd);
}

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

/** Writes a saturating result computed with wasm SIMD, setting QC when it differs from the wrapping one. */
// @ts-ignore: decorator
@inline function writeSat(Rd: u32, sat: v128, wrap: v128, Q: u32): void {
  let diff = v128.xor(sat, wrap);
  if (!Q) diff = v128.and(diff, i64x2(-1, 0));
  if (v128.any_true(diff)) setQC();
  writeVQ(Rd, sat, Q);
}

export function SQADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.add_sat_s(a, b), i8x16.add(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.add_sat_s(a, b), i16x8.add(a, b), Q);
  else vecLoop(SQADD, Q, size, Rm, Rn, Rd);
}
export function UQADD_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.add_sat_u(a, b), i8x16.add(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.add_sat_u(a, b), i16x8.add(a, b), Q);
  else vecLoop(UQADD, Q, size, Rm, Rn, Rd);
}
export function SQSUB_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.sub_sat_s(a, b), i8x16.sub(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.sub_sat_s(a, b), i16x8.sub(a, b), Q);
  else vecLoop(SQSUB, Q, size, Rm, Rn, Rd);
}
export function UQSUB_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, true) || !fpCheck()) return;
  const a = getV128(Rn);
  const b = getV128(Rm);
  if (size == 0) writeSat(Rd, i8x16.sub_sat_u(a, b), i8x16.sub(a, b), Q);
  else if (size == 1) writeSat(Rd, i16x8.sub_sat_u(a, b), i16x8.sub(a, b), Q);
  else vecLoop(UQSUB, Q, size, Rm, Rn, Rd);
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
  if (size == 0) vecLoop(MLA, Q, size, Rm, Rn, Rd);
  else {
    const a = getV128(Rn);
    const b = getV128(Rm);
    writeVQ(Rd, addV(size, getV128(Rd), size == 1 ? i16x8.mul(a, b) : i32x4.mul(a, b)), Q);
  }
}
export function MLS_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  if (size == 0) vecLoop(MLS, Q, size, Rm, Rn, Rd);
  else {
    const a = getV128(Rn);
    const b = getV128(Rm);
    writeVQ(Rd, subV(size, getV128(Rd), size == 1 ? i16x8.mul(a, b) : i32x4.mul(a, b)), Q);
  }
}
export function MUL_asimdsame_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (badSize(Q, size, false) || !fpCheck()) return;
  if (size == 1) writeVQ(Rd, i16x8.mul(getV128(Rn), getV128(Rm)), Q);
  else if (size == 2) writeVQ(Rd, i32x4.mul(getV128(Rn), getV128(Rm)), Q);
  else vecLoop(MUL, Q, size, Rm, Rn, Rd);
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
