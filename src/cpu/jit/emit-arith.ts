// JIT emitters for the integer instructions a Linux boot handed to the interpreter most (the
// kernel's multi-precision and hashing code): ADC/ADCS/SBC/SBCS, UMULH/SMULH, REV/REV16/REV32,
// CLZ/CLS, and RBIT (with CLZ, the end of glibc's string functions: the index of the first
// matching byte). Each mirrors its handler in src/cpu/core/isa/dp_reg.ts.
import { type BlockCompiler, type Emitter, L_I0, L_T0, L_T1, L_T2, L_T3 } from "./compiler.ts";
import { fld } from "./emit-int.ts";
import { Op } from "./wasm.ts";

const M32 = 0xffff_ffffn;

/** Pushes PSTATE.C as an i64 0 or 1 (from the last flag-setting operation where it can: ADDS, SUBS, CMP, ANDS, ...). */
function carry(b: BlockCompiler): void {
  b.cond(2);
  b.c.op(Op.I64ExtendI32U);
}

/** ADC, ADCS, SBC, SBCS: Rn + (Rm or NOT Rm) + C. */
function addCarry(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const sub = fld(w, 30, 1);
  const S = fld(w, 29, 1);
  const Rd = fld(w, 0, 5);
  const c = b.c;
  const A = L_T0;
  const B = L_T1;
  const R = L_T2;
  b.r(sf, fld(w, 5, 5));
  c.set(A);
  b.r(sf, fld(w, 16, 5));
  if (sub) c.i64(sf ? -1n : M32).op(Op.I64Xor);
  c.set(B);
  c.get(A).get(B).op(Op.I64Add);
  carry(b);
  c.op(Op.I64Add).set(R); // sf = 0: the 33-bit sum
  if (S) {
    const top = BigInt(sf ? 63 : 31);
    const res = () => (sf ? c.get(R) : c.get(R).i64(M32).op(Op.I64And));
    // N
    res();
    c.i64(top).op(Op.I64ShrU, Op.I32WrapI64).i32(31).op(Op.I32Shl);
    // Z
    res();
    c.op(Op.I64Eqz).i32(30).op(Op.I32Shl, Op.I32Or);
    // C: the carry out (sf: r < a, or r == a with a carry in, which only b = NOT 0 allows)
    if (sf) {
      c.get(R).get(A).op(Op.I64LtU);
      c.get(R).get(A).op(Op.I64Eq);
      carry(b);
      c.op(Op.I32WrapI64, Op.I32And, Op.I32Or);
    } else c.get(R).i64(32n).op(Op.I64ShrU, Op.I32WrapI64);
    c.i32(29).op(Op.I32Shl, Op.I32Or);
    // V: the result's sign differs from both operands'
    c.get(A).get(R).op(Op.I64Xor).get(B).get(R).op(Op.I64Xor, Op.I64And);
    c.i64(top).op(Op.I64ShrU, Op.I32WrapI64).i32(1).op(Op.I32And).i32(28).op(Op.I32Shl, Op.I32Or);
    b.setNZCV();
  }
  c.get(R);
  b.setR(sf, Rd);
  return true;
}

/** UMULH, SMULH: the high 64 bits of the 128-bit product, from 32-bit partial products. */
function mulHigh(b: BlockCompiler, w: number): boolean {
  const signed = fld(w, 23, 1) === 0;
  const c = b.c;
  const [A, B, LH, HL] = [L_T0, L_T1, L_T2, L_T3];
  b.x(fld(w, 5, 5));
  c.set(A);
  b.x(fld(w, 16, 5));
  c.set(B);
  const lo = (l: number) => c.get(l).i64(M32).op(Op.I64And);
  const hi = (l: number) => c.get(l).i64(32n).op(Op.I64ShrU);
  lo(A);
  hi(B);
  c.op(Op.I64Mul).set(LH);
  hi(A);
  lo(B);
  c.op(Op.I64Mul).set(HL);
  // hh + (lh >> 32) + (hl >> 32) + (((ll >> 32) + (lh & M32) + (hl & M32)) >> 32)
  hi(A);
  hi(B);
  c.op(Op.I64Mul);
  hi(LH);
  c.op(Op.I64Add);
  hi(HL);
  c.op(Op.I64Add);
  lo(A);
  lo(B);
  c.op(Op.I64Mul).i64(32n).op(Op.I64ShrU);
  lo(LH);
  c.op(Op.I64Add);
  lo(HL);
  c.op(Op.I64Add).i64(32n).op(Op.I64ShrU, Op.I64Add);
  if (signed) {
    // Signed: subtract b when a < 0 and a when b < 0.
    c.get(B).get(A).i64(63n).op(Op.I64ShrS, Op.I64And, Op.I64Sub);
    c.get(A).get(B).i64(63n).op(Op.I64ShrS, Op.I64And, Op.I64Sub);
  }
  b.setX(fld(w, 0, 5));
  return true;
}

