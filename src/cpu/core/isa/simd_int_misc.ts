// AdvSIMD two-register miscellaneous (integer), across lanes (integer) and scalar pairwise ADDP
// (Arm ARM C4.1.68), vector and scalar forms. Handlers take the fields of
// src/cpu/decode/simd_int_misc.decode.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { getV128, vAddr } from "../state";
import {
  addV, cmpEq, elemS, elemU, minMax, satS, satSU, satU, scrClear, scrCommit, scrSet, setQC, smax, smin, writeVQ,
} from "./simd_util";

/** UNDEFINED (and true) when size = 3 with Q = 0, or size >= limit. */
// @ts-ignore: decorator
@inline function reserved(Q: u32, size: u32, limit: u32): bool {
  if (size >= limit || (size == 3 && Q == 0)) {
    undefinedInstruction();
    return true;
  }
  return false;
}

// ---- Reverse, count, bit operations -------------------------------------------------------

export function REV64_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (reserved(Q, size, 3) || !fpCheck()) return;
  const a = getV128(Rn);
  let r: v128;
  if (size == 0) r = i8x16.shuffle(a, a, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
  else if (size == 1) r = i8x16.shuffle(a, a, 6, 7, 4, 5, 2, 3, 0, 1, 14, 15, 12, 13, 10, 11, 8, 9);
  else r = i8x16.shuffle(a, a, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
  writeVQ(Rd, r, Q);
}

export function REV32_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (reserved(Q, size, 2) || !fpCheck()) return;
  const a = getV128(Rn);
  let r: v128;
  if (size == 0) r = i8x16.shuffle(a, a, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  else r = i8x16.shuffle(a, a, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  writeVQ(Rd, r, Q);
}

export function REV16_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (reserved(Q, size, 1) || !fpCheck()) return;
  const a = getV128(Rn);
  writeVQ(Rd, i8x16.shuffle(a, a, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14), Q);
}

export function CNT_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (reserved(Q, size, 1) || !fpCheck()) return;
  writeVQ(Rd, i8x16.popcnt(getV128(Rn)), Q);
}

export function NOT_asimdmisc_R(Q: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.not(getV128(Rn)), Q);
}

export function RBIT_asimdmisc_R(Q: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  // Bit-reverse each byte: reversed low nibble becomes the high nibble and vice versa.
  const rev4 = i8x16(0x0, 0x8, 0x4, 0xc, 0x2, 0xa, 0x6, 0xe, 0x1, 0x9, 0x5, 0xd, 0x3, 0xb, 0x7, 0xf);
  const a = getV128(Rn);
  const lo = v128.and(a, i8x16.splat(0x0f));
  const hi = i8x16.shr_u(a, 4);
  writeVQ(Rd, v128.or(i8x16.shl(i8x16.swizzle(rev4, lo), 4), i8x16.swizzle(rev4, hi)), Q);
}

/** CLS (signs) or CLZ of each element (size < 3). */
function countLeading(Q: u32, size: u32, Rn: u32, Rd: u32, signs: bool): void {
  if (reserved(Q, size, 3) || !fpCheck()) return;
  const esize = <u64>(8 << size);
  const elements = (<u32>8 << Q) >> size;
  scrClear();
  for (let i: u32 = 0; i < elements; i++) {
    const x = elemU(Rn, i, size);
    let r: u64;
    if (signs) {
      // CountLeadingZeroBits(x<N-1:1> EOR x<N-2:0>), an (N-1)-bit value.
      const y = ((x >>> 1) ^ x) & ((<u64>1 << (esize - 1)) - 1);
      r = clz(y) - (64 - (esize - 1));
    } else {
      r = clz(x) - (64 - esize);
    }
    scrSet(i, size, r);
  }
  scrCommit(Rd);
}

export function CLS_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  countLeading(Q, size, Rn, Rd, true);
}
export function CLZ_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  countLeading(Q, size, Rn, Rd, false);
}

// ---- Pairwise long adds -------------------------------------------------------------------

