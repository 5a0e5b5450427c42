// AdvSIMD vector/scalar x indexed element (integer) against a BigInt model of the Arm pseudocode,
// plus directed saturation cases.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../support/rng.ts";
import { runSnippet } from "../support/snippet.ts";
import { arr, type Case, lane, mask, pack, QC, regs, runCases, satS, sN, sreg, uN } from "./simd_shift_support.ts";

type Fn = (a: bigint, b: bigint, d: bigint, bits: number) => bigint;

const sqdmulh = (a: bigint, b: bigint, e: number, round: boolean): bigint =>
  satS((2n * sN(a, e) * sN(b, e) + (round ? 1n << BigInt(e - 1) : 0n)) >> BigInt(e), e);

/** Same-size ops: a from Vn, b the indexed element, d the Vd element. */
const SAME: Record<string, Fn> = {
  mul: (a, b) => a * b,
  mla: (a, b, d) => d + a * b,
  mls: (a, b, d) => d - a * b,
  sqdmulh: (a, b, _d, e) => sqdmulh(a, b, e, false),
  sqrdmulh: (a, b, _d, e) => sqdmulh(a, b, e, true),
};

/** Long ops: d is the 2*esize accumulator element. */
const LONG: Record<string, Fn> = {
  smull: (a, b, _d, e) => sN(a, e) * sN(b, e),
  umull: (a, b) => a * b,
  smlal: (a, b, d, e) => d + sN(a, e) * sN(b, e),
  umlal: (a, b, d) => d + a * b,
  smlsl: (a, b, d, e) => d - sN(a, e) * sN(b, e),
  umlsl: (a, b, d) => d - a * b,
  sqdmull: (a, b, _d, e) => satS(2n * sN(a, e) * sN(b, e), 2 * e),
  sqdmlal: (a, b, d, e) => satS(sN(d, 2 * e) + satS(2n * sN(a, e) * sN(b, e), 2 * e), 2 * e),
  sqdmlsl: (a, b, d, e) => satS(sN(d, 2 * e) - satS(2n * sN(a, e) * sN(b, e), 2 * e), 2 * e),
};

/** A random element operand: register (V0..V15 for halfwords) and index. */
function element(rng: Rng, e: number, n: number, d: number): { m: number; idx: number; text: string } {
  const k = rng.below(4);
  const m = k === 0 && (e === 32 || n < 16) ? n : k === 1 && (e === 32 || d < 16) ? d : rng.below(e === 16 ? 16 : 32);
  const idx = rng.below(128 / e);
  return { m, idx, text: `v${m}.${e === 16 ? "h" : "s"}[${idx}]` };
}

test("MUL, MLA, MLS, SQDMULH, SQRDMULH by element", () => {
  const rng = new Rng(31);
  const cases: Case[] = [];
  for (const [mn, fn] of Object.entries(SAME)) {
    for (const e of [16, 32]) {
      for (const q of [0, 1]) {
        for (let k = 0; k < 3; k++) {
          const { d, n } = regs(rng);
          const el = element(rng, e, n, d);
          cases.push({
            asm: `${mn} v${d}.${arr(e, q)}, v${n}.${arr(e, q)}, ${el.text}`,
            d,
            expect: (v) => {
              const b = lane(v[el.m], e, el.idx);
              const ls: bigint[] = [];
              for (let i = 0; i < (q ? 128 : 64) / e; i++) ls.push(fn(lane(v[n], e, i), b, lane(v[d], e, i), e));
              return pack(ls, e);
            },
          });
        }
      }
    }
  }
  runCases(cases, 32, 6);
});

test("long by element: SMULL .. UMLSL, SQDMULL, SQDMLAL, SQDMLSL, 2 forms", () => {
  const rng = new Rng(33);
  const cases: Case[] = [];
  for (const [mn, fn] of Object.entries(LONG)) {
    for (const e of [16, 32]) {
      for (const q of [0, 1]) {
        for (let k = 0; k < 3; k++) {
          const { d, n } = regs(rng);
          const el = element(rng, e, n, d);
          cases.push({
            asm: `${mn}${q ? "2" : ""} v${d}.${arr(2 * e, 1)}, v${n}.${arr(e, q)}, ${el.text}`,
            d,
            expect: (v) => {
              const b = lane(v[el.m], e, el.idx);
              const ls: bigint[] = [];
              for (let i = 0; i < 64 / e; i++) ls.push(fn(lane(v[n], e, i + (q ? 64 / e : 0)), b, lane(v[d], 2 * e, i), e));
              return pack(ls, 2 * e);
            },
          });
        }
      }
    }
  }
  runCases(cases, 34, 6);
});

test("scalar by element: SQDMULH, SQRDMULH, SQDMULL, SQDMLAL, SQDMLSL", () => {
  const rng = new Rng(35);
  const cases: Case[] = [];
  for (const e of [16, 32]) {
    for (let k = 0; k < 4; k++) {
      for (const [mn, fn] of Object.entries(SAME)) {
        if (!mn.startsWith("sq")) continue;
        const { d, n } = regs(rng);
        const el = element(rng, e, n, d);
        cases.push({
          asm: `${mn} ${sreg(e)}${d}, ${sreg(e)}${n}, ${el.text}`,
          d,
          expect: (v) => uN(fn(lane(v[n], e, 0), lane(v[el.m], e, el.idx), 0n, e), e),
        });
      }
      for (const [mn, fn] of Object.entries(LONG)) {
        if (!mn.startsWith("sq")) continue;
        const { d, n } = regs(rng);
        const el = element(rng, e, n, d);
        cases.push({
          asm: `${mn} ${sreg(2 * e)}${d}, ${sreg(e)}${n}, ${el.text}`,
          d,
          expect: (v) => uN(fn(lane(v[n], e, 0), lane(v[el.m], e, el.idx), lane(v[d], 2 * e, 0), e), 2 * e),
        });
      }
    }
  }
  runCases(cases, 36, 6);
});

