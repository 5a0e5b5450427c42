// JIT emitters for the system instructions and exclusives a Linux boot runs most (Arm ARM
// C4.1.66-67), mirroring src/cpu/core/isa/system.ts, sysreg.ts readReg/writeReg and
// ldst_excl.ts. Each handles the common case inline and hands everything else to the
// interpreter: a trapped or UNDEFINED access (always an exception: ctl is set, so the block
// may keep chaining), and any register or operation not listed here (an interpreted MSR or SYS
// still stops the block's chaining, compiler.ts fallback).
//
// - MRS: never changes the EL, the translation regime, the debug state or the interrupt masks
//   (a read of a host register, a GIC acknowledge say, changes only device state and IRQ_LINES,
//   which chaining checks), so an interpreted MRS keeps chaining too. Inline: SP_EL0, DAIF,
//   DCZID_EL0, CTR_EL0 (Linux's cache-maintenance loops read it for the line sizes), TPIDR_EL0,
//   TPIDRRO_EL0 and the EL1 registers read straight from their slots.
// - MSR of SP_EL0 (while SP_EL1 is the live SP), ELR_EL1, SPSR_EL1, TPIDR_EL1, TPIDRRO_EL0
//   (UNDEFINED at EL0) and TPIDR_EL0: slot writes that change nothing else (Linux's exception
//   entry and return, context switch), so the block keeps chaining.
// - MSR DAIF, Xt / DAIFSet / DAIFClr: PSTATE written inline. Setting masks cannot make an
//   interrupt takeable or a debug exception possible; when a mask may be cleared and an
//   interrupt line is up, or the checked loop runs (debug exceptions may become possible once
//   D is clear), the block ends after the write (as the interpreter's endBlock), so the run
//   loop takes the interrupt or checks the next instruction's breakpoints first.
// - ISB: the block ends after it (the next instruction is fetched again, as endBlock does).
// - DC ZVA: 64 zero bytes through the TLB fast path; DC CVAC/CVAU/CIVAC: no-ops once allowed.
// - LDXR/LDAXR, STXR/STLXR, LDAR, STLR: the value-based monitor of memory.ts (EXCL_*): a
//   store-exclusive stores when the monitor is armed for the same address and size and memory
//   still holds the armed value; status 0 then, else 1; it always clears the monitor.
import { STATE_FIELDS, SYSREG_KEYS, SYSREG_SLOTS } from "../state-layout.ts";
import { type BlockCompiler, type Emitter, L_ADDR, L_HA, L_I0, L_T0, L_T1 } from "./compiler.ts";
import { fld } from "./emit-int.ts";
import { Op } from "./wasm.ts";

const EXCL_ADDR = STATE_FIELDS.EXCL_ADDR.offset;
const EXCL_SIZE = STATE_FIELDS.EXCL_SIZE.offset;
const EXCL_VAL = STATE_FIELDS.EXCL_VAL.offset;
const EXCL_VAL_HI = STATE_FIELDS.EXCL_VAL_HI.offset;
const EXCL_VALID = STATE_FIELDS.EXCL_VALID.offset;

const LOAD_U = [Op.I64Load8U, Op.I64Load16U, Op.I64Load32U, Op.I64Load];
const STORE = [Op.I64Store8, Op.I64Store16, Op.I64Store32, Op.I64Store];

/** PSTATE bits (state.ts): the DAIF masks, the EL field, SPSel. */
const PSTATE_DAIF = 0x3c0;
const PSTATE_EL = 12;
const PSTATE_SP = 1;
/** SCTLR_EL1 bits that open EL0 access: UMA (DAIF), DZE (DC ZVA, DCZID), UCT (CTR_EL0), UCI (DC CVAx). */
const SCTLR_UMA = 1 << 9;
const SCTLR_DZE = 1 << 14;
const SCTLR_UCT = 1 << 15;
const SCTLR_UCI = 1 << 26;

/**
 * MRS/MSR keys as the instruction's 15-bit field holds them (sysreg.ts K_* without the op0[1]
 * bit, which every MRS/MSR register has set).
 */
