// The JIT's block compiler: turns one decoded block of the core (src/cpu/core/run.ts) into a
// wasm function `(pc: i64, tlb: i32, budget: i32, cnt: i32) → i32` with the run loop's calling
// convention.
//
// Chaining: a block that leaves normally (JIT_DONE or JIT_JUMPED) looks its successor up as the
// run loop would (alignment, the TLB's execute tag, the block hash, the page's code generation,
// a compiled function) and, when found, no interrupt line is up, no stop is requested, chaining
// is allowed (JIT_CHAIN_OFF clear: not the checked loop) and the budget holds the successor,
// tail-calls it with the instructions retired so far as `cnt` (through the trampoline in jit.ts),
// so the run loop sees one call retiring them all. Blocks with an interpreted system instruction (it may change the EL, the
// translation regime or the debug state without ending the block) always return to the loop.
//
// General registers the block touches live in wasm locals: loaded at entry, stored at every
// exit, spilled before and reloaded after each instruction handed to the interpreter (the
// core's exported jitStep), so the interpreter always sees architectural state. SIMD&FP
// registers V0..V31 the function touches are v128 locals the same way (every dirty one spilled
// before any interpreted instruction, all reloaded after it; frame.ts lays the locals out). NZCV is a
// local too, materialised lazily (flags.ts): a flag-setting instruction only records its operation;
// N, Z, C and V are computed where a condition cannot use the operation directly, for a spill
// before the interpreter and before each exit; across a transition only when the blocks
// entering the next one disagree on the last flag-setting operation (L_FVALID, flagsInto).
//
// Precise exceptions: an instruction that may fault (a load or store missing the TLB fast
// path, an SP alignment check, anything not compiled) runs in the interpreter with everything
// spilled; when it sets ctl the function returns JIT_CTL at once without touching state, so
// the run loop finishes it exactly as it would have in the interpreted loop.
//
// Regions: a function may hold several decoded blocks of one guest page (the entry's and blocks
// reachable from it through static branches and fall-throughs, chosen by jit.ts), ordered by
// address inside one wasm `loop`: a br_table on L_IDX at the loop head enters block i, a forward
// transition branches straight to the later block, a back-edge sets L_IDX and continues the
// loop. Registers and NZCV stay in locals across transitions. A transition makes the checks the
// run loop and chaining would make: the budget holds the next block, its page's code generation
// is unchanged, chaining is allowed and, on back-edges and after a block with a system
// instruction, no interrupt line is up and no stop is requested; otherwise the function leaves
// with the next block's PC in JIT_NEXT_PC. The function serves every block of the region
// (jit.ts installs it in their headers): the prologue sets L_PC to the first block's PC and
// enters the block the call's PC is at (the page offset picks it; any other PC declines). Each
// block's byte offset from L_PC is a constant in its code (and in L_OFF, for the shared memctl
// exit). A block that branches to its own start is the one-block case.
import { type BlockInput, type Segment, segments } from "./region.ts";
import { type FlagKind, type FlagOp, fusedCond, L_FA, L_FB, L_FR, L_NZCV, materialise, tableCond } from "./flags.ts";
import {
  type CoreLayout,
  emitChain,
  F_STEP,
  L_ADDR,
  L_BUDGET,
  L_CNT,
  L_E,
  L_FVALID,
  L_HA,
  L_IDX,
  L_NOCHAIN,
  L_OFF,
  L_PC,
  L_RET,
  L_TLB,
  L_VR,
  L_X,
  LOCALS,
} from "./frame.ts";
import { Code, type FuncDef, Op, SimdOp, T } from "./wasm.ts";

export type { CoreLayout };
export { L_ADDR, L_E, L_HA, L_I0, L_PC, L_T0, L_T1, L_T2, L_T3, L_TLB, L_V0, L_V1, V_LOCALS } from "./frame.ts";

/** Result kinds of a compiled block (run.ts). */
export const JIT_DONE = 0;
export const JIT_JUMPED = 1;
export const JIT_CTL = 2;
export const JIT_DECLINE = 3;

export type { BlockInput };

/** Emits one instruction inline; returns false (having emitted nothing) when it cannot. */
export type Emitter = (c: BlockCompiler, w: number) => boolean;

