// Per-lane operations shared by the AdvSIMD floating-point groups (simd_fp_*.ts). The handlers
// pass a literal op id, so after inlining each handler's lane loop calls one softfloat function.
// AdvSIMD FP in AArch64 uses FPCR as it is (no "standard FPSCR" values); flags accumulate in
// FPSR lane by lane through softfloat.
import {
  f32Abd,
  f32Add,
  f32CompareEq,
  f32CompareGe,
  f32CompareGt,
  f32Div,
  f32Max,
  f32MaxNum,
  f32Min,
  f32MinNum,
  f32Mul,
  f32MulAdd,
  f32MulX,
  f32RecipEstimate,
  f32RecipStep,
  f32RecpX,
  f32RoundInt,
  f32RSqrtEstimate,
  f32RSqrtStep,
  f32Sqrt,
  f32Sub,
  f32ToS32,
  f32ToU32,
  f64Abd,
  f64Add,
  f64CompareEq,
  f64CompareGe,
  f64CompareGt,
  f64Div,
  f64Max,
  f64MaxNum,
  f64Min,
  f64MinNum,
  f64Mul,
  f64MulAdd,
  f64MulX,
  f64RecipEstimate,
  f64RecipStep,
  f64RecpX,
  f64RoundInt,
  f64RSqrtEstimate,
  f64RSqrtStep,
  f64Sqrt,
  f64Sub,
  f64ToS64,
  f64ToU64,
  FPRM_FPCR,
  FPRM_NEGINF,
  FPRM_POSINF,
  FPRM_TIEAWAY,
  FPRM_TIEEVEN,
  FPRM_ZERO,
  s32ToF32,
  s64ToF64,
  u32ToF32,
  u64ToF64,
  urecpe,
  ursqrte,
} from "../softfloat/index";
import { FPCR_ADDR, FPSR_ADDR } from "../layout";
import { vAddr } from "../state";

const SIGN32: u32 = 0x80000000;
const SIGN64: u64 = 0x8000000000000000;
const ABS32: u32 = 0x7fffffff;
const ABS64: u64 = 0x7fffffffffffffff;

// ---- Two-operand ops (three-same, pairwise, across lanes, by element) ----

/** Biased exponent in 1..254. */
// @ts-ignore: decorator
@inline function normal32(x: u32): bool {
  return ((x >> 23) & 0xff) - 1 < 254;
}
/** Biased exponent in 1..2046. */
// @ts-ignore: decorator
@inline function normal64(x: u64): bool {
  return ((<u32>(x >> 52)) & 0x7ff) - 1 < 2046;
}

export const FOP_ADD: u32 = 0;
export const FOP_SUB: u32 = 1;
export const FOP_MUL: u32 = 2;
export const FOP_DIV: u32 = 3;
export const FOP_MAX: u32 = 4;
export const FOP_MIN: u32 = 5;
export const FOP_MAXNM: u32 = 6;
export const FOP_MINNM: u32 = 7;
export const FOP_MULX: u32 = 8;
export const FOP_ABD: u32 = 9;
export const FOP_RECPS: u32 = 10;
export const FOP_RSQRTS: u32 = 11;
export const FOP_CMEQ: u32 = 12;
export const FOP_CMGE: u32 = 13;
export const FOP_CMGT: u32 = 14;
export const FOP_ACGE: u32 = 15;
export const FOP_ACGT: u32 = 16;
/** d + n*m, fused. */
export const FOP_MLA: u32 = 17;
/** d + (-n)*m, fused (n negated before NaN processing). */
export const FOP_MLS: u32 = 18;

