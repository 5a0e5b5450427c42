// Stage 1 translation with real page tables (4 KB granule, 39-bit VA): AT and PAR_EL1,
// translation faults at levels 0-3, access flag and permission faults (data and instruction
// aborts with ESR/FAR), execution through a remapped page, TLBI by VA for pages and for a
// 2 MB block, an address-space switch (TTBR0) with TLBI, and turning the MMU off again.
// Stores are done with DC ZVA, so it needs only branches, data-processing immediate and
// system instructions.
#include "bm-asm.h"

#define TEST_VA 0x40400000 // level 2 entry 2 of the RAM gigabyte: the l3_test_* tables
#define BLOCK_VA 0x41200000 // level 2 entry 9: a 2 MB block onto BLOCK_PA
#define BLOCK_PA 0x40800000
#define PAR_OK(attr, sh) (((attr) << 56) | (1 << 11) | (1 << 9) | ((sh) << 7))
#define PAR_FAULT(fst) (((fst) << 1) | (1 << 11) | 1)

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
// From EL0: record and come back to EL1 at x26.
  .globl vec_lower64_sync
vec_lower64_sync:
  mov x28, #8
  mrs x22, esr_el1
  mrs x23, elr_el1
  mrs x24, far_el1
  mov x9, #0x3c5
  msr spsr_el1, x9
  msr elr_el1, x26
  eret

.macro TRAP insn:vararg
  adr x26, 9010f
  mov x28, #0xff
  \insn
9010:
.endm

// A data abort at EL1 from DC ZVA at `va` with fault status `fsc`.
.macro DABT_AT va, fsc, code
  MOV64 x1, \va
  TRAP dc zva, x1
  EXPECT x28, 4, \code
  EXPECT x22, ((EC_DABT_CUR << 26) | (1 << 25) | (1 << 6) | (\fsc)), (\code + 100)
  EXPECT x24, \va, (\code + 200)
.endm

// AT S1E<el><rw> at `va` must report PAR_EL1 = `par`.
.macro AT_EXPECT op, va, par, code
  MOV64 x1, \va
  at \op, x1
  isb
  mrs x0, par_el1
  EXPECT x0, \par, \code
.endm

// The same, ignoring PAR_EL1.SH: for Device memory the Arm ARM lets it be the descriptor's
// value (QEMU 7.2: 0) or the effective Outer Shareable (0b10, what we report).
.macro AT_EXPECT_NOSH op, va, par, code
  MOV64 x1, \va
  at \op, x1
  isb
  mrs x0, par_el1
  and x0, x0, #~0x180
  EXPECT x0, \par, \code
.endm

  .globl main