/** Compiles blocks; one instance per block. */
export class BlockCompiler {
  c = new Code();
  /** Instruction index being compiled. */
  k = 0;
  /** Registers read or written anywhere in the block (from the sizing pass). */
  private allRegs: boolean[];
  private allFlags: boolean;
  private regs: boolean[] = new Array(32).fill(false);
  private written: boolean[] = new Array(32).fill(false);
  private dirty: boolean[] = new Array(32).fill(false);
  /** The same for V0..V31 (in L_VR + n). */
  private allV: boolean[];
  private vRegs: boolean[] = new Array(32).fill(false);
  private vWritten: boolean[] = new Array(32).fill(false);
  private vDirty: boolean[] = new Array(32).fill(false);
  private readonly vStartDirty: boolean[] | null;
  private flags = false;
  private flagsWritten = false;
  private flagsDirty = false;
  /** Nesting depth of open wasm blocks inside the function's exit block. */
  private depth = 0;
  /** The last flag-setting operation, while L_FA, L_FB and L_FR hold it and it set NZCV. */
  private last: FlagOp | null = null;
  /**
   * L_NZCV may be stale: NZCV is the result of this operation (in L_FA, L_FB, L_FR), not
   * materialised yet; when `lazyMaybe`, only where L_FVALID is 0.
   */
  private lazy: FlagOp | null = null;
  private lazyMaybe = false;
  /**
   * Per block: the lazy operation its incoming transitions agree on (from the sizing pass),
   * with which it starts (L_FVALID says whether L_NZCV holds NZCV); null: it starts with NZCV
   * in L_NZCV. `inFlags` collects them in this pass (undefined: no transition seen yet; null:
   * only transitions with NZCV materialised, which agree with any operation as they set
   * L_FVALID; CONFLICT: two different operations, so every transition materialises).
   */
  private readonly entryFlags: (FlagOp | null)[];
  readonly inFlags: (FlagOp | null | undefined | typeof CONFLICT)[];
  /** Some block continues in a block of the function (a loop or a forward transition). */
  transitions = false;
  /** Distinct instructions compiled. */
  get insns(): number {
    return this.blocks.reduce((a, b) => a + b.ops.length, 0);
  }
  /** The region's segments (region.ts), the one being compiled, and their byte offsets from the entry. */
  private readonly blocks: Segment[];
  readonly entry: number;
  private bi = 0;
  input: Segment;
  private readonly offs: number[];
  /** A system instruction may unmask an interrupt: every transition polls. */
  private readonly system: boolean;
  /** Registers and flags dirty at a block's start: everything the function writes, once it has transitions. */
  private readonly startDirty: boolean[] | null;
  private readonly startFlagsDirty: boolean;
  /** Set while compiling an instruction whose interpreter fallback cannot write general registers or flags. */
  private fpOnly = false;
  usesFp = false;
  compiled = 0;

  /** `blocks`: one page's blocks in address order, entered at blocks[entry]. */
  constructor(
    readonly L: CoreLayout,
    blocks: BlockInput[],
    entry: number,
    readonly emitters: Map<string, Emitter>,
    prev?: BlockCompiler,
  ) {
    ({ segs: this.blocks, entry: this.entry } = segments(blocks, entry));
    this.allRegs = prev ? prev.regs.map((r, i) => r || prev.written[i]) : new Array(32).fill(true);
    this.allFlags = prev ? prev.flags || prev.flagsWritten : true;
    this.allV = prev ? prev.vRegs.map((r, i) => r || prev.vWritten[i]) : new Array(32).fill(true);
    this.input = this.blocks[this.entry];
    // One block: offsets from its start (L_PC). A region: from its first segment's, where the
    // prologue puts L_PC whichever block of it the function is entered at.
    this.offs = this.blocks.map((b) => b.host - this.blocks[this.blocks.length > 1 ? 0 : this.entry].host);
    this.system = blocks.some((b) => b.names.some((n, i) => b.groups[i] === "system" && !NO_UNMASK.has(n)));
    // A block entered by a transition starts with everything the function writes still unspilled.
    this.startDirty = prev?.transitions ? prev.written.slice() : null;
    this.startFlagsDirty = !!prev?.transitions && prev.flagsWritten;
    this.vStartDirty = prev?.transitions ? prev.vWritten.slice() : null;
    this.inFlags = new Array(this.blocks.length).fill(undefined);
    this.entryFlags = prev
      ? prev.inFlags.map((f) => (f === undefined || f === CONFLICT ? null : f))
      : new Array(this.blocks.length).fill(null);
  }

