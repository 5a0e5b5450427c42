// Single-precision (f32 as raw u32 bits) Arm floating-point operations.
// Fast paths use wasm's native round-to-nearest arithmetic only when the result is provably
// identical to Arm's (normal operands, a result that can neither be tiny nor overflow, and
// RMode = RN); the only possible flag is then IXC, found with an exactness check (skipped when
// FPSR.IXC is already set). Everything else goes through the exact generic code.

import { addG, divG, mulAddG, mulG, sqrtG } from "./arith";
import { CMP_EQ, CMP_GE, CMP_GT, compareCondG, compareG, maxMinG, maxMinNumG } from "./compare";
import { roundIntG } from "./convert";
import { recipEstimateG, recipStepG, recpxG, rsqrtEstimateG, rsqrtStepG } from "./estimate";
import { FMT32, FPSR_IXC, fpcrRead, fpFlagsRaise, fpsrHasIXC } from "./fpcr";

const SIGN: u32 = 0x80000000;

/** RMode is round-to-nearest (FZ/DN cannot matter for normal operands and results). */
// @ts-ignore: decorator
@inline
function nearest(fpcr: u32): bool {
  return (fpcr & (3 << 22)) == 0;
}

/** Exponent field in 1..254. */
// @ts-ignore: decorator
@inline
function isNormal(x: u32): bool {
  return ((x >> 23) & 0xff) - 1 < 254;
}

/** Exponent field in 2..254: cannot be tiny before rounding, cannot have overflowed. */
// @ts-ignore: decorator
@inline
function safeResult(x: u32): bool {
  return ((x >> 23) & 0xff) - 2 < 253;
}

/** Native f32 add, or 0xffffffff (a NaN pattern never produced here) when it may differ from Arm's. */
// @ts-ignore: decorator
@inline
function fastAdd(a: u32, b: u32, fpcr: u32): u32 {
  if (nearest(fpcr) && isNormal(a) && isNormal(b)) {
    const fa = reinterpret<f32>(a);
    const fb = reinterpret<f32>(b);
    const s = fa + fb;
    const r = reinterpret<u32>(s);
    if (safeResult(r) || r << 1 == 0) {
      if (!fpsrHasIXC()) {
        // TwoSum: the rounding error of s is exactly err.
        const bb = s - fa;
        if (fa - (s - bb) + (fb - bb) != 0) fpFlagsRaise(FPSR_IXC);
      }
      return r;
    }
  }
  return 0xffffffff;
}

/** FADD. */
export function f32Add(a: u32, b: u32): u32 {
  const fpcr = fpcrRead();
  const r = fastAdd(a, b, fpcr);
  if (r != 0xffffffff) return r;
  return <u32>addG(a, b, 0, FMT32, fpcr);
}

/** FSUB. */
export function f32Sub(a: u32, b: u32): u32 {
  const fpcr = fpcrRead();
  const r = fastAdd(a, b ^ SIGN, fpcr);
  if (r != 0xffffffff) return r;
  return <u32>addG(a, b, 1, FMT32, fpcr);
}

/** FMUL. */
export function f32Mul(a: u32, b: u32): u32 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && isNormal(b)) {
    const p = <f64>reinterpret<f32>(a) * <f64>reinterpret<f32>(b);
    const s = <f32>p;
    const r = reinterpret<u32>(s);
    if (safeResult(r)) {
      if (<f64>s != p) fpFlagsRaise(FPSR_IXC);
      return r;
    }
  }
  return <u32>mulG(a, b, false, FMT32, fpcr);
}

/** FDIV. */
export function f32Div(a: u32, b: u32): u32 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && isNormal(b)) {
    const s = reinterpret<f32>(a) / reinterpret<f32>(b);
    const r = reinterpret<u32>(s);
    if (safeResult(r)) {
      if (<f64>s * <f64>reinterpret<f32>(b) != <f64>reinterpret<f32>(a)) fpFlagsRaise(FPSR_IXC);
      return r;
    }
  }
  return <u32>divG(a, b, FMT32, fpcr);
}

/** FSQRT. */
export function f32Sqrt(a: u32): u32 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(a) && a < SIGN) {
    const s = sqrt<f32>(reinterpret<f32>(a));
    if (<f64>s * <f64>s != <f64>reinterpret<f32>(a)) fpFlagsRaise(FPSR_IXC);
    return reinterpret<u32>(s);
  }
  return <u32>sqrtG(a, FMT32, fpcr);
}