/** SADDLP/UADDLP/SADALP/UADALP: adds adjacent pairs into double-width elements. */
function addLongPairwise(Q: u32, size: u32, Rn: u32, Rd: u32, unsigned: bool, acc: bool): void {
  if (reserved(Q, size, 3) || !fpCheck()) return;
  const a = getV128(Rn);
  let r: v128;
  if (size == 0) r = unsigned ? i16x8.extadd_pairwise_i8x16_u(a) : i16x8.extadd_pairwise_i8x16_s(a);
  else if (size == 1) r = unsigned ? i32x4.extadd_pairwise_i16x8_u(a) : i32x4.extadd_pairwise_i16x8_s(a);
  else {
    const lo = unsigned ? i64x2.extend_low_i32x4_u(a) : i64x2.extend_low_i32x4_s(a);
    const hi = unsigned ? i64x2.extend_high_i32x4_u(a) : i64x2.extend_high_i32x4_s(a);
    const evens = i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const odds = i8x16.shuffle(lo, hi, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    r = i64x2.add(evens, odds);
  }
  if (acc) {
    const d = getV128(Rd);
    r = size == 0 ? i16x8.add(r, d) : size == 1 ? i32x4.add(r, d) : i64x2.add(r, d);
  }
  writeVQ(Rd, r, Q);
}

export function SADDLP_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  addLongPairwise(Q, size, Rn, Rd, false, false);
}
export function UADDLP_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  addLongPairwise(Q, size, Rn, Rd, true, false);
}
export function SADALP_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  addLongPairwise(Q, size, Rn, Rd, false, true);
}
export function UADALP_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  addLongPairwise(Q, size, Rn, Rd, true, true);
}

// ---- Element-wise arithmetic (vector and scalar share one lane loop) ----------------------

const OP_SUQADD: u32 = 0;
const OP_USQADD: u32 = 1;
const OP_SQABS: u32 = 2;
const OP_SQNEG: u32 = 3;
const OP_ABS: u32 = 4;
const OP_NEG: u32 = 5;
const OP_CMGT0: u32 = 6;
const OP_CMGE0: u32 = 7;
const OP_CMEQ0: u32 = 8;
const OP_CMLE0: u32 = 9;
const OP_CMLT0: u32 = 10;

/** One element: n is Vn's element and d Vd's, both zero-extended. */
// @ts-ignore: decorator
@inline function miscOp(op: u32, esz: u32, n: u64, d: u64): u64 {
  const shift = <u64>(64 - (8 << esz));
  const sn = (<i64>(n << shift)) >> shift;
  const sd = (<i64>(d << shift)) >> shift;
  switch (op) {
    case OP_SUQADD: {
      // Signed Vd plus unsigned Vn, saturated to the signed range.
      if (esz < 3) return <u64>satS(sd + <i64>n, esz);
      const lo = d + n;
      const carry: i64 = lo < n ? 1 : 0;
      const hi = (sd < 0 ? -1 : 0) + carry;
      if (hi == 1 || (hi == 0 && lo > <u64>smax(3))) {
        setQC();
        return <u64>smax(3);
      }
      return lo;
    }
    case OP_USQADD: {
      // Unsigned Vd plus signed Vn, saturated to the unsigned range.
      if (esz < 3) return satSU(<i64>d + sn, esz);
      if (sn >= 0) {
        const r = d + n;
        if (r < d) {
          setQC();
          return <u64>-1;
        }
        return r;
      }
      const m = <u64>-sn;
      if (d < m) {
        setQC();
        return 0;
      }
      return d - m;
    }
    case OP_SQABS:
      if (sn == smin(esz)) {
        setQC();
        return <u64>smax(esz);
      }
      return <u64>(sn < 0 ? -sn : sn);
    case OP_SQNEG:
      if (sn == smin(esz)) {
        setQC();
        return <u64>smax(esz);
      }
      return <u64>-sn;
    case OP_ABS:
      return <u64>(sn < 0 ? -sn : sn);
    case OP_NEG:
      return <u64>-sn;
    case OP_CMGT0:
      return sn > 0 ? <u64>-1 : 0;
    case OP_CMGE0:
      return sn >= 0 ? <u64>-1 : 0;
    case OP_CMEQ0:
      return sn == 0 ? <u64>-1 : 0;
    case OP_CMLE0:
      return sn <= 0 ? <u64>-1 : 0;
    case OP_CMLT0:
      return sn < 0 ? <u64>-1 : 0;
    default:
      return 0;
  }
}

