// Unit tests of the AdvSIMD floating-point groups (simd_fp_*.decode): lane order, aliasing, the
// narrowing/widening halves, zeroing of the unused top half, flags, FPCR use, and UNDEFINED for
// reserved or half-precision (ARMv8.2) encodings. The broad bit-exact check is simd_fp_diff.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { decodeOp, OP_NAMES, OP_SOURCES } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { loadTables } from "../../tools/gen-decoder.ts";
import { objdumpWords } from "../support/objdump.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu, runSnippet } from "../support/snippet.ts";

const buf = new DataView(new ArrayBuffer(8));
const f32 = (x: number): bigint => {
  buf.setFloat32(0, x, true);
  return BigInt(buf.getUint32(0, true));
};
const f64 = (x: number): bigint => {
  buf.setFloat64(0, x, true);
  return buf.getBigUint64(0, true);
};
/** A vector from 32-bit lanes (lane 0 first). */
const s4 = (...l: bigint[]): bigint => l.reduce((acc, x, i) => acc | ((x & 0xffffffffn) << BigInt(32 * i)), 0n);
/** A vector from float lanes. */
const fs = (...l: number[]): bigint => s4(...l.map(f32));
const fd = (lo: number, hi: number): bigint => f64(lo) | (f64(hi) << 64n);
const d2 = (lo: bigint, hi: bigint): bigint => lo | (hi << 64n);

const QNAN32 = 0x7fc00000n;
const SNAN32 = 0x7f800001n;
const INF32 = 0x7f800000n;
const ONES32 = 0xffffffffn;
const ONES64 = 0xffffffffffffffffn;
const IOC = 1;
const DZC = 2;
const IXC = 0x10;
const JUNK = 0x0123456789abcdef_fedcba9876543210n;

test("vector three same: lanes, 64-bit forms clear the top half", () => {
  let cpu = runSnippet("fadd v0.4s, v1.4s, v2.4s", { v: { 1: fs(1, 2, 3, 4), 2: fs(0.5, 0.25, -3, 8) } });
  assert.equal(cpu.v(0), fs(1.5, 2.25, 0, 12));
  cpu = runSnippet("fsub v0.2s, v1.2s, v2.2s", { v: { 0: JUNK, 1: fs(1, 2, 3, 4), 2: fs(0.5, 4, 0, 0) } });
  assert.equal(cpu.v(0), fs(0.5, -2, 0, 0));
  cpu = runSnippet("fmul v3.2d, v1.2d, v2.2d", { v: { 1: fd(3, -2), 2: fd(0.5, 0.25) } });
  assert.equal(cpu.v(3), fd(1.5, -0.5));
  assert.equal(cpu.fpsr, 0);
  cpu = runSnippet("fdiv v0.4s, v1.4s, v2.4s", { v: { 1: fs(1, 1, 0, 1), 2: fs(3, 0, 0, 1) } });
  assert.equal(cpu.v(0), s4(f32(1 / 3), INF32, QNAN32, f32(1)));
  assert.equal(cpu.fpsr, IOC | DZC | IXC);
});

test("FMLA/FMLS accumulate into Vd and are fused; FMLS negates the multiplicand", () => {
  let cpu = runSnippet("fmla v0.4s, v1.4s, v2.4s", { v: { 0: fs(1, 1, 1, 1), 1: fs(2, 3, 4, 5), 2: fs(10, 10, 10, 10) } });
  assert.equal(cpu.v(0), fs(21, 31, 41, 51));
  cpu = runSnippet("fmls v0.2d, v1.2d, v2.2d", { v: { 0: fd(1, 1), 1: fd(2, 3), 2: fd(10, 10) } });
  assert.equal(cpu.v(0), fd(-19, -29));
  // Fused: (1 + 2^-12)^2 - (1 + 2^-11) = 2^-24 exactly, lost by a separate multiply.
  const a = 1 + 2 ** -12;
  cpu = runSnippet("fmla v0.2s, v1.2s, v2.2s", { v: { 0: fs(-(1 + 2 ** -11), 0), 1: fs(a, 0), 2: fs(a, 0) } });
  assert.equal(cpu.v(0), fs(2 ** -24, 0));
});

