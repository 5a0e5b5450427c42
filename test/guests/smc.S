// Self-modifying code: code overwritten (DC ZVA turns it into UDF #0) and made visible with
// DC/IC maintenance and ISB must run as written, with the MMU off, with it on, and through a
// second virtual alias of the same physical page; also code overwritten just ahead of the
// instruction stream in the same straight-line run.
#include "bm-asm.h"

  .text
  .globl vec_cur_spx_sync
vec_cur_spx_sync:
  mrs x22, esr_el1
  mrs x23, elr_el1
  mov x28, #4
  msr elr_el1, x26
  eret

.macro TRAP insn:vararg
  adr x26, 9010f
  mov x28, #0xff
  \insn
9010:
.endm

// Makes the 64 bytes at x1 (through VA x1) zero and visible to instruction fetch.
.macro ZAP_CODE
  dc zva, x1
  dsb ish
  ic ivau, x1
  dsb ish
  isb
.endm

// Calls the 64-byte function `f` (returns 7), zaps it through address `via`, and checks the
// next call is UNDEFINED at f.
.macro CHECK_ZAP f, via, code
  mov x0, #0
  bl \f
  EXPECT x0, 7, \code
  \via
  ZAP_CODE
  TRAP bl \f
  EXPECT x28, 4, (\code + 1)
  EXPECT x22, (1 << 25), (\code + 2)
  adr x0, \f
  EXPECT_EQ x23, x0, (\code + 3)
.endm

.macro VIA_SAME f
  adr x1, \f
.endm
.macro VIA_ALIAS f
  adr x1, \f
  eor x1, x1, #0xc0000000 // 0x4xxxxxxx -> 0x8xxxxxxx: l1[2] maps it onto RAM too
.endm

  .globl main
main:
  PUTS "smc: start\n"
  CHECK_ZAP f1, "VIA_SAME f1", 10

  // Straight-line: the zapped block follows right after the ISB.
  adr x1, ahead
  adr x26, 1f
  mov x28, #0xff
  ZAP_CODE
  .balign 64
ahead:
  .rept 16
  nop
  .endr
  EXIT 20
1:
  EXPECT x28, 4, 21
  adr x0, ahead
  EXPECT_EQ x23, x0, 22

  MMU_ON l1
  CHECK_ZAP f2, "VIA_SAME f2", 30
  CHECK_ZAP f3, "VIA_ALIAS f3", 40

  PUTS "smc: ok\n"
  EXIT 0

.macro FUNC name
  .balign 64
\name:
  mov x0, #7
  ret
  .balign 64
.endm
  FUNC f1
  FUNC f2
  FUNC f3

  .section .data.pagetables, "aw"
  .balign 4096
l1:
  .quad 0 + DEVICE_BLOCK
  .quad 0x40000000 + NORMAL_BLOCK
  .quad 0x40000000 + NORMAL_BLOCK
  .fill 509, 8, 0
