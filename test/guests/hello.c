// A first C guest: semihosting output (SYS_WRITE0, SYS_WRITE to stdout and stderr), a little
// arithmetic and memory traffic, an SVC through the C exception hook, exit status from main.
#include "bm.h"

static uint64_t fib[64];
static volatile int svc_seen;

static void on_svc(int kind, struct bm_frame *f) {
  if (kind == (BM_CUR_SPX | BM_SYNC) && (f->esr >> 26) == 0x15) {
    svc_seen = (int)(f->esr & 0xffff);
    f->x[0] += 1;
    return;
  }
  bm_exit(0xee);
}

int main(void) {
  bm_puts("hello from C\n");
  fib[0] = 0;
  fib[1] = 1;
  for (int i = 2; i < 64; i++) fib[i] = fib[i - 1] + fib[i - 2];
  CHECK(fib[63] == 0x5f6c7b064e2ull, 1);
  bm_puts("fib(50) = ");
  bm_putdec((int64_t)fib[50]);
  bm_putc('\n');
  CHECK(bm_write(0, "to stdout\n", 10) == 0, 2);
  CHECK(bm_write(1, "to stderr\n", 10) == 0, 3);
  bm_handler = on_svc;
  register uint64_t x0 __asm__("x0") = 41;
  __asm__ volatile("svc #0x99" : "+r"(x0)::"memory");
  CHECK(x0 == 42 && svc_seen == 0x99, 4);
  return 7;
}
