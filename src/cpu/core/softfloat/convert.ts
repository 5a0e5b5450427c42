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


// ---- Named conversions (raw bits in, raw bits out) ----

/** FCVT Dd, Sn. */
export function f32ToF64(a: u32): u64 {
  return convertG(a, FMT32, FMT64, FPRM_FPCR, fpcrRead());
}

/** FCVT Sd, Dn (FPCR rounding). */
export function f64ToF32(a: u64): u32 {
  return <u32>convertG(a, FMT64, FMT32, FPRM_FPCR, fpcrRead());
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
  return <u32>toFixedG(a, FMT32, fbits, false, false, rm, fpcrRead());
}

/** FCVT*U Wd, Sn. */
export function f32ToU32(a: u32, rm: u32, fbits: i32): u32 {
  return <u32>toFixedG(a, FMT32, fbits, true, false, rm, fpcrRead());
}

/** FCVT*S Xd, Sn. */
export function f32ToS64(a: u32, rm: u32, fbits: i32): u64 {
  return toFixedG(a, FMT32, fbits, false, true, rm, fpcrRead());
}

/** FCVT*U Xd, Sn. */
export function f32ToU64(a: u32, rm: u32, fbits: i32): u64 {
  return toFixedG(a, FMT32, fbits, true, true, rm, fpcrRead());
}

/** FCVT*S Wd, Dn. */
export function f64ToS32(a: u64, rm: u32, fbits: i32): u32 {
  return <u32>toFixedG(a, FMT64, fbits, false, false, rm, fpcrRead());
}

/** FCVT*U Wd, Dn. */
export function f64ToU32(a: u64, rm: u32, fbits: i32): u32 {
  return <u32>toFixedG(a, FMT64, fbits, true, false, rm, fpcrRead());
}

/** FCVT*S Xd, Dn. */
export function f64ToS64(a: u64, rm: u32, fbits: i32): u64 {
  return toFixedG(a, FMT64, fbits, false, true, rm, fpcrRead());
}

/** FCVT*U Xd, Dn. */
export function f64ToU64(a: u64, rm: u32, fbits: i32): u64 {
  return toFixedG(a, FMT64, fbits, true, true, rm, fpcrRead());
}

/** SCVTF Sd, Wn, #fbits (FPCR rounding). */
export function s32ToF32(v: u32, fbits: i32): u32 {
  return <u32>fromFixedG(v, true, false, fbits, FMT32, FPRM_FPCR, fpcrRead());
}

/** UCVTF Sd, Wn, #fbits. */
export function u32ToF32(v: u32, fbits: i32): u32 {
  return <u32>fromFixedG(v, false, false, fbits, FMT32, FPRM_FPCR, fpcrRead());
}

/** SCVTF Sd, Xn, #fbits. */
export function s64ToF32(v: u64, fbits: i32): u32 {
  return <u32>fromFixedG(v, true, true, fbits, FMT32, FPRM_FPCR, fpcrRead());
}

/** UCVTF Sd, Xn, #fbits. */
export function u64ToF32(v: u64, fbits: i32): u32 {
  return <u32>fromFixedG(v, false, true, fbits, FMT32, FPRM_FPCR, fpcrRead());
}

/** SCVTF Dd, Wn, #fbits. */
export function s32ToF64(v: u32, fbits: i32): u64 {
  return fromFixedG(v, true, false, fbits, FMT64, FPRM_FPCR, fpcrRead());
}

/** UCVTF Dd, Wn, #fbits. */
export function u32ToF64(v: u32, fbits: i32): u64 {
  return fromFixedG(v, false, false, fbits, FMT64, FPRM_FPCR, fpcrRead());
}

/** SCVTF Dd, Xn, #fbits. */
export function s64ToF64(v: u64, fbits: i32): u64 {
  return fromFixedG(v, true, true, fbits, FMT64, FPRM_FPCR, fpcrRead());
}

/** UCVTF Dd, Xn, #fbits. */
export function u64ToF64(v: u64, fbits: i32): u64 {
  return fromFixedG(v, false, true, fbits, FMT64, FPRM_FPCR, fpcrRead());
}
