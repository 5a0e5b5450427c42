// Translation-context changes must not leave stale translations behind: TCR_EL1.TBI0,
// SCTLR_EL1.WXN, and address-space identifiers (non-global pages, ASID in TTBR0 with
// TCR.A1 = 0 and in TTBR1 with TCR.A1 = 1) with no TLBI where the architecture needs none.
// Needs only branches, data-processing immediate and system instructions.
#include "bm-asm.h"

#define TEST_VA 0x40400000
#define TCR_A1 (1 << 22)
#define TCR_TBI0 (1 << 37)

  .text
record:
  mrs x22, esr_el1
  mrs x23, elr_el1
  mrs x24, far_el1
  msr elr_el1, x26
  eret
  .globl vec_cur_spx_sync
vec_cur_spx_sync:
  mov x28, #4
  b record

// Calls TEST_VA + off (expecting the value it returns) or expects an instruction abort.
.macro CALL_EXPECT off, value, code
  MOV64 x1, (TEST_VA + \off)
  mov x0, #0
  adr x26, 9030f
  mov x28, #0xff
  blr x1
9030:
  EXPECT x28, 0xff, \code
  EXPECT x0, \value, (\code + 100)
.endm
.macro CALL_IABT off, fsc, code
  MOV64 x1, (TEST_VA + \off)
  adr x26, 9031f
  mov x28, #0xff
  blr x1
9031:
  EXPECT x28, 4, \code
  EXPECT x22, ((EC_IABT_CUR << 26) | (1 << 25) | (\fsc)), (\code + 100)
.endm

.macro SET_TTBR0 table, asid
  adrp x0, \table
  movk x0, #\asid, lsl #48
  msr ttbr0_el1, x0
  isb
.endm

  .globl main
main:
  PUTS "mmu2: start\n"
  MMU_ON l1_x

  // TBI0: with it a tagged address translates; after clearing it (and TLBI) it faults.
  MOV64 x0, (TCR_VALUE | TCR_TBI0)
  msr tcr_el1, x0
  isb
  MOV64 x1, (0x5a00000000000000 + TEST_VA + 0x3000)
  dc zva, x1
  MOV64 x0, TCR_VALUE
  msr tcr_el1, x0
  isb
  tlbi vmalle1
  dsb ish
  isb
  adr x26, 1f
  mov x28, #0xff
  dc zva, x1
1:
  EXPECT x28, 4, 1
  EXPECT x22, ((EC_DABT_CUR << 26) | (1 << 25) | (1 << 6) | 0x04), 2 // translation, level 0

  // WXN: a writable page stops being executable at EL1 (the image's code pages are read-only).
  CALL_EXPECT 0x1000, 1, 3
  mrs x0, sctlr_el1
  orr x0, x0, #SCTLR_WXN
  msr sctlr_el1, x0
  isb
  tlbi vmalle1
  dsb ish
  isb
  CALL_IABT 0x1000, 0x0f, 4
  CALL_EXPECT 0x0000, 1, 5       // the read-only alias still runs
  mrs x0, sctlr_el1
  and x0, x0, #~SCTLR_WXN
  msr sctlr_el1, x0
  isb
  tlbi vmalle1
  dsb ish
  isb

  // ASID in TTBR0 (A1 = 0): non-global pages of ASID 1 are not used for ASID 2, so no TLBI is
  // needed to see table Y's mapping, nor to come back to X.
  SET_TTBR0 l1_x, 1
  CALL_EXPECT 0x2000, 1, 6
  SET_TTBR0 l1_y, 2
  CALL_EXPECT 0x2000, 2, 7
  SET_TTBR0 l1_x, 1
  CALL_EXPECT 0x2000, 1, 8

  // ASID in TTBR1 (A1 = 1, as Linux): unmap the page in X without TLBI; ASID 1 may still use
  // its cached entry, but a switch to the never-used ASID 3 must walk and fault.
  MOV64 x0, (TCR_VALUE | TCR_A1)
  msr tcr_el1, x0
  mov x0, #0
  movk x0, #1, lsl #48
  msr ttbr1_el1, x0
  isb
  tlbi vmalle1
  dsb ish
  isb
  CALL_EXPECT 0x2000, 1, 9
  adrp x2, l3_x
  dc zva, x2                     // descriptors 0..7 of l3_x
  dsb ish
  mov x0, #0
  movk x0, #3, lsl #48
  msr ttbr1_el1, x0
  isb
  CALL_IABT 0x2000, 0x07, 10

  PUTS "mmu2: ok\n"
  EXIT 0

  .section .text.page1, "ax"
  .balign 4096
code_page1:
  mov x0, #1
  ret
  .section .text.page2, "ax"
  .balign 4096
code_page2:
  mov x0, #2
  ret

#define PAGE(pa, extra) .quad (pa) + NORMAL_PAGE + (extra)
.macro L3_TEST exec_page
  PAGE(code_page1, PTE_AP_RO)               // 0: read-only code
  PAGE(code_page1, 0)                       // 1: writable code
  PAGE(\exec_page, PTE_NG)                  // 2: non-global code
  PAGE(0x40603000, 0)                       // 3: data
  .fill 508, 8, 0
.endm
.macro L2_RAM l3test
  .quad l3_code + PTE_TABLE
  .quad 0
  .quad \l3test + PTE_TABLE
  .fill 509, 8, 0
.endm

  .section .data.pagetables, "aw"
  .balign 4096
l1_x:
  .quad 0 + DEVICE_BLOCK
  .quad l2_x + PTE_TABLE
  .fill 510, 8, 0
l1_y:
  .quad 0 + DEVICE_BLOCK
  .quad l2_y + PTE_TABLE
  .fill 510, 8, 0
l2_x:
  L2_RAM l3_x
l2_y:
  L2_RAM l3_y
l3_x:
  L3_TEST code_page1
l3_y:
  L3_TEST code_page2
l3_code:                                    // first 64 KB (code) read-only, the rest writable
  .set i, 0
  .rept 512
  .if i < 16
  PAGE(0x40000000 + (i << 12), PTE_AP_RO)
  .else
  PAGE(0x40000000 + (i << 12), 0)
  .endif
  .set i, i + 1
  .endr
