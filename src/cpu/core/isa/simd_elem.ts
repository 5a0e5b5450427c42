// AdvSIMD vector x indexed element and scalar x indexed element, integer forms (Arm ARM C4.1,
// "Data Processing -- Scalar Floating-Point and Advanced SIMD").
// Handlers take the fields of src/cpu/decode/simd_elem.decode: (Q,) size, L, M, Rm, H, Rn, Rd.
// Only 16-bit (size 1: index H:L:M, Vm = V0..V15) and 32-bit (size 2: index H:L, Vm = M:Rm)
// elements exist; other sizes are UNDEFINED. The FP by-element forms live with FP.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { vAddr } from "../state";
import { addSatS, ldS, qcIfAny, sqdmulh, sqdmull, subSatS, vAdd, vQdml, vSub, writeScalar } from "./simd_shift_lanes";

// Same-size operations.
const MUL: u32 = 0;
const MLA: u32 = 1;
const MLS: u32 = 2;
const QDMULH: u32 = 3;
const QRDMULH: u32 = 4;

// Long operations.
const MULL: u32 = 0;
const MLAL: u32 = 1;
const MLSL: u32 = 2;
const QDMULL: u32 = 3;
const QDMLAL: u32 = 4;
const QDMLSL: u32 = 5;

/** Address of the indexed element Vm[index] (size 1 or 2). */
// @ts-ignore: decorator
@inline function elemAddr(size: u32, L: u32, M: u32, Rm: u32, H: u32): usize {
  if (size == 1) return vAddr(Rm) + ((<usize>((H << 2) | (L << 1) | M)) << 1);
  return vAddr((M << 4) | Rm) + ((<usize>((H << 1) | L)) << 2);
}

/**
 * SQDMULH / SQRDMULH of every lane of a by the element at ea (16- or 32-bit lanes), in v128:
 * the high half of the doubled product, which only overflows for most-negative × most-negative.
 * 16-bit lanes saturate in wasm's q15mulr_sat / narrow; in 32-bit lanes the truncated result
 * is then the most negative value, and flipping its bits gives the maximum.
 */
// @ts-ignore: decorator
@inline function mulhV128(a: v128, ea: usize, esz: u32, round: bool, Q: u32): v128 {
  let r: v128;
  let sat: v128;
  if (esz == 1) {
    const b = v128.load16_splat(ea);
    if (round) {
      r = i16x8.q15mulr_sat_s(a, b);
    } else {
      const lo = i32x4.shr_s(i32x4.extmul_low_i16x8_s(a, b), 15);
      const hi = i32x4.shr_s(i32x4.extmul_high_i16x8_s(a, b), 15);
      r = i16x8.narrow_i32x4_s(lo, hi);
    }
    sat = v128.and(i16x8.eq(a, i16x8.splat(-32768)), i16x8.eq(b, i16x8.splat(-32768)));
  } else {
    const b = v128.load32_splat(ea);
    let lo = i64x2.extmul_low_i32x4_s(a, b);
    let hi = i64x2.extmul_high_i32x4_s(a, b);
    if (round) {
      lo = i64x2.add(lo, i64x2.splat(1 << 30));
      hi = i64x2.add(hi, i64x2.splat(1 << 30));
    }
    lo = i64x2.shr_s(lo, 31);
    hi = i64x2.shr_s(hi, 31);
    sat = v128.and(i32x4.eq(a, i32x4.splat(i32.MIN_VALUE)), i32x4.eq(b, i32x4.splat(i32.MIN_VALUE)));
    r = v128.xor(i8x16.shuffle(lo, hi, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27), sat);
  }
  qcIfAny(sat, Q);
  return r;
}

/** MUL, MLA, MLS, SQDMULH, SQRDMULH by element, in v128 lanes. */
// @ts-ignore: decorator
@inline function sameVector(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32, op: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = size;
  const d = vAddr(Rd);
  if (op == QDMULH || op == QRDMULH) {
    v128.store(d, mulhV128(v128.load(vAddr(Rn)), elemAddr(size, L, M, Rm, H), esz, op == QRDMULH, Q));
  } else {
    const a = v128.load(vAddr(Rn));
    let r: v128;
    if (esz == 1) r = i16x8.mul(a, v128.load16_splat(elemAddr(size, L, M, Rm, H)));
    else r = i32x4.mul(a, v128.load32_splat(elemAddr(size, L, M, Rm, H)));
    if (op == MLA) r = vAdd(v128.load(d), r, esz);
    if (op == MLS) r = vSub(v128.load(d), r, esz);
    v128.store(d, r);
  }
  if (!Q) store<u64>(d, 0, 8);
}

