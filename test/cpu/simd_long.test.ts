// AdvSIMD three different (vector and scalar) against a BigInt model of the Arm pseudocode.
import { test } from "node:test";
import { Rng } from "../support/rng.ts";
import { arr, type Case, lane, mask, pack, regs, runCases, satS, sN, sreg, uN } from "./simd_shift_support.ts";

type Fn = (a: bigint, b: bigint, d: bigint, bits: number) => bigint;

/** Polynomial multiplication over GF(2). */
function pmul(a: bigint, b: bigint): bigint {
  let r = 0n;
  for (let i = 0n; b >> i; i++) if ((b >> i) & 1n) r ^= a << i;
  return r;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** Long ops: a, b are esize elements (raw), d the 2*esize accumulator element (raw). */
const LONG: Record<string, [Fn, boolean]> = {
  saddl: [(a, b, _d, e) => sN(a, e) + sN(b, e), true],
  uaddl: [(a, b) => a + b, true],
  ssubl: [(a, b, _d, e) => sN(a, e) - sN(b, e), true],
  usubl: [(a, b) => a - b, true],
  sabal: [(a, b, d, e) => d + abs(sN(a, e) - sN(b, e)), true],
  uabal: [(a, b, d) => d + abs(a - b), true],
  sabdl: [(a, b, _d, e) => abs(sN(a, e) - sN(b, e)), true],
  uabdl: [(a, b) => abs(a - b), true],
  smlal: [(a, b, d, e) => d + sN(a, e) * sN(b, e), true],
  umlal: [(a, b, d) => d + a * b, true],
  smlsl: [(a, b, d, e) => d - sN(a, e) * sN(b, e), true],
  umlsl: [(a, b, d) => d - a * b, true],
  smull: [(a, b, _d, e) => sN(a, e) * sN(b, e), true],
  umull: [(a, b) => a * b, true],
  sqdmlal: [(a, b, d, e) => satS(sN(d, 2 * e) + satS(2n * sN(a, e) * sN(b, e), 2 * e), 2 * e), false],
  sqdmlsl: [(a, b, d, e) => satS(sN(d, 2 * e) - satS(2n * sN(a, e) * sN(b, e), 2 * e), 2 * e), false],
  sqdmull: [(a, b, _d, e) => satS(2n * sN(a, e) * sN(b, e), 2 * e), false],
};

/** Wide ops: a is the 2*esize element of Vn, b the esize element of Vm. */
const WIDE: Record<string, Fn> = {
  saddw: (a, b, _d, e) => a + sN(b, e),
  uaddw: (a, b) => a + b,
  ssubw: (a, b, _d, e) => a - sN(b, e),
  usubw: (a, b) => a - b,
};

/** High-narrow ops: a, b are 2*esize elements; the result is bits [2e-1:e]. */
const HIGH: Record<string, Fn> = {
  addhn: (a, b, _d, e) => (a + b) >> BigInt(e),
  raddhn: (a, b, _d, e) => (a + b + (1n << BigInt(e - 1))) >> BigInt(e),
  subhn: (a, b, _d, e) => uN(a - b, 2 * e) >> BigInt(e),
  rsubhn: (a, b, _d, e) => (uN(a - b, 2 * e) + (1n << BigInt(e - 1))) >> BigInt(e),
};

test("long forms: SADDL .. UMULL, SQDMLAL/SQDMLSL/SQDMULL, 2 forms", () => {
  const rng = new Rng(21);
  const cases: Case[] = [];
  for (const [mn, [fn, bytes]] of Object.entries(LONG)) {
    for (const e of bytes ? [8, 16, 32] : [16, 32]) {
      for (const q of [0, 1]) {
        for (let k = 0; k < 2; k++) {
          const { d, n, m } = regs(rng);
          cases.push({
            asm: `${mn}${q ? "2" : ""} v${d}.${arr(2 * e, 1)}, v${n}.${arr(e, q)}, v${m}.${arr(e, q)}`,
            d,
            expect: (v) => {
              const ls: bigint[] = [];
              const off = q ? 64 / e : 0;
              for (let i = 0; i < 64 / e; i++) ls.push(fn(lane(v[n], e, i + off), lane(v[m], e, i + off), lane(v[d], 2 * e, i), e));
              return pack(ls, 2 * e);
            },
          });
        }
      }
    }
  }
  runCases(cases, 22, 6);
});

test("wide forms: SADDW, UADDW, SSUBW, USUBW", () => {
  const rng = new Rng(23);
  const cases: Case[] = [];
  for (const [mn, fn] of Object.entries(WIDE)) {
    for (const e of [8, 16, 32]) {
      for (const q of [0, 1]) {
        for (let k = 0; k < 2; k++) {
          const { d, n, m } = regs(rng);
          cases.push({
            asm: `${mn}${q ? "2" : ""} v${d}.${arr(2 * e, 1)}, v${n}.${arr(2 * e, 1)}, v${m}.${arr(e, q)}`,
            d,
            expect: (v) => {
              const ls: bigint[] = [];
              const off = q ? 64 / e : 0;
              for (let i = 0; i < 64 / e; i++) ls.push(fn(lane(v[n], 2 * e, i), lane(v[m], e, i + off), 0n, e));
              return pack(ls, 2 * e);
            },
          });
        }
      }
    }
  }
  runCases(cases, 24, 6);
});

test("high-narrow forms: ADDHN, RADDHN, SUBHN, RSUBHN", () => {
  const rng = new Rng(25);
  const cases: Case[] = [];
  for (const [mn, fn] of Object.entries(HIGH)) {
    for (const e of [8, 16, 32]) {
      for (const q of [0, 1]) {
        for (let k = 0; k < 2; k++) {
          const { d, n, m } = regs(rng);
          cases.push({
            asm: `${mn}${q ? "2" : ""} v${d}.${arr(e, q)}, v${n}.${arr(2 * e, 1)}, v${m}.${arr(2 * e, 1)}`,
            d,
            expect: (v) => {
              const ls: bigint[] = [];
              for (let i = 0; i < 64 / e; i++) ls.push(fn(lane(v[n], 2 * e, i), lane(v[m], 2 * e, i), 0n, e));
              const half = pack(ls, e);
              return q ? (half << 64n) | (v[d] & mask(64)) : half;
            },
          });
        }
      }
    }
  }
  runCases(cases, 26, 6);
});

test("PMULL/PMULL2 of bytes", () => {
  const rng = new Rng(27);
  const cases: Case[] = [];
  for (const q of [0, 1]) {
    for (let k = 0; k < 4; k++) {
      const { d, n, m } = regs(rng);
      cases.push({
        asm: `pmull${q ? "2" : ""} v${d}.8h, v${n}.${arr(8, q)}, v${m}.${arr(8, q)}`,
        d,
        expect: (v) => {
          const ls: bigint[] = [];
          for (let i = 0; i < 8; i++) ls.push(pmul(lane(v[n], 8, i + 8 * q), lane(v[m], 8, i + 8 * q)));
          return pack(ls, 16);
        },
      });
    }
  }
  runCases(cases, 28, 8);
});

test("scalar SQDMLAL, SQDMLSL, SQDMULL", () => {
  const rng = new Rng(29);
  const cases: Case[] = [];
  for (const mn of ["sqdmlal", "sqdmlsl", "sqdmull"]) {
    const fn = LONG[mn][0];
    for (const e of [16, 32]) {
      for (let k = 0; k < 4; k++) {
        const { d, n, m } = regs(rng);
        cases.push({
          asm: `${mn} ${sreg(2 * e)}${d}, ${sreg(e)}${n}, ${sreg(e)}${m}`,
          d,
          expect: (v) => uN(fn(lane(v[n], e, 0), lane(v[m], e, 0), lane(v[d], 2 * e, 0), e), 2 * e),
        });
      }
    }
  }
  runCases(cases, 30, 8);
});