test("compares give all-ones masks; FCMEQ is quiet, FCMGE/FCMGT signal on quiet NaNs", () => {
  let cpu = runSnippet("fcmeq v0.4s, v1.4s, v2.4s", {
    v: { 1: s4(f32(1), QNAN32, f32(0), f32(-2)), 2: s4(f32(1), QNAN32, f32(-0), f32(2)) },
  });
  assert.equal(cpu.v(0), s4(ONES32, 0n, ONES32, 0n));
  assert.equal(cpu.fpsr, 0);
  cpu = runSnippet("fcmge v0.4s, v1.4s, v2.4s", { v: { 1: s4(f32(1), QNAN32, f32(0), f32(-2)), 2: s4(f32(1), f32(0), f32(-0), f32(2)) } });
  assert.equal(cpu.v(0), s4(ONES32, 0n, ONES32, 0n));
  assert.equal(cpu.fpsr, IOC);
  cpu = runSnippet("facgt v0.2d, v1.2d, v2.2d", { v: { 1: fd(-3, 1), 2: fd(2, -1) } });
  assert.equal(cpu.v(0), d2(ONES64, 0n));
  cpu = runSnippet("fcmlt v0.4s, v1.4s, #0.0\n fcmle v2.2d, v3.2d, #0.0", { v: { 1: s4(f32(-1), f32(-0), f32(2), SNAN32), 3: fd(-0, 1) } });
  assert.equal(cpu.v(0), s4(ONES32, 0n, 0n, 0n));
  assert.equal(cpu.v(2), d2(ONES64, 0n));
  assert.equal(cpu.fpsr, IOC);
});

test("FMULX: infinity times zero is +-2.0", () => {
  const cpu = runSnippet("fmulx v0.4s, v1.4s, v2.4s\n fmulx d3, d4, d5", {
    v: { 1: s4(INF32, f32(-0), f32(3), f32(2)), 2: s4(f32(0), INF32, f32(2), f32(2)), 3: JUNK, 4: f64(Infinity), 5: f64(-0) },
  });
  assert.equal(cpu.v(0), fs(2, -2, 6, 4));
  assert.equal(cpu.v(3), f64(-2));
});

test("pairwise: Vn's pairs fill the low half, Vm's the high half; scalar pairwise", () => {
  let cpu = runSnippet("faddp v0.4s, v1.4s, v2.4s", { v: { 1: fs(1, 2, 3, 4), 2: fs(10, 20, 30, 40) } });
  assert.equal(cpu.v(0), fs(3, 7, 30, 70));
  cpu = runSnippet("fmaxp v1.2s, v1.2s, v2.2s", { v: { 1: fs(1, 5, 99, 99), 2: fs(-1, -2, 99, 99) } });
  assert.equal(cpu.v(1), fs(5, -1, 0, 0));
  cpu = runSnippet("fminp v0.2d, v1.2d, v0.2d", { v: { 0: fd(7, 8), 1: fd(3, -4) } });
  assert.equal(cpu.v(0), fd(-4, 7));
  cpu = runSnippet("faddp d0, v1.2d\n fmaxnmp s2, v3.2s", { v: { 0: JUNK, 1: fd(1.5, 2.25), 2: JUNK, 3: s4(QNAN32, f32(-5), 7n, 7n) } });
  assert.equal(cpu.v(0), f64(3.75));
  assert.equal(cpu.v(2), f32(-5));
});