  /** Open wasm blocks between the current block's code and the loop (the later blocks' labels, $decline). */
  private get base(): number {
    return this.blocks.length > 1 ? this.blocks.length - this.bi : 0;
  }

  // ---- Registers ---------------------------------------------------------------------------

  /** Pushes Xn (n = 31: zero) as i64. */
  x(n: number): this {
    if (n === 31) return (this.c.i64(0n), this);
    this.regs[n] = true;
    this.c.get(L_X + n);
    return this;
  }
  /** Pushes Xn (n = 31: SP) as i64. */
  xsp(n: number): this {
    this.regs[n] = true;
    this.c.get(L_X + n);
    return this;
  }
  /** Pushes Wn (n = 31: zero) as i32. */
  wreg(n: number): this {
    if (n === 31) return (this.c.i32(0), this);
    this.x(n);
    this.c.op(Op.I32WrapI64);
    return this;
  }
  /** Pops an i64 into Xn (n = 31: discarded). */
  setX(n: number): this {
    if (n === 31) return (this.c.op(Op.Drop), this);
    return this.setXSP(n);
  }
  /** Pops an i64 into Xn (n = 31: SP). */
  setXSP(n: number): this {
    this.regs[n] = true;
    this.written[n] = true;
    this.dirty[n] = true;
    this.c.set(L_X + n);
    return this;
  }
  /** Pops an i32 into Wn, zero-extended (n = 31: discarded). */
  setW(n: number): this {
    if (n === 31) return (this.c.op(Op.Drop), this);
    this.c.op(Op.I64ExtendI32U);
    return this.setX(n);
  }
  /** Pops an i64 into register n as 64 bits or, when !sf, its low 32 bits zero-extended. */
  setR(sf: number, n: number, sp = false): this {
    if (!sf) this.c.op(Op.I32WrapI64, Op.I64ExtendI32U);
    return sp ? this.setXSP(n) : this.setX(n);
  }
  /** Pushes register n as i64: all 64 bits, or (when !sf) the low 32 zero-extended. */
  r(sf: number, n: number, sp = false): this {
    if (sp) this.xsp(n);
    else this.x(n);
    if (!sf && !(n === 31 && !sp)) this.c.i64(0xffffffffn).op(Op.I64And);
    return this;
  }

  // ---- SIMD&FP registers -------------------------------------------------------------------
  // V0..V31 the function touches live in v128 locals like the general registers: loaded at
  // entry, stored at every exit, spilled before and reloaded after each instruction handed to
  // the interpreter.

  /** Pushes Vn (all 128 bits) as v128. */
  v(n: number): this {
    this.vRegs[n] = true;
    this.c.get(L_VR + n);
    return this;
  }
  /** Pops a v128 into Vn. */
  setV(n: number): this {
    this.vRegs[n] = true;
    this.vWritten[n] = true;
    this.vDirty[n] = true;
    this.c.set(L_VR + n);
    return this;
  }
  /** Pops a v128 into Vn, its high 64 bits cleared when !Q. */
  setVQ(n: number, Q: number): this {
    if (!Q) this.c.v128(-1n, 0n).simd(SimdOp.V128And);
    return this.setV(n);
  }
  /** Pushes element i (of 8 << size bits) of Vn zero-extended to i64. */
  vElem(n: number, size: number, i: number): this {
    this.v(n);
    if (size === 3) this.c.lane(SimdOp.I64x2ExtractLane, i);
    else {
      this.c.lane(ELEM_EXTRACT[size], i);
      this.c.op(Op.I64ExtendI32U);
    }
    return this;
  }
  /** Pops an i64 into Vn's low 64 bits and clears the rest (scalar writes). */
  setVLow(n: number): this {
    this.c.simd(SimdOp.I64x2Splat).v128(-1n, 0n).simd(SimdOp.V128And);
    return this.setV(n);
  }
  /** Pops an i64 (its low 8 << size bits) into element i of Vn, the rest of Vn kept. */
  setVElem(n: number, size: number, i: number, value: () => void): this {
    this.v(n);
    value();
    if (size === 3) this.c.lane(SimdOp.I64x2ReplaceLane, i);
    else {
      this.c.op(Op.I32WrapI64);
      this.c.lane(ELEM_REPLACE[size], i);
    }
    return this.setV(n);
  }

