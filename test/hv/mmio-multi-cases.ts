// The multi-access load/store forms the MMIO guest (mmio-multi.test.ts) performs against a
// logging device, with the accesses each must make, in order, and the registers it leaves.
//
// Sizes and order follow the Arm ARM pseudocode (one Mem[] access per element, pairs and
// structures in increasing element order): 128-bit accesses are two 64-bit halves, low half
// first (as QEMU splits them for I/O, and as v8.0's single-copy atomicity treats them); DC ZVA
// of a device is 64 byte stores in address order (QEMU's HELPER(dc_zva) for I/O); LDXP/STXP
// of W registers is one 64-bit access, of X registers two (the pseudocode); a store-exclusive
// reads memory first and writes only when it still holds what the load-exclusive saw (the
// value-based monitor of QEMU's TCG; QEMU also writes the old value back on failure, which a
// failed store-exclusive must not do). Two departures of QEMU are not followed: it issues a
// pair of W registers as one 64-bit access and promotes LD1/ST1 elements to 64-bit accesses,
// where Device-nGnRnE memory must see the accesses the program makes.

/** The device window (one 4 KB page) and where in it the tests' base register points. */
export const DEV = 0x1000_0000n;
export const BASE = 0x100;
/** Device offsets the guest writes to: the case number (before each case), the interrupt it took, an unexpected exception. */
export const MARK = 0xf00;
export const IRQ_MARK = 0xf04;
export const BAD_MARK = 0xf08;
/** Where the MMU cases see the window as Normal memory, twice in a row. */
export const NORMAL_VA = 0x1100_0000n;
/** The SPI the device raises in the interrupt case. */
export const DEV_SPI = 40;

/** One device access: a read (value undefined: the device's) or a write of `value`. */
export interface Access {
  off: number;
  size: number;
  write: boolean;
  value: bigint;
}

/** Registers a case changes (the others keep their initial values). */
export interface RegExpect {
  x?: Record<number, bigint>;
  v?: Record<number, bigint>;
  x20?: bigint;
}

export interface MmioCase {
  name: string;
  /** The instruction(s) under test; x20 holds DEV + at, or `va`. */
  asm: string;
  at?: number;
  va?: bigint;
  /** What the device sees, in order; reads as [off, size]. */
  accesses: [number, number, bigint?][];
  /** The registers after the instruction, given the values read in order. */
  regs?: (rd: bigint[]) => RegExpect;
  /** A data abort expected on a later access (the page after the window is unmapped): write or not. */
  abort?: { write: boolean };
  /**
   * Executed with the MMU on: the window mapped as Device-nGnRnE at DEV, the next page unmapped;
   * the window also mapped as Normal memory at NORMAL_VA and again at the page after it.
   */
  mmu?: boolean;
  /** The device raises DEV_SPI at this case's first access; the guest has IRQs unmasked. */
  irq?: boolean;
}

const mask = (bytes: number) => (1n << BigInt(8 * bytes)) - 1n;
const sext32 = (v: bigint) => BigInt.asUintN(64, BigInt.asIntN(32, v));

/** Initial x0..x5 of every case (x4 receives store-exclusive status, x5 is a post-index amount). */
export const XI = [0x8a7b6c5d4e3f2011n, 0x9182736455463728n, 0xa1b2c3d4e5f60718n, 0xf0e1d2c3b4a59687n, 0x4444444444444444n, 0x40n];
/** Initial v0..v3: bytes 0x40.., 0x50.., 0x60.., 0x70... */
export const VI = [0, 1, 2, 3].map((i) =>
  cat(
    1,
    Array.from({ length: 16 }, (_, j) => BigInt(0x40 + 16 * i + j)),
  ),
);

/** The device's byte at `off` during case `epoch` (so a wider read sees the same bytes as narrower ones). */
export function devByte(epoch: number, off: number): number {
  return (off * 29 + epoch * 71 + 0x93) & 0xff;
}
export function devRead(epoch: number, off: number, size: number): bigint {
  let v = 0n;
  for (let j = 0; j < size; j++) v |= BigInt(devByte(epoch, off + j)) << BigInt(8 * j);
  return v;
}

