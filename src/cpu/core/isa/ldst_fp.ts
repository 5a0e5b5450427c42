// Loads and stores of SIMD&FP registers B/H/S/D/Q (Arm ARM C4.1.66, the V = 1 forms). Handlers
// take the fields of src/cpu/decode/ldst_fp.decode. Order of checks: unallocated encodings
// (UNDEFINED), then the FP access trap, then the SP alignment check, then the accesses.
// Loads clear the bits of Vt above the access; 128-bit accesses are two 64-bit ones.
import { fpCheck, undefinedInstruction } from "../exceptions";
import { ctl, getXSP, PC, setXSP } from "../state";
import { fpLoad, fpRead, fpStore, fpTmpHi, fpTmpLo, optionValid, regOffset, setVPair, sextImm, spAligned } from "./ldst_common";

/** Access size log2 (0..4) from size and opc<1>, or 5 when unallocated. */
// @ts-ignore: decorator
@inline function fpScale(size: u32, opc1: u32): u32 {
  return opc1 ? (size == 0 ? 4 : 5) : size;
}

export function STR_fp_imm(size: u32, opc1: u32, imm12: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  fpStore(Rt, getXSP(Rn) + ((<u64>imm12) << scale), scale);
}
export function LDR_fp_imm(size: u32, opc1: u32, imm12: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  fpLoad(Rt, getXSP(Rn) + ((<u64>imm12) << scale), scale);
}
export function STR_fp_idx(size: u32, opc1: u32, imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  if (!fpStore(Rt, pre ? wb : base, scale)) return;
  setXSP(Rn, wb);
}
export function LDR_fp_idx(size: u32, opc1: u32, imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  if (!fpLoad(Rt, pre ? wb : base, scale)) return;
  setXSP(Rn, wb);
}
export function STUR_fp(size: u32, opc1: u32, imm9: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  fpStore(Rt, getXSP(Rn) + sextImm(imm9, 9), scale);
}
export function LDUR_fp(size: u32, opc1: u32, imm9: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  fpLoad(Rt, getXSP(Rn) + sextImm(imm9, 9), scale);
}
export function STR_fp_reg(size: u32, opc1: u32, Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4 || !optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  fpStore(Rt, getXSP(Rn) + regOffset(Rm, option, S ? scale : 0), scale);
}
export function LDR_fp_reg(size: u32, opc1: u32, Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  const scale = fpScale(size, opc1);
  if (scale > 4 || !optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  fpLoad(Rt, getXSP(Rn) + regOffset(Rm, option, S ? scale : 0), scale);
}
export function LDR_fp_lit(opc: u32, imm19: u32, Rt: u32): void {
  if (opc == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  fpLoad(Rt, PC + (sextImm(imm19, 19) << 2), 2 + opc);
}

// ---- Pairs ---------------------------------------------------------------------------------
// Both elements are read before either register is written; with Rt == Rt2 the second
// element wins, as QEMU does.

function storePairFp(scale: u32, address: u64, Rt: u32, Rt2: u32): bool {
  if (!fpStore(Rt, address, scale)) return false;
  return fpStore(Rt2, address + ((<u64>1) << scale), scale);
}

function loadPairFp(scale: u32, address: u64, Rt: u32, Rt2: u32): bool {
  if (!fpRead(address, scale)) return false;
  const lo1 = fpTmpLo;
  const hi1 = fpTmpHi;
  if (!fpRead(address + ((<u64>1) << scale), scale)) return false;
  setVPair(Rt, lo1, hi1);
  setVPair(Rt2, fpTmpLo, fpTmpHi);
  return true;
}

export function STP_fp(opc: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (opc == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  storePairFp(2 + opc, getXSP(Rn) + (sextImm(imm7, 7) << (2 + opc)), Rt, Rt2);
}
export function LDP_fp(opc: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (opc == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  loadPairFp(2 + opc, getXSP(Rn) + (sextImm(imm7, 7) << (2 + opc)), Rt, Rt2);
}
export function STP_fp_idx(opc: u32, pre: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (opc == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + (sextImm(imm7, 7) << (2 + opc));
  if (!storePairFp(2 + opc, pre ? wb : base, Rt, Rt2)) return;
  setXSP(Rn, wb);
}
export function LDP_fp_idx(opc: u32, pre: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (opc == 3) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + (sextImm(imm7, 7) << (2 + opc));
  if (!loadPairFp(2 + opc, pre ? wb : base, Rt, Rt2)) return;
  setXSP(Rn, wb);
}
export function STNP_fp(opc: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  STP_fp(opc, imm7, Rt2, Rn, Rt);
}
export function LDNP_fp(opc: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  LDP_fp(opc, imm7, Rt2, Rn, Rt);
}
