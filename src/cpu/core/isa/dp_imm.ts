// Data processing -- immediate (Arm ARM C4.1.64). Handlers take the fields of
// src/cpu/decode/dp_imm.decode.
import { undefinedInstruction } from "../exceptions";
import { getR, getRSP, getX, PC, setFlags, setR, setRSP } from "../state";
import { addWithCarry32, addWithCarry64, bmTmask, bmWmask, decodeBitMasks } from "./alu";

// @ts-ignore: decorator
@inline function sext(v: u64, bits: u32): u64 {
  return <u64>((<i64>(v << (64 - bits))) >> (64 - bits));
}

export function ADR(immlo: u32, immhi: u32, Rd: u32): void {
  setR(1, Rd, PC + sext((<u64>immhi << 2) | immlo, 21));
}

export function ADRP(immlo: u32, immhi: u32, Rd: u32): void {
  setR(1, Rd, (PC & ~(<u64>0xfff)) + (sext((<u64>immhi << 2) | immlo, 21) << 12));
}

// @ts-ignore: decorator
@inline function addSubImm(sf: u32, sh: u32, imm12: u32, Rn: u32, Rd: u32, sub: bool, setflags: bool): void {
  const imm: u64 = <u64>imm12 << (sh * 12);
  const n = getRSP(sf, Rn);
  let r: u64;
  if (sf) r = addWithCarry64(n, sub ? ~imm : imm, sub ? 1 : 0, setflags);
  else r = <u64>addWithCarry32(<u32>n, sub ? ~(<u32>imm) : <u32>imm, sub ? 1 : 0, setflags);
  if (setflags) setR(sf, Rd, r);
  else setRSP(sf, Rd, r);
}

export function ADD_imm(sf: u32, sh: u32, imm12: u32, Rn: u32, Rd: u32): void {
  addSubImm(sf, sh, imm12, Rn, Rd, false, false);
}
export function ADDS_imm(sf: u32, sh: u32, imm12: u32, Rn: u32, Rd: u32): void {
  addSubImm(sf, sh, imm12, Rn, Rd, false, true);
}
export function SUB_imm(sf: u32, sh: u32, imm12: u32, Rn: u32, Rd: u32): void {
  addSubImm(sf, sh, imm12, Rn, Rd, true, false);
}
export function SUBS_imm(sf: u32, sh: u32, imm12: u32, Rn: u32, Rd: u32): void {
  addSubImm(sf, sh, imm12, Rn, Rd, true, true);
}


function logicalImm(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32, opc: u32): void {
  if (sf == 0 && N == 1) {
    undefinedInstruction();
    return;
  }
  if (!decodeBitMasks(N, imms, immr, true, sf ? 64 : 32)) {
    undefinedInstruction();
    return;
  }
  const imm = bmWmask;
  const n = getR(sf, Rn);
  let r: u64;
  switch (opc) {
    case 0:
    case 3:
      r = n & imm;
      break;
    case 1:
      r = n | imm;
      break;
    default:
      r = n ^ imm;
      break;
  }
  if (opc == 3) {
    const neg = sf ? <i64>r < 0 : <i32>(<u32>r) < 0;
    setFlags(neg, r == 0, false, false);
    setR(sf, Rd, r);
  } else {
    setRSP(sf, Rd, r);
  }
}

export function AND_imm(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  logicalImm(sf, N, immr, imms, Rn, Rd, 0);
}
export function ORR_imm(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  logicalImm(sf, N, immr, imms, Rn, Rd, 1);
}
export function EOR_imm(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  logicalImm(sf, N, immr, imms, Rn, Rd, 2);
}
export function ANDS_imm(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  logicalImm(sf, N, immr, imms, Rn, Rd, 3);
}

export function MOVN(sf: u32, hw: u32, imm16: u32, Rd: u32): void {
  if (sf == 0 && hw >= 2) {
    undefinedInstruction();
    return;
  }
  setR(sf, Rd, ~(<u64>imm16 << (hw * 16)));
}

export function MOVZ(sf: u32, hw: u32, imm16: u32, Rd: u32): void {
  if (sf == 0 && hw >= 2) {
    undefinedInstruction();
    return;
  }
  setR(sf, Rd, <u64>imm16 << (hw * 16));
}

export function MOVK(sf: u32, hw: u32, imm16: u32, Rd: u32): void {
  if (sf == 0 && hw >= 2) {
    undefinedInstruction();
    return;
  }
  const shift = hw * 16;
  setR(sf, Rd, (getX(Rd) & ~(<u64>0xffff << shift)) | (<u64>imm16 << shift));
}

/** Shared body of SBFM/BFM/UBFM (Arm ARM shared decode for bitfield moves). */
function bitfield(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32, opc: u32): void {
  if (sf != N || (sf == 0 && (immr >= 32 || imms >= 32))) {
    undefinedInstruction();
    return;
  }
  const datasize: u32 = sf ? 64 : 32;
  if (!decodeBitMasks(N, imms, immr, false, datasize)) {
    undefinedInstruction();
    return;
  }
  const wmask = bmWmask;
  const tmask = bmTmask;
  const src = getR(sf, Rn);
  const dst = opc == 1 ? getR(sf, Rd) : 0;
  // ROR(src, R) within datasize.
  let bot: u64;
  if (immr == 0) bot = src;
  else if (sf) bot = (src >>> immr) | (src << (64 - immr));
  else bot = ((src >>> immr) | (src << (32 - immr))) & 0xffffffff;
  bot = opc == 1 ? (dst & ~wmask) | (bot & wmask) : bot & wmask;
  let top: u64 = dst;
  if (opc == 0) {
    // Replicate(src<S>)
    const bit = (src >>> imms) & 1;
    top = bit ? (sf ? ~(<u64>0) : 0xffffffff) : 0;
  }
  setR(sf, Rd, (top & ~tmask) | (bot & tmask));
}

export function SBFM(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  bitfield(sf, N, immr, imms, Rn, Rd, 0);
}
export function BFM(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  bitfield(sf, N, immr, imms, Rn, Rd, 1);
}
export function UBFM(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  bitfield(sf, N, immr, imms, Rn, Rd, 2);
}

export function EXTR(sf: u32, N: u32, Rm: u32, imms: u32, Rn: u32, Rd: u32): void {
  if (sf != N || (sf == 0 && imms >= 32)) {
    undefinedInstruction();
    return;
  }
  const hi = getR(sf, Rn);
  const lo = getR(sf, Rm);
  let r: u64;
  if (imms == 0) r = lo;
  else if (sf) r = (lo >>> imms) | (hi << (64 - imms));
  else r = ((lo >>> imms) | (hi << (32 - imms))) & 0xffffffff;
  setR(sf, Rd, r);
}
