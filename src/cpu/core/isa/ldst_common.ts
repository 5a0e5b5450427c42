// Helpers shared by the load/store handlers (Arm ARM C4.1.66): base-register checks, offset
// decoding and sized accesses. Not an encoding group of its own (no ldst_common.decode).
import { dataAbort, spAlignmentFault } from "../exceptions";
import { X_BASE } from "../layout";
import { read16, read32, read64, read8, readSized, write16, write32, write64, write8, writeSized } from "../memory";
import { FSC_ALIGNMENT } from "../mmu";
import { SR_SCTLR_EL1, srGet } from "../sysreg-slots";
import { ctl, currentEL, getX, vAddr } from "../state";

/**
 * Checks the SP alignment rule for a base register of 31 (SCTLR_EL1.SA at EL1, SA0 at EL0):
 * returns false after raising the SP alignment fault. Call only when Rn == 31.
 */
export function spAligned(): bool {
  const sp = load<u64>(X_BASE + 31 * 8);
  if ((<u32>sp & 15) == 0) return true;
  const sctlr = srGet(SR_SCTLR_EL1);
  if (sctlr & (currentEL() == 0 ? 1 << 4 : 1 << 3)) {
    spAlignmentFault();
    return false;
  }
  return true;
}

/** Sign-extends the low `bits` of v to 64 bits. */
// @ts-ignore: decorator
@inline export function sextImm(v: u32, bits: u32): u64 {
  return <u64>((<i64>(<u64>v << (64 - bits))) >> (64 - bits));
}

/** True when a register-offset option is allocated (option<1> == 1: UXTW, LSL/UXTX, SXTW, SXTX). */
// @ts-ignore: decorator
@inline export function optionValid(option: u32): bool {
  return (option & 2) != 0;
}

/** ExtendReg(Rm, option, shift) for register-offset addressing (option<1> must be 1). */
// @ts-ignore: decorator
@inline export function regOffset(Rm: u32, option: u32, shift: u32): u64 {
  const m = getX(Rm);
  let off: u64;
  if (option & 1) off = m;
  else if (option & 4) off = <u64>(<i64>(<i32>(<u32>m)));
  else off = m & 0xffffffff;
  return off << shift;
}

/** Raises an alignment fault for an access at va (exclusives of pairs need 2x alignment). */
export function alignFault(va: u64, write: bool): void {
  dataAbort(va, FSC_ALIGNMENT, write);
}

/** Reads 1 << scale bytes (scale 0..3) at va on the fast path, zero-extended. */
// @ts-ignore: decorator
@inline export function readScaled(va: u64, scale: u32): u64 {
  if (scale == 3) return read64(va);
  if (scale == 2) return <u64>read32(va);
  if (scale == 1) return <u64>read16(va);
  return <u64>read8(va);
}

/** Writes the low 1 << scale bytes (scale 0..3) of v at va on the fast path. */
// @ts-ignore: decorator
@inline export function writeScaled(va: u64, scale: u32, v: u64): void {
  if (scale == 3) write64(va, v);
  else if (scale == 2) write32(va, <u32>v);
  else if (scale == 1) write16(va, <u32>v);
  else write8(va, <u32>v);
}

/** Unprivileged (LDTR/STTR) read: EL0 permissions at either EL (no PAN in ARMv8.0). */
// @ts-ignore: decorator
@inline export function readUnpriv(va: u64, size: u32): u64 {
  return readSized(va, size, 0, false);
}

// @ts-ignore: decorator
@inline export function writeUnpriv(va: u64, size: u32, v: u64): void {
  writeSized(va, size, v, 0, false);
}

/**
 * Loads a SIMD&FP register of 1 << scale bytes (scale 0..4) from va; the rest of Vt is
 * cleared. Returns false (and leaves Vt alone) when an access faulted. 128-bit accesses are
 * two 64-bit ones.
 */
export function fpLoad(t: u32, va: u64, scale: u32): bool {
  if (scale == 4) {
    const lo = read64(va);
    if (ctl) return false;
    const hi = read64(va + 8);
    if (ctl) return false;
    const a = vAddr(t);
    store<u64>(a, lo);
    store<u64>(a, hi, 8);
    return true;
  }
  const d = readScaled(va, scale);
  if (ctl) return false;
  const a = vAddr(t);
  store<u64>(a, d);
  store<u64>(a, 0, 8);
  return true;
}

/** Reads 1 << scale bytes (scale 0..4) for a pair load into the scratch pair (lo, hi); false on fault. */
export let fpTmpLo: u64 = 0;
export let fpTmpHi: u64 = 0;
export function fpRead(va: u64, scale: u32): bool {
  if (scale == 4) {
    const lo = read64(va);
    if (ctl) return false;
    const hi = read64(va + 8);
    if (ctl) return false;
    fpTmpLo = lo;
    fpTmpHi = hi;
    return true;
  }
  const d = readScaled(va, scale);
  if (ctl) return false;
  fpTmpLo = d;
  fpTmpHi = 0;
  return true;
}

/** Stores the low 1 << scale bytes (scale 0..4) of Vt at va; false when an access faulted. */
export function fpStore(t: u32, va: u64, scale: u32): bool {
  const a = vAddr(t);
  if (scale == 4) {
    write64(va, load<u64>(a));
    if (ctl) return false;
    write64(va + 8, load<u64>(a, 8));
    return ctl == 0;
  }
  writeScaled(va, scale, load<u64>(a));
  return ctl == 0;
}

/** Writes a loaded (lo, hi) value to Vt (hi is zero for scalars narrower than 128 bits). */
// @ts-ignore: decorator
@inline export function setVPair(t: u32, lo: u64, hi: u64): void {
  const a = vAddr(t);
  store<u64>(a, lo);
  store<u64>(a, hi, 8);
}