/** One f32 lane of a two-operand op; `d` is the destination lane (FMLA/FMLS accumulate). */
// @ts-ignore: decorator
@inline export function fop32(op: u32, n: u32, m: u32, d: u32): u32 {
  switch (op) {
    case FOP_ADD:
      return f32Add(n, m);
    case FOP_SUB:
      return f32Sub(n, m);
    case FOP_MUL:
      return f32Mul(n, m);
    case FOP_DIV:
      return f32Div(n, m);
    case FOP_MAX:
      return f32Max(n, m);
    case FOP_MIN:
      return f32Min(n, m);
    case FOP_MAXNM:
      return f32MaxNum(n, m);
    case FOP_MINNM:
      return f32MinNum(n, m);
    case FOP_MULX:
      // Only infinity times zero differs from FMUL (whose fast path then applies).
      return normal32(n) && normal32(m) ? f32Mul(n, m) : f32MulX(n, m);
    case FOP_ABD:
      return f32Abd(n, m);
    case FOP_RECPS:
      return f32RecipStep(n, m);
    case FOP_RSQRTS:
      return f32RSqrtStep(n, m);
    case FOP_CMEQ:
      return f32CompareEq(n, m) ? 0xffffffff : 0;
    case FOP_CMGE:
      return f32CompareGe(n, m) ? 0xffffffff : 0;
    case FOP_CMGT:
      return f32CompareGt(n, m) ? 0xffffffff : 0;
    case FOP_ACGE:
      return f32CompareGe(n & ABS32, m & ABS32) ? 0xffffffff : 0;
    case FOP_ACGT:
      return f32CompareGt(n & ABS32, m & ABS32) ? 0xffffffff : 0;
    case FOP_MLA:
      return f32MulAdd(d, n, m);
    default:
      return f32MulAdd(d, n ^ SIGN32, m);
  }
}

/** One f64 lane of a two-operand op. */
// @ts-ignore: decorator
@inline export function fop64(op: u32, n: u64, m: u64, d: u64): u64 {
  switch (op) {
    case FOP_ADD:
      return f64Add(n, m);
    case FOP_SUB:
      return f64Sub(n, m);
    case FOP_MUL:
      return f64Mul(n, m);
    case FOP_DIV:
      return f64Div(n, m);
    case FOP_MAX:
      return f64Max(n, m);
    case FOP_MIN:
      return f64Min(n, m);
    case FOP_MAXNM:
      return f64MaxNum(n, m);
    case FOP_MINNM:
      return f64MinNum(n, m);
    case FOP_MULX:
      return normal64(n) && normal64(m) ? f64Mul(n, m) : f64MulX(n, m);
    case FOP_ABD:
      return f64Abd(n, m);
    case FOP_RECPS:
      return f64RecipStep(n, m);
    case FOP_RSQRTS:
      return f64RSqrtStep(n, m);
    case FOP_CMEQ:
      return f64CompareEq(n, m) ? 0xffffffffffffffff : 0;
    case FOP_CMGE:
      return f64CompareGe(n, m) ? 0xffffffffffffffff : 0;
    case FOP_CMGT:
      return f64CompareGt(n, m) ? 0xffffffffffffffff : 0;
    case FOP_ACGE:
      return f64CompareGe(n & ABS64, m & ABS64) ? 0xffffffffffffffff : 0;
    case FOP_ACGT:
      return f64CompareGt(n & ABS64, m & ABS64) ? 0xffffffffffffffff : 0;
    case FOP_MLA:
      return f64MulAdd(d, n, m);
    default:
      return f64MulAdd(d, n ^ SIGN64, m);
  }
}

// ---- One-operand ops (two-register misc) ----

export const UOP_ABS: u32 = 0;
export const UOP_NEG: u32 = 1;
export const UOP_SQRT: u32 = 2;
export const UOP_RINTN: u32 = 3;
export const UOP_RINTA: u32 = 4;
export const UOP_RINTP: u32 = 5;
export const UOP_RINTM: u32 = 6;
export const UOP_RINTZ: u32 = 7;
export const UOP_RINTX: u32 = 8;
export const UOP_RINTI: u32 = 9;
export const UOP_CVTNS: u32 = 10;
export const UOP_CVTNU: u32 = 11;
export const UOP_CVTMS: u32 = 12;
export const UOP_CVTMU: u32 = 13;
export const UOP_CVTPS: u32 = 14;
export const UOP_CVTPU: u32 = 15;
export const UOP_CVTZS: u32 = 16;
export const UOP_CVTZU: u32 = 17;
export const UOP_CVTAS: u32 = 18;
export const UOP_CVTAU: u32 = 19;
export const UOP_SCVTF: u32 = 20;
export const UOP_UCVTF: u32 = 21;
export const UOP_RECPE: u32 = 22;
export const UOP_RSQRTE: u32 = 23;
export const UOP_RECPX: u32 = 24;
export const UOP_URECPE: u32 = 25;
export const UOP_URSQRTE: u32 = 26;
export const UOP_CMGT0: u32 = 27;
export const UOP_CMGE0: u32 = 28;
export const UOP_CMEQ0: u32 = 29;
export const UOP_CMLE0: u32 = 30;
export const UOP_CMLT0: u32 = 31;

