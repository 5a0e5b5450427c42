// JIT regions: which decoded blocks are compiled into one function with a hot block (jit.ts),
// and how a region's blocks, which often overlap (a block runs on past its conditional
// branches, so a branch target inside another block starts a block of its own), become
// segments of distinct instructions for the compiler (compiler.ts, Regions).

/** One decoded block: ops (the core's op numbers) and instruction words. */
export interface BlockInput {
  /** Wasm address of the first instruction and its page's code generation when decoded. */
  host: number;
  gen: number;
  ops: number[];
  words: number[];
  names: string[];
  /** Encoding group (decode table) of each instruction. */
  groups: string[];
  /** The block's instruction count in its header (ops may stop early at an unallocated one). */
  len?: number;
}

/** The layout fields region discovery reads (a subset of compiler.ts CoreLayout). */
export interface HashLayout {
  BLOCK_HASH_BASE: number;
  BLOCK_HASH_BITS: number;
}

/**
 * Decoded-block header fields (run.ts block layout): first instruction's wasm address, its page's
 * code generation, instruction count, function-table slot; then per instruction from HDR_OPS
 * its handler's table index (u16), op (u16) and word (u32).
 */
export const HDR_HOST = 0;
export const HDR_GEN = 4;
export const HDR_LEN = 8;
export const HDR_FN = 16;
const HDR_OPS = 24;

/** The hash slot of the block starting at wasm address `host` (blockcache.ts hashSlot). */
export function hashSlot(L: HashLayout, host: number): number {
  return L.BLOCK_HASH_BASE + ((((host >>> 2) ^ (host >>> 14)) & ((1 << L.BLOCK_HASH_BITS) - 1)) << 2);
}

/** Region caps: blocks, and distinct instructions, compiled into one function. */
const REGION_BLOCKS = 16;
const REGION_INSNS = 256;
/** The run loop's longest block (run.ts MAX_BLOCK): a block that long may just fall through. */
const MAX_BLOCK = 128;

/** A decoded block read from its header at wasm address `header` (run.ts block layout). */
function readBlock(
  dv: DataView,
  header: number,
  name: (op: number) => string,
  group: (op: number) => string,
): BlockInput & { header: number } {
  const n = dv.getUint32(header + HDR_LEN, true);
  const input = {
    header,
    host: dv.getUint32(header + HDR_HOST, true),
    gen: dv.getUint32(header + HDR_GEN, true),
    len: n,
    ops: [] as number[],
    words: [] as number[],
    names: [] as string[],
    groups: [] as string[],
  };
  for (let i = 0; i < n; i++) {
    const op = dv.getUint16(header + HDR_OPS + 8 * i + 2, true);
    input.ops.push(op);
    input.words.push(dv.getUint32(header + HDR_OPS + 4 + 8 * i, true));
    input.names.push(name(op));
    input.groups.push(group(op));
    // An unallocated encoding always ends execution of the block (UNDEFINED), and what
    // follows it is usually data: compile the block up to it.
    if (op === 0) break;
  }
  return input;
}

const sext = (v: number, bits: number) => (v << (32 - bits)) >> (32 - bits);

/**
 * Wasm addresses the block continues at through a static branch (B, and the taken side of the
 * conditional branches a block runs on past) or by falling off its end.
 */
export function successors(b: BlockInput): number[] {
  const out: number[] = [];
  const n = b.ops.length;
  for (let i = 0; i < n; i++) {
    const w = b.words[i];
    const at = b.host + 4 * i;
    switch (b.names[i]) {
      case "B":
        out.push(at + 4 * sext(w & 0x3ff_ffff, 26));
        break;
      case "B_cond":
      case "CBZ":
      case "CBNZ":
        out.push(at + 4 * sext((w >>> 5) & 0x7_ffff, 19));
        break;
      case "TBZ":
      case "TBNZ":
        out.push(at + 4 * sext((w >>> 5) & 0x3fff, 14));
        break;
    }
  }
  // A block that ends without a jump stopped at MAX_BLOCK (or its page's end).
  if (n === b.len && n === MAX_BLOCK && !["B", "BL", "BR", "BLR", "RET"].includes(b.names[n - 1])) out.push(b.host + 4 * n);
  return out;
}

