/* Entry points of the SYSTEM_SUSPEND guest: boot, secondary (CPU_ON) and resume (SYSTEM_SUSPEND). */
  .section .text.boot, "ax"
  .global _start
_start:
  ldr x1, =stack0_top
  mov sp, x1
  bl guest_main
1: b 1b

  .global secondary_entry
secondary_entry:
  ldr x1, =stack1_top
  mov sp, x1
  bl secondary_main
1: b 1b

  .global resume_entry
resume_entry:
  /* Resumed: MMU off, EL1h, DAIF masked, x0 = context id. Record the state before C runs. */
  mrs x1, currentel
  mrs x2, daif
  mrs x3, sctlr_el1
  ldr x4, =stack0_top
  mov sp, x4
  bl resume_main
1: b 1b

  .global smccc
/* long smccc(fid, a1, a2, a3): HVC conduit, result in x0. */
smccc:
  hvc #0
  ret

  .section .bss
  .balign 16
  .space 8192
stack0_top:
  .space 8192
stack1_top:
