// Format-generic Arm arithmetic (FPAdd/FPSub/FPMul/FPMulX/FPDiv/FPSqrt/FPMulAdd) on raw bits,
// computed exactly with integer arithmetic and rounded once by roundPack().

import {
  CLS_INF,
  CLS_QNAN,
  CLS_ZERO,
  FMT32,
  FMT64,
  FPRM_FPCR,
  FPRM_NEGINF,
  FPSR_DZC,
  fpFlagsRaise,
  mul128,
  mulHi,
  resolveRMode,
} from "./fpcr";
import {
  infBits,
  invalidNaN,
  jam128,
  jamE,
  processNaN,
  processNaNs2,
  processNaNs3,
  roundPack,
  signOf,
  uE,
  uM,
  unpack,
  zeroBits,
} from "./round";

/** Sign of an exact zero sum under a rounding mode. */
// @ts-ignore: decorator
@inline
function exactZeroSign(rm: u32): u32 {
  return rm == FPRM_NEGINF ? 1 : 0;
}

/** Bits of 2.0 with a sign (FMULX inf*0, FRECPS). */
export function twoBits(sign: u32, fmt: i32): u64 {
  return fmt == FMT64 ? (<u64>sign << 63) | 0x4000000000000000 : (<u64>sign << 31) | 0x40000000;
}

/** FPAdd (negB=0) or FPSub (negB=1); NaN operands propagate unnegated. */
export function addG(a: u64, b: u64, negB: u32, fmt: i32, fpcr: u32): u64 {
  const ca = unpack(a, fmt, fpcr);
  let ma = uM;
  let ea = uE;
  const cb = unpack(b, fmt, fpcr);
  let mb = uM;
  let eb = uE;
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) return processNaNs2(a, ca, b, cb, fmt, fpcr);
  let sa = signOf(a, fmt);
  let sb = signOf(b, fmt) ^ negB;
  const rm = resolveRMode(FPRM_FPCR, fpcr);
  if (ca == CLS_INF || cb == CLS_INF) {
    if (ca == CLS_INF && cb == CLS_INF && sa != sb) return invalidNaN(fmt);
    return infBits(ca == CLS_INF ? sa : sb, fmt);
  }
  if (ca == CLS_ZERO) {
    if (cb == CLS_ZERO) return zeroBits(sa == sb ? sa : exactZeroSign(rm), fmt);
    return roundPack(sb, eb, mb, fmt, fpcr, rm);
  }
  if (cb == CLS_ZERO) return roundPack(sa, ea, ma, fmt, fpcr, rm);
  // Leading bits at 61, leaving room for a carry.
  let k = <i32>clz(ma) - 2;
  ma <<= <u64>k;
  ea -= k;
  k = <i32>clz(mb) - 2;
  mb <<= <u64>k;
  eb -= k;
  if (ea < eb || (ea == eb && ma < mb)) {
    let t = ma;
    ma = mb;
    mb = t;
    const te = ea;
    ea = eb;
    eb = te;
    const ts = sa;
    sa = sb;
    sb = ts;
  }
  const d = ea - eb;
  if (d >= 63) mb = 1;
  else if (d > 0) mb = (mb >> <u64>d) | (mb << <u64>(64 - d) != 0 ? 1 : 0);
  let sum: u64;
  if (sa == sb) sum = ma + mb;
  else {
    sum = ma - mb;
    if (sum == 0) return zeroBits(exactZeroSign(rm), fmt);
  }
  return roundPack(sa, ea, sum, fmt, fpcr, rm);
}