/** One f32 (or 32-bit integer) lane of a one-operand op. */
// @ts-ignore: decorator
@inline export function uop32(op: u32, a: u32): u32 {
  switch (op) {
    case UOP_ABS:
      return a & ABS32;
    case UOP_NEG:
      return a ^ SIGN32;
    case UOP_SQRT:
      return f32Sqrt(a);
    case UOP_RINTN:
      return f32RoundInt(a, FPRM_TIEEVEN, false);
    case UOP_RINTA:
      return f32RoundInt(a, FPRM_TIEAWAY, false);
    case UOP_RINTP:
      return f32RoundInt(a, FPRM_POSINF, false);
    case UOP_RINTM:
      return f32RoundInt(a, FPRM_NEGINF, false);
    case UOP_RINTZ:
      return f32RoundInt(a, FPRM_ZERO, false);
    case UOP_RINTX:
      return f32RoundInt(a, FPRM_FPCR, true);
    case UOP_RINTI:
      return f32RoundInt(a, FPRM_FPCR, false);
    case UOP_CVTNS:
      return f32ToS32(a, FPRM_TIEEVEN, 0);
    case UOP_CVTNU:
      return f32ToU32(a, FPRM_TIEEVEN, 0);
    case UOP_CVTMS:
      return f32ToS32(a, FPRM_NEGINF, 0);
    case UOP_CVTMU:
      return f32ToU32(a, FPRM_NEGINF, 0);
    case UOP_CVTPS:
      return f32ToS32(a, FPRM_POSINF, 0);
    case UOP_CVTPU:
      return f32ToU32(a, FPRM_POSINF, 0);
    case UOP_CVTZS:
      return f32ToS32(a, FPRM_ZERO, 0);
    case UOP_CVTZU:
      return f32ToU32(a, FPRM_ZERO, 0);
    case UOP_CVTAS:
      return f32ToS32(a, FPRM_TIEAWAY, 0);
    case UOP_CVTAU:
      return f32ToU32(a, FPRM_TIEAWAY, 0);
    case UOP_SCVTF:
      return s32ToF32(a, 0);
    case UOP_UCVTF:
      return u32ToF32(a, 0);
    case UOP_RECPE:
      return f32RecipEstimate(a);
    case UOP_RSQRTE:
      return f32RSqrtEstimate(a);
    case UOP_RECPX:
      return f32RecpX(a);
    case UOP_URECPE:
      return urecpe(a);
    case UOP_URSQRTE:
      return ursqrte(a);
    case UOP_CMGT0:
      return f32CompareGt(a, 0) ? 0xffffffff : 0;
    case UOP_CMGE0:
      return f32CompareGe(a, 0) ? 0xffffffff : 0;
    case UOP_CMEQ0:
      return f32CompareEq(a, 0) ? 0xffffffff : 0;
    case UOP_CMLE0:
      return f32CompareGe(0, a) ? 0xffffffff : 0;
    default:
      return f32CompareGt(0, a) ? 0xffffffff : 0;
  }
}

