// JIT emitters for integer data processing and branches (Arm ARM C4.1.64, C4.1.65, C4.1.67).
// Each mirrors its interpreter handler in src/cpu/core/isa (dp_imm.ts, dp_reg.ts, branch.ts);
// encodings the handler treats as UNDEFINED are left to the interpreter (the emitter declines).
import { decodeBitMask } from "../disasm/fmt.ts";
import { type BlockCompiler, type Emitter, L_I0, L_T0 } from "./compiler.ts";
import { Op, T } from "./wasm.ts";

/** Field of w at bit `pos`, `width` bits wide. */
export const fld = (w: number, pos: number, width: number): number => (w >>> pos) & ((1 << width) - 1);
/** Sign-extends the low `bits` of v. */
export const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

const M32 = 0xffffffffn;

/** Applies ShiftReg(type, amount) to the value on the stack (i64 when sf, else i32). */
function shiftOp(b: BlockCompiler, sf: number, type: number, amount: number): void {
  if (amount === 0) return;
  const c = b.c;
  if (sf) {
    c.i64(BigInt(amount));
    c.op([Op.I64Shl, Op.I64ShrU, Op.I64ShrS, Op.I64Rotr][type]);
  } else {
    c.i32(amount);
    c.op([Op.I32Shl, Op.I32ShrU, Op.I32ShrS, Op.I32Rotr][type]);
  }
}

/** Pushes Rn (sf: i64, else i32), register 31 being ZR. */
function reg(b: BlockCompiler, sf: number, n: number): void {
  if (sf) b.x(n);
  else b.wreg(n);
}

/** Pops a value (sf: i64, else i32) into Rd, register 31 being ZR. */
function setReg(b: BlockCompiler, sf: number, d: number): void {
  if (sf) b.setX(d);
  else b.setW(d);
}

/** Widens an i32 on the stack to i64 (zero-extended) when !sf. */
function widen(b: BlockCompiler, sf: number): void {
  if (!sf) b.c.op(Op.I64ExtendI32U);
}

/** Flag-setting add/sub of operand a (pushed by pa, i64, zero-extended when !sf) and b (pb). */
function addSubFlags(b: BlockCompiler, sf: number, sub: boolean, d: number, pa: () => void, pb: () => void): void {
  pa();
  pb();
  b.flagOperands();
  b.pushFA().pushFB();
  b.c.op(sub ? Op.I64Sub : Op.I64Add);
  b.flagResult(sf);
  b.setX(d);
  b.setFlags(sub ? "sub" : "add", sf);
}

function addSubImm(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const sub = (w >>> 30) & 1;
  const S = (w >>> 29) & 1;
  const imm = BigInt(fld(w, 10, 12) << (fld(w, 22, 1) * 12));
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (S) {
    addSubFlags(
      b,
      sf,
      !!sub,
      Rd,
      () => b.r(sf, Rn, true),
      () => b.c.i64(imm),
    );
  } else {
    b.xsp(Rn);
    b.c.i64(imm).op(sub ? Op.I64Sub : Op.I64Add);
    b.setR(sf, Rd, true);
  }
  return true;
}

function logicalShift(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const opc = fld(w, 29, 2);
  const type = fld(w, 22, 2);
  const N = fld(w, 21, 1);
  const Rm = fld(w, 16, 5);
  const imm6 = fld(w, 10, 6);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (!sf && imm6 >= 32) return false;
  const c = b.c;
  reg(b, sf, Rn);
  reg(b, sf, Rm);
  shiftOp(b, sf, type, imm6);
  if (N) {
    if (sf) c.i64(-1n).op(Op.I64Xor);
    else c.i32(-1).op(Op.I32Xor);
  }
  const ops = sf ? [Op.I64And, Op.I64Or, Op.I64Xor, Op.I64And] : [Op.I32And, Op.I32Or, Op.I32Xor, Op.I32And];
  c.op(ops[opc]);
  if (opc === 3) {
    widen(b, sf);
    b.flagResult(1);
    b.setX(Rd);
    b.setFlags("logic", sf);
  } else {
    setReg(b, sf, Rd);
  }
  return true;
}

