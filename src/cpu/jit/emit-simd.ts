// JIT emitters for the SIMD&FP instructions compiled code meets most: moves between general
// and FP registers, bitwise and integer add/sub on vectors, shifts by immediate (widening
// ones too), element inserts and duplicates, MOVI, and what glibc's string functions run
// (CMEQ, CMHS, BIT/BIF/BSL, DUP from a general register, UMAXP/UMINP, SHRN). Vector
// registers are the compiler's v128 locals (BlockCompiler.v / setV); wasm SIMD does the lane arithmetic. Mirrors
// src/cpu/core/isa/fp_cvt.ts, fp_dp.ts, simd_int_same.ts, simd_shift.ts, simd_int_misc.ts
// and simd_int_copy.ts.
import { type BlockCompiler, type Emitter, L_V0 } from "./compiler.ts";
import { fld } from "./emit-int.ts";
import { Op, SimdOp } from "./wasm.ts";

/** Pops an i64 into the low half of Vd and clears the high half (scalar writes). */
function setD(b: BlockCompiler, d: number, value: () => void): void {
  value();
  b.setVLow(d);
}

/** FMOV Wd, Sn / FMOV Xd, Dn. */
function fmovToGeneral(b: BlockCompiler, w: number, wide: boolean): boolean {
  b.fp();
  b.vElem(fld(w, 5, 5), wide ? 3 : 2, 0);
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
  setD(b, fld(w, 0, 5), () => b.vElem(fld(w, 5, 5), ftype ? 3 : 2, 0));
  return true;
}

/** Pops the v128 on the stack into Vd; Q = 0 clears the high half. */
function finishV(b: BlockCompiler, d: number, Q: number): void {
  b.setVQ(d, Q);
}

function loadV(b: BlockCompiler, n: number): void {
  b.v(n);
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
  loadV(b, Rn);
  c.i32(amount);
  c.simd(op);
  finishV(b, Rd, Q);
  return true;
}

const EXTEND: SimdOp[][] = [
  // [unsigned low, unsigned high, signed low, signed high] per source element size
  [SimdOp.I16x8ExtendLowI8x16U, SimdOp.I16x8ExtendHighI8x16U, SimdOp.I16x8ExtendLowI8x16S, SimdOp.I16x8ExtendHighI8x16S],
  [SimdOp.I32x4ExtendLowI16x8U, SimdOp.I32x4ExtendHighI16x8U, SimdOp.I32x4ExtendLowI16x8S, SimdOp.I32x4ExtendHighI16x8S],
  [SimdOp.I64x2ExtendLowI32x4U, SimdOp.I64x2ExtendHighI32x4U, SimdOp.I64x2ExtendLowI32x4S, SimdOp.I64x2ExtendHighI32x4S],
];
const SHL_WIDE = [SimdOp.I16x8Shl, SimdOp.I32x4Shl, SimdOp.I64x2Shl];

/** Widens half Q of Vn (elements of 8 << esz bits) and shifts the wide lanes left into Vd. */
function widenShift(b: BlockCompiler, Q: number, esz: number, signed: boolean, shift: number, Rn: number, Rd: number): void {
  const c = b.c;
  b.fp();
  loadV(b, Rn);
  c.simd(EXTEND[esz][(signed ? 2 : 0) + Q]);
  if (shift) c.i32(shift).simd(SHL_WIDE[esz]);
  b.setV(Rd);
}

/** SSHLL/USHLL (SXTL/UXTL): immh<3> set is UNDEFINED. */
function shll(b: BlockCompiler, w: number, signed: boolean): boolean {
  const immh = fld(w, 19, 4);
  if (immh === 0 || immh & 8) return false;
  const esz = 31 - Math.clz32(immh);
  widenShift(b, fld(w, 30, 1), esz, signed, fld(w, 16, 7) - (8 << esz), fld(w, 5, 5), fld(w, 0, 5));
  return true;
}

/** SHLL (shift left long by the element size); size 3 is UNDEFINED. */
function shllMisc(b: BlockCompiler, w: number): boolean {
  const size = fld(w, 22, 2);
  if (size === 3) return false;
  widenShift(b, fld(w, 30, 1), size, false, 8 << size, fld(w, 5, 5), fld(w, 0, 5));
  return true;
}

