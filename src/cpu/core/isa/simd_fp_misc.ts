// AdvSIMD floating point (Arm ARM C4.1.68): two-register miscellaneous, vector and scalar,
// including the FP widening/narrowing conversions FCVTL, FCVTN and FCVTXN. Handlers take the
// fields of src/cpu/decode/simd_fp_misc.decode.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { FP_SCRATCH, FPCR_ADDR, FPSR_ADDR } from "../layout";
import { f16ToF32, f32ToF16, f32ToF64, f64ToF32, f64ToF32Odd, FPSR_IXC, fpFlagsRaise } from "../softfloat/index";
import { setD, setS, vAddr } from "../state";
import {
  clearHigh,
  lane32,
  lane64,
  UOP_ABS,
  UOP_CMEQ0,
  UOP_CMGE0,
  UOP_CMGT0,
  UOP_CMLE0,
  UOP_CMLT0,
  UOP_CVTAS,
  UOP_CVTAU,
  UOP_CVTMS,
  UOP_CVTMU,
  UOP_CVTNS,
  UOP_CVTNU,
  UOP_CVTPS,
  UOP_CVTPU,
  UOP_CVTZS,
  UOP_CVTZU,
  UOP_NEG,
  UOP_RECPE,
  UOP_RECPX,
  UOP_RINTA,
  UOP_RINTI,
  UOP_RINTM,
  UOP_RINTN,
  UOP_RINTP,
  UOP_RINTX,
  UOP_RINTZ,
  UOP_RSQRTE,
  UOP_SCVTF,
  UOP_SQRT,
  UOP_UCVTF,
  UOP_URECPE,
  UOP_URSQRTE,
  uop32,
  uop64,
} from "./simd_fp_lanes";

/** Vector two-register misc, element-wise (lane e only reads lane e, so Vd may alias Vn). */
// @ts-ignore: decorator
@inline function miscVec(Q: u32, sz: u32, Rn: u32, Rd: u32, op: u32): void {
  if (sz > Q || (sz && (op == UOP_URECPE || op == UOP_URSQRTE))) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const n = vAddr(Rn);
  const d = vAddr(Rd);
  if (op == UOP_ABS || op == UOP_NEG) {
    // Pure sign-bit operations (no NaN processing, no flags): one v128 operation.
    const sign = sz ? i64x2.splat(0x8000000000000000) : i32x4.splat(0x80000000);
    let r = op == UOP_ABS ? v128.andnot(v128.load(n), sign) : v128.xor(v128.load(n), sign);
    if (!Q) r = i64x2.replace_lane(r, 1, 0);
    v128.store(d, r);
    return;
  }
  if (sz) {
    if (hasFastMisc64(op) && fastMisc64(op, v128.load(n), d)) return;
    store<u64>(d, uop64(op, load<u64>(n)));
    store<u64>(d, uop64(op, load<u64>(n, 8)), 8);
    return;
  }
  if (hasFastMisc32(op) && fastMisc32(op, Q, v128.load(n), d)) return;
  store<u32>(d, uop32(op, load<u32>(n)));
  store<u32>(d, uop32(op, load<u32>(n, 4)), 4);
  if (Q) {
    store<u32>(d, uop32(op, load<u32>(n, 8)), 8);
    store<u32>(d, uop32(op, load<u32>(n, 12)), 12);
  } else {
    clearHigh(Rd);
  }
}

// ---- v128 fast paths (see simd_fp_lanes.ts for the reasoning) ----
// FRINTN/M/P/Z of normal values are wasm's nearest/floor/ceil/trunc and raise nothing; FSQRT of
// positive normal values is never tiny or huge (IXC only: taken once FPSR.IXC is set, under RN);
// FCVTZS/FCVTZU of zeros and normal values in range are wasm's saturating truncations, inexact
// exactly when converting back differs; SCVTF/UCVTF of integers up to 2^24 are exact.

/** Whether `op` has a 32-bit-lane fast path. */
// @ts-ignore: decorator
@inline function hasFastMisc32(op: u32): bool {
  return op == UOP_RINTN || op == UOP_RINTM || op == UOP_RINTP || op == UOP_RINTZ || op == UOP_SQRT || op == UOP_CVTZS || op == UOP_CVTZU || op == UOP_SCVTF || op == UOP_UCVTF;
}

/** Whether `op` has a 64-bit-lane fast path. */
// @ts-ignore: decorator
@inline function hasFastMisc64(op: u32): bool {
  return op == UOP_RINTN || op == UOP_RINTM || op == UOP_RINTP || op == UOP_RINTZ || op == UOP_SQRT;
}

/** Biased exponents of the 32-bit lanes. */
// @ts-ignore: decorator
@inline function exp32(x: v128): v128 {
  return i32x4.shr_u(i32x4.shl(x, 1), 24);
}

