// Format-generic conversions: FPToFixed (FCVT*S/U), FixedToFP (SCVTF/UCVTF), FPConvert
// (FCVT between f16/f32/f64, incl. AHP and FCVTXN round-to-odd) and FPRoundInt (FRINT*).

import {
  CLS_INF,
  CLS_QNAN,
  CLS_SNAN,
  CLS_ZERO,
  FMT16,
  FMT32,
  FMT64,
  FPRM_FPCR,
  FPRM_ODD,
  FPCR_AHP,
  FPCR_DN,
  FPRM_NEGINF,
  FPRM_POSINF,
  FPRM_TIEAWAY,
  FPRM_TIEEVEN,
  FPRM_ZERO,
  FPSR_IOC,
  FPSR_IXC,
  fpcrRead,
  fpFlagsRaise,
  fracBits,
  resolveRMode,
} from "./fpcr";
import { defaultNaN, infBits, processNaN, roundPack, signOf, uE, uM, unpack, zeroBits } from "./round";

/** Guard bit of the last shiftRound() (fraction >= 1/2). */
let srG: bool = false;
/** Sticky of the last shiftRound() (fraction bits below the guard nonzero). */
let srS: bool = false;

/** m * 2^e truncated to an integer (e <= 0), guard/sticky left in srG/srS. */
function shiftTrunc(m: u64, e: i32): u64 {
  if (e == 0) {
    srG = false;
    srS = false;
    return m;
  }
  const sh = -e;
  if (sh > 64) {
    srG = false;
    srS = m != 0;
    return 0;
  }
  if (sh == 64) {
    srG = (m >> 63) != 0;
    srS = m << 1 != 0;
    return 0;
  }
  srG = ((m >> <u64>(sh - 1)) & 1) != 0;
  srS = sh > 1 && m << <u64>(65 - sh) != 0;
  return m >> <u64>sh;
}

/** Whether a truncated magnitude rounds up in magnitude under rm (integer rounding, signed semantics). */
// @ts-ignore: decorator
@inline
function roundsUp(mag: u64, sign: u32, rm: u32): bool {
  const inexact = srG || srS;
  if (rm == FPRM_TIEEVEN) return srG && (srS || (mag & 1) != 0);
  if (rm == FPRM_TIEAWAY) return srG;
  if (rm == FPRM_POSINF) return inexact && sign == 0;
  if (rm == FPRM_NEGINF) return inexact && sign != 0;
  return false;
}

/**
 * FPToFixed: converts to a signed/unsigned 32/64-bit integer scaled by 2^fbits under rm
 * (FPRM_*), saturating with IOC on NaN/overflow, IXC when inexact. Result in the low bits.
 */
export function toFixedG(bits: u64, fmt: i32, fbits: i32, unsigned: bool, is64: bool, rm: u32, fpcr: u32): u64 {
  rm = resolveRMode(rm, fpcr);
  const cls = unpack(bits, fmt, fpcr);
  const sign = signOf(bits, fmt);
  if (cls >= CLS_QNAN) {
    fpFlagsRaise(FPSR_IOC);
    return 0;
  }
  if (cls == CLS_ZERO) return 0;
  const width = is64 ? 64 : 32;
  // Largest magnitude allowed for this sign.
  let maxMag: u64;
  if (unsigned) maxMag = sign != 0 ? 0 : is64 ? 0xffffffffffffffff : 0xffffffff;
  else maxMag = (<u64>1 << <u64>(width - 1)) - (sign != 0 ? 0 : 1);
  let overflow = cls == CLS_INF;
  let mag: u64 = 0;
  if (!overflow) {
    const m = uM;
    const e = uE + fbits;
    if (e > 0) {
      // Integer already; overflow if it does not fit in 64 bits.
      if (e + 64 - <i32>clz(m) > 64) overflow = true;
      else mag = m << <u64>e;
      srG = false;
      srS = false;
    } else {
      mag = shiftTrunc(m, e);
      if (roundsUp(mag, sign, rm)) {
        mag++;
        if (mag == 0) overflow = true;
      }
    }
    if (mag > maxMag) overflow = true;
  }
  if (overflow) {
    fpFlagsRaise(FPSR_IOC);
    if (sign != 0) return unsigned ? 0 : is64 ? 0x8000000000000000 : 0x80000000;
    return maxMag;
  }
  if (srG || srS) fpFlagsRaise(FPSR_IXC);
  if (sign != 0) mag = 0 - mag;
  return is64 ? mag : mag & 0xffffffff;
}