main:
  PUTS "mmu: start\n"
  MMU_ON l1_a

  // AT: success (Normal write-back, inner shareable) and the fault kinds with their levels.
  adrp x2, main
  at s1e1r, x2
  mrs x0, par_el1
  and x2, x2, #~0xfff
  orr x2, x2, #0xff00000000000000
  orr x2, x2, #0x800
  orr x2, x2, #0x380
  EXPECT_EQ x0, x2, 1
  AT_EXPECT s1e1r, (TEST_VA + 0x0000), (PAR_OK(0xff, 3) | 0x40600000), 2
  AT_EXPECT s1e1w, (TEST_VA + 0x1000), PAR_FAULT(0x0f), 3  // read-only: permission, level 3
  AT_EXPECT s1e1r, (TEST_VA + 0x1000), (PAR_OK(0xff, 3) | 0x40601000), 4
  AT_EXPECT s1e0r, (TEST_VA + 0x0000), PAR_FAULT(0x0f), 5  // EL1-only page
  AT_EXPECT s1e0w, (TEST_VA + 0xa000), (PAR_OK(0xff, 3) | 0x4060a000), 6 // EL0 read/write
  AT_EXPECT s1e1r, (TEST_VA + 0x2000), PAR_FAULT(0x0b), 7  // access flag, level 3
  AT_EXPECT s1e1r, (TEST_VA + 0x3000), PAR_FAULT(0x07), 8  // translation, level 3
  AT_EXPECT s1e1r, 0x40600000, PAR_FAULT(0x06), 9          // translation, level 2
  AT_EXPECT s1e1r, 0x80000000, PAR_FAULT(0x05), 10         // translation, level 1
  AT_EXPECT s1e1r, 0x8000000000, PAR_FAULT(0x04), 11       // beyond T0SZ: level 0
  AT_EXPECT_NOSH s1e1r, 0x09000000, (PAR_OK(0x00, 0) | 0x09000000), 12 // Device block (UART)
  AT_EXPECT s1e1r, (BLOCK_VA + 0x1000), (PAR_OK(0xff, 3) | (BLOCK_PA + 0x1000)), 13

  // The same faults as data aborts (EC 0x25, WnR for DC ZVA, FAR = the address).
  DABT_AT (TEST_VA + 0x1000), 0x0f, 14
  DABT_AT (TEST_VA + 0x2000), 0x0b, 15
  DABT_AT (TEST_VA + 0x3000), 0x07, 16
  DABT_AT 0x40600000, 0x06, 17
  DABT_AT 0x80000000, 0x05, 18
  MOV64 x1, (TEST_VA + 0x40)  // and a store that works
  dc zva, x1

  // Instruction fetch through a remapped page, and from a PXN page (EC 0x21, IFSC 0x0f).
  MOV64 x1, (TEST_VA + 0x5000)
  mov x0, #0
  blr x1
  EXPECT x0, 1, 19
  MOV64 x1, (TEST_VA + 0x4000)
  adr x26, 1f
  mov x28, #0xff
  blr x1
1:
  EXPECT x28, 4, 20
  EXPECT x22, ((EC_IABT_CUR << 26) | (1 << 25) | 0x0f), 21
  EXPECT x24, (TEST_VA + 0x4000), 22
  EXPECT x23, (TEST_VA + 0x4000), 23

  // EL0 stores (DC ZVA, allowed by SCTLR_EL1.DZE): an EL1-only page takes a permission fault
  // to the lower-EL vector (EC 0x24); the EL0 read/write page works.
  mrs x0, sctlr_el1
  orr x0, x0, #SCTLR_DZE
  msr sctlr_el1, x0
  isb
  mov x0, #0x8000
  msr sp_el0, x0
  MOV64 x1, TEST_VA
  adr x9, el0_zva
  msr elr_el1, x9
  msr spsr_el1, xzr
  adr x26, 1f
  mov x28, #0xff
  eret
1:
  EXPECT x28, 8, 40
  EXPECT x22, ((EC_DABT_LOWER << 26) | (1 << 25) | (1 << 6) | 0x0f), 41
  EXPECT x24, TEST_VA, 42
  MOV64 x1, (TEST_VA + 0xa000)
  adr x9, el0_zva
  msr elr_el1, x9
  msr spsr_el1, xzr
  adr x26, 1f
  mov x28, #0xff
  eret
