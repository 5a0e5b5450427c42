// Operand formatting for the load/store tables (src/cpu/decode/ldst*.decode), as objdump prints them.
import { sext, w, x, xs } from "./fmt.js";

/** [Xn|SP] or [Xn|SP, #off] (unsigned offset, pair offset; off already scaled). */
export const mU = (n: number, off: number): string => `[${xs(n)}${off ? `, #${off}` : ""}]`;
/** Pre-index [Xn|SP, #off]! or post-index [Xn|SP], #off (off already scaled). */
export const mIdx = (n: number, off: number, pre: number): string => (pre ? `[${xs(n)}, #${off}]!` : `[${xs(n)}], #${off}`);
/** Pre/post-index with a 9-bit signed immediate. */
export const mI = (n: number, imm9: number, pre: number): string => mIdx(n, sext(imm9, 9), pre);
/** Unscaled 9-bit signed offset (LDUR, LDTR). */
export const mS = (n: number, imm9: number): string => mU(n, sext(imm9, 9));
const EXTEND_NAMES = ["uxtb", "uxth", "uxtw", "lsl", "sxtb", "sxth", "sxtw", "sxtx"];
/** Register offset [Xn|SP, Rm{, extend {#amount}}]. */
export const mR = (n: number, m: number, option: number, S: number, scale: number): string => {
  const rm = option & 1 ? x(m) : w(m);
  if (option === 3) return `[${xs(n)}, ${rm}${S ? `, lsl #${scale}` : ""}]`;
  return `[${xs(n)}, ${rm}, ${EXTEND_NAMES[option]}${S ? ` #${scale}` : ""}]`;
};
/** Size suffix of exclusive and acquire/release mnemonics: b, h or none. */
export const lsBH = (size: number): string => (size === 0 ? "b" : size === 1 ? "h" : "");
/** Xn for size 3, else Wn. */
export const lsRsz = (size: number, n: number): string => (size === 3 ? x(n) : w(n));
/** SIMD&FP scalar access size from size and opc<1>: 0..4 (B..Q). */
export const lsFsc = (size: number, opc1: number): number => (opc1 ? 4 + size : size);
/** SIMD&FP scalar register of a given access size: b0, h0, s0, d0, q0. */
export const lsFpr = (scale: number, n: number): string => `${"bhsdq"[scale] ?? "?"}${n}`;
/** Prefetch operation of PRFM/PRFUM: pld/pli/pst l1..l3 keep/strm, else #0xNN (two digits). */
export const prfOp = (rt: number): string => {
  const t = rt >> 3;
  if (t < 3 && (rt & 7) < 6) return `${["pld", "pli", "pst"][t]}l${((rt >> 1) & 3) + 1}${rt & 1 ? "strm" : "keep"}`;
  return `#0x${rt.toString(16).padStart(2, "0")}`;
};

// ---- AdvSIMD structures ----

const MULT_SELEM: Record<number, number> = { 0: 4, 2: 1, 4: 3, 6: 1, 7: 1, 8: 2, 10: 1 };
const MULT_REGS: Record<number, number> = { 0: 4, 2: 4, 4: 3, 6: 3, 7: 1, 8: 2, 10: 2 };
/** Structure size (the n of LDn/STn) of a multiple-structures opcode. */
export const multSelem = (opcode: number): number => MULT_SELEM[opcode] ?? 0;
/** Registers transferred by a multiple-structures opcode. */
export const multRegs = (opcode: number): number => MULT_REGS[opcode] ?? 1;
/** Register list {v0.4s, v1.4s} (objdump writes 3 or 4 consecutive registers as v0.4s-v2.4s). */
export const lsList = (t: number, n: number, arr: string): string => {
  if (n > 2 && t + n - 1 <= 31) return `{v${t}.${arr}-v${t + n - 1}.${arr}}`;
  const regs: string[] = [];
  for (let i = 0; i < n; i++) regs.push(`v${(t + i) % 32}.${arr}`);
  return `{${regs.join(", ")}}`;
};
/** Post-index operand: Xm, or #imm when Rm = 31. */
export const lsPost = (m: number, imm: number): string => (m === 31 ? `#${imm}` : x(m));
/** Single structure: the n of LDn/STn. */
export const sglSelem = (opcode: number, R: number): number => (opcode & 1) * 2 + R + 1;
/** Single structure: element size name (b, h, s, d). */
export const sglEl = (opcode: number, size: number): string => {
  const scale = opcode >> 1;
  return scale === 2 && size & 1 ? "d" : "bhsd"[scale];
};
/** Single structure: bytes of one element. */
export const sglBytes = (opcode: number, size: number): number => {
  const scale = opcode >> 1;
  return scale === 2 && size & 1 ? 8 : 1 << scale;
};
/** Single structure: lane index from Q:S:size. */
export const sglIdx = (Q: number, S: number, size: number, opcode: number): number => {
  const scale = opcode >> 1;
  if (scale === 0) return (Q << 3) | (S << 2) | size;
  if (scale === 1) return (Q << 2) | (S << 1) | (size >> 1);
  return size & 1 ? Q : (Q << 1) | S;
};
