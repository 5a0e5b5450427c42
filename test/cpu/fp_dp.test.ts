// Scalar FP data processing (src/cpu/decode/fp_dp.decode): arithmetic under FPCR, FPSR flags,
// compares, selects, immediates, UNDEFINED encodings and the FP access trap.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { decodeOp, OP_SOURCES } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { disassemble } from "../../src/cpu/disasm/index.ts";
import { normalizeAsm, objdumpWords } from "../support/objdump.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu, runSnippet, type SnippetInit } from "../support/snippet.ts";
import { assemble } from "../support/toolchain.ts";

const buf = Buffer.alloc(8);
/** IEEE single bits of a number. */
export const f32 = (x: number): bigint => {
  buf.writeFloatLE(x);
  return BigInt(buf.readUInt32LE());
};
/** IEEE double bits of a number. */
export const f64 = (x: number): bigint => {
  buf.writeDoubleLE(x);
  return buf.readBigUInt64LE();
};

/** A value whose every bit is set, so that a scalar write must visibly clear the rest of V0. */
const JUNK = (1n << 128n) - 1n;
const IOC = 1;
const DZC = 2;
const OFC = 4;
const UFC = 8;
const IXC = 16;
const IDC = 128;
const RP = 1 << 22;
const RM = 2 << 22;
const RZ = 3 << 22;
const FZ = 1 << 24;
const DN = 1 << 25;
const AHP = 1 << 26;

/** Runs one instruction with v1..v3 as given (v0 = JUNK); returns the CPU. */
function run1(insn: string, v: bigint[], init: SnippetInit = {}): Cpu {
  const regs: Record<number, bigint> = { 0: JUNK };
  v.forEach((x, i) => {
    regs[i + 1] = x;
  });
  return runSnippet(insn, { ...init, v: { ...regs, ...init.v } });
}

test("FADD, FSUB, FMUL, FDIV, FNMUL: single and double, the rest of Vd cleared", () => {
  const cases: [string, number, number, number][] = [
    ["fadd", 1.5, 2.25, 3.75],
    ["fsub", 1.5, 2.25, -0.75],
    ["fmul", 1.5, -2.25, -3.375],
    ["fdiv", 3.375, 1.5, 2.25],
    ["fnmul", 1.5, 2.25, -3.375],
  ];
  for (const [m, a, b, r] of cases) {
    let cpu = run1(`${m} s0, s1, s2`, [f32(a), f32(b)]);
    assert.equal(cpu.v(0), f32(r), `${m} s`);
    assert.equal(cpu.fpsr, 0, `${m} s flags`);
    cpu = run1(`${m} d0, d1, d2`, [f64(a), f64(b)]);
    assert.equal(cpu.v(0), f64(r), `${m} d`);
  }
  // Inexact: 1/3.
  const cpu = run1("fdiv d0, d1, d2", [f64(1), f64(3)]);
  assert.equal(cpu.v(0), f64(1 / 3));
  assert.equal(cpu.fpsr, IXC);
});

test("FPSR flags accumulate: division by zero, invalid, overflow, underflow", () => {
  let cpu = run1("fdiv s0, s1, s2", [f32(1), f32(0)]);
  assert.equal(cpu.v(0), 0x7f800000n);
  assert.equal(cpu.fpsr, DZC);
  cpu = run1("fdiv s0, s1, s2\n fsqrt s3, s4", [f32(-1), f32(0), 0n, f32(-4)]);
  assert.equal(cpu.v(0), 0xff800000n);
  assert.equal(cpu.v(3), 0x7fc00000n, "sqrt(-4) is the default NaN");
  assert.equal(cpu.fpsr, DZC | IOC);
  cpu = run1("fmul d0, d1, d1", [f64(1e300)]);
  assert.equal(cpu.v(0), 0x7ff0000000000000n);
  assert.equal(cpu.fpsr, OFC | IXC);
  cpu = run1("fmul d0, d1, d1", [f64(1e300)], { fpcr: RZ });
  assert.equal(cpu.v(0), 0x7fefffffffffffffn, "overflow rounding toward zero gives the largest finite");
  cpu = run1("fmul s0, s1, s1", [f32(1e-30)]);
  assert.equal(cpu.fpsr, UFC | IXC);
  // Cumulative: flags already set stay set.
  cpu = run1("movz x9, #0x80\n msr fpsr, x9\n fdiv s0, s1, s2", [f32(1), f32(0)]);
  assert.equal(cpu.fpsr, IDC | DZC);
});

