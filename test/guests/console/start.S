/* Entry of the console guest: a stack, then C. */
  .section .text.boot, "ax"
  .global _start
_start:
  ldr x1, =stack_top
  mov sp, x1
  bl guest_main
1: b 1b

  .section .bss
  .balign 16
  .space 8192
stack_top:
