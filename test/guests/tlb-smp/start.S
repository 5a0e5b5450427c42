/*
 * Two vCPUs, one shared TLB question: translations cached while one vCPU runs must never reach
 * the other when they are stale for it. For QEMU virt and Dormouse alike (PL011 output, PSCI
 * over HVC). Dormouse keeps its TLB across a vCPU switch when both vCPUs' translation
 * registers are the same (src/cpu/cpu.ts restoreContext), so:
 *   phase 1: both vCPUs on the same tables and ASID. vCPU 0 remaps page X between pages A and B
 *     each round (break-before-make, TLBI VAE1IS, DSB ISH) and reads X itself; vCPU 1 then reads
 *     X and must see the new page, having read the old one the round before.
 *   phase 2: vCPU 1 switches to its own tables with another ASID that map X (non-global) to page
 *     C; the two take turns reading X, each right after the other, and each must see its own.
 * Prints "tlb-smp: ok rounds=<n>" or "tlb-smp: FAIL <check>" and powers off (SYSTEM_OFF).
 */
#define UART 0x09000000
/* X's last-level entry is not the first: the core's TLB is direct-mapped, and a VA whose slot
 * the code page (0x40000000) shares would be refilled by every fetch and never go stale. */
#define X_VA 0x80064000
#define X_PTE (((X_VA >> 12) & 511) * 8)
#define ROUNDS 300

#define PTE_TABLE 3
#define PTE_AF (1 << 10)
#define PTE_NG (1 << 11)
#define NORMAL (PTE_AF | (3 << 8) | (1 << 2))   /* attr 1 (normal WB), inner shareable */
#define DEVICE_BLOCK (1 | PTE_AF)               /* attr 0 (device nGnRnE); PXN UXN set apart */
#define NORMAL_BLOCK (1 | NORMAL)
#define NORMAL_PAGE (3 | NORMAL | PTE_NG)
#define TCR (25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
#define SCTLR ((0x30d00800) | 1 | (1 << 2) | (1 << 12))

  .section .text.boot, "ax"
  .global _start
_start:
  ldr x0, =stack0_top
  mov sp, x0
  adr x0, vectors
  msr vbar_el1, x0
  bl build_tables
  ldr x0, =l1_0
  orr x0, x0, #(1 << 48)          /* ASID 1 */
  bl mmu_on
  ldr x0, =0xc4000003             /* CPU_ON64: vCPU 1 at secondary */
  mov x1, #1
  adr x2, secondary
  mov x3, #0
  hvc #0
  mov x9, #1
  cbnz x0, fail
  ldr x1, =ready
1:ldr w0, [x1]
  cbnz w0, 2f
  wfe
  b 1b

  /* Phase 1. */
2:mov x19, #1
  ldr x20, =(l3_a + X_PTE)
  ldr x21, =X_VA
3:ldr x1, =page_a                 /* odd rounds page B, even rounds page A */
  ldr x2, =page_b
  tst x19, #1
  csel x1, x2, x1, ne
  bl remap
  ldr w0, [x21]                   /* vCPU 0 sees the new page itself (and caches it) */
  ldr w1, =0xbbbb
  ldr w2, =0xaaaa
  tst x19, #1
  csel w1, w1, w2, ne
  mov x9, #2
  cmp w0, w1
  b.ne fail
  ldr x1, =flag
  str w19, [x1]
  dsb ish
  sev
  bl wait_ack
  add x19, x19, #1
  cmp x19, #ROUNDS
  b.ls 3b

  /* Phase 2: X maps page A again here; vCPU 1 moves to its own tables (ASID 2, page C). */
  ldr x1, =page_a
  bl remap
4:ldr w0, [x21]
  mov x9, #3
  ldr w1, =0xaaaa
  cmp w0, w1
  b.ne fail
  ldr x1, =flag
  str w19, [x1]
  dsb ish
  sev
  bl wait_ack
  add x19, x19, #1
  cmp x19, #(2 * ROUNDS)
  b.ls 4b

  adr x0, s_ok
  bl puts
  mov x0, #ROUNDS
  bl putdec
  mov x0, #10
  bl putc
off:
  ldr x0, =0x84000008             /* SYSTEM_OFF */
  hvc #0
  b off

/* fail: x9 = the check that failed. */
fail:
  adr x0, s_fail
  bl puts
  mov x0, x9
  bl putdec
  mov x0, #10
  bl putc
  b off

/* remap(x1 = page): X (its entry at x20) maps the page, by break-before-make with TLBI VAE1IS. */
remap:
  str xzr, [x20]                  /* break */
  dsb ishst
  ldr x0, =((X_VA >> 12) | (1 << 48))  /* VA[55:12], ASID 1 */
  tlbi vae1is, x0
  dsb ish
  ldr x2, =NORMAL_PAGE            /* make */
  orr x1, x1, x2
  str x1, [x20]
  dsb ish
  isb
  ret