test("FPCR.RMode rounds FADD and FSQRT", () => {
  const a = f64(1);
  const b = f64(2 ** -60);
  const up = f64(1 + 2 ** -52);
  const want: [number, bigint][] = [
    [0, a],
    [RP, up],
    [RM, a],
    [RZ, a],
  ];
  for (const [fpcr, r] of want) {
    const cpu = run1("fadd d0, d1, d2", [a, b], { fpcr });
    assert.equal(cpu.v(0), r, `fpcr 0x${fpcr.toString(16)}`);
    assert.equal(cpu.fpsr, IXC);
  }
  const neg = run1("fsub d0, d1, d2", [f64(-1), b], { fpcr: RM });
  assert.equal(neg.v(0), f64(-(1 + 2 ** -52)));
  // x - x is +0 except when rounding toward minus infinity.
  assert.equal(run1("fsub s0, s1, s1", [f32(5)]).v(0), 0n);
  assert.equal(run1("fsub s0, s1, s1", [f32(5)], { fpcr: RM }).v(0), 0x80000000n);
  const sq = run1("fsqrt s0, s1", [f32(2)], { fpcr: RP });
  assert.equal(sq.v(0), f32(Math.SQRT2) + 1n);
});

test("FPCR.FZ flushes denormal inputs (IDC) and tiny results (UFC); DN gives the default NaN", () => {
  const den = 0x00000001n;
  let cpu = run1("fadd s0, s1, s2", [den, f32(1)], { fpcr: FZ });
  assert.equal(cpu.v(0), f32(1));
  assert.equal(cpu.fpsr, IDC);
  cpu = run1("fadd s0, s1, s2", [den, f32(1)]);
  assert.equal(cpu.v(0), f32(1));
  assert.equal(cpu.fpsr, IXC);
  cpu = run1("fmul s0, s1, s2", [f32(2 ** -70), f32(2 ** -70)], { fpcr: FZ });
  assert.equal(cpu.v(0), 0n);
  assert.equal(cpu.fpsr, UFC);
  // NaN propagation: the first signalling NaN, quietened; with DN the default NaN.
  cpu = run1("fadd d0, d1, d2", [0x7ff8000000000123n, 0x7ff0000000000456n]);
  assert.equal(cpu.v(0), 0x7ff8000000000456n);
  assert.equal(cpu.fpsr, IOC);
  cpu = run1("fadd d0, d1, d2", [0x7ff8000000000123n, f64(1)], { fpcr: DN });
  assert.equal(cpu.v(0), 0x7ff8000000000000n);
  assert.equal(cpu.fpsr, 0);
});

test("FMAX, FMIN, FMAXNM, FMINNM: NaN handling and signed zeros", () => {
  const qnan = 0x7fc00001n;
  assert.equal(run1("fmax s0, s1, s2", [f32(1), qnan]).v(0), qnan);
  assert.equal(run1("fmaxnm s0, s1, s2", [f32(1), qnan]).v(0), f32(1));
  assert.equal(run1("fminnm s0, s1, s2", [qnan, f32(-3)]).v(0), f32(-3));
  assert.equal(run1("fmin d0, d1, d2", [f64(-0), f64(0)]).v(0), f64(-0));
  assert.equal(run1("fmax d0, d1, d2", [f64(-0), f64(0)]).v(0), f64(0));
  const cpu = run1("fmaxnm s0, s1, s2", [f32(1), 0x7f800001n]);
  assert.equal(cpu.v(0), 0x7fc00001n, "a signalling NaN still propagates");
  assert.equal(cpu.fpsr, IOC);
});

