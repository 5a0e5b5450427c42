/*
 * The CPU benchmark's guest: a bare-metal mix of real work compiled with gcc -O2 — SHA-256,
 * table-driven CRC32, quicksort, string copying and scanning, and a little floating point.
 * It prints a checksum over semihosting and exits with status 0, so a wrong result is caught.
 */
typedef unsigned long size_t;
typedef unsigned int u32;
typedef unsigned long u64;
typedef unsigned char u8;

#ifndef ROUNDS
#define ROUNDS 400
#endif

static long semihost(long op, void *arg) {
  register long x0 __asm__("x0") = op;
  register void *x1 __asm__("x1") = arg;
  __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return x0;
}

static void puts_(const char *s) { semihost(0x04, (void *)s); }

static void put_hex(const char *label, u64 v) {
  char buf[64];
  int i = 0;
  while (label[i]) {
    buf[i] = label[i];
    i++;
  }
  for (int k = 15; k >= 0; k--) buf[i++] = "0123456789abcdef"[(v >> (k * 4)) & 15];
  buf[i++] = '\n';
  buf[i] = 0;
  puts_(buf);
}

static void exit_(int code) {
  u64 block[2] = {0x20026, (u64)code};
  semihost(0x18, block);
  for (;;) {
  }
}

void *memcpy(void *dst, const void *src, size_t n) {
  u8 *d = dst;
  const u8 *s = src;
  if ((((u64)d | (u64)s) & 7) == 0) {
    for (; n >= 8; n -= 8, d += 8, s += 8) *(u64 *)d = *(const u64 *)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  u8 *d = dst;
  while (n--) *d++ = (u8)c;
  return dst;
}

static size_t strlen_(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

/* ---- SHA-256 ---- */
static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
    0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
    0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
    0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(u32 h[8], const u8 *p) {
  u32 w[64];
  for (int i = 0; i < 16; i++) w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    u32 s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    u32 t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    u32 t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static u64 sha256(const u8 *data, size_t len) {
  u32 h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  size_t i = 0;
  for (; i + 64 <= len; i += 64) sha256_block(h, data + i);
  u8 tail[128];
  size_t rest = len - i;
  memset(tail, 0, sizeof tail);
  memcpy(tail, data + i, rest);
  tail[rest] = 0x80;
  size_t tl = rest < 56 ? 64 : 128;
  u64 bits = (u64)len * 8;
  for (int k = 0; k < 8; k++) tail[tl - 1 - k] = (u8)(bits >> (8 * k));
  sha256_block(h, tail);
  if (tl == 128) sha256_block(h, tail + 64);
  return ((u64)h[0] << 32) | h[7];
}

/* ---- CRC32 (IEEE, table-driven) ---- */
static u32 crc_table[256];
static void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static u32 crc32(const u8 *p, size_t n) {
  u32 c = 0xffffffffu;
  while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

/* ---- quicksort ---- */
static void qsort_u32(u32 *a, long lo, long hi) {
  while (lo < hi) {
    u32 pivot = a[(lo + hi) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        u32 t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      qsort_u32(a, lo, j);
      lo = i;
    } else {
      qsort_u32(a, i, hi);
      hi = j;
    }
  }
}

/* ---- strings ---- */
static u64 string_work(char *buf, size_t cap, u32 seed) {
  static const char *words[] = {"dormouse", "sleeps", "through", "winter", "in", "a", "teapot", "while", "hatters", "argue"};
  size_t pos = 0;
  u64 acc = 0;
  while (pos + 16 < cap) {
    seed = seed * 1103515245u + 12345u;
    const char *w = words[(seed >> 16) % 10];
    size_t l = strlen_(w);
    memcpy(buf + pos, w, l);
    pos += l;
    buf[pos++] = ' ';
  }
  buf[pos] = 0;
  for (size_t i = 0; buf[i]; i++) acc = acc * 31 + (u8)buf[i];
  return acc ^ strlen_(buf);
}

/* ---- floating point: a small n-body style integration ---- */
static double fp_work(int steps) {
  double x[8], v[8];
  for (int i = 0; i < 8; i++) {
    x[i] = i * 1.25 - 3.0;
    v[i] = 0.5 - i * 0.125;
  }
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < 8; i++) {
      double f = 0;
      for (int j = 0; j < 8; j++) {
        double d = x[j] - x[i];
        f += d / (d * d + 0.01);
      }
      v[i] += f * 0.001;
    }
    for (int i = 0; i < 8; i++) x[i] += v[i] * 0.001;
  }
  double e = 0;
  for (int i = 0; i < 8; i++) e += x[i] * x[i] + v[i] * v[i];
  return e;
}

static u8 data[1 << 16];
static u32 keys[1 << 14];
static char text[1 << 14];

int bench_main(void) {
  u64 acc = 0;
  crc_init();
  for (int r = 0; r < ROUNDS; r++) {
    u32 seed = 0x1234567u + (u32)r;
    for (size_t i = 0; i < sizeof data; i++) {
      seed = seed * 1664525u + 1013904223u;
      data[i] = (u8)(seed >> 24);
    }
    acc += sha256(data, sizeof data);
    acc ^= crc32(data, sizeof data);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      seed = seed * 1664525u + 1013904223u;
      keys[i] = seed;
    }
    qsort_u32(keys, 0, (long)(sizeof keys / sizeof keys[0]) - 1);
    for (size_t i = 1; i < sizeof keys / sizeof keys[0]; i++) {
      if (keys[i - 1] > keys[i]) {
        puts_("sort failed\n");
        exit_(2);
      }
    }
    acc += keys[r];
    acc += string_work(text, sizeof text, seed);
    double e = fp_work(200);
    acc += (u64)(e * 1000.0);
  }
  put_hex("checksum ", acc);
  exit_(0);
  return 0;
}
