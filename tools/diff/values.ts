// Initial values biased toward the cases that break emulators: FP specials (NaNs with payloads,
// infinities, zeros, denormals, boundaries, rounding ties) and integer boundaries.
import type { Rng } from "../../test/support/rng.ts";

const M64 = (1n << 64n) - 1n;

/** A floating-point bit pattern of the format (ebits exponent bits, fbits fraction bits). */
export function fpValue(rng: Rng, ebits: number, fbits: number): bigint {
  const E = BigInt(ebits);
  const F = BigInt(fbits);
  const emax = (1n << E) - 1n;
  const bias = emax >> 1n;
  const fmask = (1n << F) - 1n;
  const rand = (bits: bigint) => rng.u64() & ((1n << bits) - 1n);
  const sign = BigInt(rng.below(2)) << (E + F);
  const make = (e: bigint, f: bigint) => sign | (e << F) | (f & fmask);
  switch (rng.below(16)) {
    case 0:
      return make(0n, 0n); // ±0
    case 1:
      return make(emax, 0n); // ±inf
    case 2:
      return make(emax, (1n << (F - 1n)) | rand(F - 1n)); // quiet NaN, random payload
    case 3:
      return make(emax, 1n << (F - 1n)); // default-shaped quiet NaN
    case 4: {
      const f = rand(F - 1n);
      return make(emax, f === 0n ? 1n : f); // signalling NaN
    }
    case 5:
      return make(0n, rng.below(2) ? 1n : rng.below(2) ? fmask : rand(F)); // denormals
    case 6:
      return make(rng.below(2) ? 1n : emax - 1n, rng.below(2) ? 0n : fmask); // min / max normal
    case 7:
      return make(bias + BigInt(rng.below(3)) - 1n, 0n); // 0.5, 1, 2
    case 8: {
      // Values with a half-way fraction near the integers (rounding ties, conversions).
      const e = bias + BigInt(rng.below(Math.min(Number(F) + 2, 66)));
      const frac = rand(F) | (1n << (F - 1n - (e - bias < F ? e - bias : F - 1n)));
      return make(e > emax - 1n ? emax - 1n : e, frac);
    }
    case 9: {
      // Around the integer-conversion boundaries 2^15, 2^31, 2^32, 2^63, 2^64.
      const p = BigInt(rng.pick([15, 16, 31, 32, 63, 64]));
      const e = bias + p - BigInt(rng.below(2));
      if (e >= emax) return make(emax - 1n, fmask);
      return make(e, rng.below(2) ? 0n : rng.below(2) ? fmask : rand(F));
    }
    case 10:
      return make(bias + BigInt(rng.below(40)) - 20n, rand(F)); // moderate magnitudes
    case 11:
      return make(1n + BigInt(rng.below(4)), rand(F)); // tiny normals (underflow)
    case 12:
      return make(emax - 1n - BigInt(rng.below(4)), rand(F)); // huge (overflow)
    default:
      return make(1n + (rng.u64() % (emax - 1n)), rand(F)); // any finite
  }
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
