/*
 * Entry of the bootargs guest, position independent (it runs wherever it is loaded): x0 as the
 * boot loader left it, our own address, a stack, then C.
 */
  .section .text.boot, "ax"
  .global _start
_start:
  adr x1, _start
  adrp x2, stack_top
  add x2, x2, :lo12:stack_top
  mov sp, x2
  bl guest_main
1: b 1b

  .section .bss
  .balign 16
  .space 8192
stack_top:
