// C runtime of bare-metal guests (crt0.S + bm.c): semihosting output and exit, system
// registers, exception hooks.
#ifndef BM_H
#define BM_H
#include <stdint.h>

/** Saved state of an exception (crt0.S); a handler may change it, e.g. elr to skip. */
struct bm_frame {
  uint64_t x[31];
  uint64_t elr, spsr, esr, far, sp;
};

/** Vector numbers: 0-3 current EL with SP0, 4-7 current EL with SPx, 8-11 lower EL (AArch64); sync, IRQ, FIQ, SError. */
enum { BM_SYNC = 0, BM_IRQ = 1, BM_FIQ = 2, BM_SERROR = 3, BM_CUR_SPX = 4, BM_LOWER = 8 };

/** Called for every exception; the default reports it and exits with status 0xe0 + kind. */
extern void (*bm_handler)(int kind, struct bm_frame *frame);

void bm_putc(char c);
void bm_puts(const char *s);
void bm_puthex(uint64_t v);
void bm_putdec(int64_t v);
__attribute__((noreturn)) void bm_exit(int status);
/** Writes through SYS_OPEN(":tt") / SYS_WRITE (stderr = 1 for the error stream); returns bytes not written. */
long bm_write(int stderr_stream, const void *buf, unsigned long len);
uint64_t bm_semihost(uint64_t op, uint64_t arg);

#define SYSREG_READ(r) ({ uint64_t v_; __asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define SYSREG_WRITE(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)))
#define ISB() __asm__ volatile("isb" ::: "memory")

/** Reports a failed check and exits with `code`. */
#define CHECK(cond, code)                                                                   \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      bm_puts("check failed: " #cond "\n");                                                 \
      bm_exit(code);                                                                        \
    }                                                                                       \
  } while (0)

#endif