/** Writes op(x) for 32-bit lanes to Vd when the fast path applies; false (nothing written) otherwise. */
// @ts-ignore: decorator
@inline function fastMisc32(op: u32, Q: u32, x: v128, d: usize): bool {
  const intIn = op == UOP_SCVTF || op == UOP_UCVTF;
  if (!Q) x = i64x2.replace_lane(x, 1, intIn ? 0 : 0x3f8000003f800000);
  let r: v128;
  if (op == UOP_SCVTF) {
    if (!i32x4.all_true(i32x4.lt_u(i32x4.add(x, i32x4.splat(1 << 24)), i32x4.splat((1 << 25) + 1)))) return false;
    r = f32x4.convert_i32x4_s(x);
  } else if (op == UOP_UCVTF) {
    if (!i32x4.all_true(i32x4.lt_u(x, i32x4.splat((1 << 24) + 1)))) return false;
    r = f32x4.convert_i32x4_u(x);
  } else if (op == UOP_CVTZS || op == UOP_CVTZU) {
    const e = exp32(x);
    const zero = i32x4.eq(i32x4.shl(x, 1), i32x4.splat(0));
    let ok: v128;
    if (op == UOP_CVTZS) {
      // Zero or 2^-126 <= |x| < 2^31.
      ok = v128.or(zero, i32x4.lt_u(i32x4.sub(e, i32x4.splat(1)), i32x4.splat(157)));
    } else {
      // +0 or 2^-126 <= x < 2^32.
      ok = v128.and(i32x4.lt_u(x, i32x4.splat(159 << 23)), v128.or(i32x4.eq(x, i32x4.splat(0)), i32x4.ge_u(x, i32x4.splat(1 << 23))));
    }
    if (!i32x4.all_true(ok)) return false;
    let back: v128;
    if (op == UOP_CVTZS) {
      r = i32x4.trunc_sat_f32x4_s(x);
      back = f32x4.convert_i32x4_s(r);
    } else {
      r = i32x4.trunc_sat_f32x4_u(x);
      back = f32x4.convert_i32x4_u(r);
    }
    if (!i32x4.all_true(f32x4.eq(back, x))) fpFlagsRaise(FPSR_IXC);
  } else {
    const e = exp32(x);
    if (!i32x4.all_true(i32x4.lt_u(i32x4.sub(e, i32x4.splat(1)), i32x4.splat(254)))) return false;
    switch (op) {
      case UOP_RINTN:
        r = f32x4.nearest(x);
        break;
      case UOP_RINTM:
        r = f32x4.floor(x);
        break;
      case UOP_RINTP:
        r = f32x4.ceil(x);
        break;
      case UOP_RINTZ:
        r = f32x4.trunc(x);
        break;
      default:
        if ((load<u32>(FPCR_ADDR) & (3 << 22)) != 0 || (load<u32>(FPSR_ADDR) & FPSR_IXC) == 0) return false;
        if (v128.any_true(v128.and(x, i32x4.splat(0x80000000)))) return false;
        r = f32x4.sqrt(x);
        break;
    }
  }
  if (!Q) r = i64x2.replace_lane(r, 1, 0);
  v128.store(d, r);
  return true;
}

/** The 2D form of fastMisc32 for FRINTN/M/P/Z and FSQRT. */
// @ts-ignore: decorator
@inline function fastMisc64(op: u32, x: v128, d: usize): bool {
  const e = i64x2.shr_u(i64x2.shl(x, 1), 53);
  if (!i64x2.all_true(v128.and(i64x2.gt_s(e, i64x2.splat(0)), i64x2.lt_s(e, i64x2.splat(2047))))) return false;
  let r: v128;
  switch (op) {
    case UOP_RINTN:
      r = f64x2.nearest(x);
      break;
    case UOP_RINTM:
      r = f64x2.floor(x);
      break;
    case UOP_RINTP:
      r = f64x2.ceil(x);
      break;
    case UOP_RINTZ:
      r = f64x2.trunc(x);
      break;
    default:
      if ((load<u32>(FPCR_ADDR) & (3 << 22)) != 0 || (load<u32>(FPSR_ADDR) & FPSR_IXC) == 0) return false;
      if (v128.any_true(v128.and(x, i64x2.splat(0x8000000000000000)))) return false;
      r = f64x2.sqrt(x);
      break;
  }
  v128.store(d, r);
  return true;
}

/** Scalar two-register misc: op on lane 0, the rest of Vd cleared. */
// @ts-ignore: decorator
@inline function miscScalar(sz: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!fpCheck()) return;
  if (sz) setD(Rd, uop64(op, lane64(Rn, 0)));
  else setS(Rd, uop32(op, lane32(Rn, 0)));
}

// ---- Vector ----

export function FCMGT0_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CMGT0);
}

export function FCMEQ0_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CMEQ0);
}

export function FCMLT0_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CMLT0);
}

export function FABS_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_ABS);
}

export function FRINTN_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RINTN);
}

export function FRINTM_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RINTM);
}

export function FCVTNS_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTNS);
}

export function FCVTMS_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTMS);
}

export function FCVTAS_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTAS);
}

export function SCVTF_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_SCVTF);
}

