// Self-hosted debug at EL0/EL1 (Arm ARM D2): hardware breakpoints, watchpoints and software
// step, for a Non-secure PE without EL2 or EL3 (the host is the hypervisor), so the debug target
// is always EL1. This module holds the configuration derived from MDSCR_EL1, the OS lock and
// the DBGBCR/DBGBVR/DBGWCR/DBGWVR registers, and answers the matching questions; the exceptions
// themselves are taken in exceptions.ts, the checks are made by the run loop (breakpoints, step)
// and the memory slow path (watchpoints, on the pages tlbFill keeps out of the fast path).
//
// Choices where the architecture leaves one (all as QEMU's TCG makes them):
// - Reserved SSC/HMC/PxC combinations behave as valid ones: SSC = 0b10 (Secure only) never
//   matches, every other SSC matches, HMC only adds EL2 (absent); PxC = 0b00 never matches.
// - Only the bits [48:2] of an address compare (DBGxVR[63:49] are RESS).
// - A watchpoint with MASK ignores BAS; MASK 1 and 2 (reserved) disable it; a non-contiguous BAS
//   watches its lowest run of bytes; LSC = 0 disables it.
// - FAR of a watchpoint is the lowest watched byte the access touches (between the lowest byte
//   accessed and the highest watched byte accessed, as the architecture requires).
// - Breakpoint BAS is RES1 (no AArch32): it reads as 0b1111 and every A64 instruction matches.
import { currentEL, getPstateBits, PSTATE_D, PSTATE_SS } from "./state";
import * as S from "./sysreg-slots";
import { tlbFlushAll } from "./tlb";

/** Breakpoints implemented (ID_AA64DFR0_EL1.BRPs + 1). */
export const NUM_BRPS: u32 = 6;
/** Watchpoints implemented (ID_AA64DFR0_EL1.WRPs + 1). */
export const NUM_WRPS: u32 = 4;
/** The context-aware breakpoints are the highest-numbered two (ID_AA64DFR0_EL1.CTX_CMPs + 1). */
export const FIRST_CTX_BRP: u32 = 4;

export const MDSCR_SS: u64 = 1;
export const MDSCR_TDCC: u64 = 1 << 12;
export const MDSCR_KDE: u64 = 1 << 13;
export const MDSCR_MDE: u64 = 1 << 15;
/** MDSCR_EL1 bits kept: SS, TDCC, KDE, HDE, MDE, TDA, INTdis (the DCC status bits read as 0). */
export const MDSCR_WRITABLE: u64 = 0x00e0_f001;

/** Writable DBGBCR<n>_EL1 fields: E, PMC, BAS, HMC, SSC, LBN, BT. */
export const DBGBCR_WRITABLE: u64 = 0x00ff_e1e7;
/** DBGBCR.BAS, RES1 without AArch32. */
export const DBGBCR_BAS: u64 = 0x1e0;
/** Writable DBGWCR<n>_EL1 fields: E, PAC, LSC, BAS, HMC, SSC, LBN, WT, MASK. */
export const DBGWCR_WRITABLE: u64 = 0x1f1f_ffff;

/** ESR ISS of a Software Step exception: ISV (the EX bit is valid) and EX (a load-exclusive was stepped). */
export const STEP_ISV: u32 = 1 << 24;
export const STEP_EX: u32 = 1 << 6;

/** The address bits a breakpoint or watchpoint compares (VA[48:0]; above are sign or tag bits). */
const VA_BITS: u64 = 0x0001_ffff_ffff_ffff;

/** Debug exceptions are disabled by the OS lock or the OS double lock. */
let locked: bool = true;
/** MDSCR_EL1.KDE: debug exceptions from EL1 to EL1 (when PSTATE.D is clear). */
let kde: bool = false;
/** MDSCR_EL1.SS and no lock: the run loop steps instructions with the step state machine. */
export let stepConfigured: bool = false;
/** Some breakpoint may fire (MDE set, no lock): the run loop checks instruction addresses. */
export let bpConfigured: bool = false;
/** Some watchpoint may fire: tlbFill keeps the pages it overlaps out of the fast path. */
export let watchConfigured: bool = false;
/** An enabled unlinked context-ID breakpoint: it may match any instruction. */
let bpAnyAddress: bool = false;
/** Addresses (VA[48:2]) of the enabled address-match breakpoints. */
const bpAddr = new StaticArray<u64>(<i32>NUM_BRPS);
let nBpAddr: i32 = 0;
/** The enabled watchpoints and the bytes each watches (VA[48:0], inclusive). */
const wpNum = new StaticArray<u32>(<i32>NUM_WRPS);
const wpLo = new StaticArray<u64>(<i32>NUM_WRPS);
const wpHi = new StaticArray<u64>(<i32>NUM_WRPS);
let nWp: i32 = 0;

/** Lowest watched byte address of the access the last watchpointMatch() matched, and whether it was a store (WnR). */
export let watchHitAddress: u64 = 0;
export let watchHitStore: bool = false;
/** Set by exception entry and return: the instruction just run did not complete normally for software step. */
export let stepStateSet: bool = false;
/** The access being made is a store-exclusive's comparing read: watchpoints see a store. */
let accessIsStore: bool = false;