/** FPMul, or FPMulX (inf*0 = +-2.0) when mulx. */
export function mulG(a: u64, b: u64, mulx: bool, fmt: i32, fpcr: u32): u64 {
  const ca = unpack(a, fmt, fpcr);
  const ma = uM;
  const ea = uE;
  const cb = unpack(b, fmt, fpcr);
  const mb = uM;
  const eb = uE;
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) return processNaNs2(a, ca, b, cb, fmt, fpcr);
  const s = signOf(a, fmt) ^ signOf(b, fmt);
  if ((ca == CLS_INF && cb == CLS_ZERO) || (ca == CLS_ZERO && cb == CLS_INF)) {
    return mulx ? twoBits(s, fmt) : invalidNaN(fmt);
  }
  if (ca == CLS_INF || cb == CLS_INF) return infBits(s, fmt);
  if (ca == CLS_ZERO || cb == CLS_ZERO) return zeroBits(s, fmt);
  const lo = mul128(ma, mb);
  const sig = jam128(mulHi, lo);
  return roundPack(s, ea + eb + jamE, sig, fmt, fpcr, resolveRMode(FPRM_FPCR, fpcr));
}

/** FPDiv. */
export function divG(a: u64, b: u64, fmt: i32, fpcr: u32): u64 {
  const ca = unpack(a, fmt, fpcr);
  let ma = uM;
  let ea = uE;
  const cb = unpack(b, fmt, fpcr);
  let mb = uM;
  let eb = uE;
  if (ca >= CLS_QNAN || cb >= CLS_QNAN) return processNaNs2(a, ca, b, cb, fmt, fpcr);
  const s = signOf(a, fmt) ^ signOf(b, fmt);
  if ((ca == CLS_INF && cb == CLS_INF) || (ca == CLS_ZERO && cb == CLS_ZERO)) return invalidNaN(fmt);
  if (ca == CLS_INF || cb == CLS_ZERO) {
    if (ca != CLS_INF) fpFlagsRaise(FPSR_DZC);
    return infBits(s, fmt);
  }
  if (ca == CLS_ZERO || cb == CLS_INF) return zeroBits(s, fmt);
  const rm = resolveRMode(FPRM_FPCR, fpcr);
  if (fmt == FMT32) {
    // 24-bit significands: one u64 division gives 40 quotient bits.
    let k = <i32>clz(ma) - 40;
    ma <<= <u64>k;
    ea -= k;
    k = <i32>clz(mb) - 40;
    mb <<= <u64>k;
    eb -= k;
    const n = ma << 40;
    const q = n / mb;
    const r = n - q * mb;
    return roundPack(s, ea - eb - 40, q | (r != 0 ? 1 : 0), fmt, fpcr, rm);
  }
  let k = <i32>clz(ma) - 11;
  ma <<= <u64>k;
  ea -= k;
  k = <i32>clz(mb) - 11;
  mb <<= <u64>k;
  eb -= k;
  // Q = floor(ma * 2^55 / mb) from the native quotient of the (exact) 53-bit significands,
  // corrected with the exact 128-bit remainder; Q >= 2^54 leaves guard + sticky room.
  const nl = ma << 55;
  const nh = ma >> 9;
  let q = <u64>((<f64>ma / <f64>mb) * 36028797018963968.0);
  const pl = mul128(q, mb);
  const ph = mulHi;
  let r: u64;
  if (ph < nh || (ph == nh && pl <= nl)) {
    // Estimate low: N - P = (nh:nl) - (ph:pl), small.
    const dh = nh - ph - (nl < pl ? 1 : 0);
    if (dh != 0) return divLong(s, ma, ea, mb, eb, fmt, fpcr, rm);
    const d = nl - pl;
    q += d / mb;
    r = d % mb;
  } else {
    const dh = ph - nh - (pl < nl ? 1 : 0);
    if (dh != 0) return divLong(s, ma, ea, mb, eb, fmt, fpcr, rm);
    const d = pl - nl;
    const k = (d + mb - 1) / mb;
    q -= k;
    r = k * mb - d;
  }
  return roundPack(s, ea - eb - 55, q | (r != 0 ? 1 : 0), fmt, fpcr, rm);
}

