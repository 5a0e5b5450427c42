/*
 * Differential-test oracle: a static aarch64 Linux program run under qemu-aarch64. Reads a batch
 * of test cases (stdin), runs each one natively (in the emulated user process) and writes one
 * result record per case (stdout). Formats: tools/diff/format.ts.
 *
 * Per case: the data buffer at DATA_ADDR is filled from the case's seed (xorshift32, one word at
 * a time), the code is copied to CODE_ADDR (the rest of the page is zero, i.e. UDF), every
 * register is loaded by the trampoline, and the code runs until a signal (BRK #0 -> SIGTRAP
 * ends a case normally). The handler captures the state from the ucontext and resumes the host.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/sigcontext.h>
#include "oracle.h"

struct case_in {
  uint32_t ncode, flags, data_seed, fpcr, fpsr, nzcv;
  uint64_t x[31];
  uint64_t sp;
  uint8_t v[32][16];
  uint32_t code[MAX_WORDS];
};

struct result {
  uint32_t sig, code;
  uint64_t fault, pc, pstate;
  uint64_t x[31];
  uint64_t sp;
  uint32_t fpsr, fpcr;
  uint8_t v[32][16];
  uint32_t ndiff;
} __attribute__((packed));

#define MAX_DIFF 8192

extern void run_case(void *block);
extern void case_resume(void);
extern char tramp_start[], tramp_branch[], tramp_end[];

static uint8_t block[LS_X + 31 * 8] __attribute__((aligned(16)));
static struct result res;
static volatile int in_case;
static uint32_t init_data[DATA_SIZE / 4];
static uint32_t diffs[MAX_DIFF];
static uint8_t altstack[1 << 16] __attribute__((aligned(16)));

/* One word in 32 of the data buffer is one of these (FP specials as words and f64 high halves). */
static const uint32_t specials[16] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0x00000001, 0x807fffff,
    0x7ff00000, 0xfff80000, 0x000fffff, 0x3ff00000, 0x7f7fffff, 0x00800000, 0xffffffff, 0x7ff80000,
};

static void die(const char *msg) {
  fprintf(stderr, "oracle: %s\n", msg);
  exit(2);
}

static void handler(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  struct sigcontext *mc = (struct sigcontext *)&uc->uc_mcontext;
  if (!in_case) {
    if (sig == SIGALRM) return;
    /* A fault in the oracle itself. */
    static const char msg[] = "oracle: fault outside a test case\n";
    write(2, msg, sizeof msg - 1);
    _exit(3);
  }
  in_case = 0;
  res.sig = sig;
  res.code = si->si_code;
  res.fault = sig == SIGALRM ? 0 : (uint64_t)si->si_addr;
  for (int i = 0; i < 31; i++) res.x[i] = mc->regs[i];
  res.sp = mc->sp;
  res.pc = mc->pc;
  res.pstate = mc->pstate;
  struct _aarch64_ctx *h = (struct _aarch64_ctx *)mc->__reserved;
  while (h->magic && (char *)h < (char *)mc->__reserved + sizeof mc->__reserved) {
    if (h->magic == FPSIMD_MAGIC) {
      struct fpsimd_context *f = (struct fpsimd_context *)h;
      res.fpsr = f->fpsr;
      res.fpcr = f->fpcr;
      const uint8_t *src = (const uint8_t *)f->vregs;
      for (int i = 0; i < 512; i++) res.v[i / 16][i % 16] = src[i];
    }
    if (!h->size) break;
    h = (struct _aarch64_ctx *)((char *)h + h->size);
  }
  mc->pc = (uint64_t)case_resume;
}

static void *map_fixed(uint64_t addr, uint64_t size, int prot) {
  void *p = mmap((void *)addr, size, prot, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != (void *)addr) die("mmap failed");
  return p;
}

static uint8_t *read_all(size_t *len) {
  size_t cap = 1 << 20, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (n == cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(0, buf + n, cap - n);
    if (r < 0) die("read failed");
    if (r == 0) break;
    n += r;
  }
  *len = n;
  return buf;
}

