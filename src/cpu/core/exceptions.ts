// Exception entry and return for EL0/EL1 (no EL2/EL3: HVC and SMC go to the host).
import { branchAddr } from "./branchaddr";
import {
  EXCL_VALID,
  UNDEF_COUNT,
  UNDEF_LAST_PC,
  UNDEF_LAST_WORD,
  X_BASE,
} from "./layout";
import {
  branchTo,
  currentEL,
  endBlock,
  getNZCV,
  getPstateBits,
  insnWord,
  noRetire,
  PC,
  PSTATE_A,
  PSTATE_D,
  PSTATE_F,
  PSTATE_I,
  PSTATE_IL,
  PSTATE_SP,
  PSTATE_SS,
  setNZCV,
  setPstateBits,
} from "./state";
import { SR_ELR_EL1, SR_ESR_EL1, SR_FAR_EL1, SR_SP_EL0, SR_SP_EL1, SR_SPSR_EL1, SR_VBAR_EL1, srGet, srSet } from "./sysreg-slots";
import { fpEnabled, updateFpEnabled } from "./fpaccess";
import { setMmuIndex } from "./tlb";
import { exceptionReturnSS, setStepStateSet } from "./debug";

// Exception classes (ESR_ELx.EC).
export const EC_UNKNOWN: u32 = 0x00;
export const EC_WFX: u32 = 0x01;
export const EC_FP_ACCESS: u32 = 0x07;
export const EC_ILLEGAL_STATE: u32 = 0x0e;
export const EC_SVC64: u32 = 0x15;
export const EC_HVC64: u32 = 0x16;
export const EC_SMC64: u32 = 0x17;
export const EC_SYSREG: u32 = 0x18;
export const EC_IABT_LOWER: u32 = 0x20;
export const EC_IABT_CUR: u32 = 0x21;
export const EC_PC_ALIGN: u32 = 0x22;
export const EC_DABT_LOWER: u32 = 0x24;
export const EC_DABT_CUR: u32 = 0x25;
export const EC_SP_ALIGN: u32 = 0x26;
export const EC_FP_EXC64: u32 = 0x2c;
export const EC_SERROR: u32 = 0x2f;
/** Debug exceptions; the current-EL class is one more than the lower-EL one. */
export const EC_BREAKPOINT_LOWER: u32 = 0x30;
export const EC_SOFTWARE_STEP_LOWER: u32 = 0x32;
export const EC_WATCHPOINT_LOWER: u32 = 0x34;
export const EC_BRK64: u32 = 0x3c;

/** Fault status code of a debug exception (IFSC/DFSC 0b100010). */
const FSC_DEBUG: u32 = 0x22;

// Vector offsets within VBAR_EL1.
const VEC_SYNC: u64 = 0x0;
export const VEC_IRQ: u64 = 0x80;
export const VEC_FIQ: u64 = 0x100;
export const VEC_SERROR: u64 = 0x180;

/** Moves the live SP (register slot 31) into its bank and loads the bank selected by `pstate`. */
export function switchSP(oldPstate: u32, newPstate: u32): void {
  const oldBank = (oldPstate >>> 2) & 3 && oldPstate & PSTATE_SP ? SR_SP_EL1 : SR_SP_EL0;
  const newBank = (newPstate >>> 2) & 3 && newPstate & PSTATE_SP ? SR_SP_EL1 : SR_SP_EL0;
  if (oldBank == newBank) return;
  srSet(oldBank, load<u64>(X_BASE + 31 * 8));
  store<u64>(X_BASE + 31 * 8, srGet(newBank));
}

/** Writes PSTATE (everything but NZCV), switching SP banks and the MMU index as needed. */
export function writePstate(newBits: u32): void {
  const old = getPstateBits();
  switchSP(old, newBits);
  setPstateBits(newBits);
  if (((old ^ newBits) >>> 2) & 3) {
    setMmuIndex((newBits >>> 2) & 3);
    updateFpEnabled();
  }
}

/**
 * Checks CPACR_EL1.FPEN for an FP/SIMD instruction; when disabled, takes the access trap
 * (EC 0x07) and returns false, and the handler must return at once.
 */