const key = (k: number): number => k & 0x7fff;
const K_SP_EL0 = key(SYSREG_KEYS.SP_EL0);
const K_DAIF = key(SYSREG_KEYS.DAIF);
const K_DCZID = key(SYSREG_KEYS.DCZID);
const K_CTR = key(SYSREG_KEYS.CTR);
const K_TPIDR_EL0 = key(SYSREG_KEYS.TPIDR_EL0);
const K_TPIDRRO_EL0 = key(SYSREG_KEYS.TPIDRRO_EL0);
/** Registers MSR writes straight to their slots at EL1 (UNDEFINED at EL0): key → slot, mask (sysreg.ts writeReg). */
const MSR_EL1_SLOTS = new Map<number, [number, bigint]>([
  [key(SYSREG_KEYS.ELR_EL1), [SYSREG_SLOTS.ELR_EL1, -1n]],
  [key(SYSREG_KEYS.SPSR_EL1), [SYSREG_SLOTS.SPSR_EL1, 0xf03f_03dfn]],
  [key(SYSREG_KEYS.TPIDR_EL1), [SYSREG_SLOTS.TPIDR_EL1, -1n]],
  [key(SYSREG_KEYS.TPIDRRO_EL0), [SYSREG_SLOTS.TPIDRRO_EL0, -1n]],
]);
/** EL1 registers read from their slots at EL1 (UNDEFINED at EL0): key → slot. */
const EL1_SLOTS = new Map<number, number>([
  [key(SYSREG_KEYS.SCTLR), SYSREG_SLOTS.SCTLR_EL1],
  [key(SYSREG_KEYS.TTBR0), SYSREG_SLOTS.TTBR0_EL1],
  [key(SYSREG_KEYS.TTBR1), SYSREG_SLOTS.TTBR1_EL1],
  [key(SYSREG_KEYS.TCR), SYSREG_SLOTS.TCR_EL1],
  [key(SYSREG_KEYS.SPSR_EL1), SYSREG_SLOTS.SPSR_EL1],
  [key(SYSREG_KEYS.ELR_EL1), SYSREG_SLOTS.ELR_EL1],
  [key(SYSREG_KEYS.ESR), SYSREG_SLOTS.ESR_EL1],
  [key(SYSREG_KEYS.FAR), SYSREG_SLOTS.FAR_EL1],
  [key(SYSREG_KEYS.MAIR), SYSREG_SLOTS.MAIR_EL1],
  [key(SYSREG_KEYS.VBAR), SYSREG_SLOTS.VBAR_EL1],
  [key(SYSREG_KEYS.CONTEXTIDR), SYSREG_SLOTS.CONTEXTIDR_EL1],
  [key(SYSREG_KEYS.TPIDR_EL1), SYSREG_SLOTS.TPIDR_EL1],
]);

/** Pushes PSTATE (i32), keeping a copy in L_I0. */
function pstate(b: BlockCompiler): void {
  b.c.i32(0).mem(Op.I32Load, b.L.PSTATE_ADDR).tee(L_I0);
}

/** Pushes 1 when at EL0 and SCTLR_EL1 lacks `bit` (the access traps), else 0; PSTATE left in L_I0. */
function el0Trap(b: BlockCompiler, bit: number): void {
  const c = b.c;
  pstate(b);
  c.i32(PSTATE_EL).op(Op.I32And, Op.I32Eqz);
  c.i32(0).mem(Op.I32Load, slotAddr(b, SYSREG_SLOTS.SCTLR_EL1)).i32(bit).op(Op.I32And, Op.I32Eqz, Op.I32And);
}

/** The wasm address of system-register slot n. */
function slotAddr(b: BlockCompiler, n: number): number {
  return b.L.SYSREG_BASE + 8 * n;
}

/** The exception case of an inline form: the interpreter raises it (ctl set, chaining kept). */
function trapped(b: BlockCompiler): void {
  b.fallback(undefined, true);
}

/**
 * Leaves the block after this instruction (a mask may have been cleared) when an interrupt line
 * is up, or in the checked loop (JIT_CHAIN_OFF set), which decides at each block whether
 * breakpoints and software step are live: clearing PSTATE.D may have enabled them.
 */
function endIfIrq(b: BlockCompiler): void {
  b.c.i32(0).mem(Op.I32Load, b.L.IRQ_LINES).i32(0).mem(Op.I32Load, b.L.JIT_CHAIN_OFF).op(Op.I32Or);
  b.if(0);
  b.exitJump(() => b.pcPlus(4));
  b.end();
}

