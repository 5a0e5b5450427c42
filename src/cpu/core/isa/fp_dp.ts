// Scalar floating-point data processing (Arm ARM C4.1.68) and FMOV (vector, immediate).
// Handlers take the fields of src/cpu/decode/fp_dp.decode; `ftype` is ftype<0> (0 single,
// 1 double) except in FCVT, where it is the full 2-bit type (00 S, 01 D, 11 H).
// Arithmetic is the soft-float library's: it reads FPCR (RMode, FZ, DN, AHP) and ORs the
// cumulative exception flags into FPSR.
import { fpCheck } from "../exceptions";
import {
  FPRM_FPCR,
  FPRM_NEGINF,
  FPRM_POSINF,
  FPRM_TIEAWAY,
  FPRM_TIEEVEN,
  FPRM_ZERO,
  f16ToF32,
  f16ToF64,
  f32Add,
  f32Compare,
  f32Div,
  f32Fmadd,
  f32Fmsub,
  f32Fnmadd,
  f32Fnmsub,
  f32Max,
  f32MaxNum,
  f32Min,
  f32MinNum,
  f32Mul,
  f32Nmul,
  f32RoundInt,
  f32Sqrt,
  f32Sub,
  f32ToF16,
  f32ToF64,
  f64Add,
  f64Compare,
  f64Div,
  f64Fmadd,
  f64Fmsub,
  f64Fnmadd,
  f64Fnmsub,
  f64Max,
  f64MaxNum,
  f64Min,
  f64MinNum,
  f64Mul,
  f64Nmul,
  f64RoundInt,
  f64Sqrt,
  f64Sub,
  f64ToF16,
  f64ToF32,
} from "../softfloat";
import { conditionHolds, getD, getH, getS, setD, setH, setNZCV, setS, setV128 } from "../state";

const SIGN32: u32 = 0x80000000;
const SIGN64: u64 = 0x8000000000000000;

// ---- Operation codes shared by the two-source and round-to-integral helpers ----------------

const OP_MUL: u32 = 0;
const OP_DIV: u32 = 1;
const OP_ADD: u32 = 2;
const OP_SUB: u32 = 3;
const OP_MAX: u32 = 4;
const OP_MIN: u32 = 5;
const OP_MAXNM: u32 = 6;
const OP_MINNM: u32 = 7;
const OP_NMUL: u32 = 8;

/** Two-source operation `op` on Sn, Sm or Dn, Dm into Sd/Dd. */
// @ts-ignore: decorator
@inline function dp2(ftype: u32, Rm: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) {
    const a = getS(Rn);
    const b = getS(Rm);
    let r: u32;
    switch (op) {
      case OP_MUL:
        r = f32Mul(a, b);
        break;
      case OP_DIV:
        r = f32Div(a, b);
        break;
      case OP_ADD:
        r = f32Add(a, b);
        break;
      case OP_SUB:
        r = f32Sub(a, b);
        break;
      case OP_MAX:
        r = f32Max(a, b);
        break;
      case OP_MIN:
        r = f32Min(a, b);
        break;
      case OP_MAXNM:
        r = f32MaxNum(a, b);
        break;
      case OP_MINNM:
        r = f32MinNum(a, b);
        break;
      default:
        r = f32Nmul(a, b);
        break;
    }
    setS(Rd, r);
  } else {
    const a = getD(Rn);
    const b = getD(Rm);
    let r: u64;
    switch (op) {
      case OP_MUL:
        r = f64Mul(a, b);
        break;
      case OP_DIV:
        r = f64Div(a, b);
        break;
      case OP_ADD:
        r = f64Add(a, b);
        break;
      case OP_SUB:
        r = f64Sub(a, b);
        break;
      case OP_MAX:
        r = f64Max(a, b);
        break;
      case OP_MIN:
        r = f64Min(a, b);
        break;
      case OP_MAXNM:
        r = f64MaxNum(a, b);
        break;
      case OP_MINNM:
        r = f64MinNum(a, b);
        break;
      default:
        r = f64Nmul(a, b);
        break;
    }
    setD(Rd, r);
  }
}

// ---- Data-processing, 1 source ------------------------------------------------------------

/** FMOV (register): a bit copy, no NaN processing and no flags. */
export function FMOV_reg(ftype: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, getS(Rn));
  else setD(Rd, getD(Rn));
}

/** FABS (scalar): clears the sign bit (FPAbs: NaNs included, no flags). */
export function FABS_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, getS(Rn) & ~SIGN32);
  else setD(Rd, getD(Rn) & ~SIGN64);
}

