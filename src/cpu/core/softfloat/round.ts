// Arm FPUnpack / FPProcessNaN(s) / FPRound, generic over the f16, f32 and f64 formats.
// Values are raw bit patterns held in u64 (f16/f32 in the low bits).

import {
  CLS_FINITE,
  CLS_INF,
  CLS_QNAN,
  CLS_SNAN,
  CLS_ZERO,
  expBits,
  FMT16,
  FMT64,
  FMT32,
  FPCR_AHP,
  FPCR_DN,
  FPCR_FZ,
  FPRM_NEGINF,
  FPRM_ODD,
  FPRM_POSINF,
  FPRM_TIEAWAY,
  FPRM_TIEEVEN,
  FPSR_IDC,
  FPSR_IOC,
  FPSR_IXC,
  FPSR_OFC,
  FPSR_UFC,
  fpFlagsRaise,
  fracBits,
} from "./fpcr";

/** Integer significand of the last finite operand unpacked (value = uM * 2^uE). */
export let uM: u64 = 0;
/** Exponent of the last finite operand unpacked. */
export let uE: i32 = 0;

/** Sign bit (0/1) of a raw value. */
// @ts-ignore: decorator
@inline
export function signOf(bits: u64, fmt: i32): u32 {
  return <u32>(bits >> <u64>(fmt - 1)) & 1;
}

/** Signed zero of a format. */
// @ts-ignore: decorator
@inline
export function zeroBits(sign: u32, fmt: i32): u64 {
  return <u64>sign << <u64>(fmt - 1);
}

/** Signed infinity of a format. */
export function infBits(sign: u32, fmt: i32): u64 {
  if (fmt == FMT64) return (<u64>sign << 63) | 0x7ff0000000000000;
  if (fmt == FMT32) return (<u64>sign << 31) | 0x7f800000;
  return (<u64>sign << 15) | 0x7c00;
}

/** Largest finite value of a format with the given sign. */
export function maxNormalBits(sign: u32, fmt: i32): u64 {
  if (fmt == FMT64) return (<u64>sign << 63) | 0x7fefffffffffffff;
  if (fmt == FMT32) return (<u64>sign << 31) | 0x7f7fffff;
  return (<u64>sign << 15) | 0x7bff;
}

/** Arm default NaN of a format. */
export function defaultNaN(fmt: i32): u64 {
  if (fmt == FMT64) return 0x7ff8000000000000;
  if (fmt == FMT32) return 0x7fc00000;
  return 0x7e00;
}

/**
 * FPUnpack: classifies a value (CLS_*), flushing denormal f32/f64 inputs to zero when FPCR.FZ
 * (raising IDC). Finite values leave their significand/exponent in uM/uE. For f16 FPCR.AHP
 * selects the alternative format (no infinities or NaNs); f16 is never flushed.
 */
export function unpack(bits: u64, fmt: i32, fpcr: u32): u32 {
  const F = fracBits(fmt);
  const E = expBits(fmt);
  const frac = bits & ((<u64>1 << <u64>F) - 1);
  const exp = <i32>(bits >> <u64>F) & ((1 << E) - 1);
  const bias = (1 << (E - 1)) - 1;
  if (exp == 0) {
    if (frac == 0) return CLS_ZERO;
    if (fmt != FMT16 && (fpcr & FPCR_FZ) != 0) {
      fpFlagsRaise(FPSR_IDC);
      return CLS_ZERO;
    }
    uM = frac;
    uE = 1 - bias - F;
    return CLS_FINITE;
  }
  if (exp == (1 << E) - 1 && !(fmt == FMT16 && (fpcr & FPCR_AHP) != 0)) {
    if (frac == 0) return CLS_INF;
    return ((frac >> <u64>(F - 1)) & 1) != 0 ? CLS_QNAN : CLS_SNAN;
  }
  uM = frac | (<u64>1 << <u64>F);
  uE = exp - bias - F;
  return CLS_FINITE;
}

/** FPProcessNaN: quietens a NaN (IOC if it was signalling), or default NaN under FPCR.DN. */
export function processNaN(bits: u64, cls: u32, fmt: i32, fpcr: u32): u64 {
  if (cls == CLS_SNAN) fpFlagsRaise(FPSR_IOC);
  if ((fpcr & FPCR_DN) != 0) return defaultNaN(fmt);
  return bits | (<u64>1 << <u64>(fracBits(fmt) - 1));
}

/** FPProcessNaNs for two operands; call only when at least one is a NaN. */
export function processNaNs2(a: u64, ca: u32, b: u64, cb: u32, fmt: i32, fpcr: u32): u64 {
  if (ca == CLS_SNAN) return processNaN(a, ca, fmt, fpcr);
  if (cb == CLS_SNAN) return processNaN(b, cb, fmt, fpcr);
  if (ca == CLS_QNAN) return processNaN(a, ca, fmt, fpcr);
  return processNaN(b, cb, fmt, fpcr);
}

