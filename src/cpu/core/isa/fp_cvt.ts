// Conversions between floating-point and integer or fixed-point, and FMOV (general)
// (Arm ARM C4.1.68). Handlers take the fields of src/cpu/decode/fp_cvt.decode; `ftype` is
// ftype<0> (0 single, 1 double), `sf` selects W (0) or X (1), fixed-point fbits = 64 - scale.
import { fpCheck } from "../exceptions";
import {
  FPRM_NEGINF,
  FPRM_POSINF,
  FPRM_TIEAWAY,
  FPRM_TIEEVEN,
  FPRM_ZERO,
  f32ToS32,
  f32ToS64,
  f32ToU32,
  f32ToU64,
  f64ToS32,
  f64ToS64,
  f64ToU32,
  f64ToU64,
  s32ToF32,
  s32ToF64,
  s64ToF32,
  s64ToF64,
  u32ToF32,
  u32ToF64,
  u64ToF32,
  u64ToF64,
} from "../softfloat";
import { getD, getS, getW, getX, setD, setS, setW, setX, vAddr } from "../state";

/** FPToFixed: Sn/Dn to Wd/Xd under rounding mode `rm` (FPRM_*), scaled by 2^fbits. */
// @ts-ignore: decorator
@inline function fpToInt(sf: u32, ftype: u32, Rn: u32, Rd: u32, rm: u32, unsigned: bool, fbits: i32): void {
  if (!fpCheck()) return;
  if (ftype == 0) {
    const a = getS(Rn);
    if (sf) setX(Rd, unsigned ? f32ToU64(a, rm, fbits) : f32ToS64(a, rm, fbits));
    else setW(Rd, unsigned ? f32ToU32(a, rm, fbits) : f32ToS32(a, rm, fbits));
  } else {
    const a = getD(Rn);
    if (sf) setX(Rd, unsigned ? f64ToU64(a, rm, fbits) : f64ToS64(a, rm, fbits));
    else setW(Rd, unsigned ? f64ToU32(a, rm, fbits) : f64ToS32(a, rm, fbits));
  }
}

/** FixedToFP: Wn/Xn (signed or unsigned) divided by 2^fbits to Sd/Dd, FPCR rounding. */
// @ts-ignore: decorator
@inline function intToFp(sf: u32, ftype: u32, Rn: u32, Rd: u32, unsigned: bool, fbits: i32): void {
  if (!fpCheck()) return;
  if (sf) {
    const v = getX(Rn);
    if (ftype == 0) setS(Rd, unsigned ? u64ToF32(v, fbits) : s64ToF32(v, fbits));
    else setD(Rd, unsigned ? u64ToF64(v, fbits) : s64ToF64(v, fbits));
  } else {
    const v = getW(Rn);
    if (ftype == 0) setS(Rd, unsigned ? u32ToF32(v, fbits) : s32ToF32(v, fbits));
    else setD(Rd, unsigned ? u32ToF64(v, fbits) : s32ToF64(v, fbits));
  }
}

// ---- Fixed-point (the table leaves out sf = 0 with fbits > 32) -----------------------------

export function FCVTZS_scalar_fix(sf: u32, ftype: u32, scale: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_ZERO, false, 64 - <i32>scale);
}
export function FCVTZU_scalar_fix(sf: u32, ftype: u32, scale: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_ZERO, true, 64 - <i32>scale);
}
export function SCVTF_scalar_fix(sf: u32, ftype: u32, scale: u32, Rn: u32, Rd: u32): void {
  intToFp(sf, ftype, Rn, Rd, false, 64 - <i32>scale);
}
export function UCVTF_scalar_fix(sf: u32, ftype: u32, scale: u32, Rn: u32, Rd: u32): void {
  intToFp(sf, ftype, Rn, Rd, true, 64 - <i32>scale);
}

// ---- Integer --------------------------------------------------------------------------------

export function FCVTNS_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_TIEEVEN, false, 0);
}
export function FCVTNU_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_TIEEVEN, true, 0);
}
export function FCVTPS_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_POSINF, false, 0);
}
export function FCVTPU_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_POSINF, true, 0);
}
export function FCVTMS_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_NEGINF, false, 0);
}
export function FCVTMU_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_NEGINF, true, 0);
}
export function FCVTZS_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_ZERO, false, 0);
}
export function FCVTZU_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_ZERO, true, 0);
}
export function FCVTAS_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_TIEAWAY, false, 0);
}
export function FCVTAU_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  fpToInt(sf, ftype, Rn, Rd, FPRM_TIEAWAY, true, 0);
}
export function SCVTF_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  intToFp(sf, ftype, Rn, Rd, false, 0);
}
export function UCVTF_scalar_int(sf: u32, ftype: u32, Rn: u32, Rd: u32): void {
  intToFp(sf, ftype, Rn, Rd, true, 0);
}

// ---- FMOV (general): bit copies, no flags ----------------------------------------------------

/** FMOV Wd, Sn. */
export function FMOV_w_s(Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  setW(Rd, getS(Rn));
}
/** FMOV Sd, Wn (clears the rest of Vd). */
export function FMOV_s_w(Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  setS(Rd, getW(Rn));
}
/** FMOV Xd, Dn. */
export function FMOV_x_d(Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  setX(Rd, getD(Rn));
}
/** FMOV Dd, Xn (clears the top half of Vd). */
export function FMOV_d_x(Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  setD(Rd, getX(Rn));
}
/** FMOV Xd, Vn.D[1]. */
export function FMOV_x_vd1(Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  setX(Rd, load<u64>(vAddr(Rn), 8));
}
/** FMOV Vd.D[1], Xn: writes the top half only, leaving D[0] unchanged. */
export function FMOV_vd1_x(Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  store<u64>(vAddr(Rd), getX(Rn), 8);
}
