// Initial values biased toward the cases that break emulators: FP specials (NaNs with payloads,
// infinities, zeros, denormals, boundaries, rounding ties) and integer boundaries.
import type { FastRng as Rng } from "./rng.ts";

const M64 = (1n << 64n) - 1n;

/** A floating-point bit pattern of the format (ebits exponent bits, fbits fraction bits). */
export function fpValue(rng: Rng, ebits: number, fbits: number): bigint {
  const E = BigInt(ebits);
  const F = BigInt(fbits);
  const emax = (1n << E) - 1n;
  const bias = emax >> 1n;
  const fmask = (1n << F) - 1n;
  const sign = BigInt(rng.below(2)) << (E + F);
  const r = rng.u64();
  let e: bigint;
  let f: bigint;
  switch (rng.below(16)) {
    case 0: // ±0
      e = 0n;
      f = 0n;
      break;
    case 1: // ±inf
      e = emax;
      f = 0n;
      break;
    case 2: // quiet NaN, random payload
      e = emax;
      f = (1n << (F - 1n)) | r;
      break;
    case 3: // default-shaped quiet NaN
      e = emax;
      f = 1n << (F - 1n);
      break;
    case 4: // signalling NaN
      e = emax;
      f = r & ((1n << (F - 1n)) - 1n);
      if (f === 0n) f = 1n;
      break;
    case 5: // denormals
      e = 0n;
      f = rng.below(2) ? 1n : rng.below(2) ? fmask : r;
      break;
    case 6: // min / max normal
      e = rng.below(2) ? 1n : emax - 1n;
      f = rng.below(2) ? 0n : fmask;
      break;
    case 7: // 0.5, 1, 2
      e = bias + BigInt(rng.below(3)) - 1n;
      f = 0n;
      break;
    case 8: {
      // Integers and halves (rounding ties, conversions): k + 0.5 or k for k < 2^(F+1).
      const k = BigInt(rng.below(Number(F) + 1));
      e = bias + k;
      const top = F - k; // bits below the binary point
      f = (r << top) & fmask;
      if (top > 0n && rng.below(2)) f |= 1n << (top - 1n);
      break;
    }
    case 9: {
      // Around the integer-conversion boundaries 2^15, 2^16, 2^31, 2^32, 2^63, 2^64.
      e = bias + BigInt(rng.pick([15, 16, 31, 32, 63, 64])) - BigInt(rng.below(2));
      f = rng.below(2) ? 0n : rng.below(2) ? fmask : r;
      if (e >= emax) {
        e = emax - 1n;
        f = fmask;
      }
      break;
    }
    case 10: // moderate magnitudes
      e = bias + BigInt(rng.below(40)) - 20n;
      f = r;
      break;
    case 11: // tiny normals (underflow)
      e = 1n + BigInt(rng.below(4));
      f = r;
      break;
    case 12: // huge (overflow)
      e = emax - 1n - BigInt(rng.below(4));
      f = r;
      break;
    default: // any finite
      e = 1n + (r % (emax - 1n));
      f = rng.u64();
  }
  if (e < 0n) e = 0n;
  if (e > emax) e = emax;
  return sign | (e << F) | (f & fmask);
}

/** A 128-bit vector register value: lanes of one FP format, integers, or random bits. */
export function vecValue(rng: Rng): bigint {
  const kind = rng.below(8);
  let v = 0n;
  if (kind <= 1) return rng.u64() | (rng.u64() << 64n);
  const lane = kind === 2 || kind === 5 ? 64 : kind === 3 || kind === 6 ? 32 : 16;
  const [e, f] = lane === 64 ? [11, 52] : lane === 32 ? [8, 23] : [5, 10];
  for (let i = 0; i < 128 / lane; i++) {
    const x = kind >= 5 && kind <= 6 ? intValue(rng) & ((1n << BigInt(lane)) - 1n) : fpValue(rng, e, f);
    v |= x << BigInt(i * lane);
  }
  return v;
}

/** A 64-bit integer biased to boundaries and small numbers. */
export function intValue(rng: Rng): bigint {
  switch (rng.below(12)) {
    case 0:
      return 0n;
    case 1:
      return BigInt(rng.below(64));
    case 2:
      return M64 - BigInt(rng.below(64)); // small negatives
    case 3:
      return rng.pick([0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n]);
    case 4:
      return (1n << BigInt(rng.below(64))) + BigInt(rng.below(3)) - 1n;
    case 5:
      return BigInt(rng.u32()); // 32-bit, zero-extended
    case 6:
      return BigInt.asUintN(64, BigInt(rng.u32() | 0)); // 32-bit, sign-extended
    case 7:
      return fpValue(rng, 11, 52);
    case 8:
      return fpValue(rng, 8, 23);
    default:
      return rng.u64();
  }
}

/** FPCR: rounding mode, FZ, DN and AHP at random half the time (trap enables stay clear). */
export function fpcrValue(rng: Rng): number {
  if (rng.below(2)) return 0;
  return ((rng.below(4) << 22) | (rng.below(2) << 24) | (rng.below(2) << 25) | (rng.below(2) << 26)) >>> 0;
}

/** FPSR: some cumulative exception flags and QC preset a quarter of the time. */
export function fpsrValue(rng: Rng): number {
  if (rng.below(4)) return 0;
  return (rng.u32() & 0x0800_009f) >>> 0;
}
