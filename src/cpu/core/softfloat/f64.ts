// Double-precision (f64 as raw u64 bits) Arm floating-point operations.
// Fast paths use wasm's native round-to-nearest arithmetic only when the result is provably
// identical to Arm's (normal operands, a result that can neither be tiny nor overflow, and
// RMode = RN); the only possible flag is then IXC, found with an exact error computation
// (TwoSum / Dekker TwoProduct, skipped when FPSR.IXC is already set). Everything else goes
// through the exact generic code.

import { addG, divG, mulAddG, mulG, sqrtG } from "./arith";
import { CMP_EQ, CMP_GE, CMP_GT, compareCondG, compareG, maxMinG, maxMinNumG } from "./compare";
import { roundIntG } from "./convert";
import { recipEstimateG, recipStepG, recpxG, rsqrtEstimateG, rsqrtStepG } from "./estimate";
import { FMT64, FPSR_IXC, fpcrRead, fpFlagsRaise, fpsrHasIXC } from "./fpcr";

const SIGN: u64 = 0x8000000000000000;
/** Marker for "no fast result" (a NaN pattern the fast paths never produce). */
const NO_FAST: u64 = 0xffffffffffffffff;

/** RMode is round-to-nearest (FZ/DN cannot matter for normal operands and results). */
// @ts-ignore: decorator
@inline
function nearest(fpcr: u32): bool {
  return (fpcr & (3 << 22)) == 0;
}

/** Exponent field in 1..2046. */
// @ts-ignore: decorator
@inline
function isNormal(x: u64): bool {
  return ((<u32>(x >> 52) & 0x7ff) - 1) < 2046;
}

/** Exponent field in 2..2046: cannot be tiny before rounding, cannot have overflowed. */
// @ts-ignore: decorator
@inline
function safeResult(x: u64): bool {
  return ((<u32>(x >> 52) & 0x7ff) - 2) < 2045;
}

/** Native f64 add, or NO_FAST when the native result is not provably Arm's. */
// @ts-ignore: decorator
@inline
function fastAdd(a: u64, b: u64, fpcr: u32): u64 {
  if (nearest(fpcr) && isNormal(a) && isNormal(b)) {
    const fa = reinterpret<f64>(a);
    const fb = reinterpret<f64>(b);
    const s = fa + fb;
    const r = reinterpret<u64>(s);
    if (safeResult(r) || r << 1 == 0) {
      if (!fpsrHasIXC()) {
        // TwoSum: the rounding error of s is exactly err.
        const bb = s - fa;
        if (fa - (s - bb) + (fb - bb) != 0) fpFlagsRaise(FPSR_IXC);
      }
      return r;
    }
  }
  return NO_FAST;
}

/** FADD. */
export function f64Add(a: u64, b: u64): u64 {
  const fpcr = fpcrRead();
  const r = fastAdd(a, b, fpcr);
  if (r != NO_FAST) return r;
  return addG(a, b, 0, FMT64, fpcr);
}

/** FSUB. */
export function f64Sub(a: u64, b: u64): u64 {
  const fpcr = fpcrRead();
  const r = fastAdd(a, b ^ SIGN, fpcr);
  if (r != NO_FAST) return r;
  return addG(a, b, 1, FMT64, fpcr);
}

/** Exponent field within 2^+-450 of 1.0: far from overflow and underflow for the FMA fast path. */
// @ts-ignore: decorator
@inline
function moderate(x: u64): bool {
  return ((<u32>(x >> 52) & 0x7ff) - (1023 - 450)) < 900;
}

/** Veltkamp/Dekker splitting constant 2^27 + 1. */
const SPLIT: f64 = 134217729.0;

/** Whether x*y == hi + lo exactly (Dekker TwoProduct; x, y moderate so nothing under/overflows). */
function productIs(x: f64, y: f64, hi: f64, lo: f64): bool {
  const p = x * y;
  let g = SPLIT * x;
  const xh = g - (g - x);
  const xl = x - xh;
  g = SPLIT * y;
  const yh = g - (g - y);
  const yl = y - yh;
  const e = xh * yh - p + xh * yl + xl * yh + xl * yl;
  return p == hi && e == lo;
}

