// Loads and stores of general registers with a register offset, and the unprivileged forms
// LDTR*/STTR* (Arm ARM C4.1.66). Handlers take the fields of src/cpu/decode/ldst_reg.decode.
import { undefinedInstruction } from "../exceptions";
import { read16, read32, read64, read8, write16, write32, write64, write8 } from "../memory";
import { ctl, getW, getX, getXSP, setW, setX } from "../state";
import { optionValid, readUnpriv, regOffset, sextImm, spAligned, writeUnpriv } from "./ldst_common";

// ---- Register offset -----------------------------------------------------------------------
// address = Xn|SP + ExtendReg(Rm, option, S ? size : 0); option<1> = 0 is unallocated.

export function STRB_reg(Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  write8(getXSP(Rn) + regOffset(Rm, option, 0), getW(Rt));
}
export function LDRB_reg(Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  const data = read8(getXSP(Rn) + regOffset(Rm, option, 0));
  if (ctl) return;
  setW(Rt, data);
}
export function LDRSB_reg(opc0: u32, Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  const data = read8(getXSP(Rn) + regOffset(Rm, option, 0));
  if (ctl) return;
  const v = <u64>(<i64>(<i8>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STRH_reg(Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  write16(getXSP(Rn) + regOffset(Rm, option, S), getW(Rt));
}
export function LDRH_reg(Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  const data = read16(getXSP(Rn) + regOffset(Rm, option, S));
  if (ctl) return;
  setW(Rt, data);
}
export function LDRSH_reg(opc0: u32, Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  const data = read16(getXSP(Rn) + regOffset(Rm, option, S));
  if (ctl) return;
  const v = <u64>(<i64>(<i16>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STR_reg(sf: u32, Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn) + regOffset(Rm, option, S * (2 + sf));
  if (sf) write64(address, getX(Rt));
  else write32(address, getW(Rt));
}
export function LDR_reg(sf: u32, Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn) + regOffset(Rm, option, S * (2 + sf));
  if (sf) {
    const data = read64(address);
    if (ctl) return;
    setX(Rt, data);
  } else {
    const data = read32(address);
    if (ctl) return;
    setW(Rt, data);
  }
}
export function LDRSW_reg(Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) {
    undefinedInstruction();
    return;
  }
  if (Rn == 31 && !spAligned()) return;
  const data = read32(getXSP(Rn) + regOffset(Rm, option, S * 2));
  if (ctl) return;
  setX(Rt, <u64>(<i64>(<i32>data)));
}
/** A no-op, but the option field is decoded as for loads (option<1> = 0 is UNDEFINED). */
export function PRFM_reg(Rm: u32, option: u32, S: u32, Rn: u32, Rt: u32): void {
  if (!optionValid(option)) undefinedInstruction();
}

// ---- Unprivileged (EL0 permissions at EL1) --------------------------------------------------

// @ts-ignore: decorator
@inline function unprivAddress(imm9: u32, Rn: u32): u64 {
  return getXSP(Rn) + sextImm(imm9, 9);
}

export function STTRB(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  writeUnpriv(unprivAddress(imm9, Rn), 1, getX(Rt));
}
export function LDTRB(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = readUnpriv(unprivAddress(imm9, Rn), 1);
  if (ctl) return;
  setX(Rt, data);
}
export function LDTRSB(opc0: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = readUnpriv(unprivAddress(imm9, Rn), 1);
  if (ctl) return;
  const v = <u64>(<i64>(<i8>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STTRH(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  writeUnpriv(unprivAddress(imm9, Rn), 2, getX(Rt));
}
export function LDTRH(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = readUnpriv(unprivAddress(imm9, Rn), 2);
  if (ctl) return;
  setX(Rt, data);
}
export function LDTRSH(opc0: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = readUnpriv(unprivAddress(imm9, Rn), 2);
  if (ctl) return;
  const v = <u64>(<i64>(<i16>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STTR(sf: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  writeUnpriv(unprivAddress(imm9, Rn), 4 << sf, getX(Rt));
}
export function LDTR(sf: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = readUnpriv(unprivAddress(imm9, Rn), 4 << sf);
  if (ctl) return;
  setX(Rt, data);
}
export function LDTRSW(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = readUnpriv(unprivAddress(imm9, Rn), 4);
  if (ctl) return;
  setX(Rt, <u64>(<i64>(<i32>data)));
}
