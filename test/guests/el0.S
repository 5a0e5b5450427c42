// EL1 -> EL0 -> EL1 round trips: ERET to EL0, exceptions from EL0 to the lower-EL vectors
// (SVC, BRK, UNDEFINED, instruction abort), EL0 traps controlled by SCTLR_EL1 (WFI/WFE,
// CTR_EL0, DAIF, DC ZVA) and SP banking. Needs only branches, data-processing immediate and
// system instructions.
#include "bm-asm.h"

  .text
// Lower-EL handler: records the syndrome (x22 ESR, x23 ELR, x24 FAR, x25 SPSR, x28 vector,
// x27 SP at EL1) and returns to EL1 at x26 with everything masked.
  .globl vec_lower64_sync
vec_lower64_sync:
  mov x28, #8
  mrs x22, esr_el1
  mrs x23, elr_el1
  mrs x24, far_el1
  mrs x25, spsr_el1
  mov x27, sp
  mov x9, #0x3c5
  msr spsr_el1, x9
  msr elr_el1, x26
  eret

// Runs the EL0 code at `label` (with PSTATE.DAIF clear) until it takes an exception to EL1.
.macro AT_EL0 label
  adr x9, \label
  msr elr_el1, x9
  msr spsr_el1, xzr
  adr x26, 9020f
  mov x28, #0xff
  eret
9020:
.endm

.macro EXPECT_ESR ec, iss, code
  EXPECT x28, 8, \code
  EXPECT x22, (((\ec) << 26) | (1 << 25) | (\iss)), (\code + 100)
.endm

  .globl main
main:
  PUTS "el0: start\n"
  // Nothing EL0 may do without trapping: no WFI/WFE, CTR_EL0, DAIF access or DC ZVA at EL0.
  MOV64 x0, (SCTLR_RES1 | SCTLR_SA | SCTLR_SA0)
  msr sctlr_el1, x0
  isb
  mov x0, #0x8000
  msr sp_el0, x0
  mov x2, sp

  // SVC from EL0: EC 0x15 to the lower-EL vector, SPSR = EL0t, ELR after the SVC, own SP.
  AT_EL0 el0_svc
  EXPECT_ESR EC_SVC, 0x77, 1
  EXPECT x25, 0, 2
  adr x0, el0_svc + 8
  EXPECT_EQ x23, x0, 3
  EXPECT x1, 0x8000, 4     // EL0 saw SP_EL0
  EXPECT_EQ x27, x2, 5     // the handler ran on SP_EL1
  mrs x0, sp_el0
  EXPECT x0, 0x8000, 6

  // BRK from EL0.
  AT_EL0 el0_brk
  EXPECT_ESR EC_BRK, 0x9, 7
  adr x0, el0_brk
  EXPECT_EQ x23, x0, 8

  // EL1-only system registers and instructions are UNDEFINED at EL0.
  AT_EL0 el0_currentel
  EXPECT_ESR EC_UNKNOWN, 0, 9
  AT_EL0 el0_sctlr
  EXPECT_ESR EC_UNKNOWN, 0, 10
  AT_EL0 el0_spsel
  EXPECT_ESR EC_UNKNOWN, 0, 11
  AT_EL0 el0_eret
  EXPECT_ESR EC_UNKNOWN, 0, 12
  AT_EL0 el0_tlbi
  EXPECT_ESR EC_UNKNOWN, 0, 13

  // Traps enabled by SCTLR_EL1: EC 0x01 (WFI/WFE, CV=1, COND=0xe, TI) and EC 0x18 with the
  // MRS/MSR/SYS syndrome (Op0, Op2, Op1, CRn, Rt, CRm, direction).
  AT_EL0 el0_wfi
  EXPECT_ESR EC_WFX, ((1 << 24) | (0xe << 20) | 0), 14
#ifndef QEMU_REF
  // QEMU 7.2 treats WFE as YIELD and never traps it (built with -DQEMU_REF for QEMU runs).
  AT_EL0 el0_wfe
  EXPECT_ESR EC_WFX, ((1 << 24) | (0xe << 20) | 1), 15