/* Waits until vCPU 1 acknowledges round x19; fails with its check if it reported one. */
wait_ack:
  ldr x1, =ack
  ldr x3, =result
1:ldr w0, [x1]
  cmp w0, w19
  b.ne 1b
  ldr w9, [x3]
  cbnz w9, fail
  ret

secondary:
  ldr x0, =stack1_top
  mov sp, x0
  adr x0, vectors
  msr vbar_el1, x0
  ldr x0, =l1_0
  orr x0, x0, #(1 << 48)
  bl mmu_on
  ldr x1, =ready
  mov w0, #1
  str w0, [x1]
  dsb ish
  sev
  mov x19, #1
  ldr x21, =X_VA
  ldr x22, =flag
  ldr x23, =ack
  ldr x24, =result
5:ldr w0, [x22]                   /* wait for round x19 */
  cmp w0, w19
  b.ne 5b
  cmp x19, #(ROUNDS + 1)          /* first round of phase 2: own tables, ASID 2 */
  b.ne 7f
  ldr x0, =l1_1
  orr x0, x0, #(2 << 48)
  msr ttbr0_el1, x0
  isb
7:ldr w0, [x21]
  cmp x19, #ROUNDS
  b.hi 8f
  ldr w1, =0xbbbb                 /* phase 1: the page vCPU 0 just mapped */
  ldr w2, =0xaaaa
  tst x19, #1
  csel w1, w1, w2, ne
  mov w3, #10
  b 9f
8:ldr w1, =0xcccc                 /* phase 2: its own page */
  mov w3, #11
9:cmp w0, w1
  b.eq 10f
  str w3, [x24]
10:
  str w19, [x23]
  dsb ish
  sev
  add x19, x19, #1
  cmp x19, #(2 * ROUNDS)
  b.ls 5b
11:wfe
  b 11b

/*
 * Tables (both roots): 0-1 GB device (GIC, UART), 1-2 GB RAM identity, X_VA a 4 KB page:
 * l1_0 -> l2_a -> l3_a (page A), l1_1 -> l2_b -> l3_b (page C).
 */
build_tables:
  ldr x0, =l1_0
  ldr x1, =l1_1
  mov x2, #DEVICE_BLOCK
  movk x2, #(3 << 5), lsl #48     /* PXN, UXN (bits 53, 54) */
  str x2, [x0]
  str x2, [x1]
  mov x2, #0x40000000
  ldr x3, =NORMAL_BLOCK
  orr x2, x2, x3
  str x2, [x0, #8]
  str x2, [x1, #8]
  ldr x2, =l2_a
  orr x2, x2, #PTE_TABLE
  str x2, [x0, #16]
  ldr x2, =l2_b
  orr x2, x2, #PTE_TABLE
  str x2, [x1, #16]
  ldr x0, =l2_a
  ldr x2, =l3_a
  orr x2, x2, #PTE_TABLE
  str x2, [x0]
  ldr x0, =l2_b
  ldr x2, =l3_b
  orr x2, x2, #PTE_TABLE
  str x2, [x0]
  ldr x3, =NORMAL_PAGE
  ldr x0, =(l3_a + X_PTE)
  ldr x2, =page_a
  orr x2, x2, x3
  str x2, [x0]
  ldr x0, =(l3_b + X_PTE)
  ldr x2, =page_c
  orr x2, x2, x3
  str x2, [x0]
  dsb ish
  ret

/* mmu_on(x0 = TTBR0 value). */
mmu_on:
  ldr x1, =0x44ff00
  msr mair_el1, x1
  ldr x1, =TCR
  msr tcr_el1, x1
  msr ttbr0_el1, x0
  isb
  tlbi vmalle1
  dsb nsh
  isb
  ldr x1, =SCTLR
  msr sctlr_el1, x1
  isb
  ret

#include "pl011-print.h"

  .balign 2048
vectors:
  .rept 16
  .balign 128
  mov x9, #99                     /* any exception */
  b fail
  .endr

s_ok: .asciz "tlb-smp: ok rounds="
s_fail: .asciz "tlb-smp: FAIL "

  .section .data
  .balign 4096
l1_0: .space 4096
l1_1: .space 4096
l2_a: .space 4096
l2_b: .space 4096
l3_a: .space 4096
l3_b: .space 4096
page_a: .word 0xaaaa
  .balign 4096
page_b: .word 0xbbbb
  .balign 4096
page_c: .word 0xcccc
  .balign 4096
ready: .word 0
  .balign 64
flag: .word 0
  .balign 64
ack: .word 0
  .balign 64
result: .word 0
  .balign 16
  .space 4096
stack0_top:
  .space 4096
stack1_top:
