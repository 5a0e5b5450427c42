// Reciprocal and reciprocal-square-root estimates and Newton-Raphson steps: FRECPE, FRSQRTE,
// FRECPS, FRSQRTS, FRECPX (f32/f64, format-generic) and the integer URECPE / URSQRTE.

import {
  CLS_INF,
  CLS_QNAN,
  CLS_ZERO,
  FMT64,
  FPCR_FZ,
  FPRM_FPCR,
  FPRM_NEGINF,
  FPRM_POSINF,
  FPRM_ZERO,
  FPSR_DZC,
  FPSR_IXC,
  FPSR_OFC,
  FPSR_UFC,
  fpFlagsRaise,
  mul128,
  mulHi,
  resolveRMode,
} from "./fpcr";
import { fmaCore, twoBits } from "./arith";
import {
  infBits,
  invalidNaN,
  maxNormalBits,
  processNaN,
  processNaNs2,
  signOf,
  uE,
  uM,
  unpack,
  zeroBits,
} from "./round";

/** RecipEstimate(a) for a = 256..511 (index a - 256). */
const RECIP_TABLE: StaticArray<u16> = [
  511, 509, 507, 505, 503, 501, 499, 497, 496, 494, 492, 490, 488, 486, 485, 483,
  481, 479, 477, 476, 474, 472, 471, 469, 467, 466, 464, 462, 461, 459, 457, 456,
  454, 453, 451, 450, 448, 447, 445, 444, 442, 441, 439, 438, 436, 435, 433, 432,
  430, 429, 428, 426, 425, 423, 422, 421, 419, 418, 417, 415, 414, 413, 412, 410,
  409, 408, 406, 405, 404, 403, 401, 400, 399, 398, 397, 395, 394, 393, 392, 391,
  390, 388, 387, 386, 385, 384, 383, 382, 380, 379, 378, 377, 376, 375, 374, 373,
  372, 371, 370, 369, 368, 367, 366, 365, 364, 363, 362, 361, 360, 359, 358, 357,
  356, 355, 354, 353, 352, 351, 350, 349, 348, 347, 346, 345, 344, 344, 343, 342,
  341, 340, 339, 338, 337, 337, 336, 335, 334, 333, 332, 331, 331, 330, 329, 328,
  327, 326, 326, 325, 324, 323, 322, 322, 321, 320, 319, 319, 318, 317, 316, 315,
  315, 314, 313, 312, 312, 311, 310, 309, 309, 308, 307, 307, 306, 305, 304, 304,
  303, 302, 302, 301, 300, 300, 299, 298, 298, 297, 296, 296, 295, 294, 294, 293,
  292, 292, 291, 290, 290, 289, 288, 288, 287, 286, 286, 285, 285, 284, 283, 283,
  282, 282, 281, 280, 280, 279, 279, 278, 277, 277, 276, 276, 275, 274, 274, 273,
  273, 272, 272, 271, 271, 270, 269, 269, 268, 268, 267, 267, 266, 266, 265, 265,
  264, 263, 263, 262, 262, 261, 261, 260, 260, 259, 259, 258, 258, 257, 257, 256,
];

/** RecipSqrtEstimate(a) for a = 128..511 (index a - 128). */
const RSQRT_TABLE: StaticArray<u16> = [
  511, 509, 507, 505, 503, 501, 499, 498, 496, 494, 492, 490, 489, 487, 485, 484,
  482, 480, 479, 477, 475, 474, 472, 471, 469, 468, 466, 465, 463, 462, 460, 459,
  457, 456, 454, 453, 452, 450, 449, 448, 446, 445, 444, 442, 441, 440, 439, 437,
  436, 435, 434, 432, 431, 430, 429, 428, 426, 425, 424, 423, 422, 421, 420, 419,
  418, 416, 415, 414, 413, 412, 411, 410, 409, 408, 407, 406, 405, 404, 403, 402,
  401, 400, 399, 398, 397, 396, 396, 395, 394, 393, 392, 391, 390, 389, 388, 387,
  387, 386, 385, 384, 383, 382, 382, 381, 380, 379, 378, 377, 377, 376, 375, 374,
  374, 373, 372, 371, 370, 370, 369, 368, 367, 367, 366, 365, 365, 364, 363, 362,
  361, 361, 360, 360, 359, 359, 357, 357, 356, 356, 355, 355, 353, 353, 352, 352,
  351, 351, 349, 349, 348, 348, 347, 347, 346, 346, 344, 344, 343, 343, 342, 342,
  341, 341, 340, 340, 338, 338, 337, 337, 336, 336, 335, 335, 334, 334, 333, 333,
  332, 332, 331, 331, 330, 330, 328, 328, 327, 327, 326, 326, 325, 325, 324, 324,
  323, 323, 322, 322, 321, 321, 320, 320, 319, 319, 318, 318, 317, 317, 316, 316,
  316, 316, 315, 315, 314, 314, 313, 313, 312, 312, 311, 311, 310, 310, 309, 309,
  308, 308, 307, 307, 307, 307, 306, 306, 305, 305, 304, 304, 303, 303, 302, 302,
  302, 302, 301, 301, 300, 300, 299, 299, 298, 298, 298, 298, 297, 297, 296, 296,
  295, 295, 294, 294, 294, 294, 293, 293, 292, 292, 291, 291, 291, 291, 290, 290,
  289, 289, 289, 289, 288, 288, 287, 287, 286, 286, 286, 286, 285, 285, 284, 284,
  284, 284, 283, 283, 282, 282, 282, 282, 281, 281, 280, 280, 280, 280, 279, 279,
  278, 278, 278, 278, 277, 277, 276, 276, 276, 276, 275, 275, 275, 275, 274, 274,
  273, 273, 273, 273, 272, 272, 272, 272, 271, 271, 270, 270, 270, 270, 269, 269,
  269, 269, 268, 268, 267, 267, 267, 267, 266, 266, 266, 266, 265, 265, 265, 265,
  264, 264, 264, 264, 263, 263, 262, 262, 262, 262, 261, 261, 261, 261, 260, 260,
  260, 260, 259, 259, 259, 259, 258, 258, 258, 258, 257, 257, 257, 257, 256, 256,
];

