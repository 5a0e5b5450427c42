// Data processing -- immediate (Arm ARM C4.1.64). Handlers take the fields of
// src/cpu/decode/dp_imm.decode.
import { undefinedInstruction } from "../exceptions";
import { getW, getX, getXSP, PC, setW, setX, setXSP } from "../state";
import { adds32, adds64, logicalImmediate, logicFlags32, logicFlags64, subs32, subs64 } from "./alu";

// @ts-ignore: decorator
@inline function sext(v: u64, bits: u32): u64 {
  return <u64>((<i64>(v << (64 - bits))) >> (64 - bits));
}

export function ADR(immlo: u32, immhi: u32, Rd: u32): void {
  setX(Rd, PC + sext((<u64>immhi << 2) | immlo, 21));
}

export function ADRP(immlo: u32, immhi: u32, Rd: u32): void {
  setX(Rd, (PC & ~(<u64>0xfff)) + (sext((<u64>immhi << 2) | immlo, 21) << 12));
}

// ---- Add/subtract (immediate) ---------------------------------------------------------------

// Rn is SP-or-register; Rd is SP for ADD/SUB and ZR for ADDS/SUBS.
// @ts-ignore: decorator
@inline function addSubImm(sf: u32, sh: u32, imm12: u32, Rn: u32, Rd: u32, sub: bool, setflags: bool): void {
  const imm = imm12 << (sh * 12);
  if (sf) {
    const n = getXSP(Rn);
    if (setflags) setX(Rd, sub ? subs64(n, imm) : adds64(n, imm));
    else setXSP(Rd, sub ? n - imm : n + imm);
  } else {
    const n = <u32>getXSP(Rn);
    if (setflags) setW(Rd, sub ? subs32(n, imm) : adds32(n, imm));
    else setXSP(Rd, <u64>(sub ? n - imm : n + imm));
  }
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

// ---- Logical (immediate) --------------------------------------------------------------------

// opc: 0 AND, 1 ORR, 2 EOR, 3 ANDS. Rd is SP except for ANDS.
// @ts-ignore: decorator
@inline function logicalImm(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32, opc: u32): void {
  const imm = logicalImmediate(N, immr, imms);
  // Reserved bitmasks decode to 0; 32-bit forms need N = 0.
  if (imm == 0 || (N > sf)) {
    undefinedInstruction();
    return;
  }
  const n = getX(Rn);
  let r: u64;
  if (opc == 1) r = n | imm;
  else if (opc == 2) r = n ^ imm;
  else r = n & imm;
  if (opc == 3) {
    if (sf) {
      logicFlags64(r);
      setX(Rd, r);
    } else {
      logicFlags32(<u32>r);
      setW(Rd, <u32>r);
    }
  } else {
    setXSP(Rd, sf ? r : r & 0xffffffff);
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

// ---- Move wide (immediate) ------------------------------------------------------------------

export function MOVN(sf: u32, hw: u32, imm16: u32, Rd: u32): void {
  if (sf == 0 && hw >= 2) {
    undefinedInstruction();
    return;
  }
  const r = ~(<u64>imm16 << (hw * 16));
  setX(Rd, sf ? r : r & 0xffffffff);
}

export function MOVZ(sf: u32, hw: u32, imm16: u32, Rd: u32): void {
  if (sf == 0 && hw >= 2) {
    undefinedInstruction();
    return;
  }
  setX(Rd, <u64>imm16 << (hw * 16));
}

export function MOVK(sf: u32, hw: u32, imm16: u32, Rd: u32): void {
  if (sf == 0 && hw >= 2) {
    undefinedInstruction();
    return;
  }
  const shift = hw * 16;
  const r = (getX(Rd) & ~(<u64>0xffff << shift)) | (<u64>imm16 << shift);
  setX(Rd, sf ? r : r & 0xffffffff);
}

// ---- Bitfield -------------------------------------------------------------------------------
// The Arm ARM's wmask/tmask formulation reduces to two cases: imms >= immr extracts
// src<imms:immr> to bit 0 (SBFX/UBFX/BFXIL, ASR/LSR), imms < immr inserts src<imms:0> at
// bit datasize-immr (SBFIZ/UBFIZ/BFI, LSL). Shifting the field to the top and back does both.

// @ts-ignore: decorator
@inline function bitfieldReserved(sf: u32, N: u32, immr: u32, imms: u32): bool {
  return sf != N || (sf == 0 && ((immr | imms) & 0x20) != 0);
}

export function SBFM(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  if (bitfieldReserved(sf, N, immr, imms)) {
    undefinedInstruction();
    return;
  }
  if (sf) {
    const top = <i64>(getX(Rn) << (63 - imms));
    if (imms >= immr) setX(Rd, <u64>(top >> (63 - imms + immr)));
    else setX(Rd, <u64>(top >> (63 - imms)) << (64 - immr));
  } else {
    const top = <i32>(getW(Rn) << (31 - imms));
    if (imms >= immr) setW(Rd, <u32>(top >> (31 - imms + immr)));
    else setW(Rd, <u32>(top >> (31 - imms)) << (32 - immr));
  }
}

export function UBFM(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  if (bitfieldReserved(sf, N, immr, imms)) {
    undefinedInstruction();
    return;
  }
  if (sf) {
    const top = getX(Rn) << (63 - imms);
    if (imms >= immr) setX(Rd, top >>> (63 - imms + immr));
    else setX(Rd, (top >>> (63 - imms)) << (64 - immr));
  } else {
    const top = getW(Rn) << (31 - imms);
    if (imms >= immr) setW(Rd, top >>> (31 - imms + immr));
    else setW(Rd, (top >>> (31 - imms)) << (32 - immr));
  }
}

export function BFM(sf: u32, N: u32, immr: u32, imms: u32, Rn: u32, Rd: u32): void {
  if (bitfieldReserved(sf, N, immr, imms)) {
    undefinedInstruction();
    return;
  }
  if (sf) {
    const src = getX(Rn);
    const dst = getX(Rd);
    if (imms >= immr) {
      const mask = ~(<u64>0) >>> (63 - imms + immr);
      setX(Rd, (dst & ~mask) | ((src >>> immr) & mask));
    } else {
      const pos = 64 - immr;
      const mask = (~(<u64>0) >>> (63 - imms)) << pos;
      setX(Rd, (dst & ~mask) | ((src << pos) & mask));
    }
  } else {
    const src = getW(Rn);
    const dst = getW(Rd);
    if (imms >= immr) {
      const mask = <u32>0xffffffff >>> (31 - imms + immr);
      setW(Rd, (dst & ~mask) | ((src >>> immr) & mask));
    } else {
      const pos = 32 - immr;
      const mask = (<u32>0xffffffff >>> (31 - imms)) << pos;
      setW(Rd, (dst & ~mask) | ((src << pos) & mask));
    }
  }
}

// ---- Extract --------------------------------------------------------------------------------

export function EXTR(sf: u32, N: u32, Rm: u32, imms: u32, Rn: u32, Rd: u32): void {
  if (sf != N || (sf == 0 && imms >= 32)) {
    undefinedInstruction();
    return;
  }
  if (sf) {
    // (Rn:Rm) >> lsb; the high part is shifted in two steps so lsb = 0 needs no branch.
    setX(Rd, (getX(Rm) >>> imms) | ((getX(Rn) << 1) << (63 - imms)));
  } else {
    setW(Rd, <u32>((((<u64>getW(Rn)) << 32) | <u64>getW(Rm)) >>> imms));
  }
}
