// Self-hosted debug: hardware breakpoints (EL1 with KDE, EL0, mid-block, linked to a context-ID
// breakpoint), watchpoints (stores and loads, sizes, BAS byte masks, word-aligned WVR, MASK,
// unaligned accesses, LDP/STP, DC ZVA, LDTR, linked, EL0), software step (an EL0 program stepped
// instruction by instruction from the EL1 handler with SPSR.SS, over branches, a load- and a
// store-exclusive, into an SVC, a BRK and a data abort; EL1 stepping itself with KDE), and the
// masking by PSTATE.D, MDSCR_EL1.KDE/MDE, the OS lock and the OS double lock. Every exception
// the tests expect is printed (syndrome, return address and FAR as offsets), so the console
// compares with QEMU's.
// Checks QEMU 7.2 does not pass (built with -DQEMU_REF) are silent: it ignores the OS lock (it
// tests OSLSR_EL1 bit 0, which is OSLM), has no unlinked context-ID breakpoints, does not trap
// EL0 DCC access with MDSCR_EL1.TDCC, and keeps RES0 bits of DBGBCR.
#include "bm.h"

#define EL0_ALIAS 0x40000000UL /* VA 0x80000000 + x maps RAM at 0x40000000 + x for EL0 */
#define EL0(p) ((uint64_t)(p) + EL0_ALIAS)
#define UNMAPPED 0xc0000000UL
#define SPSR_SS (1UL << 21)
#define SPSR_D (1UL << 9)
#define SPSR_EL1H_MASKED 0x3c5UL

#define MDSCR_SS (1UL << 0)
#define MDSCR_TDCC (1UL << 12)
#define MDSCR_KDE (1UL << 13)
#define MDSCR_MDE (1UL << 15)

// DBGBCR: E, PMC (bit 1 EL1, bit 2 EL0), BAS (A64: 0b1111), SSC, LBN, BT.
#define BCR_E 1UL
#define BCR_EL1 (1UL << 1)
#define BCR_EL0 (2UL << 1)
#define BCR_BAS (0xfUL << 5)
#define BCR_SSC(x) ((uint64_t)(x) << 14)
#define BCR_LBN(n) ((uint64_t)(n) << 16)
#define BCR_BT(t) ((uint64_t)(t) << 20)
// DBGWCR: E, PAC, LSC (bit 3 load, bit 4 store), BAS, LBN, WT, MASK.
#define WCR_E 1UL
#define WCR_EL1 (1UL << 1)
#define WCR_EL0 (2UL << 1)
#define WCR_LOAD (1UL << 3)
#define WCR_STORE (2UL << 3)
#define WCR_BAS(b) ((uint64_t)(b) << 5)
#define WCR_LBN(n) ((uint64_t)(n) << 16)
#define WCR_WT (1UL << 20)
#define WCR_MASK(m) ((uint64_t)(m) << 24)

#define ESR(ec, iss) (((uint64_t)(ec) << 26) | (1UL << 25) | (iss))

// In debug-progs.S.
extern char bp_target[], hot_bp[], el0_nops[], el0_steps[], el0_store[], el0_dcc[], el0_return[], el1_step[];
uint64_t run_el0(uint64_t entry, uint64_t spsr, uint64_t sp, uint64_t x2, uint64_t x5);
uint64_t call_target(void);
uint64_t hot_loop(uint64_t n);
void el1_step_run(void);

extern uint64_t bm_l1[];

static volatile uint8_t wbuf[128] __attribute__((aligned(64)));
static volatile uint64_t excl_word __attribute__((aligned(16)));
static uint8_t el0_stack[1024] __attribute__((aligned(16)));

struct event {
  uint64_t esr, elr, far, spsr;
};
static volatile int nevents;
static volatile struct event events[32];
/** Software step: the handler keeps stepping (sets SPSR.SS) while this is non-zero. */
static volatile int keep_stepping;

