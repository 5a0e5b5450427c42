// Assembly helpers for bare-metal guests: semihosting (HLT #0xF000), static exits and
// register checks that need no load/store instructions (only branches, data-processing
// immediate and system instructions), so guests run on a core with few instruction groups.

#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_Stopped_ApplicationExit 0x20026

// Exits with a constant status: SYS_EXIT's parameter block is static data beside the code.
.macro EXIT code
  adr x1, 9001f
  mov x0, #SYS_EXIT
  hlt #0xf000
  b .
  .balign 8
9001: .quad ADP_Stopped_ApplicationExit, \code
.endm

// Prints a constant string (SYS_WRITE0). Clobbers x0, x1.
.macro PUTS str
  .pushsection .rodata
9002: .asciz "\str"
  .popsection
  adr x1, 9002b
  mov x0, #SYS_WRITE0
  hlt #0xf000
.endm

// Exits with status `code` unless register `reg` equals the 64-bit constant `value`
// (bit by bit with TBZ/TBNZ: no compare-register instruction needed).
.macro EXPECT reg, value, code
  .irp bit, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    .if ((\value) >> \bit) & 1
      tbz \reg, #\bit, 9003f
    .else
      tbnz \reg, #\bit, 9003f
    .endif
  .endr
  b 9004f
9003:
  EXIT \code
9004:
.endm

// Exits with status `code` unless registers `a` and `b` are equal (bit by bit, branches only).
.macro EXPECT_EQ a, b, code
  .irp bit, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    tbz \a, #\bit, 9005f
    tbz \b, #\bit, 9003f
    b 9006f
9005:
    tbnz \b, #\bit, 9003f
9006:
  .endr
  b 9004f
9003:
  EXIT \code
9004:
.endm

// Loads a 64-bit constant with MOVZ/MOVK.
.macro MOV64 reg, value
  movz \reg, #((\value) & 0xffff)
  movk \reg, #(((\value) >> 16) & 0xffff), lsl #16
  movk \reg, #(((\value) >> 32) & 0xffff), lsl #32
  movk \reg, #(((\value) >> 48) & 0xffff), lsl #48
.endm

// ESR_EL1 fields.
#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_FP 0x07
#define EC_ILLEGAL 0x0e
#define EC_SVC 0x15
#define EC_SYSREG 0x18
#define EC_IABT_LOWER 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_BRK 0x3c

// Page and block descriptor bits (stage 1, 4 KB granule).
#define PTE_VALID 1
#define PTE_TABLE 3
#define PTE_PAGE 3
#define PTE_BLOCK 1
#define PTE_ATTR(i) ((i) << 2)
#define PTE_AP_EL0 (1 << 6)
#define PTE_AP_RO (1 << 7)
#define PTE_SH_INNER (3 << 8)
#define PTE_AF (1 << 10)
#define PTE_NG (1 << 11)
#define PTE_PXN (1 << 53)
#define PTE_UXN (1 << 54)
// MAIR_EL1: attr0 Device-nGnRnE, attr1 Normal write-back, attr2 Normal non-cacheable.
#define MAIR_VALUE 0x44ff00
#define ATTR_DEVICE 0
#define ATTR_NORMAL 1
#define NORMAL_BLOCK (PTE_BLOCK | PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF)
#define NORMAL_PAGE (PTE_PAGE | PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF)
#define DEVICE_BLOCK (PTE_BLOCK | PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)
// TCR_EL1: T0SZ = 25 (39-bit VA, walks start at level 1), inner/outer write-back, inner
// shareable, 4 KB granule, TTBR1 walks disabled (EPD1), 40-bit IPS.
#define TCR_VALUE (25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
// SCTLR_EL1 bits.
#define SCTLR_M (1 << 0)
#define SCTLR_A (1 << 1)
#define SCTLR_C (1 << 2)
#define SCTLR_SA (1 << 3)
#define SCTLR_SA0 (1 << 4)
#define SCTLR_I (1 << 12)
#define SCTLR_DZE (1 << 14)
#define SCTLR_UCT (1 << 15)
#define SCTLR_nTWI (1 << 16)
#define SCTLR_nTWE (1 << 18)
#define SCTLR_WXN (1 << 19)
#define SCTLR_UCI (1 << 26)
// The v8.0 RES1 bits (11, 20, 22, 23, 28, 29).
#define SCTLR_RES1 0x30d00800

// Enables the MMU with TTBR0 = `table` (a level 1 table), MAIR/TCR above. Clobbers x0.
.macro MMU_ON table, sctlr=(SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA | SCTLR_nTWI | SCTLR_nTWE)
  adrp x0, \table
  add x0, x0, :lo12:\table
  msr ttbr0_el1, x0
  MOV64 x0, MAIR_VALUE
  msr mair_el1, x0
  MOV64 x0, TCR_VALUE
  msr tcr_el1, x0
  isb
  tlbi vmalle1
  dsb sy
  MOV64 x0, \sctlr
  msr sctlr_el1, x0
  isb
.endm