  // ---- Flags -------------------------------------------------------------------------------

  /**
   * Sets NZCV from the operation whose operands are in L_FA, L_FB and result in L_FR (values
   * as r() pushes them: zero-extended when !sf), lazily: nothing is computed until flushFlags.
   * Must not be called inside conditional code (an `if` of the instruction's own).
   */
  setFlags(kind: FlagKind, sf: number): void {
    this.flags = true;
    this.flagsWritten = true;
    this.flagsDirty = true;
    this.last = { kind, sf };
    this.lazy = this.last;
    this.lazyMaybe = false;
  }
  /**
   * Makes L_NZCV hold NZCV (stack-neutral). `settled`: the code runs whenever the code after it
   * does (not inside a branch that may be skipped), so L_NZCV stays current afterwards.
   */
  flushFlags(settled: boolean): void {
    const l = this.lazy;
    if (!l) return;
    if (this.lazyMaybe) {
      this.c.get(L_FVALID).op(Op.I32Eqz).if();
      materialise(this.c, l);
      this.c.end();
    } else materialise(this.c, l);
    if (settled) this.lazy = null;
  }

  /**
   * Before a transition (or a fall) into block j: readies the flags for it (its entry state)
   * and returns whether the way out to the shared exit must still materialise them.
   */
  private flagsInto(j: number): boolean {
    const l = this.lazy;
    const prev = this.inFlags[j];
    this.inFlags[j] = !prev ? l : !l || (prev !== CONFLICT && sameOp(prev, l)) ? prev : CONFLICT;
    const e = this.entryFlags[j];
    if (e && l && sameOp(e, l)) {
      if (!this.lazyMaybe) this.c.i32(0).set(L_FVALID);
      return true;
    }
    this.flushFlags(false);
    if (e) this.c.i32(1).set(L_FVALID);
    return false;
  }

  /** Stores the operands of a flag-setting operation: pushes nothing, takes a then b from the stack. */
  flagOperands(): void {
    this.c.set(L_FB).set(L_FA);
  }
  /** Takes the result of a flag-setting operation from the stack into L_FR and pushes it back. */
  flagResult(sf: number): void {
    if (!sf) this.c.i64(0xffffffffn).op(Op.I64And);
    this.c.tee(L_FR);
  }
  pushFA(): this {
    this.c.get(L_FA);
    return this;
  }
  pushFB(): this {
    this.c.get(L_FB);
    return this;
  }

  /** Writes NZCV from an i32 on the stack (bits 31..28). */
  setNZCV(): void {
    this.flags = true;
    this.flagsWritten = true;
    this.flagsDirty = true;
    this.last = null;
    this.lazy = null;
    this.c.set(L_NZCV);
  }
  /** Pushes NZCV (bits 31..28) as i32. */
  nzcv(): void {
    this.flags = true;
    this.flushFlags(true);
    this.c.get(L_NZCV);
  }

  /** Pushes ConditionHolds(cond) as an i32 0 or 1. */
  cond(cond: number): void {
    const c = this.c;
    this.flags = true;
    if (cond >= 14) {
      c.i32(1);
      return;
    }
    if (this.last && fusedCond(c, cond, this.last)) return;
    this.flushFlags(true);
    tableCond(c, cond);
  }

  // ---- Control -----------------------------------------------------------------------------

  /** Opens an `if` on the i32 on the stack (`hint`: whether its then-arm is the likely one). */
  if(hint?: 0 | 1): void {
    this.c.if(T.Void, hint);
    this.depth++;
  }
  else(): void {
    this.c.else();
  }
  end(): void {
    this.c.end();
    this.depth--;
  }

