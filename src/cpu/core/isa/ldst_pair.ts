// Load/store pair of general registers (Arm ARM C4.1.66). Handlers take the fields of
// src/cpu/decode/ldst_pair.decode.
//
// Loads read both elements before writing either register. CONSTRAINED UNPREDICTABLE cases,
// as QEMU does: LDP with Rt == Rt2 leaves the first element in Rt (Rt2 is written first);
// writeback onto Rt/Rt2 leaves the written-back address; stores store the original Rn.
import { read32, read64, write32, write64 } from "../memory";
import { ctl, getW, getX, getXSP, setW, setX, setXSP } from "../state";
import { sextImm, spAligned } from "./ldst_common";

// @ts-ignore: decorator
@inline function storePair(sf: u32, address: u64, Rt: u32, Rt2: u32): void {
  if (sf) {
    write64(address, getX(Rt));
    if (ctl) return;
    write64(address + 8, getX(Rt2));
  } else {
    write32(address, getW(Rt));
    if (ctl) return;
    write32(address + 4, getW(Rt2));
  }
}

/** Loads a pair; false when an access faulted (nothing written). */
// @ts-ignore: decorator
@inline function loadPair(sf: u32, address: u64, Rt: u32, Rt2: u32): bool {
  if (sf) {
    const d1 = read64(address);
    if (ctl) return false;
    const d2 = read64(address + 8);
    if (ctl) return false;
    setX(Rt2, d2);
    setX(Rt, d1);
  } else {
    const d1 = read32(address);
    if (ctl) return false;
    const d2 = read32(address + 4);
    if (ctl) return false;
    setW(Rt2, d2);
    setW(Rt, d1);
  }
  return true;
}

export function STP(sf: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  storePair(sf, getXSP(Rn) + (sextImm(imm7, 7) << (2 + sf)), Rt, Rt2);
}
export function LDP(sf: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  loadPair(sf, getXSP(Rn) + (sextImm(imm7, 7) << (2 + sf)), Rt, Rt2);
}
export function STP_idx(sf: u32, pre: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + (sextImm(imm7, 7) << (2 + sf));
  storePair(sf, pre ? wb : base, Rt, Rt2);
  if (ctl) return;
  setXSP(Rn, wb);
}
export function LDP_idx(sf: u32, pre: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + (sextImm(imm7, 7) << (2 + sf));
  if (!loadPair(sf, pre ? wb : base, Rt, Rt2)) return;
  setXSP(Rn, wb);
}

// @ts-ignore: decorator
@inline function loadPairSW(address: u64, Rt: u32, Rt2: u32): bool {
  const d1 = read32(address);
  if (ctl) return false;
  const d2 = read32(address + 4);
  if (ctl) return false;
  setX(Rt2, <u64>(<i64>(<i32>d2)));
  setX(Rt, <u64>(<i64>(<i32>d1)));
  return true;
}

export function LDPSW(imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  loadPairSW(getXSP(Rn) + (sextImm(imm7, 7) << 2), Rt, Rt2);
}
export function LDPSW_idx(pre: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const base = getXSP(Rn);
  const wb = base + (sextImm(imm7, 7) << 2);
  if (!loadPairSW(pre ? wb : base, Rt, Rt2)) return;
  setXSP(Rn, wb);
}

/** The non-temporal hint changes nothing here. */
export function STNP(sf: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  STP(sf, imm7, Rt2, Rn, Rt);
}
export function LDNP(sf: u32, imm7: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  LDP(sf, imm7, Rt2, Rn, Rt);
}
