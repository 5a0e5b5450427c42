// The decoded-block cache's storage: a hash from a block's first instruction (its wasm address)
// to the block, and the arena blocks are carved from, one after another. The run loop (run.ts)
// builds and looks up blocks; IC IALLU(IS) (isa/system.ts) checks them all against memory. Kept
// apart from run.ts so the handlers need not import the run loop, which imports the handlers.
import { ARENA_BASE, ARENA_END, BLOCK_HASH_BASE, BLOCK_HASH_BITS } from "./layout";
import { codePageWritten, hostPageOf, pageGen } from "./tlb";

/**
 * Bytes of a block's header (run.ts block layout: +0 wasm address of the first instruction,
 * +4 its page's code generation, +8 instruction count, ...); then per instruction its handler's
 * function-table index (u16), its op (u16) and its word (u32).
 */
export const BLOCK_HEADER: usize = 24;

const HASH_MASK: u32 = (1 << BLOCK_HASH_BITS) - 1;
/** Where the arena's first block goes. */
const ARENA_FIRST: usize = ARENA_BASE + 64;

let arenaTop: usize = 0;
/** Bumped whenever every block is dropped, so the host can reuse their function-table slots. */
export let blockEpoch: u32 = 0;

/** The hash slot holding the block that starts at wasm address `host`. */
// @ts-ignore: decorator
@inline export function hashSlot(host: usize): usize {
  return BLOCK_HASH_BASE + ((((<u32>host >>> 2) ^ (<u32>host >>> 14)) & HASH_MASK) << 2);
}

/**
 * Drops every decoded block. The hash is zeroed only when a block was built since it last was
 * (a block built moves arenaTop past ARENA_FIRST): a new core's is all zeros already, and
 * its 8 MiB stay untouched until blocks fill them, instead of 2,048 page faults (~5 ms of a
 * resume, whose restore flushes the new core's caches).
 */
export function flushBlocks(): void {
  if (arenaTop != 0 && arenaTop != ARENA_FIRST) memory.fill(BLOCK_HASH_BASE, 0, (<usize>HASH_MASK + 1) << 2);
  arenaTop = ARENA_FIRST;
  blockEpoch++;
}

/**
 * IC IALLU(IS): the page of every current block whose instruction words are no longer those in
 * memory has its decoded code dropped (codePageWritten); the rest, and the code compiled from
 * it, stay. Guest stores to code pages and host writes the core is told of (notifyHostWrite)
 * have already dropped theirs, so this finds only memory changed behind the core's back, as a
 * device's DMA that skipped notifyHostWrite does: after IC IALLU the guest runs what memory
 * holds, as on hardware. Dropping every block instead, at each of the 4 IC IALLUs early in
 * the guest kit's Linux boot, made it decode 14% more blocks (63,960 instead of 56,195).
 */
export function icInvalidateAll(): void {
  let b = ARENA_FIRST;
  while (b < arenaTop) {
    const host = <usize>load<u32>(b);
    const n = <usize>load<u32>(b, 8);
    const hp = hostPageOf(host);
    if (load<u32>(b, 4) == pageGen(hp)) {
      for (let i: usize = 0; i < n; i++) {
        if (load<u32>(host + (i << 2)) != load<u32>(b + BLOCK_HEADER + (i << 3), 4)) {
          codePageWritten(hp);
          break;
        }
      }
    }
    b += BLOCK_HEADER + (n << 3);
  }
}

/** Where the next block of at most `size` bytes goes (every block is dropped first when the arena is full). */
export function arenaReserve(size: usize): usize {
  if (arenaTop == 0 || arenaTop + size > ARENA_END) flushBlocks();
  return arenaTop;
}

/** Marks the arena used up to `end` (the block reserved last ends there). */
export function arenaCommit(end: usize): void {
  arenaTop = end;
}
