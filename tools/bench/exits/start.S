/*
 * The exit-latency benchmark guest (npm run bench:exits), for QEMU virt and Dormouse alike: two
 * vCPUs, MMU off. vCPU 0 times HVC round trips (PSCI_VERSION), MMIO reads of the PL011's flag
 * register from EL1 and from EL0, and IPIs: an SGI to vCPU 1, which waits in WFI, acknowledges it
 * and bumps a counter that vCPU 0 spins on. It prints the raw counter ticks on the PL011:
 *   exits: freq=<CNTFRQ> n=<iterations> ipi_n=<iterations> hvc=<ticks> mmio=<ticks> mmio_el0=<ticks> ipi=<ticks>
 * and powers off with PSCI SYSTEM_OFF.
 */
#define UART 0x09000000
#define GICD 0x08000000
#define GICR1 0x080C0000 /* vCPU 1's redistributor (RD frame; SGI frame at +0x10000) */
#define N 200000
/* Each loop runs twice and the second pass is timed: both VMMs' translated code and
 * (Dormouse) V8's optimised tiers of its core and exit paths are warm by then, so the figures
 * are exit latencies, not first compilations. */
#define PASSES 2
#define IPI_N 2000

  .section .text.start, "ax"
  .global _start
_start:
  ldr x0, =stack0_top
  mov sp, x0
  adr x0, vectors
  msr vbar_el1, x0
  mov x0, #2                      /* CNTKCTL_EL1.EL0VCTEN: EL0 reads the virtual counter */
  msr cntkctl_el1, x0
  mrs x0, icc_sre_el1
  orr x0, x0, #1
  msr icc_sre_el1, x0
  isb
  /* GIC distributor: affinity routing, group 1 enabled. */
  ldr x1, =GICD
  mov w0, #((1 << 4) | (1 << 1) | 1)
  str w0, [x1]
  /* Start vCPU 1 (PSCI CPU_ON64, HVC conduit). */
  ldr x0, =0xc4000003
  mov x1, #1
  adr x2, secondary
  mov x3, #0
  hvc #0
  cbnz x0, fail
1:ldr x1, =ready                  /* wait for vCPU 1 to be set up */
  ldr w0, [x1]
  cbz w0, 1b

  /* HVC round trips: the same loop twice, the first pass warming up, the second timed. */
  mov x28, #PASSES
9:ldr x19, =N
  mrs x20, cntvct_el0
2:mov x0, #0x84000000             /* PSCI_VERSION */
  hvc #0
  subs x19, x19, #1
  b.ne 2b
  mrs x0, cntvct_el0
  sub x21, x0, x20                /* x21 = hvc ticks */
  subs x28, x28, #1
  b.ne 9b

  /* MMIO reads from EL1. */
  ldr x1, =(UART + 0x18)
  mov x28, #PASSES
9:ldr x19, =N
  isb
  mrs x20, cntvct_el0
3:ldr w0, [x1]
  subs x19, x19, #1
  b.ne 3b
  isb
  mrs x0, cntvct_el0
  sub x22, x0, x20                /* x22 = mmio ticks */
  subs x28, x28, #1
  b.ne 9b

  /* MMIO reads from EL0: ERET to el0_loop, which comes back with SVC (x23 = its ticks). */
  mov x0, #0x3c0                  /* EL0t, DAIF masked */
  msr spsr_el1, x0
  adr x0, el0_loop
  msr elr_el1, x0
  ldr x1, =(UART + 0x18)
  eret

el0_back:
  /* IPIs: SGI 1 to vCPU 1 (ICC_SGI1R_EL1: INTID 1, target list = vCPU 1), wait for its count. */
  ldr x24, =done
  ldr x26, =((1 << 24) | (1 << 1))
  mov x28, #PASSES
9:mov x19, #IPI_N
  mov x25, #0                     /* x25 = ipi ticks */
