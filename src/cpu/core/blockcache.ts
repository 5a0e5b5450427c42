// The decoded-block cache's storage: a hash from a block's first instruction (its wasm address)
// to the block, and the arena blocks are carved from. The run loop (run.ts) builds and looks up
// blocks; IC IALLU(IS) (isa/system.ts) drops them all. Kept apart from run.ts so the handlers
// need not import the run loop, which imports the handlers.
import { ARENA_BASE, ARENA_END, BLOCK_HASH_BASE, BLOCK_HASH_BITS } from "./layout";

const HASH_MASK: u32 = (1 << BLOCK_HASH_BITS) - 1;

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
 * (a block built moves arenaTop past ARENA_BASE + 64): a new core's is all zeros already, and
 * its 8 MiB stay untouched until blocks fill them, instead of 2,048 page faults (~5 ms of a
 * resume, whose restore flushes the new core's caches).
 */
export function flushBlocks(): void {
  if (arenaTop != 0 && arenaTop != ARENA_BASE + 64) memory.fill(BLOCK_HASH_BASE, 0, (<usize>HASH_MASK + 1) << 2);
  arenaTop = ARENA_BASE + 64;
  blockEpoch++;
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