function addSubShift(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const sub = (w >>> 30) & 1;
  const S = (w >>> 29) & 1;
  const type = fld(w, 22, 2);
  const Rm = fld(w, 16, 5);
  const imm6 = fld(w, 10, 6);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (type === 3 || (!sf && imm6 >= 32)) return false;
  const opnd = () => {
    reg(b, sf, Rm);
    shiftOp(b, sf, type, imm6);
    widen(b, sf);
  };
  if (S) {
    addSubFlags(b, sf, !!sub, Rd, () => b.r(sf, Rn), opnd);
  } else if (sf) {
    b.x(Rn);
    opnd();
    b.c.op(sub ? Op.I64Sub : Op.I64Add);
    b.setX(Rd);
  } else {
    b.wreg(Rn);
    reg(b, 0, Rm);
    shiftOp(b, 0, type, imm6);
    b.c.op(sub ? Op.I32Sub : Op.I32Add);
    b.setW(Rd);
  }
  return true;
}

/** Pushes ExtendReg(Xm, option, shift) as i64. */
function extendReg(b: BlockCompiler, Rm: number, option: number, shift: number): void {
  const c = b.c;
  b.x(Rm);
  switch (option) {
    case 0:
      c.i64(0xffn).op(Op.I64And);
      break;
    case 1:
      c.i64(0xffffn).op(Op.I64And);
      break;
    case 2:
      c.i64(M32).op(Op.I64And);
      break;
    case 4:
      c.op(Op.I64Extend8S);
      break;
    case 5:
      c.op(Op.I64Extend16S);
      break;
    case 6:
      c.op(Op.I64Extend32S);
      break;
  }
  if (shift) c.i64(BigInt(shift)).op(Op.I64Shl);
}

function addSubExt(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const sub = (w >>> 30) & 1;
  const S = (w >>> 29) & 1;
  const Rm = fld(w, 16, 5);
  const option = fld(w, 13, 3);
  const imm3 = fld(w, 10, 3);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (imm3 > 4) return false;
  if (S) {
    addSubFlags(
      b,
      sf,
      !!sub,
      Rd,
      () => b.r(sf, Rn, true),
      () => {
        extendReg(b, Rm, option, imm3);
        if (!sf) b.c.i64(M32).op(Op.I64And);
      },
    );
  } else {
    b.xsp(Rn);
    extendReg(b, Rm, option, imm3);
    b.c.op(sub ? Op.I64Sub : Op.I64Add);
    b.setR(sf, Rd, true);
  }
  return true;
}

function logicalImm(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const opc = fld(w, 29, 2);
  const N = fld(w, 22, 1);
  const immr = fld(w, 16, 6);
  const imms = fld(w, 10, 6);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  const imm = decodeBitMask(1, N, immr, imms);
  if (imm === null || N > sf) return false;
  b.x(Rn);
  b.c.i64(imm).op([Op.I64And, Op.I64Or, Op.I64Xor, Op.I64And][opc]);
  if (opc === 3) {
    b.flagResult(sf);
    b.setX(Rd);
    b.setFlags("logic", sf);
  } else {
    b.setR(sf, Rd, true);
  }
  return true;
}

function moveWide(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const opc = fld(w, 29, 2);
  const hw = fld(w, 21, 2);
  const imm16 = BigInt(fld(w, 5, 16));
  const Rd = fld(w, 0, 5);
  if (opc === 1 || (!sf && hw >= 2)) return false;
  const sh = BigInt(hw * 16);
  const c = b.c;
  if (opc === 0) c.i64(~(imm16 << sh) & (sf ? -1n : M32));
  else if (opc === 2) c.i64(imm16 << sh);
  else {
    b.x(Rd);
    c.i64(~(0xffffn << sh))
      .op(Op.I64And)
      .i64(imm16 << sh)
      .op(Op.I64Or);
    if (!sf) c.i64(M32).op(Op.I64And);
  }
  b.setX(Rd);
  return true;
}

