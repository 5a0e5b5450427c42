// AdvSIMD copy, scalar copy, permute, extract, table lookup and modified immediate (Arm ARM
// C4.1.68). Handlers take the fields of src/cpu/decode/simd_int_copy.decode.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { getV128, getX, setX, vAddr } from "../state";
import { elemS, elemU, replicate64, SCR, storeElem, trnV, uzpV, writeVQ, zipV } from "./simd_util";

/** Element size (0 = B .. 3 = D) of an INS/DUP/UMOV imm5; 4 when imm5<3:0> is zero (reserved). */
// @ts-ignore: decorator
@inline function insSize(imm5: u32): u32 {
  return imm5 & 15 ? ctz(imm5) : 4;
}

export function DUP_asimdins_DV_v(Q: u32, imm5: u32, Rn: u32, Rd: u32): void {
  const size = insSize(imm5);
  if (size > 3 || (size == 3 && Q == 0)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const element = elemU(Rn, imm5 >> (size + 1), size);
  writeVQ(Rd, i64x2.splat(replicate64(element, size)), Q);
}

export function DUP_asimdins_DR_r(Q: u32, imm5: u32, Rn: u32, Rd: u32): void {
  const size = insSize(imm5);
  if (size > 3 || (size == 3 && Q == 0)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  writeVQ(Rd, i64x2.splat(replicate64(getX(Rn), size)), Q);
}

export function INS_asimdins_IR_r(imm5: u32, Rn: u32, Rd: u32): void {
  const size = insSize(imm5);
  if (size > 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  storeElem(vAddr(Rd) + ((<usize>(imm5 >> (size + 1))) << size), size, getX(Rn));
}

export function SMOV_asimdins_W_w(Q: u32, imm5: u32, Rn: u32, Rd: u32): void {
  const size = insSize(imm5);
  if (size > 1 + Q) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const v = <u64>elemS(Rn, imm5 >> (size + 1), size);
  setX(Rd, Q ? v : v & 0xffffffff);
}

export function UMOV_asimdins_W_w(Q: u32, imm5: u32, Rn: u32, Rd: u32): void {
  const size = insSize(imm5);
  if (Q ? size != 3 : size > 2) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  setX(Rd, elemU(Rn, imm5 >> (size + 1), size));
}

export function INS_asimdins_IV_v(imm5: u32, imm4: u32, Rn: u32, Rd: u32): void {
  const size = insSize(imm5);
  if (size > 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const dst = vAddr(Rd) + ((<usize>(imm5 >> (size + 1))) << size);
  const src = vAddr(Rn) + ((<usize>(imm4 >> size)) << size);
  switch (size) {
    case 0:
      store<u8>(dst, load<u8>(src));
      break;
    case 1:
      store<u16>(dst, load<u16>(src));
      break;
    case 2:
      store<u32>(dst, load<u32>(src));
      break;
    default:
      store<u64>(dst, load<u64>(src));
      break;
  }
}

export function DUP_asisdone_only(imm5: u32, Rn: u32, Rd: u32): void {
  const size = insSize(imm5);
  if (size > 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const v = elemU(Rn, imm5 >> (size + 1), size);
  const a = vAddr(Rd);
  store<u64>(a, v);
  store<u64>(a, 0, 8);
}

// ---- Permute -----------------------------------------------------------------------------

/** UZP, ZIP, TRN (kind 0, 1, 2), first or second part. */
// @ts-ignore: decorator
@inline function permute(kind: u32, Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, part: u32): void {
  if (size == 3 && Q == 0) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  const n = getV128(Rn);
  const m = getV128(Rm);
  writeVQ(Rd, kind == 0 ? uzpV(n, m, size, Q, part) : kind == 1 ? zipV(n, m, size, Q, part) : trnV(n, m, size, Q, part), Q);
}
// @ts-ignore: decorator
@inline function uzp(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, part: u32): void {
  permute(0, Q, size, Rm, Rn, Rd, part);
}
// @ts-ignore: decorator
@inline function zip(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, part: u32): void {
  permute(1, Q, size, Rm, Rn, Rd, part);
}
// @ts-ignore: decorator
@inline function trn(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32, part: u32): void {
  permute(2, Q, size, Rm, Rn, Rd, part);
}

export function UZP1_asimdperm_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  uzp(Q, size, Rm, Rn, Rd, 0);
}
export function UZP2_asimdperm_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  uzp(Q, size, Rm, Rn, Rd, 1);
}
export function TRN1_asimdperm_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  trn(Q, size, Rm, Rn, Rd, 0);
}
export function TRN2_asimdperm_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  trn(Q, size, Rm, Rn, Rd, 1);
}
export function ZIP1_asimdperm_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  zip(Q, size, Rm, Rn, Rd, 0);
}
export function ZIP2_asimdperm_only(Q: u32, size: u32, Rm: u32, Rn: u32, Rd: u32): void {
  zip(Q, size, Rm, Rn, Rd, 1);
}

