// Scalar FP instructions against qemu-aarch64 (-cpu cortex-a57, the ARMv8.0 reference): one
// generated program of a few hundred cases (instruction, operands, FPCR, NZCV), run under qemu
// as a static user-mode binary that records V0, X2, FPSR and NZCV after each case, and under
// Dormouse, which stops at an HVC after each case. Every case must agree bit for bit.
// The operands are drawn from pools of special values (zeros, denormals, limits, NaNs, values
// at integer-conversion boundaries) with some random bit patterns; FPCR varies RMode, FZ, DN, AHP.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { Rng } from "../support/rng.ts";
import { runSnippet } from "../support/snippet.ts";
import { gcc } from "../support/toolchain.ts";

const GARBAGE = 0xdeadbeefcafef00dn;

const F32 = [
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xc0200000, 0x3f000000, 0x40400000, 0x3eaaaaab, 0x3dcccccd,
  0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, 0x00000001, 0x007fffff, 0x80400000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc12345,
  0xffc00001, 0x7f800001, 0xff812345, 0x4f000000, 0xcf000000, 0x4effffff, 0x4f800000, 0x5f000000, 0xdf000000, 0x5f800000, 0x501502f9,
  0x3f7fffff, 0x4b000001, 0x3effffff, 0x00c00000, 0x7e800000, 0x40490fdb, 0x3f3504f3,
].map((v) => BigInt(v >>> 0));
const F64 = [
  0x0000000000000000n,
  0x8000000000000000n,
  0x3ff0000000000000n,
  0xbff0000000000000n,
  0x3ff8000000000000n,
  0x4004000000000000n,
  0xc004000000000000n,
  0x3fe0000000000000n,
  0x4008000000000000n,
  0x3fd5555555555555n,
  0x3fb999999999999an,
  0x7fefffffffffffffn,
  0xffefffffffffffffn,
  0x0010000000000000n,
  0x8010000000000000n,
  0x0000000000000001n,
  0x000fffffffffffffn,
  0x8008000000000000n,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0x7ff8000012345678n,
  0xfff8000000000001n,
  0x7ff0000000000001n,
  0xfff0000012345678n,
  0x41e0000000000000n,
  0xc1e0000000000000n,
  0x41dfffffffc00000n,
  0x41f0000000000000n,
  0x43e0000000000000n,
  0xc3e0000000000000n,
  0x43f0000000000000n,
  0x4202a05f20000000n,
  0x3fefffffffffffffn,
  0x4330000000000001n,
  0x36a0000000000000n,
  0x47efffffe0000000n,
  0x47efffff00000000n,
  0x400921fb54442d18n,
  0x3810000000000000n,
];
const F16 = [0x0000, 0x8000, 0x3c00, 0xbc00, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x7d23, 0x7c01, 0x3555].map((v) =>
  BigInt(v),
);
const INTS = [
  0n,
  1n,
  0xffffffffffffffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0xffffffff80000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0x0123456789abcdefn,
  0x00ffffffn,
  0x01000001n,
  0x1000001n,
  0xfedcba9876543210n,
  0x20000000000001n,
  0x3n,
  0xfffffffffffffffdn,
];
const FPCRS = [0, 0, 0, 1 << 22, 2 << 22, 3 << 22, 1 << 24, 1 << 25, (1 << 24) | (1 << 25) | (1 << 22), 1 << 26, (1 << 26) | (3 << 22)];

type Kind = "s" | "d" | "h";
interface Op {
  /** Assembly with placeholders: the operands are fixed registers (d: v0/x2, sources v1-v3/x1). */
  asm: string;
  /** Pools for v1, v2, v3 (low 64 bits) and x1. */
  src: Kind[];
  int?: boolean;
  /** Whether to vary NZCV (conditional instructions). */
  cond?: boolean;
}

const CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"];

