/*
 * Console output for the board-level assembly guests (test/guests/tlb-smp, tools/bench/exits):
 * the PL011's data register at UART (the including file defines it). Included where the
 * functions are to go. Clobbers x0-x7.
 */

/* puts(x0): a NUL-terminated string. */
puts:
  ldr x2, =UART
1:ldrb w1, [x0], #1
  cbz w1, 2f
  str w1, [x2]
  b 1b
2:ret

/* putc(w0): one character. */
putc:
  ldr x2, =UART
  str w0, [x2]
  ret

/* putdec(x0): unsigned decimal. */
putdec:
  ldr x2, =UART
  sub sp, sp, #32
  mov x3, sp
  mov x7, sp
  mov x4, #10
1:udiv x5, x0, x4
  msub x6, x5, x4, x0
  add w6, w6, #'0'
  strb w6, [x3], #1
  mov x0, x5
  cbnz x0, 1b
2:ldrb w6, [x3, #-1]!
  str w6, [x2]
  cmp x3, x7
  b.ne 2b
  add sp, sp, #32
  ret
