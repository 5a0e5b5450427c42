// Load/store exclusive and load-acquire/store-release (Arm ARM C4.1.66). Handlers take the
// fields of src/cpu/decode/ldst_excl.decode.
//
// The monitor is memory.ts's value-based one (as QEMU's TCG): a store-exclusive succeeds when
// the monitor is armed for the same address and size and memory still holds the value the
// load-exclusive saw; it then stores and writes status 0, else status 1, and always clears
// the monitor. All these accesses need natural alignment (pairs: of the pair's total size).
// Unlike QEMU 7.2, which compares only the address, a store-exclusive of another size than
// the load-exclusive fails (the architecture makes that CONSTRAINED UNPREDICTABLE). The
// alignment check comes before the monitor check (AArch64.ExclusiveMonitorsPass); QEMU fails
// a misaligned store-exclusive without the fault.
// The comparing reads of a store-exclusive are part of the store: watchpoints see a store.
// Acquire/release ordering is implicit: one core, accesses in program order.
import { exclusiveArm, exclusiveClear, exclusiveMatches, exclusiveValue, exclusiveValueHi, readForStore, readSized, writeSized } from "../memory";
import { ctl, getW, getX, getXSP, setW, setX } from "../state";
import { mmuIdx } from "../tlb";
import { alignFault, spAligned } from "./ldst_common";

/** Stores `bytes` (1..8) of data exclusively at address: returns the status (0 = stored), or 2 after a fault. */
function storeExclusive(address: u64, bytes: u32, data: u64): u32 {
  if (<u32>address & (bytes - 1)) {
    alignFault(address, true);
    return 2;
  }
  let status: u32 = 1;
  if (exclusiveMatches(address, bytes)) {
    const cur = readForStore(address, bytes, mmuIdx);
    if (ctl) return 2;
    if (cur == exclusiveValue()) {
      writeSized(address, bytes, data, mmuIdx, true);
      if (ctl) return 2;
      status = 0;
    }
  }
  exclusiveClear();
  return status;
}

// @ts-ignore: decorator
@inline function sizeMask(size: u32): u64 {
  return size == 3 ? <u64>-1 : ((<u64>1) << (8 << size)) - 1;
}

export function STXR(size: u32, Rs: u32, o0: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const status = storeExclusive(getXSP(Rn), 1 << size, getX(Rt) & sizeMask(size));
  if (status > 1) return;
  setW(Rs, status);
}

export function LDXR(size: u32, o0: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn);
  const data = readSized(address, 1 << size, mmuIdx, true);
  if (ctl) return;
  exclusiveArm(address, 1 << size, data, 0);
  setX(Rt, data);
}

export function STXP(sz: u32, Rs: u32, o0: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn);
  if (sz == 0) {
    const status = storeExclusive(address, 8, ((<u64>getW(Rt2)) << 32) | <u64>getW(Rt));
    if (status > 1) return;
    setW(Rs, status);
    return;
  }
  if (<u32>address & 15) {
    alignFault(address, true);
    return;
  }
  let status: u32 = 1;
  if (exclusiveMatches(address, 16)) {
    const lo = readForStore(address, 8, mmuIdx);
    if (ctl) return;
    const hi = readForStore(address + 8, 8, mmuIdx);
    if (ctl) return;
    if (lo == exclusiveValue() && hi == exclusiveValueHi()) {
      // Read both values of the registers first: Rs may be one of them, written only at the end.
      const d1 = getX(Rt);
      const d2 = getX(Rt2);
      writeSized(address, 8, d1, mmuIdx, true);
      if (ctl) return;
      writeSized(address + 8, 8, d2, mmuIdx, true);
      if (ctl) return;
      status = 0;
    }
  }
  exclusiveClear();
  setW(Rs, status);
}

/** LDXP/LDAXP; with Rt == Rt2 the second element wins, as QEMU does. */
export function LDXP(sz: u32, o0: u32, Rt2: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn);
  if (sz == 0) {
    const data = readSized(address, 8, mmuIdx, true);
    if (ctl) return;
    exclusiveArm(address, 8, data, 0);
    setW(Rt, <u32>data);
    setW(Rt2, <u32>(data >>> 32));
    return;
  }
  if (<u32>address & 15) {
    alignFault(address, false);
    return;
  }
  const lo = readSized(address, 8, mmuIdx, true);
  if (ctl) return;
  const hi = readSized(address + 8, 8, mmuIdx, true);
  if (ctl) return;
  exclusiveArm(address, 16, lo, hi);
  setX(Rt, lo);
  setX(Rt2, hi);
}

export function STLR(size: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  writeSized(getXSP(Rn), 1 << size, getX(Rt), mmuIdx, true);
}

export function LDAR(size: u32, Rn: u32, Rt: u32): void {
  if (Rn == 31 && !spAligned()) return;
  const data = readSized(getXSP(Rn), 1 << size, mmuIdx, true);
  if (ctl) return;
  setX(Rt, data);
}