function ops(rng: Rng): Op[] {
  const list: Op[] = [];
  for (const t of ["s", "d"] as const) {
    for (const m of ["fadd", "fsub", "fmul", "fdiv", "fnmul", "fmax", "fmin", "fmaxnm", "fminnm"]) {
      list.push({ asm: `${m} ${t}0, ${t}1, ${t}2`, src: [t, t] });
    }
    for (const m of ["fmadd", "fmsub", "fnmadd", "fnmsub"]) list.push({ asm: `${m} ${t}0, ${t}1, ${t}2, ${t}3`, src: [t, t, t] });
    for (const m of ["fabs", "fneg", "fsqrt", "fmov", "frintn", "frintp", "frintm", "frintz", "frinta", "frintx", "frinti"]) {
      list.push({ asm: `${m} ${t}0, ${t}1`, src: [t] });
    }
    for (const m of ["fcmp", "fcmpe"]) {
      list.push({ asm: `${m} ${t}1, ${t}2`, src: [t, t] });
      list.push({ asm: `${m} ${t}1, #0.0`, src: [t] });
    }
    for (const m of ["fccmp", "fccmpe"]) {
      list.push({ asm: `${m} ${t}1, ${t}2, #${rng.below(16)}, ${rng.pick(CONDS)}`, src: [t, t], cond: true });
    }
    list.push({ asm: `fcsel ${t}0, ${t}1, ${t}2, ${rng.pick(CONDS)}`, src: [t, t], cond: true });
    list.push({ asm: `fmov ${t}0, #${rng.pick(["1.0", "-0.125", "31.0", "0.2421875", "-2.5", "17.0"])}`, src: [] });
    for (const r of ["w", "x"] as const) {
      for (const m of ["fcvtns", "fcvtnu", "fcvtps", "fcvtpu", "fcvtms", "fcvtmu", "fcvtzs", "fcvtzu", "fcvtas", "fcvtau"]) {
        list.push({ asm: `${m} ${r}2, ${t}1`, src: [t] });
      }
      for (const m of ["scvtf", "ucvtf"]) list.push({ asm: `${m} ${t}0, ${r}1`, src: [], int: true });
      const fbits = () => 1 + rng.below(r === "w" ? 32 : 64);
      for (const m of ["fcvtzs", "fcvtzu"]) list.push({ asm: `${m} ${r}2, ${t}1, #${fbits()}`, src: [t] });
      for (const m of ["scvtf", "ucvtf"]) list.push({ asm: `${m} ${t}0, ${r}1, #${fbits()}`, src: [], int: true });
    }
  }
  list.push({ asm: "fcvt d0, s1", src: ["s"] }, { asm: "fcvt s0, d1", src: ["d"] });
  list.push({ asm: "fcvt h0, s1", src: ["s"] }, { asm: "fcvt h0, d1", src: ["d"] });
  list.push({ asm: "fcvt s0, h1", src: ["h"] }, { asm: "fcvt d0, h1", src: ["h"] });
  list.push({ asm: "fmov w2, s1", src: ["s"] }, { asm: "fmov x2, d1", src: ["d"] }, { asm: "fmov x2, v1.d[1]", src: ["d"] });
  list.push({ asm: "fmov s0, w1", src: [], int: true }, { asm: "fmov d0, x1", src: [], int: true });
  list.push({ asm: "fmov v0.d[1], x1", src: [], int: true });
  list.push({ asm: "fmov v0.2s, #-1.5", src: [] }, { asm: "fmov v0.4s, #0.125", src: [] }, { asm: "fmov v0.2d, #3.0", src: [] });
  return list;
}

function movImm(reg: string, v: bigint): string[] {
  const out = [`movz ${reg}, #${Number(v & 0xffffn)}`];
  for (let k = 1; k < 4; k++) {
    const c = Number((v >> BigInt(16 * k)) & 0xffffn);
    if (c) out.push(`movk ${reg}, #${c}, lsl #${16 * k}`);
  }
  return out;
}

/** FPSR before each case: cumulative flags already set must stay set (and change fast paths). */
const FPSRS = [0, 0, 0x10, 0x9f, 0x01];

/** A special value, a random bit pattern, or a random normal number near 1.0 (rounding paths). */
function pickValue(rng: Rng, k: Kind): bigint {
  const r = rng.below(8);
  if (k === "h") return r === 0 ? BigInt(rng.u32() & 0xffff) : rng.pick(F16);
  if (k === "s") {
    if (r === 0) return BigInt(rng.u32());
    if (r === 1) return BigInt(((rng.u32() & 0x80000000) | ((117 + rng.below(20)) << 23) | (rng.u32() & 0x7fffff)) >>> 0);
    return rng.pick(F32);
  }
  if (r === 0) return rng.u64();
  if (r === 1) return (rng.u64() & 0x800fffffffffffffn) | (BigInt(1013 + rng.below(20)) << 52n);
  return rng.pick(F64);
}

