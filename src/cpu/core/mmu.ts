// Stage-1 translation for the EL1&0 regime: AArch64 long descriptors, 4 KB granule, TTBR0/TTBR1,
// TCR (TxSZ, EPDn, TBIn, IPS), MAIR attributes, AP/UXN/PXN/APTable/XNTable/PXNTable permissions,
// access flag (no hardware AF/dirty management in ARMv8.0), nG.
//
// With SCTLR_EL1.M = 0, data accesses are Device-nGnRnE (AArch64.TranslateAddressS1Off), so a misaligned data
// access faults. QEMU enforces this too since 9.0 (commit 59754f85ed3, "target/arm: Do memory
// type alignment check when translation disabled"); QEMU 7.2 did not. Bare-metal code must
// enable the MMU (or avoid misaligned accesses, e.g. gcc -mstrict-align) before relying on them.
import { dataAbort, instructionAbort } from "./exceptions";
import { foundFlags, paToHost, REGION_ROM } from "./regions";
import { watchConfigured, watchOverlapsPage } from "./debug";
import { SR_MAIR_EL1, SR_SCTLR_EL1, SR_TCR_EL1, SR_TTBR0_EL1, SR_TTBR1_EL1, srGet } from "./sysreg-slots";
import {
  ATTR_ALIGN,
  ATTR_DEVICE,
  ATTR_LARGE,
  ATTR_MMIO,
  ATTR_NG,
  ATTR_ROM,
  ATTR_TTBR0,
  ATTR_WATCH,
  hostPageOf,
  isCodePage,
  markTouched,
  TLB_INVALID,
  TLB_SLOW,
  tlbEntry,
  tlbNoteFill,
} from "./tlb";

export const ACC_READ: u32 = 0;
export const ACC_WRITE: u32 = 1;
export const ACC_EXEC: u32 = 2;

// Permission bits computed by a walk.
export const P_R0: u32 = 1;
export const P_W0: u32 = 2;
export const P_X0: u32 = 4;
export const P_R1: u32 = 8;
export const P_W1: u32 = 16;
export const P_X1: u32 = 32;

// Fault status codes (DFSC/IFSC) before the level is added.
export const FSC_ADDR_SIZE: u32 = 0x00;
export const FSC_TRANSLATION: u32 = 0x04;
export const FSC_ACCESS_FLAG: u32 = 0x08;
export const FSC_PERMISSION: u32 = 0x0c;
export const FSC_EXTERNAL: u32 = 0x10;
export const FSC_WALK_EXTERNAL: u32 = 0x14;
export const FSC_ALIGNMENT: u32 = 0x21;

/** Results of the last successful walk(). */
export let wPA: u64 = 0;
export let wAttr: u32 = 0;
export let wPerm: u32 = 0;
export let wLevel: u32 = 0;
export let wSH: u32 = 0;
export let wLarge: bool = false;
export let wTTBR0: bool = false;
export let wNG: bool = false;

/** TCR_ELx.IPS / ID_AA64MMFR0.PARange encodings to bits; above our 48-bit PARange means 48. */
function paBits(ips: u32): u32 {
  switch (ips) {
    case 0:
      return 32;
    case 1:
      return 36;
    case 2:
      return 40;
    case 3:
      return 42;
    case 4:
      return 44;
    default:
      return 48;
  }
}

/**
 * Set in walk()'s result on a fault, because a fault status code can be 0 (Address size fault
 * at level 0): the low 6 bits are the FSC with the level included.
 */
export const WALK_FAULT: u32 = 0x100;

