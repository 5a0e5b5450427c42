// JIT emitters for vector floating-point arithmetic (FADD, FSUB, FMUL, FDIV, FMLA; Arm ARM
// C7.2), mirroring src/cpu/core/isa/simd_fp_same.ts. Each is a guarded fast path: wasm's
// IEEE binary32/binary64 operations (round to nearest even) give the Arm result exactly when
//
// - FPCR is in its default mode: RMode = RN, FZ = FZ16 = DN = AHP = 0, no trap enabled;
// - FPSR.IXC is already set: the flag is cumulative, so whether this operation is inexact
//   need not be known;
// - no other exception can happen and no NaN is produced: every input is finite and the
//   result is finite and, where an underflow could otherwise be missed, larger in magnitude
//   than the smallest normal number (a sum that is subnormal or zero is exact, so FADD/FSUB
//   take any finite result).
//
// Otherwise the instruction runs in the interpreter (softfloat) before anything is written.
// FMLA (fused) is Boldo and Melquiond's emulation ("Emulation of a FMA and correctly rounded
// sums: proved algorithms using rounding to odd", IEEE TC 57(4), 2008): the product split
// exactly (Dekker), the sum with c split exactly (TwoSum), the two error terms added with
// rounding to odd, then one rounding to nearest; its guard also keeps every intermediate
// clear of overflow and underflow, where those algorithms are exact.
import { type BlockCompiler, type Emitter, L_V0 } from "./compiler.ts";
import { fld } from "./emit-int.ts";
import { Op, SimdOp } from "./wasm.ts";

/** FPCR bits that must be clear: AHP, DN, FZ, RMode, FZ16, IDE, IXE, UFE, OFE, DZE, IOE. */
const FPCR_NONDEFAULT = 0x07c8_9f00;
/** FPSR.IXC. */
const FPSR_IXC_BIT = 4;

/** Pushes the i32 guard on FPCR and FPSR (1: default mode, IXC set). */
function modeGuard(b: BlockCompiler): void {
  const c = b.c;
  c.i32(0).mem(Op.I32Load, b.L.FPCR_ADDR).i32(FPCR_NONDEFAULT).op(Op.I32And, Op.I32Eqz);
  c.i32(0).mem(Op.I32Load, b.L.FPSR_ADDR).i32(FPSR_IXC_BIT).op(Op.I32ShrU, Op.I32And);
}

/** Lane format: double (2D) or single (2S/4S) precision. */
interface Fmt {
  abs: SimdOp;
  eq: SimdOp;
  lt: SimdOp;
  gt: SimdOp;
  allTrue: SimdOp;
  /** A 64-bit half holding the value in every lane. */
  splat: (bits: bigint) => bigint;
  inf: bigint;
  minNormal: bigint;
}
const F64: Fmt = {
  abs: SimdOp.F64x2Abs,
  eq: SimdOp.F64x2Eq,
  lt: SimdOp.F64x2Lt,
  gt: SimdOp.F64x2Gt,
  allTrue: SimdOp.I64x2AllTrue,
  splat: (x) => x,
  inf: 0x7ff0_0000_0000_0000n,
  minNormal: 0x0010_0000_0000_0000n,
};
const F32: Fmt = {
  abs: SimdOp.F32x4Abs,
  eq: SimdOp.F32x4Eq,
  lt: SimdOp.F32x4Lt,
  gt: SimdOp.F32x4Gt,
  allTrue: SimdOp.I32x4AllTrue,
  splat: (x) => (x << 32n) | x,
  inf: 0x7f80_0000n,
  minNormal: 0x0080_0000n,
};
/** binary64 2^e as bits. */
const pow2 = (e: number): bigint => BigInt(e + 1023) << 52n;

function vconst(b: BlockCompiler, f: Fmt, bits: bigint): void {
  const h = f.splat(bits);
  b.c.v128(h, h);
}

/** Pushes a lane mask: |local| < hi (bits), and > lo when given. */
function inRange(b: BlockCompiler, f: Fmt, local: number, hi: bigint, lo?: bigint): void {
  const c = b.c;
  c.get(local).simd(f.abs);
  vconst(b, f, hi);
  c.simd(f.lt);
  if (lo !== undefined) {
    c.get(local).simd(f.abs);
    vconst(b, f, lo);
    c.simd(f.gt, SimdOp.V128And);
  }
}

