// Integer helpers shared by the data-processing groups (Arm ARM shared pseudocode).
import { setFlags } from "../state";

/** AddWithCarry on 64 bits; sets NZCV when setflags. */
export function addWithCarry64(x: u64, y: u64, carry: u32, setflags: bool): u64 {
  const r = x + y + <u64>carry;
  if (setflags) {
    const c = r < x || (carry != 0 && r == x);
    const v = ((~(x ^ y) & (x ^ r)) >>> 63) != 0;
    setFlags(<i64>r < 0, r == 0, c, v);
  }
  return r;
}

/** AddWithCarry on 32 bits (operands in the low halves); sets NZCV when setflags. */
export function addWithCarry32(x: u32, y: u32, carry: u32, setflags: bool): u32 {
  const wide = <u64>x + <u64>y + <u64>carry;
  const r = <u32>wide;
  if (setflags) {
    const v = ((~(x ^ y) & (x ^ r)) >>> 31) != 0;
    setFlags(<i32>r < 0, r == 0, (wide >>> 32) != 0, v);
  }
  return r;
}

/** Replicates an esize-bit pattern across 64 bits. */
function replicate(v: u64, esize: u32): u64 {
  let r = v;
  for (let s = esize; s < 64; s <<= 1) r |= r << s;
  return r;
}

// @ts-ignore: decorator
@inline function ones(n: u32): u64 {
  return n >= 64 ? ~(<u64>0) : (<u64>1 << n) - 1;
}

/** DecodeBitMasks result: wmask in bmWmask, tmask in bmTmask. */
export let bmWmask: u64 = 0;
export let bmTmask: u64 = 0;

/**
 * Arm DecodeBitMasks(N, imms, immr, immediate). Returns false for reserved encodings
 * (the caller raises UNDEFINED).
 */
export function decodeBitMasks(N: u32, imms: u32, immr: u32, immediate: bool, datasize: u32): bool {
  const combined = (N << 6) | (~imms & 0x3f);
  if (combined == 0) return false;
  const len = 31 - clz<u32>(combined);
  if (len < 1 || (immediate && datasize < (<u32>1 << len))) return false;
  const levels = (<u32>1 << len) - 1;
  if (immediate && (imms & levels) == levels) return false;
  const S = imms & levels;
  const R = immr & levels;
  const diff = (S - R) & levels;
  const esize: u32 = <u32>1 << len;
  const d = diff & levels;
  const welem = ones(S + 1);
  const telem = ones(d + 1);
  // ROR(welem, R) within esize bits.
  const emask = ones(esize);
  const rotated = R == 0 ? welem : ((welem >>> R) | (welem << (esize - R))) & emask;
  bmWmask = replicate(rotated, esize);
  bmTmask = replicate(telem, esize);
  if (datasize == 32) {
    bmWmask &= 0xffffffff;
    bmTmask &= 0xffffffff;
  }
  return true;
}
