// Loads and stores of general registers: unsigned offset, pre/post-index, unscaled, literal,
// prefetch (Arm ARM C4.1.66). Handlers take the fields of src/cpu/decode/ldst.decode.
//
// Every load checks `ctl` after its access and writes nothing when it faulted; writeback
// happens after the access. With writeback and Rt == Rn a load leaves the written-back
// address in Rn and a store stores the original Rn, as QEMU does (CONSTRAINED UNPREDICTABLE).
import { read16, read32, read64, read8, write16, write32, write64, write8 } from "../memory";
import { ctl, getW, getX, getXSP, PC, setW, setX, setXSP } from "../state";
import { sextImm, spAligned } from "./ldst_common";

// ---- Unsigned offset ---------------------------------------------------------------------

export function STRB_imm(imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  write8(getXSP(Rn) + <u64>imm12, getW(Rt));
}
export function LDRB_imm(imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read8(getXSP(Rn) + <u64>imm12);
  if (ctl) return;
  setW(Rt, data);
}
export function LDRSB_imm(opc0: u32, imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read8(getXSP(Rn) + <u64>imm12);
  if (ctl) return;
  const v = <u64>(<i64>(<i8>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STRH_imm(imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  write16(getXSP(Rn) + ((<u64>imm12) << 1), getW(Rt));
}
export function LDRH_imm(imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read16(getXSP(Rn) + ((<u64>imm12) << 1));
  if (ctl) return;
  setW(Rt, data);
}
export function LDRSH_imm(opc0: u32, imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read16(getXSP(Rn) + ((<u64>imm12) << 1));
  if (ctl) return;
  const v = <u64>(<i64>(<i16>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STR_imm(sf: u32, imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn) + ((<u64>imm12) << (2 + sf));
  if (sf) write64(address, getX(Rt));
  else write32(address, getW(Rt));
}
export function LDR_imm(sf: u32, imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn) + ((<u64>imm12) << (2 + sf));
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
export function LDRSW_imm(imm12: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read32(getXSP(Rn) + ((<u64>imm12) << 2));
  if (ctl) return;
  setX(Rt, <u64>(<i64>(<i32>data)));
}
/** Prefetch hints are no-ops (no translation, no fault). */
export function PRFM_imm(imm12: u32, Rn: u32, Rt: u32): void {}

// ---- Pre/post-index ------------------------------------------------------------------------

export function STRB_idx(imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  write8(pre ? wb : base, getW(Rt));
  if (ctl) return;
  setXSP(Rn, wb);
}
export function LDRB_idx(imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  const data = read8(pre ? wb : base);
  if (ctl) return;
  setW(Rt, data);
  setXSP(Rn, wb);
}
export function LDRSB_idx(opc0: u32, imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  const data = read8(pre ? wb : base);
  if (ctl) return;
  const v = <u64>(<i64>(<i8>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
  setXSP(Rn, wb);
}
export function STRH_idx(imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  write16(pre ? wb : base, getW(Rt));
  if (ctl) return;
  setXSP(Rn, wb);
}
export function LDRH_idx(imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  const data = read16(pre ? wb : base);
  if (ctl) return;
  setW(Rt, data);
  setXSP(Rn, wb);
}
export function LDRSH_idx(opc0: u32, imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  const data = read16(pre ? wb : base);
  if (ctl) return;
  const v = <u64>(<i64>(<i16>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
  setXSP(Rn, wb);
}
export function STR_idx(sf: u32, imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  const address = pre ? wb : base;
  if (sf) write64(address, getX(Rt));
  else write32(address, getW(Rt));
  if (ctl) return;
  setXSP(Rn, wb);
}
export function LDR_idx(sf: u32, imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  const address = pre ? wb : base;
  if (sf) {
    const data = read64(address);
    if (ctl) return;
    setX(Rt, data);
  } else {
    const data = read32(address);
    if (ctl) return;
    setW(Rt, data);
  }
  setXSP(Rn, wb);
}
export function LDRSW_idx(imm9: u32, pre: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + sextImm(imm9, 9);
  const data = read32(pre ? wb : base);
  if (ctl) return;
  setX(Rt, <u64>(<i64>(<i32>data)));
  setXSP(Rn, wb);
}

// ---- Unscaled offset (LDUR/STUR) -----------------------------------------------------------

export function STURB(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  write8(getXSP(Rn) + sextImm(imm9, 9), getW(Rt));
}
export function LDURB(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read8(getXSP(Rn) + sextImm(imm9, 9));
  if (ctl) return;
  setW(Rt, data);
}
export function LDURSB(opc0: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read8(getXSP(Rn) + sextImm(imm9, 9));
  if (ctl) return;
  const v = <u64>(<i64>(<i8>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STURH(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  write16(getXSP(Rn) + sextImm(imm9, 9), getW(Rt));
}
export function LDURH(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read16(getXSP(Rn) + sextImm(imm9, 9));
  if (ctl) return;
  setW(Rt, data);
}
export function LDURSH(opc0: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read16(getXSP(Rn) + sextImm(imm9, 9));
  if (ctl) return;
  const v = <u64>(<i64>(<i16>data));
  setX(Rt, opc0 ? v & 0xffffffff : v);
}
export function STUR(sf: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn) + sextImm(imm9, 9);
  if (sf) write64(address, getX(Rt));
  else write32(address, getW(Rt));
}
export function LDUR(sf: u32, imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn) + sextImm(imm9, 9);
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
export function LDURSW(imm9: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = read32(getXSP(Rn) + sextImm(imm9, 9));
  if (ctl) return;
  setX(Rt, <u64>(<i64>(<i32>data)));
}
export function PRFUM(imm9: u32, Rn: u32, Rt: u32): void {}

// ---- Literal -------------------------------------------------------------------------------

export function LDR_lit(sf: u32, imm19: u32, Rt: u32): void {
  const address = PC + (sextImm(imm19, 19) << 2);
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
export function LDRSW_lit(imm19: u32, Rt: u32): void {
  const data = read32(PC + (sextImm(imm19, 19) << 2));
  if (ctl) return;
  setX(Rt, <u64>(<i64>(<i32>data)));
}
export function PRFM_lit(imm19: u32, Rt: u32): void {}
