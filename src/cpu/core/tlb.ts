// The software TLB: one direct-mapped table per MMU index (0 = EL0, 1 = EL1).
//
// Entry (64 bytes):
//   +0  tagR   VA page if reads are allowed on the fast path
//   +8  tagW   VA page if writes are allowed on the fast path
//   +16 tagX   VA page if instruction fetch is allowed
//   +24 addend wasm address = VA + addend (RAM and ROM)
//   +32 paPage physical page
//   +40 attrs  ATTR_* bits
//   +44 hostPage  wasm address >> 12 (0xffffffff for MMIO)
//   +48 vaPage VA page the entry was filled for
//   +56 blockShift log2 of the size of the mapping it came from (12 for a page, 21/30 for blocks)
// A tag equal to the VA's page (low 12 bits clear) allows the fast path; TLB_SLOW in a tag
// sends the access to the slow path with a valid translation; TLB_INVALID means "walk".
import { GUEST_BASE, PAGE_CODE_BASE, PAGE_GEN_BASE, PAGE_TOUCHED_BASE, TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE, TLB_IDX_BYTES } from "./layout";

export const TLB_SLOW: u64 = 1;
export const TLB_INVALID: u64 = 4;

export const ATTR_DEVICE: u32 = 1;
export const ATTR_MMIO: u32 = 2;
export const ATTR_ROM: u32 = 4;
export const ATTR_LARGE: u32 = 8;
export const ATTR_TTBR0: u32 = 16;
/** SCTLR_EL1.A: every misaligned data access faults. */
export const ATTR_ALIGN: u32 = 32;
/** Non-global translation (nG): tied to the current ASID. */
export const ATTR_NG: u32 = 64;
/** A watchpoint watches bytes of the page: data accesses take the slow path, which checks them. */
export const ATTR_WATCH: u32 = 128;

/** MMU index of the current translation regime (0 for EL0 accesses, 1 for EL1). */
export let mmuIdx: u32 = 1;
/** Base of the current MMU index's table. */
export let tlbCur: usize = TLB_BASE + TLB_IDX_BYTES;
/** Entries filled from block mappings, which invalidation by VA must find by range. */
const largeFills = new StaticArray<u32>(<i32>(TLB_ENTRIES * 2));
let nLargeFills: i32 = 0;
/**
 * Which blocks the entries of largeFills came from, by level (bit (VA[55:0] >> shift) & 4095 of
 * the 21- or 30-bit shift's bitmap, aliases included): a TLBI by VA outside all of them has no
 * entry to look for there. Linux's boot ran 110k TLBI VAALE1IS over addresses no block maps,
 * each scanning up to 2048 entries. Cleared with the list.
 */
const largeBlocks = new StaticArray<u64>(128);
/** An entry of largeFills came from a block of another size: every TLBI by VA scans them all. */
let largeOther = false;
const VA_BITS_MASK: u64 = 0x00ff_ffff_ffff_ffff;

/** The bitmap bit of the block holding va at blockShift 21 (word 0..63) or 30 (word 64..127). */
// @ts-ignore: decorator
@inline function blockBit(va: u64, shift: u32): u32 {
  return (<u32>((va & VA_BITS_MASK) >>> shift) & 4095) + (shift == 21 ? 0 : 4096);
}

// @ts-ignore: decorator
@inline function blockBitSet(bit: u32): bool {
  return ((unchecked(largeBlocks[bit >>> 6]) >>> (bit & 63)) & 1) != 0;
}
/**
 * Entries filled from TTBR0 or from non-global (nG) descriptors: the ones an address-space
 * switch (TTBR0 base or ASID change) can make stale. Global TTBR1 entries survive it.
 */
const asidFills = new StaticArray<u32>(<i32>(TLB_ENTRIES * 2));
let nAsidFills: i32 = 0;

export function setMmuIndex(idx: u32): void {
  mmuIdx = idx;
  tlbCur = TLB_BASE + <usize>idx * TLB_IDX_BYTES;
}

/** Entry address for va in MMU index idx. */
// @ts-ignore: decorator
@inline export function tlbEntry(idx: u32, va: u64): usize {
  return TLB_BASE + <usize>idx * TLB_IDX_BYTES + ((<usize>(va >>> 12) & (TLB_ENTRIES - 1)) << 6);
}

/** True when tag holds a translation (fast or slow) for va's page. */
// @ts-ignore: decorator
@inline export function tagHolds(tag: u64, va: u64): bool {
  return (tag & ~(<u64>0xfff)) == (va & ~(<u64>0xfff)) && (tag & TLB_INVALID) == 0;
}

function invalidate(e: usize): void {
  store<u64>(e, TLB_INVALID);
  store<u64>(e, TLB_INVALID, 8);
  store<u64>(e, TLB_INVALID, 16);
}

