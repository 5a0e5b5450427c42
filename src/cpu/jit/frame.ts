// The compiled function's frame (src/cpu/jit/compiler.ts): the core memory layout it relies on,
// its locals and imports, and the chaining epilogue that tail-calls a block's successor.
import { HDR_FN, HDR_GEN, HDR_HOST, HDR_LEN } from "./region.ts";
import { L_NZCV } from "./flags.ts";
import { type Code, Op, T } from "./wasm.ts";

/** Core memory layout the compiled code relies on (read from the core's exports). */
export interface CoreLayout {
  X_BASE: number;
  NZCV_ADDR: number;
  V_BASE: number;
  FPCR_ADDR: number;
  FPSR_ADDR: number;
  PSTATE_ADDR: number;
  SYSREG_BASE: number;
  JIT_NEXT_PC: number;
  JIT_FP_ENABLED: number;
  IRQ_LINES: number;
  STOP_REQUESTED: number;
  PAGE_GEN_BASE: number;
  GUEST_BASE: number;
  JIT_CHAIN_OFF: number;
  BLOCK_HASH_BASE: number;
  BLOCK_HASH_BITS: number;
  /** CTR_EL0's value (sysreg.ts CTR_VALUE). */
  CTR_VALUE: number;
}

/** Local indices. */
export const L_PC = 0;
export const L_TLB = 1;
/** Instructions this call may run, its chained successors' included (i32 parameter). */
export const L_BUDGET = 2;
/**
 * Instructions retired before this iteration of the block: by the blocks chained to it (i32
 * parameter, 0 from the run loop), then by earlier iterations of a self-loop.
 */
export const L_CNT = 3;
export const L_X = 4; // X0..X30, SP (slot 31): 32 i64 locals
/** i64 scratch locals. */
export const L_T0 = 36;
export const L_T1 = 37;
export const L_T2 = 38;
export const L_T3 = 39;
/** The guest address of the access being compiled (i64). */
export const L_ADDR = 43;
/** i32 scratch locals. */
export const L_E = 45;
export const L_HA = 46;
export const L_I0 = 47;
export const L_RET = 48;
/** v128 scratch locals. */
export const L_V0 = 49;
export const L_V1 = 50;
/** v128 locals L_V0 + i, i < V_LOCALS. */
export const V_LOCALS = 10;
/** Region locals: the block to enter at the loop head (i32), the current block's byte offset from L_PC (i64), JIT_CHAIN_OFF (i32). */
export const L_IDX = L_V0 + V_LOCALS;
export const L_OFF = L_IDX + 1;
export const L_NOCHAIN = L_OFF + 1;
/** Set when L_NZCV holds NZCV at a block entered with its flags lazy (i32; see `entryFlags`). */
export const L_FVALID = L_NOCHAIN + 1;
/** V0..V31 the function touches (v128 locals, as X0..X30 and SP in L_X + n). */
export const L_VR = L_FVALID + 1;
export const LOCALS: [number, T][] = [
  [L_NZCV - L_X, T.I64],
  [L_V0 - L_NZCV, T.I32],
  [V_LOCALS, T.V128],
  [1, T.I32],
  [1, T.I64],
  [1, T.I32],
  [1, T.I32],
  [32, T.V128],
];

/** Import index of jitStep. */
export const F_STEP = 0;
/** Import index of the chaining trampoline (jit.ts): a block's arguments and its table index. */
export const F_CHAIN = 1;
/** Header value of a block queued for compilation (run.ts): with 0 and DECLINED, not callable. */
export const JIT_PENDING = 0xffff_fffe;
/** TLB entry fields (tlb.ts): execute tag, guest-to-wasm addend. */
export const TLB_EXEC_TAG = 16;
export const TLB_ADDEND = 24;

/**
 * Tail-calls the successor of a block that left normally (L_RET: instructions retired, kind
 * JIT_DONE or JIT_JUMPED; the target in JIT_NEXT_PC, every register stored) when the run loop
 * would call it next, with nothing to do in between; falls through otherwise.
 */
export function emitChain(c: Code, L: CoreLayout): void {
  c.block();
  c.i32(0).mem(Op.I32Load, L.IRQ_LINES).i32(0).mem(Op.I32Load, L.STOP_REQUESTED).op(Op.I32Or);
  c.i32(0).mem(Op.I32Load, L.JIT_CHAIN_OFF).op(Op.I32Or).get(L_NOCHAIN).op(Op.I32Or).brIf(0);
  // The target: aligned and in the current TLB's execute tag (as blockAt checks).
  c.i32(0).mem(Op.I64Load, L.JIT_NEXT_PC).tee(L_T0).op(Op.I32WrapI64).i32(3).op(Op.I32And).brIf(0);
  c.get(L_TLB).get(L_T0).i64(12n).op(Op.I64ShrU, Op.I32WrapI64).i32(1023).op(Op.I32And).i32(6).op(Op.I32Shl, Op.I32Add).tee(L_E);
  c.mem(Op.I64Load, TLB_EXEC_TAG).get(L_T0).i64(~0xfffn).op(Op.I64And, Op.I64Ne).brIf(0);
  c.get(L_T0).get(L_E).mem(Op.I64Load, TLB_ADDEND).op(Op.I64Add, Op.I32WrapI64).tee(L_HA);
  // Its decoded block (blockcache.ts hashSlot), current for its page's code generation.
  c.i32(2).op(Op.I32ShrU).get(L_HA).i32(14).op(Op.I32ShrU, Op.I32Xor);
  c.i32((1 << L.BLOCK_HASH_BITS) - 1)
    .op(Op.I32And)
    .i32(2)
    .op(Op.I32Shl)
    .mem(Op.I32Load, L.BLOCK_HASH_BASE)
    .tee(L_E)
    .op(Op.I32Eqz)
    .brIf(0);
  c.get(L_E).mem(Op.I32Load, HDR_HOST).get(L_HA).op(Op.I32Ne).brIf(0);
  c.get(L_E).mem(Op.I32Load, HDR_GEN);
  c.get(L_HA).i32(L.GUEST_BASE).op(Op.I32Sub).i32(12).op(Op.I32ShrU).i32(2).op(Op.I32Shl).mem(Op.I32Load, L.PAGE_GEN_BASE);
  c.op(Op.I32Ne).brIf(0);
  // Compiled, and it fits in what is left of the budget.
  c.get(L_E)
    .mem(Op.I32Load, HDR_FN)
    .tee(L_I0)
    .i32(1)
    .op(Op.I32Sub)
    .i32(JIT_PENDING - 1)
    .op(Op.I32GeU)
    .brIf(0);
  c.get(L_RET).i32(0xffff).op(Op.I32And).get(L_E).mem(Op.I32Load, HDR_LEN).op(Op.I32Add).get(L_BUDGET).op(Op.I32GtU).brIf(0);
  c.get(L_T0).get(L_TLB).get(L_BUDGET).get(L_RET).i32(0xffff).op(Op.I32And).get(L_I0).returnCall(F_CHAIN);
  c.end();
}