test("FMADD is fused (one rounding); FMSUB, FNMADD, FNMSUB signs", () => {
  const a = f32(1 + 2 ** -23);
  const c = f32(-(1 + 2 ** -22));
  assert.equal(run1("fmadd s0, s1, s2, s3", [a, a, c]).v(0), f32(2 ** -46));
  const [n, m, k] = [f64(3), f64(5), f64(2)];
  assert.equal(run1("fmadd d0, d1, d2, d3", [n, m, k]).v(0), f64(17));
  assert.equal(run1("fmsub d0, d1, d2, d3", [n, m, k]).v(0), f64(-13));
  assert.equal(run1("fnmadd d0, d1, d2, d3", [n, m, k]).v(0), f64(-17));
  assert.equal(run1("fnmsub d0, d1, d2, d3", [n, m, k]).v(0), f64(13));
});

test("FMOV, FABS, FNEG copy bits: NaN payloads kept, no flags", () => {
  const snan = 0x7f800123n;
  for (const [m, r] of [
    ["fmov", snan],
    ["fabs", snan],
    ["fneg", snan | 0x80000000n],
  ] as const) {
    const cpu = run1(`${m} s0, s1`, [snan | (0x80000000n * (m === "fabs" ? 1n : 0n))], { fpcr: DN | FZ });
    assert.equal(cpu.v(0), r, m);
    assert.equal(cpu.fpsr, 0, `${m} flags`);
  }
  assert.equal(run1("fabs d0, d1", [f64(-2.5)]).v(0), f64(2.5));
  assert.equal(run1("fneg d0, d1", [0n]).v(0), f64(-0));
});

test("FRINTN/P/M/Z/A/X/I round to integral", () => {
  const want: Record<string, [number, number, number]> = {
    frintn: [2, -2, 0],
    frintp: [3, -2, 1],
    frintm: [2, -3, 0],
    frintz: [2, -2, 0],
    frinta: [3, -3, 1],
    frintx: [2, -2, 0],
    frinti: [2, -2, 0],
  };
  for (const [m, [r1, r2, r3]] of Object.entries(want)) {
    for (const [x, r] of [
      [2.5, r1],
      [-2.5, r2],
      [0.5, r3],
    ]) {
      const cpu = run1(`${m} d0, d1`, [f64(x)]);
      assert.equal(cpu.v(0), f64(r), `${m} ${x}`);
      assert.equal(cpu.fpsr, m === "frintx" ? IXC : 0, `${m} ${x} flags`);
      assert.equal(run1(`${m} s0, s1`, [f32(x)]).v(0), f32(r), `${m} s ${x}`);
    }
  }
  assert.equal(run1("frinti s0, s1", [f32(2.5)], { fpcr: RP }).v(0), f32(3));
  assert.equal(run1("frintx s0, s1", [f32(-2.5)], { fpcr: RM }).v(0), f32(-3));
  assert.equal(run1("frintm d0, d1", [f64(-0.25)]).v(0), f64(-1));
  assert.equal(run1("frintz d0, d1", [f64(-0.25)]).v(0), f64(-0), "the sign of a zero result is kept");
});