  /**
   * Leaves the block after instruction k, which branched: the target (i64) is pushed by
   * `target`. A static branch (`off`, relative to instruction k) to a block of the function
   * continues there (transition).
   */
  exitJump(target: () => void, off?: number): void {
    const c = this.c;
    if (off !== undefined) {
      const j = this.offs.indexOf(this.offs[this.bi] + this.k * 4 + off);
      if (j >= 0) return this.transition(j, this.k + 1, JIT_JUMPED);
    }
    this.flushFlags(false);
    c.i32(0);
    target();
    c.mem(Op.I64Store, this.L.JIT_NEXT_PC);
    c.get(L_CNT)
      .i32(this.k + 1 + (JIT_JUMPED << 16))
      .op(Op.I32Add)
      .br(this.depth + this.base + 1);
  }

  /**
   * Continues in block j after `retired` instructions of this one when the run loop would run
   * it next (compiled, without a check in between); otherwise leaves with its PC (kind).
   */
  private transition(j: number, retired: number, kind: number): void {
    const c = this.c;
    const L = this.L;
    this.transitions = true;
    const lazyOut = this.flagsInto(j);
    const back = j <= this.bi;
    c.get(L_CNT).i32(retired).op(Op.I32Add).tee(L_CNT).i32(this.blocks[j].reach).op(Op.I32Add).get(L_BUDGET).op(Op.I32LeU);
    if (back || this.system)
      c.i32(0).mem(Op.I32Load, L.IRQ_LINES).i32(0).mem(Op.I32Load, L.STOP_REQUESTED).op(Op.I32Or, Op.I32Eqz, Op.I32And);
    // The checked loop (breakpoints) sees every block boundary but a block's own loop.
    if (j !== this.bi) c.get(L_NOCHAIN).op(Op.I32Eqz, Op.I32And);
    const genAddr = L.PAGE_GEN_BASE + 4 * ((this.input.host - L.GUEST_BASE) >>> 12);
    c.i32(0).mem(Op.I32Load, genAddr).i32(this.input.gen).op(Op.I32Eq, Op.I32And);
    if (back) {
      if (this.blocks.length > 1) c.i32(this.offs[j] >> 2).set(L_IDX);
      c.brIf(this.depth + this.base, 1);
    } else c.brIf(this.depth + j - this.bi - 1, 1);
    if (lazyOut) this.flushFlags(false);
    c.i32(0).get(L_PC);
    if (this.offs[j] !== 0) c.i64(BigInt(this.offs[j])).op(Op.I64Add);
    c.mem(Op.I64Store, L.JIT_NEXT_PC);
    c.get(L_CNT)
      .i32(kind << 16)
      .op(Op.I32Add)
      .br(this.depth + this.base + 1);
  }

  /** Pushes PC of the current instruction plus `off` (i64). */
  pcPlus(off: number): void {
    this.c.get(L_PC);
    const d = this.offs[this.bi] + this.k * 4 + off;
    if (d !== 0) this.c.i64(BigInt(d)).op(Op.I64Add);
  }