/** FPProcessNaNs3; call only when at least one operand is a NaN. */
export function processNaNs3(a: u64, ca: u32, b: u64, cb: u32, c: u64, cc: u32, fmt: i32, fpcr: u32): u64 {
  if (ca == CLS_SNAN) return processNaN(a, ca, fmt, fpcr);
  if (cb == CLS_SNAN) return processNaN(b, cb, fmt, fpcr);
  if (cc == CLS_SNAN) return processNaN(c, cc, fmt, fpcr);
  if (ca == CLS_QNAN) return processNaN(a, ca, fmt, fpcr);
  if (cb == CLS_QNAN) return processNaN(b, cb, fmt, fpcr);
  return processNaN(c, cc, fmt, fpcr);
}

/** Raises IOC and returns the default NaN (invalid operation). */
export function invalidNaN(fmt: i32): u64 {
  fpFlagsRaise(FPSR_IOC);
  return defaultNaN(fmt);
}

/**
 * FPRound of the nonzero value (-1)^sign * sig * 2^e to a format under rounding mode rm
 * (FPRM_TIEEVEN..FPRM_ODD, already resolved). Bits of sig below the significand act as
 * guard/sticky, so callers may jam a sticky 1 into bit 0. Implements FZ output flushing
 * (before rounding, UFC only), tininess-before-rounding underflow, overflow per mode,
 * and the AHP half-precision overflow (IOC, no IXC).
 */
export function roundPack(sign: u32, e: i32, sig: u64, fmt: i32, fpcr: u32, rm: u32): u64 {
  const F = fracBits(fmt);
  const E = expBits(fmt);
  const bias = (1 << (E - 1)) - 1;
  const lz = <i32>clz(sig);
  sig <<= <u64>lz;
  const exponent = e - lz + 63;
  const signBit = <u64>sign << <u64>(fmt - 1);
  if (exponent < 1 - bias && fmt != FMT16 && (fpcr & FPCR_FZ) != 0) {
    fpFlagsRaise(FPSR_UFC);
    return signBit;
  }
  let biasedExp = exponent + bias;
  let shift = 63 - F;
  if (biasedExp <= 0) {
    shift += 1 - biasedExp;
    biasedExp = 0;
  }
  let mant: u64 = 0;
  let g: bool = false;
  let st: bool = true;
  if (shift < 64) {
    mant = sig >> <u64>shift;
    g = ((sig >> <u64>(shift - 1)) & 1) != 0;
    st = sig << <u64>(65 - shift) != 0;
  } else if (shift == 64) {
    g = true;
    st = sig << 1 != 0;
  }
  const inexact = g || st;
  if (biasedExp == 0 && inexact) fpFlagsRaise(FPSR_UFC);
  let up = false;
  if (rm == FPRM_TIEEVEN) up = g && (st || (mant & 1) != 0);
  else if (rm == FPRM_POSINF) up = inexact && sign == 0;
  else if (rm == FPRM_NEGINF) up = inexact && sign != 0;
  else if (rm == FPRM_TIEAWAY) up = g;
  else if (rm == FPRM_ODD) {
    if (inexact) mant |= 1;
  }
  if (up) {
    mant++;
    if (mant == <u64>1 << <u64>F) biasedExp = 1;
    else if (mant == <u64>2 << <u64>F) {
      biasedExp++;
      mant >>= 1;
    }
  }
  if (fmt == FMT16 && (fpcr & FPCR_AHP) != 0) {
    if (biasedExp >= 1 << E) {
      fpFlagsRaise(FPSR_IOC);
      return signBit | 0x7fff;
    }
  } else if (biasedExp >= (1 << E) - 1) {
    fpFlagsRaise(FPSR_OFC | FPSR_IXC);
    let toInf = rm == FPRM_TIEEVEN || rm == FPRM_TIEAWAY;
    if (rm == FPRM_POSINF) toInf = sign == 0;
    else if (rm == FPRM_NEGINF) toInf = sign != 0;
    return toInf ? infBits(sign, fmt) : maxNormalBits(sign, fmt);
  }
  if (inexact) fpFlagsRaise(FPSR_IXC);
  return signBit | (<u64>biasedExp << <u64>F) | (mant & ((<u64>1 << <u64>F) - 1));
}

/** Exponent adjustment produced by jam128(). */
export let jamE: i32 = 0;

/** Compresses a 128-bit magnitude hi:lo to 64 bits with a sticky bit 0; jamE gets the right shift applied. */
export function jam128(hi: u64, lo: u64): u64 {
  if (hi == 0) {
    jamE = 0;
    return lo;
  }
  const lz = <i32>clz(hi);
  jamE = 64 - lz;
  if (lz == 0) return hi | (lo != 0 ? 1 : 0);
  return (hi << <u64>lz) | (lo >> <u64>(64 - lz)) | (lo << <u64>lz != 0 ? 1 : 0);
}