test("FCVT between half, single and double, with FPCR.AHP", () => {
  assert.equal(run1("fcvt d0, s1", [f32(0.1)]).v(0), f64(Math.fround(0.1)));
  let cpu = run1("fcvt s0, d1", [f64(0.1)]);
  assert.equal(cpu.v(0), f32(0.1));
  assert.equal(cpu.fpsr, IXC);
  assert.equal(run1("fcvt h0, s1", [f32(1.5)]).v(0), 0x3e00n);
  assert.equal(run1("fcvt h0, d1", [f64(-65504)]).v(0), 0xfbffn);
  assert.equal(run1("fcvt s0, h1", [0x3555n]).v(0), f32(0.333251953125));
  assert.equal(run1("fcvt d0, h1", [0x0001n]).v(0), f64(2 ** -24), "half denormals are never flushed");
  cpu = run1("fcvt h0, s1", [f32(65536)]);
  assert.equal(cpu.v(0), 0x7c00n, "IEEE half: overflow to infinity");
  assert.equal(cpu.fpsr, OFC | IXC);
  cpu = run1("fcvt h0, s1", [f32(65536)], { fpcr: AHP });
  assert.equal(cpu.v(0), 0x7c00n, "alternative half: 65536 is representable");
  assert.equal(cpu.fpsr, 0);
  cpu = run1("fcvt h0, s1", [0x7f800000n], { fpcr: AHP });
  assert.equal(cpu.v(0), 0x7fffn, "alternative half has no infinity");
  assert.equal(cpu.fpsr, IOC);
  assert.equal(run1("fcvt s0, h1", [0x7c00n], { fpcr: AHP }).v(0), f32(65536));
  assert.equal(run1("fcvt s0, h1", [0x7c00n]).v(0), 0x7f800000n);
});

test("FCMP and FCMPE set NZCV; signalling behaviour on NaNs", () => {
  const flags = (insn: string, a: bigint, b: bigint) => {
    const cpu = run1(insn, [a, b], { nzcv: 0 });
    return [cpu.nzcv >>> 28, cpu.fpsr];
  };
  assert.deepEqual(flags("fcmp s1, s2", f32(1), f32(2)), [0x8, 0]);
  assert.deepEqual(flags("fcmp s1, s2", f32(2), f32(2)), [0x6, 0]);
  assert.deepEqual(flags("fcmp s1, s2", f32(3), f32(2)), [0x2, 0]);
  assert.deepEqual(flags("fcmp d1, d2", f64(0), f64(-0)), [0x6, 0]);
  assert.deepEqual(flags("fcmp d1, d2", 0x7ff8000000000000n, f64(1)), [0x3, 0]);
  assert.deepEqual(flags("fcmpe d1, d2", 0x7ff8000000000000n, f64(1)), [0x3, IOC]);
  assert.deepEqual(flags("fcmp d1, d2", 0x7ff0000000000001n, f64(1)), [0x3, IOC]);
  assert.deepEqual(flags("fcmp s1, #0.0", f32(-0), 0n), [0x6, 0]);
  assert.deepEqual(flags("fcmpe d1, #0.0", f64(-1), 0n), [0x8, 0]);
  assert.deepEqual(flags("fcmp s1, s2", f32(-Infinity), f32(-3e38)), [0x8, 0]);
});

test("FCCMP, FCCMPE: compare when the condition holds, else the immediate flags", () => {
  // Z set: eq holds, ne does not.
  let cpu = run1("fccmp s1, s2, #0x5, eq", [f32(1), f32(2)], { nzcv: 0x4 << 28 });
  assert.equal(cpu.nzcv >>> 28, 0x8);
  cpu = run1("fccmpe s1, s2, #0x5, ne", [0x7fc00000n, f32(2)], { nzcv: 0x4 << 28 });
  assert.equal(cpu.nzcv >>> 28, 0x5);
  assert.equal(cpu.fpsr, 0, "no compare, so no Invalid Operation");
  cpu = run1("fccmpe d1, d2, #0x0, al", [0x7ff8000000000000n, f64(2)], { nzcv: 0 });
  assert.equal(cpu.nzcv >>> 28, 0x3);
  assert.equal(cpu.fpsr, IOC);
  cpu = run1("fccmp d1, d2, #0xf, nv", [f64(2), f64(2)], { nzcv: 0 });
  assert.equal(cpu.nzcv >>> 28, 0x6, "nv behaves as always");
});

