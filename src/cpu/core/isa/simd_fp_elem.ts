// AdvSIMD floating point (Arm ARM C4.1.68): by element (vector and scalar) and the fixed-point
// conversions of the shift-by-immediate classes (SCVTF, UCVTF, FCVTZS, FCVTZU with #fbits).
// Handlers take the fields of src/cpu/decode/simd_fp_elem.decode.
import { fpCheck, undefinedInstruction } from "../exceptions";
import {
  f32ToS32,
  f32ToU32,
  f64ToS64,
  f64ToU64,
  FPRM_ZERO,
  s32ToF32,
  s64ToF64,
  u32ToF32,
  u64ToF64,
} from "../softfloat/index";
import { setD, setS, vAddr } from "../state";
import { clearHigh, FOP_MLA, FOP_MLS, FOP_MUL, FOP_MULX, fast32, fast64, fop32, fop64, hasFast32, hasFast64, lane32, lane64 } from "./simd_fp_lanes";

/** Vector by element: Vd[e] = op(Vn[e], Vm[index], Vd[e]); Vm[index] is read before any write. */
// @ts-ignore: decorator
@inline function elemVec(Q: u32, sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32, op: u32): void {
  if (sz > Q || (sz & L)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const m = (M << 4) | Rm;
  const n = vAddr(Rn);
  const d = vAddr(Rd);
  if (sz) {
    const e = lane64(m, H);
    if (hasFast64(op) && fast64(op, v128.load(n), i64x2.splat(e), Rd)) return;
    store<u64>(d, fop64(op, load<u64>(n), e, load<u64>(d)));
    store<u64>(d, fop64(op, load<u64>(n, 8), e, load<u64>(d, 8)), 8);
    return;
  }
  const e = lane32(m, (H << 1) | L);
  if (hasFast32(op) && fast32(op, Q, v128.load(n), i32x4.splat(e), Rd)) return;
  store<u32>(d, fop32(op, load<u32>(n), e, load<u32>(d)));
  store<u32>(d, fop32(op, load<u32>(n, 4), e, load<u32>(d, 4)), 4);
  if (Q) {
    store<u32>(d, fop32(op, load<u32>(n, 8), e, load<u32>(d, 8)), 8);
    store<u32>(d, fop32(op, load<u32>(n, 12), e, load<u32>(d, 12)), 12);
  } else {
    clearHigh(Rd);
  }
}

/** Scalar by element: op(Vn[0], Vm[index], Vd[0]), the rest of Vd cleared. */
// @ts-ignore: decorator
@inline function elemScalar(sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32, op: u32): void {
  if (sz & L) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const m = (M << 4) | Rm;
  if (sz) setD(Rd, fop64(op, lane64(Rn, 0), lane64(m, H), lane64(Rd, 0)));
  else setS(Rd, fop32(op, lane32(Rn, 0), lane32(m, (H << 1) | L), lane32(Rd, 0)));
}

export function FMLA_asimdelem(Q: u32, sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemVec(Q, sz, L, M, Rm, H, Rn, Rd, FOP_MLA);
}

export function FMLS_asimdelem(Q: u32, sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemVec(Q, sz, L, M, Rm, H, Rn, Rd, FOP_MLS);
}

export function FMUL_asimdelem(Q: u32, sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemVec(Q, sz, L, M, Rm, H, Rn, Rd, FOP_MUL);
}

export function FMULX_asimdelem(Q: u32, sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemVec(Q, sz, L, M, Rm, H, Rn, Rd, FOP_MULX);
}

export function FMLA_asisdelem(sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemScalar(sz, L, M, Rm, H, Rn, Rd, FOP_MLA);
}

export function FMLS_asisdelem(sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemScalar(sz, L, M, Rm, H, Rn, Rd, FOP_MLS);
}

export function FMUL_asisdelem(sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemScalar(sz, L, M, Rm, H, Rn, Rd, FOP_MUL);
}

export function FMULX_asisdelem(sz: u32, L: u32, M: u32, Rm: u32, H: u32, Rn: u32, Rd: u32): void {
  elemScalar(sz, L, M, Rm, H, Rn, Rd, FOP_MULX);
}

// ---- Fixed-point conversions (shift by immediate) ----

const CVT_SCVTF: u32 = 0;
const CVT_UCVTF: u32 = 1;
const CVT_FCVTZS: u32 = 2;
const CVT_FCVTZU: u32 = 3;

// @ts-ignore: decorator
@inline function cvt32(op: u32, a: u32, fbits: i32): u32 {
  switch (op) {
    case CVT_SCVTF:
      return s32ToF32(a, fbits);
    case CVT_UCVTF:
      return u32ToF32(a, fbits);
    case CVT_FCVTZS:
      return f32ToS32(a, FPRM_ZERO, fbits);
    default:
      return f32ToU32(a, FPRM_ZERO, fbits);
  }
}

// @ts-ignore: decorator
@inline function cvt64(op: u32, a: u64, fbits: i32): u64 {
  switch (op) {
    case CVT_SCVTF:
      return s64ToF64(a, fbits);
    case CVT_UCVTF:
      return u64ToF64(a, fbits);
    case CVT_FCVTZS:
      return f64ToS64(a, FPRM_ZERO, fbits);
    default:
      return f64ToU64(a, FPRM_ZERO, fbits);
  }
}

/** Vector fixed-point conversion; immh = 01xx: 32-bit lanes, 1xxx: 64-bit (Q = 1 only); fbits = 2*esize - immh:immb. */
// @ts-ignore: decorator
@inline function fixedVec(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  const sz = immh >> 3;
  if (sz > Q) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const fbits = <i32>((sz ? 128 : 64) - ((immh << 3) | immb));
  const n = vAddr(Rn);
  const d = vAddr(Rd);
  if (sz) {
    store<u64>(d, cvt64(op, load<u64>(n), fbits));
    store<u64>(d, cvt64(op, load<u64>(n, 8), fbits), 8);
    return;
  }
  store<u32>(d, cvt32(op, load<u32>(n), fbits));
  store<u32>(d, cvt32(op, load<u32>(n, 4), fbits), 4);
  if (Q) {
    store<u32>(d, cvt32(op, load<u32>(n, 8), fbits), 8);
    store<u32>(d, cvt32(op, load<u32>(n, 12), fbits), 12);
  } else {
    clearHigh(Rd);
  }
}

/** Scalar fixed-point conversion. */
// @ts-ignore: decorator
@inline function fixedScalar(immh: u32, immb: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!fpCheck()) return;
  const sz = immh >> 3;
  const fbits = <i32>((sz ? 128 : 64) - ((immh << 3) | immb));
  if (sz) setD(Rd, cvt64(op, lane64(Rn, 0), fbits));
  else setS(Rd, cvt32(op, lane32(Rn, 0), fbits));
}

export function SCVTF_asimdshf(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedVec(Q, immh, immb, Rn, Rd, CVT_SCVTF);
}

export function UCVTF_asimdshf(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedVec(Q, immh, immb, Rn, Rd, CVT_UCVTF);
}

export function FCVTZS_asimdshf(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedVec(Q, immh, immb, Rn, Rd, CVT_FCVTZS);
}

export function FCVTZU_asimdshf(Q: u32, immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedVec(Q, immh, immb, Rn, Rd, CVT_FCVTZU);
}

export function SCVTF_asisdshf(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedScalar(immh, immb, Rn, Rd, CVT_SCVTF);
}

export function UCVTF_asisdshf(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedScalar(immh, immb, Rn, Rd, CVT_UCVTF);
}

export function FCVTZS_asisdshf(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedScalar(immh, immb, Rn, Rd, CVT_FCVTZS);
}

export function FCVTZU_asisdshf(immh: u32, immb: u32, Rn: u32, Rd: u32): void {
  fixedScalar(immh, immb, Rn, Rd, CVT_FCVTZU);
}
