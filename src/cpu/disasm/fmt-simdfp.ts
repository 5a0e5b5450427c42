// Disassembly helpers for the AdvSIMD floating-point tables (src/cpu/decode/simd_fp_*.decode),
// following binutils' objdump.

/** Vn with the FP arrangement of sz (0: 32-bit, 1: 64-bit lanes) and Q, e.g. v3.4s, v3.2d. */
export const advfpV = (n: number, sz: number, q: number): string => `v${n}.${sz ? (q ? "2d" : "1d") : q ? "4s" : "2s"}`;

/** Scalar FP register: s<n> or d<n> by sz. */
export const advfpS = (sz: number, n: number): string => `${sz ? "d" : "s"}${n}`;

/** The narrow side of FCVTN/FCVTL/FCVTXN: 4h/8h (sz = 0) or 2s/4s (sz = 1), by Q. */
export const advfpNarrow = (n: number, sz: number, q: number): string => `v${n}.${sz ? (q ? "4s" : "2s") : q ? "8h" : "4h"}`;

/** By-element operand: Vm (M:Rm) with the index H:L (32-bit) or H (64-bit), e.g. v17.s[3]. */
export const advfpElem = (m: number, rm: number, sz: number, h: number, l: number): string =>
  `v${m * 16 + rm}.${sz ? `d[${h}]` : `s[${h * 2 + l}]`}`;

/** Fraction bits of a fixed-point conversion: 2 * esize - immh:immb. */
export const advfpFbits = (immh: number, immb: number): number => (immh >= 8 ? 128 : 64) - ((immh << 3) | immb);