/** Arm RecipEstimate(a), a in 256..511. */
// @ts-ignore: decorator
@inline
function recipEstimate(a: u32): u32 {
  return <u32>unchecked(RECIP_TABLE[a - 256]);
}

/** Arm RecipSqrtEstimate(a), a in 128..511. */
// @ts-ignore: decorator
@inline
function rsqrtEstimate(a: u32): u32 {
  return <u32>unchecked(RSQRT_TABLE[a - 128]);
}

/** FPRecipEstimate (FRECPE) for f32/f64. */
export function recipEstimateG(bits: u64, fmt: i32, fpcr: u32): u64 {
  const cls = unpack(bits, fmt, fpcr);
  const sign = signOf(bits, fmt);
  if (cls >= CLS_QNAN) return processNaN(bits, cls, fmt, fpcr);
  if (cls == CLS_INF) return zeroBits(sign, fmt);
  if (cls == CLS_ZERO) {
    fpFlagsRaise(FPSR_DZC);
    return infBits(sign, fmt);
  }
  const is64 = fmt == FMT64;
  let exp = is64 ? <i32>(bits >> 52) & 0x7ff : <i32>(bits >> 23) & 0xff;
  let fraction = is64 ? bits & 0xfffffffffffff : (bits & 0x7fffff) << 29;
  if (exp == 0 && fraction < (<u64>1 << 50)) {
    // |value| < 2^-128 (f32) or 2^-1024 (f64): the reciprocal overflows.
    const rm = resolveRMode(FPRM_FPCR, fpcr);
    let toInf = true;
    if (rm == FPRM_POSINF) toInf = sign == 0;
    else if (rm == FPRM_NEGINF) toInf = sign != 0;
    else if (rm == FPRM_ZERO) toInf = false;
    fpFlagsRaise(FPSR_OFC | FPSR_IXC);
    return toInf ? infBits(sign, fmt) : maxNormalBits(sign, fmt);
  }
  if ((fpcr & FPCR_FZ) != 0 && exp >= (is64 ? 2045 : 253)) {
    fpFlagsRaise(FPSR_UFC);
    return zeroBits(sign, fmt);
  }
  const mask52: u64 = 0xfffffffffffff;
  if (exp == 0) {
    if (((fraction >> 51) & 1) == 0) {
      exp = -1;
      fraction = (fraction << 2) & mask52;
    } else fraction = (fraction << 1) & mask52;
  }
  const scaled = 256 | <u32>(fraction >> 44);
  let resultExp = (is64 ? 2045 : 253) - exp;
  const est = recipEstimate(scaled);
  fraction = <u64>(est & 0xff) << 44;
  if (resultExp == 0) fraction = (<u64>1 << 51) | (fraction >> 1);
  else if (resultExp == -1) {
    fraction = (<u64>1 << 50) | (fraction >> 2);
    resultExp = 0;
  }
  if (is64) return (<u64>sign << 63) | (<u64>(resultExp & 0x7ff) << 52) | fraction;
  return (<u64>sign << 31) | (<u64>(resultExp & 0xff) << 23) | (fraction >> 29);
}