// @ts-ignore: decorator
@inline export function fpCheck(): bool {
  if (fpEnabled) return true;
  fpAccessTrap();
  return false;
}

/** ISS of EC 0x07 from AArch64: CV = 1, COND = 0b1110 (Arm ARM, ESR_ELx ISS for EC 0x07; QEMU syn_fp_access_trap). */
const FP_TRAP_ISS: u32 = (1 << 24) | (0xe << 20);

/** The FP/SIMD access trap (EC 0x07) for the current instruction. */
export function fpAccessTrap(): void {
  takeException(VEC_SYNC, EC_FP_ACCESS, FP_TRAP_ISS, PC, 0, false, false);
}

/** SPSR value describing the current PSTATE. */
export function currentSpsr(): u32 {
  return getNZCV() | getPstateBits();
}

/**
 * Takes an exception to EL1: saves PSTATE and the return address, sets ESR (and FAR when
 * `setFar`), masks DAIF, selects SP_EL1 and jumps to the vector. `retired` says whether the
 * instruction that caused it counts as executed (SVC) or not (faults).
 */
export function takeException(vecOffset: u64, ec: u32, iss: u32, ret: u64, far: u64, setFar: bool, retired: bool): void {
  const fromEL = currentEL();
  setStepStateSet(true);
  srSet(SR_SPSR_EL1, <u64>currentSpsr());
  srSet(SR_ELR_EL1, ret);
  if (vecOffset == VEC_SYNC || ec == EC_SERROR) {
    // IL is 1 for every 32-bit A64 instruction; ISS rules per EC are the caller's.
    srSet(SR_ESR_EL1, ((<u64>ec) << 26) | (1 << 25) | <u64>(iss & 0x1ffffff));
  }
  if (setFar) srSet(SR_FAR_EL1, far);
  const base = srGet(SR_VBAR_EL1) & ~(<u64>0x7ff);
  const pst = getPstateBits();
  let off: u64 = fromEL == 0 ? 0x400 : pst & PSTATE_SP ? 0x200 : 0;
  writePstate((1 << 2) | PSTATE_SP | PSTATE_D | PSTATE_A | PSTATE_I | PSTATE_F);
  store<u32>(EXCL_VALID, 0);
  off += vecOffset;
  if (retired) {
    branchTo(base + off);
  } else {
    noRetire(base + off);
  }
}

/** The current instruction is UNDEFINED: counted, remembered for reports, and taken as EC 0. */
export function undefinedInstruction(): void {
  store<u64>(UNDEF_COUNT, load<u64>(UNDEF_COUNT) + 1);
  store<u64>(UNDEF_LAST_WORD, <u64>insnWord);
  store<u64>(UNDEF_LAST_PC, PC);
  takeException(VEC_SYNC, EC_UNKNOWN, 0, PC, 0, false, false);
}

/** Synchronous exception with the given class and syndrome; ELR = this instruction. */
export function syncException(ec: u32, iss: u32): void {
  takeException(VEC_SYNC, ec, iss, PC, 0, false, false);
}

/**
 * SVC: ELR = next instruction. The SVC completes, so software step advances first and SPSR.SS
 * is 0 (AArch64.CallSupervisor's SSAdvance): the step exception follows the return.
 */
export function supervisorCall(imm16: u32): void {
  setPstateBits(getPstateBits() & ~PSTATE_SS);
  takeException(VEC_SYNC, EC_SVC64, imm16, PC + 4, 0, false, true);
}

/** BRK: ELR = this instruction. */
export function breakpoint(imm16: u32): void {
  takeException(VEC_SYNC, EC_BRK64, imm16, PC, 0, false, true);
}

/** Data abort with fault status `fsc`; `write` sets WnR. */
export function dataAbort(va: u64, fsc: u32, write: bool): void {
  const ec = currentEL() == 0 ? EC_DABT_LOWER : EC_DABT_CUR;
  takeException(VEC_SYNC, ec, (write ? 1 << 6 : 0) | fsc, PC, va, true, false);
}