/** Restoring long division of 53-bit significands (fallback for divG): 56 quotient bits + sticky. */
function divLong(s: u32, ma: u64, ea: i32, mb: u64, eb: i32, fmt: i32, fpcr: u32, rm: u32): u64 {
  let q: u64 = 0;
  let r = ma;
  for (let i = 0; i < 56; i++) {
    q <<= 1;
    if (r >= mb) {
      r -= mb;
      q |= 1;
    }
    r <<= 1;
  }
  return roundPack(s, ea - eb - 55, q | (r != 0 ? 1 : 0), fmt, fpcr, rm);
}

/** Compares the 128-bit values ah:al and bh:bl: -1, 0 or 1. */
// @ts-ignore: decorator
@inline
function cmp128(ah: u64, al: u64, bh: u64, bl: u64): i32 {
  if (ah != bh) return ah < bh ? -1 : 1;
  if (al != bl) return al < bl ? -1 : 1;
  return 0;
}

/** FPSqrt. */
export function sqrtG(a: u64, fmt: i32, fpcr: u32): u64 {
  const ca = unpack(a, fmt, fpcr);
  let m = uM;
  let e = uE;
  const s = signOf(a, fmt);
  if (ca >= CLS_QNAN) return processNaN(a, ca, fmt, fpcr);
  if (ca == CLS_ZERO) return zeroBits(s, fmt);
  if (s != 0) return invalidNaN(fmt);
  if (ca == CLS_INF) return infBits(0, fmt);
  const k = <i32>clz(m) - 11;
  m <<= <u64>k;
  e -= k;
  // X = m * 2^sh with (e - sh) even, so sqrt(X) is in [2^52, 2^53).
  const sh: i32 = ((e - 52) & 1) == 0 ? 52 : 53;
  const xl = m << <u64>sh;
  const xh = m >> <u64>(64 - sh);
  let t = <u64>sqrt<f64>(<f64>m * (sh == 52 ? 4503599627370496.0 : 9007199254740992.0));
  let sl = mul128(t, t);
  if (cmp128(mulHi, sl, xh, xl) > 0) {
    t--;
    sl = mul128(t, t);
  }
  const exact = mulHi == xh && sl == xl;
  // Guard bit: (t + 1/2)^2 < X  <=>  (2t+1)^2 < 4X.
  const t2 = (t << 1) | 1;
  const ml = mul128(t2, t2);
  const g = cmp128(mulHi, ml, (xh << 2) | (xl >> 62), xl << 2) < 0;
  const sig = (t << 2) | (g ? 2 : 0) | (exact ? 0 : 1);
  return roundPack(0, ((e - sh) >> 1) - 2, sig, fmt, fpcr, resolveRMode(FPRM_FPCR, fpcr));
}

/**
 * Rounds (-1)^sc*mc*2^ec + (-1)^sp*(ph:pl)*2^ep, scaled by 2^eAdj, exactly once.
 * Both terms are nonzero finite; the product is at most 106 bits and the addend 53 bits.
 */
