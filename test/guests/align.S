// Alignment: SP alignment faults (SCTLR_EL1.SA, EC 0x26), misaligned data accesses to Device
// memory (MMU off: Device-nGnRnE) fault with DFSC 0x21, Normal memory allows them unless
// SCTLR_EL1.A is set. Uses loads and stores.
#include "bm-asm.h"

  .text
  .globl vec_cur_spx_sync
vec_cur_spx_sync:
  mov x28, #4
  mrs x22, esr_el1
  mrs x24, far_el1
  msr elr_el1, x26
  eret

.macro TRAP insn:vararg
  adr x26, 9010f
  mov x28, #0xff
  \insn
9010:
.endm

  .globl main
main:
  PUTS "align: start\n"
  adrp x1, buffer
  add x1, x1, :lo12:buffer

  // MMU off: data accesses are Device-nGnRnE, so a misaligned load faults (AArch64.TranslateAddressS1Off).
  // QEMU enforces this since 9.0; QEMU 7.2 (built with -DQEMU_REF) does not.
  add x2, x1, #1
  TRAP ldr x0, [x2]
#ifndef QEMU_REF
  EXPECT x28, 4, 1
  EXPECT x22, ((EC_DABT_CUR << 26) | (1 << 25) | 0x21), 2
  EXPECT_EQ x24, x2, 3
#endif
  TRAP ldr x0, [x1]          // aligned: fine
  EXPECT x28, 0xff, 4

  // SP alignment: a load with a misaligned SP base faults (EC 0x26) when SCTLR_EL1.SA is set.
  // QEMU does not implement SP alignment checking (-DQEMU_REF skips this).
#ifndef QEMU_REF
  MOV64 x0, (SCTLR_RES1 | SCTLR_SA | SCTLR_SA0)
  msr sctlr_el1, x0
  isb
  mov x3, sp
  add x0, x3, #8
  mov sp, x0
  TRAP ldr x0, [sp]
  mov sp, x3
  EXPECT x28, 4, 5
  EXPECT x22, ((EC_SP_ALIGN << 26) | (1 << 25)), 6
#endif

  // MMU on, Normal memory: misaligned accesses work, until SCTLR_EL1.A is set.
  MMU_ON l1
  MOV64 x0, 0x1122334455667788
  str x0, [x1, #16]
  add x2, x1, #17
  TRAP ldr x0, [x2]
  EXPECT x28, 0xff, 7
  EXPECT x0, 0x0011223344556677, 8
  mrs x0, sctlr_el1
  orr x0, x0, #SCTLR_A
  msr sctlr_el1, x0
  isb
  TRAP ldr x0, [x2]
  EXPECT x28, 4, 9
  EXPECT x22, ((EC_DABT_CUR << 26) | (1 << 25) | 0x21), 10
  TRAP str w0, [x2]
  EXPECT x22, ((EC_DABT_CUR << 26) | (1 << 25) | (1 << 6) | 0x21), 11

  PUTS "align: ok\n"
  EXIT 0

  .bss
  .balign 64
buffer:
  .skip 64

  .section .data.pagetables, "aw"
  .balign 4096
l1:
  .quad 0 + DEVICE_BLOCK
  .quad 0x40000000 + NORMAL_BLOCK
  .fill 510, 8, 0
