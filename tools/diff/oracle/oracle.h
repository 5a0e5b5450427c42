/* Shared layout of the differential oracle (see tools/diff/format.ts, which must agree). */
#ifndef ORACLE_H
#define ORACLE_H

#define DATA_ADDR 0x10000000UL
#define DATA_SIZE 0x10000UL
#define CODE_ADDR 0x10010000UL
#define CODE_SIZE 0x1000UL
#define TRAMP_ADDR 0x10020000UL
#define TRAMP_SIZE 0x1000UL
#define MAX_WORDS 16

/* Offsets in the trampoline's load block (tramp.S uses the same numbers). */
#define LS_V 0
#define LS_SP 512
#define LS_NZCV 520
#define LS_FPCR 528
#define LS_FPSR 536
#define LS_X 544

#endif
