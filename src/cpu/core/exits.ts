// Why run() returned to the host. Details are in the mailbox (layout.ts MBOX_EXIT_INFO*).

/** The instruction budget was used up. */
export const EXIT_BUDGET: u32 = 0;
/** WFI with no interrupt pending; retired, PC after it. */
export const EXIT_WFI: u32 = 1;
/** WFE with the event register clear; retired, PC after it. */
export const EXIT_WFE: u32 = 2;
/** HVC at EL1: info0 = imm16; retired, PC after it. */
export const EXIT_HVC: u32 = 3;
/** SMC at EL1: info0 = imm16; retired, PC after it (as KVM presents it). */
export const EXIT_SMC: u32 = 4;
/**
 * MMIO the host wants handled out of line: info0 = PA, info1 = size | write<<8, info2 = value,
 * info3 = the instruction's word; not retired, restarts (resumed when the host asks, run.ts).
 */
export const EXIT_MMIO: u32 = 5;
/** System register the host wants handled out of line: info0 = key, info1 = Rt | read<<8; not retired. */
export const EXIT_SYSREG: u32 = 6;
/** Semihosting call (HLT #0xF000 at EL1 with semihosting enabled): retired, PC after it. */
export const EXIT_SEMIHOST: u32 = 7;
/** The host asked the core to stop (requestStop). */
export const EXIT_STOP: u32 = 9;
/** YIELD while the host asked for the thread to be given way (layout.ts GIVE_WAY); retired, PC after it. */
export const EXIT_YIELD: u32 = 11;
/**
 * Internal to run(), never returned: a debug-register write changed which run loop must run
 * (run.ts); retired, PC after it.
 */
export const EXIT_RESELECT: u32 = 10;
