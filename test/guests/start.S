// Start code of assembly guests: vectors, stack, then `main` (which exits by itself).
#include "bm-asm.h"

  .section .text.boot, "ax"
  .globl _start
_start:
  adrp x0, vectors
  add x0, x0, :lo12:vectors
  msr vbar_el1, x0
  adrp x0, __stack_top
  add x0, x0, :lo12:__stack_top
  mov sp, x0
  isb
  msr nzcv, xzr
  bl main
  EXIT 0xff