function mrs(b: BlockCompiler, w: number): boolean {
  const k = fld(w, 5, 15);
  const Rt = fld(w, 0, 5);
  const c = b.c;
  if (k === K_SP_EL0) {
    // Linux's `current`: the banked slot while the live SP is SP_ELx (EL1, SPSel = 1); UNDEFINED otherwise.
    spEl0Banked(b);
    b.if(1);
    c.i32(0).mem(Op.I64Load, slotAddr(b, SYSREG_SLOTS.SP_EL0));
    b.setX(Rt);
    b.else();
    trapped(b);
    b.end();
    return true;
  }
  if (k === K_DAIF) {
    el0Trap(b, SCTLR_UMA);
    b.if(0);
    trapped(b);
    b.else();
    c.get(L_I0).i32(PSTATE_DAIF).op(Op.I32And, Op.I64ExtendI32U);
    b.setX(Rt);
    b.end();
    return true;
  }
  if (k === K_DCZID) {
    // BS = 4 (64-byte blocks); DZP (bit 4) set where DC ZVA would trap.
    el0Trap(b, SCTLR_DZE);
    c.i32(4).op(Op.I32Shl, Op.I64ExtendI32U).i64(4n).op(Op.I64Or);
    b.setX(Rt);
    return true;
  }
  if (k === K_CTR) {
    // A constant (sysreg.ts CTR_VALUE); at EL0 it traps unless SCTLR_EL1.UCT.
    el0Trap(b, SCTLR_UCT);
    b.if(0);
    trapped(b);
    b.else();
    c.i64(BigInt(b.L.CTR_VALUE >>> 0));
    b.setX(Rt);
    b.end();
    return true;
  }
  if (k === K_TPIDR_EL0 || k === K_TPIDRRO_EL0) {
    c.i32(0).mem(Op.I64Load, slotAddr(b, k === K_TPIDR_EL0 ? SYSREG_SLOTS.TPIDR_EL0 : SYSREG_SLOTS.TPIDRRO_EL0));
    b.setX(Rt);
    return true;
  }
  const n = EL1_SLOTS.get(k);
  if (n === undefined) {
    // Any other register: interpreted, and the block may still chain (see above).
    b.fallback(undefined, true);
    return true;
  }
  pstate(b);
  c.i32(PSTATE_EL).op(Op.I32And);
  b.if(1);
  c.i32(0).mem(Op.I64Load, slotAddr(b, n));
  b.setX(Rt);
  b.else();
  trapped(b);
  b.end();
  return true;
}

/** Pushes 1 when SP_EL0 is banked (EL1 with SPSel = 1: the live SP is SP_EL1), else 0; PSTATE left in L_I0. */
function spEl0Banked(b: BlockCompiler): void {
  pstate(b);
  b.c.i32(PSTATE_EL).op(Op.I32And, Op.I32Eqz, Op.I32Eqz);
  b.c.get(L_I0).i32(PSTATE_SP).op(Op.I32And, Op.I32And);
}

/** MSR of a slot register (see above), masked. */
function msrSlot(b: BlockCompiler, Rt: number, slot: number, mask: bigint): void {
  b.c.i32(0);
  b.x(Rt);
  if (mask !== -1n) b.c.i64(mask).op(Op.I64And);
  b.c.mem(Op.I64Store, slotAddr(b, slot));
}

/** MSR DAIF and the slot registers inline; other registers: the interpreter (and no chaining). */
function msrReg(b: BlockCompiler, w: number): boolean {
  const k = fld(w, 5, 15);
  const Rt = fld(w, 0, 5);
  if (k === K_TPIDR_EL0) {
    msrSlot(b, Rt, SYSREG_SLOTS.TPIDR_EL0, -1n);
    return true;
  }
  const slot = k === K_SP_EL0 ? ([SYSREG_SLOTS.SP_EL0, -1n] as [number, bigint]) : MSR_EL1_SLOTS.get(k);
  if (slot) {
    if (k === K_SP_EL0) spEl0Banked(b);
    else {
      pstate(b);
      b.c.i32(PSTATE_EL).op(Op.I32And);
    }
    b.if(1);
    msrSlot(b, Rt, slot[0], slot[1]);
    b.else();
    trapped(b);
    b.end();
    return true;
  }
  if (k !== K_DAIF) return false;
  const c = b.c;
  el0Trap(b, SCTLR_UMA);
  b.if(0);
  trapped(b);
  b.else();
  c.i32(0);
  c.get(L_I0).i32(~PSTATE_DAIF).op(Op.I32And);
  b.x(fld(w, 0, 5));
  c.op(Op.I32WrapI64).i32(PSTATE_DAIF).op(Op.I32And, Op.I32Or).mem(Op.I32Store, b.L.PSTATE_ADDR);
  endIfIrq(b);
  b.end();
  return true;
}