  /**
   * Runs instruction k in the interpreter: spills dirty state, calls jitStep, returns JIT_CTL
   * when it set ctl, otherwise reloads what it may have changed. Once an interpreted system
   * instruction ran (it may change the EL, the translation regime or the debug state without
   * ending the block), the function neither chains nor continues in another of its blocks
   * (L_NOCHAIN), unless `keepChaining` (its interpreted case always sets ctl: an exception).
   */
  fallback(regs?: number[], keepChaining = false): void {
    const c = this.c;
    const L = this.L;
    const spill = (r: number) =>
      c
        .i32(0)
        .get(L_X + r)
        .mem(Op.I64Store, L.X_BASE + 8 * r);
    // A load/store (regs given) reads only its own registers; SP and NZCV go too, as an
    // exception entry banks SP and saves NZCV. X0..X30 are spilled by the shared exit only if
    // it stops the block (it then wrote none: faults and restarts leave registers alone).
    const now = (r: number) => this.dirty[r] && (!regs || r === 31 || regs.includes(r));
    for (let r = 0; r < 32; r++) if (now(r)) spill(r);
    // Any instruction may read or write V registers (its exception entry none): all go.
    for (let r = 0; r < 32; r++)
      if (this.vDirty[r])
        c.i32(0)
          .get(L_VR + r)
          .simdMem(SimdOp.V128Store, L.V_BASE + 16 * r);
    if (this.flagsDirty) {
      this.flushFlags(false);
      c.i32(0).get(L_NZCV).mem(Op.I32Store, L.NZCV_ADDR);
    }
    c.i32(this.input.ops[this.k]).i32(this.input.words[this.k] | 0);
    this.pcPlus(0);
    c.call(F_STEP);
    c.if(T.Void, 0);
    if (regs) {
      // To the shared exit that spills X0..X30 (depth: this if, the later blocks, the loop and $out).
      c.get(L_CNT)
        .i32(this.k + (JIT_CTL << 16))
        .op(Op.I32Add)
        .br(this.depth + this.base + 3);
    } else {
      c.i32(0);
      this.pcPlus(0);
      c.mem(Op.I64Store, L.JIT_NEXT_PC);
      c.get(L_CNT)
        .i32(this.k + (JIT_CTL << 16))
        .op(Op.I32Add)
        .op(Op.Return);
    }
    c.end();
    if (this.input.groups[this.k] === "system" && !keepChaining) c.i32(1).set(L_NOCHAIN);
    for (let r = 0; r < 32; r++)
      if (this.allV[r])
        c.i32(0)
          .simdMem(SimdOp.V128Load, L.V_BASE + 16 * r)
          .set(L_VR + r);
    if (this.fpOnly) return;
    for (let r = 0; r < 32; r++) {
      if (this.allRegs[r] && (!regs || regs.includes(r)))
        c.i32(0)
          .mem(Op.I64Load, L.X_BASE + 8 * r)
          .set(L_X + r);
    }
    if (this.allFlags && !regs) c.i32(0).mem(Op.I32Load, L.NZCV_ADDR).set(L_NZCV);
  }

  /**
   * Emits a guest memory access of `size` bytes (up to a page; pairs pass their total) at the
   * address in L_ADDR: when the current TLB holds a fast-path entry covering it (and, with
   * spCheck, SP is 16-byte aligned) `fast` runs with the wasm address in L_HA; otherwise the
   * whole instruction runs in the interpreter. `regs` lists every general register the
   * instruction names (it reads or writes no other). `fast` must not exit the block.
   * `keepChaining`: as for fallback (a system instruction whose interpreted case cannot change
   * the EL, the translation regime or the debug state: DC ZVA).
   */
  access(size: number, write: boolean, spCheck: boolean, regs: number[], fast: () => void, keepChaining = false): void {
    const c = this.c;
    c.get(L_TLB).get(L_ADDR).i64(12n).op(Op.I64ShrU, Op.I32WrapI64).i32(1023).op(Op.I32And).i32(6).op(Op.I32Shl, Op.I32Add).tee(L_E);
    c.mem(Op.I64Load, write ? 8 : 0);
    c.get(L_ADDR);
    if (size > 1) c.i64(BigInt(size - 1)).op(Op.I64Add);
    c.i64(~0xfffn).op(Op.I64And, Op.I64Eq);
    if (spCheck)
      c.get(L_X + 31)
        .op(Op.I32WrapI64)
        .i32(15)
        .op(Op.I32And, Op.I32Eqz, Op.I32And);
    this.if(1);
    c.get(L_ADDR).get(L_E).mem(Op.I64Load, 24).op(Op.I64Add, Op.I32WrapI64).set(L_HA);
    fast();
    this.else();
    this.fallback(regs, keepChaining);
    this.end();
  }

  /**
   * Runs the FP/SIMD data-processing instruction being compiled in the interpreter (the slow
   * path of a guarded inline form): it writes no general register and no flags.
   */
  fallbackFp(): void {
    const fpOnly = this.fpOnly;
    this.fpOnly = true;
    this.fallback();
    this.fpOnly = fpOnly;
  }

  /** Marks the FP/SIMD instruction being compiled (the block checks FP access at entry). */
  fp(): void {
    this.usesFp = true;
  }

  // ---- Driver ------------------------------------------------------------------------------

