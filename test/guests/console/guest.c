/*
 * Console and device-timer guest, on one vCPU with polling only (no interrupts): what a firmware
 * prompt does. Variants (-DVARIANT=):
 *   0 reads the PL011 in a tight loop (FR.RXFE) until EXPECT bytes or a ^D arrived, then prints
 *     how many and their FNV-1a hash: every byte typed must arrive while the guest spins on MMIO.
 *   1 prints COUNT bytes as fast as the UART takes them (FR.TXFF), then powers off.
 *   2 device timers: the SBSA watchdog's WS0 three times and a PL031 alarm, each reported with
 *     the polls it took (a few thousand instructions of work between two) and the counter;
 *     identical output run after run in --deterministic mode.
 *   3 runs until powered off, printing "tick <n> <CNTVCT>" every TICK iterations.
 *   4 as 3, with the SBSA watchdog armed for WDT_MS milliseconds and refreshed every 4096
 *     iterations: it never expires while the guest runs (a host that froze the VM for longer than
 *     that must have stopped its countdown, or the VM resets on the thaw).
 *   5 idles in WFI, woken by its virtual timer every TICK_MS milliseconds to print "tick <n>
 *     <CNTVCT>": a running guest that costs the host little.
 */
typedef unsigned long u64;
typedef unsigned int u32;

#ifndef VARIANT
#define VARIANT 0
#endif
#ifndef EXPECT
#define EXPECT 3000
#endif
#ifndef COUNT
#define COUNT 3000001
#endif
#ifndef TICK
#define TICK 2000000
#endif
#ifndef WDT_MS
#define WDT_MS 2000
#endif
#ifndef TICK_MS
#define TICK_MS 100
#endif

#define UART ((volatile u32 *)0x09000000)
#define UART_FR 6
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define RTC ((volatile u32 *)0x09010000)
#define WDT_CTRL ((volatile u32 *)0x090d0000)
#define WDT_REFRESH ((volatile u32 *)0x090c0000)


static void putc_(char c) {
  while (UART[UART_FR] & FR_TXFF) {
  }
  UART[0] = (u32)c;
}
__attribute__((unused)) static void puts_(const char *s) {
  while (*s) putc_(*s++);
}
__attribute__((unused)) static void puthex(u64 v) {
  puts_("0x");
  for (int i = 60; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}
__attribute__((unused)) static void putdec(u64 v) {
  char b[24];
  int n = 0;
  do {
    b[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) putc_(b[--n]);
}
__attribute__((unused)) static u64 cntvct(void) {
  u64 v;
  __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(v));
  return v;
}
/* Guest work between two polls of a device (a few thousand instructions, no MMIO). */
__attribute__((unused)) static void work(void) {
  for (int i = 0; i < 1000; i++) __asm__ volatile("" ::: "memory");
}
/* PSCI SYSTEM_OFF through the HVC conduit. */
static void system_off(void) {
  register u64 x0 __asm__("x0") = 0x84000008;
  __asm__ volatile("hvc #0" : "+r"(x0)::"memory");
  for (;;) {
  }
}

void guest_main(void) {
#if VARIANT == 0
  UART[11] = 0x70; /* LCR_H: 8 bits, FIFOs on */
  puts_("console guest: ready\n");
  u64 count = 0;
  u32 hash = 2166136261u;
  for (;;) {
    while (UART[UART_FR] & FR_RXFE) {
    }
    u32 c = UART[0] & 0xff;
    if (c == 4) break;
    hash = (hash ^ c) * 16777619u;
    if (++count == EXPECT) break;
  }
  puts_("got ");
  putdec(count);
  puts_(" bytes, fnv1a ");
  puthex(hash);
  puts_("\n");
#elif VARIANT == 1
  for (u64 i = 0; i < COUNT; i++) putc_(i % 64 == 63 ? '\n' : (char)('0' + i % 64 % 43));
#elif VARIANT == 2
  const u64 wor = 62500000 / 1000; /* 1 ms of the 62.5 MHz counter */
  WDT_CTRL[2] = (u32)wor;         /* WOR */
  WDT_CTRL[3] = 0;
  WDT_CTRL[0] = 1; /* WCS.EN: an explicit refresh, WCV = counter + WOR */
  for (int round = 0; round < 3; round++) {
    u64 n = 0;
    while (!(WDT_CTRL[0] & 2)) { /* WS0 */
      work();
      n++;
    }
    puts_("ws0 after ");
    putdec(n);
    puts_(" iterations, cntvct ");
    putdec(cntvct());
    puts_("\n");
    WDT_REFRESH[0] = 0; /* WRR: refresh, WS0 clears */
  }
  WDT_CTRL[0] = 0;
  RTC[4] = 0;                          /* IMSC: no interrupt; RIS is polled */
  RTC[7] = 1;                          /* ICR */
  RTC[1] = RTC[0] + 1;                 /* MR: the next second */
  u64 n = 0;
  while (!(RTC[5] & 1)) { /* RIS */
    work();
    n++;
  }
  puts_("rtc alarm after ");
  putdec(n);
  puts_(" iterations, rtc ");
  putdec(RTC[0]);
  puts_(", cntvct ");
  putdec(cntvct());
  puts_("\n");
#elif VARIANT == 3 || VARIANT == 4
#if VARIANT == 4
  WDT_CTRL[2] = (u32)(62500000ul / 1000 * WDT_MS); /* WOR */
  WDT_CTRL[3] = 0;
  WDT_CTRL[0] = 1; /* WCS.EN */
  puts_("watchdog armed\n");
#endif
  for (u64 n = 0;; n++) {
#if VARIANT == 4
    if (n % 4096 == 0) WDT_REFRESH[0] = 0;
#endif
    if (n % TICK == 0) {
      puts_("tick ");
      putdec(n / TICK);
      puts_(" ");
      putdec(cntvct());
      puts_("\n");
    }
  }
#elif VARIANT == 5
  for (u64 n = 0;; n++) {
    puts_("tick ");
    putdec(n);
    puts_(" ");
    putdec(cntvct());
    puts_("\n");
    /* The timer's condition (ISTATUS) wakes WFI with interrupts masked; a new TVAL clears it. */
    __asm__ volatile("msr cntv_tval_el0, %0\n msr cntv_ctl_el0, %1\n isb\n wfi" ::"r"(62500000ul / 1000 * TICK_MS), "r"(1ul));
  }
#endif
  system_off();
}
