// Fixed layout of the CPU core's wasm memory. Everything the core keeps lives at a fixed
// address so the host (and a future JIT tier) can reach it without calling in.
//
//   0x0000_1000  architectural state of the running vCPU (registers, flags, FP control)
//   0x0000_2000  vector registers V0..V31 (16 bytes each, little-endian lanes)
//   0x0000_3000  system-register file (u64 slots, see sysreg.ts)
//   0x0000_8000  host mailbox (MMIO data, system-register values, exit information)
//   0x0001_0000  software TLBs (one per MMU index)
//   0x0010_0000  AssemblyScript static data and heap (asconfig memoryBase)
//   0x0110_0000  per-guest-page code-generation counters
//   0x0160_0000  per-guest-page written flags (snapshots read only written pages)
//   0x0170_0000  decoded-block hash table (8 MiB)
//   0x0200_0000  decoded-block arena
//   0x0400_0000  guest physical memory (RAM, ROM), mapped by the region table

/** General registers: x0..x30 at 8*n; slot 31 holds the current SP; slot 32 reads as zero; slot 33 is a write sink. */
export const X_BASE: usize = 0x1000;
/** Slot index that reads as zero (used for XZR). */
export const ZR_SLOT: u32 = 32;
/** Slot index that swallows writes (used for XZR as a destination). */
export const SINK_SLOT: u32 = 33;
/** Program counter of the next instruction to execute (valid whenever the core is not running). */
export const PC_ADDR: usize = 0x1110;
/** NZCV flags in bits 31..28, exactly as MRS NZCV reads them. */
export const NZCV_ADDR: usize = 0x1118;
/** FPCR and FPSR (32-bit values in u64 slots). */
export const FPCR_ADDR: usize = 0x1120;
export const FPSR_ADDR: usize = 0x1128;
/** PSTATE fields other than NZCV: DAIF bits 9..6, EL in bits 3..2, SPSel in bit 0 (same positions as SPSR). */
export const PSTATE_ADDR: usize = 0x1130;
/** Retired-instruction counter (u64), exact. */
export const INSTRET_ADDR: usize = 0x1138;
/** Exclusive monitor: address, size, value lo, value hi, valid. */
export const EXCL_ADDR: usize = 0x1140;
export const EXCL_SIZE: usize = 0x1148;
export const EXCL_VAL: usize = 0x1150;
export const EXCL_VAL_HI: usize = 0x1158;
export const EXCL_VALID: usize = 0x1160;
/** Count of UNDEFINED exceptions taken, and the most recent undefined word and its PC. */
export const UNDEF_COUNT: usize = 0x1168;
export const UNDEF_LAST_WORD: usize = 0x1170;
export const UNDEF_LAST_PC: usize = 0x1178;
/** Interrupt lines driven by the host (interrupt controller): bit0 IRQ, bit1 FIQ, bit2 SError. */
export const IRQ_LINES: usize = 0x1180;
/** Scratch for FP/SIMD helpers (256 bytes). */
export const FP_SCRATCH: usize = 0x1200;
/** End of the architectural state that is saved and restored as one block. */
export const STATE_END: usize = 0x1300;

/** Vector registers: V[n] at V_BASE + 16*n. */
export const V_BASE: usize = 0x2000;
/** System-register slots (u64 each, index from sysreg.ts). */
export const SYSREG_BASE: usize = 0x3000;
export const SYSREG_SLOTS: u32 = 256;

/** Host mailbox. */
export const MBOX_BASE: usize = 0x8000;
/** 64-bit data for MMIO and system-register callouts. */
export const MBOX_DATA: usize = 0x8000;
export const MBOX_DATA_HI: usize = 0x8008;
/** Exit information: reason-specific words (see exits in index.ts). */
export const MBOX_EXIT_INFO0: usize = 0x8010;
export const MBOX_EXIT_INFO1: usize = 0x8018;
export const MBOX_EXIT_INFO2: usize = 0x8020;
export const MBOX_EXIT_INFO3: usize = 0x8028;

/** JIT mailbox: where a compiled block that branched continues (u64). */
export const JIT_NEXT_PC: usize = 0x8100;
/** JIT mailbox: 1 when FP/SIMD instructions may execute at the current EL (mirror of fpEnabled). */
export const JIT_FP_ENABLED: usize = 0x8108;
/** Non-zero when the host asked run() to stop at the next block boundary (u32; compiled loops poll it). */
export const STOP_REQUESTED: usize = 0x8110;
/**
 * Non-zero when another vCPU waits for the thread this core runs on (u32, set by the host):
 * YIELD then ends run() (EXIT_YIELD) so the host can switch to it.
 */
export const GIVE_WAY: usize = 0x8114;
/**
 * JIT mailbox: non-zero while compiled blocks must return to the run loop after every block
 * instead of chaining to their successor (u32; the checked loop, debug.ts, sets it).
 */
export const JIT_CHAIN_OFF: usize = 0x8118;
/**
 * HVC calls the core answers itself, without calling the host (set by the host, run.ts
 * answeredInCore): +0 entry count (u32, at most HCALL_MAX), +4 run-loop steps each answered call
 * costs of run()'s budget (u32), +8 calls answered by the last run() (u32, the core's); entries
 * of HCALL_ENTRY bytes from +16: function ID (u32, x0's low half), mask of the registers x0..x3
 * it writes (u32), then the values of x0..x3 (u64 each).
 */
export const HCALL_ANSWERS: usize = 0x8200;
export const HCALL_MAX: u32 = 8;
export const HCALL_ENTRY: usize = 40;

/** Software TLB: TLB_ENTRIES entries of 64 bytes per MMU index (see tlb.ts). */
export const TLB_BASE: usize = 0x10000;
export const TLB_BITS: u32 = 10;
export const TLB_ENTRIES: u32 = 1 << TLB_BITS;
export const TLB_ENTRY_SIZE: usize = 64;
export const TLB_IDX_BYTES: usize = <usize>TLB_ENTRIES * TLB_ENTRY_SIZE;
export const MMU_INDEXES: u32 = 2;

/**
 * Decoded-block hash table (u32 arena offsets), direct-mapped: a block whose slot another block
 * takes is decoded again, with its execution count (and so its way to the JIT) started over.
 * With 2^16 slots a Linux boot to the guest kit's shell rebuilt 140,000 of its 189,000 blocks
 * for that; with 2^20, 4,700 of 66,000. The Debian image's boot to its login prompt (more code):
 * with 2^20 311,000 of 566,000, with 2^21 58,000 of 246,000.
 */
export const BLOCK_HASH_BASE: usize = 0x0170_0000;
export const BLOCK_HASH_BITS: u32 = 21;
/** Per-page code generation counter (u32) and code flag, indexed by guest-memory page. */
export const PAGE_GEN_BASE: usize = 0x0110_0000;
export const PAGE_GEN_BYTES: usize = 0x0040_0000;
export const PAGE_CODE_BASE: usize = 0x0150_0000;
export const PAGE_CODE_BYTES: usize = 0x0010_0000;
/**
 * Per-page "may have been written" flag (u8), indexed by guest-memory page: set when a TLB entry
 * that allows writes is filled for the page and when the host writes it (notifyHostWrite), never
 * cleared. A snapshot reads only these pages: the rest of RAM is still the zeros it started as.
 */
export const PAGE_TOUCHED_BASE: usize = 0x0160_0000;
export const PAGE_TOUCHED_BYTES: usize = 0x0010_0000;
/** Decoded-block arena. */
export const ARENA_BASE: usize = 0x0200_0000;
export const ARENA_END: usize = 0x0400_0000;
/** Guest physical memory backing starts here. */
export const GUEST_BASE: usize = 0x0400_0000;
