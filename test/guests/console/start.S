/* Entry of the console guest: a stack, then C. */
  .section .text.boot, "ax"
  .global _start
_start:
  ldr x1, =stack_top
  mov sp, x1
  bl guest_main
1: b 1b

  .global smccc
/* long smccc(fid, a1, a2, a3): HVC conduit, result in x0. */
smccc:
  hvc #0
  ret

  .section .bss
  .balign 16
  .space 8192
stack_top:
