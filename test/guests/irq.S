// Interrupts driven by the host (our core only: it asks the host for interrupt-line changes
// with HVC #n, see test/cpu/exc-irq.test.ts): masking by PSTATE.{I,F,A}, ISR_EL1, the IRQ,
// FIQ and SError vectors for the current EL and from EL0, FIQ before IRQ, SPSR/ELR on entry,
// and WFI waking on an interrupt that stays masked.
#include "bm-asm.h"

#define RAISE_IRQ 1
#define RAISE_FIQ 2
#define RAISE_SERROR 4
#define LOWER_ALL 8

  .text
// Every asynchronous vector records x23 ELR, x25 SPSR, x27 DAIF, x28 the vector number and
// x22 ESR, lowers the lines and returns (x26 != 0 resumes there at EL1 instead).
.macro ASYNC name, n
  .globl \name
\name:
  mov x28, #\n
  b record
.endm
ASYNC vec_cur_spx_irq, 5
ASYNC vec_cur_spx_fiq, 6
ASYNC vec_cur_spx_serror, 7
ASYNC vec_lower64_irq, 9
record:
  mrs x22, esr_el1
  mrs x23, elr_el1
  mrs x25, spsr_el1
  mrs x27, daif
  hvc #LOWER_ALL
  cbz x26, 1f
  msr elr_el1, x26
  mov x9, #0x3c5
  msr spsr_el1, x9
1:
  eret

  .globl main
main:
  PUTS "irq: start\n"
  mov x26, #0
  mov x28, #0xff
  // Masked: nothing is taken, ISR_EL1 shows what is pending.
  hvc #RAISE_IRQ
  mrs x0, isr_el1
  EXPECT x0, 0x80, 1
  EXPECT x28, 0xff, 2
  // Unmasking IRQ takes it before the next instruction.
  msr daifclr, #2
irq_ret:
  EXPECT x28, 5, 3
  adr x0, irq_ret
  EXPECT_EQ x23, x0, 4
  EXPECT x25, 0x345, 5    // EL1h, D, A, F masked, I clear
  EXPECT x27, 0x3c0, 6    // everything masked in the handler
  mrs x0, isr_el1
  EXPECT x0, 0, 7
  mrs x0, daif
  EXPECT x0, 0x340, 8     // ERET restored PSTATE

  // WFI with the interrupt masked: the host raises IRQ while we wait; WFI completes, nothing
  // is taken until PSTATE.I is cleared.
  msr daifset, #2
  mov x28, #0xff
  wfi
  mrs x0, isr_el1
  EXPECT x0, 0x80, 9
  EXPECT x28, 0xff, 10
  msr daifclr, #2
  EXPECT x28, 5, 11

  // FIQ is taken before IRQ.
  msr daifset, #3
  hvc #(RAISE_IRQ | RAISE_FIQ)
  mrs x0, isr_el1
  EXPECT x0, 0xc0, 12
  mov x28, #0xff
  msr daifclr, #3
  EXPECT x28, 6, 13
  EXPECT x25, 0x305, 14   // D, A masked

  // SError (PSTATE.A): EC 0x2f in ESR_EL1.
  msr daifset, #4
  hvc #RAISE_SERROR
  mrs x0, isr_el1
  EXPECT x0, 0x100, 15
  mov x28, #0xff
  msr daifclr, #4
  EXPECT x28, 7, 16
  EXPECT x22, ((0x2f << 26) | (1 << 25)), 17

  // From EL0 (PSTATE.I clear there): the lower-EL IRQ vector, taken before the first EL0
  // instruction; ELR is that instruction.
  msr daifset, #0xf
  hvc #RAISE_IRQ
  mov x0, #0x8000
  msr sp_el0, x0
  adr x0, el0_loop
  msr elr_el1, x0
  msr spsr_el1, xzr
  adr x26, 1f
  mov x28, #0xff
  eret
1:
  EXPECT x28, 9, 18
  EXPECT x25, 0, 19
  adr x0, el0_loop
  EXPECT_EQ x23, x0, 20

  PUTS "irq: ok\n"
  EXIT 0

el0_loop:
  b el0_loop