/** MSR DAIFSet/DAIFClr, #imm inline; SPSel and the rest: the interpreter. */
function msrImm(b: BlockCompiler, w: number): boolean {
  const op1 = fld(w, 16, 3);
  const op2 = fld(w, 5, 3);
  if (op1 !== 3 || (op2 !== 6 && op2 !== 7)) return false;
  const bits = fld(w, 8, 4) << 6;
  const c = b.c;
  el0Trap(b, SCTLR_UMA);
  b.if(0);
  trapped(b);
  b.else();
  c.i32(0).get(L_I0);
  if (op2 === 6) c.i32(bits).op(Op.I32Or);
  else c.i32(~bits).op(Op.I32And);
  c.mem(Op.I32Store, b.L.PSTATE_ADDR);
  if (op2 === 7 && bits) endIfIrq(b);
  b.end();
  return true;
}

function isb(b: BlockCompiler): boolean {
  b.c.i32(1);
  b.if();
  b.exitJump(() => b.pcPlus(4));
  b.end();
  return true;
}

/** DC ZVA and DC CVAC/CVAU/CIVAC inline; other SYS operations (IC, TLBI, AT): the interpreter. */
function sys(b: BlockCompiler, w: number): boolean {
  const op1 = fld(w, 16, 3);
  const CRn = fld(w, 12, 4);
  const CRm = fld(w, 8, 4);
  const op2 = fld(w, 5, 3);
  const Rt = fld(w, 0, 5);
  if (op1 !== 3 || CRn !== 7 || op2 !== 1) return false;
  const c = b.c;
  if (CRm === 10 || CRm === 11 || CRm === 14) {
    // Cache cleans: nothing to do once EL0 may issue them.
    el0Trap(b, SCTLR_UCI);
    b.if(0);
    trapped(b);
    b.end();
    return true;
  }
  if (CRm !== 4) return false;
  el0Trap(b, SCTLR_DZE);
  b.if(0);
  trapped(b);
  b.else();
  b.x(Rt);
  c.i64(~63n).op(Op.I64And).set(L_ADDR);
  // A miss, MMIO, ROM, a watched or code page: the interpreter (zeroBlock), still chaining.
  b.access(
    64,
    true,
    false,
    [Rt],
    () => {
      for (let off = 0; off < 64; off += 8) c.get(L_HA).i64(0n).mem(Op.I64Store, off);
    },
    true,
  );
  b.end();
  return true;
}

/** Pushes the base register Xn|SP into L_ADDR and 1 when it is aligned to `bytes`. */
function alignedAddr(b: BlockCompiler, w: number, bytes: number): void {
  b.xsp(fld(w, 5, 5));
  b.c
    .tee(L_ADDR)
    .op(Op.I32WrapI64)
    .i32(bytes - 1)
    .op(Op.I32And, Op.I32Eqz);
}

/** Every general register an exclusive names (Rt, Rn, Rs): what its slow path may touch. */
const named = (w: number): number[] => [fld(w, 0, 5), fld(w, 5, 5), fld(w, 16, 5)];