export function FRINTP_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RINTP);
}

export function FRINTZ_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RINTZ);
}

export function FCVTPS_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTPS);
}

export function FCVTZS_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTZS);
}

export function URECPE_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_URECPE);
}

export function FRECPE_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RECPE);
}

export function FCMGE0_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CMGE0);
}

export function FCMLE0_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CMLE0);
}

export function FNEG_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_NEG);
}

export function FRINTA_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RINTA);
}

export function FRINTX_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RINTX);
}

export function FCVTNU_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTNU);
}

export function FCVTMU_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTMU);
}

export function FCVTAU_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTAU);
}

export function UCVTF_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_UCVTF);
}

export function FRINTI_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RINTI);
}

export function FCVTPU_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTPU);
}

export function FCVTZU_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_CVTZU);
}

export function URSQRTE_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_URSQRTE);
}

export function FRSQRTE_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_RSQRTE);
}

export function FSQRT_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  miscVec(Q, sz, Rn, Rd, UOP_SQRT);
}

/** FCVTN/FCVTN2: narrows the 4S (to 4H) or 2D (to 2S) vector Vn into the low or (Q = 1) high half of Vd. */
export function FCVTN_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  const n = vAddr(Rn);
  const t = FP_SCRATCH;
  if (sz) {
    store<u32>(t, f64ToF32(load<u64>(n)));
    store<u32>(t, f64ToF32(load<u64>(n, 8)), 4);
  } else {
    store<u16>(t, <u16>f32ToF16(load<u32>(n)));
    store<u16>(t, <u16>f32ToF16(load<u32>(n, 4)), 2);
    store<u16>(t, <u16>f32ToF16(load<u32>(n, 8)), 4);
    store<u16>(t, <u16>f32ToF16(load<u32>(n, 12)), 6);
  }
  writeNarrow(Q, Rd, load<u64>(t));
}

/** FCVTXN/FCVTXN2 (vector): 2D to 2S rounding to odd; only the 64-bit source size exists. */
export function FCVTXN_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  if (!sz) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const n = vAddr(Rn);
  const lo = f64ToF32Odd(load<u64>(n));
  const hi = f64ToF32Odd(load<u64>(n, 8));
  writeNarrow(Q, Rd, ((<u64>hi) << 32) | lo);
}

/** Writes a narrowed 64-bit result: Vd[63:0] with the top cleared, or Vd[127:64] keeping the bottom (the "2" forms). */
// @ts-ignore: decorator
@inline function writeNarrow(Q: u32, Rd: u32, r: u64): void {
  const d = vAddr(Rd);
  if (Q) {
    store<u64>(d, r, 8);
  } else {
    store<u64>(d, r);
    store<u64>(d, 0, 8);
  }
}

/** FCVTL/FCVTL2: widens the low or (Q = 1) high half of Vn: 4H to 4S or 2S to 2D. */
export function FCVTL_asimdmisc(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  const src = load<u64>(vAddr(Rn) + (Q ? 8 : 0));
  const d = vAddr(Rd);
  if (sz) {
    const lo = f32ToF64(<u32>src);
    const hi = f32ToF64(<u32>(src >> 32));
    store<u64>(d, lo);
    store<u64>(d, hi, 8);
  } else {
    const e0 = f16ToF32(<u32>src & 0xffff);
    const e1 = f16ToF32(<u32>(src >> 16) & 0xffff);
    const e2 = f16ToF32(<u32>(src >> 32) & 0xffff);
    const e3 = f16ToF32(<u32>(src >> 48) & 0xffff);
    store<u32>(d, e0);
    store<u32>(d, e1, 4);
    store<u32>(d, e2, 8);
    store<u32>(d, e3, 12);
  }
}

// ---- Scalar ----

export function FCMGT0_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CMGT0);
}

export function FCMEQ0_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CMEQ0);
}

export function FCMLT0_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CMLT0);
}

export function FCVTNS_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTNS);
}

export function FCVTMS_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTMS);
}

export function FCVTAS_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTAS);
}

export function SCVTF_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_SCVTF);
}

export function FCVTPS_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTPS);
}

export function FCVTZS_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTZS);
}

export function FRECPE_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_RECPE);
}

export function FRECPX_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_RECPX);
}

export function FCMGE0_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CMGE0);
}

export function FCMLE0_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CMLE0);
}

export function FCVTNU_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTNU);
}

export function FCVTMU_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTMU);
}

export function FCVTAU_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTAU);
}

export function UCVTF_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_UCVTF);
}

export function FCVTPU_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTPU);
}

export function FCVTZU_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_CVTZU);
}

export function FRSQRTE_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  miscScalar(sz, Rn, Rd, UOP_RSQRTE);
}

/** FCVTXN Sd, Dn: f64 to f32 rounding to odd; only sz = 1 exists. */
export function FCVTXN_asisdmisc(sz: u32, Rn: u32, Rd: u32): void {
  if (!sz) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  setS(Rd, f64ToF32Odd(lane64(Rn, 0)));
}
