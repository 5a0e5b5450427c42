// Vector-register operand formatting for the AdvSIMD disassembly templates (objdump style):
// vectors with an arrangement (v3.4s), elements (v3.s[1]), scalar registers (b/h/s/d/q) and
// register lists ({v0.16b-v3.16b}).

const ARRANGEMENTS = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d", "1q", "1q"];
const ELEMENT_NAMES = ["b", "h", "s", "d", "q"];

/** Arrangement for an element size (0 = B .. 3 = D, 4 = Q) and Q, e.g. (2, 1) → "4s". */
export const arrangement = (size: number, q: number): string => ARRANGEMENTS[(size & 7) * 2 + (q & 1)] ?? "?";

/** Vector register with the arrangement of (size, Q), e.g. vec(3, 2, 1) → "v3.4s". */
export const vec = (n: number, size: number, q: number): string => `v${n & 31}.${arrangement(size, q)}`;

/** Element-size letter for size 0..4: b, h, s, d, q. */
export const esz = (size: number): string => ELEMENT_NAMES[size & 7] ?? "?";

/** Scalar SIMD&FP register of element size (0 = B .. 4 = Q), e.g. vsca(2, 5) → "s5". */
export const vsca = (size: number, n: number): string => `${esz(size)}${n & 31}`;

/** Vector element, e.g. velem(3, 2, 1) → "v3.s[1]". */
export const velem = (n: number, size: number, index: number): string => `v${n & 31}.${esz(size)}[${index}]`;

/**
 * A list of `count` consecutive vector registers from `n` (wrapping at 31) with an arrangement
 * name, as objdump prints it: a range "{v0.16b-v3.16b}" for three or more registers that do
 * not wrap, otherwise "{v31.16b, v0.16b}". The arrangement may be an element name for
 * single-structure forms, with the index appended by the caller: `${vlist(t, 3, "b")}[1]` gives
 * "{v0.b-v2.b}[1]".
 */
export const vlist = (n: number, count: number, arr: string): string => {
  const last = (n + count - 1) & 31;
  if (count > 2 && last > n) return `{v${n}.${arr}-v${last}.${arr}}`;
  const regs: string[] = [];
  for (let i = 0; i < count; i++) regs.push(`v${(n + i) & 31}.${arr}`);
  return `{${regs.join(", ")}}`;
};

/** Element size encoded by an INS/DUP/UMOV imm5 (its lowest set bit): 0 = B .. 3 = D; 4 if none. */
export const insSize = (imm5: number): number => {
  for (let s = 0; s < 4; s++) if ((imm5 >> s) & 1) return s;
  return 4;
};

/** Element index encoded by an INS/DUP/UMOV imm5. */
export const insIndex = (imm5: number): number => imm5 >> (insSize(imm5) + 1);

/** AdvSIMDExpandImm(op, cmode, abcdefgh) as a 64-bit value. */
export function advSimdExpandImm(op: number, cmode: number, imm8: number): bigint {
  const b = BigInt(imm8 & 0xff);
  const rep = (v: bigint, bits: number): bigint => {
    let r = 0n;
    for (let i = 0; i < 64; i += bits) r |= v << BigInt(i);
    return r;
  };
  switch (cmode >> 1) {
    case 0:
    case 1:
    case 2:
    case 3:
      return rep(b << BigInt(8 * (cmode >> 1)), 32);
    case 4:
    case 5:
      return rep(b << BigInt(8 * ((cmode >> 1) & 1)), 16);
    case 6:
      return rep(cmode & 1 ? (b << 16n) | 0xffffn : (b << 8n) | 0xffn, 32);
    default: {
      if (op === 0) return rep(b, 8);
      let r = 0n;
      for (let i = 0; i < 8; i++) if ((imm8 >> i) & 1) r |= 0xffn << BigInt(8 * i);
      return r;
    }
  }
}

/**
 * Operands of MOVI/MVNI/ORR/BIC (vector, immediate) as objdump prints them, e.g.
 * "v0.4s, #0x12, lsl #8", "v0.8b, #0x12", "d0, #0xff00ff00ff00ff00".
 */
export const modImm = (op: number, cmode: number, q: number, rd: number, abc: number, defgh: number): string => {
  const imm8 = (abc << 5) | defgh;
  if (cmode < 8) {
    const amount = 8 * (cmode >> 1);
    return `${vec(rd, 2, q)}, #0x${imm8.toString(16)}${amount ? `, lsl #${amount}` : ""}`;
  }
  if (cmode < 12) {
    const amount = 8 * ((cmode >> 1) & 1);
    return `${vec(rd, 1, q)}, #0x${imm8.toString(16)}${amount ? `, lsl #${amount}` : ""}`;
  }
  if (cmode < 14) return `${vec(rd, 2, q)}, #0x${imm8.toString(16)}, msl #${cmode & 1 ? 16 : 8}`;
  if (op === 0) return `${vec(rd, 0, q)}, #0x${imm8.toString(16)}`;
  const v = advSimdExpandImm(1, 14, imm8);
  return `${q ? vec(rd, 3, 1) : vsca(3, rd)}, #0x${v.toString(16)}`;
};