/**
 * FixedToFP: converts a signed/unsigned 32/64-bit integer (low bits of v) divided by 2^fbits
 * to a float format under rm (FPRM_FPCR for the FPCR mode).
 */
export function fromFixedG(v: u64, signed: bool, is64: bool, fbits: i32, fmt: i32, rm: u32, fpcr: u32): u64 {
  rm = resolveRMode(rm, fpcr);
  let sign: u32 = 0;
  if (!is64) v = signed ? <u64>(<i64>(<i32>(<u32>v))) : v & 0xffffffff;
  if (signed && <i64>v < 0) {
    sign = 1;
    v = 0 - v;
  }
  if (v == 0) return 0;
  return roundPack(sign, -fbits, v, fmt, fpcr, rm);
}

/** FPConvert between formats (16/32/64) under rm; FPRM_ODD gives FCVTXN. */
export function convertG(bits: u64, from: i32, to: i32, rm: u32, fpcr: u32): u64 {
  rm = resolveRMode(rm, fpcr);
  const cls = unpack(bits, from, fpcr);
  const sign = signOf(bits, from);
  const altHP = to == FMT16 && (fpcr & FPCR_AHP) != 0;
  if (cls >= CLS_QNAN) {
    let r: u64;
    if (altHP) r = zeroBits(sign, to);
    else if ((fpcr & FPCR_DN) != 0) r = defaultNaN(to);
    else {
      // FPConvertNaN: quiet bit set, fraction payload left-aligned and truncated/zero-extended.
      const fin = fracBits(from);
      const fout = fracBits(to);
      const aligned = bits << <u64>(64 - fin);
      r = infBits(sign, to) | (<u64>1 << <u64>(fout - 1)) | ((aligned << 1) >> <u64>(65 - fout));
    }
    if (cls == CLS_SNAN || altHP) fpFlagsRaise(FPSR_IOC);
    return r;
  }
  if (cls == CLS_INF) {
    if (altHP) {
      fpFlagsRaise(FPSR_IOC);
      return zeroBits(sign, to) | 0x7fff;
    }
    return infBits(sign, to);
  }
  if (cls == CLS_ZERO) return zeroBits(sign, to);
  return roundPack(sign, uE, uM, to, fpcr, rm);
}

/** FPRoundInt under rm (FPRM_FPCR for FRINTI); exact=true raises IXC when inexact (FRINTX). */
export function roundIntG(bits: u64, fmt: i32, rm: u32, exact: bool, fpcr: u32): u64 {
  rm = resolveRMode(rm, fpcr);
  const cls = unpack(bits, fmt, fpcr);
  const sign = signOf(bits, fmt);
  if (cls >= CLS_QNAN) return processNaN(bits, cls, fmt, fpcr);
  if (cls == CLS_INF) return infBits(sign, fmt);
  if (cls == CLS_ZERO) return zeroBits(sign, fmt);
  const e = uE;
  if (e >= 0) return bits;
  let mag = shiftTrunc(uM, e);
  if (roundsUp(mag, sign, rm)) mag++;
  if (exact && (srG || srS)) fpFlagsRaise(FPSR_IXC);
  if (mag == 0) return zeroBits(sign, fmt);
  return roundPack(sign, 0, mag, fmt, fpcr, FPRM_ZERO);
}


// ---- Native fast paths (bit-identical to the generic code within their guards) ----

/** 2^k as an f64 (-1022 <= k <= 1023). */
// @ts-ignore: decorator
@inline
function pow2(k: i32): f64 {
  return reinterpret<f64>(<u64>(1023 + k) << 52);
}

/** Rounds a finite f64 to an integral value under a resolved rounding mode (exact native ops). */
// @ts-ignore: decorator
@inline
function roundNative(x: f64, rm: u32): f64 {
  if (rm == FPRM_TIEEVEN) return nearest<f64>(x);
  if (rm == FPRM_POSINF) return ceil<f64>(x);
  if (rm == FPRM_NEGINF) return floor<f64>(x);
  const t = trunc<f64>(x);
  if (rm == FPRM_ZERO) return t;
  return abs<f64>(x - t) >= 0.5 ? t + copysign<f64>(1.0, x) : t;
}

