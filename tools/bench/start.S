/*
 * Bare-metal start for the CPU benchmark guest (QEMU virt memory map): identity-maps RAM as
 * Normal memory and the first GiB as Device, enables the MMU, caches and FP, then calls
 * bench_main. The same image runs under qemu-system-aarch64 -M virt and Dormouse.
 */
  .section .text.start, "ax"
  .global _start
_start:
  ldr x0, =stack_top
  mov sp, x0
  /* FP/SIMD on at EL1 and EL0. */
  mov x0, #(3 << 20)
  msr cpacr_el1, x0
  /* MAIR: attr0 = Device-nGnRnE, attr1 = Normal write-back. */
  ldr x0, =0xff00
  msr mair_el1, x0
  /* L1 table: 1 GiB blocks. [0] device at 0, [1] normal at 0x40000000, [2] normal at 0x80000000. */
  adrp x1, l1_table
  ldr x2, =0x00000000000000401   /* block, AF, attr0 (device) */
  str x2, [x1, #0]
  ldr x2, =0x0000000040000705    /* block, AF, inner shareable, attr1 */
  str x2, [x1, #8]
  ldr x2, =0x0000000080000705
  str x2, [x1, #16]
  msr ttbr0_el1, x1
  /* TCR: T0SZ = 25 (39-bit VA, start at L1), 4 KB granule, WB cacheable walks, IPS = 40 bits, EPD1. */
  ldr x0, =((25) | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
  msr tcr_el1, x0
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1          /* M */
  orr x0, x0, #(1 << 2)   /* C */
  orr x0, x0, #(1 << 12)  /* I */
  msr sctlr_el1, x0
  isb
  bl bench_main
1: b 1b

  .section .bss
  .balign 4096
l1_table:
  .space 4096
  .balign 16
  .space 65536
stack_top:
