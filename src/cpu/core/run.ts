// The run loop and the decoded-block cache.
//
// A block is up to MAX_BLOCK decoded instructions from one guest page, keyed by the wasm
// address of its first instruction (so by physical address) and stamped with its page's code
// generation: any write to the page (by the guest or, via notifyHostWrite, the host) bumps the
// generation and the block is rebuilt on next use. Instruction fetch goes through the TLB's
// execute tag, so TLB maintenance and address-space switches are seen at block entry.
import { endsBlock, decode, execute } from "./generated/decode.gen";
import { EXIT_BUDGET, EXIT_STOP } from "./exits";
import { illegalState, pcAlignmentFault, takeInterrupt, VEC_FIQ, VEC_IRQ, VEC_SERROR } from "./exceptions";
import { ARENA_BASE, ARENA_END, BLOCK_HASH_BASE, BLOCK_HASH_BITS, INSTRET_ADDR, IRQ_LINES, PC_ADDR } from "./layout";
import { ACC_EXEC, tlbFill } from "./mmu";
import {
  CTL_EXIT,
  CTL_JUMP,
  CTL_NORETIRE,
  clearCtl,
  ctl,
  currentEL,
  exitReason,
  getPstateBits,
  jumpPC,
  PSTATE_A,
  PSTATE_F,
  PSTATE_I,
  PSTATE_IL,
  setExitReason,
  setInsnWord,
  setPC,
} from "./state";
import { hostPageOf, markCodePage, pageGen, tlbCur } from "./tlb";


const MAX_BLOCK: u32 = 128;
const HASH_MASK: u32 = (1 << BLOCK_HASH_BITS) - 1;
const BLOCK_HEADER: usize = 16;

let arenaTop: usize = 0;
let stopRequested: bool = false;

/** Asks run() to return EXIT_STOP at the next block boundary. */
export function requestStop(): void {
  stopRequested = true;
}

// @ts-ignore: decorator
@inline function hashSlot(host: usize): usize {
  return BLOCK_HASH_BASE + ((((<u32>host >>> 2) ^ (<u32>host >>> 14)) & HASH_MASK) << 2);
}

/** Drops every decoded block. */
export function flushBlocks(): void {
  memory.fill(BLOCK_HASH_BASE, 0, (<usize>HASH_MASK + 1) << 2);
  arenaTop = ARENA_BASE + 64;
}

function buildBlock(host: usize): usize {
  if (arenaTop == 0 || arenaTop + BLOCK_HEADER + <usize>MAX_BLOCK * 8 > ARENA_END) flushBlocks();
  const hp = hostPageOf(host);
  markCodePage(hp);
  const b = arenaTop;
  const pageEnd = (host | 0xfff) + 1;
  let n: u32 = 0;
  let p = host;
  let q = b + BLOCK_HEADER;
  while (n < MAX_BLOCK && p < pageEnd) {
    const w = load<u32>(p);
    const op = decode(w);
    store<u32>(q, op);
    store<u32>(q, w, 4);
    n++;
    p += 4;
    q += 8;
    if (endsBlock(op)) break;
  }
  store<u32>(b, <u32>host);
  store<u32>(b, pageGen(hp), 4);
  store<u32>(b, n, 8);
  arenaTop = q;
  store<u32>(hashSlot(host), <u32>b);
  return b;
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
 * Executes up to `budget` instructions (retired or faulting) and returns the exit reason.
 * PC, the retired-instruction counter and all state are in memory when it returns.
 */
export function run(budget: u32): u32 {
  let pc = load<u64>(PC_ADDR);
  let steps: u32 = 0;
  let retired: u64 = 0;
  setExitReason(EXIT_BUDGET);
  while (steps < budget) {
    if (stopRequested) {
      stopRequested = false;
      setExitReason(EXIT_STOP);
      break;
    }
    clearCtl();
    const lines = load<u32>(IRQ_LINES);
    if (lines && takePendingInterrupt(lines, pc)) {
      pc = jumpPC;
      clearCtl();
    }
    if (getPstateBits() & PSTATE_IL) {
      setPC(pc);
      illegalState(pc);
      pc = jumpPC;
      steps++;
      continue;
    }
    if (<u32>pc & 3) {
      setPC(pc);
      pcAlignmentFault(pc);
      pc = jumpPC;
      steps++;
      continue;
    }
    let e = tlbCur + ((<usize>(pc >>> 12) & 1023) << 6);
    if (load<u64>(e, 16) != (pc & ~(<u64>0xfff))) {
      setPC(pc);
      e = tlbFill(pc, currentEL(), ACC_EXEC);
      if (e == 0) {
        // Instruction abort (or fetch from MMIO) already taken: continue at the vector.
        pc = jumpPC;
        steps++;
        continue;
      }
    }
    const host = <usize>(pc + load<u64>(e, 24));
    let b = <usize>load<u32>(hashSlot(host));
    if (b == 0 || load<u32>(b) != <u32>host || load<u32>(b, 4) != pageGen(hostPageOf(host))) b = buildBlock(host);
    let n = load<u32>(b, 8);
    if (n > budget - steps) n = budget - steps;
    let q = b + BLOCK_HEADER;
    let i: u32 = 0;
    while (i < n) {
      const w = load<u32>(q, 4);
      setPC(pc);
      setInsnWord(w);
      execute(load<u32>(q), w);
      if (ctl) break;
      pc += 4;
      q += 8;
      i++;
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
      if (c & CTL_EXIT) break;
    } else {
      steps += n;
      retired += n;
    }
  }
  store<u64>(PC_ADDR, pc);
  store<u64>(INSTRET_ADDR, load<u64>(INSTRET_ADDR) + retired);
  return exitReason;
}
