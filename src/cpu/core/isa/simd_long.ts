// AdvSIMD three different, vector and scalar (Arm ARM C4.1, "Data Processing -- Scalar
// Floating-Point and Advanced SIMD": "Advanced SIMD three different", "Advanced SIMD scalar
// three different"). Handlers take the fields of
// src/cpu/decode/simd_long.decode: (Q,) size, Rm, Rn, Rd. Long forms read half Q of Vn and Vm
// (the "2" forms the upper half) and write 128 bits of double-width elements; narrow forms
// (ADDHN, SUBHN, ...) write half Q of Vd.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { vAddr } from "../state";
import {
  addSatS,
  ldS,
  sqdmull,
  subSatS,
  vAbs,
  vAdd,
  vExtend,
  vShrU,
  vSplat,
  vQdml,
  vSub,
  vTrunc,
  writePart,
  writeScalar,
} from "./simd_shift_lanes";

// Long and wide operations (signedness is a separate argument).
const ADDL: u32 = 0;
const ADDW: u32 = 1;
const SUBL: u32 = 2;
const SUBW: u32 = 3;
const ABAL: u32 = 4;
const ABDL: u32 = 5;
const MLAL: u32 = 6;
const MLSL: u32 = 7;
const MULL: u32 = 8;

// Saturating doubling operations.
const QDMLAL: u32 = 0;
const QDMLSL: u32 = 1;
const QDMULL: u32 = 2;

/** Lane-wise product of the half `hi` of a and b, widened (esz of the source lanes, ≤ 2). */
// @ts-ignore: decorator
@inline function vMull(a: v128, b: v128, esz: u32, hi: bool, signed: bool): v128 {
  if (esz == 0) {
    if (signed) return hi ? i16x8.extmul_high_i8x16_s(a, b) : i16x8.extmul_low_i8x16_s(a, b);
    return hi ? i16x8.extmul_high_i8x16_u(a, b) : i16x8.extmul_low_i8x16_u(a, b);
  }
  if (esz == 1) {
    if (signed) return hi ? i32x4.extmul_high_i16x8_s(a, b) : i32x4.extmul_low_i16x8_s(a, b);
    return hi ? i32x4.extmul_high_i16x8_u(a, b) : i32x4.extmul_low_i16x8_u(a, b);
  }
  if (signed) return hi ? i64x2.extmul_high_i32x4_s(a, b) : i64x2.extmul_low_i32x4_s(a, b);
  return hi ? i64x2.extmul_high_i32x4_u(a, b) : i64x2.extmul_low_i32x4_u(a, b);
}

/**
 * The long and wide family: SADDL .. UMULL, all exact in wasm v128 lanes (the sources are read
 * before Vd is written, so any register may alias).
 */
// @ts-ignore: decorator
@inline function longVector(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, op: u32, signed: bool): void {
  if (size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = size;
  const hi = Q != 0;
  const d = vAddr(Rd);
  const a = v128.load(vAddr(Rn));
  const b = v128.load(vAddr(Rm));
  let r: v128;
  if (op == MULL || op == MLAL || op == MLSL) {
    r = vMull(a, b, esz, hi, signed);
    if (op == MLAL) r = vAdd(v128.load(d), r, esz + 1);
    if (op == MLSL) r = vSub(v128.load(d), r, esz + 1);
  } else if (op == ABAL || op == ABDL) {
    // The difference of the widened elements fits the wide lane, so its absolute value is exact.
    r = vAbs(vSub(vExtend(a, esz, hi, signed), vExtend(b, esz, hi, signed), esz + 1), esz + 1);
    if (op == ABAL) r = vAdd(v128.load(d), r, esz + 1);
  } else {
    const wa = op == ADDW || op == SUBW ? a : vExtend(a, esz, hi, signed);
    const wb = vExtend(b, esz, hi, signed);
    r = op == ADDL || op == ADDW ? vAdd(wa, wb, esz + 1) : vSub(wa, wb, esz + 1);
  }
  v128.store(d, r);
}

export function SADDL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ADDL, true);
}
export function UADDL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ADDL, false);
}
export function SADDW_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ADDW, true);
}
export function UADDW_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ADDW, false);
}
export function SSUBL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, SUBL, true);
}
export function USUBL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, SUBL, false);
}
export function SSUBW_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, SUBW, true);
}
export function USUBW_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, SUBW, false);
}
export function SABAL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ABAL, true);
}
export function UABAL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ABAL, false);
}
export function SABDL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ABDL, true);
}
export function UABDL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, ABDL, false);
}
export function SMLAL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, MLAL, true);
}
export function UMLAL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, MLAL, false);
}
export function SMLSL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, MLSL, true);
}
export function UMLSL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, MLSL, false);
}
export function SMULL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, MULL, true);
}
export function UMULL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, Rm, Rn, Rd, MULL, false);
}

