// The CPU core's wasm exports: what the host (src/cpu/cpu.ts) calls.
import { writePstate } from "./exceptions";
import * as L from "./layout";
import { walk, wPA } from "./mmu";
import { addRegion as addRegionImpl, clearRegions as clearRegionsImpl, paToBacking, paToHost, setRegionIo as setRegionIoImpl } from "./regions";
import { blockEpoch as blockEpochImpl, flushBlocks as flushBlocksImpl } from "./blockcache";
import {
  cancelMmioResume,
  jitStep as jitStepImpl,
  mmioResumeTaken as mmioResumeTakenImpl,
  requestMmioResume as requestMmioResumeImpl,
  requestStop as requestStopImpl,
  run as runImpl,
  setJitThreshold as setJitThresholdImpl,
} from "./run";
import { CTR_VALUE as CTR, hostAccessOk, hostRead, hostWrite, SCTLR_RESET } from "./sysreg";
import { SR_COUNT, SR_SCTLR_EL1, srSet } from "./sysreg-slots";
import { debugConfigChanged, watchConfigured } from "./debug";
import { codePageWritten, hostPageOf, isCodePage, markTouched, setMmuIndex, tlbFlushAll } from "./tlb";
import { updateFpEnabled } from "./fpaccess";
import { setPstateBits } from "./state";
import { setSemihosting as setSemihostingImpl } from "./isa/system";

// Layout constants for the host.
export const X_BASE: u32 = <u32>L.X_BASE;
export const PC_ADDR: u32 = <u32>L.PC_ADDR;
export const NZCV_ADDR: u32 = <u32>L.NZCV_ADDR;
export const FPCR_ADDR: u32 = <u32>L.FPCR_ADDR;
export const FPSR_ADDR: u32 = <u32>L.FPSR_ADDR;
export const PSTATE_ADDR: u32 = <u32>L.PSTATE_ADDR;
export const INSTRET_ADDR: u32 = <u32>L.INSTRET_ADDR;
export const UNDEF_COUNT: u32 = <u32>L.UNDEF_COUNT;
export const UNDEF_LAST_WORD: u32 = <u32>L.UNDEF_LAST_WORD;
export const UNDEF_LAST_PC: u32 = <u32>L.UNDEF_LAST_PC;
export const IRQ_LINES: u32 = <u32>L.IRQ_LINES;
export const STATE_END: u32 = <u32>L.STATE_END;
export const V_BASE: u32 = <u32>L.V_BASE;
export const SYSREG_BASE: u32 = <u32>L.SYSREG_BASE;
export const SYSREG_COUNT: u32 = SR_COUNT;
export const MBOX_DATA: u32 = <u32>L.MBOX_DATA;
export const MBOX_EXIT_INFO0: u32 = <u32>L.MBOX_EXIT_INFO0;
export const GUEST_BASE: u32 = <u32>L.GUEST_BASE;
export const EXCL_VALID: u32 = <u32>L.EXCL_VALID;
export const JIT_NEXT_PC: u32 = <u32>L.JIT_NEXT_PC;
export const JIT_FP_ENABLED: u32 = <u32>L.JIT_FP_ENABLED;
export const STOP_REQUESTED: u32 = <u32>L.STOP_REQUESTED;
export const GIVE_WAY: u32 = <u32>L.GIVE_WAY;
export const JIT_CHAIN_OFF: u32 = <u32>L.JIT_CHAIN_OFF;
export const HCALL_ANSWERS: u32 = <u32>L.HCALL_ANSWERS;
export const HCALL_MAX: u32 = L.HCALL_MAX;
export const HCALL_ENTRY: u32 = <u32>L.HCALL_ENTRY;
export const BLOCK_HASH_BASE: u32 = <u32>L.BLOCK_HASH_BASE;
export const BLOCK_HASH_BITS: u32 = L.BLOCK_HASH_BITS;
/** CTR_EL0 as MRS reads it (the JIT compiles that read to this constant). */
export const CTR_VALUE: u32 = <u32>CTR;
export const PAGE_GEN_BASE: u32 = <u32>L.PAGE_GEN_BASE;
export const PAGE_TOUCHED_BASE: u32 = <u32>L.PAGE_TOUCHED_BASE;

/**
 * Architectural reset: registers zero, EL1h with DAIF masked, MMU and caches off, the OS lock
 * unlocked as KVM resets a vCPU (OSLSR_EL1 = OSLM only; a cold reset of hardware locks it, and
 * QEMU resets it locked but never enforces it: either way guests get debug without unlocking).
 */
export function reset(): void {
  memory.fill(L.X_BASE, 0, L.STATE_END - L.X_BASE);
  memory.fill(L.V_BASE, 0, 512);
  memory.fill(L.SYSREG_BASE, 0, <usize>SR_COUNT * 8);
  srSet(SR_SCTLR_EL1, SCTLR_RESET);
  debugConfigChanged();
  setPstateBits(0);
  setMmuIndex(0);
  writePstate(0x3c5);
  updateFpEnabled();
  tlbFlushAll();
  cancelMmioResume();
}

/** Executes up to `budget` instructions; returns the exit reason. */
export function run(budget: u32): u32 {
  return runImpl(budget);
}

/** Maps guest physical [base, base+size) to wasm address `host`; 0 on overlap or no slot left. */
export function addRegion(baseLo: u32, baseHi: u32, sizeLo: u32, sizeHi: u32, host: u32, flags: u32): u32 {
  const ok = addRegionImpl((<u64>baseHi << 32) | baseLo, (<u64>sizeHi << 32) | sizeLo, host, flags);
  if (ok) {
    tlbFlushAll();
  }
  return ok ? 1 : 0;
}

