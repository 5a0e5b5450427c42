// Exception entry and return at EL1: SVC, BRK, UNDEFINED, data and instruction aborts,
// PC alignment, illegal exception return, SPSel and the SP_EL0 vectors, DAIF masking.
// Needs only branches, data-processing immediate and system instructions.
#include "bm-asm.h"

// Every handler records the syndrome registers and resumes at x26 (set before each trap):
// x22 ESR, x23 ELR, x24 FAR, x25 SPSR, x27 DAIF inside the handler, x28 the vector number
// (x9 is scratch).
.macro HANDLER name, n
  .globl \name
\name:
  mov x28, #\n
  b record
.endm

  .text
record:
  mrs x22, esr_el1
  mrs x23, elr_el1
  mrs x24, far_el1
  mrs x25, spsr_el1
  mrs x27, daif
  and x9, x25, #~(1 << 20) // return without PSTATE.IL, or the illegal state repeats
  msr spsr_el1, x9
  msr elr_el1, x26
  eret

HANDLER vec_cur_sp0_sync, 0
HANDLER vec_cur_spx_sync, 4

// Runs `insn` with x26 = the address after it, where the handler resumes.
.macro TRAP insn:vararg
  adr x26, 9010f
  mov x28, #0xff
  \insn
9010:
.endm

  .globl main
main:
  PUTS "exc: start\n"
  mrs x0, currentel
  EXPECT x0, 4, 1

  // SVC: EC 0x15, IL, ISS = imm16; ELR = the next instruction; SPSR = EL1h with DAIF as it was.
  msr daifclr, #0xf
  adr x26, 1f
  mov x28, #0xff
svc_insn:
  svc #0x1234
1:
  EXPECT x28, 4, 2
  EXPECT x22, ((EC_SVC << 26) | (1 << 25) | 0x1234), 3
  adr x0, svc_insn + 4
  EXPECT_EQ x23, x0, 30
  EXPECT x25, 0x5, 4  // SPSR: EL1h, NZCV and DAIF clear
  EXPECT x27, 0x3c0, 5 // DAIF masked on entry
  mrs x0, daif
  EXPECT x0, 0, 6 // and restored by ERET

  // BRK: EC 0x3c, ISS = imm16, ELR = the BRK itself.
  adr x26, 1f
brk_insn:
  brk #0x42
1:
  EXPECT x22, ((EC_BRK << 26) | (1 << 25) | 0x42), 7
  adr x0, brk_insn
  EXPECT_EQ x23, x0, 31

  // UNDEFINED (UDF #0 and a write to the read-only MIDR_EL1): EC 0, IL set, ELR = the insn.
  adr x26, 1f
udf_insn:
  .inst 0x00000000
1:
  EXPECT x22, (1 << 25), 8
  adr x0, udf_insn
  EXPECT_EQ x23, x0, 32
  TRAP msr s3_0_c0_c0_0, x0
  EXPECT x22, (1 << 25), 9

  // Data abort: DC ZVA (a store) beyond the physical address range with the MMU off is an
  // Address size fault at level 0: EC 0x25, WnR, DFSC 0; FAR = the address.
  MOV64 x1, 0x0004000040000000
  TRAP dc zva, x1
  EXPECT x22, ((EC_DABT_CUR << 26) | (1 << 25) | (1 << 6) | 0x00), 10
  EXPECT x24, 0x0004000040000000, 11

  // Instruction abort: branching there faults on fetch: EC 0x21, IFSC 0, FAR = ELR = target.
  adr x26, 1f
  br x1
1:
  EXPECT x22, ((EC_IABT_CUR << 26) | (1 << 25) | 0x00), 12
  EXPECT x24, 0x0004000040000000, 13
  EXPECT x23, 0x0004000040000000, 14

  // PC alignment fault: EC 0x22, FAR = ELR = the misaligned target.
  adr x1, pc_align_target
  add x1, x1, #2
  adr x26, 1f
  br x1
1:
  EXPECT x22, ((EC_PC_ALIGN << 26) | (1 << 25)), 15
  EXPECT_EQ x23, x1, 33
  EXPECT_EQ x24, x1, 34

  // SPSel: SP_EL0 and SP_EL1 are separate; with SPSel = 0 exceptions use the SP_EL0 vectors.
  mov x0, #0x1000
  msr sp_el0, x0
  mov x2, sp
  msr spsel, #0
  mov x0, sp
  EXPECT x0, 0x1000, 16
  mov x0, #0x2000
  mov sp, x0
  TRAP svc #1
  EXPECT x28, 0, 17   // current EL with SP0
  EXPECT x25, 0x4, 18 // SPSR.M = EL1t
  mrs x0, spsel
  EXPECT x0, 0, 19
  msr spsel, #1
  mrs x0, sp_el0
  EXPECT x0, 0x2000, 20
  mov x0, sp          // back on SP_EL1, unchanged
  EXPECT_EQ x0, x2, 21

  // Illegal exception return (SPSR.M = EL2h): PSTATE.IL is set, EL and SP are kept, and the
  // next instruction takes an Illegal Execution state exception (EC 0x0e) with SPSR.IL set.
  mov x0, #0x9        // EL2h
  msr spsr_el1, x0
  adr x0, illegal_target
  msr elr_el1, x0
  adr x26, 1f
  isb
  eret
1:
  EXPECT x28, 4, 22
  EXPECT x22, ((EC_ILLEGAL << 26) | (1 << 25)), 23
  EXPECT x25, ((1 << 20) | 0x5), 24 // IL, EL1h kept
  adr x0, illegal_target
  EXPECT_EQ x23, x0, 35
  mrs x0, currentel
  EXPECT x0, 4, 25

  PUTS "exc: ok\n"
  EXIT 0

pc_align_target:
  nop
illegal_target:
  nop
  EXIT 91
