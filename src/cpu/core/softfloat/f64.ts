// Double-precision (f64 as raw u64 bits) Arm floating-point operations.
// Fast paths use wasm's native round-to-nearest arithmetic only when the result is provably
// identical to Arm's (normal operands and result, RMode = RN, and either FPSR.IXC already set
// or the operation checked to be exact); everything else goes through the exact generic code.

import { addG, divG, mulAddG, mulG, sqrtG } from "./arith";
import { CMP_EQ, CMP_GE, CMP_GT, compareCondG, compareG, maxMinG, maxMinNumG } from "./compare";
import { roundIntG } from "./convert";
import { recipEstimateG, recipStepG, recpxG, rsqrtEstimateG, rsqrtStepG } from "./estimate";
import { FMT64, fpcrRead, fpsrHasIXC } from "./fpcr";

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
      if (fpsrHasIXC()) return r;
      // TwoSum: the rounding error of s is exactly err.
      const bb = s - fa;
      const err = fa - (s - bb) + (fb - bb);
      if (err == 0) return r;
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

/** FMUL. */
export function f64Mul(a: u64, b: u64): u64 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && isNormal(b) && fpsrHasIXC()) {
    const r = reinterpret<u64>(reinterpret<f64>(a) * reinterpret<f64>(b));
    if (safeResult(r)) return r;
  }
  return mulG(a, b, false, FMT64, fpcr);
}

/** FDIV. */
export function f64Div(a: u64, b: u64): u64 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && isNormal(b) && fpsrHasIXC()) {
    const r = reinterpret<u64>(reinterpret<f64>(a) / reinterpret<f64>(b));
    if (safeResult(r)) return r;
  }
  return divG(a, b, FMT64, fpcr);
}

/** FSQRT. */
export function f64Sqrt(a: u64): u64 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && a < SIGN && fpsrHasIXC()) return reinterpret<u64>(sqrt<f64>(reinterpret<f64>(a)));
  return sqrtG(a, FMT64, fpcr);
}

/** FPMulAdd: addend + op1*op2, fused (one rounding). */
export function f64MulAdd(addend: u64, op1: u64, op2: u64): u64 {
  return mulAddG(addend, op1, op2, FMT64, fpcrRead());
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
