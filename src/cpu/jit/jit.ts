// The JIT tier of the CPU core: the run loop (src/cpu/core/run.ts) hands hot decoded blocks
// to Jit.compile, which emits one small wasm module per block (importing the core's memory and
// its jitStep interpreter entry), instantiates it and installs the function in the core's
// function table, where the run loop calls it.
import { OP_NAMES, OP_SOURCES } from "../disasm/generated/disasm.gen.ts";
import { type BlockInput, compileBlock, type CoreLayout, type Emitter } from "./compiler.ts";
import { INT_EMITTERS } from "./emit-int.ts";
import { MEM_EMITTERS } from "./emit-mem.ts";
import { SIMD_EMITTERS } from "./emit-simd.ts";
import { assembleModule, T } from "./wasm.ts";

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
}

const EMITTERS: Map<string, Emitter> = new Map();
for (const [names, e] of [...INT_EMITTERS, ...MEM_EMITTERS, ...SIMD_EMITTERS]) for (const n of names) EMITTERS.set(n, e);

const TYPES = [
  { params: [T.I64, T.I32, T.I32], results: [T.I32] },
  { params: [T.I32, T.I32, T.I64], results: [T.I32] },
];
const IMPORTS = [{ name: "s", type: 1 }];
const GROUPS = OP_SOURCES.map((s) => s.replace(/\.decode:\d+$/, ""));
/** Table slots added at a time. */
const TABLE_CHUNK = 1024;

/** The JIT compiler bound to one core instance. */
export class Jit {
  readonly stats: JitStats = { compiled: 0, declined: 0, errors: 0, inline: 0, fallback: 0 };
  /** The last module-building error (a JIT bug), for tests and diagnostics. */
  lastError: unknown = null;
  private readonly firstSlot: number;
  private nextSlot: number;
  private epoch: number;

  constructor(
    private readonly core: JitCore,
    private readonly L: CoreLayout,
  ) {
    this.firstSlot = Math.max(1, core.table.length);
    this.nextSlot = this.firstSlot;
    this.epoch = core.blockEpoch();
  }

  /** Compiles the decoded block at wasm address `block`; returns its table index or 0 to decline. */
  compile(block: number): number {
    const epoch = this.core.blockEpoch();
    if (epoch !== this.epoch) {
      // Every block is gone, so are the references to their slots: reuse them all.
      this.epoch = epoch;
      this.nextSlot = this.firstSlot;
    }
    const dv = new DataView(this.core.memory.buffer);
    const n = dv.getUint32(block + 8, true);
    const input: BlockInput = {
      host: dv.getUint32(block, true),
      gen: dv.getUint32(block + 4, true),
      ops: [],
      words: [],
      names: [],
      groups: [],
    };
    for (let i = 0; i < n; i++) {
      const op = dv.getUint32(block + 24 + 8 * i, true);
      input.ops.push(op);
      input.words.push(dv.getUint32(block + 28 + 8 * i, true));
      input.names.push(OP_NAMES[op] ?? "UNALLOCATED");
      input.groups.push(GROUPS[op] ?? "");
    }
    let fn;
    try {
      const r = compileBlock(this.L, input, EMITTERS);
      if (r.compiled * 2 < n) {
        this.stats.declined++;
        return 0;
      }
      const bytes = assembleModule(TYPES, IMPORTS, [r.fn]);
      const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { c: { m: this.core.memory, s: this.core.jitStep } });
      fn = inst.exports.f0;
      this.stats.inline += r.compiled;
      this.stats.fallback += n - r.compiled;
    } catch (e) {
      this.stats.errors++;
      this.lastError = e;
      return 0;
    }
    const table = this.core.table;
    if (this.nextSlot >= table.length) table.grow(TABLE_CHUNK);
    const slot = this.nextSlot++;
    table.set(slot, fn);
    this.stats.compiled++;
    return slot;
  }
}
