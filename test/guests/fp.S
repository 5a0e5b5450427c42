// FP/SIMD access control: CPACR_EL1.FPEN traps (EC 0x07, CV = 1, COND = 0b1110) at EL1 and
// EL0 for FPCR/FPSR accesses and FP instructions, and the FPCR/FPSR writable bits.
// FP and AdvSIMD instructions run once CPACR_EL1.FPEN allows them.
#include "bm-asm.h"

#define FP_TRAP_ESR ((EC_FP << 26) | (1 << 25) | (1 << 24) | (0xe << 20))

  .text
  .globl vec_cur_spx_sync
vec_cur_spx_sync:
  mov x28, #4
  b record
  .globl vec_lower64_sync
vec_lower64_sync:
  mov x28, #8
record:
  mrs x22, esr_el1
  mrs x23, elr_el1
  mov x9, #0x3c5
  msr spsr_el1, x9
  msr elr_el1, x26
  eret

.macro TRAP insn:vararg
  adr x26, 9010f
  mov x28, #0xff
9011:
  \insn
9010:
.endm

// Expects the last TRAP to have taken an FP access trap to vector `vec` at the instruction.
.macro EXPECT_FP_TRAP vec, code
  EXPECT x28, \vec, \code
  EXPECT x22, FP_TRAP_ESR, (\code + 100)
  adr x0, 9011b
  EXPECT_EQ x23, x0, (\code + 200)
.endm

// Runs `insn` at EL0, then comes back with SVC (or the trap).
.macro AT_EL0 insn:vararg
  adr x9, 9021f
  msr elr_el1, x9
  msr spsr_el1, xzr
  adr x26, 9020f
  mov x28, #0xff
  eret
9021:
  \insn
  svc #0
9020:
.endm

.macro CPACR fpen
  MOV64 x0, ((\fpen) << 20)
  msr cpacr_el1, x0
  isb
.endm

  .globl main
main:
  PUTS "fp: start\n"
  mov x0, #0x8000
  msr sp_el0, x0

  CPACR 0
  TRAP mrs x1, fpcr
  EXPECT_FP_TRAP 4, 1
  TRAP msr fpsr, xzr
  EXPECT_FP_TRAP 4, 2
  TRAP fmov d0, x1
  EXPECT_FP_TRAP 4, 3
  TRAP add v0.4s, v1.4s, v2.4s
  EXPECT_FP_TRAP 4, 4
  CPACR 2 // 0b10 traps at EL1 and EL0 as 0b00 does
  TRAP mrs x1, fpsr
  EXPECT_FP_TRAP 4, 5

  // FPEN = 0b01: EL1 may, EL0 traps (to the lower-EL vector).
  CPACR 1
  MOV64 x1, 0x07c00000    // AHP, DN, FZ, RMode
  msr fpcr, x1
  mrs x2, fpcr
  EXPECT x2, 0x07c00000, 6
  msr fpcr, xzr
  mrs x2, fpcr
  EXPECT x2, 0, 7
  MOV64 x1, 0x0800009f    // QC, IDC, IXC, UFC, OFC, DZC, IOC
  msr fpsr, x1
  mrs x2, fpsr
  EXPECT x2, 0x0800009f, 8
  msr fpsr, xzr
  mrs x2, fpsr
  EXPECT x2, 0, 9
  adr x26, 1f
  AT_EL0 mrs x1, fpcr
1:
  EXPECT x28, 8, 10
  EXPECT x22, FP_TRAP_ESR, 11
  AT_EL0 fmov d0, x1
  EXPECT x28, 8, 12
  EXPECT x22, FP_TRAP_ESR, 13

  // FPEN = 0b11: EL0 may too.
  CPACR 3
  AT_EL0 mrs x1, fpcr
  EXPECT x28, 8, 14
  EXPECT x22, ((EC_SVC << 26) | (1 << 25)), 15
  MOV64 x1, 0x1234
  AT_EL0 fmov d0, x1
  EXPECT x22, ((EC_SVC << 26) | (1 << 25)), 16
  fmov x2, d0
  EXPECT x2, 0x1234, 17

  PUTS "fp: ok\n"
  EXIT 0
