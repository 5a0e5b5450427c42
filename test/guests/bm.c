// C runtime of bare-metal guests: semihosting calls (HLT #0xF000) and the exception hook.
#include "bm.h"

uint64_t bm_semihost(uint64_t op, uint64_t arg) {
  register uint64_t x0 __asm__("x0") = op;
  register uint64_t x1 __asm__("x1") = arg;
  __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return x0;
}

void bm_putc(char c) { bm_semihost(0x03, (uint64_t)&c); }

void bm_puts(const char *s) { bm_semihost(0x04, (uint64_t)s); }

void bm_puthex(uint64_t v) {
  char buf[19];
  buf[0] = '0';
  buf[1] = 'x';
  for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  buf[18] = 0;
  bm_puts(buf);
}

void bm_putdec(int64_t v) {
  char buf[24];
  int i = 23;
  uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) buf[--i] = '-';
  bm_puts(buf + i);
}

void bm_exit(int status) {
  volatile uint64_t block[2] = {0x20026, (uint64_t)(int64_t)status};
  bm_semihost(0x18, (uint64_t)block);
  for (;;) {
  }
}

static long console[2] = {-1, -1};

long bm_write(int stderr_stream, const void *buf, unsigned long len) {
  int i = stderr_stream ? 1 : 0;
  if (console[i] < 0) {
    volatile uint64_t open[3] = {(uint64_t) ":tt", stderr_stream ? 8 : 4, 3};
    console[i] = (long)bm_semihost(0x01, (uint64_t)open);
  }
  volatile uint64_t w[3] = {(uint64_t)console[i], (uint64_t)buf, len};
  return (long)bm_semihost(0x05, (uint64_t)w);
}

static void default_handler(int kind, struct bm_frame *f) {
  bm_puts("unexpected exception ");
  bm_puthex((uint64_t)kind);
  bm_puts(" ESR ");
  bm_puthex(f->esr);
  bm_puts(" ELR ");
  bm_puthex(f->elr);
  bm_puts(" FAR ");
  bm_puthex(f->far);
  bm_puts("\n");
  bm_exit(0xe0 + kind);
}

void (*bm_handler)(int kind, struct bm_frame *frame) = default_handler;

void bm_exception(int kind, struct bm_frame *f) { bm_handler(kind, f); }
