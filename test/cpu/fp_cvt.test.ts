// Conversions between FP and integer / fixed-point, and FMOV (general)
// (src/cpu/decode/fp_cvt.decode).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cpu } from "../../src/cpu/cpu.ts";
import { runSnippet, type SnippetInit } from "../support/snippet.ts";

const buf = Buffer.alloc(8);
const f32 = (x: number): bigint => {
  buf.writeFloatLE(x);
  return BigInt(buf.readUInt32LE());
};
const f64 = (x: number): bigint => {
  buf.writeDoubleLE(x);
  return buf.readBigUInt64LE();
};
const M64 = (1n << 64n) - 1n;
const s64 = (v: bigint) => BigInt.asUintN(64, v);
const JUNK_X = 0xdeadbeefcafef00dn;
const JUNK_V = (1n << 128n) - 1n;
const IOC = 1;
const IXC = 16;
const IDC = 128;
const RP = 1 << 22;
const RM = 2 << 22;
const FZ = 1 << 24;

/** Runs one instruction with v1 = `a` and x1 = `x`, x0 and v0 pre-filled with junk. */
function run1(insn: string, a: bigint, x = 0n, init: SnippetInit = {}): Cpu {
  return runSnippet(insn, { ...init, v: { 0: JUNK_V, 1: a }, x: { 0: JUNK_X, 1: x } });
}

test("FCVT{N,P,M,Z,A}{S,U}: rounding per instruction, Inexact", () => {
  const want: Record<string, [number, number]> = {
    fcvtns: [2, -2],
    fcvtps: [3, -2],
    fcvtms: [2, -3],
    fcvtzs: [2, -2],
    fcvtas: [3, -3],
  };
  for (const [m, [pos, neg]] of Object.entries(want)) {
    for (const [x, r] of [
      [2.5, pos],
      [-2.5, neg],
    ]) {
      let cpu = run1(`${m} x0, d1`, f64(x));
      assert.equal(cpu.x(0), s64(BigInt(r)), `${m} x ${x}`);
      assert.equal(cpu.fpsr, IXC, `${m} ${x} flags`);
      cpu = run1(`${m} w0, s1`, f32(x));
      assert.equal(cpu.x(0), s64(BigInt(r)) & 0xffffffffn, `${m} w ${x}: 32-bit results are zero-extended`);
    }
    const u = m.replace(/s$/, "u");
    assert.equal(run1(`${u} w0, s1`, f32(2.5)).x(0), BigInt(pos), `${u} 2.5`);
  }
  // FPCR.RMode does not affect these.
  assert.equal(run1("fcvtzs w0, d1", f64(2.9), 0n, { fpcr: RP }).x(0), 2n);
  const exact = run1("fcvtns x0, d1", f64(-7));
  assert.equal(exact.x(0), s64(-7n));
  assert.equal(exact.fpsr, 0);
});

test("FP to integer saturates with Invalid Operation; NaN gives 0", () => {
  const cases: [string, bigint, bigint][] = [
    ["fcvtzs w0, s1", f32(3e9), 0x7fffffffn],
    ["fcvtzs w0, s1", f32(-3e9), 0x80000000n],
    ["fcvtzs x0, d1", f64(1e19), 0x7fffffffffffffffn],
    ["fcvtzs x0, d1", f64(-1e19), 0x8000000000000000n],
    ["fcvtzu w0, d1", f64(-1.5), 0n],
    ["fcvtzu x0, s1", f32(2 ** 64), M64],
    ["fcvtzu w0, s1", 0x7f800000n, 0xffffffffn],
    ["fcvtzs x0, d1", 0xfff0000000000000n, 0x8000000000000000n],
    ["fcvtns w0, s1", 0x7fc00000n, 0n],
    ["fcvtau x0, d1", 0x7ff0000000000001n, 0n],
  ];
  for (const [insn, a, r] of cases) {
    const cpu = run1(insn, a);
    assert.equal(cpu.x(0), r, insn);
    assert.equal(cpu.fpsr, IOC, `${insn} flags`);
  }
  // The most negative value is exact, not saturated.
  const min = run1("fcvtzs x0, d1", f64(-(2 ** 63)));
  assert.equal(min.x(0), 0x8000000000000000n);
  assert.equal(min.fpsr, 0);
  // In range after rounding: -0.5 to unsigned is 0, only Inexact.
  const cpu = run1("fcvtzu w0, s1", f32(-0.5));
  assert.equal(cpu.x(0), 0n);
  assert.equal(cpu.fpsr, IXC);
  // Denormal input with FZ: flushed (IDC), result 0.
  const fz = run1("fcvtps w0, s1", 1n, 0n, { fpcr: FZ });
  assert.equal(fz.x(0), 0n);
  assert.equal(fz.fpsr, IDC);
  assert.equal(run1("fcvtps w0, s1", 1n).x(0), 1n, "without FZ a denormal rounds up to 1");
});

