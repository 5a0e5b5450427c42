// NZCV in the JIT (compiler.ts): a flag-setting instruction leaves its operands in L_FA and L_FB
// and its result in L_FR and records its kind at compile time; N, Z, C and V are computed into
// L_NZCV (materialised) only where the packed value is needed. A condition that follows the
// operation is evaluated from its operands directly where the kind allows it.
import { type Code, Op } from "./wasm.ts";

/** Operands and result of the last flag-setting instruction (i64, 32-bit values zero-extended). */
export const L_FA = 40;
export const L_FB = 41;
export const L_FR = 42;
/** NZCV in bits 31..28 (i32). */
export const L_NZCV = 44;

export type FlagKind = "sub" | "add" | "logic";

/** The last flag-setting operation: its kind and width (sf). */
export interface FlagOp {
  kind: FlagKind;
  sf: number;
}

/**
 * Condition truth tables indexed by NZCV (bits 3..0 = N Z C V), one 16-bit mask per condition
 * code (Arm ARM ConditionHolds).
 */
const COND_TABLE: number[] = (() => {
  const t: number[] = [];
  for (let cond = 0; cond < 16; cond++) {
    let mask = 0;
    for (let f = 0; f < 16; f++) {
      const n = (f >> 3) & 1;
      const z = (f >> 2) & 1;
      const c = (f >> 1) & 1;
      const v = f & 1;
      let r: boolean;
      switch (cond >> 1) {
        case 0:
          r = z === 1;
          break;
        case 1:
          r = c === 1;
          break;
        case 2:
          r = n === 1;
          break;
        case 3:
          r = v === 1;
          break;
        case 4:
          r = c === 1 && z === 0;
          break;
        case 5:
          r = n === v;
          break;
        case 6:
          r = n === v && z === 0;
          break;
        default:
          r = true;
      }
      if (cond & 1 && cond !== 15) r = !r;
      if (r) mask |= 1 << f;
    }
    t.push(mask);
  }
  return t;
})();

/** Computes NZCV from the operation in L_FA, L_FB and L_FR into L_NZCV (stack-neutral). */
export function materialise(c: Code, { kind, sf }: FlagOp): void {
  const top = sf ? 63n : 31n;
  // N
  c.get(L_FR).i64(top).op(Op.I64ShrU, Op.I32WrapI64).i32(31).op(Op.I32Shl);
  // Z
  c.get(L_FR).op(Op.I64Eqz).i32(30).op(Op.I32Shl, Op.I32Or);
  if (kind !== "logic") {
    // C
    if (kind === "sub") c.get(L_FA).get(L_FB).op(Op.I64GeU);
    else if (sf) c.get(L_FR).get(L_FA).op(Op.I64LtU);
    else c.get(L_FA).get(L_FB).op(Op.I64Add).i64(32n).op(Op.I64ShrU, Op.I32WrapI64);
    c.i32(29).op(Op.I32Shl, Op.I32Or);
    // V: sub: (a ^ b) & (a ^ r); add: ~(a ^ b) & (a ^ r)
    c.get(L_FA).get(L_FB).op(Op.I64Xor);
    if (kind === "add") c.i64(-1n).op(Op.I64Xor);
    c.get(L_FA)
      .get(L_FR)
      .op(Op.I64Xor, Op.I64And)
      .i64(top)
      .op(Op.I64ShrU, Op.I32WrapI64)
      .i32(1)
      .op(Op.I32And)
      .i32(28)
      .op(Op.I32Shl, Op.I32Or);
  }
  c.set(L_NZCV);
}

/**
 * Pushes ConditionHolds(cond) (cond < 14) as an i32 0 or 1 computed from the operation `l`
 * directly; returns false, having emitted nothing, when its kind does not allow it.
 */
export function fusedCond(c: Code, cond: number, l: FlagOp): boolean {
  const signedR = (o64: Op, o32: Op) => {
    c.get(L_FR);
    if (l.sf) c.i64(0n).op(o64);
    else c.op(Op.I32WrapI64).i32(0).op(o32);
  };
  const base = cond >> 1;
  if (l.kind === "sub") {
    const cmp = [Op.I64Eq, Op.I64GeU, -1, -1, Op.I64GtU, Op.I64GeS, Op.I64GtS][base];
    if (base === 2) signedR(Op.I64LtS, Op.I32LtS);
    else if (cmp === Op.I64GeS || cmp === Op.I64GtS) {
      c.get(L_FA);
      if (!l.sf) c.op(Op.I32WrapI64);
      c.get(L_FB);
      if (!l.sf) c.op(Op.I32WrapI64);
      c.op(l.sf ? cmp : cmp === Op.I64GeS ? Op.I32GeS : Op.I32GtS);
    } else if (cmp !== undefined && cmp >= 0) c.get(L_FA).get(L_FB).op(cmp);
    else return false;
  } else if (l.kind === "logic") {
    // C and V are 0.
    if (base === 0) c.get(L_FR).op(Op.I64Eqz);
    else if (base === 1 || base === 3 || base === 4) c.i32(0);
    else if (base === 2) signedR(Op.I64LtS, Op.I32LtS);
    else if (base === 5) signedR(Op.I64GeS, Op.I32GeS);
    else if (base === 6) signedR(Op.I64GtS, Op.I32GtS);
    else return false;
  } else {
    // C, the carry out: the result (reduced to the width) is below an operand.
    const carry = () => c.get(L_FR).get(L_FA).op(Op.I64LtU);
    if (base === 0) c.get(L_FR).op(Op.I64Eqz);
    else if (base === 1) carry();
    else if (base === 2) signedR(Op.I64LtS, Op.I32LtS);
    else if (base === 4) {
      carry();
      c.get(L_FR).i64(0n).op(Op.I64Ne, Op.I32And);
    } else return false;
  }
  if (cond & 1) c.op(Op.I32Eqz);
  return true;
}

/** Pushes ConditionHolds(cond) as an i32 0 or 1 from L_NZCV. */
export function tableCond(c: Code, cond: number): void {
  c.i32(COND_TABLE[cond]).get(L_NZCV).i32(28).op(Op.I32ShrU, Op.I32ShrU).i32(1).op(Op.I32And);
}