/** Applies miscOp to `elements` elements; the rest of Vd is cleared. */
// @ts-ignore: decorator
@inline function miscLoopN(op: u32, esz: u32, elements: u32, Rn: u32, Rd: u32): void {
  scrClear();
  for (let i: u32 = 0; i < elements; i++) scrSet(i, esz, miscOp(op, esz, elemU(Rn, i, esz), elemU(Rd, i, esz)));
  scrCommit(Rd);
}

/** The lane loop, inlined with a constant op and one copy per element size (the switches fold). */
// @ts-ignore: decorator
@inline function miscLoop(op: u32, esz: u32, elements: u32, Rn: u32, Rd: u32): void {
  switch (esz) {
    case 0:
      miscLoopN(op, 0, elements, Rn, Rd);
      break;
    case 1:
      miscLoopN(op, 1, elements, Rn, Rd);
      break;
    case 2:
      miscLoopN(op, 2, elements, Rn, Rd);
      break;
    default:
      miscLoopN(op, 3, elements, Rn, Rd);
      break;
  }
}

// @ts-ignore: decorator
@inline function vecMisc(op: u32, Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (reserved(Q, size, 4) || !fpCheck()) return;
  miscLoop(op, size, (<u32>8 << Q) >> size, Rn, Rd);
}

/** Scalar form; sizes other than D are UNDEFINED unless anySize. */
// @ts-ignore: decorator
@inline function scalarMisc(op: u32, size: u32, Rn: u32, Rd: u32, anySize: bool): void {
  if (!anySize && size != 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  miscLoop(op, size, 1, Rn, Rd);
}

export function SUQADD_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  vecMisc(OP_SUQADD, Q, size, Rn, Rd);
}
export function USQADD_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  vecMisc(OP_USQADD, Q, size, Rn, Rd);
}
export function SQABS_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  vecMisc(OP_SQABS, Q, size, Rn, Rd);
}
export function SQNEG_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  vecMisc(OP_SQNEG, Q, size, Rn, Rd);
}

export function ABS_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (reserved(Q, size, 4) || !fpCheck()) return;
  const a = getV128(Rn);
  let r: v128;
  if (size == 0) r = i8x16.abs(a);
  else if (size == 1) r = i16x8.abs(a);
  else if (size == 2) r = i32x4.abs(a);
  else r = i64x2.abs(a);
  writeVQ(Rd, r, Q);
}

export function NEG_asimdmisc_R(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (reserved(Q, size, 4) || !fpCheck()) return;
  const a = getV128(Rn);
  let r: v128;
  if (size == 0) r = i8x16.neg(a);
  else if (size == 1) r = i16x8.neg(a);
  else if (size == 2) r = i32x4.neg(a);
  else r = i64x2.neg(a);
  writeVQ(Rd, r, Q);
}

/** Signed a > b per element. */
// @ts-ignore: decorator
@inline function gtS(size: u32, a: v128, b: v128): v128 {
  switch (size) {
    case 0:
      return i8x16.gt_s(a, b);
    case 1:
      return i16x8.gt_s(a, b);
    case 2:
      return i32x4.gt_s(a, b);
    default:
      return i64x2.gt_s(a, b);
  }
}

/** Compare each element with zero: 0 GT, 1 GE, 2 EQ, 3 LE, 4 LT. */
// @ts-ignore: decorator
@inline function cmpZero(Q: u32, size: u32, Rn: u32, Rd: u32, cond: u32): void {
  if (reserved(Q, size, 4) || !fpCheck()) return;
  const a = getV128(Rn);
  const z = i64x2.splat(0);
  let r: v128;
  switch (cond) {
    case 0:
      r = gtS(size, a, z);
      break;
    case 1:
      r = v128.not(gtS(size, z, a));
      break;
    case 2:
      r = cmpEq(size, a, z);
      break;
    case 3:
      r = v128.not(gtS(size, a, z));
      break;
    default:
      r = gtS(size, z, a);
      break;
  }
  writeVQ(Rd, r, Q);
}