/** Drops every translation. */
export function tlbFlushAll(): void {
  const end = TLB_BASE + 2 * TLB_IDX_BYTES;
  for (let e = TLB_BASE; e < end; e += TLB_ENTRY_SIZE) invalidate(e);
  nLargeFills = 0;
  nAsidFills = 0;
  memory.fill(changetype<usize>(largeBlocks), 0, 128 * 8);
  largeOther = false;
}

/**
 * Drops the translations of one VA (TLBI by VA). A page's entries live in its slot (tagged TBI
 * aliases index the same slot); entries cut from a block mapping are found by range, since
 * every 4 KB page of the block is covered by the block's translation. Only VA[55:12] count:
 * the TLBI operand carries no more.
 */
export function tlbFlushVA(va: u64): void {
  invalidate(tlbEntry(0, va));
  invalidate(tlbEntry(1, va));
  const v = va & 0x00ff_ffff_ffff_f000;
  if (!largeOther && !blockBitSet(blockBit(v, 21)) && !blockBitSet(blockBit(v, 30))) return;
  for (let i = 0; i < nLargeFills; i++) {
    const e = <usize>largeFills[i];
    if ((load<u32>(e, 40) & ATTR_LARGE) == 0) continue;
    if (((load<u64>(e, 48) ^ v) & 0x00ff_ffff_ffff_ffff) >>> load<u32>(e, 56) == 0) invalidate(e);
  }
}

/**
 * Drops every translation that came from TTBR0 or from a non-global descriptor (a TTBR0 base
 * or ASID change). Each entry covers one 4 KB page even when it came from a block, so block
 * mappings need no special case here.
 */
export function tlbFlushASID(): void {
  for (let i = 0; i < nAsidFills; i++) {
    const e = <usize>asidFills[i];
    if (load<u32>(e, 40) & (ATTR_TTBR0 | ATTR_NG)) invalidate(e);
  }
  nAsidFills = 0;
}

/**
 * Records a new entry for the page at va, from a mapping of 1 << shift bytes (called by the
 * MMU before writing it).
 */
export function tlbNoteFill(e: usize, attrs: u32, va: u64, shift: u32): void {
  const asid = (attrs & (ATTR_TTBR0 | ATTR_NG)) != 0;
  const large = (attrs & ATTR_LARGE) != 0;
  const max = <i32>(TLB_ENTRIES * 2);
  // A full list means the whole TLB goes (the caller writes the new entry afterwards).
  if ((asid && nAsidFills >= max) || (large && nLargeFills >= max)) tlbFlushAll();
  if (asid) asidFills[nAsidFills++] = <u32>e;
  if (large) {
    largeFills[nLargeFills++] = <u32>e;
    if (shift != 21 && shift != 30) largeOther = true;
    const bit = blockBit(va, shift);
    unchecked((largeBlocks[bit >>> 6] |= (<u64>1) << (bit & 63)));
  }
}

/** A page now holds decoded code: writes through any entry mapping it must take the slow path. */
export function tlbProtectCodePage(hostPage: u32): void {
  const end = TLB_BASE + 2 * TLB_IDX_BYTES;
  for (let e = TLB_BASE; e < end; e += TLB_ENTRY_SIZE) {
    if (load<u32>(e, 44) == hostPage) store<u64>(e, load<u64>(e, 8) | TLB_SLOW, 8);
  }
}

/** Guest-memory page index of a wasm address (pages counted from GUEST_BASE). */
// @ts-ignore: decorator
@inline export function hostPageOf(host: usize): u32 {
  return <u32>((host - GUEST_BASE) >>> 12);
}

/** True when the guest-memory page holds decoded code. */
// @ts-ignore: decorator
@inline export function isCodePage(hostPage: u32): bool {
  return load<u8>(PAGE_CODE_BASE + <usize>hostPage) != 0;
}

/** Code generation of a guest-memory page; bumped whenever decoded code on it goes stale. */
// @ts-ignore: decorator
@inline export function pageGen(hostPage: u32): u32 {
  return load<u32>(PAGE_GEN_BASE + ((<usize>hostPage) << 2));
}

/** A write hit a code page: its decoded blocks are stale. */
export function codePageWritten(hostPage: u32): void {
  store<u32>(PAGE_GEN_BASE + ((<usize>hostPage) << 2), pageGen(hostPage) + 1);
  store<u8>(PAGE_CODE_BASE + <usize>hostPage, 0);
}

/** The page may have been written (a writable TLB entry for it, or a host write): a snapshot reads it. */
// @ts-ignore: decorator
@inline export function markTouched(hostPage: u32): void {
  store<u8>(PAGE_TOUCHED_BASE + <usize>hostPage, 1);
}

/** Marks a page as holding decoded code. */
export function markCodePage(hostPage: u32): void {
  if (isCodePage(hostPage)) return;
  store<u8>(PAGE_CODE_BASE + <usize>hostPage, 1);
  tlbProtectCodePage(hostPage);
}
