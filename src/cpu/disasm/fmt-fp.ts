// Operand formatting for the scalar floating-point tables (src/cpu/decode/fp_*.decode), as
// binutils' objdump prints them.

/** Scalar FP register by Arm ftype (00 s, 01 d, 11 h). */
export const fpr = (ftype: number, n: number): string => `${["s", "d", "q", "h"][ftype & 3]}${n}`;

/** VFPExpandImm(imm8) as a number (the value is the same in every precision). */
export function fpImm8Value(imm8: number): number {
  const sign = imm8 & 0x80 ? -1 : 1;
  // exponent = NOT(b):Replicate(b):cd, biased; unbiased it is in -3..4.
  const b = (imm8 >> 6) & 1;
  const cd = (imm8 >> 4) & 3;
  const e = b ? cd - 3 : cd + 1;
  return sign * (1 + (imm8 & 15) / 16) * 2 ** e;
}

/** An FP immediate as objdump prints it: C's "%.18e" (e.g. 1.000000000000000000e+00). */
export const fpImm8 = (imm8: number): string => {
  const s = fpImm8Value(imm8).toExponential(18);
  const m = /^(-?[0-9.]+)e([+-])(\d+)$/.exec(s);
  if (!m) return s;
  return `${m[1]}e${m[2]}${m[3].padStart(2, "0")}`;
};
