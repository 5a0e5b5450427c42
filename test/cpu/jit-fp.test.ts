// The JIT's guarded FP fast paths (src/cpu/jit/emit-fp.ts) against the interpreter's softfloat:
// a compiled loop runs FADD, FSUB, FMUL, FDIV (2D, 4S, 2S) and FMLA (2D) over thousands of
// operand triples — ordinary values, products whose fused sum is a tie or cancels, zeros,
// subnormals, infinities, NaNs, huge and tiny values — with FPSR.IXC set and clear and FPCR in
// its default mode and not; every result, FPSR and FPCR must equal the interpreted run's.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { assemble } from "../support/toolchain.ts";

const CODE = 0x4000_0000n;
const IN = 0x4010_0000n;
const OUT = 0x4020_0000n;
const N = 3000;
/** Bytes stored per iteration: 9 results of 16 bytes. */
const PER = 144;

const SOURCE = `
  mov x1, x26
  mov x3, x27
  mov x4, #${N}
1:
  ldp q0, q1, [x1], #32
  ldr q2, [x1], #16
  fadd v3.2d, v0.2d, v1.2d
  fsub v4.2d, v0.2d, v1.2d
  fmul v5.2d, v0.2d, v1.2d
  fdiv v6.2d, v0.2d, v1.2d
  mov v7.16b, v2.16b
  fmla v7.2d, v0.2d, v1.2d
  fadd v16.4s, v0.4s, v1.4s
  fmul v17.4s, v0.4s, v2.4s
  fdiv v18.2s, v1.2s, v2.2s
  fsub v19.2s, v2.2s, v0.2s
  stp q3, q4, [x3], #32
  stp q5, q6, [x3], #32
  stp q7, q16, [x3], #32
  stp q17, q18, [x3], #32
  str q19, [x3], #16
  subs x4, x4, #1
  b.ne 1b
  hvc #0
`;

/** Deterministic xorshift. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Operand triples (a, b, c) as doubles. */
function operands(seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(N * 6);
  const pick = (): number => {
    const k = r();
    if (k < 0.03) return [0, -0, Infinity, -Infinity, NaN, 5e-324, -2.2e-308, 1.7976931348623157e308][Math.floor(r() * 8)];
    if (k < 0.06) return (r() - 0.5) * 2 ** (Math.floor(r() * 2000) - 1000);
    return (r() - 0.5) * 2 ** (Math.floor(r() * 40) - 20);
  };
  for (let i = 0; i < N * 2; i++) {
    let a = pick();
    let b = pick();
    let c = pick();
    const kind = r();
    if (kind < 0.2)
      c = -(a * b); // the fused result is the product's rounding error
    else if (kind < 0.35) c = -(a * b) * (1 + (Math.floor(r() * 8) - 4) * 2 ** -52);
    else if (kind < 0.55) {
      // Integer factors whose exact product has 54+ bits and an addend of half an ulp: ties.
      a = 2 ** 26 + Math.floor(r() * 2 ** 26);
      b = 2 ** 27 + Math.floor(r() * 2 ** 27);
      c = (r() < 0.5 ? -1 : 1) * [0.5, 1, 1.5, 2, 0.25][Math.floor(r() * 5)];
    }
    out[3 * i] = a;
    out[3 * i + 1] = b;
    out[3 * i + 2] = c;
  }
  return out;
}

/** Interleaves the triples into the loop's layout: per iteration a (2 lanes), b, c. */
function layout(ops: Float64Array): Uint8Array {
  const v = new Float64Array(N * 6);
  for (let i = 0; i < N; i++) for (let l = 0; l < 2; l++) for (let k = 0; k < 3; k++) v[6 * i + 2 * k + l] = ops[3 * (2 * i + l) + k];
  return new Uint8Array(v.buffer);
}

function run(threshold: number, input: Uint8Array, fpcr: number, fpsr: number) {
  const cpu = new Cpu({ module: coreModule(), ramSize: 4 << 20, jitThreshold: threshold });
  cpu.writePhys(CODE, assemble(SOURCE));
  cpu.writePhys(IN, input);
  cpu.setSysreg(0xc082, 3n << 20n); // CPACR_EL1.FPEN
  cpu.setX(26, IN);
  cpu.setX(27, OUT);
  cpu.fpcr = fpcr;
  cpu.fpsr = fpsr;
  cpu.pc = CODE;
  assert.equal(cpu.run(10_000_000), ExitReason.Hvc);
  if (threshold) assert.equal(cpu.jitStats.errors, 0);
  return { out: Buffer.from(cpu.readPhys(OUT, N * PER)), fpsr: cpu.fpsr, fpcr: cpu.fpcr };
}

describe("JIT vector FP fast paths", () => {
  const cases: [string, number, number][] = [
    ["FPCR default, IXC set", 0, 0x10],
    ["FPCR default, FPSR clear", 0, 0],
    ["FPCR default, every flag set", 0, 0x9f],
    ["round towards zero", 3 << 22, 0x10],
    ["flush to zero", 1 << 24, 0x10],
    ["default NaN", 1 << 25, 0x10],
  ];
  for (const [name, fpcr, fpsr] of cases) {
    test(`${name}: every result and FPSR as the interpreter's`, () => {
      for (const seed of [1, 2]) {
        const input = layout(operands(seed * 7919 + fpcr + fpsr));
        const want = run(0, input, fpcr, fpsr);
        const got = run(1, input, fpcr, fpsr);
        assert.equal(got.fpsr.toString(16), want.fpsr.toString(16), "FPSR");
        assert.equal(got.fpcr, want.fpcr);
        if (!got.out.equals(want.out)) {
          const at = got.out.findIndex((x, i) => x !== want.out[i]);
          const i = Math.floor(at / PER);
          const slot = Math.floor((at % PER) / 16);
          const lane = (o: Buffer) => o.subarray(i * PER + slot * 16, i * PER + slot * 16 + 16).toString("hex");
          assert.fail(`iteration ${i}, result ${slot}: jit ${lane(got.out)}, interpreter ${lane(want.out)}`);
        }
      }
    });
  }
});
