// The lane-by-lane three-same operations (simd_int_same.ts): Arm's operation on one element
// with unbounded-integer semantics, and the loop that applies it to a vector or scalar.
import { elem, elemU, satS, satU, scrClear, scrCommit, scrSet, setQC, smax, smin } from "./simd_util";

// Operation codes: U << 5 | opcode (bits 15..11), as in the encoding.
export const SHADD: u32 = 0x00;
export const UHADD: u32 = 0x20;
export const SQADD: u32 = 0x01;
export const UQADD: u32 = 0x21;
export const SRHADD: u32 = 0x02;
export const URHADD: u32 = 0x22;
export const SHSUB: u32 = 0x04;
export const UHSUB: u32 = 0x24;
export const SQSUB: u32 = 0x05;
export const UQSUB: u32 = 0x25;
export const CMGT: u32 = 0x06;
export const CMHI: u32 = 0x26;
export const CMGE: u32 = 0x07;
export const CMHS: u32 = 0x27;
export const SSHL: u32 = 0x08;
export const USHL: u32 = 0x28;
export const SQSHL: u32 = 0x09;
export const UQSHL: u32 = 0x29;
export const SRSHL: u32 = 0x0a;
export const URSHL: u32 = 0x2a;
export const SQRSHL: u32 = 0x0b;
export const UQRSHL: u32 = 0x2b;
export const SMAX: u32 = 0x0c;
export const UMAX: u32 = 0x2c;
export const SMIN: u32 = 0x0d;
export const UMIN: u32 = 0x2d;
export const SABD: u32 = 0x0e;
export const UABD: u32 = 0x2e;
export const SABA: u32 = 0x0f;
export const UABA: u32 = 0x2f;
export const ADD: u32 = 0x10;
export const SUB: u32 = 0x30;
export const CMTST: u32 = 0x11;
export const CMEQ: u32 = 0x31;
export const MLA: u32 = 0x12;
export const MLS: u32 = 0x32;
export const MUL: u32 = 0x13;
export const PMUL: u32 = 0x33;
export const SQDMULH: u32 = 0x16;
export const SQRDMULH: u32 = 0x36;

/**
 * Shift by a signed register amount (SSHL, USHL, SRSHL, URSHL, SQSHL, UQSHL, SQRSHL, UQRSHL):
 * `a` is the element extended per `unsigned`, `shift` the signed low byte of the other operand.
 */
export function shiftByReg(a: u64, shift: i32, esz: u32, unsigned: bool, round: bool, saturate: bool): u64 {
  if (shift < 0) {
    // (a + round_const) >> n, computed as (a >> n) + the last bit shifted out, without overflow.
    const n = <u64>-shift;
    if (unsigned) {
      const r = n >= 64 ? 0 : a >>> n;
      return round ? r + (n > 64 ? 0 : (a >>> (n - 1)) & 1) : r;
    }
    const s = <i64>a;
    const r = s >> (n > 63 ? 63 : n);
    return <u64>(round ? r + ((s >> (n - 1 > 63 ? 63 : n - 1)) & 1) : r);
  }
  const esize = <i32>(8 << esz);
  if (!saturate) return shift >= 64 ? 0 : a << (<u64>shift);
  if (a == 0) return 0;
  if (unsigned) {
    if (shift >= esize) {
      setQC();
      return <u64>-1;
    }
    const r = a << (<u64>shift);
    if (esz == 3) {
      if (r >>> (<u64>shift) != a) {
        setQC();
        return <u64>-1;
      }
      return r;
    }
    return satU(r, esz);
  }
  const s = <i64>a;
  if (shift >= esize) {
    setQC();
    return <u64>(s < 0 ? smin(esz) : smax(esz));
  }
  const r = s << (<i64>shift);
  if (esz == 3) {
    if (r >> (<i64>shift) != s) {
      setQC();
      return <u64>(s < 0 ? smin(esz) : smax(esz));
    }
    return <u64>r;
  }
  return <u64>satS(r, esz);
}

/** Polynomial multiply of two bytes, low 8 bits of the product. */
// @ts-ignore: decorator
@inline function pmul8(a: u32, b: u32): u32 {
  let r: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) if ((b >> i) & 1) r ^= a << i;
  return r & 0xff;
}

/**
 * One element of a three-same operation. `a`, `b`, `d` (the old destination element, for the
 * accumulating forms) are extended to 64 bits: zero-extended for the unsigned operations, else
 * sign-extended. The result's low 8 << esz bits are the element.
 */
// @ts-ignore: decorator
@inline function sameOp(opc: u32, esz: u32, a: u64, b: u64, d: u64): u64 {
  const sa = <i64>a;
  const sb = <i64>b;
  switch (opc) {
    case SHADD:
      return <u64>((sa + sb) >> 1);
    case UHADD:
      return (a + b) >>> 1;
    case SRHADD:
      return <u64>((sa + sb + 1) >> 1);
    case URHADD:
      return (a + b + 1) >>> 1;
    case SHSUB:
    case UHSUB:
      return <u64>((sa - sb) >> 1);
    case SQADD: {
      if (esz < 3) return <u64>satS(sa + sb, esz);
      const r = sa + sb;
      if (((sa ^ r) & (sb ^ r)) < 0) {
        setQC();
        return <u64>(sa < 0 ? smin(3) : smax(3));
      }
      return <u64>r;
    }
    case UQADD: {
      if (esz < 3) return satU(a + b, esz);
      const r = a + b;
      if (r < a) {
        setQC();
        return <u64>-1;
      }
      return r;
    }
    case SQSUB: {
      if (esz < 3) return <u64>satS(sa - sb, esz);
      const r = sa - sb;
      if (((sa ^ sb) & (sa ^ r)) < 0) {
        setQC();
        return <u64>(sa < 0 ? smin(3) : smax(3));
      }
      return <u64>r;
    }
    case UQSUB:
      if (a < b) {
        setQC();
        return 0;
      }
      return a - b;
    case CMGT:
      return sa > sb ? <u64>-1 : 0;
    case CMHI:
      return a > b ? <u64>-1 : 0;
    case CMGE:
      return sa >= sb ? <u64>-1 : 0;
    case CMHS:
      return a >= b ? <u64>-1 : 0;
    case SSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, false, false);
    case USHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, false, false);
    case SQSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, false, true);
    case UQSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, false, true);
    case SRSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, true, false);
    case URSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, true, false);
    case SQRSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, false, true, true);
    case UQRSHL:
      return shiftByReg(a, <i32>(<i8>b), esz, true, true, true);
    case SMAX:
      return sa > sb ? a : b;
    case UMAX:
      return a > b ? a : b;
    case SMIN:
      return sa < sb ? a : b;
    case UMIN:
      return a < b ? a : b;
    case SABD:
      return <u64>(sa > sb ? sa - sb : sb - sa);
    case UABD:
      return a > b ? a - b : b - a;
    case SABA:
      return d + <u64>(sa > sb ? sa - sb : sb - sa);
    case UABA:
      return d + (a > b ? a - b : b - a);
    case ADD:
      return a + b;
    case SUB:
      return a - b;
    case CMTST:
      return (a & b) != 0 ? <u64>-1 : 0;
    case CMEQ:
      return a == b ? <u64>-1 : 0;
    case MLA:
      return d + a * b;
    case MLS:
      return d - a * b;
    case MUL:
      return a * b;
    case PMUL:
      return <u64>pmul8(<u32>a & 0xff, <u32>b & 0xff);
    case SQDMULH:
      // (2ab) >> esize == ab >> (esize - 1); only MIN * MIN saturates.
      return <u64>satS((sa * sb) >> (<i64>(8 << esz) - 1), esz);
    case SQRDMULH:
      return <u64>satS((sa * sb + ((<i64>1) << (<i64>(8 << esz) - 2))) >> (<i64>(8 << esz) - 1), esz);
    default:
      return 0;
  }
}

/** Applies sameOp to `elements` elements of size esz; the rest of Vd is cleared. */
// @ts-ignore: decorator
@inline function sameLoopN(opc: u32, esz: u32, elements: u32, Rm: u32, Rn: u32, Rd: u32): void {
  // SQRDMULH is the one U = 1 operation on signed elements.
  const unsigned = (opc & 0x20) != 0 && opc != SQRDMULH;
  scrClear();
  for (let i: u32 = 0; i < elements; i++) {
    const a = elem(Rn, i, esz, unsigned);
    const b = elem(Rm, i, esz, unsigned);
    scrSet(i, esz, sameOp(opc, esz, a, b, elemU(Rd, i, esz)));
  }
  scrCommit(Rd);
}

/**
 * The lane loop, inlined into each handler with its constant opc and with one copy per element
 * size, so that the operation and element-access switches fold away.
 */
// @ts-ignore: decorator
@inline export function sameLoop(opc: u32, esz: u32, elements: u32, Rm: u32, Rn: u32, Rd: u32): void {
  switch (esz) {
    case 0:
      sameLoopN(opc, 0, elements, Rm, Rn, Rd);
      break;
    case 1:
      sameLoopN(opc, 1, elements, Rm, Rn, Rd);
      break;
    case 2:
      sameLoopN(opc, 2, elements, Rm, Rn, Rd);
      break;
    default:
      sameLoopN(opc, 3, elements, Rm, Rn, Rd);
      break;
  }
}

