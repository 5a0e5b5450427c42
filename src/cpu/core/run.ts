// The run loop and the decoded-block cache.
//
// A block is up to MAX_BLOCK decoded instructions from one guest page, keyed by the wasm
// address of its first instruction (so by physical address) and stamped with its page's code
// generation: any write to the page (by the guest or, via notifyHostWrite, the host) bumps the
// generation and the block is rebuilt on next use. Instruction fetch goes through the TLB's
// execute tag, so TLB maintenance and address-space switches are seen at block entry.
//
// Block layout in the arena: a header (+0 wasm address of the first instruction, +4 page code
// generation, +8 instruction count, +12 executions so far, +16 JIT function-table index, 0 when
// not compiled, JIT_PENDING while queued, JIT_DECLINED when the JIT declined it, +20 the block
// run after it last time, 0 for none: blockAt tries it before the hash, whose 8 MiB of slots
// missed the cache on most lookups of a Linux boot), then per instruction
// its handler's function-table index (u16), its op (u16) and the instruction word (u32): the
// interpreter calls the handler straight from the block, one dependent load fewer per
// instruction than op -> EXEC[op] (bench:cpu's workload interpreted: ~100 -> ~110 MIPS).
//
// JIT tier: when a block is entered for the `jitThreshold`-th time the host compiles it to a wasm
// function (src/cpu/jit; when compiled at once rather than queued, that entry already calls it)
// that the loop calls through the function table as
// `(pc: i64, tlb: i32, budget: i32, cnt: i32) → i32`, with cnt 0, where budget (at most 0xffff,
// at least the block's length) bounds the instructions the call may run: a block that loops to
// itself, or chains to the compiled block that follows it (compiler.ts; not in the checked loop,
// which sets JIT_CHAIN_OFF). It answers `k | kind << 16`: JIT_DONE or JIT_JUMPED (k instructions
// retired, continue at JIT_NEXT_PC), JIT_CTL (k retired, then the instruction at JIT_NEXT_PC ran
// in the interpreter and set `ctl`: handled exactly as the interpreted loop handles it) or
// JIT_DECLINE (k retired by the blocks chained before, continue at JIT_NEXT_PC; k = 0: nothing
// ran, interpret the block this time).
//
// MMIO steps (memory.ts): an instruction that stops with CTL_MMIO is executed again at once as
// an MMIO step, wherever it stopped (interpreted block or compiled one). An instruction an
// MMIO exit stopped is resumed by the next run() when the host asks for it (resumeMmio): as
// its first step, before any interrupt is taken, so nothing runs between its accesses.
import { endsBlock, decode, execute, handlerOf } from "./generated/decode.gen";
import { EXIT_BUDGET, EXIT_HVC, EXIT_RESELECT, EXIT_SMC, EXIT_STOP, EXIT_WFE, EXIT_WFI } from "./exits";
import {
  breakpointException,
  illegalState,
  pcAlignmentFault,
  softwareStepException,
  takeInterrupt,
  VEC_FIQ,
  VEC_IRQ,
  VEC_SERROR,
} from "./exceptions";
import {
  bpConfigured,
  breakpointHit,
  breakpointMayMatch,
  checkedRunNeeded,
  debugEnabledHere,
  isLoadExclusive,
  setStepStateSet,
  STEP_EX,
  STEP_ISV,
  stepActive,
  stepConfigured,
  stepStateSet,
} from "./debug";
import { arenaCommit, arenaReserve, BLOCK_HEADER, blockEpoch, hashSlot } from "./blockcache";
import {
  HCALL_ANSWERS,
  HCALL_ENTRY,
  INSTRET_ADDR,
  IRQ_LINES,
  JIT_CHAIN_OFF,
  JIT_NEXT_PC,
  MBOX_EXIT_INFO0,
  PC_ADDR,
  STOP_REQUESTED,
  X_BASE,
} from "./layout";
import { ACC_EXEC, tlbFill } from "./mmu";
import { beginMmioStep, endMmioStep } from "./memory";
import {
  CTL_EXIT,
  CTL_JUMP,
  CTL_MMIO,
  CTL_NORETIRE,
  clearCtl,
  ctl,
  currentEL,
  exitReason,
  getPstateBits,
  insnWord,
  jumpPC,
  PSTATE_A,
  PSTATE_F,
  PSTATE_I,
  PSTATE_IL,
  PSTATE_SS,
  setExitReason,
  setInsnWord,
  setPC,
  setPstateBits,
} from "./state";
import { hostPageOf, markCodePage, pageGen, tlbCur } from "./tlb";
import { HOST_OK, hostHypercall, hostJitCompile } from "./host";

const MAX_BLOCK: u32 = 128;
/** Header value of a block the JIT declined to compile. */
const JIT_DECLINED: u32 = 0xffff_ffff;
/** Header value of a block queued for compilation (the host installs the index later). */
const JIT_PENDING: u32 = 0xffff_fffe;
const JIT_CTL: u32 = 2;
const JIT_DECLINE: u32 = 3;

/** Executions after which a block is handed to the JIT; 0 disables the JIT. */
let jitThreshold: u32 = 0;

/** Sets how many executions make a block hot enough to compile (0: never). */
export function setJitThreshold(n: u32): void {
  jitThreshold = n;
}

/** Asks run() to return EXIT_STOP at the next block boundary. */
export function requestStop(): void {
  store<u32>(STOP_REQUESTED, 1);
}

let resumeArmed = false;
let resumeWord: u32 = 0;
let resumeTaken = false;

/**
 * Makes the next run() resume the instruction at PC, whose word is `word`, that an MMIO exit
 * stopped: it runs first, as an MMIO step with the resumed tag, before any interrupt is taken.
 * The request holds for that one run() only.
 */
export function requestMmioResume(word: u32): void {
  resumeArmed = true;
  resumeWord = word;
}

/** Forgets a resume request (reset). */
export function cancelMmioResume(): void {
  resumeArmed = false;
}

/** Whether the last run() executed the instruction requestMmioResume asked for. */
export function mmioResumeTaken(): bool {
  return resumeTaken;
}

/** Executes the instruction at PC (word insnWord) as an MMIO step; returns the ctl it left. */
function mmioStep(resumed: bool): u32 {
  clearCtl();
  beginMmioStep(resumed);
  execute(decode(insnWord), insnWord);
  endMmioStep();
  return ctl;
}

/**
 * Runs the instruction an MMIO exit stopped (requestMmioResume) to its end, first thing in
 * run(): true when that ended the run (another exit). If it was being stepped (software step,
 * active-not-pending), its step exception follows it, as for any stepped instruction.
 */
function resumeStopped(): bool {
  let pc = load<u64>(PC_ADDR);
  setPC(pc);
  setInsnWord(resumeWord);
  const c = mmioStep(true);
  let retired: u64 = 0;
  if (c & CTL_NORETIRE) pc = jumpPC;
  else {
    retired = 1;
    pc = c & CTL_JUMP ? jumpPC : pc + 4;
    if (checkedRunNeeded() && debugEnabledHere() && stepConfigured && getPstateBits() & PSTATE_SS) {
      setPstateBits(getPstateBits() & ~PSTATE_SS);
      if (stepActive()) {
        clearCtl();
        softwareStepException(pc, STEP_ISV);
        pc = jumpPC;
      }
    }
  }
  clearCtl();
  store<u64>(PC_ADDR, pc);
  store<u64>(INSTRET_ADDR, load<u64>(INSTRET_ADDR) + retired);
  return (c & CTL_EXIT) != 0;
}

