// AdvSIMD floating point (Arm ARM C4.1.68): three same (vector and scalar), pairwise (vector and
// scalar) and across lanes. Handlers take the fields of src/cpu/decode/simd_fp_same.decode.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { FP_SCRATCH } from "../layout";
import { setD, setS, vAddr } from "../state";
import {
  clearHigh,
  FOP_ABD,
  FOP_ACGE,
  FOP_ACGT,
  FOP_ADD,
  FOP_CMEQ,
  FOP_CMGE,
  FOP_CMGT,
  FOP_DIV,
  FOP_MAX,
  FOP_MAXNM,
  FOP_MIN,
  FOP_MINNM,
  FOP_MLA,
  FOP_MLS,
  FOP_MUL,
  FOP_MULX,
  FOP_RECPS,
  FOP_RSQRTS,
  FOP_SUB,
  fast32,
  fast64,
  fop32,
  fop64,
  hasFast32,
  hasFast64,
  lane32,
  lane64,
} from "./simd_fp_lanes";

/** Vector three same, element-wise: Vd[e] = op(Vn[e], Vm[e], Vd[e]). Lane e only reads lane e, so Vd may alias. */
// @ts-ignore: decorator
@inline function sameVec(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32, op: u32): void {
  if (sz > Q) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const n = vAddr(Rn);
  const m = vAddr(Rm);
  const d = vAddr(Rd);
  if (!sz && hasFast32(op) && fast32(op, Q, v128.load(n), v128.load(m), Rd)) return;
  if (sz) {
    if (hasFast64(op) && fast64(op, v128.load(n), v128.load(m), Rd)) return;
    store<u64>(d, fop64(op, load<u64>(n), load<u64>(m), load<u64>(d)));
    store<u64>(d, fop64(op, load<u64>(n, 8), load<u64>(m, 8), load<u64>(d, 8)), 8);
    return;
  }
  store<u32>(d, fop32(op, load<u32>(n), load<u32>(m), load<u32>(d)));
  store<u32>(d, fop32(op, load<u32>(n, 4), load<u32>(m, 4), load<u32>(d, 4)), 4);
  if (Q) {
    store<u32>(d, fop32(op, load<u32>(n, 8), load<u32>(m, 8), load<u32>(d, 8)), 8);
    store<u32>(d, fop32(op, load<u32>(n, 12), load<u32>(m, 12), load<u32>(d, 12)), 12);
  } else {
    clearHigh(Rd);
  }
}

/** Vector pairwise: the pairs of Vm:Vn (Vn's pairs in the low half of the result). */
// @ts-ignore: decorator
@inline function pairVec(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32, op: u32): void {
  if (sz > Q) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const n = vAddr(Rn);
  const m = vAddr(Rm);
  const t = FP_SCRATCH;
  // Fast path: the element-wise op on the even and odd lanes of Vm:Vn.
  const vn = v128.load(n);
  const vm = v128.load(m);
  if (sz) {
    if (hasFast64(op) && fast64(op, i64x2.shuffle(vn, vm, 0, 2), i64x2.shuffle(vn, vm, 1, 3), Rd)) return;
  } else if (Q) {
    if (hasFast32(op) && fast32(op, 1, i32x4.shuffle(vn, vm, 0, 2, 4, 6), i32x4.shuffle(vn, vm, 1, 3, 5, 7), Rd)) return;
  } else if (hasFast32(op) && fast32(op, 0, i32x4.shuffle(vn, vm, 0, 4, 0, 4), i32x4.shuffle(vn, vm, 1, 5, 1, 5), Rd)) {
    return;
  }
  if (sz) {
    store<u64>(t, fop64(op, load<u64>(n), load<u64>(n, 8), 0));
    store<u64>(t, fop64(op, load<u64>(m), load<u64>(m, 8), 0), 8);
  } else if (Q) {
    store<u32>(t, fop32(op, load<u32>(n), load<u32>(n, 4), 0));
    store<u32>(t, fop32(op, load<u32>(n, 8), load<u32>(n, 12), 0), 4);
    store<u32>(t, fop32(op, load<u32>(m), load<u32>(m, 4), 0), 8);
    store<u32>(t, fop32(op, load<u32>(m, 8), load<u32>(m, 12), 0), 12);
  } else {
    store<u32>(t, fop32(op, load<u32>(n), load<u32>(n, 4), 0));
    store<u32>(t, fop32(op, load<u32>(m), load<u32>(m, 4), 0), 4);
    store<u64>(t, 0, 8);
  }
  v128.store(vAddr(Rd), v128.load(t));
}