/**
 * Switches the region at `base` between direct access (io 0: reads and fetches from memory,
 * writes to the host for ROM) and MMIO for every access (io 1); 0 when no region starts there.
 * Translations are dropped, so the next access of every kind sees the change.
 */
export function setRegionIo(baseLo: u32, baseHi: u32, io: u32): u32 {
  const ok = setRegionIoImpl((<u64>baseHi << 32) | baseLo, io != 0);
  if (ok) tlbFlushAll();
  return ok ? 1 : 0;
}

export function clearRegions(): void {
  clearRegionsImpl();
  tlbFlushAll();
  flushBlocksImpl();
}

/** Writes PSTATE (DAIF, EL, SPSel, IL, SS) as an SPSR-format value, switching SP banks; NZCV is separate. */
export function setPstate(v: u32): void {
  writePstate(v & ~0xf000_0000);
}

/** Reads a system register by key (op0:op1:CRn:CRm:op2) into MBOX_DATA; returns 0 for an unknown key. */
export function getSysreg(key: u32): u32 {
  const v = hostRead(key);
  store<u64>(L.MBOX_DATA, v);
  return hostAccessOk() ? 1 : 0;
}

/** Writes a system register by key; returns 0 for an unknown or read-only key. */
export function setSysreg(key: u32, lo: u32, hi: u32): u32 {
  return hostWrite(key, (<u64>hi << 32) | lo) ? 1 : 0;
}

/** Drives the interrupt lines: bit0 IRQ, bit1 FIQ, bit2 SError. */
export function setIrqLines(lines: u32): void {
  store<u32>(L.IRQ_LINES, lines);
}

/** Makes run() return at the next block boundary. */
export function requestStop(): void {
  requestStopImpl();
}

/**
 * Makes the next run() first resume the instruction at PC that an MMIO exit stopped (its word
 * is the exit's info3), before any interrupt: its MMIO accesses carry the resumed tag.
 */
export function requestMmioResume(word: u32): void {
  requestMmioResumeImpl(word);
}

/** 1 when the last run() executed the instruction requestMmioResume asked for. */
export function mmioResumeTaken(): u32 {
  return mmioResumeTakenImpl() ? 1 : 0;
}

/** Drops all translations (the host changed something translation depends on). */
export function flushTlb(): void {
  tlbFlushAll();
}

/** Drops every decoded block. */
export function flushBlocks(): void {
  flushBlocksImpl();
}

/**
 * The host wrote guest memory [pa, pa+len) directly (loader, DMA, a flash device programming
 * itself, in whatever mode its region is): stale decoded code is dropped, and the pages are
 * marked written (snapshots read them).
 */
export function notifyHostWrite(paLo: u32, paHi: u32, len: u32): void {
  const pa = (<u64>paHi << 32) | paLo;
  const end = pa + len;
  for (let p = pa & ~(<u64>0xfff); p < end; p += 0x1000) {
    const host = paToBacking(p);
    if (host == 0) continue;
    const hp = hostPageOf(host);
    markTouched(hp);
    if (isCodePage(hp)) codePageWritten(hp);
  }
}

/** Wasm address of guest physical address pa, or 0 when it is not RAM/ROM. */
export function physToHost(paLo: u32, paHi: u32): u32 {
  return <u32>paToHost((<u64>paHi << 32) | paLo);
}

/**
 * Translates a virtual address as the current regime would for a data read, without side
 * effects: returns 0 and the physical address in MBOX_DATA, or the fault status code.
 */
export function translate(vaLo: u32, vaHi: u32): u32 {
  const fsc = walk((<u64>vaHi << 32) | vaLo, false);
  if (fsc == 0) store<u64>(L.MBOX_DATA, wPA);
  return fsc;
}

/** Re-derives cached state (MMU index, FP enable) after the host rewrote the state block. */
export function resync(): void {
  switchResync(0);
}

/**
 * resync() after the host put another vCPU's state in: with `sameRegime` (the host found its
 * SCTLR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1 and MAIR_EL1 equal to those of the vCPU it replaced)
 * the TLB is kept, unless watchpoints are configured: every entry is then one this vCPU's own
 * walks would make (RAM, ROM and MMIO are the VM's, code pages and page generations physical),
 * and any TLBI it executes drops shared entries too.
 */
export function switchResync(sameRegime: u32): void {
  setMmuIndex((load<u32>(L.PSTATE_ADDR) >>> 2) & 3);
  updateFpEnabled();
  debugConfigChanged();
  if (sameRegime == 0 || watchConfigured) tlbFlushAll();
}

/** Enables or disables semihosting (HLT #0xF000 at EL1 exits to the host). */
export function setSemihosting(on: u32): void {
  setSemihostingImpl(on != 0);
}

/** Executions after which a decoded block is handed to the host's JIT (0: never). */
export function setJitThreshold(n: u32): void {
  setJitThresholdImpl(n);
}

/** Changes whenever every decoded block (and so every compiled one) has been dropped. */
export function blockEpoch(): u32 {
  return blockEpochImpl;
}

/** Interprets one instruction for a compiled block; returns the control bits it set. */
export function jitStep(op: u32, w: u32, pc: u64): u32 {
  return jitStepImpl(op, w, pc);
}