/** Pushes a lane mask: the local is ±0. */
function isZero(b: BlockCompiler, f: Fmt, local: number): void {
  b.c.get(local).v128(0n, 0n).simd(f.eq);
}

/**
 * Ends a guarded operation: the lane masks pushed so far (`masks` of them) must all be true
 * (in the lanes the arrangement uses) and the mode guard hold; then the result in `result`
 * goes to Vd, else the interpreter runs the instruction.
 */
function commit(b: BlockCompiler, f: Fmt, masks: number, Q: number, result: number, Rd: number): void {
  const c = b.c;
  for (let i = 1; i < masks; i++) c.simd(SimdOp.V128And);
  if (!Q) c.v128(0n, -1n).simd(SimdOp.V128Or);
  c.simd(f.allTrue);
  modeGuard(b);
  c.op(Op.I32And);
  b.if(1);
  c.get(result);
  b.setVQ(Rd, Q);
  b.else();
  b.fallbackFp();
  b.end();
}

/** Loads Vn into a local. */
function load(b: BlockCompiler, n: number, local: number): void {
  b.v(n);
  b.c.set(local);
}

type Arith = "add" | "sub" | "mul" | "div";
const OPS: Record<Arith, [SimdOp, SimdOp]> = {
  add: [SimdOp.F64x2Add, SimdOp.F32x4Add],
  sub: [SimdOp.F64x2Sub, SimdOp.F32x4Sub],
  mul: [SimdOp.F64x2Mul, SimdOp.F32x4Mul],
  div: [SimdOp.F64x2Div, SimdOp.F32x4Div],
};

/** FADD, FSUB, FMUL, FDIV (vector). */
function arith(b: BlockCompiler, w: number, kind: Arith): boolean {
  const Q = fld(w, 30, 1);
  const sz = fld(w, 22, 1);
  if (sz && !Q) return false; // reserved: UNDEFINED in the interpreter
  const f = sz ? F64 : F32;
  const A = L_V0;
  const B = L_V0 + 1;
  const R = L_V0 + 2;
  b.fp();
  load(b, fld(w, 5, 5), A);
  load(b, fld(w, 16, 5), B);
  b.c
    .get(A)
    .get(B)
    .simd(OPS[kind][sz ? 0 : 1])
    .set(R);
  inRange(b, f, A, f.inf);
  inRange(b, f, B, f.inf);
  inRange(b, f, R, f.inf);
  if (kind !== "add" && kind !== "sub") {
    // A product or quotient must be normal, or an exact zero: a zero factor (or dividend;
    // the divisor is then non-zero as the result is finite).
    inRange(b, f, R, f.inf, f.minNormal);
    isZero(b, f, A);
    if (kind === "mul") {
      isZero(b, f, B);
      b.c.simd(SimdOp.V128Or);
    }
    b.c.simd(SimdOp.V128Or, SimdOp.V128And);
  }
  commit(b, f, 3, Q, R, fld(w, 0, 5));
  return true;
}