test("FCSEL selects by condition", () => {
  assert.equal(run1("fcsel s0, s1, s2, gt", [f32(1), f32(2)], { nzcv: 0 }).v(0), f32(1));
  assert.equal(run1("fcsel s0, s1, s2, lt", [f32(1), f32(2)], { nzcv: 0 }).v(0), f32(2));
  assert.equal(run1("fcsel d0, d1, d2, vs", [0x7ff0000000000001n, f64(2)], { nzcv: 1 << 28 }).v(0), 0x7ff0000000000001n);
});

test("FMOV (scalar and vector immediate)", () => {
  assert.equal(run1("fmov s0, #1.0", []).v(0), f32(1));
  assert.equal(run1("fmov d0, #-0.125", []).v(0), f64(-0.125));
  assert.equal(run1("fmov d0, #31.0", []).v(0), f64(31));
  assert.equal(run1("fmov s0, #0.1328125", []).v(0), f32(0.1328125));
  const s = f32(-2.5);
  assert.equal(run1("fmov v0.2s, #-2.5", []).v(0), (s << 32n) | s);
  assert.equal(run1("fmov v0.4s, #-2.5", []).v(0), (s << 96n) | (s << 64n) | (s << 32n) | s);
  const d = f64(0.5);
  assert.equal(run1("fmov v0.2d, #0.5", []).v(0), (d << 64n) | d);
});

test("disassembly of every FMOV immediate matches objdump", () => {
  const words: number[] = [];
  for (let imm8 = 0; imm8 < 256; imm8++) {
    const hi = imm8 >> 5;
    const lo = imm8 & 31;
    words.push(0x1e201000 | (imm8 << 13) | 3); // fmov s3
    words.push(0x1e601000 | (imm8 << 13) | 4); // fmov d4
    words.push(0x0f00f400 | (hi << 16) | (lo << 5) | 5); // fmov v5.2s
    words.push(0x4f00f400 | (hi << 16) | (lo << 5) | 6); // fmov v6.4s
    words.push(0x6f00f400 | (hi << 16) | (lo << 5) | 7); // fmov v7.2d
  }
  const ref = objdumpWords(words);
  const bad = words.flatMap((w, i) => {
    const ours = normalizeAsm(disassemble(w, CODE_BASE));
    return ours === ref[i] ? [] : [`${w.toString(16)}: ours "${ours}" objdump "${ref[i]}"`];
  });
  assert.deepEqual(bad.slice(0, 10), []);
});

test("every ARMv8.0 scalar FP encoding objdump knows is decoded by the fp tables, with its text", () => {
  // Random words of the scalar FP space (bit 30 = 0, bits 28..25 = 1111) and of FMOV (vector,
  // immediate) (cmode = 1111). Words objdump shows as FP16 or post-ARMv8.0 instructions must
  // stay undecoded (UNDEFINED); every other word objdump knows must be ours, printed the same.
  const rng = new Rng(0xf00d);
  const words: number[] = [];
  for (let i = 0; i < 12000; i++) {
    let w = ((rng.u32() & ~(1 << 30)) | (0xf << 25)) >>> 0;
    if (rng.below(2)) w = (w & ~(5 << 29)) >>> 0; // M = S = 0: mostly allocated
    words.push(w);
  }
  for (let i = 0; i < 1000; i++) words.push(((rng.u32() & 0x6007_0be0) | 0x0f00_f400 | (rng.below(32) & 31)) >>> 0);
  const ref = objdumpWords(words);
  const later = (t: string | null) => t === null || (/\bh\d|\.[48]h\b|bfcvt|frint(32|64)|fjcvtzs/.test(t) && !t.startsWith("fcvt "));
  const bad: string[] = [];
  let decoded = 0;
  words.forEach((w, i) => {
    const op = decodeOp(w);
    const r = ref[i];
    const hexw = w.toString(16).padStart(8, "0");
    if (op === 0) {
      if (!later(r)) bad.push(`${hexw}: objdump "${r}" but not decoded`);
      return;
    }
    decoded++;
    const ours = normalizeAsm(disassemble(w, CODE_BASE));
    if (!OP_SOURCES[op].startsWith("fp_")) bad.push(`${hexw}: decoded by ${OP_SOURCES[op]}`);
    else if (later(r)) bad.push(`${hexw}: ours "${ours}" but objdump "${r}" (unallocated in ARMv8.0)`);
    else if (ours !== r) bad.push(`${hexw}: ours "${ours}" objdump "${r}"`);
  });
  assert.ok(decoded > 2500, `only ${decoded} words decoded`);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} words differ`);
});

/** Runs `code` with a vector table whose current-EL synchronous entry does HVC #0x77. */
function runTrapping(code: string): Cpu {
  const cpu = freshCpu();
  const bin = assemble(`  adr x0, vectors\n  msr vbar_el1, x0\n${code}\n  hvc #0\n  .balign 2048\nvectors:\n  .skip 0x200\n  hvc #0x77\n`);
  cpu.writePhys(CODE_BASE, bin);
  cpu.pc = CODE_BASE;
  assert.equal(cpu.run(1000), ExitReason.Hvc);
  return cpu;
}
const ESR_EL1 = 0xc290;