// @ts-ignore: decorator
@inline function bcr(n: u32): u64 {
  return S.srGet(S.SR_DBGBCR0 + n);
}
// @ts-ignore: decorator
@inline function bvr(n: u32): u64 {
  return S.srGet(S.SR_DBGBVR0 + n);
}
// @ts-ignore: decorator
@inline function wcr(n: u32): u64 {
  return S.srGet(S.SR_DBGWCR0 + n);
}

/** DBGBCR.BT of an enabled breakpoint that can fire on its own (address or, if context-aware, context ID), else -1. */
function firingType(n: u32): i32 {
  const c = bcr(n);
  if ((c & 1) == 0) return -1;
  const bt = <i32>(c >>> 20) & 0xf;
  if (bt == 0 || bt == 1) return bt;
  if (bt == 2 && n >= FIRST_CTX_BRP) return bt;
  return -1; // linked context match (fires only through a link) or reserved: no events
}

/** watchRange()'s result. */
let watchLo: u64 = 0;
let watchHi: u64 = 0;

/** The bytes watchpoint n watches as [watchLo, watchHi] in VA[48:0]; false when it can never match. */
function watchRange(n: u32): bool {
  const c = wcr(n);
  if ((c & 1) == 0 || ((c >>> 3) & 3) == 0) return false;
  const wvr = S.srGet(S.SR_DBGWVR0 + n) & VA_BITS;
  const mask = <u32>(c >>> 24) & 0x1f;
  if (mask == 1 || mask == 2) return false;
  if (mask) {
    const len = (<u64>1) << mask;
    watchLo = wvr & ~(len - 1);
    watchHi = watchLo + len - 1;
    return true;
  }
  // BAS selects bytes of the doubleword at WVR, or of the word when WVR[2] is set.
  let bas = <u32>(c >>> 5) & 0xff;
  if (wvr & 4) bas &= 0xf;
  if (bas == 0) return false;
  const start = ctz(bas);
  const run = ctz(~(bas >>> start));
  watchLo = (wvr & ~(<u64>((wvr & 4) != 0 ? 3 : 7))) + start;
  watchHi = watchLo + run - 1;
  return true;
}

/**
 * Recomputes the derived configuration after a write to MDSCR_EL1, the OS lock registers or a
 * breakpoint or watchpoint register (and after reset or a state restore). Drops the TLB when
 * watchpoints were or are configured, since tlbFill marks watched pages. Returns true when the
 * run loop must be chosen again (breakpoints or stepping came or went).
 */
export function debugConfigChanged(): bool {
  const wasChecked = checkedRunNeeded();
  const wasWatching = watchConfigured;
  const mdscr = S.srGet(S.SR_MDSCR_EL1);
  const doubleLock = (S.srGet(S.SR_OSDLR_EL1) & 1) != 0 && (S.srGet(S.SR_DBGPRCR_EL1) & 1) == 0;
  locked = (S.srGet(S.SR_OSLSR_EL1) & 2) != 0 || doubleLock;
  kde = (mdscr & MDSCR_KDE) != 0;
  const mde = (mdscr & MDSCR_MDE) != 0 && !locked;
  stepConfigured = (mdscr & MDSCR_SS) != 0 && !locked;
  nBpAddr = 0;
  bpAnyAddress = false;
  let bps = false;
  for (let n: u32 = 0; n < NUM_BRPS; n++) {
    const t = firingType(n);
    if (t < 0) continue;
    bps = true;
    if (t == 2) bpAnyAddress = true;
    else bpAddr[nBpAddr++] = bvr(n) & VA_BITS & ~(<u64>3);
  }
  bpConfigured = mde && bps;
  nWp = 0;
  for (let n: u32 = 0; n < NUM_WRPS; n++) {
    if (!watchRange(n)) continue;
    wpNum[nWp] = n;
    wpLo[nWp] = watchLo;
    wpHi[nWp] = watchHi;
    nWp++;
  }
  watchConfigured = mde && nWp > 0;
  if (wasWatching || watchConfigured) tlbFlushAll();
  return wasChecked != checkedRunNeeded();
}

/** Breakpoints or software step may fire: instructions run through the checked loop (run.ts). */
// @ts-ignore: decorator
@inline export function checkedRunNeeded(): bool {
  return bpConfigured || stepConfigured;
}

/** AArch64.GenerateDebugExceptionsFrom(el, D): from EL0 always (to EL1), from EL1 with KDE and D clear. */
// @ts-ignore: decorator
@inline function enabledFrom(el: u32, dMasked: bool): bool {
  return !locked && (el == 0 || (kde && !dMasked));
}

/** Debug exceptions may be generated now (AArch64.GenerateDebugExceptions). */
export function debugEnabledHere(): bool {
  return enabledFrom(currentEL(), (getPstateBits() & PSTATE_D) != 0);
}