/** FPRSqrtEstimate (FRSQRTE) for f32/f64. */
export function rsqrtEstimateG(bits: u64, fmt: i32, fpcr: u32): u64 {
  const cls = unpack(bits, fmt, fpcr);
  const sign = signOf(bits, fmt);
  if (cls >= CLS_QNAN) return processNaN(bits, cls, fmt, fpcr);
  if (cls == CLS_ZERO) {
    fpFlagsRaise(FPSR_DZC);
    return infBits(sign, fmt);
  }
  if (sign != 0) return invalidNaN(fmt);
  if (cls == CLS_INF) return 0;
  const is64 = fmt == FMT64;
  let exp = is64 ? <i32>(bits >> 52) & 0x7ff : <i32>(bits >> 23) & 0xff;
  let fraction = is64 ? bits & 0xfffffffffffff : (bits & 0x7fffff) << 29;
  const mask52: u64 = 0xfffffffffffff;
  if (exp == 0) {
    while (((fraction >> 51) & 1) == 0) {
      fraction <<= 1;
      exp--;
    }
    fraction = (fraction << 1) & mask52;
  }
  const scaled = (exp & 1) == 0 ? 256 | <u32>(fraction >> 44) : 128 | <u32>(fraction >> 45);
  const resultExp = ((is64 ? 3068 : 380) - exp) >> 1;
  const est = <u64>(rsqrtEstimate(scaled) & 0xff);
  if (is64) return (<u64>(resultExp & 0x7ff) << 52) | (est << 44);
  return (<u64>(resultExp & 0xff) << 23) | (est << 15);
}

/** Shared body of FPRecipStepFused (rsqrt=false: 2 - a*b) and FPRSqrtStepFused ((3 - a*b)/2). */
function stepFusedG(a: u64, b: u64, rsqrt: bool, fmt: i32, fpcr: u32): u64 {
  const op1 = a ^ (<u64>1 << <u64>(fmt - 1));
  const c1 = unpack(op1, fmt, fpcr);
  const m1 = uM;
  const e1 = uE;
  const c2 = unpack(b, fmt, fpcr);
  const m2 = uM;
  const e2 = uE;
  if (c1 >= CLS_QNAN || c2 >= CLS_QNAN) return processNaNs2(op1, c1, b, c2, fmt, fpcr);
  const one5: u64 = fmt == FMT64 ? 0x3ff8000000000000 : 0x3fc00000;
  if ((c1 == CLS_INF && c2 == CLS_ZERO) || (c1 == CLS_ZERO && c2 == CLS_INF)) return rsqrt ? one5 : twoBits(0, fmt);
  const sP = signOf(op1, fmt) ^ signOf(b, fmt);
  if (c1 == CLS_INF || c2 == CLS_INF) return infBits(sP, fmt);
  if (c1 == CLS_ZERO || c2 == CLS_ZERO) return rsqrt ? one5 : twoBits(0, fmt);
  const pl = mul128(m1, m2);
  const rm = resolveRMode(FPRM_FPCR, fpcr);
  return fmaCore(sP, mulHi, pl, e1 + e2, 0, rsqrt ? 3 : 1, rsqrt ? 0 : 1, rsqrt ? -1 : 0, fmt, fpcr, rm);
}

/** FPRecipStepFused (FRECPS): 2.0 - a*b with one rounding. */
export function recipStepG(a: u64, b: u64, fmt: i32, fpcr: u32): u64 {
  return stepFusedG(a, b, false, fmt, fpcr);
}

/** FPRSqrtStepFused (FRSQRTS): (3.0 - a*b) / 2 with one rounding. */
export function rsqrtStepG(a: u64, b: u64, fmt: i32, fpcr: u32): u64 {
  return stepFusedG(a, b, true, fmt, fpcr);
}

/** FPRecpX (FRECPX): exponent inverted, fraction cleared. */
export function recpxG(bits: u64, fmt: i32, fpcr: u32): u64 {
  const cls = unpack(bits, fmt, fpcr);
  if (cls >= CLS_QNAN) return processNaN(bits, cls, fmt, fpcr);
  const signBit = bits & (<u64>1 << <u64>(fmt - 1));
  if (fmt == FMT64) {
    const exp = (bits >> 52) & 0x7ff;
    return signBit | ((exp == 0 ? 0x7fe : ~exp & 0x7ff) << 52);
  }
  const exp = (bits >> 23) & 0xff;
  return signBit | ((exp == 0 ? 0xfe : ~exp & 0xff) << 23);
}

/** UnsignedRecipEstimate (URECPE) of one 32-bit lane. */
export function urecpe(v: u32): u32 {
  if ((v >> 31) == 0) return 0xffffffff;
  return (recipEstimate(v >> 23) & 0x1ff) << 23;
}

/** UnsignedRSqrtEstimate (URSQRTE) of one 32-bit lane. */
export function ursqrte(v: u32): u32 {
  if ((v >> 30) == 0) return 0xffffffff;
  return (rsqrtEstimate(v >> 23) & 0x1ff) << 23;
}