/** The cases' code, each followed by `checkpoint`. */
function program(rng: Rng, perOp: number): { body: (checkpoint: string) => string; count: number; names: string[] } {
  const lines: string[][] = [];
  const names: string[] = [];
  for (const op of ops(rng)) {
    for (let i = 0; i < perOp; i++) {
      const fpcr = rng.pick(FPCRS);
      const c: string[] = [];
      c.push(...movImm("x4", BigInt(fpcr)), "msr fpcr, x4", `movz x4, #${rng.pick(FPSRS)}`, "msr fpsr, x4");
      c.push(`movz x4, #${rng.below(16) << 12}, lsl #16`, "msr nzcv, x4");
      c.push(...movImm("x4", GARBAGE), "fmov d0, x4", "fmov v0.d[1], x4", "fmov x2, d0");
      const vals: bigint[] = [];
      op.src.forEach((k, j) => {
        const v = pickValue(rng, k);
        vals.push(v);
        // Upper bits of each source register are garbage the instruction must ignore.
        c.push(...movImm("x5", v | (k === "d" ? 0n : GARBAGE << (k === "s" ? 32n : 16n))), `fmov d${j + 1}, x5`);
        c.push(`fmov v${j + 1}.d[1], x4`);
      });
      if (op.int) {
        const v = rng.below(4) === 0 ? rng.u64() : rng.pick(INTS);
        vals.push(v);
        c.push(...movImm("x1", v));
      }
      c.push(op.asm);
      lines.push(c);
      names.push(`${op.asm} [${vals.map((v) => `0x${v.toString(16)}`).join(", ")}] fpcr=0x${fpcr.toString(16)}`);
    }
  }
  return {
    body: (checkpoint) => lines.map((c) => `${c.join("\n")}\n${checkpoint}\n`).join(""),
    count: lines.length,
    names,
  };
}

interface Rec {
  v0: bigint;
  x2: bigint;
  fpsr: number;
  nzcv: number;
}

function runQemu(body: string, count: number): Rec[] {
  const src = `
  .text
  .global _start
_start:
  adrp x26, outbuf
  add x26, x26, :lo12:outbuf
${body}
  mov x0, #1
  adrp x1, outbuf
  add x1, x1, :lo12:outbuf
  sub x2, x26, x1
  mov x8, #64
  svc #0
  mov x0, #0
  mov x8, #93
  svc #0
dump:
  str q0, [x26], #16
  str x2, [x26], #8
  mrs x9, fpsr
  str x9, [x26], #8
  mrs x9, nzcv
  str x9, [x26], #16
  ret
  .bss
  .balign 16
outbuf:
  .skip ${count * 48}
`;
  const exe = gcc({ "fpdiff.S": src }, ["-nostdlib", "-static"], "fpdiff");
  const out = execFileSync("qemu-aarch64", ["-cpu", "cortex-a57", exe], { maxBuffer: 64 << 20 });
  assert.equal(out.length, count * 48, "qemu output size");
  const recs: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * 48;
    recs.push({
      v0: out.readBigUInt64LE(o) | (out.readBigUInt64LE(o + 8) << 64n),
      x2: out.readBigUInt64LE(o + 16),
      fpsr: Number(out.readBigUInt64LE(o + 24)),
      nzcv: Number(out.readBigUInt64LE(o + 32)),
    });
  }
  return recs;
}

function runDormouse(body: string, count: number): Rec[] {
  const recs: Rec[] = [];
  const cpu = runSnippet(body, {}, 1_000_000);
  for (let i = 0; i < count; i++) {
    if (i > 0) assert.equal(cpu.run(1_000_000), ExitReason.Hvc, `case ${i} did not reach its checkpoint`);
    recs.push({ v0: cpu.v(0), x2: cpu.x(2), fpsr: cpu.fpsr, nzcv: cpu.nzcv });
  }
  return recs;
}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

test("scalar FP instructions agree with qemu-aarch64 (cortex-a57)", () => {
  // More on demand: FP_DIFF_PER_OP=50 FP_DIFF_SEED=7 npx tsx --test test/cpu/fp_qemu.test.ts
  const rng = new Rng(Number(process.env.FP_DIFF_SEED ?? 0xf9a1));
  const p = program(rng, Number(process.env.FP_DIFF_PER_OP ?? 3));
  const ref = runQemu(p.body("bl dump"), p.count);
  const ours = runDormouse(p.body("hvc #0"), p.count);
  const bad: string[] = [];
  for (let i = 0; i < p.count; i++) {
    const a = ours[i];
    const b = ref[i];
    if (a.v0 !== b.v0 || a.x2 !== b.x2 || a.fpsr !== b.fpsr || a.nzcv !== b.nzcv) {
      bad.push(
        `${p.names[i]}: ours v0=${hex(a.v0)} x2=${hex(a.x2)} fpsr=${hex(a.fpsr)} nzcv=${hex(a.nzcv)}; ` +
          `qemu v0=${hex(b.v0)} x2=${hex(b.x2)} fpsr=${hex(b.fpsr)} nzcv=${hex(b.nzcv)}`,
      );
    }
  }
  assert.ok(p.count > 300, `only ${p.count} cases`);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${p.count} cases differ`);
});