/**
 * The blocks compiled with the one at `header`, in address order: those reachable from it
 * through static successors that are on its page, decoded for the same code generation (looked
 * up in the block hash as chaining does), up to REGION_BLOCKS and REGION_INSNS distinct
 * instructions.
 */
export function findRegion(
  dv: DataView,
  L: HashLayout,
  header: number,
  name: (op: number) => string,
  group: (op: number) => string,
): (BlockInput & { header: number })[] {
  const first = readBlock(dv, header, name, group);
  const out = [first];
  const seen = new Set([first.host]);
  const covered = new Set(first.ops.map((_, i) => first.host + 4 * i));
  for (let q = 0; q < out.length && out.length < REGION_BLOCKS; q++) {
    for (const host of successors(out[q])) {
      if (seen.has(host) || host >>> 12 !== first.host >>> 12 || out.length >= REGION_BLOCKS) continue;
      seen.add(host);
      const h = dv.getUint32(hashSlot(L, host), true);
      if (h === 0 || dv.getUint32(h + HDR_HOST, true) !== host || dv.getUint32(h + HDR_GEN, true) !== first.gen) continue;
      const b = readBlock(dv, h, name, group);
      const fresh = b.ops.map((_, i) => host + 4 * i).filter((a) => !covered.has(a));
      if (covered.size + fresh.length > REGION_INSNS) continue;
      for (const a of fresh) covered.add(a);
      out.push(b);
    }
  }
  return out.sort((a, b) => a.host - b.host);
}

/** A run of a region's distinct instructions, entered only at its start. */
export interface Segment extends BlockInput {
  /** A block-end boundary the run loop would see when the previous segment falls into it. */
  check: boolean;
  /** The instruction after its last one starts the next segment. */
  contiguous: boolean;
  /** Instructions that can run from its start before the next check (a transition or exit). */
  reach: number;
}

/**
 * Splits a region's blocks into segments of distinct instructions in address order: a new one
 * starts at every block start, every block end that other instructions of the region follow,
 * and after every gap. Returns them and the index of the one the entry block starts.
 */
export function segments(blocks: BlockInput[], entry: number): { segs: Segment[]; entry: number } {
  const at = new Map<number, { op: number; word: number; name: string; group: string }>();
  const starts = new Set<number>();
  const ends = new Set<number>();
  for (const b of blocks) {
    starts.add(b.host);
    ends.add(b.host + 4 * b.ops.length);
    b.ops.forEach((op, i) => at.set(b.host + 4 * i, { op, word: b.words[i], name: b.names[i], group: b.groups[i] }));
  }
  const gen = blocks[entry].gen;
  const segs: Segment[] = [];
  let prev = -1;
  for (const a of [...at.keys()].sort((x, y) => x - y)) {
    const i = at.get(a)!;
    const cur = segs[segs.length - 1];
    if (!cur || a !== prev + 4 || starts.has(a) || ends.has(a)) {
      if (cur) cur.contiguous = a === prev + 4;
      segs.push({ host: a, gen, ops: [], words: [], names: [], groups: [], check: ends.has(a), contiguous: false, reach: 0 });
    }
    const s = segs[segs.length - 1];
    s.ops.push(i.op);
    s.words.push(i.word);
    s.names.push(i.name);
    s.groups.push(i.group);
    prev = a;
  }
  for (let k = segs.length - 1; k >= 0; k--) {
    const s = segs[k];
    s.len = s.ops.length;
    s.reach = s.ops.length + (s.contiguous && !segs[k + 1].check ? segs[k + 1].reach : 0);
  }
  return { segs, entry: segs.findIndex((s) => s.host === blocks[entry].host) };
}