test("saturation edge cases set FPSR.QC, and only those", () => {
  const min16 = 0x8000n;
  const min32 = 0x8000_0000n;
  const v1 = (min16 << 48n) | (0x7fffn << 32n) | (min16 << 16n) | 0x1234n;
  const v2 = min16 | (min32 << 32n);
  // SQDMULH: min × min saturates to max; min × max does not.
  let cpu = runSnippet("sqdmulh v0.4h, v1.4h, v2.h[0]", { v: { 1: v1, 2: v2 } });
  assert.equal(cpu.v(0), (0x7fffn << 48n) | (0x8001n << 32n) | (0x7fffn << 16n) | uN((sN(0x1234n, 16) * -2n * 0x8000n) >> 16n, 16));
  assert.ok(cpu.fpsr & QC);
  cpu = runSnippet("sqrdmulh v0.4h, v1.4h, v2.h[0]", { v: { 1: 0x7fff_0001n, 2: v2 } });
  assert.equal(cpu.v(0), 0x8001_ffffn);
  assert.equal(cpu.fpsr & QC, 0);
  // 64-bit forms: most-negative lanes in the unused upper half neither saturate nor set QC.
  for (const asm of ["sqdmulh v0.4h, v1.4h, v2.h[0]", "sqrdmulh v0.4h, v1.4h, v2.h[0]", "sqdmulh v0.2s, v1.2s, v2.s[1]"]) {
    cpu = runSnippet(asm, { v: { 0: mask(128), 1: 0x8000_8000_8000_8000n << 64n, 2: v2 } });
    assert.equal(cpu.v(0), 0n, asm);
    assert.equal(cpu.fpsr & QC, 0, asm);
  }
  cpu = runSnippet("sqdmulh v0.4s, v1.4s, v2.s[1]", { v: { 1: (min32 << 96n) | (min32 << 32n) | 3n, 2: v2 } });
  assert.equal(cpu.v(0), (0x7fff_ffffn << 96n) | (0x7fff_ffffn << 32n) | 0xffff_fffdn);
  assert.ok(cpu.fpsr & QC);
  // SQDMULL by element (32-bit): min × min → INT64_MAX with QC.
  cpu = runSnippet("sqdmull d0, s1, v2.s[1]", { v: { 1: min32, 2: v2 } });
  assert.equal(cpu.v(0), 0x7fff_ffff_ffff_ffffn);
  assert.ok(cpu.fpsr & QC);
  // SQDMLAL: the doubled product saturates (QC) before it is accumulated.
  cpu = runSnippet("sqdmlal d0, s1, s2", { v: { 0: 0x8000_0000_0000_0000n, 1: min32, 2: min32 } });
  assert.equal(cpu.v(0), 0xffff_ffff_ffff_ffffn);
  assert.ok(cpu.fpsr & QC);
  cpu = runSnippet("sqdmlsl d0, s1, s2", { v: { 0: 0n, 1: 2n, 2: 3n } });
  assert.equal(cpu.v(0), uN(-12n, 64));
  assert.equal(cpu.fpsr & QC, 0);
  // Vector accumulations saturate per lane in both directions; other lanes are exact.
  cpu = runSnippet("sqdmlal v0.4s, v1.4h, v2.4h", { v: { 0: (0x8000_0000n << 32n) | 0x7fff_fff0n, 1: 0x0002_0100n, 2: 0xffff_0100n } });
  assert.equal(cpu.v(0), (0x8000_0000n << 32n) | 0x7fff_ffffn);
  assert.ok(cpu.fpsr & QC);
  cpu = runSnippet("sqdmlsl2 v0.2d, v1.4s, v2.s[0]", {
    v: { 0: (0x8000_0000_0000_0005n << 64n) | 7n, 1: (2n << 96n) | (1n << 64n), 2: 3n },
  });
  assert.equal(cpu.v(0), (0x8000_0000_0000_0000n << 64n) | 1n);
  assert.ok(cpu.fpsr & QC);
  cpu = runSnippet("sqdmlal2 v0.4s, v1.8h, v2.8h", { v: { 0: 5n, 1: 3n << 64n, 2: 0xfffen << 64n } });
  assert.equal(cpu.v(0), uN(5n - 12n, 32));
  assert.equal(cpu.fpsr & QC, 0);
  // UQSHRN saturates a large value; SQSHRUN clamps negatives to 0.
  cpu = runSnippet("uqshrn v0.8b, v1.8h, #1\n sqshrun2 v0.16b, v2.8h, #8", { v: { 0: mask(128), 1: 0xffffn, 2: 0x8000n } });
  assert.equal(cpu.v(0), 0xffn);
  assert.ok(cpu.fpsr & QC);
});

test("FP/SIMD disabled: the instructions trap with EC 0x07", () => {
  for (const asm of ["sshr v0.4s, v1.4s, #3", "saddl v0.8h, v1.8b, v2.8b", "mul v0.4s, v1.4s, v2.s[1]"]) {
    // CPACR_EL1.FPEN = 0: the first instruction traps to VBAR_EL1 + 0x200 (current EL, SPx).
    const cpu = runSnippet(
      `mov x0, #0x800\n movk x0, #0x4000, lsl #16\n msr vbar_el1, x0\n msr cpacr_el1, xzr\n isb\n ${asm}\n b .\n .org 0xa00\n hvc #0`,
      {},
    );
    assert.equal(Number(cpu.sysreg(0xc290) >> 26n), 0x07, asm);
  }
});