/** LDXR/LDAXR (size from bits 31:30): the load, then the monitor armed with its value. */
function ldxr(b: BlockCompiler, w: number): boolean {
  const size = w >>> 30;
  const bytes = 1 << size;
  const c = b.c;
  const Rn = fld(w, 5, 5);
  alignedAddr(b, w, bytes);
  b.if();
  b.access(bytes, false, Rn === 31, named(w), () => {
    c.get(L_HA).mem(LOAD_U[size], 0).set(L_T0);
    c.i32(0).get(L_ADDR).mem(Op.I64Store, EXCL_ADDR);
    c.i32(0).i64(BigInt(bytes)).mem(Op.I64Store, EXCL_SIZE);
    c.i32(0).get(L_T0).mem(Op.I64Store, EXCL_VAL);
    c.i32(0).i64(0n).mem(Op.I64Store, EXCL_VAL_HI);
    c.i32(0).i32(1).mem(Op.I32Store, EXCL_VALID);
    c.get(L_T0);
    b.setX(fld(w, 0, 5));
  });
  b.else();
  b.fallback(named(w));
  b.end();
  return true;
}

/** STXR/STLXR: the monitor's check, the compare with memory and the store, then status in Ws. */
function stxr(b: BlockCompiler, w: number): boolean {
  const size = w >>> 30;
  const bytes = 1 << size;
  const c = b.c;
  const Rn = fld(w, 5, 5);
  const Rs = fld(w, 16, 5);
  const Rt = fld(w, 0, 5);
  alignedAddr(b, w, bytes);
  b.if();
  // Armed for this address and size: the access (a miss or a fault: the interpreter does it all).
  c.i32(0).mem(Op.I32Load, EXCL_VALID);
  c.i32(0).mem(Op.I64Load, EXCL_ADDR).get(L_ADDR).op(Op.I64Eq, Op.I32And);
  c.i32(0).mem(Op.I64Load, EXCL_SIZE).i64(BigInt(bytes)).op(Op.I64Eq, Op.I32And);
  b.if();
  b.access(bytes, true, Rn === 31, named(w), () => {
    b.x(Rt).c.set(L_T1);
    c.get(L_HA).mem(LOAD_U[size], 0).i32(0).mem(Op.I64Load, EXCL_VAL).op(Op.I64Eq);
    b.if();
    c.get(L_HA).get(L_T1).mem(STORE[size], 0);
    c.i64(0n).set(L_T0);
    b.else();
    c.i64(1n).set(L_T0);
    b.end();
    c.i32(0).i32(0).mem(Op.I32Store, EXCL_VALID);
    c.get(L_T0);
    b.setX(Rs);
  });
  b.else();
  // Not armed for it: fails without touching memory (no fault either, as the interpreter).
  if (Rn === 31) {
    // The SP alignment check still comes first.
    c.get(L_ADDR).op(Op.I32WrapI64).i32(15).op(Op.I32And);
    b.if();
    b.fallback(named(w));
    b.else();
    failExclusive(b, Rs);
    b.end();
  } else failExclusive(b, Rs);
  b.end();
  b.else();
  b.fallback(named(w));
  b.end();
  return true;
}

function failExclusive(b: BlockCompiler, Rs: number): void {
  b.c.i32(0).i32(0).mem(Op.I32Store, EXCL_VALID);
  b.c.i64(1n);
  b.setX(Rs);
}

/** LDAR/STLR: plain accesses that must be naturally aligned (ordering is implicit on one thread). */
function acqRel(b: BlockCompiler, w: number, name: string): boolean {
  const size = w >>> 30;
  const bytes = 1 << size;
  const c = b.c;
  const Rn = fld(w, 5, 5);
  const Rt = fld(w, 0, 5);
  alignedAddr(b, w, bytes);
  b.if();
  if (name === "STLR")
    b.access(bytes, true, Rn === 31, named(w), () => {
      c.get(L_HA);
      b.x(Rt);
      c.mem(STORE[size], 0);
    });
  else
    b.access(bytes, false, Rn === 31, named(w), () => {
      c.get(L_HA).mem(LOAD_U[size], 0);
      b.setX(Rt);
    });
  b.else();
  b.fallback(named(w));
  b.end();
  return true;
}

/** System-instruction and exclusive emitters by op name. */
export const SYS_EMITTERS: [string[], Emitter][] = [
  [["MRS"], mrs],
  [["MSR_reg"], msrReg],
  [["MSR_imm"], msrImm],
  [["ISB"], isb],
  [["SYS"], sys],
  [["LDXR"], ldxr],
  [["STXR"], stxr],
  [["LDAR"], (b, w) => acqRel(b, w, "LDAR")],
  [["STLR"], (b, w) => acqRel(b, w, "STLR")],
];