/** One f64 (or 64-bit integer) lane of a one-operand op (URECPE/URSQRTE have no 64-bit form). */
// @ts-ignore: decorator
@inline export function uop64(op: u32, a: u64): u64 {
  switch (op) {
    case UOP_ABS:
      return a & ABS64;
    case UOP_NEG:
      return a ^ SIGN64;
    case UOP_SQRT:
      return f64Sqrt(a);
    case UOP_RINTN:
      return f64RoundInt(a, FPRM_TIEEVEN, false);
    case UOP_RINTA:
      return f64RoundInt(a, FPRM_TIEAWAY, false);
    case UOP_RINTP:
      return f64RoundInt(a, FPRM_POSINF, false);
    case UOP_RINTM:
      return f64RoundInt(a, FPRM_NEGINF, false);
    case UOP_RINTZ:
      return f64RoundInt(a, FPRM_ZERO, false);
    case UOP_RINTX:
      return f64RoundInt(a, FPRM_FPCR, true);
    case UOP_RINTI:
      return f64RoundInt(a, FPRM_FPCR, false);
    case UOP_CVTNS:
      return f64ToS64(a, FPRM_TIEEVEN, 0);
    case UOP_CVTNU:
      return f64ToU64(a, FPRM_TIEEVEN, 0);
    case UOP_CVTMS:
      return f64ToS64(a, FPRM_NEGINF, 0);
    case UOP_CVTMU:
      return f64ToU64(a, FPRM_NEGINF, 0);
    case UOP_CVTPS:
      return f64ToS64(a, FPRM_POSINF, 0);
    case UOP_CVTPU:
      return f64ToU64(a, FPRM_POSINF, 0);
    case UOP_CVTZS:
      return f64ToS64(a, FPRM_ZERO, 0);
    case UOP_CVTZU:
      return f64ToU64(a, FPRM_ZERO, 0);
    case UOP_CVTAS:
      return f64ToS64(a, FPRM_TIEAWAY, 0);
    case UOP_CVTAU:
      return f64ToU64(a, FPRM_TIEAWAY, 0);
    case UOP_SCVTF:
      return s64ToF64(a, 0);
    case UOP_UCVTF:
      return u64ToF64(a, 0);
    case UOP_RECPE:
      return f64RecipEstimate(a);
    case UOP_RSQRTE:
      return f64RSqrtEstimate(a);
    case UOP_RECPX:
      return f64RecpX(a);
    case UOP_CMGT0:
      return f64CompareGt(a, 0) ? 0xffffffffffffffff : 0;
    case UOP_CMGE0:
      return f64CompareGe(a, 0) ? 0xffffffffffffffff : 0;
    case UOP_CMEQ0:
      return f64CompareEq(a, 0) ? 0xffffffffffffffff : 0;
    case UOP_CMLE0:
      return f64CompareGe(0, a) ? 0xffffffffffffffff : 0;
    default:
      return f64CompareGt(0, a) ? 0xffffffffffffffff : 0;
  }
}

// ---- Lane access ----

/** 32-bit lane i of Vn. */
// @ts-ignore: decorator
@inline export function lane32(n: u32, i: u32): u32 {
  return load<u32>(vAddr(n) + ((<usize>i) << 2));
}
/** 64-bit lane i of Vn. */
// @ts-ignore: decorator
@inline export function lane64(n: u32, i: u32): u64 {
  return load<u64>(vAddr(n) + ((<usize>i) << 3));
}
/** Clears bits 127..64 of Vd (a 64-bit vector result). */
// @ts-ignore: decorator
@inline export function clearHigh(d: u32): void {
  store<u64>(vAddr(d), 0, 8);
}

// ---- v128 fast path ----
// Under RMode = RN with every input lane normal and every result lane safely normal (biased
// exponent 2..254, or an exact zero from ADD/SUB), wasm's IEEE arithmetic gives exactly Arm's
// result (FZ and DN cannot act), and the only possible flag is IXC: the inexact ops take this
// path only once FPSR.IXC is already set. MAX/MIN/MAXNM/MINNM and the compares raise nothing
// on normal inputs, and FMULX equals FMUL on them. Anything else returns false and the lane loop runs.

const FPSR_IXC_BIT: u32 = 0x10;
const ONE_PAIR32: i64 = 0x3f8000003f800000;

