// AdvSIMD shift by immediate (vector and scalar) against a BigInt model of the Arm pseudocode.
import { test } from "node:test";
import { Rng } from "../support/rng.ts";
import { arr, type Case, lane, mask, pack, regs, runCases, satS, satU, sN, sreg, uN } from "./simd_shift_support.ts";

type ElemFn = (x: bigint, d: bigint, sh: number, bits: number) => bigint;

const rnd = (x: bigint, sh: number): bigint => x + (1n << BigInt(sh - 1));
const S = sN;
const U = uN;

/** Same-size right shifts and SRI: (element, Vd element, shift, esize) → result (infinite precision). */
const RIGHT: Record<string, ElemFn> = {
  sshr: (x, _d, sh, b) => S(x, b) >> BigInt(sh),
  ushr: (x, _d, sh, b) => U(x, b) >> BigInt(sh),
  ssra: (x, d, sh, b) => d + (S(x, b) >> BigInt(sh)),
  usra: (x, d, sh, b) => d + (U(x, b) >> BigInt(sh)),
  srshr: (x, _d, sh, b) => rnd(S(x, b), sh) >> BigInt(sh),
  urshr: (x, _d, sh, b) => rnd(U(x, b), sh) >> BigInt(sh),
  srsra: (x, d, sh, b) => d + (rnd(S(x, b), sh) >> BigInt(sh)),
  ursra: (x, d, sh, b) => d + (rnd(U(x, b), sh) >> BigInt(sh)),
  sri: (x, d, sh, b) => (d & ~(mask(b) >> BigInt(sh))) | (U(x, b) >> BigInt(sh)),
};

/** Same-size left shifts. */
const LEFT: Record<string, ElemFn> = {
  shl: (x, _d, sh) => x << BigInt(sh),
  sli: (x, d, sh, b) => (d & ~(mask(b) << BigInt(sh))) | (U(x, b) << BigInt(sh)),
  sqshl: (x, _d, sh, b) => satS(S(x, b) << BigInt(sh), b),
  uqshl: (x, _d, sh, b) => satU(U(x, b) << BigInt(sh), b),
  sqshlu: (x, _d, sh, b) => satU(S(x, b) << BigInt(sh), b),
};

/** Narrowing right shifts: x is the 2*esize source element, b the result esize. */
const NARROW: Record<string, ElemFn> = {
  shrn: (x, _d, sh, b) => U(x, 2 * b) >> BigInt(sh),
  rshrn: (x, _d, sh, b) => rnd(U(x, 2 * b), sh) >> BigInt(sh),
  sqshrn: (x, _d, sh, b) => satS(S(x, 2 * b) >> BigInt(sh), b),
  sqrshrn: (x, _d, sh, b) => satS(rnd(S(x, 2 * b), sh) >> BigInt(sh), b),
  uqshrn: (x, _d, sh, b) => satU(U(x, 2 * b) >> BigInt(sh), b),
  uqrshrn: (x, _d, sh, b) => satU(rnd(U(x, 2 * b), sh) >> BigInt(sh), b),
  sqshrun: (x, _d, sh, b) => satU(S(x, 2 * b) >> BigInt(sh), b),
  sqrshrun: (x, _d, sh, b) => satU(rnd(S(x, 2 * b), sh) >> BigInt(sh), b),
};

const SIZES = [8, 16, 32, 64];

/** Shift amounts worth testing in [lo, hi]: both ends and two in between. */
function amounts(rng: Rng, lo: number, hi: number): number[] {
  return [...new Set([lo, hi, lo + rng.below(hi - lo + 1), lo + rng.below(hi - lo + 1)])];
}

/** Same-size vector ops: every lane through fn, upper half cleared when Q = 0. */
function sameVec(rng: Rng, mn: string, fn: ElemFn, left: boolean): Case[] {
  const out: Case[] = [];
  for (const b of SIZES) {
    for (const q of [0, 1]) {
      if (b === 64 && !q) continue;
      for (const sh of amounts(rng, left ? 0 : 1, left ? b - 1 : b)) {
        const { d, n } = regs(rng);
        out.push({
          asm: `${mn} v${d}.${arr(b, q)}, v${n}.${arr(b, q)}, #${sh}`,
          d,
          expect: (v) => {
            const ls: bigint[] = [];
            for (let i = 0; i < (q ? 128 : 64) / b; i++) ls.push(fn(lane(v[n], b, i), lane(v[d], b, i), sh, b));
            return pack(ls, b);
          },
        });
      }
    }
  }
  return out;
}