function buildBlock(host: usize): usize {
  const b = arenaReserve(BLOCK_HEADER + <usize>MAX_BLOCK * 8);
  const hp = hostPageOf(host);
  markCodePage(hp);
  const pageEnd = (host | 0xfff) + 1;
  let n: u32 = 0;
  let p = host;
  let q = b + BLOCK_HEADER;
  while (n < MAX_BLOCK && p < pageEnd) {
    const w = load<u32>(p);
    const op = decode(w);
    store<u32>(q, handlerOf(op) | (op << 16));
    store<u32>(q, w, 4);
    n++;
    p += 4;
    q += 8;
    if (endsBlock(op)) break;
  }
  store<u32>(b, <u32>host);
  store<u32>(b, pageGen(hp), 4);
  store<u32>(b, n, 8);
  store<u32>(b, 0, 12);
  store<u32>(b, 0, 16);
  store<u32>(b, 0, 20);
  arenaCommit(q);
  store<u32>(hashSlot(host), <u32>b);
  return b;
}

/**
 * Interprets one instruction for a compiled block (instructions it does not compile, and slow
 * paths of those it does) at `pc`; returns `ctl`, left set for the run loop when non-zero.
 */
export function jitStep(op: u32, w: u32, pc: u64): u32 {
  setPC(pc);
  setInsnWord(w);
  execute(op, w);
  return ctl;
}

/** Takes a pending unmasked interrupt before the instruction at pc; true when one was taken. */
function takePendingInterrupt(lines: u32, pc: u64): bool {
  const pst = getPstateBits();
  if (lines & 2 && (pst & PSTATE_F) == 0) {
    takeInterrupt(VEC_FIQ, pc);
    return true;
  }
  if (lines & 1 && (pst & PSTATE_I) == 0) {
    takeInterrupt(VEC_IRQ, pc);
    return true;
  }
  if (lines & 4 && (pst & PSTATE_A) == 0) {
    takeInterrupt(VEC_SERROR, pc);
    return true;
  }
  return false;
}

/**
 * The decoded block at pc, built if needed, or 0 when fetching it took an exception (Illegal
 * Execution state, PC alignment, instruction abort or a fetch from MMIO): the vector is in jumpPC.
 */
// @ts-ignore: decorator
@inline function blockAt(pc: u64, prev: usize): usize {
  if (getPstateBits() & PSTATE_IL) {
    setPC(pc);
    illegalState(pc);
    return 0;
  }
  if (<u32>pc & 3) {
    setPC(pc);
    pcAlignmentFault(pc);
    return 0;
  }
  let e = tlbCur + ((<usize>(pc >>> 12) & 1023) << 6);
  if (load<u64>(e, 16) != (pc & ~(<u64>0xfff))) {
    setPC(pc);
    e = tlbFill(pc, currentEL(), ACC_EXEC);
    if (e == 0) return 0;
  }
  const host = <usize>(pc + load<u64>(e, 24));
  const gen = pageGen(hostPageOf(host));
  // The block that followed prev last time, if it is this one (no hash slot touched).
  if (prev != 0) {
    const next = <usize>load<u32>(prev, 20);
    if (next != 0 && load<u32>(next) == <u32>host && load<u32>(next, 4) == gen) return next;
  }
  let b = <usize>load<u32>(hashSlot(host));
  if (b == 0 || load<u32>(b) != <u32>host || load<u32>(b, 4) != gen) {
    const epoch = blockEpoch;
    b = buildBlock(host);
    // Building it dropped every block (the arena was full): prev is gone.
    if (blockEpoch != epoch) return b;
  }
  if (prev != 0) store<u32>(prev, <u32>b, 20);
  return b;
}

/**
 * Executes up to `budget` instructions (retired or faulting) and returns the exit reason.
 * PC, the retired-instruction counter and all state are in memory when it returns. While a
 * breakpoint or software step may fire (debug.ts) the checked loop runs instead of the block
 * loop; a debug-register write that changes that ends the loop running (EXIT_RESELECT).
 */
export function run(budget: u32): u32 {
  let left = budget;
  resumeTaken = false;
  store<u32>(HCALL_ANSWERS, 0, 8);
  if (resumeArmed) {
    resumeArmed = false;
    // Even with a stop requested: the stopped instruction completes first (the stop is
    // honoured at the next block boundary), as KVM_RUN completes an MMIO access first.
    if (budget != 0) {
      resumeTaken = true;
      setExitReason(EXIT_BUDGET);
      if (resumeStopped()) return exitReason;
      if (--left == 0) return exitReason;
    }
  }
  while (true) {
    const used = checkedRunNeeded() ? runChecked(left) : runBlocks(left);
    if (exitReason != EXIT_RESELECT) break;
    left -= used;
    if (left == 0) {
      setExitReason(EXIT_BUDGET);
      break;
    }
  }
  return exitReason;
}

/** The block loop: decoded blocks interpreted or run compiled. Returns the steps used. */
function runBlocks(budget: u32): u32 {
  return runLoop(budget, false);
}

/**
 * The checked loop, while a breakpoint or software step may fire. A block that holds a
 * breakpointed address (any block, with a context-ID breakpoint) is interpreted with the
 * breakpoints checked before each instruction; while software step is active at the current
 * EL, instructions are interpreted one at a time through the step state machine (Arm ARM
 * D2.12); other blocks run as in the block loop, compiled ones too (a compiled block only runs
 * its own instructions, and whatever could enable stepping or change the EL ends it). In the
 * active-pending state the step exception comes first; an instruction stepped in the
 * active-not-pending state that completes clears PSTATE.SS and its step exception follows at
 * once, before any interrupt (an IMPLEMENTATION DEFINED order, QEMU's too), with ISV and EX
 * describing it. Returns the steps used.
 */
function runChecked(budget: u32): u32 {
  return runLoop(budget, true);
}

/**
 * Interprets up to n instructions of block b from pc, stopping after one that sets ctl or, with
 * checkBp, before one a breakpoint matches (its exception taken): returns how many ran and left
 * ctl clear.
 */
// @ts-ignore: decorator
@inline function interpret(b: usize, pc: u64, n: u32, checkBp: bool): u32 {
  let q = b + BLOCK_HEADER;
  let i: u32 = 0;
  while (i < n) {
    if (checkBp && breakpointHit(pc)) {
      breakpointException(pc);
      break;
    }
    const w = load<u32>(q, 4);
    setPC(pc);
    setInsnWord(w);
    call_indirect<void>(<u32>load<u16>(q), w);
    if (ctl) break;
    pc += 4;
    q += 8;
    i++;
  }
  return i;
}

/**
 * An exit the host may handle without run() returning: an HVC or SMC that is an SMCCC call the
 * hypervisor answers at once (KVM handles PSCI and SMCCC in the kernel). PC (`pc`, after the
 * instruction) and the instructions retired so far are stored first, as when run() returns
 * (the caller's count starts again from zero); true when the host handled it and the loop goes
 * on (at the PC in memory). Only for exits isHostCall accepts.
 */
// @ts-ignore: decorator
@inline function isHostCall(): bool {
  return exitReason == EXIT_HVC || exitReason == EXIT_SMC;
}

/**
 * An HVC the host answered in advance (layout.ts HCALL_ANSWERS: SMCCC calls whose answer
 * depends on nothing but the function ID, src/hv/hypercalls.ts fixedAnswers): its registers
 * are written as the host would write them and the loop goes on without calling the host;
 * true when it was one of them.
 */