  /** Compiles block bi's instructions, then its fall-through (a transition or an exit). */
  private compileOne(): void {
    const c = this.c;
    const input = this.input;
    const n = input.ops.length;
    this.dirty = this.startDirty ? this.startDirty.slice() : new Array(32).fill(false);
    this.flagsDirty = this.startFlagsDirty;
    this.vDirty = this.vStartDirty ? this.vStartDirty.slice() : new Array(32).fill(false);
    // The prologue leaves NZCV in L_NZCV; transitions agree on entryFlags (flagsInto).
    this.last = null;
    this.lazy = this.entryFlags[this.bi];
    this.lazyMaybe = true;
    for (this.k = 0; this.k < n; this.k++) {
      const name = input.names[this.k];
      const e = this.emitters.get(name);
      if (e && e(this, input.words[this.k])) {
        this.compiled++;
        continue;
      }
      const fpOnly = isFpOnly(name, input.groups[this.k]);
      this.fpOnly = fpOnly;
      this.fallback();
      this.fpOnly = false;
      // NZCV was materialised for the spill (and reloaded unless fpOnly).
      this.lazy = null;
      if (!fpOnly) this.last = null;
      this.dirty.fill(false);
      this.vDirty.fill(false);
      this.flagsDirty = false;
    }
    this.k = n;
    if (input.contiguous) {
      // Into the next segment: a block boundary of the run loop's (checked) or the same block.
      if (this.blocks[this.bi + 1].check) return this.transition(this.bi + 1, n, JIT_DONE);
      // Falls into the next segment.
      this.flagsInto(this.bi + 1);
      c.get(L_CNT).i32(n).op(Op.I32Add).set(L_CNT);
      return;
    }
    this.flushFlags(true);
    c.i32(0);
    this.pcPlus(0);
    c.mem(Op.I64Store, this.L.JIT_NEXT_PC);
    c.get(L_CNT)
      .i32(n + (JIT_DONE << 16))
      .op(Op.I32Add)
      .br(this.base + 1);
  }

  /** Compiles the function; returns it. */
  compile(): FuncDef {
    const c = this.c;
    const nb = this.blocks.length;
    c.block(T.I32); // $memctl: a load/store's slow path stopped the block
    c.block(T.I32); // $out: every other exit
    c.b.push(Op.Loop);
    c.b.push(T.Void);
    if (nb > 1) {
      // Block i's code follows the end of label i (innermost first); L_IDX is the instruction
      // index from the first block's start, and not a block's start ($decline) when the function
      // was entered elsewhere.
      c.block(); // $decline
      for (let i = 0; i < nb; i++) c.block();
      const at = new Array((this.offs[nb - 1] >> 2) + 1).fill(nb);
      this.offs.forEach((o, i) => (at[o >> 2] = i));
      c.get(L_IDX).brTable(at, nb);
    }
    for (this.bi = 0; this.bi < nb; this.bi++) {
      this.input = this.blocks[this.bi];
      if (nb > 1) c.end().i64(BigInt(this.offs[this.bi])).set(L_OFF);
      this.compileOne();
    }
    if (nb > 1) {
      // $decline: nothing ran, the run loop interprets the block.
      c.end()
        .get(L_CNT)
        .i32(JIT_DECLINE << 16)
        .op(Op.I32Or, Op.Return);
    }
    c.end();
    c.op(Op.Unreachable);
    c.end();
    c.set(L_RET);
    for (let r = 0; r < 32; r++) {
      if (this.written[r])
        c.i32(0)
          .get(L_X + r)
          .mem(Op.I64Store, this.L.X_BASE + 8 * r);
    }
    for (let r = 0; r < 32; r++)
      if (this.vWritten[r])
        c.i32(0)
          .get(L_VR + r)
          .simdMem(SimdOp.V128Store, this.L.V_BASE + 16 * r);
    if (this.flagsWritten) c.i32(0).get(L_NZCV).mem(Op.I32Store, this.L.NZCV_ADDR);
    emitChain(this.c, this.L);
    c.get(L_RET).op(Op.Return);
    c.end();
    c.set(L_RET);
    for (let r = 0; r < 31; r++) {
      if (this.written[r])
        c.i32(0)
          .get(L_X + r)
          .mem(Op.I64Store, this.L.X_BASE + 8 * r);
    }
    c.i32(0).get(L_PC).get(L_RET).get(L_CNT).op(Op.I32Sub).i32(0xffff).op(Op.I32And).i32(2).op(Op.I32Shl, Op.I64ExtendI32U, Op.I64Add);
    if (nb > 1) c.get(L_OFF).op(Op.I64Add);
    c.mem(Op.I64Store, this.L.JIT_NEXT_PC);
    c.get(L_RET);
    const pro = new Code();
    if (this.usesFp) {
      pro
        .i32(0)
        .mem(Op.I32Load, this.L.JIT_FP_ENABLED)
        .op(Op.I32Eqz)
        .if()
        .get(L_CNT)
        .i32(JIT_DECLINE << 16)
        .op(Op.I32Or, Op.Return)
        .end();
    }
    for (let r = 0; r < 32; r++) {
      if (this.regs[r] || this.written[r])
        pro
          .i32(0)
          .mem(Op.I64Load, this.L.X_BASE + 8 * r)
          .set(L_X + r);
    }
    for (let r = 0; r < 32; r++)
      if (this.vRegs[r] || this.vWritten[r])
        pro
          .i32(0)
          .simdMem(SimdOp.V128Load, this.L.V_BASE + 16 * r)
          .set(L_VR + r);
    if (this.flags || this.flagsWritten) pro.i32(0).mem(Op.I32Load, this.L.NZCV_ADDR).set(L_NZCV);
    if (nb > 1) {
      // Entered at any of its blocks: L_PC becomes the first one's PC (the page offsets of PC
      // and of its wasm address agree), L_IDX the entry's instruction index from it.
      pro
        .get(L_PC)
        .op(Op.I32WrapI64)
        .i32(0xfff)
        .op(Op.I32And)
        .i32(this.blocks[0].host & 0xfff)
        .op(Op.I32Sub)
        .set(L_IDX);
      pro.get(L_PC).get(L_IDX).op(Op.I64ExtendI32S, Op.I64Sub).set(L_PC);
      pro.get(L_IDX).i32(2).op(Op.I32ShrS).set(L_IDX);
      pro.i32(0).mem(Op.I32Load, this.L.JIT_CHAIN_OFF).set(L_NOCHAIN);
    }
    if (this.entryFlags.some((e) => e)) pro.i32(1).set(L_FVALID);
    pro.append(c);
    return { locals: LOCALS, body: pro };
  }
}