/** Scalar forms: one element of `b` bits, the rest of Vd cleared. */
function sameScalar(rng: Rng, mn: string, fn: ElemFn, left: boolean, sizes: number[]): Case[] {
  const out: Case[] = [];
  for (const b of sizes) {
    for (const sh of amounts(rng, left ? 0 : 1, left ? b - 1 : b)) {
      const { d, n } = regs(rng);
      const r = sreg(b);
      out.push({ asm: `${mn} ${r}${d}, ${r}${n}, #${sh}`, d, expect: (v) => uN(fn(lane(v[n], b, 0), lane(v[d], b, 0), sh, b), b) });
    }
  }
  return out;
}

test("vector right shifts and SRI", () => {
  const rng = new Rng(1);
  const cases = Object.entries(RIGHT).flatMap(([mn, fn]) => sameVec(rng, mn, fn, false));
  runCases(cases, 11);
});

test("vector left shifts, SLI and saturating left shifts", () => {
  const rng = new Rng(2);
  const cases = Object.entries(LEFT).flatMap(([mn, fn]) => sameVec(rng, mn, fn, true));
  runCases(cases, 12);
});

test("vector narrowing shifts (and the 2 forms keep the lower half)", () => {
  const rng = new Rng(3);
  const cases: Case[] = [];
  for (const [mn, fn] of Object.entries(NARROW)) {
    for (const b of [8, 16, 32]) {
      for (const q of [0, 1]) {
        for (const sh of amounts(rng, 1, b)) {
          const { d, n } = regs(rng);
          cases.push({
            asm: `${mn}${q ? "2" : ""} v${d}.${arr(b, q)}, v${n}.${arr(2 * b, 1)}, #${sh}`,
            d,
            expect: (v) => {
              const ls: bigint[] = [];
              for (let i = 0; i < 64 / b; i++) ls.push(fn(lane(v[n], 2 * b, i), 0n, sh, b));
              const half = pack(ls, b);
              return q ? (half << 64n) | (v[d] & mask(64)) : half;
            },
          });
        }
      }
    }
  }
  runCases(cases, 13);
});

test("SSHLL, USHLL and the SXTL/UXTL aliases", () => {
  const rng = new Rng(4);
  const cases: Case[] = [];
  for (const signed of [true, false]) {
    for (const b of [8, 16, 32]) {
      for (const q of [0, 1]) {
        for (const sh of amounts(rng, 0, b - 1)) {
          const { d, n } = regs(rng);
          const mn = `${signed ? "s" : "u"}shll${q ? "2" : ""}`;
          cases.push({
            asm: `${mn} v${d}.${arr(2 * b, 1)}, v${n}.${arr(b, q)}, #${sh}`,
            d,
            expect: (v) => {
              const ls: bigint[] = [];
              for (let i = 0; i < 64 / b; i++) {
                const x = lane(v[n], b, i + (q ? 64 / b : 0));
                ls.push((signed ? sN(x, b) : x) << BigInt(sh));
              }
              return pack(ls, 2 * b);
            },
          });
        }
        const { d, n } = regs(rng);
        cases.push({
          asm: `${signed ? "s" : "u"}xtl${q ? "2" : ""} v${d}.${arr(2 * b, 1)}, v${n}.${arr(b, q)}`,
          d,
          expect: (v) => {
            const ls: bigint[] = [];
            for (let i = 0; i < 64 / b; i++) {
              const x = lane(v[n], b, i + (q ? 64 / b : 0));
              ls.push(signed ? sN(x, b) : x);
            }
            return pack(ls, 2 * b);
          },
        });
      }
    }
  }
  runCases(cases, 14);
});

test("scalar shifts by immediate", () => {
  const rng = new Rng(5);
  const cases: Case[] = [];
  for (const [mn, fn] of Object.entries(RIGHT)) cases.push(...sameScalar(rng, mn, fn, false, [64]));
  for (const [mn, fn] of Object.entries(LEFT)) cases.push(...sameScalar(rng, mn, fn, true, mn === "shl" || mn === "sli" ? [64] : SIZES));
  for (const [mn, fn] of Object.entries(NARROW)) {
    if (mn === "shrn" || mn === "rshrn") continue;
    for (const b of [8, 16, 32]) {
      for (const sh of amounts(rng, 1, b)) {
        const { d, n } = regs(rng);
        cases.push({
          asm: `${mn} ${sreg(b)}${d}, ${sreg(2 * b)}${n}, #${sh}`,
          d,
          expect: (v) => uN(fn(lane(v[n], 2 * b, 0), 0n, sh, b), b),
        });
      }
    }
  }
  runCases(cases, 15);
});