// ---- Extract and table lookup ------------------------------------------------------------

export function EXT_asimdext_only(Q: u32, Rm: u32, imm4: u32, Rn: u32, Rd: u32): void {
  if (Q == 0 && imm4 >= 8) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  // Vm:Vn laid out from the lowest byte in a 32-byte buffer; the result starts at byte imm4.
  if (Q) {
    v128.store(SCR, getV128(Rn));
    v128.store(SCR, getV128(Rm), 16);
  } else {
    store<u64>(SCR, load<u64>(vAddr(Rn)));
    store<u64>(SCR, load<u64>(vAddr(Rm)), 8);
  }
  writeVQ(Rd, v128.load(SCR + imm4), Q);
}

/** Table lookup in the len + 1 registers from Vn (wrapping at V31), indices from Vm. */
// @ts-ignore: decorator
@inline function tableLookup(Rm: u32, len: u32, Rn: u32): v128 {
  const indices = getV128(Rm);
  let r = i8x16.swizzle(getV128(Rn), indices);
  // swizzle yields 0 for indices >= 16, so subtracting 16k selects table register k alone.
  for (let k: u32 = 1; k <= len; k++) {
    const idx = i8x16.sub(indices, i8x16.splat(<i8>(16 * k)));
    r = v128.or(r, i8x16.swizzle(getV128((Rn + k) & 31), idx));
  }
  return r;
}

export function TBL_asimdtbl_L1_1(Q: u32, Rm: u32, len: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, tableLookup(Rm, len, Rn), Q);
}

export function TBX_asimdtbl_L1_1(Q: u32, Rm: u32, len: u32, Rn: u32, Rd: u32): void {
  if (!fpCheck()) return;
  const inRange = i8x16.lt_u(getV128(Rm), i8x16.splat(<i8>(16 * (len + 1))));
  writeVQ(Rd, v128.bitselect(tableLookup(Rm, len, Rn), getV128(Rd), inRange), Q);
}

// ---- Modified immediate ------------------------------------------------------------------

/** AdvSIMDExpandImm(op, cmode, imm8) for the integer cmodes (cmode 1111 is FMOV's). */
function advSimdExpandImm(op: u32, cmode: u32, imm8: u32): u64 {
  const b = <u64>imm8;
  switch (cmode >> 1) {
    case 0:
    case 1:
    case 2:
    case 3:
      return replicate64(b << (8 * (cmode >> 1)), 2);
    case 4:
    case 5:
      return replicate64(b << (8 * ((cmode >> 1) & 1)), 1);
    case 6:
      return replicate64(cmode & 1 ? (b << 16) | 0xffff : (b << 8) | 0xff, 2);
    default: {
      if (op == 0) return replicate64(b, 0);
      let r: u64 = 0;
      for (let i: u32 = 0; i < 8; i++) if ((imm8 >> i) & 1) r |= (<u64>0xff) << (8 * i);
      return r;
    }
  }
}

export function MOVI_asimdimm(Q: u32, op: u32, abc: u32, cmode: u32, defgh: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, i64x2.splat(advSimdExpandImm(op, cmode, (abc << 5) | defgh)), Q);
}

export function MVNI_asimdimm(Q: u32, abc: u32, cmode: u32, defgh: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, i64x2.splat(~advSimdExpandImm(1, cmode, (abc << 5) | defgh)), Q);
}

export function ORR_asimdimm(Q: u32, abc: u32, cmode: u32, defgh: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.or(getV128(Rd), i64x2.splat(advSimdExpandImm(0, cmode, (abc << 5) | defgh))), Q);
}

export function BIC_asimdimm(Q: u32, abc: u32, cmode: u32, defgh: u32, Rd: u32): void {
  if (!fpCheck()) return;
  writeVQ(Rd, v128.andnot(getV128(Rd), i64x2.splat(advSimdExpandImm(1, cmode, (abc << 5) | defgh))), Q);
}