/** Element size of an INS/DUP imm5 (4: reserved). */
const insSize = (imm5: number): number => (imm5 & 15 ? 31 - Math.clz32(imm5 & -imm5) : 4);
/** Byte offset in a vector of the element an INS/DUP imm5 names (of size insSize). */
const insOffset = (imm5: number, size: number): number => (imm5 >> (size + 1)) << size;

/** INS (element): Vd[i] = Vn[j]. */
function insElem(b: BlockCompiler, w: number): boolean {
  const imm5 = fld(w, 16, 5);
  const size = insSize(imm5);
  if (size > 3) return false;
  b.fp();
  b.setVElem(fld(w, 0, 5), size, insOffset(imm5, size) >> size, () => b.vElem(fld(w, 5, 5), size, fld(w, 11, 4) >> size));
  return true;
}

/** INS (general): Vd[i] = Xn. */
function insGeneral(b: BlockCompiler, w: number): boolean {
  const imm5 = fld(w, 16, 5);
  const size = insSize(imm5);
  if (size > 3) return false;
  b.fp();
  b.setVElem(fld(w, 0, 5), size, insOffset(imm5, size) >> size, () => b.x(fld(w, 5, 5)));
  return true;
}

/** DUP (element, scalar): the element zero-extended into Vd, the rest cleared. */
function dupScalar(b: BlockCompiler, w: number): boolean {
  const imm5 = fld(w, 16, 5);
  const size = insSize(imm5);
  if (size > 3) return false;
  b.fp();
  setD(b, fld(w, 0, 5), () => b.vElem(fld(w, 5, 5), size, insOffset(imm5, size) >> size));
  return true;
}

/** Replicates the low `8 << size` bits of x over 64 bits. */
function replicate64(x: bigint, size: number): bigint {
  const bits = 8n << BigInt(size);
  x &= (1n << bits) - 1n;
  let r = 0n;
  for (let i = 0n; i < 64n; i += bits) r |= x << i;
  return r;
}

/** AdvSIMDExpandImm for MOVI's cmodes (as simd_int_copy.ts). */
function expandImm(op: number, cmode: number, imm8: number): bigint {
  const v = BigInt(imm8);
  switch (cmode >> 1) {
    case 0:
    case 1:
    case 2:
    case 3:
      return replicate64(v << BigInt(8 * (cmode >> 1)), 2);
    case 4:
    case 5:
      return replicate64(v << BigInt(8 * ((cmode >> 1) & 1)), 1);
    case 6:
      return replicate64(cmode & 1 ? (v << 16n) | 0xffffn : (v << 8n) | 0xffn, 2);
    default: {
      if (op === 0) return replicate64(v, 0);
      let r = 0n;
      for (let i = 0; i < 8; i++) if ((imm8 >> i) & 1) r |= 0xffn << BigInt(8 * i);
      return r;
    }
  }
}

/** MOVI (vector and 64-bit scalar). */
function movi(b: BlockCompiler, w: number): boolean {
  const Q = fld(w, 30, 1);
  const imm = expandImm(fld(w, 29, 1), fld(w, 12, 4), (fld(w, 16, 3) << 5) | fld(w, 5, 5));
  b.fp();
  b.c.v128(imm, Q ? imm : 0n);
  b.setV(fld(w, 0, 5));
  return true;
}

/** EXT: bytes imm4.. of Vm:Vn (Q = 0: of Vm<63:0>:Vn<63:0>, imm4<3> UNDEFINED). */
function ext(b: BlockCompiler, w: number): boolean {
  const Q = fld(w, 30, 1);
  const imm = fld(w, 11, 4);
  if (!Q && imm & 8) return false;
  const lanes = Array.from({ length: 16 }, (_, i) => (Q ? i + imm : i + imm < 8 ? i + imm : i + imm + 8));
  if (!Q) lanes.fill(0, 8);
  b.fp();
  loadV(b, fld(w, 5, 5));
  loadV(b, fld(w, 16, 5));
  b.c.shuffle(lanes);
  finishV(b, fld(w, 0, 5), Q);
  return true;
}