function adr(b: BlockCompiler, w: number): boolean {
  const page = w >>> 31;
  const imm = BigInt(sext((fld(w, 5, 19) << 2) | fld(w, 29, 2), 21));
  const Rd = fld(w, 0, 5);
  b.pcPlus(0);
  if (page)
    b.c
      .i64(~0xfffn)
      .op(Op.I64And)
      .i64(imm << 12n)
      .op(Op.I64Add);
  else b.c.i64(imm).op(Op.I64Add);
  b.setX(Rd);
  return true;
}

function bitfield(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const opc = fld(w, 29, 2);
  const N = fld(w, 22, 1);
  const immr = fld(w, 16, 6);
  const imms = fld(w, 10, 6);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (opc === 3 || sf !== N || (!sf && (immr | imms) & 0x20)) return false;
  const c = b.c;
  const top = sf ? 63 : 31;
  const cst = (v: number) => (sf ? c.i64(BigInt(v)) : c.i32(v));
  const [shl, shrU, shrS, and, or] = sf
    ? [Op.I64Shl, Op.I64ShrU, Op.I64ShrS, Op.I64And, Op.I64Or]
    : [Op.I32Shl, Op.I32ShrU, Op.I32ShrS, Op.I32And, Op.I32Or];
  if (opc === 1) {
    // BFM: insert into the old Rd.
    const ones = sf ? (1n << 64n) - 1n : M32;
    let mask: bigint;
    reg(b, sf, Rn);
    if (imms >= immr) {
      mask = ones >> BigInt(top - imms + immr);
      cst(immr).op(shrU);
    } else {
      const pos = top + 1 - immr;
      mask = ((ones >> BigInt(top - imms)) << BigInt(pos)) & ones;
      cst(pos).op(shl);
    }
    if (sf) c.i64(mask).op(and);
    else c.i32(Number(mask) | 0).op(and);
    reg(b, sf, Rd);
    if (sf) c.i64(~mask).op(and);
    else c.i32(~Number(mask)).op(and);
    c.op(or);
    setReg(b, sf, Rd);
    return true;
  }
  const shr = opc === 0 ? shrS : shrU;
  reg(b, sf, Rn);
  if (opc === 2 && imms < immr) {
    // LSL (imms + 1 = immr: the bits shifted out are the ones cleared) and UBFIZ: mask, shift.
    if (imms + 1 !== immr) {
      const mask = (1n << BigInt(imms + 1)) - 1n;
      if (sf) c.i64(mask).op(and);
      else c.i32(Number(mask) | 0).op(and);
    }
    cst(top + 1 - immr).op(shl);
    setReg(b, sf, Rd);
    return true;
  }
  if (top - imms) cst(top - imms).op(shl);
  if (imms >= immr) {
    cst(top - imms + immr).op(shr);
  } else {
    cst(top - imms).op(shr);
    cst(top + 1 - immr).op(shl);
  }
  setReg(b, sf, Rd);
  return true;
}

function extr(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const N = fld(w, 22, 1);
  const Rm = fld(w, 16, 5);
  const imms = fld(w, 10, 6);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (sf !== N || fld(w, 21, 1) || (!sf && imms >= 32)) return false;
  const c = b.c;
  if (Rn === Rm) {
    // ROR (immediate).
    reg(b, sf, Rn);
    if (sf) c.i64(BigInt(imms)).op(Op.I64Rotr);
    else c.i32(imms).op(Op.I32Rotr);
    setReg(b, sf, Rd);
    return true;
  }
  if (sf) {
    b.x(Rm);
    c.i64(BigInt(imms)).op(Op.I64ShrU);
    b.x(Rn);
    c.i64(1n)
      .op(Op.I64Shl)
      .i64(BigInt(63 - imms))
      .op(Op.I64Shl, Op.I64Or);
    b.setX(Rd);
  } else {
    b.x(Rn);
    c.i64(32n).op(Op.I64Shl);
    b.x(Rm);
    c.i64(M32).op(Op.I64And, Op.I64Or).i64(BigInt(imms)).op(Op.I64ShrU, Op.I32WrapI64);
    b.setW(Rd);
  }
  return true;
}