/** Little-endian concatenation of `size`-byte lanes. */
export function cat(size: number, lanes: bigint[]): bigint {
  return lanes.reduce((v, l, i) => v | ((l & mask(size)) << BigInt(8 * size * i)), 0n);
}
/** The `size`-byte lanes of v (n of them). */
export function lanes(v: bigint, size: number, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => (v >> BigInt(8 * size * i)) & mask(size));
}
function withLane(v: bigint, size: number, i: number, x: bigint): bigint {
  const sh = BigInt(8 * size * i);
  return (v & ~(mask(size) << sh)) | ((x & mask(size)) << sh);
}
const rep = (x: bigint, n: number) => Array.from({ length: n }, () => x);
const reads = (off: number, size: number, n: number): [number, number][] => Array.from({ length: n }, (_, i) => [off + i * size, size]);
const writes = (off: number, size: number, values: bigint[]): [number, number, bigint][] => values.map((v, i) => [off + i * size, size, v]);
const B = BASE;
const at = (off: number) => DEV + BigInt(off);
/** Element e of register r of a structure store, interleaved over `regs` registers. */
const interleave = (regs: number[], size: number, n: number) =>
  Array.from({ length: n * regs.length }, (_, k) => lanes(VI[regs[k % regs.length]], size, n)[Math.floor(k / regs.length)]);
/** Lane i of register j of a structure load of `regs` registers from interleaved reads. */
const deinterleave = (rd: bigint[], regs: number, j: number) => rd.filter((_, k) => k % regs === j);

