/*
 * SYSTEM_SUSPEND guest on two vCPUs. The secondary is started with CPU_ON and goes off with
 * CPU_OFF while the boot vCPU polls AFFINITY_INFO; the boot vCPU fills RAM with a pattern, arms
 * its virtual timer as the wake source and calls SYSTEM_SUSPEND. It resumes at resume_entry with
 * the MMU off and x0 = the context id, checks its RAM and reports on the PL011.
 * Variants (-DVARIANT=): 0 timer wake, 1 wake source already pending, 2 secondary still on (DENIED),
 * 3 no wake source at all (the idle benchmark), 4 the PL031's alarm ALARM seconds ahead as the wake
 * source (its SPI enabled in the GIC; no timer): a host that keeps the VM frozen or saved past it
 * must wake it with reason rtc.
 */
typedef unsigned long u64;
typedef unsigned int u32;

#ifndef VARIANT
#define VARIANT 0
#endif

#ifndef ALARM
#define ALARM 3
#endif

#define UART ((volatile u32 *)0x09000000)
#define RTC ((volatile u32 *)0x09010000)
#define GICD ((volatile u32 *)0x08000000)
#define RTC_INTID 34
#define CONTEXT_ID 0x5a5a1234ul
#define PATTERN_WORDS (64 * 1024)

long smccc(u64 fid, u64 a1, u64 a2, u64 a3);
void secondary_entry(void);
void resume_entry(void);

static volatile u64 secondary_running;
static u64 pattern[PATTERN_WORDS];
static u64 saved_sum;

static void putc_(char c) { UART[0] = (u32)c; }
static void puts_(const char *s) {
  while (*s) putc_(*s++);
}
static void puthex(u64 v) {
  puts_("0x");
  for (int i = 60; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}

/* The PL031's match interrupt as a wake source: MR = now + ALARM, IMSC on, SPI 34 enabled in group 1. */
__attribute__((unused)) static void arm_rtc_alarm(void) {
  RTC[7] = 1;                                        /* ICR */
  GICD[0x80 / 4 + RTC_INTID / 32] |= 1u << (RTC_INTID % 32);  /* IGROUPR: group 1 */
  GICD[0x400 / 4 + RTC_INTID / 4] = 0x80u << (8 * (RTC_INTID % 4)); /* IPRIORITYR */
  GICD[0x100 / 4 + RTC_INTID / 32] = 1u << (RTC_INTID % 32);  /* ISENABLER */
  GICD[0] = 2;                                       /* CTLR.EnableGrp1NS */
  __asm__ volatile("msr s3_0_c4_c6_0, %0\n isb" ::"r"(0xf0ul)); /* ICC_PMR_EL1 */
  RTC[1] = RTC[0] + ALARM;                           /* MR */
  RTC[4] = 1;                                        /* IMSC */
  puts_("rtc alarm armed\n");
}

static void system_off(void) {
  smccc(0x84000008, 0, 0, 0);
  for (;;) {
  }
}

static u64 fill_and_sum(int fill) {
  u64 x = 0x9e3779b97f4a7c15ul, sum = 0;
  for (int i = 0; i < PATTERN_WORDS; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (fill) pattern[i] = x;
    sum = sum * 31 + (pattern[i] ^ (fill ? 0 : 0));
    if (!fill && pattern[i] != x) return ~sum;
  }
  return sum;
}

void secondary_main(void) {
  secondary_running = 1;
#if VARIANT == 2
  for (;;) {
  }
#else
  smccc(0x84000002, 0, 0, 0); /* CPU_OFF */
  puts_("secondary returned from CPU_OFF\n");
  system_off();
#endif
}

void guest_main(void) {
  puts_("suspend guest: boot\n");
  long r = smccc(0xc4000003, 1, (u64)secondary_entry, 0); /* CPU_ON64 */
  if (r != 0) {
    puts_("CPU_ON failed\n");
    system_off();
  }
  while (!secondary_running) {
  }
#if VARIANT != 2
  while (smccc(0xc4000004, 1, 0, 0) != 1) { /* AFFINITY_INFO64 until OFF */
  }
  puts_("secondary off\n");
#endif
  saved_sum = fill_and_sum(1);
  puts_("ram checksum ");
  puthex(saved_sum);
  puts_("\n");
  u64 tval = VARIANT == 1 ? 0 : 62500000 / 5; /* 200 ms of the 62.5 MHz counter */
  __asm__ volatile("msr cntv_tval_el0, %0\n msr cntv_ctl_el0, %1\n isb" ::"r"(tval), "r"(VARIANT >= 3 ? 0ul : 1ul));
#if VARIANT == 4
  arm_rtc_alarm();
#endif
  puts_("suspending\n");
  r = smccc(0xc400000e, (u64)resume_entry, CONTEXT_ID, 0); /* SYSTEM_SUSPEND64 */
  puts_("SYSTEM_SUSPEND returned ");
  puthex((u64)r);
  puts_(r == -3 ? " (DENIED)\n" : "\n");
  system_off();
}

void resume_main(u64 ctx, u64 el, u64 daif, u64 sctlr) {
  __asm__ volatile("msr cntv_ctl_el0, xzr\n isb");
  puts_("resumed: context ");
  puthex(ctx);
  puts_(ctx == CONTEXT_ID ? " ok" : " WRONG");
  puts_(", EL1h ");
  puts_(el == 4 && daif == 0x3c0 && (sctlr & 1) == 0 ? "ok" : "WRONG");
  u64 sum = fill_and_sum(0);
  puts_(", ram ");
  puts_(sum == saved_sum ? "intact" : "CORRUPTED");
  puts_("\n");
  system_off();
}