/** Every 32-bit lane of x has a biased exponent in 1..254. */
// @ts-ignore: decorator
@inline function allNormal32(x: v128): bool {
  const e = i32x4.shr_u(i32x4.shl(x, 1), 24);
  return i32x4.all_true(i32x4.lt_u(i32x4.sub(e, i32x4.splat(1)), i32x4.splat(254)));
}

/** Every 32-bit lane of r has a biased exponent in 2..254 (or is a zero, when `zeroOk`). */
// @ts-ignore: decorator
@inline function allSafe32(r: v128, zeroOk: bool): bool {
  const twice = i32x4.shl(r, 1);
  let ok = i32x4.lt_u(i32x4.sub(i32x4.shr_u(twice, 24), i32x4.splat(2)), i32x4.splat(253));
  if (zeroOk) ok = v128.or(ok, i32x4.eq(twice, i32x4.splat(0)));
  return i32x4.all_true(ok);
}

/** Whether `op` has a v128 fast path for 32-bit lanes (a compile-time constant after inlining). */
// @ts-ignore: decorator
@inline export function hasFast32(op: u32): bool {
  return op <= FOP_MULX || op == FOP_CMEQ || op == FOP_CMGE || op == FOP_CMGT || op == FOP_MLA || op == FOP_MLS;
}

/**
 * Fused c + a*b on four f32 lanes through f64 (the product is exact; the f64 sum rounds to the
 * f32 result unless it is exactly an f32 midpoint, as in softfloat's f32MulAdd). Sets
 * mulAddMidpoint when some lane is such a midpoint (the result must then not be used).
 */
// @ts-ignore: decorator
@inline function mulAdd32(c: v128, a: v128, b: v128): v128 {
  const lo = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b)), f64x2.promote_low_f32x4(c));
  const ah = i32x4.shuffle(a, a, 2, 3, 0, 1);
  const bh = i32x4.shuffle(b, b, 2, 3, 0, 1);
  const ch = i32x4.shuffle(c, c, 2, 3, 0, 1);
  const hi = f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(ah), f64x2.promote_low_f32x4(bh)), f64x2.promote_low_f32x4(ch));
  const mask = i64x2.splat(0x1fffffff);
  const mid = i64x2.splat(0x10000000);
  mulAddMidpoint = v128.any_true(v128.or(i64x2.eq(v128.and(lo, mask), mid), i64x2.eq(v128.and(hi, mask), mid)));
  return i64x2.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
}

/** Set by mulAdd32 when some lane's f64 sum is an f32 midpoint (double rounding could differ). */
let mulAddMidpoint: bool = false;

/**
 * The f32 lanes of op(a, b) written to Vd when the fast path applies (Q = 0: two lanes, the
 * top half of Vd cleared); false, with nothing written, when the lane loop must run.
 */
// @ts-ignore: decorator
@inline export function fast32(op: u32, Q: u32, a: v128, b: v128, d: u32): bool {
  if (!Q) {
    a = i64x2.replace_lane(a, 1, ONE_PAIR32);
    b = i64x2.replace_lane(b, 1, ONE_PAIR32);
  }
  const inexact = op <= FOP_DIV || op == FOP_MULX || op == FOP_MLA || op == FOP_MLS;
  if (inexact && (load<u32>(FPCR_ADDR) & (3 << 22)) != 0) return false;
  if (inexact && (load<u32>(FPSR_ADDR) & FPSR_IXC_BIT) == 0) return false;
  if (!allNormal32(a) || !allNormal32(b)) return false;
  let r: v128;
  if (op == FOP_MLA || op == FOP_MLS) {
    let c = v128.load(vAddr(d));
    if (!Q) c = i64x2.replace_lane(c, 1, ONE_PAIR32);
    if (!allNormal32(c)) return false;
    r = mulAdd32(c, op == FOP_MLS ? f32x4.neg(a) : a, b);
    if (mulAddMidpoint || !allSafe32(r, false)) return false;
    if (!Q) r = i64x2.replace_lane(r, 1, 0);
    v128.store(vAddr(d), r);
    return true;
  }
  switch (op) {
    case FOP_ADD:
      r = f32x4.add(a, b);
      if (!allSafe32(r, true)) return false;
      break;
    case FOP_SUB:
      r = f32x4.sub(a, b);
      if (!allSafe32(r, true)) return false;
      break;
    case FOP_MUL:
    case FOP_MULX:
      r = f32x4.mul(a, b);
      if (!allSafe32(r, false)) return false;
      break;
    case FOP_DIV:
      r = f32x4.div(a, b);
      if (!allSafe32(r, false)) return false;
      break;
    case FOP_MAX:
    case FOP_MAXNM:
      r = f32x4.max(a, b);
      break;
    case FOP_MIN:
    case FOP_MINNM:
      r = f32x4.min(a, b);
      break;
    case FOP_CMEQ:
      r = f32x4.eq(a, b);
      break;
    case FOP_CMGE:
      r = f32x4.ge(a, b);
      break;
    default:
      r = f32x4.gt(a, b);
      break;
  }
  if (!Q) r = i64x2.replace_lane(r, 1, 0);
  v128.store(vAddr(d), r);
  return true;
}