/** Instruction abort at `va` with fault status `fsc`; the faulting PC is `va`. */
export function instructionAbort(va: u64, fsc: u32): void {
  const ec = currentEL() == 0 ? EC_IABT_LOWER : EC_IABT_CUR;
  takeException(VEC_SYNC, ec, fsc, va, va, true, false);
}

/** PC alignment fault on fetching from a misaligned `pc`. */
export function pcAlignmentFault(pc: u64): void {
  takeException(VEC_SYNC, EC_PC_ALIGN, 0, pc, pc, true, false);
}

/** SP alignment fault for the current instruction. */
export function spAlignmentFault(): void {
  takeException(VEC_SYNC, EC_SP_ALIGN, 0, PC, 0, false, false);
}

/** Asynchronous exception (IRQ/FIQ/SError) before executing the instruction at `pc`. */
export function takeInterrupt(vecOffset: u64, pc: u64): void {
  takeException(vecOffset, vecOffset == VEC_SERROR ? EC_SERROR : 0, 0, pc, 0, false, false);
}

/** Debug exception class for the current EL: the lower-EL class from EL0, the next one from EL1. */
// @ts-ignore: decorator
@inline function debugEC(lowerEC: u32): u32 {
  return currentEL() == 0 ? lowerEC : lowerEC + 1;
}

/** Breakpoint exception before the instruction at pc. FAR is UNKNOWN: written as 0 (as QEMU). */
export function breakpointException(pc: u64): void {
  takeException(VEC_SYNC, debugEC(EC_BREAKPOINT_LOWER), FSC_DEBUG, pc, 0, true, false);
}

/** Watchpoint exception for the current instruction's access at `far`; `write` sets WnR (CM is 0). */
export function watchpointException(far: u64, write: bool): void {
  takeException(VEC_SYNC, debugEC(EC_WATCHPOINT_LOWER), (write ? 1 << 6 : 0) | FSC_DEBUG, PC, far, true, false);
}

/** Software Step exception before the instruction at pc; `syndrome` holds ISV and EX (debug.ts). */
export function softwareStepException(pc: u64, syndrome: u32): void {
  takeException(VEC_SYNC, debugEC(EC_SOFTWARE_STEP_LOWER), syndrome | FSC_DEBUG, pc, 0, false, false);
}

/** Illegal Execution state exception (PSTATE.IL set). */
export function illegalState(pc: u64): void {
  takeException(VEC_SYNC, EC_ILLEGAL_STATE, 0, pc, 0, false, false);
}

/** ERET from EL1: restores PSTATE from SPSR_EL1 and branches to ELR_EL1 (illegal returns set IL). */
export function exceptionReturn(): void {
  const spsr = <u32>srGet(SR_SPSR_EL1);
  const target = srGet(SR_ELR_EL1);
  const m = spsr & 0x1f;
  // A legal return restores IL from SPSR too: an exception taken with IL set returns with IL
  // set, and the Illegal Execution state exception follows (Arm ARM, PSTATE.IL).
  let bits = spsr & (PSTATE_D | PSTATE_A | PSTATE_I | PSTATE_F | PSTATE_SP | (3 << 2) | PSTATE_IL);
  // Legal targets: EL0t (0b00000), EL1t (0b00100), EL1h (0b00101). Anything else (AArch32,
  // EL2/EL3, EL0h, M[1] set) is an illegal exception return: PSTATE.IL is set and EL/SP stay.
  if (!(m == 0 || m == 4 || m == 5)) {
    bits = (getPstateBits() & ((3 << 2) | PSTATE_SP)) | (spsr & (PSTATE_D | PSTATE_A | PSTATE_I | PSTATE_F)) | PSTATE_IL;
  }
  // PSTATE.SS: SPSR.SS only where it starts a step at the destination (DebugExceptionReturnSS).
  bits |= exceptionReturnSS(spsr, (bits >>> 2) & 3);
  setStepStateSet(true);
  setNZCV(spsr);
  writePstate(bits);
  store<u32>(EXCL_VALID, 0);
  // BranchAddr: a TBI tag is dropped; other bits above the VA range fault on fetch.
  branchTo(branchAddr(target));
  endBlock();
}