test("FP16 arithmetic and other post-ARMv8.0 or unallocated encodings are UNDEFINED", () => {
  const words = [
    0x1ee22820, // fadd h0, h1, h2 (FP16)
    0x1fc20c20, // fmadd h0, h1, h2, h3 (FP16)
    0x0f03fe00, // fmov v0.4h, #1.0 (FP16)
    0x1ee60020, // fmov w0, h1 (FP16)
    0x1ef80020, // fcvtzs w0, h1 (FP16)
    0x1e284020, // frint32z s0, s1 (ARMv8.5)
    0x1e634020, // bfcvt h0, s1 (ARMv8.6)
    0x1e7e0020, // fjcvtzs w0, d1 (ARMv8.3)
    0x1ea22820, // fadd with ftype = 10
    0x1e224020, // fcvt with opc = ftype
    0x1e234020, // fcvt with opc = 10 from single
    0x1e222021, // fcmp with opcode2<2:0> != 0
    0x1e201021, // fmov s1, #imm with imm5 != 0
    0x2f00f400, // fmov (vector) double with Q = 0
    0x1e660020, // fmov w0, d1 (sf = 0 with double)
    0x9e260020, // fmov x0, s1
    0x1e180020, // fcvtzs w0, s1, #64 (sf = 0 with scale < 32)
    0x1e020020, // scvtf s0, w1, #64
    0x1e190400, // fcvtzu w0, s0, #63
    0x3e222820, // fadd with S = 1
    0x9e222820, // fadd with M = 1
  ];
  for (const w of words) {
    const cpu = runTrapping(`  .inst 0x${(w >>> 0).toString(16)}`);
    assert.equal(cpu.exitInfo(0), 0x77n, `0x${(w >>> 0).toString(16)} should be UNDEFINED`);
    assert.equal(cpu.sysreg(ESR_EL1) >> 26n, 0n, `0x${(w >>> 0).toString(16)} EC`);
  }
  assert.equal(runTrapping("  fadd s0, s1, s2").exitInfo(0), 0n, "control: fadd s is allocated");
});

test("CPACR_EL1.FPEN = 0 traps scalar FP instructions (EC 0x07)", () => {
  for (const insn of ["fadd s0, s1, s2", "fmov d0, x1", "fcvtzs w0, d1", "fmov v0.4s, #1.0", "fcmp s0, #0.0"]) {
    const cpu = runTrapping(`  msr cpacr_el1, xzr\n  isb\n  ${insn}`);
    assert.equal(cpu.exitInfo(0), 0x77n, insn);
    assert.equal(cpu.sysreg(ESR_EL1) >> 26n, 7n, `${insn} EC`);
  }
});