export function CMGT_asimdmisc_Z(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  cmpZero(Q, size, Rn, Rd, 0);
}
export function CMGE_asimdmisc_Z(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  cmpZero(Q, size, Rn, Rd, 1);
}
export function CMEQ_asimdmisc_Z(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  cmpZero(Q, size, Rn, Rd, 2);
}
export function CMLE_asimdmisc_Z(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  cmpZero(Q, size, Rn, Rd, 3);
}
export function CMLT_asimdmisc_Z(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  cmpZero(Q, size, Rn, Rd, 4);
}

export function SUQADD_asisdmisc_R(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_SUQADD, size, Rn, Rd, true);
}
export function USQADD_asisdmisc_R(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_USQADD, size, Rn, Rd, true);
}
export function SQABS_asisdmisc_R(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_SQABS, size, Rn, Rd, true);
}
export function SQNEG_asisdmisc_R(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_SQNEG, size, Rn, Rd, true);
}
export function CMGT_asisdmisc_Z(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_CMGT0, size, Rn, Rd, false);
}
export function CMGE_asisdmisc_Z(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_CMGE0, size, Rn, Rd, false);
}
export function CMEQ_asisdmisc_Z(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_CMEQ0, size, Rn, Rd, false);
}
export function CMLE_asisdmisc_Z(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_CMLE0, size, Rn, Rd, false);
}
export function CMLT_asisdmisc_Z(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_CMLT0, size, Rn, Rd, false);
}
export function ABS_asisdmisc_R(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_ABS, size, Rn, Rd, false);
}
export function NEG_asisdmisc_R(size: u32, Rn: u32, Rd: u32): void {
  scalarMisc(OP_NEG, size, Rn, Rd, false);
}

// ---- Narrowing and widening ---------------------------------------------------------------

const NARROW_XTN: u32 = 0;
const NARROW_SQXTN: u32 = 1;
const NARROW_UQXTN: u32 = 2;
const NARROW_SQXTUN: u32 = 3;

/** Narrows `elements` elements of Vn (2 * esize wide) to esize, as one 64-bit value. */
function narrow(kind: u32, size: u32, elements: u32, Rn: u32): u64 {
  let r: u64 = 0;
  const esize = <u64>(8 << size);
  for (let i: u32 = 0; i < elements; i++) {
    let e: u64;
    switch (kind) {
      case NARROW_XTN:
        e = elemU(Rn, i, size + 1);
        break;
      case NARROW_SQXTN:
        e = <u64>satS(elemS(Rn, i, size + 1), size);
        break;
      case NARROW_UQXTN:
        e = satU(elemU(Rn, i, size + 1), size);
        break;
      default:
        e = satSU(elemS(Rn, i, size + 1), size);
        break;
    }
    r |= (e & ((<u64>1 << esize) - 1)) << (esize * i);
  }
  return r;
}

/**
 * SQXTN, UQXTN, SQXTUN from 16- or 32-bit elements with wasm's saturating narrows (UQXTN first
 * clamps its unsigned input); QC when an element does not survive the round trip.
 */
// @ts-ignore: decorator
@inline function narrowSat(kind: u32, size: u32, n: v128): u64 {
  let t: v128;
  let back: v128;
  if (size == 0) {
    if (kind == NARROW_SQXTN) {
      t = i8x16.narrow_i16x8_s(n, n);
      back = i16x8.extend_low_i8x16_s(t);
    } else {
      t = i8x16.narrow_i16x8_u(kind == NARROW_UQXTN ? i16x8.min_u(n, i16x8.splat(0xff)) : n, n);
      back = i16x8.extend_low_i8x16_u(t);
    }
  } else {
    if (kind == NARROW_SQXTN) {
      t = i16x8.narrow_i32x4_s(n, n);
      back = i32x4.extend_low_i16x8_s(t);
    } else {
      t = i16x8.narrow_i32x4_u(kind == NARROW_UQXTN ? i32x4.min_u(n, i32x4.splat(0xffff)) : n, n);
      back = i32x4.extend_low_i16x8_u(t);
    }
  }
  if (!v128.all_true<i64>(i64x2.eq(back, n))) setQC();
  return i64x2.extract_lane(t, 0);
}

