// Start code and exception vectors of C guests: FP/SIMD on, identity-mapped MMU (Normal
// write-back RAM, Device for the rest of the low 1 GB), BSS zeroed with DC ZVA, then
// main(); its return value is the exit status. Every exception saves a struct bm_frame
// (bm.h) and calls bm_exception(kind, frame); returning resumes at frame->elr.
#include "bm-asm.h"

  .section .text.boot, "ax"
  .globl _start
_start:
  adrp x0, bm_vectors
  add x0, x0, :lo12:bm_vectors
  msr vbar_el1, x0
  adrp x0, __stack_top
  add x0, x0, :lo12:__stack_top
  mov sp, x0
  msr nzcv, xzr
  mov x0, #(3 << 20)
  msr cpacr_el1, x0
  isb
#ifndef BM_NO_MMU
  MMU_ON bm_l1
#endif
  adrp x0, __bss_start
  add x0, x0, :lo12:__bss_start
  adrp x1, __bss_end
  add x1, x1, :lo12:__bss_end
1:
  cmp x0, x1
  b.hs 2f
  dc zva, x0
  add x0, x0, #64
  b 1b
2:
  bl main
  bl bm_exit

// Frame: x0..x30, elr, spsr, esr, far, sp (36 words, 288 bytes).
.macro VECTOR kind
  .balign 0x80
  sub sp, sp, #288
  stp x0, x1, [sp, #0]
  mov x0, #\kind
  b bm_vector_common
.endm

  .text
  .balign 0x800
bm_vectors:
  .irp kind, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  VECTOR \kind
  .endr

bm_vector_common:
  stp x2, x3, [sp, #16]
  stp x4, x5, [sp, #32]
  stp x6, x7, [sp, #48]
  stp x8, x9, [sp, #64]
  stp x10, x11, [sp, #80]
  stp x12, x13, [sp, #96]
  stp x14, x15, [sp, #112]
  stp x16, x17, [sp, #128]
  stp x18, x19, [sp, #144]
  stp x20, x21, [sp, #160]
  stp x22, x23, [sp, #176]
  stp x24, x25, [sp, #192]
  stp x26, x27, [sp, #208]
  stp x28, x29, [sp, #224]
  mrs x1, elr_el1
  stp x30, x1, [sp, #240]
  mrs x1, spsr_el1
  mrs x2, esr_el1
  stp x1, x2, [sp, #256]
  mrs x1, far_el1
  add x2, sp, #288
  stp x1, x2, [sp, #272]
  mov x1, sp
  bl bm_exception
  ldp x30, x1, [sp, #240]
  msr elr_el1, x1
  ldr x1, [sp, #256]
  msr spsr_el1, x1
  ldp x2, x3, [sp, #16]
  ldp x4, x5, [sp, #32]
  ldp x6, x7, [sp, #48]
  ldp x8, x9, [sp, #64]
  ldp x10, x11, [sp, #80]
  ldp x12, x13, [sp, #96]
  ldp x14, x15, [sp, #112]
  ldp x16, x17, [sp, #128]
  ldp x18, x19, [sp, #144]
  ldp x20, x21, [sp, #160]
  ldp x22, x23, [sp, #176]
  ldp x24, x25, [sp, #192]
  ldp x26, x27, [sp, #208]
  ldp x28, x29, [sp, #224]
  ldp x0, x1, [sp, #0]
  add sp, sp, #288
  eret

// Identity map of the low 2 GB: devices (0-1 GB) and RAM (1-2 GB).
  .section .data.pagetables, "aw"
  .balign 4096
  .globl bm_l1
bm_l1:
  .quad 0 + DEVICE_BLOCK
  .quad 0x40000000 + NORMAL_BLOCK
  .fill 510, 8, 0