/** FPMulAdd: addend + op1*op2, fused (one rounding). */
export function f32MulAdd(addend: u32, op1: u32, op2: u32): u32 {
  const fpcr = fpcrRead();
  if (nearest(fpcr) && isNormal(addend) && isNormal(op1) && isNormal(op2)) {
    // The f64 product is exact; the f64 sum s = RN64(x) rounds to RN32(x) unless s is
    // exactly an f32 midpoint (no midpoint can lie strictly between x and s).
    const fc = <f64>reinterpret<f32>(addend);
    const p = <f64>reinterpret<f32>(op1) * <f64>reinterpret<f32>(op2);
    const sum = p + fc;
    if ((reinterpret<u64>(sum) & 0x1fffffff) != 0x10000000) {
      const s32 = <f32>sum;
      const r = reinterpret<u32>(s32);
      if (safeResult(r)) {
        if (!fpsrHasIXC()) {
          const bb = sum - p;
          if (p - (sum - bb) + (fc - bb) != 0 || <f64>s32 != sum) fpFlagsRaise(FPSR_IXC);
        }
        return r;
      }
    }
  }
  return <u32>mulAddG(addend, op1, op2, FMT32, fpcr);
}

/** FMADD Sd, Sn, Sm, Sa: a + n*m. */
export function f32Fmadd(n: u32, m: u32, a: u32): u32 {
  return f32MulAdd(a, n, m);
}

/** FMSUB: a - n*m (n negated before NaN processing). */
export function f32Fmsub(n: u32, m: u32, a: u32): u32 {
  return f32MulAdd(a, n ^ SIGN, m);
}

/** FNMADD: -a - n*m. */
export function f32Fnmadd(n: u32, m: u32, a: u32): u32 {
  return f32MulAdd(a ^ SIGN, n ^ SIGN, m);
}

/** FNMSUB: -a + n*m. */
export function f32Fnmsub(n: u32, m: u32, a: u32): u32 {
  return f32MulAdd(a ^ SIGN, n, m);
}

/** FNMUL: -(a*b), the negation applied to the result (NaNs included). */
export function f32Nmul(a: u32, b: u32): u32 {
  return f32Mul(a, b) ^ SIGN;
}

/** FABD: |a - b|. */
export function f32Abd(a: u32, b: u32): u32 {
  return f32Sub(a, b) & ~SIGN;
}

/** FABS (no flags, no NaN processing). */
export function f32Abs(a: u32): u32 {
  return a & ~SIGN;
}

/** FNEG (no flags, no NaN processing). */
export function f32Neg(a: u32): u32 {
  return a ^ SIGN;
}

/** FMIN. */
export function f32Min(a: u32, b: u32): u32 {
  return <u32>maxMinG(a, b, true, FMT32, fpcrRead());
}

/** FMAX. */
export function f32Max(a: u32, b: u32): u32 {
  return <u32>maxMinG(a, b, false, FMT32, fpcrRead());
}

/** FMINNM. */
export function f32MinNum(a: u32, b: u32): u32 {
  return <u32>maxMinNumG(a, b, true, FMT32, fpcrRead());
}

/** FMAXNM. */
export function f32MaxNum(a: u32, b: u32): u32 {
  return <u32>maxMinNumG(a, b, false, FMT32, fpcrRead());
}

/** FMULX: like FMUL but inf*0 = +-2.0. */
export function f32MulX(a: u32, b: u32): u32 {
  return <u32>mulG(a, b, true, FMT32, fpcrRead());
}

/** FCMP (signal=false) / FCMPE (signal=true): NZCV in bits 3..0. */
export function f32Compare(a: u32, b: u32, signal: bool): u32 {
  return compareG(a, b, signal, FMT32, fpcrRead());
}

/** FCMEQ: a == b (quiet). */
export function f32CompareEq(a: u32, b: u32): bool {
  return compareCondG(a, b, CMP_EQ, FMT32, fpcrRead());
}

/** FCMGE: a >= b (signalling). */
export function f32CompareGe(a: u32, b: u32): bool {
  return compareCondG(a, b, CMP_GE, FMT32, fpcrRead());
}

/** FCMGT: a > b (signalling). */
export function f32CompareGt(a: u32, b: u32): bool {
  return compareCondG(a, b, CMP_GT, FMT32, fpcrRead());
}

/** FRINT*: round to integral under rm (FPRM_*, FPRM_FPCR for FRINTI); exact=true for FRINTX. */
export function f32RoundInt(a: u32, rm: u32, exact: bool): u32 {
  return <u32>roundIntG(a, FMT32, rm, exact, fpcrRead());
}

/** FRECPE. */
export function f32RecipEstimate(a: u32): u32 {
  return <u32>recipEstimateG(a, FMT32, fpcrRead());
}

/** FRSQRTE. */
export function f32RSqrtEstimate(a: u32): u32 {
  return <u32>rsqrtEstimateG(a, FMT32, fpcrRead());
}

/** FRECPS: 2 - a*b, fused. */
export function f32RecipStep(a: u32, b: u32): u32 {
  return <u32>recipStepG(a, b, FMT32, fpcrRead());
}

/** FRSQRTS: (3 - a*b)/2, fused. */
export function f32RSqrtStep(a: u32, b: u32): u32 {
  return <u32>rsqrtStepG(a, b, FMT32, fpcrRead());
}

/** FRECPX. */
export function f32RecpX(a: u32): u32 {
  return <u32>recpxG(a, FMT32, fpcrRead());
}