/** XTN{2}-style vector narrowing: Q = 0 writes the low half (clearing the high), Q = 1 the high half. */
function narrowVec(kind: u32, Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  let r: u64;
  if (kind == NARROW_XTN) {
    const n = getV128(Rn);
    let t: v128;
    if (size == 0) t = i8x16.shuffle(n, n, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
    else if (size == 1) t = i8x16.shuffle(n, n, 0, 1, 4, 5, 8, 9, 12, 13, 0, 1, 4, 5, 8, 9, 12, 13);
    else t = i8x16.shuffle(n, n, 0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
    r = i64x2.extract_lane(t, 0);
  } else if (size < 2) {
    r = narrowSat(kind, size, getV128(Rn));
  } else {
    r = narrow(kind, size, 2, Rn);
  }
  const a = vAddr(Rd);
  if (Q) {
    store<u64>(a, r, 8);
  } else {
    store<u64>(a, r);
    store<u64>(a, 0, 8);
  }
}

function narrowScalar(kind: u32, size: u32, Rn: u32, Rd: u32): void {
  if (size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const r = narrow(kind, size, 1, Rn);
  const a = vAddr(Rd);
  store<u64>(a, r);
  store<u64>(a, 0, 8);
}

export function XTN_asimdmisc_N(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  narrowVec(NARROW_XTN, Q, size, Rn, Rd);
}
export function SQXTN_asimdmisc_N(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  narrowVec(NARROW_SQXTN, Q, size, Rn, Rd);
}
export function UQXTN_asimdmisc_N(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  narrowVec(NARROW_UQXTN, Q, size, Rn, Rd);
}
export function SQXTUN_asimdmisc_N(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  narrowVec(NARROW_SQXTUN, Q, size, Rn, Rd);
}
export function SQXTN_asisdmisc_N(size: u32, Rn: u32, Rd: u32): void {
  narrowScalar(NARROW_SQXTN, size, Rn, Rd);
}
export function UQXTN_asisdmisc_N(size: u32, Rn: u32, Rd: u32): void {
  narrowScalar(NARROW_UQXTN, size, Rn, Rd);
}
export function SQXTUN_asisdmisc_N(size: u32, Rn: u32, Rd: u32): void {
  narrowScalar(NARROW_SQXTUN, size, Rn, Rd);
}

export function SHLL_asimdmisc_S(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (size == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const elements = <u32>8 >> size;
  const base = Q * elements;
  const esize = <u64>(8 << size);
  scrClear();
  for (let i: u32 = 0; i < elements; i++) scrSet(i, size + 1, elemU(Rn, base + i, size) << esize);
  scrCommit(Rd);
}

// ---- Across lanes -------------------------------------------------------------------------

/** Size checks for the across-lanes forms: 8B, 16B, 4H, 8H, 4S only. */
// @ts-ignore: decorator
@inline function badAcross(Q: u32, size: u32): bool {
  if (size == 3 || (size == 2 && Q == 0)) {
    undefinedInstruction();
    return true;
  }
  return !fpCheck();
}

/** Writes a scalar result of 8 << esz bits to Vd, clearing the rest. */
// @ts-ignore: decorator
@inline function setScalar(Rd: u32, esz: u32, v: u64): void {
  const a = vAddr(Rd);
  store<u64>(a, esz == 3 ? v : v & ((<u64>1 << (<u64>(8 << esz))) - 1));
  store<u64>(a, 0, 8);
}

const FOLD_ADD: u32 = 0;
const FOLD_SMAX: u32 = 1;
const FOLD_UMAX: u32 = 2;
const FOLD_SMIN: u32 = 3;
const FOLD_UMIN: u32 = 4;

// @ts-ignore: decorator
@inline function foldOp(kind: u32, size: u32, a: v128, b: v128): v128 {
  switch (kind) {
    case FOLD_SMAX:
      return minMax(size, a, b, false, true);
    case FOLD_UMAX:
      return minMax(size, a, b, true, true);
    case FOLD_SMIN:
      return minMax(size, a, b, false, false);
    case FOLD_UMIN:
      return minMax(size, a, b, true, false);
    default:
      return addV(size, a, b);
  }
}

/**
 * Reduces the elements of v (all 128 bits when Q, else the low 64) with an associative
 * operation by folding halves onto each other; returns element 0, zero-extended.
 */
function fold(kind: u32, size: u32, Q: u32, v: v128): u64 {
  let a = v;
  if (Q) a = foldOp(kind, size, a, i8x16.shuffle(a, a, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15));
  if (size < 3) a = foldOp(kind, size, a, i8x16.shuffle(a, a, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7));
  if (size < 2) a = foldOp(kind, size, a, i8x16.shuffle(a, a, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3));
  if (size < 1) a = foldOp(kind, size, a, i8x16.shuffle(a, a, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1));
  switch (size) {
    case 0:
      return <u64>i8x16.extract_lane_u(a, 0);
    case 1:
      return <u64>i16x8.extract_lane_u(a, 0);
    case 2:
      return <u64>i32x4.extract_lane(a, 0);
    default:
      return <u64>i64x2.extract_lane(a, 0);
  }
}

function across(kind: u32, Q: u32, size: u32, Rn: u32, Rd: u32): void {
  if (badAcross(Q, size)) return;
  setScalar(Rd, size, fold(kind, size, Q, getV128(Rn)));
}

/** SADDLV/UADDLV: sum pairs into double-width elements (which cannot overflow), then add across. */
function addLongAcross(Q: u32, size: u32, Rn: u32, Rd: u32, unsigned: bool): void {
  if (badAcross(Q, size)) return;
  const a = getV128(Rn);
  let w: v128;
  if (size == 0) w = unsigned ? i16x8.extadd_pairwise_i8x16_u(a) : i16x8.extadd_pairwise_i8x16_s(a);
  else if (size == 1) w = unsigned ? i32x4.extadd_pairwise_i16x8_u(a) : i32x4.extadd_pairwise_i16x8_s(a);
  else if (unsigned) w = i64x2.add(i64x2.extend_low_i32x4_u(a), i64x2.extend_high_i32x4_u(a));
  else w = i64x2.add(i64x2.extend_low_i32x4_s(a), i64x2.extend_high_i32x4_s(a));
  // For 4S the two 64-bit partial sums are already in place (Q = 1): fold them.
  setScalar(Rd, size + 1, fold(FOLD_ADD, size + 1, Q, w));
}

export function ADDV_asimdall_only(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  across(FOLD_ADD, Q, size, Rn, Rd);
}
export function SADDLV_asimdall_only(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  addLongAcross(Q, size, Rn, Rd, false);
}
export function UADDLV_asimdall_only(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  addLongAcross(Q, size, Rn, Rd, true);
}
export function SMAXV_asimdall_only(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  across(FOLD_SMAX, Q, size, Rn, Rd);
}
export function UMAXV_asimdall_only(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  across(FOLD_UMAX, Q, size, Rn, Rd);
}
export function SMINV_asimdall_only(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  across(FOLD_SMIN, Q, size, Rn, Rd);
}
export function UMINV_asimdall_only(Q: u32, size: u32, Rn: u32, Rd: u32): void {
  across(FOLD_UMIN, Q, size, Rn, Rd);
}

export function ADDP_asisdpair_only(size: u32, Rn: u32, Rd: u32): void {
  if (size != 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  setScalar(Rd, 3, elemU(Rn, 0, 3) + elemU(Rn, 1, 3));
}
