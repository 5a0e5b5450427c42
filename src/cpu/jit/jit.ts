// The JIT tier of the CPU core: the run loop (src/cpu/core/run.ts) hands hot decoded blocks
// to Jit.compile, which emits one small wasm module per block (importing the core's memory and
// its jitStep interpreter entry), instantiates it and installs the function in the core's
// function table, where the run loop calls it.
import { OP_NAMES, OP_SOURCES } from "../disasm/generated/disasm.gen.ts";
import { compileBlock, type CoreLayout, type Emitter } from "./compiler.ts";
import { findRegion, HDR_FN } from "./region.ts";
import { INT_EMITTERS } from "./emit-int.ts";
import { MEM_EMITTERS } from "./emit-mem.ts";
import { STRUCT_EMITTERS } from "./emit-struct.ts";
import { SIMD_EMITTERS } from "./emit-simd.ts";
import { FP_EMITTERS } from "./emit-fp.ts";
import { ARITH_EMITTERS } from "./emit-arith.ts";
import { SYS_EMITTERS } from "./emit-sys.ts";
import { assembleModule, Code, type FuncDef, T } from "./wasm.ts";

/** The parts of a WebAssembly.Table the JIT uses (Node's typings do not declare the class). */
export interface FuncTable {
  readonly length: number;
  grow(delta: number): number;
  set(index: number, value: unknown): void;
}

/** What the JIT needs from the core instance. */
export interface JitCore {
  memory: WebAssembly.Memory;
  table: FuncTable;
  jitStep: (...args: never[]) => unknown;
  blockEpoch(): number;
}

/** Counters for benchmarks and tests. */
export interface JitStats {
  /** Blocks compiled and installed. */
  compiled: number;
  /** Blocks declined (too little of them compilable). */
  declined: number;
  /** Blocks whose module failed to build: a JIT bug, the block stays interpreted. */
  errors: number;
  /** Instructions compiled inline, and handed to the interpreter, over all compiled blocks. */
  inline: number;
  fallback: number;
  /** Modules built, and milliseconds spent compiling. */
  modules: number;
  ms: number;
  /** Blocks compiled into multi-block regions (counted once per region they are in). */
  regionBlocks: number;
  /** Blocks given the function of a region they are in rather than one of their own. */
  shared: number;
}

const EMITTERS: Map<string, Emitter> = new Map();
for (const [names, e] of [
  ...INT_EMITTERS,
  ...MEM_EMITTERS,
  ...STRUCT_EMITTERS,
  ...SIMD_EMITTERS,
  ...FP_EMITTERS,
  ...ARITH_EMITTERS,
  ...SYS_EMITTERS,
])
  for (const n of names) EMITTERS.set(n, e);

const TYPES = [
  { params: [T.I64, T.I32, T.I32, T.I32], results: [T.I32] },
  { params: [T.I32, T.I32, T.I64], results: [T.I32] },
  { params: [T.I64, T.I32, T.I32, T.I32, T.I32], results: [T.I32] },
];
const IMPORTS = [
  { name: "s", type: 1 },
  { name: "x", type: 2 },
];

/**
 * The chaining trampoline `(pc, tlb, budget, cnt, fn)`: tail-calls table slot fn with the rest.
 * Compiled blocks chain through it (a tail call to an import) rather than importing the core's
 * table themselves: V8 updates every instance that imports a table on each table.set and grow,
 * which with one module per 16 blocks made compiling quadratic (a Linux boot took twice as long).
 */
function trampoline(core: JitCore): WebAssembly.ImportValue {
  const body = new Code();
  for (let i = 0; i < 5; i++) body.get(i);
  // Type 1 of this module: a compiled block (its own function is type 0, TYPES[2]).
  body.returnCallIndirect(1);
  const bytes = assembleModule([TYPES[2], TYPES[0]], [], [{ locals: [], body }], true);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    c: { m: core.memory, t: core.table as unknown as WebAssembly.ImportValue },
  }).exports.f0 as WebAssembly.ImportValue;
}
const GROUPS = OP_SOURCES.map((s) => s.replace(/\.decode:\d+$/, ""));
/** Table slots added at a time. */
const TABLE_CHUNK = 1024;
/** Hot blocks compiled together into one module (a module has a large fixed cost). */
const BATCH = 16;
/** Header values (run.ts): queued, declined. */
const PENDING = 0xffff_fffe;
const DECLINED = 0xffff_ffff;