4:ldr w27, [x24]
  isb
  mrs x20, cntvct_el0
  msr icc_sgi1r_el1, x26
  isb
5:ldr w0, [x24]
  cmp w0, w27
  b.eq 5b
  isb
  mrs x0, cntvct_el0
  sub x0, x0, x20
  add x25, x25, x0
  subs x19, x19, #1
  b.ne 4b
  subs x28, x28, #1
  b.ne 9b

  /* Report. */
  adr x0, s_head
  bl puts
  mrs x0, cntfrq_el0
  bl putdec
  adr x0, s_n
  bl puts
  ldr x0, =N
  bl putdec
  adr x0, s_ipin
  bl puts
  mov x0, #IPI_N
  bl putdec
  adr x0, s_hvc
  bl puts
  mov x0, x21
  bl putdec
  adr x0, s_mmio
  bl puts
  mov x0, x22
  bl putdec
  adr x0, s_mmio0
  bl puts
  mov x0, x23
  bl putdec
  adr x0, s_ipi
  bl puts
  mov x0, x25
  bl putdec
  mov x0, #10
  bl putc
off:
  ldr x0, =0x84000008             /* SYSTEM_OFF */
  hvc #0
  b off
fail:
  adr x0, s_fail
  bl puts
  b off

el0_loop:
  mov x28, #PASSES
9:ldr x19, =N
  isb
  mrs x20, cntvct_el0
6:ldr w0, [x1]
  subs x19, x19, #1
  b.ne 6b
  isb
  mrs x0, cntvct_el0
  sub x23, x0, x20
  subs x28, x28, #1
  b.ne 9b
  svc #0

/* vCPU 1: redistributor awake, SGI 1 enabled in group 1, then WFI / acknowledge / count. */
secondary:
  ldr x0, =stack1_top
  mov sp, x0
  mrs x0, icc_sre_el1
  orr x0, x0, #1
  msr icc_sre_el1, x0
  isb
  ldr x1, =GICR1
  ldr w0, [x1, #0x14]             /* GICR_WAKER: ProcessorSleep off, wait for ChildrenAsleep off */
  bic w0, w0, #2
  str w0, [x1, #0x14]
7:ldr w0, [x1, #0x14]
  tbnz w0, #2, 7b
  add x1, x1, #0x10000
  mov w0, #2
  str w0, [x1, #0x80]             /* GICR_IGROUPR0: SGI 1 in group 1 */
  str w0, [x1, #0x100]            /* GICR_ISENABLER0: enable SGI 1 */
  mov x0, #0xff
  msr icc_pmr_el1, x0
  mov x0, #1
  msr icc_igrpen1_el1, x0
  isb
  ldr x2, =done
  ldr x1, =ready
  mov w0, #1
  str w0, [x1]
8:wfi                             /* IRQs stay masked: WFI wakes on the pending SGI anyway */
  mrs x0, icc_iar1_el1
  cmp x0, #1023
  b.eq 8b
  msr icc_eoir1_el1, x0
  ldr w3, [x2]
  add w3, w3, #1
  str w3, [x2]
  dsb sy
  b 8b

#include "pl011-print.h"

  .balign 2048
vectors:
  .rept 8                         /* current EL and SP0/SPx entries: unexpected */
  .balign 128
  b fail
  .endr
  .balign 128                     /* lower EL, AArch64, synchronous: the SVC from el0_loop */
  b el0_back
  .rept 7
  .balign 128
  b fail
  .endr

s_head: .asciz "exits: freq="
s_n: .asciz " n="
s_ipin: .asciz " ipi_n="
s_hvc: .asciz " hvc="
s_mmio: .asciz " mmio="
s_mmio0: .asciz " mmio_el0="
s_ipi: .asciz " ipi="
s_fail: .asciz "exits: FAILED\n"

  .section .data
  .balign 8
ready: .word 0
  .balign 64
done: .word 0

  .section .bss
  .balign 16
  .space 4096
stack0_top:
  .space 4096
stack1_top:
