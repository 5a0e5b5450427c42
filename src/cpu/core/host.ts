// Calls from the core out to the host (the hypervisor layer). All arguments are i32: an i64
// crosses the wasm/JS boundary as a BigInt, six times slower (design.md). 64-bit values
// travel through the mailbox (layout.ts MBOX_DATA).

/** Status returned by host callouts. */
export const HOST_OK: i32 = 0;
/** MMIO: synchronous external abort; system register: UNDEFINED. */
export const HOST_FAULT: i32 = 1;
/** Stop the core before this instruction retires and report an exit; it restarts when run again. */
export const HOST_EXIT: i32 = 2;

/** MMIO tag bit: the instruction is being resumed after an MMIO exit stopped it (memory.ts). */
export const MMIO_RESUMED: i32 = 0x10000;

/**
 * Reads `size` bytes (1, 2, 4, 8) of MMIO at physical address pa; value to MBOX_DATA. `tag` is
 * the access's ordinal within its instruction (bits 15..0) and MMIO_RESUMED.
 */
// @ts-ignore: decorator
@external("host", "mmioRead")
export declare function hostMmioRead(paLo: i32, paHi: i32, size: i32, tag: i32): i32;

/** Writes `size` bytes of MMIO at physical address pa; `tag` as for hostMmioRead. */
// @ts-ignore: decorator
@external("host", "mmioWrite")
export declare function hostMmioWrite(paLo: i32, paHi: i32, size: i32, lo: i32, hi: i32, tag: i32): i32;

/** Reads a host-implemented system register (generic timer, GIC CPU interface); value to MBOX_DATA. */
// @ts-ignore: decorator
@external("host", "sysregRead")
export declare function hostSysregRead(key: i32): i32;

/** Writes a host-implemented system register. */
// @ts-ignore: decorator
@external("host", "sysregWrite")
export declare function hostSysregWrite(key: i32, lo: i32, hi: i32): i32;

/**
 * Asks the host's JIT to compile the decoded block at wasm address `block` (see run.ts for the
 * block layout); returns the function-table index of the compiled block, or 0 when it declines.
 */
// @ts-ignore: decorator
@external("host", "jitCompile")
export declare function hostJitCompile(block: i32): i32;

/**
 * Offers an HVC (conduit 0) or SMC (conduit 1) that just retired, with immediate `imm16`, to the
 * host: HOST_OK when it handled the call (registers updated, PC and the retired count already in
 * memory) so the core runs on, HOST_EXIT to end run() with EXIT_HVC or EXIT_SMC as usual.
 */
// @ts-ignore: decorator
@external("host", "hypercall")
export declare function hostHypercall(conduit: i32, imm16: i32): i32;