/** SLI (vector): each element of Vn shifted left, inserted over Vd's bits above the shift. */
function sli(b: BlockCompiler, w: number): boolean {
  const Q = fld(w, 30, 1);
  const immh = fld(w, 19, 4);
  if (immh === 0 || (immh & 8 && !Q)) return false;
  const lg = 31 - Math.clz32(immh);
  const esize = 8 << lg;
  const shift = fld(w, 16, 7) - esize;
  const Rd = fld(w, 0, 5);
  const lane = ((1n << BigInt(esize)) - 1n) & (((1n << BigInt(esize)) - 1n) << BigInt(shift));
  let mask = 0n;
  for (let i = 0; i < 64; i += esize) mask |= lane << BigInt(i);
  const c = b.c;
  b.fp();
  loadV(b, fld(w, 5, 5));
  if (shift) c.i32(shift).simd([SimdOp.I8x16Shl, SimdOp.I16x8Shl, SimdOp.I32x4Shl, SimdOp.I64x2Shl][lg]);
  loadV(b, Rd);
  c.v128(mask, mask).simd(SimdOp.V128Bitselect);
  finishV(b, Rd, Q);
  return true;
}

const EQ = [SimdOp.I8x16Eq, SimdOp.I16x8Eq, SimdOp.I32x4Eq, SimdOp.I64x2Eq];
const GE_U = [SimdOp.I8x16GeU, SimdOp.I16x8GeU, SimdOp.I32x4GeU];

/** CMEQ (register), CMHS, CMEQ (zero): all-ones lanes where the comparison holds; size 3 needs Q. */
function compare(b: BlockCompiler, w: number, name: string): boolean {
  const Q = fld(w, 30, 1);
  const size = fld(w, 22, 2);
  if (size === 3 && !Q) return false;
  const c = b.c;
  b.fp();
  loadV(b, fld(w, 5, 5));
  if (name === "CMEQ_asimdmisc_Z") c.v128(0n, 0n);
  else loadV(b, fld(w, 16, 5));
  if (name !== "CMHS_asimdsame_only") c.simd(EQ[size]);
  else if (size < 3) c.simd(GE_U[size]);
  else {
    // No unsigned 64-bit comparison in wasm: both sign bits flipped, compared signed.
    const s = -0x8000_0000_0000_0000n;
    c.v128(s, s).simd(SimdOp.V128Xor).set(L_V0);
    c.v128(s, s).simd(SimdOp.V128Xor).get(L_V0).simd(SimdOp.I64x2GeS);
  }
  finishV(b, fld(w, 0, 5), Q);
  return true;
}

/** BSL, BIT, BIF: bitselect over Vd, Vn and Vm (as simd_int_same.ts). */
function bitSelect(b: BlockCompiler, w: number, name: string): boolean {
  const Q = fld(w, 30, 1);
  const Rm = fld(w, 16, 5);
  const Rn = fld(w, 5, 5);
  const Rd = fld(w, 0, 5);
  // bitselect(a, b, mask): a where mask is set, else b.
  const [x, y, m] = name === "BSL_asimdsame_only" ? [Rn, Rm, Rd] : name === "BIT_asimdsame_only" ? [Rn, Rd, Rm] : [Rd, Rn, Rm];
  b.fp();
  loadV(b, x);
  loadV(b, y);
  loadV(b, m);
  b.c.simd(SimdOp.V128Bitselect);
  finishV(b, Rd, Q);
  return true;
}

const SPLAT = [SimdOp.I8x16Splat, SimdOp.I16x8Splat, SimdOp.I32x4Splat, SimdOp.I64x2Splat];

/** DUP (general): Wn/Xn in every element; size 3 needs Q. */
function dupGeneral(b: BlockCompiler, w: number): boolean {
  const Q = fld(w, 30, 1);
  const size = insSize(fld(w, 16, 5));
  if (size > 3 || (size === 3 && !Q)) return false;
  b.fp();
  if (size === 3) b.x(fld(w, 5, 5));
  else b.wreg(fld(w, 5, 5));
  b.c.simd(SPLAT[size]);
  finishV(b, fld(w, 0, 5), Q);
  return true;
}

/**
 * Byte lanes of the even (odd: +1 << size bytes) elements of the concatenation a:b as i8x16.shuffle
 * takes them (Q = 0: of a<63:0>:b<63:0>, into the low half).
 */
