// Operand formatting for the AdvSIMD shift-by-immediate, three-different and by-element tables
// (simd_shift, simd_long, simd_elem), objdump style.

const ARR = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"];
const SCALAR = ["b", "h", "s", "d"];

/** log2 of the element size in bytes for a shift's immh (HighestSetBit). */
export const sxEsz = (immh: number): number => 31 - Math.clz32(immh);
/** Vector register with the arrangement of a shift's immh and Q, e.g. v3.8b. */
export const sxVA = (n: number, immh: number, q: number): string => `v${n}.${ARR[sxEsz(immh) * 2 + q]}`;
/** Vector register with the double-width, 128-bit arrangement of a shift's immh (narrow source, long result). */
export const sxVW = (n: number, immh: number): string => `v${n}.${ARR[sxEsz(immh) * 2 + 3]}`;
/** Right-shift amount: 2 * esize - immh:immb. */
export const sxRsh = (immh: number, immb: number): number => (16 << sxEsz(immh)) - ((immh << 3) | immb);
/** Left-shift amount: immh:immb - esize. */
export const sxLsh = (immh: number, immb: number): number => ((immh << 3) | immb) - (8 << sxEsz(immh));
/** Scalar register of a shift's element size, e.g. h3. */
export const sxSR = (n: number, immh: number): string => `${SCALAR[sxEsz(immh)]}${n}`;
/** Scalar register of twice a shift's element size, e.g. s3 for immh = 001x. */
export const sxSRW = (n: number, immh: number): string => `${SCALAR[sxEsz(immh) + 1]}${n}`;
/** "2" for the upper-half forms (Q = 1). */
export const sx2 = (q: number): string => (q ? "2" : "");
/** Vector register with the long (double-width, 128-bit) arrangement of a size field: 8h, 4s, 2d, 1q. */
export const sxVL = (n: number, size: number): string => `v${n}.${["8h", "4s", "2d", "1q"][size]}`;
/** Vector register with the arrangement of size and Q. */
export const sxV = (n: number, size: number, q: number): string => `v${n}.${ARR[size * 2 + q]}`;
/** Scalar register of a size field (0..3 = b, h, s, d). */
export const sxS = (n: number, size: number): string => `${SCALAR[size]}${n}`;
/** The indexed element operand of a by-element instruction, e.g. v2.h[3] (size 1: H:L:M, Rm<4>; size 2: H:L, M:Rm). */
export const sxEl = (size: number, l: number, m: number, rm: number, h: number): string =>
  size === 1 ? `v${rm}.h[${(h << 2) | (l << 1) | m}]` : `v${(m << 4) | rm}.s[${(h << 1) | l}]`;