/**
 * FPToFixed through native f64 rounding when the operand is normal and the rounded value is in
 * range (then only IXC can arise); otherwise the generic toFixedG (saturation, IOC, FZ).
 */
function toFixed(bits: u64, fmt: i32, fbits: i32, unsigned: bool, is64: bool, rm: u32): u64 {
  const fpcr = fpcrRead();
  let x: f64;
  if (fmt == FMT64) {
    if ((<u32>(bits >> 52) & 0x7ff) - 1 >= 2046) return toFixedG(bits, fmt, fbits, unsigned, is64, rm, fpcr);
    x = reinterpret<f64>(bits);
  } else {
    if ((<u32>(bits >> 23) & 0xff) - 1 >= 254) return toFixedG(bits, fmt, fbits, unsigned, is64, rm, fpcr);
    x = <f64>reinterpret<f32>(<u32>bits);
  }
  const y = x * pow2(fbits);
  const r = roundNative(y, resolveRMode(rm, fpcr));
  let v: u64;
  let ok: bool;
  if (is64) {
    ok = unsigned ? r >= 0 && r < 18446744073709551616.0 : r >= -9223372036854775808.0 && r < 9223372036854775808.0;
    v = ok ? (unsigned ? <u64>r : <u64>(<i64>r)) : 0;
  } else {
    ok = unsigned ? r >= 0 && r <= 4294967295.0 : r >= -2147483648.0 && r <= 2147483647.0;
    v = ok ? (unsigned ? <u64>(<u32>r) : <u64>(<u32>(<i32>r))) : 0;
  }
  if (!ok) return toFixedG(bits, fmt, fbits, unsigned, is64, rm, fpcr);
  if (r != y) fpFlagsRaise(FPSR_IXC);
  return v;
}

/** Significant bits of a nonzero magnitude (from the leading to the trailing one). */
// @ts-ignore: decorator
@inline
function sigBits(m: u64): i32 {
  return 64 - <i32>clz(m) - <i32>ctz(m);
}

/**
 * FixedToFP through wasm's correctly rounded (ties-to-even) integer conversions, used when the
 * conversion is exact or the FPCR mode is RN (IXC raised when inexact); else fromFixedG.
 */
function fromFixed(v: u64, signed: bool, is64: bool, fbits: i32, fmt: i32): u64 {
  const fpcr = fpcrRead();
  if (!is64) v = signed ? <u64>(<i64>(<i32>(<u32>v))) : v & 0xffffffff;
  if (v == 0) return 0;
  const mag = signed && <i64>v < 0 ? 0 - v : v;
  if (sigBits(mag) > (fmt == FMT64 ? 53 : 24)) {
    if (((fpcr >> 22) & 3) != FPRM_TIEEVEN) return fromFixedG(v, signed, true, fbits, fmt, FPRM_FPCR, fpcr);
    fpFlagsRaise(FPSR_IXC);
  }
  if (fmt == FMT64) {
    const d = signed ? <f64>(<i64>v) : <f64>v;
    return reinterpret<u64>(d * pow2(-fbits));
  }
  const f = signed ? <f32>(<i64>v) : <f32>v;
  return reinterpret<u32>(f * <f32>pow2(-fbits));
}

// ---- Named conversions (raw bits in, raw bits out) ----

/** FCVT Dd, Sn. */
export function f32ToF64(a: u32): u64 {
  // Normal values and zeros convert exactly without flags.
  if (((a >> 23) & 0xff) - 1 < 254 || a << 1 == 0) return reinterpret<u64>(<f64>reinterpret<f32>(a));
  return convertG(a, FMT32, FMT64, FPRM_FPCR, fpcrRead());
}

/** FCVT Sd, Dn (FPCR rounding). */
export function f64ToF32(a: u64): u32 {
  const fpcr = fpcrRead();
  if ((fpcr & (3 << 22)) == 0 && ((<u32>(a >> 52) & 0x7ff) - 1) < 2046) {
    // Native demotion rounds to nearest-even; a result exponent of 2..254 means no tininess or overflow.
    const x = reinterpret<f64>(a);
    const f = <f32>x;
    const r = reinterpret<u32>(f);
    if (((r >> 23) & 0xff) - 2 < 253) {
      if (<f64>f != x) fpFlagsRaise(FPSR_IXC);
      return r;
    }
  }
  return <u32>convertG(a, FMT64, FMT32, FPRM_FPCR, fpcr);
}

