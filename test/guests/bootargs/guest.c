/*
 * Prints where it runs, where its device tree is and the tree's /chosen: how a boot loader
 * (QEMU's -kernel, Dormouse's --kernel and image loaders) hands a bare-metal image its command
 * line. The tree is the one x0 points at, else the one at the start of RAM (where QEMU puts it
 * for an ELF, leaving x0 zero). Position independent; powers off with PSCI SYSTEM_OFF.
 */
typedef unsigned long u64;
typedef unsigned int u32;

#define UART ((volatile u32 *)0x09000000)
#define RAM_BASE 0x40000000ul
#define FDT_MAGIC 0xd00dfeedu

static void putc_(char c) {
  while (UART[6] & (1u << 5)) {
  }
  UART[0] = (u32)c;
}
static void puts_(const char *s) {
  while (*s) putc_(*s++);
}
static void puthex(u64 v) {
  puts_("0x");
  int started = 0;
  for (int i = 60; i >= 0; i -= 4) {
    int d = (v >> i) & 15;
    if (d || started || i == 0) {
      putc_("0123456789abcdef"[d]);
      started = 1;
    }
  }
}
static u32 be32(const unsigned char *p) {
  return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}
static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
static void system_off(void) {
  register u64 x0 __asm__("x0") = 0x84000008;
  __asm__ volatile("hvc #0" : "+r"(x0)::"memory");
  for (;;) {
  }
}

/* Prints the properties of /chosen this guest cares about. */
static void chosen(const unsigned char *fdt) {
  const unsigned char *st = fdt + be32(fdt + 8);
  const char *strings = (const char *)fdt + be32(fdt + 12);
  int depth = 0, in_chosen = 0, have_args = 0;
  u64 initrd_start = 0, initrd_end = 0;
  for (;;) {
    u32 tok = be32(st);
    st += 4;
    if (tok == 1) {
      const char *name = (const char *)st;
      depth++;
      in_chosen = depth == 2 && streq(name, "chosen");
      while (*st) st++;
      st = (const unsigned char *)(((u64)st + 4) & ~3ul);
    } else if (tok == 2) {
      depth--;
      in_chosen = 0;
    } else if (tok == 3) {
      u32 len = be32(st), nameoff = be32(st + 4);
      const unsigned char *val = st + 8;
      if (in_chosen) {
        const char *pn = strings + nameoff;
        if (streq(pn, "bootargs")) {
          puts_(" bootargs=\"");
          puts_((const char *)val);
          puts_("\"");
          have_args = 1;
        } else if (streq(pn, "linux,initrd-start")) {
          initrd_start = len == 8 ? ((u64)be32(val) << 32) | be32(val + 4) : be32(val);
        } else if (streq(pn, "linux,initrd-end")) {
          initrd_end = len == 8 ? ((u64)be32(val) << 32) | be32(val + 4) : be32(val);
        }
      }
      st = (const unsigned char *)(((u64)(val + len) + 3) & ~3ul);
    } else if (tok == 4) {
    } else {
      break;
    }
  }
  if (!have_args) puts_(" bootargs=none");
  if (initrd_start) {
    puts_(" initrd=");
    puthex(initrd_start);
    puts_("-");
    puthex(initrd_end);
  }
}

void guest_main(u64 x0, u64 self) {
  const unsigned char *fdt = 0;
  if (x0 && be32((const unsigned char *)x0) == FDT_MAGIC)
    fdt = (const unsigned char *)x0;
  else if (be32((const unsigned char *)RAM_BASE) == FDT_MAGIC)
    fdt = (const unsigned char *)RAM_BASE;
  puts_("bootargs guest: entry=");
  puthex(self);
  puts_(" dtb=");
  if (fdt) {
    puthex((u64)fdt);
    chosen(fdt);
  } else
    puts_("none");
  puts_("\n");
  system_off();
}
