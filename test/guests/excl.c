// Load/store exclusives: LDXR/STXR loops (gcc's atomics without LSE), compare-and-swap,
// the monitor cleared by CLREX and unarmed by a plain store-exclusive, byte and pair forms,
// and the alignment fault every exclusive takes on a misaligned address.
#include "bm.h"

static volatile uint64_t counter;
static volatile uint64_t pair[2] __attribute__((aligned(16)));
static volatile uint8_t bytes[16];
static volatile uint64_t fault_esr, fault_far;

static uint32_t stxr(volatile uint64_t *p, uint64_t v) {
  uint32_t status;
  __asm__ volatile("stxr %w0, %1, [%2]" : "=&r"(status) : "r"(v), "r"(p) : "memory");
  return status;
}

static uint64_t ldxr(volatile uint64_t *p) {
  uint64_t v;
  __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
  return v;
}

static void on_fault(int kind, struct bm_frame *f) {
  if (kind != (BM_CUR_SPX | BM_SYNC)) bm_exit(0xee);
  fault_esr = f->esr;
  fault_far = f->far;
  f->elr += 4;
}

int main(void) {
  bm_puts("excl: start\n");
  for (int i = 0; i < 1000; i++) __atomic_fetch_add(&counter, 3, __ATOMIC_SEQ_CST);
  CHECK(counter == 3000, 1);
  uint64_t expected = 3000;
  CHECK(__atomic_compare_exchange_n(&counter, &expected, 5, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST), 2);
  expected = 3000;
  CHECK(!__atomic_compare_exchange_n(&counter, &expected, 6, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) && expected == 5, 3);
  CHECK(__atomic_exchange_n(&counter, 9, __ATOMIC_ACQ_REL) == 5 && counter == 9, 4);

  // A store-exclusive succeeds (status 0) only after a matching load-exclusive.
  CHECK(ldxr(&counter) == 9 && stxr(&counter, 10) == 0 && counter == 10, 5);
  CHECK(stxr(&counter, 11) == 1 && counter == 10, 6);  // monitor consumed by the last STXR
  ldxr(&counter);
  __asm__ volatile("clrex" ::: "memory");
  CHECK(stxr(&counter, 12) == 1 && counter == 10, 7);

  // Byte and pair forms.
  uint32_t st;
  uint64_t lo, hi;
  bytes[3] = 0x5a;
  __asm__ volatile("ldxrb %w0, [%2]\n\tadd %w0, %w0, #1\n\tstxrb %w1, %w0, [%2]"
                   : "=&r"(lo), "=&r"(st)
                   : "r"(&bytes[3])
                   : "memory");
  CHECK(st == 0 && bytes[3] == 0x5b && bytes[2] == 0 && bytes[4] == 0, 8);
  pair[0] = 1;
  pair[1] = 2;
  __asm__ volatile("ldaxp %0, %1, [%3]\n\tstlxp %w2, %1, %0, [%3]"
                   : "=&r"(lo), "=&r"(hi), "=&r"(st)
                   : "r"(pair)
                   : "memory");
  CHECK(lo == 1 && hi == 2 && st == 0 && pair[0] == 2 && pair[1] == 1, 9);

  // Exclusives need natural alignment even in Normal memory: Alignment fault (DFSC 0x21).
  bm_handler = on_fault;
  __asm__ volatile("ldxr %0, [%1]" : "=r"(lo) : "r"((uint64_t)&pair[0] + 4) : "memory");
  CHECK((fault_esr >> 26) == 0x25 && (fault_esr & 0x3f) == 0x21 && fault_far == (uint64_t)&pair[0] + 4, 10);

  bm_puts("excl: ok\n");
  return 0;
}
