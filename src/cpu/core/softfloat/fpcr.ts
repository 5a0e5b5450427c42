// FP control/status context for the soft-float library: FPCR decoding, FPSR flag raising,
// rounding-mode constants and the small shared helpers (128-bit multiply, format constants).

import { FPCR_ADDR, FPSR_ADDR } from "../layout";

/** FPSR cumulative exception bits. */
export const FPSR_IOC: u32 = 1 << 0;
export const FPSR_DZC: u32 = 1 << 1;
export const FPSR_OFC: u32 = 1 << 2;
export const FPSR_UFC: u32 = 1 << 3;
export const FPSR_IXC: u32 = 1 << 4;
export const FPSR_IDC: u32 = 1 << 7;

/** FPCR control bits. */
export const FPCR_AHP: u32 = 1 << 26;
export const FPCR_DN: u32 = 1 << 25;
export const FPCR_FZ: u32 = 1 << 24;
export const FPCR_RMODE_SHIFT: u32 = 22;

/** Rounding modes; 0..3 match the FPCR.RMode encoding. */
export const FPRM_TIEEVEN: u32 = 0;
export const FPRM_POSINF: u32 = 1;
export const FPRM_NEGINF: u32 = 2;
export const FPRM_ZERO: u32 = 3;
export const FPRM_TIEAWAY: u32 = 4;
/** Round to odd (FCVTXN only). */
export const FPRM_ODD: u32 = 5;
/** Use the rounding mode currently selected by FPCR.RMode. */
export const FPRM_FPCR: u32 = 6;

/** Format selectors (total width in bits). */
export const FMT16: i32 = 16;
export const FMT32: i32 = 32;
export const FMT64: i32 = 64;

/** Operand classes produced by unpack(). */
export const CLS_ZERO: u32 = 0;
export const CLS_FINITE: u32 = 1;
export const CLS_INF: u32 = 2;
export const CLS_QNAN: u32 = 3;
export const CLS_SNAN: u32 = 4;

/** Reads the guest FPCR (the only place the library loads it). */
// @ts-ignore: decorator
@inline
export function fpcrRead(): u32 {
  return <u32>load<u64>(FPCR_ADDR);
}

/** ORs cumulative exception bits into the guest FPSR. */
export function fpFlagsRaise(bits: u32): void {
  store<u64>(FPSR_ADDR, load<u64>(FPSR_ADDR) | <u64>bits);
}

/** True when FPSR.IXC is already set (lets fast paths skip exactness checks). */
// @ts-ignore: decorator
@inline
export function fpsrHasIXC(): bool {
  return (<u32>load<u64>(FPSR_ADDR) & FPSR_IXC) != 0;
}

/** Resolves FPRM_FPCR to the FPCR.RMode rounding mode. */
// @ts-ignore: decorator
@inline
export function resolveRMode(rm: u32, fpcr: u32): u32 {
  return rm == FPRM_FPCR ? (fpcr >> FPCR_RMODE_SHIFT) & 3 : rm;
}

/** Fraction bits of a format. */
// @ts-ignore: decorator
@inline
export function fracBits(fmt: i32): i32 {
  return fmt == FMT64 ? 52 : fmt == FMT32 ? 23 : 10;
}

/** Exponent bits of a format. */
// @ts-ignore: decorator
@inline
export function expBits(fmt: i32): i32 {
  return fmt == FMT64 ? 11 : fmt == FMT32 ? 8 : 5;
}

/** High 64 bits of the last mul128() product. */
export let mulHi: u64 = 0;

/** Full 64x64->128 unsigned multiply from four 32x32 products; returns the low half, high half in mulHi. */
export function mul128(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff;
  const a1 = a >> 32;
  const b0 = b & 0xffffffff;
  const b1 = b >> 32;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  mulHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  return (mid << 32) | (p00 & 0xffffffff);
}