export function MUL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  sameVector(Q, size, L, M, Rm, H, Rn, Rd, MUL);
}
export function MLA_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  sameVector(Q, size, L, M, Rm, H, Rn, Rd, MLA);
}
export function MLS_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  sameVector(Q, size, L, M, Rm, H, Rn, Rd, MLS);
}
export function SQDMULH_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  sameVector(Q, size, L, M, Rm, H, Rn, Rd, QDMULH);
}
export function SQRDMULH_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  sameVector(Q, size, L, M, Rm, H, Rn, Rd, QRDMULH);
}

/** One saturating doubling long element: SQDMULL, or SQDMLAL/SQDMLSL accumulating into acc. */
// @ts-ignore: decorator
@inline function qdmElem(acc: i64, a: i64, b: i64, esz: u32, op: u32): i64 {
  const product = sqdmull(a, b, esz);
  const bits: u32 = 16 << esz;
  if (op == QDMLAL) return addSatS(acc, product, bits);
  if (op == QDMLSL) return subSatS(acc, product, bits);
  return product;
}

/** The long by-element forms: half Q of Vn times Vm[index], double-width results. */
// @ts-ignore: decorator
@inline function longVector(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32, op: u32, signed: bool): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = size;
  const d = vAddr(Rd);
  const ea = elemAddr(size, L, M, Rm, H);
  if (op == MULL || op == MLAL || op == MLSL) {
    const a = v128.load(vAddr(Rn));
    let r: v128;
    if (esz == 1) {
      const b = v128.load16_splat(ea);
      if (signed) r = Q ? i32x4.extmul_high_i16x8_s(a, b) : i32x4.extmul_low_i16x8_s(a, b);
      else r = Q ? i32x4.extmul_high_i16x8_u(a, b) : i32x4.extmul_low_i16x8_u(a, b);
    } else {
      const b = v128.load32_splat(ea);
      if (signed) r = Q ? i64x2.extmul_high_i32x4_s(a, b) : i64x2.extmul_low_i32x4_s(a, b);
      else r = Q ? i64x2.extmul_high_i32x4_u(a, b) : i64x2.extmul_low_i32x4_u(a, b);
    }
    if (op == MLAL) r = vAdd(v128.load(d), r, esz + 1);
    if (op == MLSL) r = vSub(v128.load(d), r, esz + 1);
    v128.store(d, r);
    return;
  }
  const b = esz == 1 ? v128.load16_splat(ea) : v128.load32_splat(ea);
  const qop: u32 = op == QDMLAL ? 0 : op == QDMLSL ? 1 : 2;
  v128.store(d, vQdml(v128.load(d), v128.load(vAddr(Rn)), b, esz, Q != 0, qop));
}

export function SMULL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, MULL, true);
}
export function UMULL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, MULL, false);
}
export function SMLAL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, MLAL, true);
}
export function UMLAL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, MLAL, false);
}
export function SMLSL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, MLSL, true);
}
export function UMLSL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, MLSL, false);
}
export function SQDMULL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, QDMULL, true);
}
export function SQDMLAL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, QDMLAL, true);
}
export function SQDMLSL_elem(Q: u32, size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  longVector(Q, size, L, M, Rm, H, Rn, Rd, QDMLSL, true);
}

// ---- Scalar ----------------------------------------------------------------------------------

/** Scalar SQDMULH, SQRDMULH by element. */
// @ts-ignore: decorator
@inline function mulhScalar(size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32, round: bool): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = size;
  const r = sqdmulh(ldS(vAddr(Rn), 0, esz), ldS(elemAddr(size, L, M, Rm, H), 0, esz), esz, round);
  writeScalar(vAddr(Rd), esz, <u64>r);
}

export function SQDMULH_elem_s(size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  mulhScalar(size, L, M, Rm, H, Rn, Rd, false);
}
export function SQRDMULH_elem_s(size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  mulhScalar(size, L, M, Rm, H, Rn, Rd, true);
}

/** Scalar SQDMULL, SQDMLAL, SQDMLSL by element. */
// @ts-ignore: decorator
@inline function qdmScalar(size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32, op: u32): void {
  if (size == 0 || size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const esz = size;
  const d = vAddr(Rd);
  const acc = op == QDMULL ? 0 : ldS(d, 0, esz + 1);
  const r = qdmElem(acc, ldS(vAddr(Rn), 0, esz), ldS(elemAddr(size, L, M, Rm, H), 0, esz), esz, op);
  writeScalar(d, esz + 1, <u64>r);
}

export function SQDMULL_elem_s(size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  qdmScalar(size, L, M, Rm, H, Rn, Rd, QDMULL);
}
export function SQDMLAL_elem_s(size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  qdmScalar(size, L, M, Rm, H, Rn, Rd, QDMLAL);
}
export function SQDMLSL_elem_s(size: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  qdmScalar(size, L, M, Rm, H, Rn, Rd, QDMLSL);
}