#endif
  AT_EL0 el0_ctr
  EXPECT_ESR EC_SYSREG, ((3 << 20) | (1 << 17) | (3 << 14) | (0 << 10) | (3 << 5) | (0 << 1) | 1), 16
  AT_EL0 el0_daifset
#ifndef QEMU_REF
  EXPECT_ESR EC_SYSREG, ((0 << 20) | (6 << 17) | (3 << 14) | (4 << 10) | (31 << 5) | (2 << 1) | 0), 17
#else
  // QEMU 7.2's daif_check() swaps Op1 and Op2 in this syndrome.
  EXPECT_ESR EC_SYSREG, ((0 << 20) | (3 << 17) | (6 << 14) | (4 << 10) | (31 << 5) | (2 << 1) | 0), 17
#endif
  AT_EL0 el0_mrs_daif
  EXPECT_ESR EC_SYSREG, ((3 << 20) | (1 << 17) | (3 << 14) | (4 << 10) | (5 << 5) | (2 << 1) | 1), 18
  AT_EL0 el0_dczva
  EXPECT_ESR EC_SYSREG, ((1 << 20) | (1 << 17) | (3 << 14) | (7 << 10) | (6 << 5) | (4 << 1) | 0), 19

  // With the traps disabled, the same instructions run at EL0 (then SVC back).
  MOV64 x0, (SCTLR_RES1 | SCTLR_SA | SCTLR_SA0 | SCTLR_UCT | SCTLR_nTWI | SCTLR_nTWE | (1 << 9))
  msr sctlr_el1, x0
  isb
  AT_EL0 el0_allowed
  EXPECT_ESR EC_SVC, 0x1, 20
  MOV64 x0, 0x8444c004
  mrs x1, ctr_el0
  EXPECT_EQ x3, x1, 21     // CTR_EL0 read at EL0 matches EL1's view
  EXPECT x4, 0x80, 22      // DAIF after msr daifset, #2 at EL0: I set

  // Instruction abort from EL0 (fetch beyond the PA range): EC 0x20, FAR = ELR = target.
  AT_EL0 el0_iabt
  EXPECT_ESR EC_IABT_LOWER, 0x00, 23
  EXPECT x24, 0x0004000040000000, 24
  EXPECT x23, 0x0004000040000000, 25

  // ERET to EL0 with SPSR.M = EL0h (0b00001) is an illegal return: IL set, still at EL1.
  mov x9, #1
  msr spsr_el1, x9
  adr x9, 1f
  msr elr_el1, x9
  eret
1:
  EXIT 26
  .globl vec_cur_spx_sync
vec_cur_spx_sync:
  mrs x22, esr_el1
  EXPECT x22, ((EC_ILLEGAL << 26) | (1 << 25)), 27
  mrs x25, spsr_el1
  EXPECT x25, ((1 << 20) | 0x5), 28 // NZCV and DAIF came from SPSR; EL1h kept, IL set

  PUTS "el0: ok\n"
  EXIT 0

// EL0 code: each piece ends in an exception.
el0_svc:
  mov x1, sp
  svc #0x77
el0_brk:
  brk #0x9
el0_currentel:
  mrs x0, currentel
el0_sctlr:
  mrs x0, sctlr_el1
el0_spsel:
  msr spsel, #1
el0_eret:
  eret
el0_tlbi:
  tlbi vmalle1
el0_wfi:
  wfi
el0_wfe:
  wfe
el0_ctr:
  mrs x3, ctr_el0
el0_daifset:
  msr daifset, #2
el0_mrs_daif:
  mrs x5, daif
el0_dczva:
  dc zva, x6
el0_allowed:
  mrs x3, ctr_el0
  msr daifset, #2
  mrs x4, daif
  sevl
  wfe              // the event register is set: no wait
  svc #1
el0_iabt:
  MOV64 x0, 0x0004000040000000
  br x0