/** Swaps adjacent `bits`-bit fields of the i64 on the stack (mask: the low field of each pair). */
function swapFields(b: BlockCompiler, bits: bigint, mask: bigint): void {
  const c = b.c;
  c.tee(L_T0).i64(bits).op(Op.I64ShrU).i64(mask).op(Op.I64And);
  c.get(L_T0).i64(mask).op(Op.I64And).i64(bits).op(Op.I64Shl, Op.I64Or);
}

/** REV16, REV (32 and 64-bit), REV32. */
function rev(b: BlockCompiler, w: number, name: string): boolean {
  const sf = w >>> 31;
  const c = b.c;
  b.r(sf, fld(w, 5, 5));
  swapFields(b, 8n, 0x00ff_00ff_00ff_00ffn);
  if (name !== "REV16") swapFields(b, 16n, 0x0000_ffff_0000_ffffn);
  if (name === "REV_64") c.i64(32n).op(Op.I64Rotl);
  b.setR(sf, fld(w, 0, 5));
  return true;
}

/** RBIT: adjacent 1, 2, 4, 8 and 16-bit fields swapped, then (64-bit) the two halves. */
function rbit(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  b.r(sf, fld(w, 5, 5));
  swapFields(b, 1n, 0x5555_5555_5555_5555n);
  swapFields(b, 2n, 0x3333_3333_3333_3333n);
  swapFields(b, 4n, 0x0f0f_0f0f_0f0f_0f0fn);
  swapFields(b, 8n, 0x00ff_00ff_00ff_00ffn);
  swapFields(b, 16n, 0x0000_ffff_0000_ffffn);
  if (sf) b.c.i64(32n).op(Op.I64Rotl);
  b.setR(sf, fld(w, 0, 5));
  return true;
}

/** CLZ, CLS. */
function clz(b: BlockCompiler, w: number, cls: boolean): boolean {
  const sf = w >>> 31;
  const c = b.c;
  if (sf) {
    b.x(fld(w, 5, 5));
    if (cls) c.tee(L_T0).get(L_T0).i64(1n).op(Op.I64ShrS, Op.I64Xor);
    c.op(Op.I64Clz);
    if (cls) c.i64(1n).op(Op.I64Sub);
    b.setX(fld(w, 0, 5));
  } else {
    b.wreg(fld(w, 5, 5));
    if (cls) c.tee(L_I0).get(L_I0).i32(1).op(Op.I32ShrS, Op.I32Xor);
    c.op(Op.I32Clz);
    if (cls) c.i32(1).op(Op.I32Sub);
    b.setW(fld(w, 0, 5));
  }
  return true;
}

/** Integer emitters by op name. */
export const ARITH_EMITTERS: [string[], Emitter][] = [
  [["ADC", "ADCS", "SBC", "SBCS"], addCarry],
  [["UMULH", "SMULH"], mulHigh],
  ...["REV16", "REV_32", "REV32", "REV_64"].map((n): [string[], Emitter] => [[n], (b, w) => rev(b, w, n)]),
  [["RBIT"], rbit],
  [["CLZ"], (b, w) => clz(b, w, false)],
  [["CLS"], (b, w) => clz(b, w, true)],
];
