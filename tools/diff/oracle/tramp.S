// Entry to and exit from one test case. run_case(block) saves the host's callee-saved state,
// then jumps to the copy of tramp_start placed at TRAMP_ADDR (within branch range of the code
// page), which loads every register from the block and branches to the case's code. The signal
// handler that ends a case returns (through rt_sigreturn) to case_resume, which restores the
// host state and returns from run_case.
#include "oracle.h"

  .text
  .global run_case
  .global case_resume
  .global tramp_start
  .global tramp_branch
  .global tramp_end

run_case:
  adrp x9, saved
  add x9, x9, :lo12:saved
  stp x19, x20, [x9, #0]
  stp x21, x22, [x9, #16]
  stp x23, x24, [x9, #32]
  stp x25, x26, [x9, #48]
  stp x27, x28, [x9, #64]
  stp x29, x30, [x9, #80]
  mov x10, sp
  str x10, [x9, #96]
  stp d8, d9, [x9, #104]
  stp d10, d11, [x9, #120]
  stp d12, d13, [x9, #136]
  stp d14, d15, [x9, #152]
  mrs x10, tpidr_el0
  str x10, [x9, #168]
  mov x30, x0
  movz x16, #(TRAMP_ADDR >> 16), lsl #16
  br x16

case_resume:
  adrp x9, saved
  add x9, x9, :lo12:saved
  ldp x19, x20, [x9, #0]
  ldp x21, x22, [x9, #16]
  ldp x23, x24, [x9, #32]
  ldp x25, x26, [x9, #48]
  ldp x27, x28, [x9, #64]
  ldp x29, x30, [x9, #80]
  ldr x10, [x9, #96]
  mov sp, x10
  ldp d8, d9, [x9, #104]
  ldp d10, d11, [x9, #120]
  ldp d12, d13, [x9, #136]
  ldp d14, d15, [x9, #152]
  ldr x10, [x9, #168]
  msr tpidr_el0, x10
  msr fpcr, xzr
  msr fpsr, xzr
  ret

tramp_start:
  ldp q0, q1, [x30, #LS_V + 0]
  ldp q2, q3, [x30, #LS_V + 32]
  ldp q4, q5, [x30, #LS_V + 64]
  ldp q6, q7, [x30, #LS_V + 96]
  ldp q8, q9, [x30, #LS_V + 128]
  ldp q10, q11, [x30, #LS_V + 160]
  ldp q12, q13, [x30, #LS_V + 192]
  ldp q14, q15, [x30, #LS_V + 224]
  ldp q16, q17, [x30, #LS_V + 256]
  ldp q18, q19, [x30, #LS_V + 288]
  ldp q20, q21, [x30, #LS_V + 320]
  ldp q22, q23, [x30, #LS_V + 352]
  ldp q24, q25, [x30, #LS_V + 384]
  ldp q26, q27, [x30, #LS_V + 416]
  ldp q28, q29, [x30, #LS_V + 448]
  ldp q30, q31, [x30, #LS_V + 480]
  ldr x0, [x30, #LS_SP]
  mov sp, x0
  ldr x0, [x30, #LS_NZCV]
  msr nzcv, x0
  ldr x0, [x30, #LS_FPCR]
  msr fpcr, x0
  ldr x0, [x30, #LS_FPSR]
  msr fpsr, x0
  add x30, x30, #LS_X
  ldp x0, x1, [x30, #0]
  ldp x2, x3, [x30, #16]
  ldp x4, x5, [x30, #32]
  ldp x6, x7, [x30, #48]
  ldp x8, x9, [x30, #64]
  ldp x10, x11, [x30, #80]
  ldp x12, x13, [x30, #96]
  ldp x14, x15, [x30, #112]
  ldp x16, x17, [x30, #128]
  ldp x18, x19, [x30, #144]
  ldp x20, x21, [x30, #160]
  ldp x22, x23, [x30, #176]
  ldp x24, x25, [x30, #192]
  ldp x26, x27, [x30, #208]
  ldp x28, x29, [x30, #224]
  ldr x30, [x30, #240]
  clrex // no exclusive monitor state carries over from the previous case
tramp_branch:
  b tramp_branch // patched to branch to CODE_ADDR
tramp_end:

  .bss
  .balign 16
saved:
  .skip 176