// @ts-ignore: decorator
@inline function answeredInCore(): bool {
  if (exitReason != EXIT_HVC) return false;
  const n = load<u32>(HCALL_ANSWERS);
  if (n == 0) return false;
  const fid = <u32>load<u64>(X_BASE);
  let e = HCALL_ANSWERS + 16;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u32>(e) == fid) {
      const mask = load<u32>(e, 4);
      for (let r: usize = 0; r < 4; r++) {
        if (mask & (1 << <u32>r)) store<u64>(X_BASE + (r << 3), load<u64>(e + 8 + (r << 3)));
      }
      store<u32>(HCALL_ANSWERS, load<u32>(HCALL_ANSWERS, 8) + 1, 8);
      setExitReason(EXIT_BUDGET);
      return true;
    }
    e += HCALL_ENTRY;
  }
  return false;
}

/** Steps after an HVC answered in the core: what the call costs of the budget (the host's HCALL_ANSWERS +4), at most all that is left. */
// @ts-ignore: decorator
@inline function chargeAnswered(steps: u32, budget: u32): u32 {
  const s = steps + load<u32>(HCALL_ANSWERS, 4);
  return s > budget || s < steps ? budget : s;
}

// @ts-ignore: decorator
@inline function hostHandlesExit(pc: u64, retired: u64): bool {
  store<u64>(PC_ADDR, pc);
  store<u64>(INSTRET_ADDR, load<u64>(INSTRET_ADDR) + retired);
  if (hostHypercall(exitReason == EXIT_HVC ? 0 : 1, <i32>load<u64>(MBOX_EXIT_INFO0)) != HOST_OK) return false;
  setExitReason(EXIT_BUDGET);
  return true;
}

/**
 * The run loop, inlined twice: `checked` (a constant at each call) adds the debug checks of
 * runChecked.
 */
