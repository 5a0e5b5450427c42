// Format-generic Arm FPMax/FPMin/FPMaxNum/FPMinNum and the comparisons (FPCompare, EQ/GE/GT).

import { CLS_INF, CLS_QNAN, CLS_SNAN, CLS_ZERO, FPSR_IOC, fpFlagsRaise } from "./fpcr";
import { infBits, processNaNs2, signOf, unpack, zeroBits } from "./round";

/** Ordering key of a non-NaN operand of class cls: sign-magnitude as a signed integer, zeros equal. */
// @ts-ignore: decorator
@inline
function orderKey(bits: u64, cls: u32, fmt: i32): i64 {
  if (cls == CLS_ZERO) return 0;
  const mag = <i64>(bits & ((<u64>1 << <u64>(fmt - 1)) - 1));
  return signOf(bits, fmt) != 0 ? -mag : mag;
}

/** FPMax (isMin=false) or FPMin (isMin=true). */
export function maxMinG(a: u64, b: u64, isMin: bool, fmt: i32, fpcr: u32): u64 {
  const ca = unpack(a, fmt, fpcr);
  const cb = unpack(b, fmt, fpcr);
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) return processNaNs2(a, ca, b, cb, fmt, fpcr);
  const ka = orderKey(a, ca, fmt);
  const kb = orderKey(b, cb, fmt);
  const pickA = isMin ? ka < kb : ka > kb;
  const c = pickA ? ca : cb;
  if (c == CLS_ZERO) {
    const sa = signOf(a, fmt);
    const sb = signOf(b, fmt);
    return zeroBits(isMin ? sa | sb : sa & sb, fmt);
  }
  if (c == CLS_INF) return infBits(signOf(pickA ? a : b, fmt), fmt);
  // Finite nonzero (denormals only survive unpack when not flushed): exact, no flags.
  return pickA ? a : b;
}

/** FPMaxNum / FPMinNum: a single quiet NaN operand is treated as -inf (max) / +inf (min). */
export function maxMinNumG(a: u64, b: u64, isMin: bool, fmt: i32, fpcr: u32): u64 {
  const ca = unpack(a, fmt, fpcr);
  const cb = unpack(b, fmt, fpcr);
  if (ca == CLS_QNAN && cb != CLS_QNAN) a = infBits(isMin ? 0 : 1, fmt);
  else if (ca != CLS_QNAN && cb == CLS_QNAN) b = infBits(isMin ? 0 : 1, fmt);
  return maxMinG(a, b, isMin, fmt, fpcr);
}

/** FPCompare: NZCV nibble (bits 3..0); IOC for signalling NaNs, or any NaN when signalNaNs. */
export function compareG(a: u64, b: u64, signalNaNs: bool, fmt: i32, fpcr: u32): u32 {
  const ca = unpack(a, fmt, fpcr);
  const cb = unpack(b, fmt, fpcr);
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) {
    if (ca == CLS_SNAN || cb == CLS_SNAN || signalNaNs) fpFlagsRaise(FPSR_IOC);
    return 0x3;
  }
  const ka = orderKey(a, ca, fmt);
  const kb = orderKey(b, cb, fmt);
  if (ka == kb) return 0x6;
  return ka < kb ? 0x8 : 0x2;
}

/** Compare kinds for compareCondG. */
export const CMP_EQ: u32 = 0;
export const CMP_GE: u32 = 1;
export const CMP_GT: u32 = 2;

/** FPCompareEQ (quiet: IOC only for sNaN), FPCompareGE / FPCompareGT (IOC for any NaN). */
export function compareCondG(a: u64, b: u64, kind: u32, fmt: i32, fpcr: u32): bool {
  const ca = unpack(a, fmt, fpcr);
  const cb = unpack(b, fmt, fpcr);
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) {
    if (kind != CMP_EQ || ca == CLS_SNAN || cb == CLS_SNAN) fpFlagsRaise(FPSR_IOC);
    return false;
  }
  const ka = orderKey(a, ca, fmt);
  const kb = orderKey(b, cb, fmt);
  if (kind == CMP_EQ) return ka == kb;
  if (kind == CMP_GE) return ka >= kb;
  return ka > kb;
}