1:
  EXPECT x28, 8, 43
  EXPECT x22, ((EC_SVC << 26) | (1 << 25) | 0x5), 44

  // TLBI VAE1 after unmapping a page: the cached translation must go.
  MOV64 x1, (TEST_VA + 0x8000)
  dc zva, x1                      // cached for writes now
  adrp x2, l3_test_a
  add x2, x2, #64                 // descriptors 8..15 of l3_test_a
  dc zva, x2
  dsb ishst
  lsr x3, x1, #12
  tlbi vae1, x3
  dsb ish
  isb
  DABT_AT (TEST_VA + 0x8000), 0x07, 24

  // TLBI VAE1 of one page of a 2 MB block drops the whole block's translation.
  MOV64 x1, BLOCK_VA
  dc zva, x1
  MOV64 x1, (BLOCK_VA + 0x1000)
  dc zva, x1
  adrp x2, l2_ram_a
  add x2, x2, #64                 // descriptors 8..15 of l2_ram_a
  dc zva, x2
  dsb ishst
  MOV64 x3, (BLOCK_VA >> 12)
  tlbi vae1, x3
  dsb ish
  isb
  DABT_AT (BLOCK_VA + 0x1000), 0x06, 25

  // Address-space switch: the same VA now runs another physical page.
  adrp x0, l1_b
  msr ttbr0_el1, x0
  isb
  tlbi vmalle1
  dsb ish
  isb
  MOV64 x1, (TEST_VA + 0x5000)
  mov x0, #0
  blr x1
  EXPECT x0, 2, 26
  at s1e1r, x1
  mrs x0, par_el1
  adrp x2, code_page2
  orr x2, x2, #0xff00000000000000
  orr x2, x2, #0x800
  orr x2, x2, #0x380
  EXPECT_EQ x0, x2, 27

  // MMU off: flat again; data accesses are Device-nGnRnE.
  mrs x0, sctlr_el1
  and x0, x0, #~1
  msr sctlr_el1, x0
  isb
  AT_EXPECT_NOSH s1e1r, (TEST_VA + 0x5000), (PAR_OK(0x00, 0) | (TEST_VA + 0x5000)), 28

  PUTS "mmu: ok\n"
  EXIT 0

// EL0 code (EL1-only pages without UXN are executable at EL0 in ARMv8.0).
el0_zva:
  dc zva, x1
  svc #0x5

// Pages executed through the test mappings.
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

// ---- Translation tables ----
#define PAGE(pa, extra) .quad (pa) + NORMAL_PAGE + (extra)

.macro L3_TEST exec_page
  PAGE(0x40600000, 0)                       // 0: EL1 read/write
  PAGE(0x40601000, PTE_AP_RO)               // 1: EL1 read-only
  .quad 0x40602000 + PTE_PAGE + PTE_ATTR(ATTR_NORMAL) + PTE_SH_INNER // 2: AF clear
  .quad 0                                   // 3: invalid
  PAGE(code_page1, PTE_PXN)                 // 4: not executable at EL1
  PAGE(\exec_page, 0)                       // 5: code
  .quad 0, 0
  PAGE(0x40608000, 0)                       // 8: unmapped by the TLBI test (with 9..15)
  .quad 0
  PAGE(0x4060a000, PTE_AP_EL0)              // 10: EL0 and EL1 read/write
  .fill 501, 8, 0
.endm

.macro L2_RAM l3test
  .quad l3_code + PTE_TABLE                 // 0x40000000: the image, page by page
  .quad 0x40200000 + NORMAL_BLOCK           // 0x40200000: identity 2 MB block
  .quad \l3test + PTE_TABLE                 // 0x40400000: test pages
  .fill 6, 8, 0
  .quad BLOCK_PA + NORMAL_BLOCK             // 0x41200000: block unmapped by the TLBI test
  .fill 502, 8, 0
.endm

  .section .data.pagetables, "aw"
  .balign 4096
l1_a:
  .quad 0 + DEVICE_BLOCK                    // 0-1 GB: flash and devices
  .quad l2_ram_a + PTE_TABLE                // 1-2 GB: RAM
  .fill 510, 8, 0
l1_b:
  .quad 0 + DEVICE_BLOCK
  .quad l2_ram_b + PTE_TABLE
  .fill 510, 8, 0
l2_ram_a:
  L2_RAM l3_test_a
l2_ram_b:
  L2_RAM l3_test_b
l3_test_a:
  L3_TEST code_page1
l3_test_b:
  L3_TEST code_page2
l3_code:
  .set i, 0
  .rept 512
  PAGE(0x40000000 + (i << 12), 0)
  .set i, i + 1
  .endr
