// Guest virtual memory accesses for instruction handlers.
//
// Protocol: after any access, a handler checks `ctl` (state.ts) before committing anything; a
// non-zero ctl means the access faulted (the exception is already set up) or that the
// instruction stops before retiring and runs again (an MMIO step, a host exit). Stores of
// multi-access instructions may be partially done when a later access faults; the
// architecture allows that (after the exception the instruction is executed anew).
import { hostMmioRead, hostMmioWrite, HOST_EXIT, HOST_OK, MMIO_RESUMED } from "./host";
import { EXCL_ADDR, EXCL_SIZE, EXCL_VAL, EXCL_VAL_HI, EXCL_VALID, MBOX_DATA, MBOX_EXIT_INFO0, MBOX_EXIT_INFO1, MBOX_EXIT_INFO2, MBOX_EXIT_INFO3 } from "./layout";
import { dataAbort, watchpointException } from "./exceptions";
import { setAccessIsStore, watchHitAddress, watchHitStore, watchpointMatch } from "./debug";
import { EXIT_MMIO } from "./exits";
import { ACC_READ, ACC_WRITE, FSC_ALIGNMENT, FSC_EXTERNAL, tlbFill } from "./mmu";
import { CTL_EXIT, CTL_MMIO, ctl, insnWord, noRetire, PC, setCtl, setExitReason } from "./state";
import { ATTR_ALIGN, ATTR_DEVICE, ATTR_MMIO, ATTR_ROM, ATTR_WATCH, codePageWritten, isCodePage, mmuIdx, TLB_SLOW, tagHolds, tlbCur, tlbEntry } from "./tlb";

// ---- Fast paths (current MMU index, natural or unaligned within a page) -----------------

// @ts-ignore: decorator
@inline function fastEntry(va: u64): usize {
  return tlbCur + ((<usize>(va >>> 12) & 1023) << 6);
}

// @ts-ignore: decorator
@inline export function read8(va: u64): u32 {
  const e = fastEntry(va);
  if (load<u64>(e) == (va & ~(<u64>0xfff))) return load<u8>(<usize>(va + load<u64>(e, 24)));
  return <u32>readSlow(va, 1, mmuIdx, false);
}
// @ts-ignore: decorator
@inline export function read16(va: u64): u32 {
  const e = fastEntry(va);
  if (load<u64>(e) == (va & ~(<u64>0xfff)) && (<u32>va & 0xfff) <= 0xffe) return load<u16>(<usize>(va + load<u64>(e, 24)));
  return <u32>readSlow(va, 2, mmuIdx, false);
}
// @ts-ignore: decorator
@inline export function read32(va: u64): u32 {
  const e = fastEntry(va);
  if (load<u64>(e) == (va & ~(<u64>0xfff)) && (<u32>va & 0xfff) <= 0xffc) return load<u32>(<usize>(va + load<u64>(e, 24)));
  return <u32>readSlow(va, 4, mmuIdx, false);
}
// @ts-ignore: decorator
@inline export function read64(va: u64): u64 {
  const e = fastEntry(va);
  if (load<u64>(e) == (va & ~(<u64>0xfff)) && (<u32>va & 0xfff) <= 0xff8) return load<u64>(<usize>(va + load<u64>(e, 24)));
  return readSlow(va, 8, mmuIdx, false);
}
// @ts-ignore: decorator
@inline export function write8(va: u64, v: u32): void {
  const e = fastEntry(va);
  if (load<u64>(e, 8) == (va & ~(<u64>0xfff))) store<u8>(<usize>(va + load<u64>(e, 24)), <u8>v);
  else writeSlow(va, 1, <u64>v, mmuIdx, false);
}
// @ts-ignore: decorator
@inline export function write16(va: u64, v: u32): void {
  const e = fastEntry(va);
  if (load<u64>(e, 8) == (va & ~(<u64>0xfff)) && (<u32>va & 0xfff) <= 0xffe) store<u16>(<usize>(va + load<u64>(e, 24)), <u16>v);
  else writeSlow(va, 2, <u64>v, mmuIdx, false);
}
// @ts-ignore: decorator
@inline export function write32(va: u64, v: u32): void {
  const e = fastEntry(va);
  if (load<u64>(e, 8) == (va & ~(<u64>0xfff)) && (<u32>va & 0xfff) <= 0xffc) store<u32>(<usize>(va + load<u64>(e, 24)), v);
  else writeSlow(va, 4, <u64>v, mmuIdx, false);
}
// @ts-ignore: decorator
@inline export function write64(va: u64, v: u64): void {
  const e = fastEntry(va);
  if (load<u64>(e, 8) == (va & ~(<u64>0xfff)) && (<u32>va & 0xfff) <= 0xff8) store<u64>(<usize>(va + load<u64>(e, 24)), v);
  else writeSlow(va, 8, v, mmuIdx, false);
}

// ---- General accessors -------------------------------------------------------------------

/** Reads `size` (1, 2, 4, 8) bytes at va with the permissions of MMU index idx (0 = EL0 for LDTR). */
export function readSized(va: u64, size: u32, idx: u32, strictAlign: bool): u64 {
  return readSlow(va, size, idx, strictAlign);
}

/** Writes `size` (1, 2, 4, 8) bytes at va with the permissions of MMU index idx. */
export function writeSized(va: u64, size: u32, v: u64, idx: u32, strictAlign: bool): void {
  writeSlow(va, size, v, idx, strictAlign);
}

function alignmentFault(va: u64, write: bool): void {
  dataAbort(va, FSC_ALIGNMENT, write);
}

// ---- MMIO steps --------------------------------------------------------------------------
// An instruction may make several MMIO accesses (pairs, 128-bit and structure accesses,
// exclusive pairs, DC ZVA, page-crossing accesses split into bytes), and any of them may stop
// it with a host exit; each must still happen exactly once, in program order. So the host
// sees an instruction's MMIO accesses numbered from 0 (the tag's ordinal), and an instruction
// stopped by an exit is later resumed (run.ts) with the tag's MMIO_RESUMED bit: its accesses
// come again in the same order and the host answers those it already completed from its
// record (hv/mmio-inflight.ts). The numbering needs the instruction's start, which the hot
// path does not mark: outside a step, an instruction's first MMIO access stops it before
// anything is done (CTL_MMIO) and the run loop executes it again at once as an MMIO step.
// Only instructions that touch MMIO pay for this.

let stepping = false;
let stepOrdinal: i32 = 0;
let stepResumed: i32 = 0;

/** Starts an MMIO step: the instruction about to execute numbers its MMIO accesses from 0. */
export function beginMmioStep(resumed: bool): void {
  stepping = true;
  stepOrdinal = 0;
  stepResumed = resumed ? MMIO_RESUMED : 0;
}

export function endMmioStep(): void {
  stepping = false;
}

/** The host's tag for the next MMIO access, or -1 after stopping the instruction to run it as a step. */
function mmioTag(): i32 {
  if (!stepping) {
    noRetire(PC);
    setCtl(CTL_MMIO);
    return -1;
  }
  // An instruction makes at most 64 MMIO accesses (DC ZVA, LD4 of bytes), so this never wraps.
  const tag = (stepOrdinal & 0xffff) | stepResumed;
  stepOrdinal++;
  return tag;
}

function mmioExit(pa: u64, size: u32, write: bool, v: u64): void {
  store<u64>(MBOX_EXIT_INFO0, pa);
  store<u64>(MBOX_EXIT_INFO1, <u64>size | (write ? 0x100 : 0));
  store<u64>(MBOX_EXIT_INFO2, v);
  store<u64>(MBOX_EXIT_INFO3, <u64>insnWord);
  setExitReason(EXIT_MMIO);
  noRetire(PC);
  setCtl(CTL_EXIT);
}

/**
 * A watchpoint matches a byte of the access (on a page whose entry has ATTR_WATCH): its
 * exception is taken and the access must not be made.
 */
function watched(va: u64, size: u32, write: bool, idx: u32): bool {
  if (!watchpointMatch(va, size, write, idx)) return false;
  watchpointException(watchHitAddress, watchHitStore);
  return true;
}