export function fmaCore(
  sp: u32,
  ph: u64,
  pl: u64,
  ep: i32,
  sc: u32,
  mc: u64,
  ec: i32,
  eAdj: i32,
  fmt: i32,
  fpcr: u32,
  rm: u32,
): u64 {
  // Product: leading bit to position 125.
  let lz = ph != 0 ? <i32>clz(ph) : 64 + <i32>clz(pl);
  let k = lz - 2;
  if (k >= 64) {
    ph = pl << <u64>(k - 64);
    pl = 0;
  } else if (k > 0) {
    ph = (ph << <u64>k) | (pl >> <u64>(64 - k));
    pl <<= <u64>k;
  }
  ep -= k;
  // Addend (at most 53 bits): leading bit to position 125, entirely in the high word.
  k = 62 + <i32>clz(mc);
  let ch = mc << <u64>(k - 64);
  let cl: u64 = 0;
  ec -= k;
  // Swap so that (ph:pl, ep) is the term with the larger exponent.
  if (ec > ep) {
    let t = ph;
    ph = ch;
    ch = t;
    t = pl;
    pl = cl;
    cl = t;
    const te = ep;
    ep = ec;
    ec = te;
    const ts = sp;
    sp = sc;
    sc = ts;
  }
  const d = ep - ec;
  if (d >= 128) {
    cl = (ch | cl) != 0 ? 1 : 0;
    ch = 0;
  } else if (d >= 64) {
    const j = d - 64;
    const lost = cl | (j != 0 ? ch << <u64>(64 - j) : 0);
    cl = (ch >> <u64>j) | (lost != 0 ? 1 : 0);
    ch = 0;
  } else if (d > 0) {
    const lost = cl << <u64>(64 - d);
    cl = (cl >> <u64>d) | (ch << <u64>(64 - d)) | (lost != 0 ? 1 : 0);
    ch >>= <u64>d;
  }
  let rh: u64;
  let rl: u64;
  let rs = sp;
  if (sp == sc) {
    rl = pl + cl;
    rh = ph + ch + (rl < pl ? 1 : 0);
  } else {
    const c = cmp128(ph, pl, ch, cl);
    if (c == 0) return zeroBits(exactZeroSign(rm), fmt);
    if (c > 0) {
      rl = pl - cl;
      rh = ph - ch - (pl < cl ? 1 : 0);
    } else {
      rl = cl - pl;
      rh = ch - ph - (cl < pl ? 1 : 0);
      rs = sc;
    }
  }
  const sig = jam128(rh, rl);
  return roundPack(rs, ep + jamE + eAdj, sig, fmt, fpcr, rm);
}

/**
 * FPMulAdd: addend + op1*op2 with a single rounding, Arm NaN order (addend, op1, op2) and
 * the default-NaN rule for a quiet-NaN addend with inf*0. Negate operands for FMSUB etc.
 */
export function mulAddG(addend: u64, op1: u64, op2: u64, fmt: i32, fpcr: u32): u64 {
  const cA = unpack(addend, fmt, fpcr);
  const mA = uM;
  const eA = uE;
  const c1 = unpack(op1, fmt, fpcr);
  const m1 = uM;
  const e1 = uE;
  const c2 = unpack(op2, fmt, fpcr);
  const m2 = uM;
  const e2 = uE;
  const infZero = (c1 == CLS_INF && c2 == CLS_ZERO) || (c1 == CLS_ZERO && c2 == CLS_INF);
  if (cA >= CLS_QNAN || c1 >= CLS_QNAN || c2 >= CLS_QNAN) {
    if (cA == CLS_QNAN && infZero) return invalidNaN(fmt);
    return processNaNs3(addend, cA, op1, c1, op2, c2, fmt, fpcr);
  }
  const sA = signOf(addend, fmt);
  const sP = signOf(op1, fmt) ^ signOf(op2, fmt);
  const infP = c1 == CLS_INF || c2 == CLS_INF;
  const zeroP = c1 == CLS_ZERO || c2 == CLS_ZERO;
  if (infZero || (cA == CLS_INF && infP && sA != sP)) return invalidNaN(fmt);
  if (cA == CLS_INF) return infBits(sA, fmt);
  if (infP) return infBits(sP, fmt);
  const rm = resolveRMode(FPRM_FPCR, fpcr);
  if (zeroP) {
    if (cA == CLS_ZERO) return zeroBits(sA == sP ? sA : exactZeroSign(rm), fmt);
    return roundPack(sA, eA, mA, fmt, fpcr, rm);
  }
  const pl = mul128(m1, m2);
  const ph = mulHi;
  if (cA == CLS_ZERO) {
    const sig = jam128(ph, pl);
    return roundPack(sP, e1 + e2 + jamE, sig, fmt, fpcr, rm);
  }
  return fmaCore(sP, ph, pl, e1 + e2, sA, mA, eA, 0, fmt, fpcr, rm);
}