/** Walks the translation tables for va; returns 0, or WALK_FAULT | the fault status code. */
export function walk(va: u64, fetch: bool): u32 {
  const sctlr = srGet(SR_SCTLR_EL1);
  wLarge = false;
  wTTBR0 = false;
  wNG = false;
  if ((sctlr & 1) == 0) {
    // MMU off: flat mapping; data accesses are Device-nGnRnE, fetches Normal. Address bits
    // from the PA size up to the top (bit 55 with TCR.TBIx, which still applies) must be zero
    // (AArch64.TranslateAddressS1Off).
    const tcr0 = srGet(SR_TCR_EL1);
    const tbiOff = (va >>> 55) & 1 ? (tcr0 >>> 38) & 1 : (tcr0 >>> 37) & 1;
    const pa = tbiOff ? va & 0x00ff_ffff_ffff_ffff : va;
    if (pa >>> 48) {
      wLevel = 0;
      return WALK_FAULT | FSC_ADDR_SIZE;
    }
    wPA = pa;
    wAttr = fetch ? 0x44 : 0x00;
    wPerm = P_R0 | P_W0 | P_X0 | P_R1 | P_W1 | P_X1;
    wSH = 2;
    wLevel = 3;
    return 0;
  }
  const tcr = srGet(SR_TCR_EL1);
  const hi = <u32>(va >>> 55) & 1;
  let addr = va;
  const tbi = hi ? (tcr >>> 38) & 1 : (tcr >>> 37) & 1;
  // ARMv8.0 has no TBID: TBI applies to instruction addresses as well. (Branches do not strip
  // tags from the PC as AArch64.BranchAddr would; a tagged PC still translates here.)
  if (tbi) addr = hi ? addr | 0xff00_0000_0000_0000 : addr & 0x00ff_ffff_ffff_ffff;
  let txsz = <u32>(hi ? (tcr >>> 16) & 0x3f : tcr & 0x3f);
  if (txsz < 16) txsz = 16;
  if (txsz > 39) txsz = 39;
  const epd = hi ? (tcr >>> 23) & 1 : (tcr >>> 7) & 1;
  const inputsize = 64 - txsz;
  const outOfRange = hi ? ~addr >>> inputsize != 0 : addr >>> inputsize != 0;
  if (outOfRange || epd) {
    wLevel = 0;
    return WALK_FAULT | FSC_TRANSLATION;
  }
  wTTBR0 = hi == 0;
  // Output addresses (table bases and descriptors) at or above 2^pabits are Address size faults.
  const paHigh = ~((<u64>1 << paBits(<u32>(tcr >>> 32) & 7)) - 1);
  let level: u32 = inputsize > 39 ? 0 : inputsize > 30 ? 1 : 2;
  let bits = inputsize - (12 + 9 * (3 - level));
  let table = (hi ? srGet(SR_TTBR1_EL1) : srGet(SR_TTBR0_EL1)) & 0x0000_ffff_ffff_fffe;
  if (table & paHigh) {
    wLevel = 0;
    return WALK_FAULT | FSC_ADDR_SIZE;
  }
  table &= ~((<u64>1 << (bits + 3)) - 1);
  let apTable: u32 = 0;
  let xnTable: u32 = 0;
  let pxnTable: u32 = 0;
  while (true) {
    const shift = 12 + 9 * (3 - level);
    const index = (addr >>> shift) & ((<u64>1 << bits) - 1);
    const host = paToHost(table + (index << 3));
    if (host == 0) {
      wLevel = level;
      return WALK_FAULT | (FSC_WALK_EXTERNAL + level);
    }
    const desc = load<u64>(host);
    if ((desc & 1) == 0 || (level == 3 && (desc & 2) == 0) || (level == 0 && (desc & 2) == 0)) {
      wLevel = level;
      return WALK_FAULT | (FSC_TRANSLATION + level);
    }
    if (level < 3 && desc & 2) {
      if (desc & 0x0000_ffff_ffff_f000 & paHigh) {
        wLevel = level;
        return WALK_FAULT | (FSC_ADDR_SIZE + level);
      }
      apTable |= <u32>(desc >>> 61) & 3;
      xnTable |= <u32>(desc >>> 60) & 1;
      pxnTable |= <u32>(desc >>> 59) & 1;
      table = desc & 0x0000_ffff_ffff_f000;
      level++;
      bits = 9;
      continue;
    }
    // Block or page.
    wLevel = level;
    const blockMask: u64 = (<u64>1 << shift) - 1;
    const oa = desc & 0x0000_ffff_ffff_f000 & ~blockMask;
    // Descriptor bits [51:48] are not output-address bits with a 48-bit PA and the 4 KB granule:
    // hardware ignores them (bit 51 is DBM from v8.1, and Linux sets it as PTE_WRITE).
    if (oa & paHigh) return WALK_FAULT | (FSC_ADDR_SIZE + level);
    if ((desc & (1 << 10)) == 0) return WALK_FAULT | (FSC_ACCESS_FLAG + level);
    wPA = oa | (addr & blockMask);
    wNG = (desc & (1 << 11)) != 0;
    wLarge = level < 3;
    const ap = <u32>(desc >>> 6) & 3;
    const uxn = <u32>(desc >>> 54) & 1;
    const pxn = <u32>(desc >>> 53) & 1;
    const attrIdx = <u32>(desc >>> 2) & 7;
    wSH = <u32>(desc >>> 8) & 3;
    wAttr = <u32>(srGet(SR_MAIR_EL1) >>> (attrIdx * 8)) & 0xff;
    const el0Access = ap & 1 && !(apTable & 1);
    const readOnly = ap & 2 || apTable & 2;
    let perm: u32 = P_R1;
    if (!readOnly) perm |= P_W1;
    if (el0Access) {
      perm |= P_R0;
      if (!readOnly) perm |= P_W0;
    }
    if (!uxn && !xnTable) perm |= P_X0;
    // A region writable at EL0 is never executable at EL1.
    if (!pxn && !pxnTable && !(perm & P_W0)) perm |= P_X1;
    if (sctlr & (1 << 19)) {
      // WXN: writable implies execute-never.
      if (perm & P_W0) perm &= ~P_X0;
      if (perm & P_W1) perm &= ~P_X1;
    }
    wPerm = perm;
    return 0;
  }
}

/** Permission bit needed for an access type at an MMU index. */
// @ts-ignore: decorator
@inline function needed(idx: u32, acc: u32): u32 {
  const p = acc == ACC_READ ? P_R0 : acc == ACC_WRITE ? P_W0 : P_X0;
  return idx ? p << 3 : p;
}

function fault(va: u64, acc: u32, fsc: u32): usize {
  if (acc == ACC_EXEC) instructionAbort(va, fsc);
  else dataAbort(va, fsc, acc == ACC_WRITE);
  return 0;
}

/**
 * Translates va for an access and fills its TLB entry. Returns the entry, or 0 after raising
 * the abort the access takes.
 */
export function tlbFill(va: u64, idx: u32, acc: u32): usize {
  const fsc = walk(va, acc == ACC_EXEC);
  if (fsc) return fault(va, acc, fsc & 0x3f);
  if ((wPerm & needed(idx, acc)) == 0) return fault(va, acc, FSC_PERMISSION + wLevel);
  const paPage = wPA & ~(<u64>0xfff);
  const host = paToHost(paPage);
  let attrs: u32 = 0;
  if (host == 0) {
    attrs |= ATTR_MMIO;
    if (acc == ACC_EXEC) return fault(va, acc, FSC_EXTERNAL);
  } else if (foundFlags & REGION_ROM) {
    attrs |= ATTR_ROM;
  }
  if ((wAttr & 0xf0) == 0) attrs |= ATTR_DEVICE;
  if (wLarge) attrs |= ATTR_LARGE;
  if (wTTBR0) attrs |= ATTR_TTBR0;
  if (wNG) attrs |= ATTR_NG;
  if (srGet(SR_SCTLR_EL1) & 2) attrs |= ATTR_ALIGN;
  if (watchConfigured && watchOverlapsPage(va)) attrs |= ATTR_WATCH;
  const page = va & ~(<u64>0xfff);
  const slowData = attrs & (ATTR_MMIO | ATTR_DEVICE | ATTR_ALIGN | ATTR_WATCH);
  const hostPage = host ? hostPageOf(host) : 0xffffffff;
  const pR = idx ? P_R1 : P_R0;
  const pW = idx ? P_W1 : P_W0;
  const pX = idx ? P_X1 : P_X0;
  const e = tlbEntry(idx, va);
  // Noted first: a full fill list flushes the whole TLB, which must not take this entry with it.
  const shift: u32 = wLarge ? 12 + 9 * (3 - wLevel) : 12;
  tlbNoteFill(e, attrs, page, shift);
  store<u64>(e, wPerm & pR ? page | (slowData ? TLB_SLOW : 0) : TLB_INVALID);
  const slowW = slowData || attrs & ATTR_ROM || (host != 0 && isCodePage(hostPage));
  // Every store to memory goes through a writable entry filled here (the JIT's inline lookups too).
  if (wPerm & pW && host != 0) markTouched(hostPage);
  store<u64>(e, wPerm & pW ? page | (slowW ? TLB_SLOW : 0) : TLB_INVALID, 8);
  store<u64>(e, wPerm & pX && host != 0 ? page : TLB_INVALID, 16);
  store<u64>(e, <u64>host - page, 24);
  store<u64>(e, paPage, 32);
  store<u32>(e, attrs, 40);
  store<u32>(e, hostPage, 44);
  store<u64>(e, page, 48);
  store<u32>(e, shift, 56);
  return e;
}