/** Scalar three same: op on lane 0, the rest of Vd cleared. */
// @ts-ignore: decorator
@inline function sameScalar(sz: u32, Rm: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!fpCheck()) return;
  if (sz) setD(Rd, fop64(op, lane64(Rn, 0), lane64(Rm, 0), 0));
  else setS(Rd, fop32(op, lane32(Rn, 0), lane32(Rm, 0), 0));
}

/** Scalar pairwise: op(Vn[0], Vn[1]) with 32-bit (2S) or 64-bit (2D) elements. */
// @ts-ignore: decorator
@inline function pairScalar(sz: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!fpCheck()) return;
  if (sz) setD(Rd, fop64(op, lane64(Rn, 0), lane64(Rn, 1), 0));
  else setS(Rd, fop32(op, lane32(Rn, 0), lane32(Rn, 1), 0));
}

/** Across lanes (Reduce): op(op(e0, e1), op(e2, e3)) over a 4S vector; other arrangements reserved. */
// @ts-ignore: decorator
@inline function acrossLanes(Q: u32, sz: u32, Rn: u32, Rd: u32, op: u32): void {
  if (!Q || sz) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const lo = fop32(op, lane32(Rn, 0), lane32(Rn, 1), 0);
  const hi = fop32(op, lane32(Rn, 2), lane32(Rn, 3), 0);
  setS(Rd, fop32(op, lo, hi, 0));
}

// ---- Vector three same ----

export function FMAXNM_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MAXNM);
}

export function FMLA_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MLA);
}

export function FADD_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_ADD);
}

export function FMULX_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MULX);
}

export function FCMEQ_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_CMEQ);
}

export function FMAX_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MAX);
}

export function FRECPS_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_RECPS);
}

export function FMINNM_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MINNM);
}

export function FMLS_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MLS);
}

export function FSUB_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_SUB);
}

export function FMIN_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MIN);
}

export function FRSQRTS_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_RSQRTS);
}

export function FMUL_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_MUL);
}

export function FCMGE_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_CMGE);
}

export function FACGE_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_ACGE);
}

export function FDIV_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_DIV);
}

export function FABD_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_ABD);
}

export function FCMGT_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_CMGT);
}

export function FACGT_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameVec(Q, sz, Rm, Rn, Rd, FOP_ACGT);
}

export function FMAXNMP_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  pairVec(Q, sz, Rm, Rn, Rd, FOP_MAXNM);
}

export function FADDP_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  pairVec(Q, sz, Rm, Rn, Rd, FOP_ADD);
}

export function FMAXP_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  pairVec(Q, sz, Rm, Rn, Rd, FOP_MAX);
}

export function FMINNMP_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  pairVec(Q, sz, Rm, Rn, Rd, FOP_MINNM);
}

export function FMINP_asimdsame(Q: u32, sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  pairVec(Q, sz, Rm, Rn, Rd, FOP_MIN);
}

// ---- Scalar three same ----

export function FMULX_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_MULX);
}

export function FCMEQ_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_CMEQ);
}

export function FRECPS_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_RECPS);
}

export function FRSQRTS_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_RSQRTS);
}

export function FCMGE_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_CMGE);
}

export function FACGE_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_ACGE);
}

export function FABD_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_ABD);
}

export function FCMGT_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_CMGT);
}

export function FACGT_asisdsame(sz: u32, Rm: u32, Rn: u32, Rd: u32): void {
  sameScalar(sz, Rm, Rn, Rd, FOP_ACGT);
}

// ---- Scalar pairwise ----

export function FMAXNMP_asisdpair(sz: u32, Rn: u32, Rd: u32): void {
  pairScalar(sz, Rn, Rd, FOP_MAXNM);
}

export function FADDP_asisdpair(sz: u32, Rn: u32, Rd: u32): void {
  pairScalar(sz, Rn, Rd, FOP_ADD);
}

export function FMAXP_asisdpair(sz: u32, Rn: u32, Rd: u32): void {
  pairScalar(sz, Rn, Rd, FOP_MAX);
}

export function FMINNMP_asisdpair(sz: u32, Rn: u32, Rd: u32): void {
  pairScalar(sz, Rn, Rd, FOP_MINNM);
}

export function FMINP_asisdpair(sz: u32, Rn: u32, Rd: u32): void {
  pairScalar(sz, Rn, Rd, FOP_MIN);
}

// ---- Across lanes ----

export function FMAXNMV_asimdall(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  acrossLanes(Q, sz, Rn, Rd, FOP_MAXNM);
}

export function FMAXV_asimdall(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  acrossLanes(Q, sz, Rn, Rd, FOP_MAX);
}

export function FMINNMV_asimdall(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  acrossLanes(Q, sz, Rn, Rd, FOP_MINNM);
}

export function FMINV_asimdall(Q: u32, sz: u32, Rn: u32, Rd: u32): void {
  acrossLanes(Q, sz, Rn, Rd, FOP_MIN);
}