/** FNEG (scalar): flips the sign bit (FPNeg: NaNs included, no flags). */
export function FNEG_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, getS(Rn) ^ SIGN32);
  else setD(Rd, getD(Rn) ^ SIGN64);
}

export function FSQRT_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, f32Sqrt(getS(Rn)));
  else setD(Rd, f64Sqrt(getD(Rn)));
}

/**
 * FCVT (FPConvert) between half, single and double: ftype is the source type, opc the
 * destination (00 S, 01 D, 11 H); the table leaves out the unallocated pairs. Half precision
 * follows FPCR.AHP; FZ applies to single/double operands only (ARMv8.0 has no FZ16).
 */
export function FCVT(ftype: u32, opc: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  switch ((ftype << 2) | opc) {
    case 0b0001: // S -> D
      setD(Rd, f32ToF64(getS(Rn)));
      break;
    case 0b0011: // S -> H
      setH(Rd, f32ToF16(getS(Rn)));
      break;
    case 0b0100: // D -> S
      setS(Rd, f64ToF32(getD(Rn)));
      break;
    case 0b0111: // D -> H
      setH(Rd, f64ToF16(getD(Rn)));
      break;
    case 0b1100: // H -> S
      setS(Rd, f16ToF32(getH(Rn)));
      break;
    default: // 0b1101: H -> D
      setD(Rd, f16ToF64(getH(Rn)));
      break;
  }
}

/** FRINT<x>: FPRoundInt under `rm` (FPRM_*); `exact` raises Inexact (FRINTX). */
// @ts-ignore: decorator
@inline function frint(ftype: u32, Rn: u32, Rd: u32, rm: u32, exact: bool): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, f32RoundInt(getS(Rn), rm, exact));
  else setD(Rd, f64RoundInt(getD(Rn), rm, exact));
}

export function FRINTN_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  frint(ftype, Rn, Rd, FPRM_TIEEVEN, false);
}
export function FRINTP_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  frint(ftype, Rn, Rd, FPRM_POSINF, false);
}
export function FRINTM_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  frint(ftype, Rn, Rd, FPRM_NEGINF, false);
}
export function FRINTZ_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  frint(ftype, Rn, Rd, FPRM_ZERO, false);
}
export function FRINTA_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  frint(ftype, Rn, Rd, FPRM_TIEAWAY, false);
}
/** FRINTX: FPCR rounding, Inexact when the result differs from the operand. */
export function FRINTX_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  frint(ftype, Rn, Rd, FPRM_FPCR, true);
}
/** FRINTI: FPCR rounding, no Inexact. */
export function FRINTI_scalar(ftype: u32, Rn: u32, Rd: u32): void {
  frint(ftype, Rn, Rd, FPRM_FPCR, false);
}

// ---- Data-processing, 2 source ------------------------------------------------------------

export function FMUL_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_MUL);
}
export function FDIV_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_DIV);
}
export function FADD_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_ADD);
}
export function FSUB_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_SUB);
}
export function FMAX_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_MAX);
}
export function FMIN_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_MIN);
}
export function FMAXNM_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_MAXNM);
}
export function FMINNM_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_MINNM);
}
/** FNMUL: the product negated after rounding (NaN results included). */
export function FNMUL_scalar(ftype: u32, Rm: u32, Rn: u32, Rd: u32): void {
  dp2(ftype, Rm, Rn, Rd, OP_NMUL);
}

// ---- Data-processing, 3 source (fused, one rounding) ----------------------------------------

/** FMADD: Ra + Rn*Rm. */
export function FMADD(ftype: u32, Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, f32Fmadd(getS(Rn), getS(Rm), getS(Ra)));
  else setD(Rd, f64Fmadd(getD(Rn), getD(Rm), getD(Ra)));
}
/** FMSUB: Ra - Rn*Rm (Rn negated before NaN processing). */
export function FMSUB(ftype: u32, Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, f32Fmsub(getS(Rn), getS(Rm), getS(Ra)));
  else setD(Rd, f64Fmsub(getD(Rn), getD(Rm), getD(Ra)));
}
/** FNMADD: -Ra - Rn*Rm. */
export function FNMADD(ftype: u32, Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, f32Fnmadd(getS(Rn), getS(Rm), getS(Ra)));
  else setD(Rd, f64Fnmadd(getD(Rn), getD(Rm), getD(Ra)));
}
/** FNMSUB: -Ra + Rn*Rm. */
export function FNMSUB(ftype: u32, Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, f32Fnmsub(getS(Rn), getS(Rm), getS(Ra)));
  else setD(Rd, f64Fnmsub(getD(Rn), getD(Rm), getD(Ra)));
}