test("SCVTF and UCVTF from W and X, FPCR rounding", () => {
  assert.equal(run1("scvtf s0, w1", 0n, 0xffffffffn).v(0), f32(-1));
  assert.equal(run1("ucvtf s0, w1", 0n, 0xffffffffn).v(0), f32(4294967296));
  assert.equal(run1("scvtf d0, x1", 0n, s64(-5n)).v(0), f64(-5));
  assert.equal(run1("ucvtf d0, x1", 0n, M64).v(0), f64(2 ** 64));
  assert.equal(run1("scvtf d0, w1", 0n, 0xffffffff_80000000n).v(0), f64(-(2 ** 31)), "only W is read");
  let cpu = run1("scvtf s0, w1", 0n, 0x01000001n);
  assert.equal(cpu.v(0), f32(16777216));
  assert.equal(cpu.fpsr, IXC);
  cpu = run1("scvtf s0, w1", 0n, 0x01000001n, { fpcr: RP });
  assert.equal(cpu.v(0), f32(16777218));
  assert.equal(run1("scvtf s0, x1", 0n, s64(-0x1000001n), { fpcr: RM }).v(0), f32(-16777218));
  assert.equal(run1("ucvtf d0, x1", 0n, 0n).v(0), 0n);
});

test("fixed-point conversions scale by 2^fbits", () => {
  let cpu = run1("fcvtzs w0, s1, #8", f32(1.5));
  assert.equal(cpu.x(0), 384n);
  cpu = run1("fcvtzs x0, d1, #1", f64(-0.75));
  assert.equal(cpu.x(0), s64(-1n));
  assert.equal(cpu.fpsr, IXC);
  cpu = run1("fcvtzu x0, d1, #64", f64(0.5));
  assert.equal(cpu.x(0), 1n << 63n);
  cpu = run1("fcvtzu w0, s1, #32", f32(1));
  assert.equal(cpu.x(0), 0xffffffffn);
  assert.equal(cpu.fpsr, IOC);
  assert.equal(run1("scvtf s0, w1, #16", 0n, 0x18000n).v(0), f32(1.5));
  assert.equal(run1("ucvtf d0, x1, #64", 0n, 1n << 63n).v(0), f64(0.5));
  assert.equal(run1("scvtf d0, w1, #32", 0n, 0x80000000n).v(0), f64(-0.5));
});

test("FMOV (general): bit copies between W/X and S/D, and the top half of V", () => {
  const v1 = 0x0123456789abcdef_fedcba9876543210n;
  assert.equal(run1("fmov w0, s1", v1).x(0), 0x76543210n);
  assert.equal(run1("fmov x0, d1", v1).x(0), 0xfedcba9876543210n);
  assert.equal(run1("fmov x0, v1.d[1]", v1).x(0), 0x0123456789abcdefn);
  assert.equal(run1("fmov s0, w1", 0n, 0x7f800001_7f800001n).v(0), 0x7f800001n);
  assert.equal(run1("fmov d0, x1", 0n, 0x7ff0000000000001n).v(0), 0x7ff0000000000001n);
  const top = run1("fmov v0.d[1], x1", 0n, 0x1122334455667788n);
  assert.equal(top.v(0), (0x1122334455667788n << 64n) | M64, "D[0] is unchanged");
  assert.equal(top.fpsr, 0);
});