/** Software step is active at the current EL (step exceptions may be taken). */
export function stepActive(): bool {
  return stepConfigured && debugEnabledHere();
}

/**
 * AArch64.StateMatch for the control register of a breakpoint or watchpoint: SSC, the PMC/PAC
 * bit of the access's privilege, and a link (DBGBCR.BT = 0b0001, DBGWCR.WT) to a context-ID
 * breakpoint, which must match too.
 */
function stateMatches(ctrl: u64, priv: bool, linked: bool): bool {
  if (((ctrl >>> 14) & 3) == 2) return false; // Secure state only
  if ((ctrl & (priv ? 2 : 4)) == 0) return false;
  if (!linked) return true;
  const lbn = <u32>(ctrl >>> 16) & 0xf;
  // Links to a breakpoint that is not context-aware, disabled, or not a linked context-ID
  // match generate no events (CONSTRAINED UNPREDICTABLE: QEMU's choice).
  if (lbn < FIRST_CTX_BRP || lbn >= NUM_BRPS) return false;
  const c = bcr(lbn);
  return (c & 1) != 0 && ((c >>> 20) & 0xf) == 3 && contextMatches(lbn);
}

// @ts-ignore: decorator
@inline function contextMatches(n: u32): bool {
  return <u32>S.srGet(S.SR_CONTEXTIDR_EL1) == <u32>bvr(n);
}

/** A breakpoint may match an instruction in [pc, pc + 4n): the loop must check them one by one. */
export function breakpointMayMatch(pc: u64, n: u32): bool {
  if (bpAnyAddress) return true;
  const start = pc & VA_BITS;
  for (let i = 0; i < nBpAddr; i++) {
    if (bpAddr[i] - start < (<u64>n << 2)) return true;
  }
  return false;
}

/** AArch64.CheckBreakpoint for the instruction at pc (debug exceptions enabled, checked by the caller). */
export function breakpointHit(pc: u64): bool {
  const priv = currentEL() != 0;
  const a = pc & VA_BITS;
  for (let n: u32 = 0; n < NUM_BRPS; n++) {
    const t = firingType(n);
    if (t < 0) continue;
    if (t == 2 ? !contextMatches(n) : (bvr(n) & VA_BITS & ~(<u64>3)) != a) continue;
    if (stateMatches(bcr(n), priv, t == 1)) return true;
  }
  return false;
}

/**
 * AArch64.CheckWatchpoint for an access of `size` bytes at va with the privilege of MMU index
 * `idx` (0: EL0 or an unprivileged LDTR/STTR). On a match, watchHitAddress is the lowest watched
 * byte address the access touches.
 */
export function watchpointMatch(va: u64, size: u32, write: bool, idx: u32): bool {
  if (!watchConfigured || !debugEnabledHere()) return false;
  const store = write || accessIsStore;
  const a = va & VA_BITS;
  const last = a + size - 1;
  let hit: u64 = <u64>-1;
  for (let i = 0; i < nWp; i++) {
    const lo = wpLo[i];
    if (lo > last || wpHi[i] < a) continue;
    const c = wcr(wpNum[i]);
    if ((c & (store ? 16 : 8)) == 0) continue; // LSC
    if (!stateMatches(c, idx != 0, (c & (1 << 20)) != 0)) continue;
    const h = lo > a ? lo : a;
    if (h < hit) hit = h;
  }
  if (hit == <u64>-1) return false;
  watchHitAddress = va + (hit - a);
  watchHitStore = store;
  return true;
}

/** True when a watchpoint watches a byte of the 4 KB page at va (its TLB entries take the slow path). */
export function watchOverlapsPage(va: u64): bool {
  const p = va & VA_BITS & ~(<u64>0xfff);
  for (let i = 0; i < nWp; i++) {
    if (wpLo[i] <= p + 0xfff && p <= wpHi[i]) return true;
  }
  return false;
}

/** Marks the comparing reads of a store-exclusive, which watchpoints see as the store they are part of. */
export function setAccessIsStore(on: bool): void {
  accessIsStore = on;
}

/** Exception entry and return set it; the checked run loop clears it before a stepped instruction. */
export function setStepStateSet(v: bool): void {
  stepStateSet = v;
}

/**
 * PSTATE.SS after an exception return to `destEL` with `spsr` (DebugExceptionReturnSS): SPSR.SS
 * only when stepping is configured, debug exceptions are disabled where the ERET executes and
 * enabled at the destination (with the D bit being restored); otherwise 0.
 */
export function exceptionReturnSS(spsr: u32, destEL: u32): u32 {
  if (!stepConfigured) return 0;
  if (debugEnabledHere()) return 0;
  if (!enabledFrom(destEL, (spsr & PSTATE_D) != 0)) return 0;
  return spsr & PSTATE_SS;
}

/** A load-exclusive (LDXR, LDAXR, LDXP, LDAXP, any size): what ESR.EX reports after stepping one. */
// @ts-ignore: decorator
@inline export function isLoadExclusive(w: u32): bool {
  return (w & 0x3fc0_0000) == 0x0840_0000;
}