function mulAdd(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const op31 = fld(w, 21, 3);
  const Rm = fld(w, 16, 5);
  const o0 = fld(w, 15, 1);
  const Ra = fld(w, 10, 5);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  const c = b.c;
  if (op31 === 0) {
    reg(b, sf, Ra);
    reg(b, sf, Rn);
    reg(b, sf, Rm);
    c.op(sf ? Op.I64Mul : Op.I32Mul, sf ? (o0 ? Op.I64Sub : Op.I64Add) : o0 ? Op.I32Sub : Op.I32Add);
    setReg(b, sf, Rd);
    return true;
  }
  if (!sf || (op31 !== 1 && op31 !== 5)) return false;
  const ext = op31 === 1 ? Op.I64ExtendI32S : Op.I64ExtendI32U;
  b.x(Ra);
  b.wreg(Rn);
  c.op(ext);
  b.wreg(Rm);
  c.op(ext, Op.I64Mul, o0 ? Op.I64Sub : Op.I64Add);
  b.setX(Rd);
  return true;
}

function dp2(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const Rm = fld(w, 16, 5);
  const opcode = fld(w, 10, 6);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  const c = b.c;
  if (opcode >= 8 && opcode <= 11) {
    reg(b, sf, Rn);
    reg(b, sf, Rm);
    const k = opcode - 8;
    c.op(sf ? [Op.I64Shl, Op.I64ShrU, Op.I64ShrS, Op.I64Rotr][k] : [Op.I32Shl, Op.I32ShrU, Op.I32ShrS, Op.I32Rotr][k]);
    setReg(b, sf, Rd);
    return true;
  }
  if (opcode !== 2 && opcode !== 3) return false;
  // UDIV/SDIV: x / 0 is 0; INT_MIN / -1 is INT_MIN (wasm would trap on both).
  b.x(Rm);
  c.set(L_T0);
  return divide(b, sf, opcode === 3, Rn, Rd);
}

/** Divides Rn by the divisor in L_T0 (the register's i64 value; its low half when !sf). */
function divide(b: BlockCompiler, sf: number, signed: boolean, Rn: number, Rd: number): boolean {
  const c = b.c;
  const zero = () => (sf ? c.i64(0n) : c.i32(0));
  if (sf) {
    c.get(L_T0).op(Op.I64Eqz);
    c.if(T.I64);
    zero();
    c.else();
    if (signed) {
      c.get(L_T0).i64(-1n).op(Op.I64Eq);
      c.if(T.I64);
      c.i64(0n);
      b.x(Rn);
      c.op(Op.I64Sub);
      c.else();
      b.x(Rn);
      c.get(L_T0).op(Op.I64DivS);
      c.end();
    } else {
      b.x(Rn);
      c.get(L_T0).op(Op.I64DivU);
    }
    c.end();
    b.setX(Rd);
    return true;
  }
  c.get(L_T0).op(Op.I32WrapI64, Op.I32Eqz);
  c.if(T.I32);
  zero();
  c.else();
  if (signed) {
    c.get(L_T0).op(Op.I32WrapI64).i32(-1).op(Op.I32Eq);
    c.if(T.I32);
    c.i32(0);
    b.wreg(Rn);
    c.op(Op.I32Sub);
    c.else();
    b.wreg(Rn);
    c.get(L_T0).op(Op.I32WrapI64, Op.I32DivS);
    c.end();
  } else {
    b.wreg(Rn);
    c.get(L_T0).op(Op.I32WrapI64, Op.I32DivU);
  }
  c.end();
  b.setW(Rd);
  return true;
}

