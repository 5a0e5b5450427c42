// Storage slots of the system-register file (u64 each at SYSREG_BASE + 8 * slot).
import { SYSREG_BASE } from "./layout";

export const SR_SCTLR_EL1: u32 = 0;
export const SR_ACTLR_EL1: u32 = 1;
export const SR_CPACR_EL1: u32 = 2;
export const SR_TTBR0_EL1: u32 = 3;
export const SR_TTBR1_EL1: u32 = 4;
export const SR_TCR_EL1: u32 = 5;
export const SR_ESR_EL1: u32 = 6;
export const SR_FAR_EL1: u32 = 7;
export const SR_PAR_EL1: u32 = 8;
export const SR_MAIR_EL1: u32 = 9;
export const SR_AMAIR_EL1: u32 = 10;
export const SR_VBAR_EL1: u32 = 11;
export const SR_CONTEXTIDR_EL1: u32 = 12;
export const SR_TPIDR_EL1: u32 = 13;
export const SR_TPIDR_EL0: u32 = 14;
export const SR_TPIDRRO_EL0: u32 = 15;
export const SR_SP_EL0: u32 = 16;
export const SR_SP_EL1: u32 = 17;
export const SR_SPSR_EL1: u32 = 18;
export const SR_ELR_EL1: u32 = 19;
export const SR_AFSR0_EL1: u32 = 20;
export const SR_AFSR1_EL1: u32 = 21;
export const SR_CSSELR_EL1: u32 = 22;
export const SR_MDSCR_EL1: u32 = 23;
export const SR_OSLSR_EL1: u32 = 24;
export const SR_MDCCINT_EL1: u32 = 25;
export const SR_OSDLR_EL1: u32 = 26;
export const SR_MPIDR_EL1: u32 = 27;
export const SR_DBGPRCR_EL1: u32 = 28;
export const SR_CNTKCTL_EL1: u32 = 29;
export const SR_OSECCR_EL1: u32 = 30;
export const SR_DBGCLAIM: u32 = 31;
/** DBGBVR0..15, DBGBCR0..15, DBGWVR0..15, DBGWCR0..15. */
export const SR_DBGBVR0: u32 = 32;
export const SR_DBGBCR0: u32 = 48;
export const SR_DBGWVR0: u32 = 64;
export const SR_DBGWCR0: u32 = 80;
/** Number of slots in use. */
export const SR_COUNT: u32 = 96;

// @ts-ignore: decorator
@inline export function srGet(slot: u32): u64 {
  return load<u64>(SYSREG_BASE + ((<usize>slot) << 3));
}
// @ts-ignore: decorator
@inline export function srSet(slot: u32, v: u64): void {
  store<u64>(SYSREG_BASE + ((<usize>slot) << 3), v);
}