export const CASES: MmioCase[] = [
  // ---- Pairs of general registers ----
  { name: "STP X", asm: "stp x0, x1, [x20]", accesses: writes(B, 8, [XI[0], XI[1]]) },
  { name: "STP W", asm: "stp w2, w3, [x20, #8]", accesses: writes(B + 8, 4, [XI[2] & mask(4), XI[3] & mask(4)]) },
  {
    name: "STP X pre-index",
    asm: "stp x0, x1, [x20, #-16]!",
    accesses: writes(B - 16, 8, [XI[0], XI[1]]),
    regs: () => ({ x20: at(B - 16) }),
  },
  {
    name: "STP W post-index",
    asm: "stp w0, w1, [x20], #8",
    accesses: writes(B, 4, [XI[0] & mask(4), XI[1] & mask(4)]),
    regs: () => ({ x20: at(B + 8) }),
  },
  { name: "STNP X", asm: "stnp x2, x3, [x20, #16]", accesses: writes(B + 16, 8, [XI[2], XI[3]]) },
  { name: "LDP X", asm: "ldp x0, x1, [x20]", accesses: reads(B, 8, 2), regs: (rd) => ({ x: { 0: rd[0], 1: rd[1] } }) },
  { name: "LDP W", asm: "ldp w2, w3, [x20, #8]", accesses: reads(B + 8, 4, 2), regs: (rd) => ({ x: { 2: rd[0], 3: rd[1] } }) },
  {
    name: "LDP X pre-index",
    asm: "ldp x0, x1, [x20, #16]!",
    accesses: reads(B + 16, 8, 2),
    regs: (rd) => ({ x: { 0: rd[0], 1: rd[1] }, x20: at(B + 16) }),
  },
  {
    name: "LDP X post-index",
    asm: "ldp x2, x3, [x20], #-16",
    accesses: reads(B, 8, 2),
    regs: (rd) => ({ x: { 2: rd[0], 3: rd[1] }, x20: at(B - 16) }),
  },
  { name: "LDPSW", asm: "ldpsw x0, x1, [x20]", accesses: reads(B, 4, 2), regs: (rd) => ({ x: { 0: sext32(rd[0]), 1: sext32(rd[1]) } }) },
  {
    name: "LDPSW pre-index",
    asm: "ldpsw x2, x3, [x20, #8]!",
    accesses: reads(B + 8, 4, 2),
    regs: (rd) => ({ x: { 2: sext32(rd[0]), 3: sext32(rd[1]) }, x20: at(B + 8) }),
  },
  { name: "LDNP W", asm: "ldnp w0, w1, [x20]", accesses: reads(B, 4, 2), regs: (rd) => ({ x: { 0: rd[0], 1: rd[1] } }) },
  // ---- 128-bit and SIMD&FP pairs ----
  { name: "LDR Q", asm: "ldr q0, [x20]", accesses: reads(B, 8, 2), regs: (rd) => ({ v: { 0: cat(8, rd) } }) },
  { name: "STR Q", asm: "str q1, [x20, #16]", accesses: writes(B + 16, 8, lanes(VI[1], 8, 2)) },
  {
    name: "LDR Q post-index",
    asm: "ldr q2, [x20], #32",
    accesses: reads(B, 8, 2),
    regs: (rd) => ({ v: { 2: cat(8, rd) }, x20: at(B + 32) }),
  },
  {
    name: "STR Q pre-index",
    asm: "str q3, [x20, #-16]!",
    accesses: writes(B - 16, 8, lanes(VI[3], 8, 2)),
    regs: () => ({ x20: at(B - 16) }),
  },
  {
    name: "LDP Q",
    asm: "ldp q0, q1, [x20]",
    accesses: reads(B, 8, 4),
    regs: (rd) => ({ v: { 0: cat(8, rd.slice(0, 2)), 1: cat(8, rd.slice(2)) } }),
  },
  {
    name: "STP Q pre-index",
    asm: "stp q2, q3, [x20, #32]!",
    accesses: writes(B + 32, 8, [...lanes(VI[2], 8, 2), ...lanes(VI[3], 8, 2)]),
    regs: () => ({ x20: at(B + 32) }),
  },
  {
    name: "LDNP Q",
    asm: "ldnp q2, q3, [x20]",
    accesses: reads(B, 8, 4),
    regs: (rd) => ({ v: { 2: cat(8, rd.slice(0, 2)), 3: cat(8, rd.slice(2)) } }),
  },
  { name: "LDP D", asm: "ldp d2, d3, [x20, #-16]", accesses: reads(B - 16, 8, 2), regs: (rd) => ({ v: { 2: rd[0], 3: rd[1] } }) },
  { name: "STP S", asm: "stp s0, s1, [x20]", accesses: writes(B, 4, [VI[0] & mask(4), VI[1] & mask(4)]) },
  { name: "STNP D", asm: "stnp d0, d1, [x20, #8]", accesses: writes(B + 8, 8, [VI[0] & mask(8), VI[1] & mask(8)]) },
  // ---- Structures: multiple, single lane, replicate ----
  {
    name: "LD1 two registers .16B",
    asm: "ld1 {v0.16b, v1.16b}, [x20]",
    accesses: reads(B, 1, 32),
    regs: (rd) => ({ v: { 0: cat(1, rd.slice(0, 16)), 1: cat(1, rd.slice(16)) } }),
  },
  { name: "ST1 one register .16B", asm: "st1 {v2.16b}, [x20]", accesses: writes(B, 1, lanes(VI[2], 1, 16)) },
  {
    name: "LD1 three registers .4S",
    asm: "ld1 {v1.4s, v2.4s, v3.4s}, [x20]",
    accesses: reads(B, 4, 12),
    regs: (rd) => ({ v: { 1: cat(4, rd.slice(0, 4)), 2: cat(4, rd.slice(4, 8)), 3: cat(4, rd.slice(8)) } }),
  },
  {
    name: "ST1 four registers .8H",
    asm: "st1 {v0.8h, v1.8h, v2.8h, v3.8h}, [x20]",
    accesses: writes(
      B,
      2,
      [0, 1, 2, 3].flatMap((r) => lanes(VI[r], 2, 8)),
    ),
  },
  {
    name: "LD1 four registers .2D",
    asm: "ld1 {v0.2d, v1.2d, v2.2d, v3.2d}, [x20]",
    accesses: reads(B, 8, 8),
    regs: (rd) => ({ v: { 0: cat(8, rd.slice(0, 2)), 1: cat(8, rd.slice(2, 4)), 2: cat(8, rd.slice(4, 6)), 3: cat(8, rd.slice(6)) } }),
  },
  {
    name: "LD1 .8B post-index",
    asm: "ld1 {v3.8b}, [x20], #8",
    accesses: reads(B, 1, 8),
    regs: (rd) => ({ v: { 3: cat(1, rd) }, x20: at(B + 8) }),
  },
  {
    name: "LD2 .8B",
    asm: "ld2 {v0.8b, v1.8b}, [x20]",
    accesses: reads(B, 1, 16),
    regs: (rd) => ({ v: { 0: cat(1, deinterleave(rd, 2, 0)), 1: cat(1, deinterleave(rd, 2, 1)) } }),
  },
  { name: "ST2 .4S", asm: "st2 {v2.4s, v3.4s}, [x20]", accesses: writes(B, 4, interleave([2, 3], 4, 4)) },
  {
    name: "LD3 .4H",
    asm: "ld3 {v0.4h, v1.4h, v2.4h}, [x20]",
    accesses: reads(B, 2, 12),
    regs: (rd) => ({ v: { 0: cat(2, deinterleave(rd, 3, 0)), 1: cat(2, deinterleave(rd, 3, 1)), 2: cat(2, deinterleave(rd, 3, 2)) } }),
  },
  { name: "ST4 .16B", asm: "st4 {v0.16b, v1.16b, v2.16b, v3.16b}, [x20]", accesses: writes(B, 1, interleave([0, 1, 2, 3], 1, 16)) },
  {
    name: "LD4 .2S post-index by register",
    asm: "ld4 {v0.2s, v1.2s, v2.2s, v3.2s}, [x20], x5",
    accesses: reads(B, 4, 8),
    regs: (rd) => ({ v: Object.fromEntries([0, 1, 2, 3].map((j) => [j, cat(4, deinterleave(rd, 4, j))])), x20: at(B) + XI[5] }),
  },
  {
    name: "LD1 lane S[1]",
    asm: "ld1 {v0.s}[1], [x20]",
    accesses: reads(B, 4, 1),
    regs: (rd) => ({ v: { 0: withLane(VI[0], 4, 1, rd[0]) } }),
  },
  {
    name: "LD2 lane H[3]",
    asm: "ld2 {v1.h, v2.h}[3], [x20]",
    accesses: reads(B, 2, 2),
    regs: (rd) => ({ v: { 1: withLane(VI[1], 2, 3, rd[0]), 2: withLane(VI[2], 2, 3, rd[1]) } }),
  },
  { name: "ST1 lane D[1]", asm: "st1 {v1.d}[1], [x20]", accesses: writes(B, 8, [lanes(VI[1], 8, 2)[1]]) },
  {
    name: "ST3 lane B[5]",
    asm: "st3 {v0.b, v1.b, v2.b}[5], [x20]",
    accesses: writes(
      B,
      1,
      [0, 1, 2].map((r) => lanes(VI[r], 1, 16)[5]),
    ),
  },
  {
    name: "LD4 lane S[2] post-index",
    asm: "ld4 {v0.s, v1.s, v2.s, v3.s}[2], [x20], #16",
    accesses: reads(B, 4, 4),
    regs: (rd) => ({ v: Object.fromEntries([0, 1, 2, 3].map((j) => [j, withLane(VI[j], 4, 2, rd[j])])), x20: at(B + 16) }),
  },
  { name: "LD1R .4S", asm: "ld1r {v0.4s}, [x20]", accesses: reads(B, 4, 1), regs: (rd) => ({ v: { 0: cat(4, rep(rd[0], 4)) } }) },
  {
    name: "LD2R .8H",
    asm: "ld2r {v1.8h, v2.8h}, [x20]",
    accesses: reads(B, 2, 2),
    regs: (rd) => ({ v: { 1: cat(2, rep(rd[0], 8)), 2: cat(2, rep(rd[1], 8)) } }),
  },
  {
    name: "LD4R .8B",
    asm: "ld4r {v0.8b, v1.8b, v2.8b, v3.8b}, [x20]",
    accesses: reads(B, 1, 4),
    regs: (rd) => ({ v: Object.fromEntries([0, 1, 2, 3].map((j) => [j, cat(1, rep(rd[j], 8))])) }),
  },
  {
    name: "LD3R .2D post-index",
    asm: "ld3r {v0.2d, v1.2d, v2.2d}, [x20], #24",
    accesses: reads(B, 8, 3),
    regs: (rd) => ({ v: Object.fromEntries([0, 1, 2].map((j) => [j, cat(8, rep(rd[j], 2))])), x20: at(B + 24) }),
  },
  // ---- Exclusive pairs ----
  { name: "LDXP X", asm: "ldxp x0, x1, [x20]", accesses: reads(B, 8, 2), regs: (rd) => ({ x: { 0: rd[0], 1: rd[1] } }) },
  { name: "LDAXP W", asm: "ldaxp w2, w3, [x20]", accesses: reads(B, 8, 1), regs: (rd) => ({ x: { 2: rd[0] & mask(4), 3: rd[0] >> 32n } }) },
  {
    name: "LDXP then STXP X (succeeds)",
    asm: "ldxp x0, x1, [x20]\n  stxp w4, x2, x3, [x20]",
    accesses: [...reads(B, 8, 2), ...reads(B, 8, 2), ...writes(B, 8, [XI[2], XI[3]])],
    regs: (rd) => ({ x: { 0: rd[0], 1: rd[1], 4: 0n } }),
  },
  {
    name: "LDAXP then STLXP W (succeeds)",
    asm: "ldaxp w0, w1, [x20]\n  stlxp w4, w2, w3, [x20]",
    accesses: [...reads(B, 8, 1), ...reads(B, 8, 1), ...writes(B, 8, [((XI[3] & mask(4)) << 32n) | (XI[2] & mask(4))])],
    regs: (rd) => ({ x: { 0: rd[0] & mask(4), 1: rd[0] >> 32n, 4: 0n } }),
  },
  {
    name: "STXP X to another address (fails, no access)",
    asm: "ldxp x0, x1, [x20]\n  add x6, x20, #16\n  stxp w4, x2, x3, [x6]",
    accesses: reads(B, 8, 2),
    regs: (rd) => ({ x: { 0: rd[0], 1: rd[1], 4: 1n } }),
  },
  // ---- DC ZVA ----
  { name: "DC ZVA", asm: "dc zva, x20", at: B + 0x47, accesses: writes(B + 0x40, 1, rep(0n, 64)) },
  // ---- An interrupt raised by the device at the first access is taken after the instruction ----
  {
    name: "STP X with an interrupt raised at its first access",
    asm: "stp x0, x1, [x20]",
    irq: true,
    accesses: writes(B, 8, [XI[0], XI[1]]),
  },
  // ---- A later access faults (MMU on: the page after the window is unmapped) ----
  {
    name: "LDP X, second element unmapped",
    asm: "ldp x0, x1, [x20]",
    at: 0xff8,
    mmu: true,
    abort: { write: false },
    accesses: reads(0xff8, 8, 1),
  },
  {
    name: "STP X, second element unmapped",
    asm: "stp x2, x3, [x20]",
    at: 0xff8,
    mmu: true,
    abort: { write: true },
    accesses: writes(0xff8, 8, [XI[2]]),
  },
  { name: "LDR Q, upper half unmapped", asm: "ldr q1, [x20]", at: 0xff8, mmu: true, abort: { write: false }, accesses: reads(0xff8, 8, 1) },
  {
    name: "ST1 .16B, last 12 bytes unmapped",
    asm: "st1 {v0.16b}, [x20]",
    at: 0xffc,
    mmu: true,
    abort: { write: true },
    accesses: writes(0xffc, 1, lanes(VI[0], 1, 4)),
  },
  {
    name: "LD1 two registers .4S, second register unmapped",
    asm: "ld1 {v0.4s, v1.4s}, [x20]",
    at: 0xff0,
    mmu: true,
    abort: { write: false },
    accesses: reads(0xff0, 4, 4),
  },
  // ---- An unaligned access to a Normal mapping of the device, across two pages: bytes in address order ----
  {
    name: "LDR X across two pages of a Normal mapping",
    asm: "ldr x0, [x20]",
    va: NORMAL_VA + 0xffcn,
    mmu: true,
    accesses: [...reads(0xffc, 1, 4), ...reads(0, 1, 4)],
    regs: (rd) => ({ x: { 0: cat(1, rd) } }),
  },
  {
    name: "STR W across two pages of a Normal mapping",
    asm: "str w3, [x20]",
    va: NORMAL_VA + 0xffen,
    mmu: true,
    accesses: [...writes(0xffe, 1, lanes(XI[3], 1, 2)), ...writes(0, 1, lanes(XI[3], 1, 4).slice(2))],
  },
];

/** The accesses a case must make, with the device's read values in case `epoch`. */
export function expectedAccesses(c: MmioCase, epoch: number): Access[] {
  return c.accesses.map(([off, size, v]) => ({ off, size, write: v !== undefined, value: v ?? devRead(epoch, off, size) }));
}