const ELEM_EXTRACT = [SimdOp.I8x16ExtractLaneU, SimdOp.I16x8ExtractLaneU, SimdOp.I32x4ExtractLane] as const;
const ELEM_REPLACE = [SimdOp.I8x16ReplaceLane, SimdOp.I16x8ReplaceLane, SimdOp.I32x4ReplaceLane] as const;

/** inFlags of a block whose transitions bring different lazy operations. */
const CONFLICT = Symbol("conflict");

function sameOp(a: FlagOp, b: FlagOp): boolean {
  return a.kind === b.kind && a.sf === b.sf;
}

/** System instructions that cannot unmask an interrupt and go on (the others may: MSR, SYS). */
const NO_UNMASK = new Set(["SVC", "HVC", "SMC", "BRK", "HLT", "HINT", "CLREX", "DSB", "DMB", "ISB", "MRS"]);

/** Encoding groups whose handlers write no general register and no flags. */
const FP_ONLY_GROUPS = new Set([
  "simd_elem",
  "simd_fp_elem",
  "simd_fp_misc",
  "simd_fp_same",
  "simd_int_misc",
  "simd_int_same",
  "simd_long",
  "simd_shift",
]);

/**
 * True when the interpreter handler of an instruction touches no general register and no
 * flags (vector and FP data processing): after it, nothing needs reloading.
 */
function isFpOnly(name: string, group: string): boolean {
  if (FP_ONLY_GROUPS.has(group)) return true;
  return group === "fp_dp" && !name.startsWith("FCMP") && !name.startsWith("FCCMP");
}

/**
 * Compiles a region (one page's blocks in address order, entered at blocks[entry]; a single
 * block is the usual case) to a function definition, and counts its inline instructions.
 */
export function compileBlock(
  L: CoreLayout,
  blocks: BlockInput[],
  entry: number,
  emitters: Map<string, Emitter>,
): { fn: FuncDef; compiled: number; insns: number } {
  const sizing = new BlockCompiler(L, blocks, entry, emitters);
  sizing.compile();
  const real = new BlockCompiler(L, blocks, entry, emitters, sizing);
  return { fn: real.compile(), compiled: real.compiled, insns: real.insns };
}