function condSelect(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const op = fld(w, 30, 1);
  const Rm = fld(w, 16, 5);
  const cond = fld(w, 12, 4);
  const o2 = fld(w, 10, 1);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  if (fld(w, 11, 1)) return false;
  const c = b.c;
  reg(b, sf, Rn);
  if (op === 1 && o2 === 1) {
    if (sf) c.i64(0n);
    else c.i32(0);
    reg(b, sf, Rm);
    c.op(sf ? Op.I64Sub : Op.I32Sub);
  } else {
    reg(b, sf, Rm);
    if (o2 === 1) {
      if (sf) c.i64(1n).op(Op.I64Add);
      else c.i32(1).op(Op.I32Add);
    } else if (op === 1) {
      if (sf) c.i64(-1n).op(Op.I64Xor);
      else c.i32(-1).op(Op.I32Xor);
    }
  }
  b.cond(cond);
  c.op(Op.Select);
  setReg(b, sf, Rd);
  return true;
}

/** NZCV (bits 3..0: N Z C V) of a - b (sub) or a + b at the width (sf: 64 bits, else 32), as AddWithCarry gives them. */
function nzcvOf(sub: boolean, sf: number, a: bigint, b: bigint): number {
  const bits = sf ? 64n : 32n;
  const mask = (1n << bits) - 1n;
  const y = sub ? ~b & mask : b;
  const full = a + y + (sub ? 1n : 0n);
  const r = full & mask;
  const sign = (v: bigint) => Number(v >> (bits - 1n));
  const v = sign(a) === sign(y) && sign(r) !== sign(a) ? 1 : 0;
  return (sign(r) << 3) | ((r === 0n ? 1 : 0) << 2) | (Number(full >> bits) << 1) | v;
}

/**
 * Per CCMN/CCMP (index 0/1), width and immediate NZCV: two operands whose comparison gives
 * those flags (null where none does, as Z with C clear for a subtraction: equal operands set C).
 */
const FLAG_OPERANDS: ([bigint, bigint] | null)[][][] = [0, 1].map((sub) =>
  [0, 1].map((sf) => {
    const bits = sf ? 64n : 32n;
    const mask = (1n << bits) - 1n;
    const min = 1n << (bits - 1n);
    const values = [0n, 1n, 2n, min - 1n, min, min + 1n, mask - 1n, mask];
    return Array.from({ length: 16 }, (_, nzcv) => {
      for (const a of values) for (const v of values) if (nzcvOf(!!sub, sf, a, v) === nzcv) return [a, v] as [bigint, bigint];
      return null;
    });
  }),
);

function condCompare(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const sub = fld(w, 30, 1);
  const Rm = fld(w, 16, 5);
  const cond = fld(w, 12, 4);
  const isImm = fld(w, 11, 1);
  const Rn = fld(w, 5, 5);
  const nzcv = fld(w, 0, 4);
  if (fld(w, 10, 1) || fld(w, 4, 1)) return false;
  const c = b.c;
  const stand = FLAG_OPERANDS[sub][sf][nzcv];
  if (stand) {
    // No branch, and NZCV left lazy: the comparison's operands or, when the condition fails,
    // two constants whose comparison gives the immediate flags.
    b.cond(cond);
    c.set(L_I0);
    const pick = (v: bigint) => c.i64(v).get(L_I0).op(Op.Select);
    addSubFlags(
      b,
      sf,
      !!sub,
      31,
      () => {
        b.r(sf, Rn);
        pick(stand[0]);
      },
      () => {
        if (isImm) c.i64(BigInt(Rm));
        else b.r(sf, Rm);
        pick(stand[1]);
      },
    );
    return true;
  }
  b.cond(cond);
  c.if();
  addSubFlags(
    b,
    sf,
    !!sub,
    31,
    () => b.r(sf, Rn),
    () => (isImm ? c.i64(BigInt(Rm)) : b.r(sf, Rm)),
  );
  // Both ways on leave NZCV in L_NZCV (the else branch writes it).
  b.flushFlags(true);
  c.else();
  c.i32((nzcv << 28) | 0);
  b.setNZCV();
  c.end();
  return true;
}

function uncondBranch(b: BlockCompiler, w: number): boolean {
  const off = sext(fld(w, 0, 26), 26) * 4;
  if (w >>> 31) {
    b.pcPlus(4);
    b.setX(30);
  }
  b.exitJump(() => b.pcPlus(off), off);
  return true;
}

