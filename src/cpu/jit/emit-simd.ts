// JIT emitters for the SIMD&FP instructions compiled code meets most: moves between general
// and FP registers, bitwise and integer add/sub on vectors, shifts by immediate. Vector
// registers stay in core memory (V_BASE); wasm SIMD does the lane arithmetic. Mirrors
// src/cpu/core/isa/fp_cvt.ts, fp_dp.ts, simd_int_same.ts and simd_shift.ts.
import { type BlockCompiler, type Emitter } from "./compiler.ts";
import { fld } from "./emit-int.ts";
import { Op, SimdOp } from "./wasm.ts";

/** Address of Vn's low byte in core memory. */
const vAddr = (b: BlockCompiler, n: number): number => b.L.V_BASE + 16 * n;

/** Pops an i64 into the low half of Vd and clears the high half (scalar writes). */
function setD(b: BlockCompiler, d: number, value: () => void): void {
  const c = b.c;
  c.i32(0);
  value();
  c.mem(Op.I64Store, vAddr(b, d));
  c.i32(0)
    .i64(0n)
    .mem(Op.I64Store, vAddr(b, d) + 8);
}

/** FMOV Wd, Sn / FMOV Xd, Dn. */
function fmovToGeneral(b: BlockCompiler, w: number, wide: boolean): boolean {
  b.fp();
  b.c.i32(0).mem(wide ? Op.I64Load : Op.I64Load32U, vAddr(b, fld(w, 5, 5)));
  b.setX(fld(w, 0, 5));
  return true;
}

/** FMOV Sd, Wn / FMOV Dd, Xn. */
function fmovFromGeneral(b: BlockCompiler, w: number, wide: boolean): boolean {
  b.fp();
  setD(b, fld(w, 0, 5), () => {
    b.x(fld(w, 5, 5));
    if (!wide) b.c.i64(0xffffffffn).op(Op.I64And);
  });
  return true;
}

/** FMOV (register): Sd = Sn or Dd = Dn. */
function fmovReg(b: BlockCompiler, w: number): boolean {
  const ftype = fld(w, 22, 1);
  b.fp();
  setD(b, fld(w, 0, 5), () => b.c.i32(0).mem(ftype ? Op.I64Load : Op.I64Load32U, vAddr(b, fld(w, 5, 5))));
  return true;
}

/** Stores the v128 on the stack into Vd (address pushed by the caller first); Q = 0 clears the high half. */
function finishV(b: BlockCompiler, d: number, Q: number): void {
  b.c.simdMem(SimdOp.V128Store, vAddr(b, d));
  if (!Q)
    b.c
      .i32(0)
      .i64(0n)
      .mem(Op.I64Store, vAddr(b, d) + 8);
}

function loadV(b: BlockCompiler, n: number): void {
  b.c.i32(0).simdMem(SimdOp.V128Load, vAddr(b, n));
}

/** Three-same bitwise and add/sub on whole vectors. */
function vecSame(b: BlockCompiler, w: number, name: string): boolean {
  const Q = fld(w, 30, 1);
  const size = fld(w, 22, 2);
  const Rm = fld(w, 16, 5);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  const c = b.c;
  let ops: SimdOp[];
  let swap = false;
  switch (name) {
    case "AND_asimdsame_only":
      ops = [SimdOp.V128And];
      break;
    case "ORR_asimdsame_only":
      ops = [SimdOp.V128Or];
      break;
    case "EOR_asimdsame_only":
      ops = [SimdOp.V128Xor];
      break;
    case "BIC_asimdsame_only":
      ops = [SimdOp.V128AndNot];
      break;
    case "ORN_asimdsame_only":
      ops = [SimdOp.V128Not, SimdOp.V128Or];
      swap = true;
      break;
    case "ADD_asimdsame_only":
    case "SUB_asimdsame_only": {
      if (size === 3 && !Q) return false;
      const add = name.startsWith("ADD");
      ops = [
        add
          ? [SimdOp.I8x16Add, SimdOp.I16x8Add, SimdOp.I32x4Add, SimdOp.I64x2Add][size]
          : [SimdOp.I8x16Sub, SimdOp.I16x8Sub, SimdOp.I32x4Sub, SimdOp.I64x2Sub][size],
      ];
      break;
    }
    default:
      return false;
  }
  b.fp();
  c.i32(0);
  if (swap) {
    // ORN: Vn | ~Vm
    loadV(b, Rm);
    c.simd(ops[0]);
    loadV(b, Rn);
    c.simd(ops[1]);
  } else {
    loadV(b, Rn);
    loadV(b, Rm);
    for (const o of ops) c.simd(o);
  }
  finishV(b, Rd, Q);
  return true;
}

/** SHL, USHR, SSHR (vector, by immediate). */
function vecShift(b: BlockCompiler, w: number, name: string): boolean {
  const Q = fld(w, 30, 1);
  const immh = fld(w, 19, 4);
  const immhb = fld(w, 16, 7);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (immh === 0 || (immh & 8 && !Q)) return false;
  const lg = 31 - Math.clz32(immh); // 0..3: 8, 16, 32, 64-bit lanes
  const esize = 8 << lg;
  const c = b.c;
  let op: SimdOp;
  let amount: number;
  if (name === "SHL_v") {
    amount = immhb - esize;
    op = [SimdOp.I8x16Shl, SimdOp.I16x8Shl, SimdOp.I32x4Shl, SimdOp.I64x2Shl][lg];
  } else {
    amount = 2 * esize - immhb;
    op =
      name === "USHR_v"
        ? [SimdOp.I8x16ShrU, SimdOp.I16x8ShrU, SimdOp.I32x4ShrU, SimdOp.I64x2ShrU][lg]
        : [SimdOp.I8x16ShrS, SimdOp.I16x8ShrS, SimdOp.I32x4ShrS, SimdOp.I64x2ShrS][lg];
    // wasm takes shift counts modulo the lane width: a full-width shift is esize - 1 for
    // SSHR (sign fill) and zero for USHR.
    if (amount === esize) {
      if (name === "USHR_v") {
        b.fp();
        c.i32(0);
        loadV(b, Rn);
        loadV(b, Rn);
        c.simd(SimdOp.V128Xor);
        finishV(b, Rd, Q);
        return true;
      }
      amount = esize - 1;
    }
  }
  b.fp();
  c.i32(0);
  loadV(b, Rn);
  c.i32(amount);
  c.simd(op);
  finishV(b, Rd, Q);
  return true;
}

const named =
  (f: (b: BlockCompiler, w: number, name: string) => boolean, name: string): Emitter =>
  (b, w) =>
    f(b, w, name);

const SAME = ["AND", "ORR", "EOR", "BIC", "ORN", "ADD", "SUB"].map((n) => `${n}_asimdsame_only`);

/** SIMD&FP emitters by op name. */
export const SIMD_EMITTERS: [string[], Emitter][] = [
  [["FMOV_w_s"], (b, w) => fmovToGeneral(b, w, false)],
  [["FMOV_x_d"], (b, w) => fmovToGeneral(b, w, true)],
  [["FMOV_s_w"], (b, w) => fmovFromGeneral(b, w, false)],
  [["FMOV_d_x"], (b, w) => fmovFromGeneral(b, w, true)],
  [["FMOV_reg"], fmovReg],
  ...SAME.map((n): [string[], Emitter] => [[n], named(vecSame, n)]),
  ...["SHL_v", "USHR_v", "SSHR_v"].map((n): [string[], Emitter] => [[n], named(vecShift, n)]),
];