// @ts-ignore: decorator
@inline function runLoop(budget: u32, checked: bool): u32 {
  let pc = load<u64>(PC_ADDR);
  let steps: u32 = 0;
  let retired: u64 = 0;
  // The block run last: its header's +20 links the block that followed it (blockAt).
  let prev: usize = 0;
  let epoch = blockEpoch;
  setExitReason(EXIT_BUDGET);
  // Breakpoints and software step are checked at every block boundary: no chaining past them.
  store<u32>(JIT_CHAIN_OFF, checked ? 1 : 0);
  while (steps < budget) {
    if (load<u32>(STOP_REQUESTED)) {
      store<u32>(STOP_REQUESTED, 0);
      setExitReason(EXIT_STOP);
      break;
    }
    clearCtl();
    const lines = load<u32>(IRQ_LINES);
    if (lines && takePendingInterrupt(lines, pc)) {
      pc = jumpPC;
      clearCtl();
    }
    let stepping = false;
    let checkBp = false;
    if (checked) {
      const enabled = debugEnabledHere();
      stepping = enabled && stepConfigured;
      if (stepping && (getPstateBits() & PSTATE_SS) == 0) {
        // Active-pending with no instruction stepped (an ERET with SPSR.SS = 0, PSTATE.D cleared): ISV = 0.
        softwareStepException(pc, 0);
        pc = jumpPC;
        clearCtl();
        steps++;
        continue;
      }
      checkBp = enabled && bpConfigured;
    }
    if (blockEpoch != epoch) {
      // Every block was dropped: prev with them.
      epoch = blockEpoch;
      prev = 0;
    }
    const b = blockAt(pc, prev);
    if (b == 0) {
      // The fetch's exception is taken: continue at the vector.
      pc = jumpPC;
      prev = 0;
      steps++;
      continue;
    }
    prev = b;
    let n = load<u32>(b, 8);
    // Checked: a breakpoint may match an instruction of this block (its checks need the interpreter).
    const bpHere = checkBp && breakpointMayMatch(pc, n);
    if (!stepping && !bpHere) {
      let fn = load<u32>(b, 16);
      if ((fn == 0 || fn == JIT_PENDING) && jitThreshold != 0) {
        // Hot now: compiled (unless queued or declined), it runs compiled this very time. Queued
        // and entered another jitThreshold times: the host compiles its queue now, not a batch later.
        const count = load<u32>(b, 12) + 1;
        store<u32>(b, count, 12);
        if (fn == 0 ? count >= jitThreshold : count == jitThreshold << 1) {
          const idx = <u32>hostJitCompile(<i32>b);
          fn = idx ? idx : JIT_DECLINED;
          store<u32>(b, fn, 16);
        }
      }
      const avail = budget - steps;
      if (fn - 1 < JIT_PENDING - 1 && n <= avail) {
        const r = call_indirect<u32>(fn, pc, tlbCur, avail > 0xffff ? 0xffff : avail, 0);
        const k = r & 0xffff;
        const kind = r >>> 16;
        if (kind == JIT_CTL) {
          if (ctl & CTL_MMIO) mmioStep(false);
          const c = ctl;
          steps += k + 1;
          if (c & CTL_NORETIRE) {
            retired += k;
            pc = jumpPC;
          } else {
            retired += k + 1;
            pc = c & CTL_JUMP ? jumpPC : load<u64>(JIT_NEXT_PC) + 4;
          }
          clearCtl();
          if (c & CTL_EXIT) {
            if (!isHostCall()) break;
            if (answeredInCore()) steps = chargeAnswered(steps, budget);
            else {
              const handled = hostHandlesExit(pc, retired);
              retired = 0;
              if (!handled) break;
              pc = load<u64>(PC_ADDR);
            }
          }
          continue;
        }
        // JIT_DONE, JIT_JUMPED, or JIT_DECLINE by a block chained to (k > 0).
        if (kind != JIT_DECLINE || k != 0) {
          steps += k;
          retired += k;
          pc = load<u64>(JIT_NEXT_PC);
          continue;
        }
      }
    }
    if (n > budget - steps) n = budget - steps;
    if (stepping) {
      // Active-not-pending: this one instruction is stepped.
      n = 1;
      setStepStateSet(false);
    }
    const i = interpret(b, pc, n, bpHere);
    pc += (<u64>i) << 2;
    // An instruction that reached a device runs again at once as an MMIO step (its outcome in ctl).
    if (ctl & CTL_MMIO) mmioStep(false);
    if (stepping && !stepStateSet && (ctl & CTL_NORETIRE) == 0) {
      // It completed (no exception entry or return): active-pending, then its step exception.
      const c = ctl;
      if (i == 0) pc = c & CTL_JUMP ? jumpPC : pc + 4;
      steps++;
      retired++;
      clearCtl();
      setPstateBits(getPstateBits() & ~PSTATE_SS);
      let exit = (c & CTL_EXIT) != 0;
      if (stepActive()) {
        softwareStepException(pc, STEP_ISV | (isLoadExclusive(load<u32>(b + BLOCK_HEADER, 4)) ? STEP_EX : 0));
        pc = jumpPC;
        clearCtl();
        // A WFI or WFE may complete at any time: waiting would only delay the step exception.
        if (exit && (exitReason == EXIT_WFI || exitReason == EXIT_WFE)) {
          exit = false;
          setExitReason(EXIT_BUDGET);
        }
      }
      if (exit) break;
      continue;
    }
    if (i < n) {
      const c = ctl;
      steps += i + 1;
      if (c & CTL_NORETIRE) {
        retired += i;
        pc = jumpPC;
      } else {
        retired += i + 1;
        pc = c & CTL_JUMP ? jumpPC : pc + 4;
      }
      clearCtl();
      if (c & CTL_EXIT) {
        if (!isHostCall()) break;
        if (answeredInCore()) steps = chargeAnswered(steps, budget);
        else {
          const handled = hostHandlesExit(pc, retired);
          retired = 0;
          if (!handled) break;
          pc = load<u64>(PC_ADDR);
        }
      }
    } else {
      steps += n;
      retired += n;
    }
  }
  store<u64>(PC_ADDR, pc);
  store<u64>(INSTRET_ADDR, load<u64>(INSTRET_ADDR) + retired);
  return steps;
}