test("across lanes: FMAXV/FMINNMV reduce a 4S vector into a scalar", () => {
  let cpu = runSnippet("fmaxv s0, v1.4s", { v: { 0: JUNK, 1: fs(1, 9, -3, 4) } });
  assert.equal(cpu.v(0), f32(9));
  cpu = runSnippet("fmaxv s0, v1.4s", { v: { 1: s4(f32(1), QNAN32, f32(3), f32(4)) } });
  assert.equal(cpu.v(0), QNAN32);
  cpu = runSnippet("fminnmv s0, v1.4s", { v: { 1: s4(f32(1), QNAN32, f32(-3), f32(4)) } });
  assert.equal(cpu.v(0), f32(-3));
});

test("by element: the element is read before Vd is written (Vd = Vm)", () => {
  let cpu = runSnippet("fmla v0.4s, v1.4s, v0.s[1]", { v: { 0: fs(1, 2, 3, 4), 1: fs(1, 1, 1, 1) } });
  assert.equal(cpu.v(0), fs(3, 4, 5, 6));
  cpu = runSnippet("fmul v0.2d, v1.2d, v0.d[1]", { v: { 0: fd(5, 3), 1: fd(2, 4) } });
  assert.equal(cpu.v(0), fd(6, 12));
  cpu = runSnippet("fmul v0.2s, v1.2s, v17.s[3]", { v: { 0: JUNK, 1: fs(2, 4, 6, 8), 17: fs(0, 0, 0, 0.5) } });
  assert.equal(cpu.v(0), fs(1, 2, 0, 0));
  cpu = runSnippet("fmls s0, s1, v2.s[2]\n fmulx d3, d4, v5.d[1]", {
    v: { 0: d2(f32(10) | (7n << 32n), 9n), 1: f32(2), 2: fs(0, 0, 3, 0), 4: f64(0), 5: fd(1, -Infinity) },
  });
  assert.equal(cpu.v(0), f32(4));
  assert.equal(cpu.v(3), f64(-2));
});

test("two-register misc: rounding, conversions, estimates", () => {
  let cpu = runSnippet("frintn v0.4s, v1.4s\n frinta v2.4s, v1.4s\n frintm v3.2d, v4.2d\n frintp v5.2d, v4.2d", {
    v: { 1: fs(2.5, -2.5, 3.5, 0.4), 4: fd(-1.5, 1.25) },
  });
  assert.equal(cpu.v(0), fs(2, -2, 4, 0));
  assert.equal(cpu.v(2), fs(3, -3, 4, 0));
  assert.equal(cpu.v(3), fd(-2, 1));
  assert.equal(cpu.v(5), fd(-1, 2));
  assert.equal(cpu.fpsr, 0, "FRINT other than FRINTX does not raise IXC");
  // FRINTI and FRINTX follow FPCR.RMode (here +infinity); FRINTX raises IXC.
  cpu = runSnippet("frinti v0.4s, v1.4s\n frintx v2.2s, v1.2s", { v: { 1: fs(1.25, -1.75, 2, 0) }, fpcr: 1 << 22 });
  assert.equal(cpu.v(0), fs(2, -1, 2, 0));
  assert.equal(cpu.v(2), fs(2, -1, 0, 0));
  assert.equal(cpu.fpsr, IXC);
  cpu = runSnippet("fcvtzs v0.4s, v1.4s\n fcvtau v2.2d, v3.2d\n ucvtf v4.4s, v5.4s\n scvtf d6, d7", {
    v: { 1: fs(-2.9, 3e9, -3e9, 0.5), 3: fd(2.5, -1), 5: s4(0xffffffffn, 1n, 0n, 3n), 7: BigInt.asUintN(64, -3n) },
  });
  assert.equal(cpu.v(0), s4(BigInt.asUintN(32, -2n), 0x7fffffffn, 0x80000000n, 0n));
  assert.equal(cpu.v(2), d2(3n, 0n));
  assert.equal(cpu.v(4), fs(4294967296, 1, 0, 3));
  assert.equal(cpu.v(6), f64(-3));
  assert.equal(cpu.fpsr, IOC | IXC);
  cpu = runSnippet("fabs v0.4s, v1.4s\n fneg v2.2d, v3.2d\n fsqrt v4.2s, v5.2s", {
    v: { 1: s4(0xffc00001n, f32(-1), f32(2), 0x80000000n), 3: d2(0x7ff0000000000001n, f64(1)), 5: fs(4, -1, 7, 7) },
  });
  assert.equal(cpu.v(0), s4(0x7fc00001n, f32(1), f32(2), 0n));
  assert.equal(cpu.v(2), d2(0xfff0000000000001n, f64(-1)), "FNEG does not quiet NaNs");
  assert.equal(cpu.v(4), s4(f32(2), QNAN32, 0n, 0n));
  assert.equal(cpu.fpsr, IOC);
  cpu = runSnippet("frecpe v0.2s, v1.2s\n frsqrte d2, d3\n frecpx s4, s5\n urecpe v6.4s, v7.4s", {
    v: { 1: fs(2, 0), 3: f64(-0), 5: f32(3), 7: s4(0x80000000n, 0x7fffffffn, 0xffffffffn, 0xc0000000n) },
  });
  assert.equal(cpu.v(0), s4(0x3eff8000n, INF32, 0n, 0n));
  assert.equal(cpu.v(2), 0xfff0000000000000n);
  assert.equal(cpu.v(4), f32(1));
  assert.equal(cpu.v(6), s4(0xff800000n, 0xffffffffn, 0x80000000n, 0xaa800000n));
  assert.equal(cpu.fpsr, DZC);
});