int main(void) {
  size_t len;
  uint8_t *in = read_all(&len);
  if (len < 8 || memcmp(in, "DMDC", 4)) die("bad input magic");
  uint32_t count;
  memcpy(&count, in + 4, 4);
  if (len != 8 + (size_t)count * sizeof(struct case_in)) die("bad input length");

  uint32_t *data = map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
  uint32_t *code = map_fixed(CODE_ADDR, CODE_SIZE, PROT_READ | PROT_WRITE);
  uint32_t *tramp = map_fixed(TRAMP_ADDR, TRAMP_SIZE, PROT_READ | PROT_WRITE);
  size_t tlen = tramp_end - tramp_start;
  memcpy(tramp, tramp_start, tlen);
  size_t bidx = (tramp_branch - tramp_start) / 4;
  int64_t off = ((int64_t)CODE_ADDR - (int64_t)(TRAMP_ADDR + bidx * 4)) / 4;
  tramp[bidx] = 0x14000000u | ((uint32_t)off & 0x3ffffff);
  if (mprotect(tramp, TRAMP_SIZE, PROT_READ | PROT_EXEC)) die("mprotect");
  __builtin___clear_cache((char *)tramp, (char *)tramp + TRAMP_SIZE);

  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, 0)) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset(&sa.sa_mask);
  int sigs[] = {SIGTRAP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGALRM, SIGSYS};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    if (sigaction(sigs[i], &sa, 0)) die("sigaction");
  }

  FILE *out = stdout;
  static char obuf[1 << 20];
  setvbuf(out, obuf, _IOFBF, sizeof obuf);
  fwrite("DMDR", 1, 4, out);
  fwrite(&count, 4, 1, out);
  uint32_t used = CODE_SIZE / 4;
  struct itimerval arm = {.it_value = {.tv_sec = 1}}, disarm = {0};

  for (uint32_t k = 0; k < count; k++) {
    struct case_in c;
    memcpy(&c, in + 8 + (size_t)k * sizeof c, sizeof c);
    if (c.ncode > MAX_WORDS) die("too many code words");
    uint32_t s = c.data_seed | 1;
    for (size_t i = 0; i < DATA_SIZE / 4; i++) {
      s ^= s << 13;
      s ^= s >> 17;
      s ^= s << 5;
      init_data[i] = (s & 0x1f) == 0 ? specials[(s >> 5) & 15] : s;
    }
    memcpy(data, init_data, DATA_SIZE);

    if (mprotect(code, CODE_SIZE, PROT_READ | PROT_WRITE)) die("mprotect");
    memset(code, 0, used * 4);
    memcpy(code, c.code, c.ncode * 4);
    used = c.ncode;
    if (mprotect(code, CODE_SIZE, PROT_READ | PROT_EXEC)) die("mprotect");
    __builtin___clear_cache((char *)code, (char *)code + CODE_SIZE);

    memcpy(block + LS_V, c.v, 512);
    uint64_t t;
    memcpy(block + LS_SP, &c.sp, 8);
    t = c.nzcv;
    memcpy(block + LS_NZCV, &t, 8);
    t = c.fpcr;
    memcpy(block + LS_FPCR, &t, 8);
    t = c.fpsr;
    memcpy(block + LS_FPSR, &t, 8);
    memcpy(block + LS_X, c.x, 31 * 8);

    memset(&res, 0, sizeof res);
    setitimer(ITIMER_REAL, &arm, 0);
    in_case = 1;
    run_case(block);
    setitimer(ITIMER_REAL, &disarm, 0);

    uint32_t nd = 0;
    const uint8_t *a = (const uint8_t *)init_data, *b = (const uint8_t *)data;
    for (size_t i = 0; i < DATA_SIZE / 4; i++) {
      if (init_data[i] == data[i]) continue;
      for (size_t j = i * 4; j < i * 4 + 4; j++) {
        if (a[j] != b[j] && nd < MAX_DIFF) diffs[nd++] = (uint32_t)(j << 8) | b[j];
      }
    }
    res.ndiff = nd;
    fwrite(&res, sizeof res, 1, out);
    fwrite(diffs, 4, nd, out);
  }
  fflush(out);
  return 0;
}