/** Runs a store-exclusive's comparing read, which watchpoints must see as the store. */
export function readForStore(va: u64, size: u32, idx: u32): u64 {
  setAccessIsStore(true);
  const v = readSlow(va, size, idx, true);
  setAccessIsStore(false);
  return v;
}

/** Entry holding a translation of va for the access, filling it if needed; 0 after a fault. */
function entryFor(va: u64, idx: u32, acc: u32): usize {
  const e = tlbEntry(idx, va);
  if (tagHolds(load<u64>(e + (acc == ACC_WRITE ? 8 : 0)), va)) return e;
  return tlbFill(va, idx, acc);
}

function readSlow(va: u64, size: u32, idx: u32, strictAlign: bool): u64 {
  const misaligned = (<u32>va & (size - 1)) != 0;
  if (misaligned && strictAlign) {
    alignmentFault(va, false);
    return 0;
  }
  if ((<u32>va & 0xfff) + size > 0x1000) {
    // Crosses a page: each byte translates on its own (Device memory faults below).
    const e0 = entryFor(va, idx, ACC_READ);
    if (!e0) return 0;
    if (load<u32>(e0, 40) & (ATTR_DEVICE | ATTR_ALIGN)) {
      alignmentFault(va, false);
      return 0;
    }
    let r: u64 = 0;
    for (let i: u32 = 0; i < size; i++) {
      const b = readSlow(va + i, 1, idx, false);
      if (ctl) return 0;
      r |= b << (8 * i);
    }
    return r;
  }
  const e = entryFor(va, idx, ACC_READ);
  if (!e) return 0;
  const attrs = load<u32>(e, 40);
  if (misaligned && attrs & (ATTR_DEVICE | ATTR_ALIGN)) {
    alignmentFault(va, false);
    return 0;
  }
  if (attrs & ATTR_WATCH && watched(va, size, false, idx)) return 0;
  if (attrs & ATTR_MMIO) {
    const tag = mmioTag();
    if (tag < 0) return 0;
    const pa = load<u64>(e, 32) | (va & 0xfff);
    const st = hostMmioRead(<i32>pa, <i32>(pa >>> 32), size, tag);
    if (st == HOST_OK) {
      const v = load<u64>(MBOX_DATA);
      return size == 8 ? v : v & ((<u64>1 << (size * 8)) - 1);
    }
    if (st == HOST_EXIT) mmioExit(pa, size, false, 0);
    else dataAbort(va, FSC_EXTERNAL, false);
    return 0;
  }
  const a = <usize>(va + load<u64>(e, 24));
  switch (size) {
    case 1:
      return <u64>load<u8>(a);
    case 2:
      return <u64>load<u16>(a);
    case 4:
      return <u64>load<u32>(a);
    default:
      return load<u64>(a);
  }
}

