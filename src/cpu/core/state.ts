// Register access and the per-instruction control protocol shared by every handler.
import {
  FPCR_ADDR,
  FPSR_ADDR,
  NZCV_ADDR,
  PSTATE_ADDR,
  SINK_SLOT,
  V_BASE,
  X_BASE,
  ZR_SLOT,
} from "./layout";

// ---- Control protocol -------------------------------------------------------------------
// The run loop clears `ctl` before each instruction. A handler that changes control flow or
// must stop the loop sets bits here; anything else falls through to PC + 4.

/** Instruction retired and execution continues at `jumpPC` (branches, exception-generating instructions). */
export const CTL_JUMP: u32 = 1;
/** Instruction did not retire (fault, UNDEFINED, restartable host access); `jumpPC` holds where to go. */
export const CTL_NORETIRE: u32 = 2;
/** Return to the host after this instruction (see `exitReason`). */
export const CTL_EXIT: u32 = 4;
/** Retired; end the decoded block (state that affects translation, interrupts or code changed). */
export const CTL_ENDBLOCK: u32 = 8;
/**
 * Not retired, nothing done: the instruction reached its first MMIO access outside an MMIO
 * step; the run loop executes it again at once as one (memory.ts, "MMIO steps").
 */
export const CTL_MMIO: u32 = 16;

/** Control bits set by the current instruction. */
export let ctl: u32 = 0;
/** Next PC when CTL_JUMP or CTL_NORETIRE is set. */
export let jumpPC: u64 = 0;
/** Address of the instruction being executed. */
export let PC: u64 = 0;
/** The instruction word being executed. */
export let insnWord: u32 = 0;
/** Why the core returned to the host (see index.ts EXIT_*). */
export let exitReason: u32 = 0;

export function setCtl(bits: u32): void {
  ctl |= bits;
}
export function clearCtl(): void {
  ctl = 0;
}
export function setPC(pc: u64): void {
  PC = pc;
}
export function setInsnWord(w: u32): void {
  insnWord = w;
}
export function setExitReason(r: u32): void {
  exitReason = r;
}

/** Branch: retire and continue at `target`. */
// @ts-ignore: decorator
@inline export function branchTo(target: u64): void {
  jumpPC = target;
  ctl |= CTL_JUMP;
}

/** Stop without retiring; continue at `target` (an exception vector, or PC itself to restart). */
export function noRetire(target: u64): void {
  jumpPC = target;
  ctl |= CTL_NORETIRE;
}

/** Ask the loop to end the block after this instruction. */
// @ts-ignore: decorator
@inline export function endBlock(): void {
  ctl |= CTL_ENDBLOCK;
}

/** Stop the run loop after this instruction, retiring it and continuing at PC + 4 later. */
export function exitAfter(reason: u32): void {
  exitReason = reason;
  jumpPC = PC + 4;
  ctl |= CTL_JUMP | CTL_EXIT;
}

// ---- General registers ------------------------------------------------------------------

/** Reads Xn, where n = 31 is XZR. */
// @ts-ignore: decorator
@inline export function getX(n: u32): u64 {
  return load<u64>(X_BASE + ((<usize>(n == 31 ? ZR_SLOT : n)) << 3));
}
/** Reads Wn (zero-extended), where n = 31 is WZR. */
// @ts-ignore: decorator
@inline export function getW(n: u32): u32 {
  return load<u32>(X_BASE + ((<usize>(n == 31 ? ZR_SLOT : n)) << 3));
}
/** Reads Xn, where n = 31 is the current SP. */
// @ts-ignore: decorator
@inline export function getXSP(n: u32): u64 {
  return load<u64>(X_BASE + ((<usize>n) << 3));
}
/** Writes Xn, where n = 31 is XZR (discarded). */
// @ts-ignore: decorator
@inline export function setX(n: u32, v: u64): void {
  store<u64>(X_BASE + ((<usize>(n == 31 ? SINK_SLOT : n)) << 3), v);
}
/** Writes Wn zero-extended to Xn, where n = 31 is WZR. */
// @ts-ignore: decorator
@inline export function setW(n: u32, v: u32): void {
  store<u64>(X_BASE + ((<usize>(n == 31 ? SINK_SLOT : n)) << 3), <u64>v);
}
/** Writes Xn, where n = 31 is the current SP. */
// @ts-ignore: decorator
@inline export function setXSP(n: u32, v: u64): void {
  store<u64>(X_BASE + ((<usize>n) << 3), v);
}
/** Reads register n as 64 or 32 bits (sf), n = 31 being ZR; the 32-bit value is zero-extended. */
// @ts-ignore: decorator
@inline export function getR(sf: u32, n: u32): u64 {
  const v = getX(n);
  return sf ? v : v & 0xffffffff;
}
/** Writes register n as 64 or 32 bits (sf, the 32-bit form zero-extends), n = 31 being ZR. */
// @ts-ignore: decorator
@inline export function setR(sf: u32, n: u32, v: u64): void {
  setX(n, sf ? v : v & 0xffffffff);
}
/** Reads register n as 64 or 32 bits (sf), n = 31 being SP. */
// @ts-ignore: decorator
@inline export function getRSP(sf: u32, n: u32): u64 {
  const v = getXSP(n);
  return sf ? v : v & 0xffffffff;
}
/** Writes register n as 64 or 32 bits (sf), n = 31 being SP. */
// @ts-ignore: decorator
@inline export function setRSP(sf: u32, n: u32, v: u64): void {
  setXSP(n, sf ? v : v & 0xffffffff);
}

// ---- Flags -------------------------------------------------------------------------------

/** NZCV as bits 31..28. */
// @ts-ignore: decorator
@inline export function getNZCV(): u32 {
  return load<u32>(NZCV_ADDR);
}
// @ts-ignore: decorator
@inline export function setNZCV(v: u32): void {
  store<u32>(NZCV_ADDR, v & 0xf0000000);
}
/** Sets NZCV from four booleans. */
// @ts-ignore: decorator
@inline export function setFlags(n: bool, z: bool, c: bool, v: bool): void {
  store<u32>(NZCV_ADDR, ((<u32>n) << 31) | ((<u32>z) << 30) | ((<u32>c) << 29) | ((<u32>v) << 28));
}

/** Arm ConditionHolds(cond) against the current NZCV. */
export function conditionHolds(cond: u32): bool {
  const f = load<u32>(NZCV_ADDR);
  const n = (f >>> 31) & 1;
  const z = (f >>> 30) & 1;
  const c = (f >>> 29) & 1;
  const v = (f >>> 28) & 1;
  let r: bool;
  switch (cond >>> 1) {
    case 0:
      r = z == 1;
      break;
    case 1:
      r = c == 1;
      break;
    case 2:
      r = n == 1;
      break;
    case 3:
      r = v == 1;
      break;
    case 4:
      r = c == 1 && z == 0;
      break;
    case 5:
      r = n == v;
      break;
    case 6:
      r = n == v && z == 0;
      break;
    default:
      r = true;
      break;
  }
  // Conditions 0b1111 (NV) behaves as AL.
  if (cond & 1 && cond != 15) r = !r;
  return r;
}

// ---- PSTATE ------------------------------------------------------------------------------

export const PSTATE_SP: u32 = 1; // SPSel
export const PSTATE_F: u32 = 1 << 6;
export const PSTATE_I: u32 = 1 << 7;
export const PSTATE_A: u32 = 1 << 8;
export const PSTATE_D: u32 = 1 << 9;
export const PSTATE_SS: u32 = 1 << 21;
export const PSTATE_IL: u32 = 1 << 20;

/** Current exception level (0 or 1). */
// @ts-ignore: decorator
@inline export function currentEL(): u32 {
  return (load<u32>(PSTATE_ADDR) >>> 2) & 3;
}
/** PSTATE bits other than NZCV (DAIF, EL, SPSel, IL, SS) in SPSR positions. */
// @ts-ignore: decorator
@inline export function getPstateBits(): u32 {
  return load<u32>(PSTATE_ADDR);
}
// @ts-ignore: decorator
@inline export function setPstateBits(v: u32): void {
  store<u32>(PSTATE_ADDR, v);
}

// ---- FP control --------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function getFPCR(): u32 {
  return load<u32>(FPCR_ADDR);
}
// @ts-ignore: decorator
@inline export function getFPSR(): u32 {
  return load<u32>(FPSR_ADDR);
}
// @ts-ignore: decorator
@inline export function setFPSR(v: u32): void {
  store<u32>(FPSR_ADDR, v);
}

// ---- Vector registers --------------------------------------------------------------------

/** Address of Vn's 16 bytes in memory (lane 0 at the lowest address). */
// @ts-ignore: decorator
@inline export function vAddr(n: u32): usize {
  return V_BASE + ((<usize>n) << 4);
}
// @ts-ignore: decorator
@inline export function getV128(n: u32): v128 {
  return v128.load(vAddr(n));
}
// @ts-ignore: decorator
@inline export function setV128(n: u32, v: v128): void {
  v128.store(vAddr(n), v);
}
/** Reads the low 64 bits of Vn (Dn). */
// @ts-ignore: decorator
@inline export function getD(n: u32): u64 {
  return load<u64>(vAddr(n));
}
/** Writes Dn and clears the upper 64 bits of Vn (scalar writes zero the rest of the register). */
// @ts-ignore: decorator
@inline export function setD(n: u32, v: u64): void {
  const a = vAddr(n);
  store<u64>(a, v);
  store<u64>(a, 0, 8);
}
/** Reads Sn (low 32 bits of Vn). */
// @ts-ignore: decorator
@inline export function getS(n: u32): u32 {
  return load<u32>(vAddr(n));
}
/** Writes Sn and clears the rest of Vn. */
// @ts-ignore: decorator
@inline export function setS(n: u32, v: u32): void {
  const a = vAddr(n);
  store<u64>(a, <u64>v);
  store<u64>(a, 0, 8);
}
/** Reads Hn (low 16 bits of Vn). */
// @ts-ignore: decorator
@inline export function getH(n: u32): u32 {
  return load<u16>(vAddr(n));
}
/** Writes Hn and clears the rest of Vn. */
// @ts-ignore: decorator
@inline export function setH(n: u32, v: u32): void {
  const a = vAddr(n);
  store<u64>(a, <u64>(v & 0xffff));
  store<u64>(a, 0, 8);
}
/** Reads Bn (low 8 bits of Vn). */
// @ts-ignore: decorator
@inline export function getB(n: u32): u32 {
  return load<u8>(vAddr(n));
}
/** Writes Bn and clears the rest of Vn. */
// @ts-ignore: decorator
@inline export function setB(n: u32, v: u32): void {
  const a = vAddr(n);
  store<u64>(a, <u64>(v & 0xff));
  store<u64>(a, 0, 8);
}