test("FCVTL/FCVTN/FCVTXN: halves, aliasing, round to odd", () => {
  // 1.0, -2.0, 0.5, 65504 in half precision.
  const halves = 0x3c00n | (0xc000n << 16n) | (0x3800n << 32n) | (0x7bffn << 48n);
  let cpu = runSnippet("fcvtl v0.4s, v1.4h\n fcvtl2 v1.4s, v1.8h", { v: { 1: d2(halves, 0x3c00n) } });
  assert.equal(cpu.v(0), fs(1, -2, 0.5, 65504));
  assert.equal(cpu.v(1), fs(1, 0, 0, 0));
  cpu = runSnippet("fcvtl2 v0.2d, v0.4s", { v: { 0: fs(9, 9, 1.5, -4) } });
  assert.equal(cpu.v(0), fd(1.5, -4));
  cpu = runSnippet("fcvtn v0.4h, v1.4s\n fcvtn2 v2.4s, v3.2d\n fcvtn v4.2s, v3.2d", {
    v: { 0: JUNK, 1: fs(1, -2, 0.5, 65504), 2: JUNK, 3: fd(1.5, -4), 4: JUNK },
  });
  assert.equal(cpu.v(0), halves);
  assert.equal(cpu.v(2), (JUNK & ((1n << 64n) - 1n)) | (fs(1.5, -4) << 64n));
  assert.equal(cpu.v(4), fs(1.5, -4));
  // 1 + 2^-30 is not representable in f32: round to odd sets the last fraction bit.
  cpu = runSnippet("fcvtxn s0, d1\n fcvtxn2 v2.4s, v1.2d", { v: { 1: fd(1 + 2 ** -30, 2), 2: fs(7, 7, 7, 7) } });
  assert.equal(cpu.v(0), 0x3f800001n);
  assert.equal(cpu.v(2), s4(f32(7), f32(7), 0x3f800001n, f32(2)));
  assert.equal(cpu.fpsr, IXC);
});

