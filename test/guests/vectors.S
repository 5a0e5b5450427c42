// The vector table of assembly guests: each entry branches to vec_<kind>, which a guest may
// define; the weak defaults report the unexpected exception and exit with 0xe0 + entry number.
#include "bm-asm.h"

.macro ENTRY name, n
  .balign 0x80
  b \name
  .weak \name
  .set \name, unexpected_\n
.endm

  .section .text.vectors, "ax"
  .balign 0x800
  .globl vectors
vectors:
  ENTRY vec_cur_sp0_sync, 0
  ENTRY vec_cur_sp0_irq, 1
  ENTRY vec_cur_sp0_fiq, 2
  ENTRY vec_cur_sp0_serror, 3
  ENTRY vec_cur_spx_sync, 4
  ENTRY vec_cur_spx_irq, 5
  ENTRY vec_cur_spx_fiq, 6
  ENTRY vec_cur_spx_serror, 7
  ENTRY vec_lower64_sync, 8
  ENTRY vec_lower64_irq, 9
  ENTRY vec_lower64_fiq, 10
  ENTRY vec_lower64_serror, 11
  ENTRY vec_lower32_sync, 12
  ENTRY vec_lower32_irq, 13
  ENTRY vec_lower32_fiq, 14
  ENTRY vec_lower32_serror, 15

.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
unexpected_\n:
  PUTS "unexpected exception\n"
  EXIT (0xe0 + \n)
.endr