function writeSlow(va: u64, size: u32, v: u64, idx: u32, strictAlign: bool): void {
  const misaligned = (<u32>va & (size - 1)) != 0;
  if (misaligned && strictAlign) {
    alignmentFault(va, true);
    return;
  }
  if ((<u32>va & 0xfff) + size > 0x1000) {
    const e0 = entryFor(va, idx, ACC_WRITE);
    if (!e0) return;
    if (load<u32>(e0, 40) & (ATTR_DEVICE | ATTR_ALIGN)) {
      alignmentFault(va, true);
      return;
    }
    // Check the second page before writing anything, so a fault leaves memory untouched.
    const e1 = entryFor(va + size - 1, idx, ACC_WRITE);
    if (!e1) return;
    if ((load<u32>(e0, 40) | load<u32>(e1, 40)) & ATTR_WATCH && watched(va, size, true, idx)) return;
    for (let i: u32 = 0; i < size; i++) {
      writeSlow(va + i, 1, v >>> (8 * i), idx, false);
      if (ctl) return;
    }
    return;
  }
  const e = entryFor(va, idx, ACC_WRITE);
  if (!e) return;
  const attrs = load<u32>(e, 40);
  if (misaligned && attrs & (ATTR_DEVICE | ATTR_ALIGN)) {
    alignmentFault(va, true);
    return;
  }
  if (attrs & ATTR_WATCH && watched(va, size, true, idx)) return;
  if (attrs & (ATTR_MMIO | ATTR_ROM)) {
    const tag = mmioTag();
    if (tag < 0) return;
    const pa = load<u64>(e, 32) | (va & 0xfff);
    // The device sees exactly `size` bytes (callers may pass wider values, e.g. a split access).
    if (size < 8) v &= (<u64>1 << (size * 8)) - 1;
    const st = hostMmioWrite(<i32>pa, <i32>(pa >>> 32), size, <i32>v, <i32>(v >>> 32), tag);
    if (st == HOST_EXIT) mmioExit(pa, size, true, v);
    else if (st != HOST_OK) dataAbort(va, FSC_EXTERNAL, true);
    return;
  }
  const hostPage = load<u32>(e, 44);
  if (isCodePage(hostPage)) codePageWritten(hostPage);
  // The page holds no decoded code now: later writes through this entry may take the fast path.
  if ((attrs & (ATTR_DEVICE | ATTR_ALIGN | ATTR_WATCH)) == 0) store<u64>(e, load<u64>(e, 8) & ~TLB_SLOW, 8);
  const a = <usize>(va + load<u64>(e, 24));
  switch (size) {
    case 1:
      store<u8>(a, <u8>v);
      break;
    case 2:
      store<u16>(a, <u16>v);
      break;
    case 4:
      store<u32>(a, <u32>v);
      break;
    default:
      store<u64>(a, v);
  }
}

/**
 * DC ZVA: zeroes the naturally aligned `size`-byte block holding va with the permissions of a
 * store (faults report the block's base address, as QEMU does). Device memory is zeroed rather
 * than given the alignment fault the architecture permits (it says "can"), matching QEMU; a
 * block that is not RAM is zeroed by byte stores in address order, as QEMU's HELPER(dc_zva)
 * does for I/O.
 */
export function zeroBlock(va: u64, size: u32): void {
  const base = va & ~(<u64>(size - 1));
  const idx = mmuIdx;
  const e = entryFor(base, idx, ACC_WRITE);
  if (!e) return;
  const attrs = load<u32>(e, 40);
  if (attrs & ATTR_WATCH && watched(base, size, true, idx)) return;
  if (attrs & (ATTR_MMIO | ATTR_ROM)) {
    for (let i: u32 = 0; i < size; i++) {
      writeSlow(base + i, 1, 0, idx, false);
      if (ctl) return;
    }
    return;
  }
  const hostPage = load<u32>(e, 44);
  if (isCodePage(hostPage)) codePageWritten(hostPage);
  memory.fill(<usize>(base + load<u64>(e, 24)), 0, <usize>size);
}

// ---- Exclusives --------------------------------------------------------------------------
// Value-based, as QEMU's TCG: a store-exclusive succeeds when the monitor is armed for the
// same address and size and memory still holds the value the load-exclusive saw.

/** Arms the exclusive monitor after a load-exclusive of `size` bytes (16 for pairs of 8). */
export function exclusiveArm(va: u64, size: u32, lo: u64, hi: u64): void {
  store<u64>(EXCL_ADDR, va);
  store<u64>(EXCL_SIZE, <u64>size);
  store<u64>(EXCL_VAL, lo);
  store<u64>(EXCL_VAL_HI, hi);
  store<u32>(EXCL_VALID, 1);
}

/** Clears the exclusive monitor (CLREX, exception entry/return). */
export function exclusiveClear(): void {
  store<u32>(EXCL_VALID, 0);
}

/** True when a store-exclusive of `size` bytes at va may succeed (the caller re-reads memory to compare). */
export function exclusiveMatches(va: u64, size: u32): bool {
  return load<u32>(EXCL_VALID) != 0 && load<u64>(EXCL_ADDR) == va && load<u64>(EXCL_SIZE) == <u64>size;
}

/** Values recorded by the last load-exclusive. */
export function exclusiveValue(): u64 {
  return load<u64>(EXCL_VAL);
}
export function exclusiveValueHi(): u64 {
  return load<u64>(EXCL_VAL_HI);
}