test("fixed-point conversions (shift by immediate)", () => {
  const cpu = runSnippet("scvtf v0.4s, v1.4s, #16\n fcvtzs v2.2d, v3.2d, #1\n ucvtf s4, s5, #32\n fcvtzu d6, d7, #64", {
    v: { 1: s4(0x10000n, BigInt.asUintN(32, -0x8000n), 1n, 0n), 3: fd(2.75, -1.25), 5: 0x80000000n, 7: f64(0.5) },
  });
  assert.equal(cpu.v(0), fs(1, -0.5, 2 ** -16, 0));
  assert.equal(cpu.v(2), d2(5n, BigInt.asUintN(64, -2n)));
  assert.equal(cpu.v(4), f32(0.5));
  assert.equal(cpu.v(6), 0x8000000000000000n);
  assert.equal(cpu.fpsr, IXC);
});

test("FPCR.FZ flushes denormal inputs (IDC) and FPCR.DN gives the default NaN", () => {
  const cpu = runSnippet("fadd v0.4s, v1.4s, v2.4s", {
    v: { 1: s4(1n, SNAN32, 0n, 0n), 2: s4(0n, 0n, 0n, 0n) },
    fpcr: (1 << 24) | (1 << 25),
  });
  assert.equal(cpu.v(0), s4(0n, QNAN32, 0n, 0n));
  assert.equal(cpu.fpsr, IOC | 0x80);
});

/** Runs one word with VBAR_EL1 pointing at an HVC; returns ESR_EL1's class and the UNDEF count. */
function trapOf(word: number, fpEnabled = true): { ec: number; undefs: number; elr: bigint } {
  const cpu = freshCpu();
  const code = Buffer.alloc(0x1204);
  code.writeUInt32LE(word, 0);
  code.writeUInt32LE(0xd4000002, 4);
  code.writeUInt32LE(0xd4000002, 0x1200);
  cpu.writePhys(CODE_BASE, code);
  cpu.setSysreg(0xc600, CODE_BASE + 0x1000n); // VBAR_EL1
  if (!fpEnabled) cpu.setSysreg(0xc082, 0n); // CPACR_EL1.FPEN = 0
  cpu.pc = CODE_BASE;
  assert.equal(cpu.run(10), ExitReason.Hvc);
  return { ec: Number(cpu.sysreg(0xc290) >> 26n), undefs: cpu.undefCount, elr: cpu.sysreg(0xc201) };
}

test("reserved and half-precision encodings are UNDEFINED", () => {
  const words: [number, string][] = [
    [0x0e60d420, "fadd 1d"],
    [0x0e61f820, "fabs 1d"],
    [0x2e30f820, "fmaxv 2s"],
    [0x6e70f820, "fmaxv 2d"],
    [0x0ee1c820, "urecpe 1d/2d"],
    [0x2e216820, "fcvtxn from 4s"],
    [0x7e216820, "scalar fcvtxn from s"],
    [0x5fe01820, "fmla d, index with L = 1"],
    [0x0fc01000, "fmla 1d by element"],
    [0x0f40e420, "scvtf 1d fixed point"],
    [0x4e421420, "fadd 8h (ARMv8.2)"],
    [0x5e79a820, "fcvtns h (ARMv8.2)"],
    [0x0f10e420, "scvtf 4h fixed point (ARMv8.2)"],
    [0x4f021020, "fmla 8h by element (ARMv8.2)"],
  ];
  for (const [w, what] of words) {
    const t = trapOf(w);
    assert.equal(t.undefs, 1, `${what} (${w.toString(16)}) should be UNDEFINED`);
    assert.equal(t.ec, 0, what);
    assert.equal(t.elr, CODE_BASE, what);
  }
});

test("with CPACR_EL1.FPEN = 0 the instructions trap (EC 0x07); reserved encodings stay UNDEFINED", () => {
  for (const w of [0x4e22d420, 0x6e30f820, 0x4fa21820, 0x5f40e420, 0x4e216820, 0x7e616820]) {
    const t = trapOf(w, false);
    assert.equal(t.ec, 0x07, w.toString(16));
    assert.equal(t.undefs, 0);
  }
  assert.equal(trapOf(0x0e60d420, false).ec, 0);
});