/** Every 64-bit lane of x has a biased exponent in 1..2046. */
// @ts-ignore: decorator
@inline function allNormal64(x: v128): bool {
  // No unsigned 64-bit lane compare in wasm: both bounds, signed (e is 0..2047).
  const e = i64x2.shr_u(i64x2.shl(x, 1), 53);
  return i64x2.all_true(v128.and(i64x2.gt_s(e, i64x2.splat(0)), i64x2.lt_s(e, i64x2.splat(2047))));
}

/** Every 64-bit lane of r has a biased exponent in 2..2046 (or is a zero, when `zeroOk`). */
// @ts-ignore: decorator
@inline function allSafe64(r: v128, zeroOk: bool): bool {
  const twice = i64x2.shl(r, 1);
  const e = i64x2.shr_u(twice, 53);
  let ok = v128.and(i64x2.gt_s(e, i64x2.splat(1)), i64x2.lt_s(e, i64x2.splat(2047)));
  if (zeroOk) ok = v128.or(ok, i64x2.eq(twice, i64x2.splat(0)));
  return i64x2.all_true(ok);
}

/** Whether `op` has a v128 fast path for 64-bit lanes. */
// @ts-ignore: decorator
@inline export function hasFast64(op: u32): bool {
  return op <= FOP_MULX || op == FOP_CMEQ || op == FOP_CMGE || op == FOP_CMGT;
}

/** The 2D form of fast32 (same conditions); false, with nothing written, when the lane loop must run. */
// @ts-ignore: decorator
@inline export function fast64(op: u32, a: v128, b: v128, d: u32): bool {
  const inexact = op <= FOP_DIV || op == FOP_MULX;
  if (inexact && (load<u32>(FPCR_ADDR) & (3 << 22)) != 0) return false;
  if (inexact && (load<u32>(FPSR_ADDR) & FPSR_IXC_BIT) == 0) return false;
  if (!allNormal64(a) || !allNormal64(b)) return false;
  let r: v128;
  switch (op) {
    case FOP_ADD:
      r = f64x2.add(a, b);
      if (!allSafe64(r, true)) return false;
      break;
    case FOP_SUB:
      r = f64x2.sub(a, b);
      if (!allSafe64(r, true)) return false;
      break;
    case FOP_MUL:
    case FOP_MULX:
      r = f64x2.mul(a, b);
      if (!allSafe64(r, false)) return false;
      break;
    case FOP_DIV:
      r = f64x2.div(a, b);
      if (!allSafe64(r, false)) return false;
      break;
    case FOP_MAX:
    case FOP_MAXNM:
      r = f64x2.max(a, b);
      break;
    case FOP_MIN:
    case FOP_MINNM:
      r = f64x2.min(a, b);
      break;
    case FOP_CMEQ:
      r = f64x2.eq(a, b);
      break;
    case FOP_CMGE:
      r = f64x2.ge(a, b);
      break;
    default:
      r = f64x2.gt(a, b);
      break;
  }
  v128.store(vAddr(d), r);
  return true;
}