function pairLanes(size: number, Q: number, odd: number): number[] {
  const e = 1 << size;
  const lanes: number[] = [];
  const total = Q ? 32 : 16;
  for (let i = 0; i < total; i += 2 * e) {
    const src = i + odd * e;
    // Q = 0: a's low 8 bytes are lanes 0-7, b's low 8 bytes are lanes 16-23.
    const at = Q || src < 8 ? src : src + 8;
    for (let k = 0; k < e; k++) lanes.push(at + k);
  }
  while (lanes.length < 16) lanes.push(0);
  return lanes;
}

const MAX_U = [SimdOp.I8x16MaxU, SimdOp.I16x8MaxU, SimdOp.I32x4MaxU];
const MIN_U = [SimdOp.I8x16MinU, SimdOp.I16x8MinU, SimdOp.I32x4MinU];

/** UMAXP, UMINP: the operation on adjacent pairs of Vn:Vm (Vn's pairs first); size 3 reserved. */
function pairwiseMinMax(b: BlockCompiler, w: number, max: boolean): boolean {
  const Q = fld(w, 30, 1);
  const size = fld(w, 22, 2);
  if (size === 3) return false;
  const Rn = fld(w, 5, 5);
  const Rm = fld(w, 16, 5);
  b.fp();
  for (const odd of [0, 1]) {
    loadV(b, Rn);
    loadV(b, Rm);
    b.c.shuffle(pairLanes(size, Q, odd));
  }
  b.c.simd((max ? MAX_U : MIN_U)[size]);
  finishV(b, fld(w, 0, 5), Q);
  return true;
}

const SHR_WIDE = [SimdOp.I16x8ShrU, SimdOp.I32x4ShrU, SimdOp.I64x2ShrU];

/** SHRN{2}: each wide element of Vn shifted right and truncated, into Vd's low half (SHRN2: high half, low kept). */
function shrn(b: BlockCompiler, w: number): boolean {
  const Q = fld(w, 30, 1);
  const immh = fld(w, 19, 4);
  if (immh === 0 || immh & 8) return false;
  const esz = 31 - Math.clz32(immh);
  const e = 1 << esz;
  const shift = 2 * (8 << esz) - fld(w, 16, 7);
  const Rd = fld(w, 0, 5);
  // The low e bytes of each 2e-byte element.
  const picks: number[] = [];
  for (let i = 0; i < 16; i += 2 * e) for (let k = 0; k < e; k++) picks.push(i + k);
  const c = b.c;
  b.fp();
  if (Q) loadV(b, Rd);
  loadV(b, fld(w, 5, 5));
  c.i32(shift).simd(SHR_WIDE[esz]);
  if (Q) c.shuffle([0, 1, 2, 3, 4, 5, 6, 7, ...picks.map((p) => p + 16)]);
  else c.v128(0n, 0n).shuffle([...picks, 16, 17, 18, 19, 20, 21, 22, 23]);
  b.setV(Rd);
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
  [["USHLL_v"], (b, w) => shll(b, w, false)],
  [["SSHLL_v"], (b, w) => shll(b, w, true)],
  [["SHLL_asimdmisc_S"], shllMisc],
  [["INS_asimdins_IV_v"], insElem],
  [["INS_asimdins_IR_r"], insGeneral],
  [["DUP_asisdone_only"], dupScalar],
  [["MOVI_asimdimm"], movi],
  [["EXT_asimdext_only"], ext],
  [["SLI_v"], sli],
  ...["CMEQ_asimdsame_only", "CMHS_asimdsame_only", "CMEQ_asimdmisc_Z"].map((n): [string[], Emitter] => [[n], named(compare, n)]),
  ...["BSL_asimdsame_only", "BIT_asimdsame_only", "BIF_asimdsame_only"].map((n): [string[], Emitter] => [[n], named(bitSelect, n)]),
  [["DUP_asimdins_DR_r"], dupGeneral],
  [["UMAXP_asimdsame_only"], (b, w) => pairwiseMinMax(b, w, true)],
  [["UMINP_asimdsame_only"], (b, w) => pairwiseMinMax(b, w, false)],
  [["SHRN_v"], shrn],
];