/** FCVTXN: f64 to f32 rounding to odd. */
export function f64ToF32Odd(a: u64): u32 {
  return <u32>convertG(a, FMT64, FMT32, FPRM_ODD, fpcrRead());
}

/** FCVT Sd, Hn (FPCR.AHP selects the alternative half format). */
export function f16ToF32(a: u32): u32 {
  return <u32>convertG(a & 0xffff, FMT16, FMT32, FPRM_FPCR, fpcrRead());
}

/** FCVT Dd, Hn. */
export function f16ToF64(a: u32): u64 {
  return convertG(a & 0xffff, FMT16, FMT64, FPRM_FPCR, fpcrRead());
}

/** FCVT Hd, Sn. */
export function f32ToF16(a: u32): u32 {
  return <u32>convertG(a, FMT32, FMT16, FPRM_FPCR, fpcrRead());
}

/** FCVT Hd, Dn. */
export function f64ToF16(a: u64): u32 {
  return <u32>convertG(a, FMT64, FMT16, FPRM_FPCR, fpcrRead());
}

/** FCVT{N,A,P,M,Z}S Wd, Sn (rm = FPRM_*), fixed-point with fbits (0 for plain). */
export function f32ToS32(a: u32, rm: u32, fbits: i32): u32 {
  return <u32>toFixed(a, FMT32, fbits, false, false, rm);
}

/** FCVT*U Wd, Sn. */
export function f32ToU32(a: u32, rm: u32, fbits: i32): u32 {
  return <u32>toFixed(a, FMT32, fbits, true, false, rm);
}

/** FCVT*S Xd, Sn. */
export function f32ToS64(a: u32, rm: u32, fbits: i32): u64 {
  return toFixed(a, FMT32, fbits, false, true, rm);
}

/** FCVT*U Xd, Sn. */
export function f32ToU64(a: u32, rm: u32, fbits: i32): u64 {
  return toFixed(a, FMT32, fbits, true, true, rm);
}

/** FCVT*S Wd, Dn. */
export function f64ToS32(a: u64, rm: u32, fbits: i32): u32 {
  return <u32>toFixed(a, FMT64, fbits, false, false, rm);
}

/** FCVT*U Wd, Dn. */
export function f64ToU32(a: u64, rm: u32, fbits: i32): u32 {
  return <u32>toFixed(a, FMT64, fbits, true, false, rm);
}

/** FCVT*S Xd, Dn. */
export function f64ToS64(a: u64, rm: u32, fbits: i32): u64 {
  return toFixed(a, FMT64, fbits, false, true, rm);
}

/** FCVT*U Xd, Dn. */
export function f64ToU64(a: u64, rm: u32, fbits: i32): u64 {
  return toFixed(a, FMT64, fbits, true, true, rm);
}

/** SCVTF Sd, Wn, #fbits (FPCR rounding). */
export function s32ToF32(v: u32, fbits: i32): u32 {
  return <u32>fromFixed(v, true, false, fbits, FMT32);
}

/** UCVTF Sd, Wn, #fbits. */
export function u32ToF32(v: u32, fbits: i32): u32 {
  return <u32>fromFixed(v, false, false, fbits, FMT32);
}

/** SCVTF Sd, Xn, #fbits. */
export function s64ToF32(v: u64, fbits: i32): u32 {
  return <u32>fromFixed(v, true, true, fbits, FMT32);
}

/** UCVTF Sd, Xn, #fbits. */
export function u64ToF32(v: u64, fbits: i32): u32 {
  return <u32>fromFixed(v, false, true, fbits, FMT32);
}

/** SCVTF Dd, Wn, #fbits. */
export function s32ToF64(v: u32, fbits: i32): u64 {
  return fromFixed(v, true, false, fbits, FMT64);
}

/** UCVTF Dd, Wn, #fbits. */
export function u32ToF64(v: u32, fbits: i32): u64 {
  return fromFixed(v, false, false, fbits, FMT64);
}

/** SCVTF Dd, Xn, #fbits. */
export function s64ToF64(v: u64, fbits: i32): u64 {
  return fromFixed(v, true, true, fbits, FMT64);
}

/** UCVTF Dd, Xn, #fbits. */
export function u64ToF64(v: u64, fbits: i32): u64 {
  return fromFixed(v, false, true, fbits, FMT64);
}