// ---- Compare ------------------------------------------------------------------------------

/** FPCompare of Rn with Rm (or +0.0 when z), NZCV as bits 3..0. */
// @ts-ignore: decorator
@inline function fpCompare(ftype: u32, Rm: u32, Rn: u32, z: u32, signal: bool): u32 {
  if (ftype == 0) return f32Compare(getS(Rn), z ? 0 : getS(Rm), signal);
  return f64Compare(getD(Rn), z ? 0 : getD(Rm), signal);
}

/** FCMP: quiet compare (Invalid Operation only for signalling NaNs). */
export function FCMP(ftype: u32, Rm: u32, Rn: u32, z: u32): void {
  if (!fpCheck()) return;
  setNZCV(fpCompare(ftype, Rm, Rn, z, false) << 28);
}
/** FCMPE: signalling compare (Invalid Operation for any NaN). */
export function FCMPE(ftype: u32, Rm: u32, Rn: u32, z: u32): void {
  if (!fpCheck()) return;
  setNZCV(fpCompare(ftype, Rm, Rn, z, true) << 28);
}

/** FCCMP: NZCV = compare(Rn, Rm) if cond holds, else #nzcv (no compare, no flags). */
export function FCCMP(ftype: u32, Rm: u32, cond: u32, Rn: u32, nzcv: u32): void {
  if (!fpCheck()) return;
  setNZCV((conditionHolds(cond) ? fpCompare(ftype, Rm, Rn, 0, false) : nzcv) << 28);
}
export function FCCMPE(ftype: u32, Rm: u32, cond: u32, Rn: u32, nzcv: u32): void {
  if (!fpCheck()) return;
  setNZCV((conditionHolds(cond) ? fpCompare(ftype, Rm, Rn, 0, true) : nzcv) << 28);
}

/** FCSEL: Rd = cond ? Rn : Rm (a bit copy). */
export function FCSEL(ftype: u32, Rm: u32, cond: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  const src = conditionHolds(cond) ? Rn : Rm;
  if (ftype == 0) setS(Rd, getS(src));
  else setD(Rd, getD(src));
}

// ---- Immediate ----------------------------------------------------------------------------

/** VFPExpandImm(imm8) for single precision: sign, NOT(b):b×5:cd exponent, efgh fraction. */
// @ts-ignore: decorator
@inline export function vfpExpandImm32(imm8: u32): u32 {
  const b = (imm8 >> 6) & 1;
  return ((imm8 & 0x80) << 24) | ((b ^ 1) << 30) | (b ? 0x3e000000 : 0) | ((imm8 & 0x3f) << 19);
}

/** VFPExpandImm(imm8) for double precision: sign, NOT(b):b×8:cd exponent, efgh fraction. */
// @ts-ignore: decorator
@inline export function vfpExpandImm64(imm8: u32): u64 {
  const b = (imm8 >> 6) & 1;
  return (
    (<u64>(imm8 & 0x80) << 56) | (<u64>(b ^ 1) << 62) | (b ? <u64>0x3fc0000000000000 : 0) | (<u64>(imm8 & 0x3f) << 48)
  );
}

/** FMOV (scalar, immediate). */
export function FMOV_imm(ftype: u32, imm8: u32, Rd: u32): void {
  if (!fpCheck()) return;
  if (ftype == 0) setS(Rd, vfpExpandImm32(imm8));
  else setD(Rd, vfpExpandImm64(imm8));
}

/** FMOV (vector, immediate), single: the immediate in every 32-bit lane (Q = 0 clears the top half). */
export function FMOV_vec_imm_s(Q: u32, abc: u32, defgh: u32, Rd: u32): void {
  if (!fpCheck()) return;
  const f = vfpExpandImm32((abc << 5) | defgh);
  if (Q) setV128(Rd, i32x4.splat(<i32>f));
  else setD(Rd, ((<u64>f) << 32) | <u64>f);
}

/** FMOV (vector, immediate), double: the immediate in both 64-bit lanes. */
export function FMOV_vec_imm_d(abc: u32, defgh: u32, Rd: u32): void {
  if (!fpCheck()) return;
  setV128(Rd, i64x2.splat(<i64>vfpExpandImm64((abc << 5) | defgh)));
}