/** ADDHN, RADDHN, SUBHN, RSUBHN: the high halves of double-width sums or differences. */
// @ts-ignore: decorator
@inline function highNarrow(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, sub: bool, round: bool): void {
  if (size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = size;
  const w = esz + 1;
  const a = v128.load(vAddr(Rn));
  const b = v128.load(vAddr(Rm));
  let sum = sub ? vSub(a, b, w) : vAdd(a, b, w);
  if (round) sum = vAdd(sum, vSplat(w, (<u64>1) << <u64>((8 << esz) - 1)), w);
  const res = vTrunc(vShrU(sum, w, 8 << esz), w);
  writePart(vAddr(Rd), Q, res);
}

export function ADDHN_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  highNarrow(Q, size, Rm, Rn, Rd, false, false);
}
export function RADDHN_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  highNarrow(Q, size, Rm, Rn, Rd, false, true);
}
export function SUBHN_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  highNarrow(Q, size, Rm, Rn, Rd, true, false);
}
export function RSUBHN_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  highNarrow(Q, size, Rm, Rn, Rd, true, true);
}

/** One SQDMLAL/SQDMLSL/SQDMULL element: the doubled product saturated, then accumulated with saturation. */
// @ts-ignore: decorator
@inline function qdmElem(acc: i64, a: i64, b: i64, esz: u32, op: u32): i64 {
  const product = sqdmull(a, b, esz);
  const bits: u32 = 16 << esz;
  if (op == QDMLAL) return addSatS(acc, product, bits);
  if (op == QDMLSL) return subSatS(acc, product, bits);
  return product;
}

/** SQDMLAL, SQDMLSL, SQDMULL (vector): 16- and 32-bit source elements only, in v128 lanes. */
// @ts-ignore: decorator
@inline function qdmVector(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, op: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const d = vAddr(Rd);
  v128.store(d, vQdml(v128.load(d), v128.load(vAddr(Rn)), v128.load(vAddr(Rm)), size, Q != 0, op));
}

export function SQDMLAL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  qdmVector(Q, size, Rm, Rn, Rd, QDMLAL);
}
export function SQDMLSL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  qdmVector(Q, size, Rm, Rn, Rd, QDMLSL);
}
export function SQDMULL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  qdmVector(Q, size, Rm, Rn, Rd, QDMULL);
}

/** Polynomial (carry-less) product of two bytes, 16 bits. */
// @ts-ignore: decorator
@inline function pmul8(a: u32, b: u32): u32 {
  let r: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) r ^= ((b >> i) & 1) * (a << i);
  return r;
}

/** PMULL/PMULL2 of bytes. The 64-bit form (size 3) is the Crypto extension, not implemented (UNDEFINED). */
export function PMULL_v(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (size != 0) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const a64 = load<u64>(vAddr(Rn) + ((<usize>Q) << 3));
  const b64 = load<u64>(vAddr(Rm) + ((<usize>Q) << 3));
  const d = vAddr(Rd);
  for (let e: u32 = 0; e < 8; e++) {
    store<u16>(d + ((<usize>e) << 1), <u16>pmul8(<u32>(a64 >> (e * 8)) & 0xff, <u32>(b64 >> (e * 8)) & 0xff));
  }
}

/** Scalar SQDMLAL, SQDMLSL, SQDMULL: Hn × Hm → Sd or Sn × Sm → Dd. */
// @ts-ignore: decorator
@inline function qdmScalar(size: u32, Rm: u32, Rn: u32, Rd: u32, op: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = size;
  const d = vAddr(Rd);
  const acc = op == QDMULL ? 0 : ldS(d, 0, esz + 1);
  const r = qdmElem(acc, ldS(vAddr(Rn), 0, esz), ldS(vAddr(Rm), 0, esz), esz, op);
  writeScalar(d, esz + 1, <u64>r);
}

export function SQDMLAL_s(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  qdmScalar(size, Rm, Rn, Rd, QDMLAL);
}
export function SQDMLSL_s(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  qdmScalar(size, Rm, Rn, Rd, QDMLSL);
}
export function SQDMULL_s(size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  qdmScalar(size, Rm, Rn, Rd, QDMULL);
}