test("the AdvSIMD FP entries own exactly the FP encodings (random AdvSIMD words against objdump)", () => {
  // Vector (0 Q U 0111 ...) and scalar (01 U 1111 ...) AdvSIMD words.
  const rng = new Rng(0xf95);
  const words: number[] = [];
  for (let k = 0; k < 40_000; k++) {
    const w = rng.u32();
    words.push(k & 1 ? ((w & ~0x9e000000) | 0x0e000000) >>> 0 : ((w & ~0xde000000) | 0x5e000000) >>> 0);
  }
  const text = objdumpWords(words);
  const fpMnemonic = /^(f[a-z0-9]*|scvtf|ucvtf|urecpe|ursqrte) /;
  // Not ours: half precision (ARMv8.2), FMOV (scalar FP group), later extensions.
  const notOurs = /\bh\d|\.[248]h\b|\.h\[|^fmov|^fcmla|^fcadd|^fmlal|^fmlsl|^frint(32|64)|^fjcvtzs|^bf/;
  const bad: string[] = [];
  words.forEach((w, i) => {
    const t = text[i];
    const ours = OP_SOURCES[decodeOp(w)].startsWith("simd_fp");
    const narrowing = t !== null && /^fcvt(l|n|xn)2? /.test(t);
    const fp = t !== null && fpMnemonic.test(t) && (!notOurs.test(t) || narrowing);
    if (fp && !ours) bad.push(`${w.toString(16)} "${t}" decodes to ${OP_NAMES[decodeOp(w)]}`);
    if (ours && t !== null && !fpMnemonic.test(t)) bad.push(`${w.toString(16)} "${t}" decodes to ${OP_NAMES[decodeOp(w)]}`);
  });
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} words`);
});

test("random words of every entry: UNDEFINED exactly where objdump has no instruction, never a host crash", () => {
  const rng = new Rng(0xfade);
  const entries = loadTables();
  const words: number[] = [];
  entries.forEach((e, i) => {
    if (!e.group.startsWith("simd_fp")) return;
    for (let k = 0; k < 24; k++) {
      const w = ((rng.u32() & ~e.mask) | e.value) >>> 0;
      if (decodeOp(w) === i + 1) words.push(w);
    }
  });
  const text = objdumpWords(words);
  const cpu = freshCpu();
  // Word i at CODE_BASE + 8i with an HVC after it; the exception vector (VBAR + 0x200) is an HVC too.
  const code = Buffer.alloc(words.length * 8 + 0x2000);
  words.forEach((w, i) => {
    code.writeUInt32LE(w, i * 8);
    code.writeUInt32LE(0xd4000002, i * 8 + 4);
  });
  const vbar = (CODE_BASE + BigInt(words.length * 8) + 0xfffn) & ~0x7ffn;
  code.writeUInt32LE(0xd4000002, Number(vbar - CODE_BASE) + 0x200);
  cpu.writePhys(CODE_BASE, code);
  const bad: string[] = [];
  words.forEach((w, i) => {
    cpu.setSysreg(0xc600, vbar);
    for (let r = 0; r < 32; r++) cpu.setV(r, rng.u64() | (rng.u64() << 64n));
    cpu.fpcr = rng.u32() & 0x07c00000;
    cpu.pstate = 0x3c5; // EL1h, interrupts masked
    const before = cpu.undefCount;
    cpu.pc = CODE_BASE + BigInt(i * 8);
    const r = cpu.run(4);
    const undef = cpu.undefCount !== before;
    if (r !== ExitReason.Hvc) bad.push(`${w.toString(16)}: exit ${r}`);
    else if (undef !== (text[i] === null)) bad.push(`${w.toString(16)} "${text[i]}": ${undef ? "UNDEFINED" : "executed"}`);
  });
  assert.ok(words.length > 2000);
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${words.length}`);
});