interface NodeProcess {
  env?: Record<string, string | undefined>;
  on?(event: "exit", f: () => void): void;
  stderr?: { write(s: string): void };
}
const proc = (globalThis as { process?: NodeProcess }).process;

/**
 * Diagnostics: with DORMOUSE_JIT_FALLBACKS set, every instruction a compiled block hands to the
 * interpreter is counted by op (over all cores of the process; a JS wrapper around jitStep makes
 * compiled code slower) and the top 20 is written to stderr when the process exits.
 */
const FALLBACKS: Map<number, number> | null = proc?.env?.DORMOUSE_JIT_FALLBACKS ? new Map() : null;
if (FALLBACKS) proc?.on?.("exit", () => proc.stderr?.write(fallbackReport(20).join("\n") + "\n"));

/** The fallback counts' top `n` as lines: count, share, encoding group, op name (empty when not counting). */
export function fallbackReport(n: number): string[] {
  if (!FALLBACKS) return [];
  const total = [...FALLBACKS.values()].reduce((a, b) => a + b, 0);
  const lines = [`jit-fallbacks: total=${total}`];
  for (const [op, k] of [...FALLBACKS].sort((a, b) => b[1] - a[1]).slice(0, n))
    lines.push(`${String(k).padStart(12)} ${((100 * k) / total).toFixed(1).padStart(5)}%  ${GROUPS[op] ?? ""}  ${OP_NAMES[op] ?? op}`);
  return lines;
}

/** The number of counted fallbacks (0 when not counting). */
export function fallbackTotal(): number {
  return FALLBACKS ? [...FALLBACKS.values()].reduce((a, b) => a + b, 0) : 0;
}

/** jitStep, or a counting wrapper around it when DORMOUSE_JIT_FALLBACKS is set. */
function stepImport(core: JitCore): WebAssembly.ImportValue {
  const counts = FALLBACKS;
  if (!counts) return core.jitStep as WebAssembly.ImportValue;
  const step = core.jitStep as unknown as (op: number, w: number, pc: bigint) => number;
  return ((op: number, w: number, pc: bigint) => {
    counts.set(op, (counts.get(op) ?? 0) + 1);
    return step(op, w, pc);
  }) as WebAssembly.ImportValue;
}

/** The JIT compiler bound to one core instance. */
export class Jit {
  readonly stats: JitStats = { compiled: 0, declined: 0, errors: 0, inline: 0, fallback: 0, modules: 0, ms: 0, regionBlocks: 0, shared: 0 };
  /** The last module-building error (a JIT bug), for tests and diagnostics. */
  lastError: unknown = null;
  private readonly firstSlot: number;
  private nextSlot: number;
  private epoch: number;
  /** Blocks queued for the next module (wasm addresses of their headers). */
  private pending: number[] = [];
  /** The chaining trampoline every module imports. */
  private readonly chain: WebAssembly.ImportValue;
  /**
   * Compile every block however little of it is inline (with batch 1, the tests' mode: the
   * differential tests then run every instruction inside compiled blocks).
   */
  private readonly compileAll: boolean;
  /** The interpreter entry modules import. */
  private readonly step: WebAssembly.ImportValue;

  /**
   * `batch`: blocks per module (1 compiles each block as soon as it is hot and declines none,
   * which tests use to run everything compiled).
   */
  constructor(
    private readonly core: JitCore,
    private readonly L: CoreLayout,
    private readonly batch = BATCH,
  ) {
    this.firstSlot = Math.max(1, core.table.length);
    this.nextSlot = this.firstSlot;
    this.epoch = core.blockEpoch();
    this.chain = trampoline(core);
    this.step = stepImport(core);
    this.compileAll = batch === 1;
  }

  /**
   * Queues the decoded block at wasm address `block` for compilation (called by the run loop
   * when it became hot); compiles the queue once it is full, or when a queued block is handed
   * over again. Returns the header value for the block: PENDING (the table index is written
   * into the header later).
   */
  compile(block: number): number {
    this.checkEpoch();
    // A queued block asked for again (run.ts: entered another threshold times while it waited)
    // is hot: the queue is compiled now rather than once it is full or run() returns.
    const again = this.pending.includes(block);
    if (!again) this.pending.push(block);
    if (!again && this.pending.length < this.batch) return PENDING;
    this.flush();
    // The header now holds the outcome; the run loop stores what we return over it.
    return new DataView(this.core.memory.buffer).getUint32(block + HDR_FN, true);
  }

  /** Compiles every queued block now (the host calls this whenever run() returns). */
  flush(): void {
    // Nothing queued: an epoch change is seen by the next compile().
    if (this.pending.length === 0) return;
    this.checkEpoch();
    if (this.pending.length === 0) return;
    const t0 = performance.now();
    const blocks = this.pending;
    this.pending = [];
    const dv = new DataView(this.core.memory.buffer);
    const fns: FuncDef[] = [];
    /** Per function, the headers it is installed in: its entry's, then other blocks of its region. */
    const kept: number[][] = [];
    const queued = new Set(blocks);
    const given = new Set<number>();
    for (const b of blocks) {
      if (given.has(b)) continue;
      const r = this.compileOne(dv, b);
      if (r) {
        fns.push(r.fn);
        // A region's function serves each of its blocks not compiled yet (nor queued for a module of their own).
        const hs = [b, ...r.members.filter((m) => m !== b && !given.has(m) && (dv.getUint32(m + HDR_FN, true) === 0 || queued.has(m)))];
        for (const h of hs) given.add(h);
        kept.push(hs);
      } else {
        dv.setUint32(b + HDR_FN, DECLINED, true);
      }
    }
    if (fns.length) {
      let exports: WebAssembly.Exports;
      try {
        const bytes = assembleModule(TYPES, IMPORTS, fns);
        const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
          c: { m: this.core.memory, s: this.step, x: this.chain },
        });
        exports = inst.exports;
        this.stats.modules++;
      } catch (e) {
        this.stats.errors++;
        this.lastError = e;
        for (const b of kept.flat()) dv.setUint32(b + HDR_FN, DECLINED, true);
        this.stats.ms += performance.now() - t0;
        return;
      }
      const table = this.core.table;
      kept.forEach((hs, i) => {
        while (this.nextSlot >= table.length) table.grow(TABLE_CHUNK);
        const slot = this.nextSlot++;
        table.set(slot, exports[`f${i}`]);
        for (const h of hs) dv.setUint32(h + HDR_FN, slot, true);
        this.stats.compiled++;
        this.stats.shared += hs.length - 1;
      });
    }
    this.stats.ms += performance.now() - t0;
  }

  /** After every block was dropped, queued blocks are gone and table slots are free again. */
  private checkEpoch(): void {
    const epoch = this.core.blockEpoch();
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.nextSlot = this.firstSlot;
      this.pending = [];
    }
  }

  /** Compiles the block's region; returns the function and the headers of the region's blocks. */
  private compileOne(dv: DataView, block: number): { fn: FuncDef; members: number[] } | null {
    const blocks = findRegion(
      dv,
      this.L,
      block,
      (op) => OP_NAMES[op] ?? "UNALLOCATED",
      (op) => GROUPS[op] ?? "",
    );
    const entry = blocks.findIndex((b) => b.header === block);
    try {
      const r = compileBlock(this.L, blocks, entry, EMITTERS);
      const len = r.insns;
      if (r.compiled * 2 < len && !this.compileAll) {
        this.stats.declined++;
        return null;
      }
      this.stats.inline += r.compiled;
      this.stats.fallback += len - r.compiled;
      if (blocks.length > 1) this.stats.regionBlocks += blocks.length;
      return { fn: r.fn, members: blocks.length > 1 ? blocks.map((b) => b.header) : [] };
    } catch (e) {
      this.stats.errors++;
      this.lastError = e;
      return null;
    }
  }
}
