// Assembly for test/guests/debug.c: the EL0 programs (run from their EL0 alias) and the EL1
// helpers it declares. run_el0 enters EL0 at `entry` with SPSR, SP_EL0 and x2/x5; the EL0
// program ends with SVC #0xff, which the C handler turns into a return to el0_return (at EL1,
// DAIF masked) with the callee-saved registers restored.

  .text
  .globl run_el0
run_el0:
  stp x29, x30, [sp, #-96]!
  stp x19, x20, [sp, #16]
  stp x21, x22, [sp, #32]
  stp x23, x24, [sp, #48]
  stp x25, x26, [sp, #64]
  stp x27, x28, [sp, #80]
  msr elr_el1, x0
  msr spsr_el1, x1
  msr sp_el0, x2
  mov x2, x3
  mov x5, x4
  eret
  .globl el0_return
el0_return:
  ldp x19, x20, [sp, #16]
  ldp x21, x22, [sp, #32]
  ldp x23, x24, [sp, #48]
  ldp x25, x26, [sp, #64]
  ldp x27, x28, [sp, #80]
  ldp x29, x30, [sp], #96
  ret

// A breakpoint target: two instructions in one block.
  .globl call_target
call_target:
  mov x1, x30
  bl bp_target
  mov x30, x1
  ret
  .globl bp_target
bp_target:
  mov x0, #42
  add x0, x0, #1
  ret

// A loop hot enough to be compiled; hot_bp is in its body.
  .globl hot_loop
hot_loop:
  mov x1, #0
1:
  add x1, x1, #3
  .globl hot_bp
hot_bp:
  subs x0, x0, #1
  b.ne 1b
  mov x0, x1
  ret

// EL0: two NOPs (the second breakpointed), then exit.
  .globl el0_nops
el0_nops:
  nop
  nop
  svc #0xff

// EL0, stepped: data processing, branches, a load- and a store-exclusive, an SVC, a BRK, a
// data abort (offsets for test_step's table).
  .globl el0_steps
el0_steps:
  mov x0, #1            // +0x00
  add x0, x0, #2        // +0x04
  b 1f                  // +0x08
  nop                   // +0x0c
1:
  cbz x0, 2f            // +0x10 not taken
  ldxr x1, [x2]         // +0x14 EX
  stxr w3, x1, [x2]     // +0x18 no EX
  clrex                 // +0x1c
  svc #1                // +0x20
  mov x3, #5            // +0x24
  brk #3                // +0x28
  ldr x4, [x5]          // +0x2c data abort
2:
  mov x6, #7            // +0x30
  svc #0xff             // +0x34

// EL0: a store into a watched doubleword (x2), then exit.
  .globl el0_store
el0_store:
  str x0, [x2]
  svc #0xff

// EL0: read MDCCSR_EL0 (trapped with MDSCR_EL1.TDCC).
  .globl el0_dcc
el0_dcc:
  mrs x0, mdccsr_el0
  svc #0xff

// EL1 stepping itself: unmasking D makes the step pending at once (ISV 0), then each
// instruction steps until the handler clears MDSCR_EL1.SS.
  .globl el1_step_run
el1_step_run:
  mov x0, #0
  .globl el1_step
el1_step:
  msr daifclr, #8
  add x0, x0, #1
  add x0, x0, #1
  add x0, x0, #1
  msr daifset, #8
  ret
