/*
 * The reproducer of issue 9's multi-access MMIO livelock: STP of two registers aimed at the
 * PL011's data register. The first register goes to the data register (its low byte is
 * printed), the second to offset 8 (not a register that prints); both happen exactly once and
 * the guest goes on, as on QEMU.
 */
  .section .text.boot, "ax"
  .global _start
_start:
  ldr x0, =0x09000000         /* PL011 data register */
  adr x1, before
  bl puts
  ldr x3, =0x6f6c6c6548       /* "Hello": only its first byte reaches the data register */
  ldr x26, =0x0a21
  stp x3, x26, [x0]
  adr x1, after
  bl puts
  movz x0, #8                 /* SYSTEM_OFF */
  movk x0, #0x8400, lsl #16
  hvc #0
1: b 1b

puts:
  ldr x10, =0x09000000
2: ldrb w2, [x1], #1
  cbz w2, 3f
  str w2, [x10]
  b 2b
3: ret

before: .asciz "before stp: "
after: .asciz "\nafter stp\n"