/** set_bcr(n, v) writes DBGBCR<n>_EL1, and so on (MSR names the register in the instruction). */
#define DBG_WRITER(name, reg)                                \
  static void name(int n, uint64_t v) {                      \
    switch (n) {                                             \
      case 0: SYSREG_WRITE(reg##0_el1, v); break;            \
      case 1: SYSREG_WRITE(reg##1_el1, v); break;            \
      case 2: SYSREG_WRITE(reg##2_el1, v); break;            \
      case 3: SYSREG_WRITE(reg##3_el1, v); break;            \
      case 4: SYSREG_WRITE(reg##4_el1, v); break;            \
      case 5: SYSREG_WRITE(reg##5_el1, v); break;            \
    }                                                        \
  }
DBG_WRITER(set_bcr, dbgbcr)
DBG_WRITER(set_bvr, dbgbvr)
DBG_WRITER(set_wcr, dbgwcr) // 0..3 only: watchpoints 4 and 5 do not exist
DBG_WRITER(set_wvr, dbgwvr)

static void disable_breakpoints(void) {
  for (int n = 0; n < 6; n++) set_bcr(n, 0);
}
static void disable_watchpoints(void) {
  for (int n = 0; n < 4; n++) set_wcr(n, 0);
}

static void handler(int kind, struct bm_frame *f) {
  uint64_t ec = f->esr >> 26;
  if (nevents < 32) {
    volatile struct event *e = &events[nevents];
    e->esr = f->esr;
    e->elr = f->elr;
    e->far = f->far;
    e->spsr = f->spsr;
  }
  nevents++;
  switch (ec) {
    case 0x30: case 0x31: // breakpoint: let the instruction run
      disable_breakpoints();
      break;
    case 0x34: case 0x35: // watchpoint: let the access happen
      disable_watchpoints();
      break;
    case 0x32: case 0x33: // software step: step the next one too
      if (keep_stepping) {
        keep_stepping--;
        f->spsr |= SPSR_SS;
      } else {
        SYSREG_WRITE(mdscr_el1, SYSREG_READ(mdscr_el1) & ~MDSCR_SS);
      }
      break;
    case 0x15: // SVC
      if ((f->esr & 0xffff) == 0xff) {
        SYSREG_WRITE(mdscr_el1, SYSREG_READ(mdscr_el1) & ~MDSCR_SS);
        f->elr = (uint64_t)el0_return;
        f->spsr = SPSR_EL1H_MASKED;
      }
      break;
    case 0x00: case 0x18: case 0x24: case 0x25: case 0x3c: // skip UNDEFINED, trapped, aborted, BRK
      f->elr += 4;
      break;
    default:
      bm_puts("unexpected exception class ");
      bm_puthex(ec);
      bm_puts("\n");
      bm_exit(0xe0 + kind);
  }
  (void)kind;
}

/** `elr` value telling expect() not to check the return address. */
#define ANY_ELR (~0UL)

/** Prints and checks the events since the last call: `n` expected, the first with (esr, elr, far). */
static void expect(const char *what, int n, uint64_t esr, uint64_t elr, int64_t far_off, const volatile void *far_base) {
  int got = nevents;
  bm_puts(what);
  if (got == 0) {
    bm_puts(": none\n");
  } else {
    bm_puts(": esr ");
    bm_puthex(events[0].esr);
    if (got > 1) {
      bm_puts(" x");
      bm_putdec(got);
    }
    if (far_base) {
      bm_puts(" far +");
      bm_putdec((int64_t)(events[0].far - (uint64_t)far_base));
    }
    bm_puts("\n");
  }
  CHECK(got == n, 1);
  if (n) {
    CHECK(events[0].esr == esr, 2);
    CHECK(elr == ANY_ELR || events[0].elr == elr, 3);
    if (far_base) CHECK(events[0].far == (uint64_t)far_base + (uint64_t)far_off, 4);
  }
  nevents = 0;
}

static void debug_reset(void) {
  __asm__ volatile("msr daifset, #8");
  disable_breakpoints();
  disable_watchpoints();
  SYSREG_WRITE(mdscr_el1, 0);
  SYSREG_WRITE(contextidr_el1, 0);
  SYSREG_WRITE(oslar_el1, 0);
  SYSREG_WRITE(osdlr_el1, 0);
  ISB();
  nevents = 0;
}

#define DEBUG_ON(mdscr) \
  do { SYSREG_WRITE(mdscr_el1, (mdscr)); ISB(); __asm__ volatile("msr daifclr, #8"); } while (0)

#define LD(insn, off) \
  ({ uint64_t v_; __asm__ volatile(insn " %0, [%1]" : "=r"(v_) : "r"((uint64_t)wbuf + (off)) : "memory"); v_; })
#define LDW(insn, off) \
  ({ uint64_t v_; __asm__ volatile(insn " %w0, [%1]" : "=r"(v_) : "r"((uint64_t)wbuf + (off)) : "memory"); v_; })

enum { LOAD_B, LOAD_H, LOAD_W, LOAD_X, LOAD_PAIR_W, LOAD_PAIR_X };

/** Loads from wbuf + off with the instruction `kind` names. */
static void load(int kind, int off) {
  uint64_t a, b;
  switch (kind) {
    case LOAD_B: LDW("ldrb", off); break;
    case LOAD_H: LDW("ldrh", off); break;
    case LOAD_W: LDW("ldr", off); break;
    case LOAD_X: LD("ldr", off); break;
    case LOAD_PAIR_W:
      __asm__ volatile("ldp %w0, %w1, [%2]" : "=r"(a), "=r"(b) : "r"((uint64_t)wbuf + off) : "memory");
      break;
    case LOAD_PAIR_X:
      __asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"((uint64_t)wbuf + off) : "memory");
      break;
  }
}

/** Arms watchpoint 0 at `wvr` with `wcr` (E and PAC EL0+EL1 added), debug on at EL1 (MDE, KDE, D clear). */
static void watch(uint64_t wvr, uint64_t wcr) {
  debug_reset();
  set_wvr(0, wvr);
  set_wcr(0, wcr | WCR_E | WCR_EL1 | WCR_EL0);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
}

/** Prints and checks a watchpoint test: `hit` events expected, EC 0x35 with WnR = `store` and FAR wbuf + far_off. */
static void expect_wp(const char *what, int hit, int store, int64_t far_off) {
  int got = nevents;
  bm_puts(what);
  if (!got) {
    bm_puts(": none\n");
  } else {
    bm_puts(": esr ");
    bm_puthex(events[0].esr);
    bm_puts(" far +");
    bm_putdec((int64_t)(events[0].far - (uint64_t)wbuf));
    bm_puts("\n");
  }
  CHECK(got == hit, 10);
  if (hit) {
    CHECK(events[0].esr == ESR(0x35, (store ? 0x40 : 0) | 0x22), 11);
    CHECK(events[0].far == (uint64_t)wbuf + (uint64_t)far_off, 12);
  }
  nevents = 0;
}

static void test_id(void) {
  uint64_t dfr0 = SYSREG_READ(id_aa64dfr0_el1);
  bm_puts("dfr0: debugver ");
  bm_putdec(dfr0 & 0xf);
  bm_puts(" brps ");
  bm_putdec((dfr0 >> 12) & 0xf);
  bm_puts(" wrps ");
  bm_putdec((dfr0 >> 20) & 0xf);
  bm_puts(" ctx_cmps ");
  bm_putdec((dfr0 >> 28) & 0xf);
  bm_puts("\n");
  CHECK((dfr0 & 0xf) == 6 && ((dfr0 >> 12) & 0xf) == 5 && ((dfr0 >> 20) & 0xf) == 3 && ((dfr0 >> 28) & 0xf) == 1, 20);
  // Registers beyond the implemented ones are UNDEFINED.
  debug_reset();
  uint64_t v;
  __asm__ volatile("mrs %0, dbgbvr6_el1" : "=r"(v));
  expect("dbgbvr6", 1, ESR(0, 0), ANY_ELR, 0, 0);
  __asm__ volatile("msr dbgwcr4_el1, xzr");
  expect("dbgwcr4", 1, ESR(0, 0), ANY_ELR, 0, 0);
  (void)v;
}

static void test_breakpoints(void) {
  // EL1 with KDE and PSTATE.D clear: the breakpointed instruction does not run until the
  // handler disables the breakpoint.
  debug_reset();
  set_bvr(0, (uint64_t)bp_target);
  set_bcr(0, BCR_E | BCR_EL1 | BCR_BAS);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  uint64_t r = call_target();
  expect("bp el1", 1, ESR(0x31, 0x22), (uint64_t)bp_target, 0, 0);
  CHECK(r == 43, 21);

  // In the middle of a block (the second instruction of bp_target), through breakpoint 3.
  debug_reset();
  set_bvr(3, (uint64_t)bp_target + 4);
  set_bcr(3, BCR_E | BCR_EL1 | BCR_BAS);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  r = call_target();
  expect("bp el1 mid-block", 1, ESR(0x31, 0x22), (uint64_t)bp_target + 4, 0, 0);
  CHECK(r == 43, 22);

  // Masked: PSTATE.D set, KDE clear, MDE clear, EL0-only PMC, Secure-only SSC, OS double lock.
  debug_reset();
  set_bvr(0, (uint64_t)bp_target);
  set_bcr(0, BCR_E | BCR_EL1 | BCR_BAS);
  SYSREG_WRITE(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
  ISB();
  call_target();
  expect("bp el1 D set", 0, 0, 0, 0, 0);
  DEBUG_ON(MDSCR_MDE);
  call_target();
  expect("bp el1 KDE clear", 0, 0, 0, 0, 0);
  DEBUG_ON(MDSCR_KDE);
  call_target();
  expect("bp el1 MDE clear", 0, 0, 0, 0, 0);
  set_bcr(0, BCR_E | BCR_EL0 | BCR_BAS);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  call_target();
  expect("bp el1 PMC EL0 only", 0, 0, 0, 0, 0);
  set_bcr(0, BCR_E | BCR_EL1 | BCR_BAS | BCR_SSC(2));
  ISB();
  call_target();
  expect("bp el1 SSC secure only", 0, 0, 0, 0, 0);
  set_bcr(0, BCR_E | BCR_EL1 | BCR_BAS);
  SYSREG_WRITE(osdlr_el1, 1);
  ISB();
  call_target();
  expect("bp el1 double lock", 0, 0, 0, 0, 0);
#ifndef QEMU_REF
  SYSREG_WRITE(osdlr_el1, 0);
  SYSREG_WRITE(oslar_el1, 1);
  ISB();
  CHECK(SYSREG_READ(oslsr_el1) == 0xa, 23);
  call_target();
  CHECK(nevents == 0, 24);
  SYSREG_WRITE(oslar_el1, 0);
  ISB();
  CHECK(SYSREG_READ(oslsr_el1) == 0x8, 25);
  call_target();
  CHECK(nevents == 1, 26);
  nevents = 0;
#endif

  // Linked to context-ID breakpoint 4: fires only while CONTEXTIDR_EL1 matches.
  debug_reset();
  set_bvr(4, 0x77);
  set_bcr(4, BCR_E | BCR_EL1 | BCR_BT(3));
  set_bvr(1, (uint64_t)bp_target);
  set_bcr(1, BCR_E | BCR_EL1 | BCR_BAS | BCR_BT(1) | BCR_LBN(4));
  SYSREG_WRITE(contextidr_el1, 0x78);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  call_target();
  expect("bp linked, other context", 0, 0, 0, 0, 0);
  SYSREG_WRITE(contextidr_el1, 0x77);
  ISB();
  call_target();
  expect("bp linked, context 0x77", 1, ESR(0x31, 0x22), (uint64_t)bp_target, 0, 0);

#ifndef QEMU_REF
  // Unlinked context-ID breakpoint 5: the first instruction after D is cleared matches.
  debug_reset();
  SYSREG_WRITE(contextidr_el1, 0x99);
  set_bvr(5, 0x99);
  set_bcr(5, BCR_E | BCR_EL1 | BCR_BT(2));
  SYSREG_WRITE(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
  ISB();
  call_target();
  CHECK(nevents == 0, 27);
  __asm__ volatile("msr daifclr, #8\n\tnop" ::: "memory");
  CHECK(nevents == 1 && events[0].esr == ESR(0x31, 0x22), 28);
  // A context-ID breakpoint that is not context-aware (0..3) never fires.
  debug_reset();
  SYSREG_WRITE(contextidr_el1, 0x99);
  set_bvr(2, 0x99);
  set_bcr(2, BCR_E | BCR_EL1 | BCR_BT(2));
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  call_target();
  CHECK(nevents == 0, 29);
  // DBGBCR keeps its fields only; BAS reads as ones (RES1 without AArch32).
  set_bcr(2, 0xffffffffUL);
  CHECK(SYSREG_READ(dbgbcr2_el1) == 0x00ffe1e7UL, 30);
  set_bcr(2, 0);
  CHECK(SYSREG_READ(dbgbcr2_el1) == 0x1e0, 31);
#endif

  // EL0: fires from EL0 with KDE clear and PSTATE.D set (D masks only same-EL debug).
  debug_reset();
  set_bvr(2, EL0(el0_nops) + 4);
  set_bcr(2, BCR_E | BCR_EL0 | BCR_BAS);
  SYSREG_WRITE(mdscr_el1, MDSCR_MDE);
  ISB();
  run_el0(EL0(el0_nops), SPSR_D, EL0(el0_stack + sizeof el0_stack), 0, 0);
  CHECK(nevents == 2, 32); // the breakpoint, then the exit SVC
  nevents = 1;
  expect("bp el0", 1, ESR(0x30, 0x22), EL0(el0_nops) + 4, 0, 0);
  set_bcr(2, BCR_E | BCR_EL1 | BCR_BAS);
  ISB();
  run_el0(EL0(el0_nops), 0, EL0(el0_stack + sizeof el0_stack), 0, 0);
  CHECK(nevents == 1 && (events[0].esr >> 26) == 0x15, 33);
  nevents = 0;
  bm_puts("bp el0 PMC EL1 only: none\n");
}

static void test_watchpoints(void) {
  // A doubleword store watchpoint: stores fire (WnR), loads do not; the store completes once
  // the handler disabled it.
  watch((uint64_t)wbuf + 8, WCR_STORE | WCR_BAS(0xff));
  __asm__ volatile("str %0, [%1]" ::"r"(0x1122334455667788UL), "r"((uint64_t)wbuf + 8) : "memory");
  expect_wp("wp str x", 1, 1, 8);
  CHECK(*(volatile uint64_t *)(wbuf + 8) == 0x1122334455667788UL, 40);
  watch((uint64_t)wbuf + 8, WCR_STORE | WCR_BAS(0xff));
  LD("ldr", 8);
  expect_wp("wp str, ldr x", 0, 0, 0);
  __asm__ volatile("strb %w0, [%1]" ::"r"(1), "r"((uint64_t)wbuf + 15) : "memory");
  expect_wp("wp str, strb +15", 1, 1, 15);
  watch((uint64_t)wbuf + 8, WCR_STORE | WCR_BAS(0xff));
  __asm__ volatile("strb %w0, [%1]" ::"r"(1), "r"((uint64_t)wbuf + 16) : "memory");
  expect_wp("wp str, strb +16", 0, 0, 0);

  // One watched byte (BAS 0b00010000 of the doubleword at +16): what overlaps it fires, with
  // FAR the watched byte; what does not overlap it does not.
  static const struct {
    const char *what;
    int kind, off, hit;
  } byte20[] = {
      {"wp byte 20, ldr w +16", LOAD_W, 16, 0},
      {"wp byte 20, ldrb +20", LOAD_B, 20, 1},
      {"wp byte 20, ldr x +16", LOAD_X, 16, 1},
      {"wp byte 20, ldrh +19 (unaligned)", LOAD_H, 19, 1},
      {"wp byte 20, ldr x +13 (unaligned)", LOAD_X, 13, 1},
      {"wp byte 20, ldrb +21", LOAD_B, 21, 0},
      {"wp byte 20, ldp x +8", LOAD_PAIR_X, 8, 1},
      {"wp byte 20, ldp w +12", LOAD_PAIR_W, 12, 0},
      {"wp byte 20, ldp w +16", LOAD_PAIR_W, 16, 1},
  };
  for (unsigned i = 0; i < sizeof byte20 / sizeof byte20[0]; i++) {
    watch((uint64_t)wbuf + 16, WCR_LOAD | WCR_BAS(0x10));
    load(byte20[i].kind, byte20[i].off);
    expect_wp(byte20[i].what, byte20[i].hit, 0, 20);
  }
  {
    uint64_t a = 1, b = 2;
    // A store pair whose second doubleword is watched.
    watch((uint64_t)wbuf + 24, WCR_STORE | WCR_BAS(0xff));
    __asm__ volatile("stp %0, %1, [%2]" ::"r"(a), "r"(b), "r"((uint64_t)wbuf + 16) : "memory");
    expect_wp("wp str +24, stp x +16", 1, 1, 24);
  }
  // Load and store (LSC 0b11).
  watch((uint64_t)wbuf + 16, WCR_LOAD | WCR_STORE | WCR_BAS(0x10));
  __asm__ volatile("str %w0, [%1]" ::"r"(7), "r"((uint64_t)wbuf + 20) : "memory");
  expect_wp("wp byte 20 ld/st, str w +20", 1, 1, 20);

  // A word-aligned WVR (bit 2 set): BAS[3:0] select bytes of that word.
  watch((uint64_t)wbuf + 36, WCR_LOAD | WCR_BAS(0x3));
  LDW("ldrb", 38);
  expect_wp("wp +36 bytes 0-1, ldrb +38", 0, 0, 0);
  LDW("ldrb", 37);
  expect_wp("wp +36 bytes 0-1, ldrb +37", 1, 0, 37);
  watch((uint64_t)wbuf + 36, WCR_LOAD | WCR_BAS(0x3));
  LD("ldr", 32);
  expect_wp("wp +36 bytes 0-1, ldr x +32", 1, 0, 36);

  // MASK: 32 bytes at +64 (BAS all ones).
  watch((uint64_t)wbuf + 64, WCR_LOAD | WCR_BAS(0xff) | WCR_MASK(5));
  LDW("ldrb", 96);
  expect_wp("wp mask 32 at +64, ldrb +96", 0, 0, 0);
  LDW("ldrb", 95);
  expect_wp("wp mask 32 at +64, ldrb +95", 1, 0, 95);
  watch((uint64_t)wbuf + 64, WCR_LOAD | WCR_BAS(0xff) | WCR_MASK(5));
  LD("ldr", 60);
  expect_wp("wp mask 32 at +64, ldr x +60", 1, 0, 64);

  // DC ZVA is a store of its whole block: FAR is the watched byte.
  watch((uint64_t)wbuf + 96, WCR_STORE | WCR_BAS(0x10));
  __asm__ volatile("dc zva, %0" ::"r"((uint64_t)wbuf + 64) : "memory");
  expect_wp("wp byte 100, dc zva +64", 1, 1, 100);

  // Masked: PSTATE.D, KDE clear, MDE clear, double lock; EL0-only PAC at EL1.
  watch((uint64_t)wbuf + 8, WCR_LOAD | WCR_BAS(0xff));
  __asm__ volatile("msr daifset, #8");
  LD("ldr", 8);
  expect_wp("wp D set", 0, 0, 0);
  DEBUG_ON(MDSCR_MDE);
  LD("ldr", 8);
  expect_wp("wp KDE clear", 0, 0, 0);
  DEBUG_ON(MDSCR_KDE);
  LD("ldr", 8);
  expect_wp("wp MDE clear", 0, 0, 0);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  SYSREG_WRITE(osdlr_el1, 1);
  ISB();
  LD("ldr", 8);
  expect_wp("wp double lock", 0, 0, 0);
  SYSREG_WRITE(osdlr_el1, 0);
  ISB();
#ifndef QEMU_REF
  SYSREG_WRITE(oslar_el1, 1);
  ISB();
  LD("ldr", 8);
  CHECK(nevents == 0, 41);
  SYSREG_WRITE(oslar_el1, 0);
  ISB();
#endif
  LD("ldr", 8);
  expect_wp("wp unlocked", 1, 0, 8);
  debug_reset();
  set_wvr(0, (uint64_t)wbuf + 8);
  set_wcr(0, WCR_E | WCR_EL0 | WCR_LOAD | WCR_BAS(0xff));
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  LD("ldr", 8);
  expect_wp("wp PAC EL0 only, ldr at EL1", 0, 0, 0);

  // LDTR at EL1 is an unprivileged access: it matches PAC EL0, not PAC EL1 (on the EL0 alias).
  uint64_t v;
  set_wvr(0, EL0(wbuf) + 8);
  __asm__ volatile("ldtr %0, [%1]" : "=r"(v) : "r"(EL0(wbuf) + 8) : "memory");
  bm_puts("wp PAC EL0, ldtr: ");
  CHECK(nevents == 1 && events[0].far == EL0(wbuf) + 8 && events[0].esr == ESR(0x35, 0x22), 42);
  bm_puts("esr ");
  bm_puthex(events[0].esr);
  bm_puts("\n");
  nevents = 0;
  set_wcr(0, WCR_E | WCR_EL1 | WCR_LOAD | WCR_BAS(0xff));
  ISB();
  __asm__ volatile("ldtr %0, [%1]" : "=r"(v) : "r"(EL0(wbuf) + 8) : "memory");
  CHECK(nevents == 0, 43);
  __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(EL0(wbuf) + 8) : "memory");
  CHECK(nevents == 1, 44);
  nevents = 0;
  bm_puts("wp PAC EL1, ldtr: none, ldr: hit\n");

  // Linked to context-ID breakpoint 5.
  debug_reset();
  set_bvr(5, 0x55);
  set_bcr(5, BCR_E | BCR_EL1 | BCR_BT(3));
  set_wvr(1, (uint64_t)wbuf + 8);
  set_wcr(1, WCR_E | WCR_EL1 | WCR_LOAD | WCR_BAS(0xff) | WCR_WT | WCR_LBN(5));
  SYSREG_WRITE(contextidr_el1, 0x56);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  LD("ldr", 8);
  expect_wp("wp linked, other context", 0, 0, 0);
  SYSREG_WRITE(contextidr_el1, 0x55);
  ISB();
  LD("ldr", 8);
  expect_wp("wp linked, context 0x55", 1, 0, 8);

  // From EL0 (EC 0x34), KDE not needed.
  debug_reset();
  set_wvr(2, EL0(wbuf) + 40);
  set_wcr(2, WCR_E | WCR_EL0 | WCR_STORE | WCR_BAS(0xff));
  SYSREG_WRITE(mdscr_el1, MDSCR_MDE);
  ISB();
  run_el0(EL0(el0_store), 0, EL0(el0_stack + sizeof el0_stack), EL0(wbuf) + 40, 0);
  CHECK(nevents == 2, 45);
  nevents = 1;
  expect("wp el0 str", 1, ESR(0x34, 0x62), EL0(el0_store), 40, (const volatile void *)EL0(wbuf));
}

static void print_step_trace(const char *what, const char *base) {
  for (int i = 0; i < nevents && i < 32; i++) {
    uint64_t ec = events[i].esr >> 26;
    bm_puts(what);
    bm_puts(": ec ");
    bm_puthex(ec);
    bm_puts(" iss ");
    bm_puthex(events[i].esr & (ec == 0x24 ? 0x3f : 0x1ffffff));
    bm_puts(" elr +");
    bm_putdec((int64_t)(events[i].elr - (uint64_t)base));
    bm_puts(" spsr.ss ");
    bm_putdec((events[i].spsr >> 21) & 1);
    bm_puts("\n");
  }
}

/** Stores i to a[i]: a loop hot enough to be compiled. */
__attribute__((noinline)) static void fill(volatile uint64_t *a, int n) {
  for (int i = 0; i < n; i++) a[i] = (uint64_t)i;
}

static void test_hot(void) {
  // Code that ran (and, on a JIT, was compiled) before the breakpoint or watchpoint was set.
  debug_reset();
  for (int i = 0; i < 100; i++) fill((volatile uint64_t *)wbuf, 16);
  CHECK(hot_loop(3000) == 9000, 80);
  set_bvr(0, (uint64_t)hot_bp);
  set_bcr(0, BCR_E | BCR_EL1 | BCR_BAS);
  DEBUG_ON(MDSCR_MDE | MDSCR_KDE);
  CHECK(hot_loop(3000) == 9000, 81);
  expect("bp in a hot loop", 1, ESR(0x31, 0x22), (uint64_t)hot_bp, 0, 0);
  watch((uint64_t)wbuf + 8 * 13, WCR_STORE | WCR_BAS(0xff));
  fill((volatile uint64_t *)wbuf, 16);
  expect_wp("wp in a hot loop, a[13]", 1, 1, 8 * 13);
  CHECK(*(volatile uint64_t *)(wbuf + 8 * 15) == 15, 82);
  debug_reset();
}

static void test_step(void) {
  // An EL0 program stepped from EL1 (KDE clear): ERET with SPSR.SS = 1 steps one instruction,
  // the handler sets SPSR.SS again for the next.
  static const struct {
    uint64_t ec, iss, off, ss;
  } want[] = {
      {0x32, 0x1000022, 0x04, 0}, // mov
      {0x32, 0x1000022, 0x08, 0}, // add
      {0x32, 0x1000022, 0x10, 0}, // b: at its target
      {0x32, 0x1000022, 0x14, 0}, // cbz not taken
      {0x32, 0x1000062, 0x18, 0}, // ldxr: EX
      {0x32, 0x1000022, 0x1c, 0}, // stxr: a store-exclusive is not a load-exclusive
      {0x32, 0x1000022, 0x20, 0}, // clrex
      {0x15, 0x0000001, 0x24, 0}, // svc: it completes, so SPSR.SS is 0
      {0x32, 0x0000022, 0x24, 0}, // the return with SPSR.SS 0: pending at once, ISV 0
      {0x32, 0x1000022, 0x28, 0}, // mov
      {0x3c, 0x0000003, 0x28, 1}, // brk: not completed, SPSR.SS 1 (the handler skips it)
      {0x24, 0x0000005, 0x2c, 1}, // ldr: translation fault, SPSR.SS 1 (skipped)
      {0x32, 0x1000022, 0x34, 0}, // mov
      {0x15, 0x00000ff, 0x38, 0}, // the exit SVC
  };

  debug_reset();
  excl_word = 5;
  keep_stepping = 1000;
  SYSREG_WRITE(mdscr_el1, MDSCR_SS);
  ISB();
  run_el0(EL0(el0_steps), SPSR_SS, EL0(el0_stack + sizeof el0_stack), EL0(&excl_word), UNMAPPED);
  print_step_trace("step el0", (const char *)EL0(el0_steps));
  CHECK(nevents == sizeof want / sizeof want[0], 50);
  for (int i = 0; i < nevents; i++) {
    CHECK(events[i].esr >> 26 == want[i].ec, 51);
    // The data abort's instruction syndrome (ISV and the fields it validates) is IMPLEMENTATION DEFINED.
    CHECK((events[i].esr & (want[i].ec == 0x24 ? 0x3f : 0x1ffffff)) == want[i].iss, 51);
    CHECK(events[i].elr == EL0(el0_steps) + want[i].off, 52);
    CHECK(((events[i].spsr >> 21) & 1) == want[i].ss, 53);
  }
  CHECK(events[11].far == UNMAPPED, 54);
  nevents = 0;

  // An ERET with SPSR.SS clear makes the step pending at once: the exception comes before the
  // first instruction (ISV 0). With the OS lock, SPSR.SS is ignored and nothing is stepped.
  keep_stepping = 0;
  SYSREG_WRITE(mdscr_el1, MDSCR_SS);
  ISB();
  run_el0(EL0(el0_nops), 0, EL0(el0_stack + sizeof el0_stack), 0, 0);
  print_step_trace("step el0 SPSR.SS clear", (const char *)EL0(el0_nops));
  CHECK(nevents == 2 && events[0].esr == ESR(0x32, 0x22) && events[0].elr == EL0(el0_nops), 55);
  nevents = 0;
#ifndef QEMU_REF
  SYSREG_WRITE(oslar_el1, 1);
  SYSREG_WRITE(mdscr_el1, MDSCR_SS);
  ISB();
  run_el0(EL0(el0_nops), SPSR_SS, EL0(el0_stack + sizeof el0_stack), 0, 0);
  CHECK(nevents == 1 && (events[0].esr >> 26) == 0x15, 56);
  nevents = 0;
  SYSREG_WRITE(oslar_el1, 0);
  ISB();
#endif

  // EL1 stepping itself (KDE): clearing PSTATE.D makes the step pending without an
  // instruction stepped (ISV 0); then two more instructions are stepped (ISV 1).
  debug_reset();
  keep_stepping = 2;
  SYSREG_WRITE(mdscr_el1, MDSCR_SS | MDSCR_KDE);
  ISB();
  el1_step_run();
  print_step_trace("step el1", el1_step);
  CHECK(nevents == 3, 57);
  CHECK(events[0].esr == ESR(0x33, 0x22) && events[0].elr == (uint64_t)el1_step + 4, 58);
  CHECK(events[1].esr == ESR(0x33, 0x1000022) && events[1].elr == (uint64_t)el1_step + 8, 59);
  CHECK(events[2].esr == ESR(0x33, 0x1000022) && events[2].elr == (uint64_t)el1_step + 12, 60);
  nevents = 0;
  // With PSTATE.D kept set, KDE does not matter: nothing is stepped.
  SYSREG_WRITE(mdscr_el1, MDSCR_SS | MDSCR_KDE);
  ISB();
  call_target();
  CHECK(nevents == 0, 61);
  debug_reset();
}

static void test_dcc(void) {
  // EL0 may read MDCCSR_EL0 unless MDSCR_EL1.TDCC traps it (EC 0x18).
  debug_reset();
  uint64_t r = run_el0(EL0(el0_dcc), 0, EL0(el0_stack + sizeof el0_stack), 0, 0);
  CHECK(nevents == 1 && r == 0, 70);
  nevents = 0;
#ifndef QEMU_REF
  SYSREG_WRITE(mdscr_el1, MDSCR_TDCC);
  ISB();
  run_el0(EL0(el0_dcc), 0, EL0(el0_stack + sizeof el0_stack), 0, 0);
  CHECK(nevents == 2 && events[0].esr == ESR(0x18, (2 << 20) | (3 << 14) | (1 << 1) | 1), 71);
  nevents = 0;
#endif
  bm_puts("dcc: ok\n");
}

int main(void) {
  bm_puts("debug: start\n");
  // The EL0 alias of RAM (read/write/execute at EL0, so not executable at EL1).
  bm_l1[2] = 0x40000000UL | 0x1 | (1 << 2) | (3 << 8) | (1 << 10) | (1 << 6);
  __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
  bm_handler = handler;
  test_id();
  test_breakpoints();
  test_watchpoints();
  test_hot();
  test_step();
  test_dcc();
  bm_puts("debug: ok\n");
  return 0;
}