/** FMUL. */
export function f64Mul(a: u64, b: u64): u64 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && isNormal(b)) {
    const fa = reinterpret<f64>(a);
    const fb = reinterpret<f64>(b);
    const p = fa * fb;
    const r = reinterpret<u64>(p);
    if (safeResult(r)) {
      if (fpsrHasIXC()) return r;
      if (moderate(a) && moderate(b)) {
        if (!productIs(fa, fb, p, 0)) fpFlagsRaise(FPSR_IXC);
        return r;
      }
    }
  }
  return mulG(a, b, false, FMT64, fpcr);
}

/** FDIV. */
export function f64Div(a: u64, b: u64): u64 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && isNormal(b)) {
    const fa = reinterpret<f64>(a);
    const fb = reinterpret<f64>(b);
    const q = fa / fb;
    const r = reinterpret<u64>(q);
    if (safeResult(r)) {
      if (fpsrHasIXC()) return r;
      if (moderate(a) && moderate(b)) {
        if (!productIs(q, fb, fa, 0)) fpFlagsRaise(FPSR_IXC);
        return r;
      }
    }
  }
  return divG(a, b, FMT64, fpcr);
}

/** FSQRT. */
export function f64Sqrt(a: u64): u64 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && a < SIGN) {
    const fa = reinterpret<f64>(a);
    const s = sqrt<f64>(fa);
    if (fpsrHasIXC()) return reinterpret<u64>(s);
    if (moderate(a)) {
      if (!productIs(s, s, fa, 0)) fpFlagsRaise(FPSR_IXC);
      return reinterpret<u64>(s);
    }
  }
  return sqrtG(a, FMT64, fpcr);
}

/**
 * RN(a*b + c) for moderate normal operands (Boldo & Melquiond, "Emulation of FMA and
 * correctly rounded sums: proved algorithms using rounding to odd"): exact product by
 * Dekker's TwoProduct, TwoSum with the addend, round-to-odd sum of the error terms, and a
 * final round-to-nearest addition. Flags are not computed (caller requires FPSR.IXC set).
 */
function fmaNearest(a: f64, b: f64, c: f64): f64 {
  // uh + ul = a*b exactly.
  const uh = a * b;
  let g = SPLIT * a;
  const ah = g - (g - a);
  const al = a - ah;
  g = SPLIT * b;
  const bh = g - (g - b);
  const bl = b - bh;
  const ul = ah * bh - uh + ah * bl + al * bh + al * bl;
  // th + tl = c + uh exactly.
  const th = c + uh;
  let bb = th - c;
  const tl = c - (th - bb) + (uh - bb);
  // v = RO(tl + ul): if inexact and even, step to the odd neighbour towards the exact sum.
  const v = tl + ul;
  bb = v - tl;
  const ve = tl - (v - bb) + (ul - bb);
  let vb = reinterpret<u64>(v);
  if (ve != 0 && (vb & 1) == 0) {
    vb = (ve > 0) == (v > 0) ? vb + 1 : vb - 1;
  }
  return th + reinterpret<f64>(vb);
}

/** FPMulAdd: addend + op1*op2, fused (one rounding). */
export function f64MulAdd(addend: u64, op1: u64, op2: u64): u64 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && moderate(addend) && moderate(op1) && moderate(op2) && fpsrHasIXC()) {
    const r = reinterpret<u64>(fmaNearest(reinterpret<f64>(op1), reinterpret<f64>(op2), reinterpret<f64>(addend)));
    // Results below 2^-800 may have lost low-order error terms to underflow: take the exact path.
    if (((<u32>(r >> 52) & 0x7ff) - 223) < 1823) return r;
  }
  return mulAddG(addend, op1, op2, FMT64, fpcr);
}

/** FMADD Sd, Sn, Sm, Sa: a + n*m. */
export function f64Fmadd(n: u64, m: u64, a: u64): u64 {
  return f64MulAdd(a, n, m);
}

/** FMSUB: a - n*m (n negated before NaN processing). */
export function f64Fmsub(n: u64, m: u64, a: u64): u64 {
  return f64MulAdd(a, n ^ SIGN, m);
}

/** FNMADD: -a - n*m. */
export function f64Fnmadd(n: u64, m: u64, a: u64): u64 {
  return f64MulAdd(a ^ SIGN, n ^ SIGN, m);
}

/** FNMSUB: -a + n*m. */
export function f64Fnmsub(n: u64, m: u64, a: u64): u64 {
  return f64MulAdd(a ^ SIGN, n, m);
}

/** FNMUL: -(a*b), the negation applied to the result (NaNs included). */
export function f64Nmul(a: u64, b: u64): u64 {
  return f64Mul(a, b) ^ SIGN;
}

/** FABD: |a - b|. */
export function f64Abd(a: u64, b: u64): u64 {
  return f64Sub(a, b) & ~SIGN;
}

/** FABS (no flags, no NaN processing). */
export function f64Abs(a: u64): u64 {
  return a & ~SIGN;
}

/** FNEG (no flags, no NaN processing). */
export function f64Neg(a: u64): u64 {
  return a ^ SIGN;
}

/** FMIN. */
export function f64Min(a: u64, b: u64): u64 {
  return maxMinG(a, b, true, FMT64, fpcrRead());
}

/** FMAX. */
export function f64Max(a: u64, b: u64): u64 {
  return maxMinG(a, b, false, FMT64, fpcrRead());
}

/** FMINNM. */
export function f64MinNum(a: u64, b: u64): u64 {
  return maxMinNumG(a, b, true, FMT64, fpcrRead());
}

/** FMAXNM. */
export function f64MaxNum(a: u64, b: u64): u64 {
  return maxMinNumG(a, b, false, FMT64, fpcrRead());
}

/** FMULX: like FMUL but inf*0 = +-2.0. */
export function f64MulX(a: u64, b: u64): u64 {
  return mulG(a, b, true, FMT64, fpcrRead());
}

/** FCMP (signal=false) / FCMPE (signal=true): NZCV in bits 3..0. */
export function f64Compare(a: u64, b: u64, signal: bool): u32 {
  return compareG(a, b, signal, FMT64, fpcrRead());
}

/** FCMEQ: a == b (quiet). */
export function f64CompareEq(a: u64, b: u64): bool {
  return compareCondG(a, b, CMP_EQ, FMT64, fpcrRead());
}

/** FCMGE: a >= b (signalling). */
export function f64CompareGe(a: u64, b: u64): bool {
  return compareCondG(a, b, CMP_GE, FMT64, fpcrRead());
}

/** FCMGT: a > b (signalling). */
export function f64CompareGt(a: u64, b: u64): bool {
  return compareCondG(a, b, CMP_GT, FMT64, fpcrRead());
}

/** FRINT*: round to integral under rm (FPRM_*, FPRM_FPCR for FRINTI); exact=true for FRINTX. */
export function f64RoundInt(a: u64, rm: u32, exact: bool): u64 {
  return roundIntG(a, FMT64, rm, exact, fpcrRead());
}

/** FRECPE. */
export function f64RecipEstimate(a: u64): u64 {
  return recipEstimateG(a, FMT64, fpcrRead());
}

/** FRSQRTE. */
export function f64RSqrtEstimate(a: u64): u64 {
  return rsqrtEstimateG(a, FMT64, fpcrRead());
}

/** FRECPS: 2 - a*b, fused. */
export function f64RecipStep(a: u64, b: u64): u64 {
  return recipStepG(a, b, FMT64, fpcrRead());
}

/** FRSQRTS: (3 - a*b)/2, fused. */
export function f64RSqrtStep(a: u64, b: u64): u64 {
  return rsqrtStepG(a, b, FMT64, fpcrRead());
}

/** FRECPX. */
export function f64RecpX(a: u64): u64 {
  return recpxG(a, FMT64, fpcrRead());
}