function condBranch(b: BlockCompiler, w: number): boolean {
  const off = sext(fld(w, 5, 19), 19) * 4;
  b.cond(fld(w, 0, 4));
  b.if();
  b.exitJump(() => b.pcPlus(off), off);
  b.end();
  return true;
}

function compareBranch(b: BlockCompiler, w: number): boolean {
  const sf = w >>> 31;
  const nz = fld(w, 24, 1);
  const off = sext(fld(w, 5, 19), 19) * 4;
  reg(b, sf, fld(w, 0, 5));
  b.c.op(sf ? Op.I64Eqz : Op.I32Eqz);
  if (nz) b.c.op(Op.I32Eqz);
  b.if();
  b.exitJump(() => b.pcPlus(off), off);
  b.end();
  return true;
}

function testBranch(b: BlockCompiler, w: number): boolean {
  const bit = (fld(w, 31, 1) << 5) | fld(w, 19, 5);
  const nz = fld(w, 24, 1);
  const off = sext(fld(w, 5, 14), 14) * 4;
  b.x(fld(w, 0, 5));
  b.c.i64(BigInt(bit)).op(Op.I64ShrU).i64(1n).op(Op.I64And, Op.I32WrapI64);
  if (!nz) b.c.op(Op.I32Eqz);
  b.if();
  b.exitJump(() => b.pcPlus(off), off);
  b.end();
  return true;
}

/** BR, BLR, RET: targets whose top bits need no TBI stripping jump directly. */
function regBranch(b: BlockCompiler, w: number): boolean {
  const c = b.c;
  const link = fld(w, 21, 2) === 1;
  b.x(fld(w, 5, 5));
  c.tee(L_T0).i64(55n).op(Op.I64ShrS).i64(1n).op(Op.I64Add).i64(1n).op(Op.I64LeU);
  b.if(1);
  if (link) {
    b.pcPlus(4);
    b.setX(30);
  }
  b.exitJump(() => c.get(L_T0));
  b.else();
  b.fallback();
  b.end();
  return true;
}

function hint(b: BlockCompiler, w: number): boolean {
  // NOP and the hints v8.0 gives no meaning; YIELD (it may end the run), WFE, WFI, SEV, SEVL go to the interpreter.
  const CRm = fld(w, 8, 4);
  const op2 = fld(w, 5, 3);
  return CRm !== 0 || op2 === 0 || op2 >= 6;
}

/** Integer emitters by op name. */
export const INT_EMITTERS: [string[], Emitter][] = [
  [["ADD_imm", "ADDS_imm", "SUB_imm", "SUBS_imm"], addSubImm],
  [["AND_shift", "BIC_shift", "ORR_shift", "ORN_shift", "EOR_shift", "EON_shift", "ANDS_shift", "BICS_shift"], logicalShift],
  [["ADD_shift", "ADDS_shift", "SUB_shift", "SUBS_shift"], addSubShift],
  [["ADD_ext", "ADDS_ext", "SUB_ext", "SUBS_ext"], addSubExt],
  [["AND_imm", "ORR_imm", "EOR_imm", "ANDS_imm"], logicalImm],
  [["MOVN", "MOVZ", "MOVK"], moveWide],
  [["ADR", "ADRP"], adr],
  [["SBFM", "BFM", "UBFM"], bitfield],
  [["EXTR"], extr],
  [["MADD", "MSUB", "SMADDL", "SMSUBL", "UMADDL", "UMSUBL"], mulAdd],
  [["LSLV", "LSRV", "ASRV", "RORV", "UDIV", "SDIV"], dp2],
  [["CSEL", "CSINC", "CSINV", "CSNEG"], condSelect],
  [["CCMN_reg", "CCMP_reg", "CCMN_imm", "CCMP_imm"], condCompare],
  [["B", "BL"], uncondBranch],
  [["B_cond"], condBranch],
  [["CBZ", "CBNZ"], compareBranch],
  [["TBZ", "TBNZ"], testBranch],
  [["BR", "BLR", "RET"], regBranch],
  [["HINT"], hint],
  [["DMB", "DSB"], () => true],
];