/** FMLA (vector), 2D: Vd + Vn × Vm with one rounding. */
function fmla(b: BlockCompiler, w: number): boolean {
  const Q = fld(w, 30, 1);
  const sz = fld(w, 22, 1);
  if (!sz || !Q) return false;
  const c = b.c;
  const [A, B, C, AH, BH, P, E, TH, TL, S] = Array.from({ length: 10 }, (_, i) => L_V0 + i);
  const k = (bits: bigint) => c.v128(bits, bits);
  const SPLIT = 0x41a0_0000_2000_0000n; // 2^27 + 1
  b.fp();
  load(b, fld(w, 5, 5), A);
  load(b, fld(w, 16, 5), B);
  load(b, fld(w, 0, 5), C);
  // Dekker's split: x = xh + xl with 26-bit halves (xh = g - (g - x), g = (2^27 + 1) x).
  for (const [x, h] of [
    [A, AH],
    [B, BH],
  ]) {
    k(SPLIT);
    c.get(x).simd(SimdOp.F64x2Mul).tee(h);
    k(SPLIT);
    c.get(x).simd(SimdOp.F64x2Mul).get(x).simd(SimdOp.F64x2Sub, SimdOp.F64x2Sub).set(h);
  }
  // p = RN(a b); e = a b - p exactly: ((ah bh - p) + ah bl + al bh) + al bl, xl = x - xh.
  c.get(A).get(B).simd(SimdOp.F64x2Mul).set(P);
  c.get(AH).get(BH).simd(SimdOp.F64x2Mul).get(P).simd(SimdOp.F64x2Sub);
  c.get(AH).get(B).get(BH).simd(SimdOp.F64x2Sub, SimdOp.F64x2Mul, SimdOp.F64x2Add);
  c.get(A).get(AH).simd(SimdOp.F64x2Sub).get(BH).simd(SimdOp.F64x2Mul, SimdOp.F64x2Add);
  c.get(A).get(AH).simd(SimdOp.F64x2Sub).get(B).get(BH).simd(SimdOp.F64x2Sub, SimdOp.F64x2Mul, SimdOp.F64x2Add);
  c.set(E);
  // TwoSum: th = RN(c + p), tl = c + p - th exactly (AH, BH reused as scratch).
  twoSum(b, C, P, TH, TL, AH);
  // s = RO(tl + e): RN, then, when inexact and even, the neighbour towards the exact sum.
  twoSum(b, TL, E, S, BH, AH);
  c.get(S);
  c.get(S).get(BH).simd(SimdOp.V128Xor).i32(63).simd(SimdOp.I64x2ShrS);
  k(1n);
  c.simd(SimdOp.V128Or);
  c.get(BH).v128(0n, 0n).simd(SimdOp.F64x2Ne);
  c.get(S);
  k(1n);
  c.simd(SimdOp.V128And).v128(0n, 0n).simd(SimdOp.I64x2Eq, SimdOp.V128And, SimdOp.V128And, SimdOp.I64x2Add);
  // z = RN(th + s), into AH.
  c.get(TH).simd(SimdOp.F64x2Add).set(AH);
  // Guard: operands, product, addend and result far from overflow and underflow, or a zero
  // factor (then p = e = 0 and z = c exactly).
  inRange(b, F64, A, pow2(900));
  inRange(b, F64, B, pow2(900));
  inRange(b, F64, A, pow2(900), pow2(-900));
  inRange(b, F64, B, pow2(900), pow2(-900));
  inRange(b, F64, P, pow2(1000), pow2(-900));
  c.simd(SimdOp.V128And, SimdOp.V128And);
  isZero(b, F64, A);
  isZero(b, F64, B);
  c.simd(SimdOp.V128Or, SimdOp.V128Or);
  inRange(b, F64, C, pow2(1000), pow2(-900));
  inRange(b, F64, AH, pow2(1000), pow2(-1000));
  commit(b, F64, 5, Q, AH, fld(w, 0, 5));
  return true;
}

/** Knuth's TwoSum: s = RN(x + y), t = x + y - s exactly; `tmp` is scratch. */
function twoSum(b: BlockCompiler, x: number, y: number, s: number, t: number, tmp: number): void {
  const c = b.c;
  c.get(x).get(y).simd(SimdOp.F64x2Add).tee(s);
  c.get(x).simd(SimdOp.F64x2Sub).set(tmp); // y' = s - x
  // t = (x - (s - y')) + (y - y')
  c.get(x).get(s).get(tmp).simd(SimdOp.F64x2Sub, SimdOp.F64x2Sub);
  c.get(y).get(tmp).simd(SimdOp.F64x2Sub, SimdOp.F64x2Add).set(t);
}

/** Vector FP emitters by op name. */
export const FP_EMITTERS: [string[], Emitter][] = [
  [["FADD_asimdsame"], (b, w) => arith(b, w, "add")],
  [["FSUB_asimdsame"], (b, w) => arith(b, w, "sub")],
  [["FMUL_asimdsame"], (b, w) => arith(b, w, "mul")],
  [["FDIV_asimdsame"], (b, w) => arith(b, w, "div")],
  [["FMLA_asimdsame"], fmla],
];
