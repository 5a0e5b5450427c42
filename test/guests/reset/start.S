/*
 * Reset guest: the first boot leaves a mark in RAM above the image (RAM survives a system
 * reset; the image is reloaded) and calls SYSTEM_RESET; the second boot sees the mark, reports
 * and powers off.
 */
  .section .text.boot, "ax"
  .global _start
_start:
  ldr x9, =0x40400000         /* the mark */
  ldr x10, =0x09000000        /* PL011 data register */
  ldr x11, [x9]
  ldr x12, =0x7265626f6f746564
  cmp x11, x12
  b.eq 2f
  str x12, [x9]
  adr x1, first
  bl puts
  movz x0, #9                 /* SYSTEM_RESET */
  movk x0, #0x8400, lsl #16
  hvc #0
1: b 1b
2:
  adr x1, second
  bl puts
  movz x0, #8                 /* SYSTEM_OFF */
  movk x0, #0x8400, lsl #16
  hvc #0
  b 1b

puts:
  ldrb w2, [x1], #1
  cbz w2, 3f
  str w2, [x10]
  b puts
3: ret

first: .asciz "first boot: resetting\n"
second: .asciz "second boot after reset\n"
