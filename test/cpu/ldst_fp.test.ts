// Loads and stores of SIMD&FP registers (src/cpu/decode/ldst_fp.decode): B/H/S/D/Q in every
// addressing mode, pairs, literals, the FP trap and UNDEFINED encodings.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSnippet } from "../support/snippet.ts";
import { DATA_BASE, ec, le, mem, pattern, runTrap } from "./ldst-util.ts";

const D = pattern();
const B = DATA_BASE;
const FILL = (1n << 128n) - 1n;
const allOnes: Record<number, bigint> = {};
for (let i = 0; i < 32; i++) allOnes[i] = FILL;

test("scalar loads of each size clear the rest of the register", () => {
  const cpu = runSnippet(
    `
  ldr b0, [x28, #3]
  ldr h1, [x28, #6]
  ldr s2, [x28, #12]
  ldr d3, [x28, #16]
  ldr q4, [x28, #32]
  ldr q5, [x28, #65520]
  ldur b6, [x28, #-0]
  add x1, x28, #64
  ldur h7, [x1, #-2]
  ldur s8, [x1, #-4]
  ldur d9, [x1, #-8]
  ldur q10, [x1, #-16]
`,
    { data: D, v: allOnes },
  );
  assert.equal(cpu.v(0), le(D, 3, 1));
  assert.equal(cpu.v(1), le(D, 6, 2));
  assert.equal(cpu.v(2), le(D, 12, 4));
  assert.equal(cpu.v(3), le(D, 16, 8));
  assert.equal(cpu.v(4), le(D, 32, 16));
  assert.equal(cpu.v(5), 0n);
  assert.equal(cpu.v(6), le(D, 0, 1));
  assert.equal(cpu.v(7), le(D, 62, 2));
  assert.equal(cpu.v(8), le(D, 60, 4));
  assert.equal(cpu.v(9), le(D, 56, 8));
  assert.equal(cpu.v(10), le(D, 48, 16));
});

test("scalar stores of each size, pre/post-index and register offsets", () => {
  const q = 0x0f0e0d0c0b0a09080706050403020100n;
  const cpu = runSnippet(
    `
  add x1, x28, #64
  str b0, [x1, #1]!
  add x2, x28, #80
  str h0, [x2], #-2
  str s0, [x28, #96]
  str d0, [x28, #104]
  str q0, [x28, #112]
  stur q0, [x28, #128]
  mov x3, #9
  str q0, [x28, x3, lsl #4]
  movn w4, #0
  add x5, x28, #176
  str d0, [x5, w4, sxtw #3]
  mov x8, #10
  str h0, [x28, x8]
  add x6, x28, #192
  ldr q1, [x6, #-16]!
  add x7, x28, #16
  ldr s2, [x7], #4
  ldr d3, [x28, x3, lsl #3]
  ldr h4, [x5, w4, sxtw #1]
  ldr b5, [x28, w3, uxtw]
  ldr q6, [x28, w3, uxtw #4]
`,
    { data: new Uint8Array(256).fill(0xee), v: { 0: q, 1: FILL, 2: FILL, 3: FILL, 4: FILL, 5: FILL } },
  );
  const m = mem(cpu, 0, 256);
  const bytes = (v: bigint, n: number) => Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
  assert.equal(cpu.x(1), B + 65n);
  assert.deepEqual([...m.subarray(64, 67)], [0xee, 0, 0xee]);
  assert.equal(cpu.x(2), B + 78n);
  assert.deepEqual([...m.subarray(80, 82)], [0, 1]);
  assert.deepEqual([...m.subarray(96, 100)], bytes(q, 4));
  assert.deepEqual([...m.subarray(104, 112)], bytes(q, 8));
  assert.deepEqual([...m.subarray(112, 128)], bytes(q, 16));
  assert.deepEqual([...m.subarray(128, 144)], bytes(q, 16));
  assert.deepEqual([...m.subarray(144, 160)], bytes(q, 16));
  assert.deepEqual([...m.subarray(168, 176)], bytes(q, 8));
  assert.equal(cpu.x(6), B + 176n);
  assert.equal(cpu.v(1), le(m, 176, 16));
  assert.equal(cpu.x(7), B + 20n);
  assert.equal(cpu.v(2), 0xeeeeeeeen);
  assert.equal(cpu.v(3), le(m, 72, 8));
  assert.equal(cpu.v(4), le(m, 174, 2));
  assert.deepEqual([...m.subarray(9, 13)], [0xee, 0, 1, 0xee]);
  assert.equal(cpu.v(5), 0xeen);
  assert.equal(cpu.v(6), le(m, 144, 16));
});

test("pairs of S, D and Q registers, offset, pre/post-index, non-temporal", () => {
  const cpu = runSnippet(
    `
  ldp s0, s1, [x28, #8]
  ldp d2, d3, [x28, #-0]
  ldp q4, q5, [x28, #32]
  add x1, x28, #128
  ldp q6, q7, [x1, #-64]!
  add x2, x28, #128
  ldp d8, d9, [x2], #-16
  ldnp q10, q11, [x28, #64]
  ldnp s12, s13, [x28, #4]
  stp q4, q5, [x28, #256]
  add x3, x28, #320
  stp d2, d3, [x3, #16]!
  add x4, x28, #384
  stp s0, s1, [x4], #8
  stnp q6, q7, [x28, #416]
  stnp d8, d9, [x28, #448]
`,
    { data: D, v: allOnes },
  );
  assert.equal(cpu.v(0), le(D, 8, 4));
  assert.equal(cpu.v(1), le(D, 12, 4));
  assert.equal(cpu.v(2), le(D, 0, 8));
  assert.equal(cpu.v(3), le(D, 8, 8));
  assert.equal(cpu.v(4), le(D, 32, 16));
  assert.equal(cpu.v(5), le(D, 48, 16));
  assert.equal(cpu.v(6), le(D, 64, 16));
  assert.equal(cpu.v(7), le(D, 80, 16));
  assert.equal(cpu.x(1), B + 64n);
  assert.equal(cpu.v(8), le(D, 128, 8));
  assert.equal(cpu.v(9), le(D, 136, 8));
  assert.equal(cpu.x(2), B + 112n);
  assert.equal(cpu.v(10), le(D, 64, 16));
  assert.equal(cpu.v(11), le(D, 80, 16));
  assert.equal(cpu.v(12), le(D, 4, 4));
  assert.equal(cpu.v(13), le(D, 8, 4));
  const m = mem(cpu, 0, 512);
  assert.deepEqual([...m.subarray(256, 288)], [...D.subarray(32, 64)]);
  assert.equal(cpu.x(3), B + 336n);
  assert.deepEqual([...m.subarray(336, 352)], [...D.subarray(0, 16)]);
  assert.equal(cpu.x(4), B + 392n);
  assert.deepEqual([...m.subarray(384, 392)], [...D.subarray(8, 16)]);
  assert.deepEqual([...m.subarray(416, 448)], [...D.subarray(64, 96)]);
  assert.deepEqual([...m.subarray(448, 464)], [...D.subarray(128, 144)]);
});

test("LDP of SIMD&FP registers with Rt == Rt2 keeps the second element (as QEMU)", () => {
  const cpu = runSnippet("  .inst 0xad400380 // ldp q0, q0, [x28]\n  .inst 0x6d400781 // ldp d1, d1, [x28]", { data: D });
  assert.equal(cpu.v(0), le(D, 16, 16));
  assert.equal(cpu.v(1), le(D, 8, 8));
});

test("SIMD&FP literal loads", () => {
  const cpu = runSnippet(
    `
  ldr s0, lit
  ldr d1, lit
  ldr q2, lit
  b 1f
  .balign 16
lit:
  .quad 0x0706050403020100, 0x0f0e0d0c0b0a0908
1:
`,
    { v: allOnes },
  );
  assert.equal(cpu.v(0), 0x03020100n);
  assert.equal(cpu.v(1), 0x0706050403020100n);
  assert.equal(cpu.v(2), 0x0f0e0d0c0b0a09080706050403020100n);
});

test("a faulting SIMD&FP load changes no register and does not write back", () => {
  const end = 0x4000_0000n + (4n << 20n);
  for (const [insn, base] of [
    ["ldr q0, [x1]", end - 8n],
    ["ldr q0, [x1], #16", end - 8n],
    ["ldp q0, q1, [x1, #-16]!", end + 16n - 16n],
    ["ldp d0, d1, [x1]", end - 8n],
    ["ldp s0, s1, [x1], #8", end - 4n],
    ["ldr h0, [x1, x2]", 0x10000n],
  ] as const) {
    const { cpu, faulted } = runTrap(`  ${insn}`, { x: { 1: base, 2: 2n }, v: { 0: 0x1111n, 1: 0x2222n } });
    assert.ok(faulted, insn);
    assert.equal(ec(cpu), 0x25, insn);
    assert.equal(cpu.v(0), 0x1111n, insn);
    assert.equal(cpu.v(1), 0x2222n, insn);
    assert.equal(cpu.x(1), base, insn);
  }
});

test("SIMD&FP loads and stores trap when CPACR_EL1.FPEN disables FP", () => {
  for (const insn of ["ldr q0, [x28]", "str d0, [x28]", "ldp s0, s1, [x28]", "ldr q0, .", "ldur b0, [x28, #1]", "ldr h0, [x28, x2]"]) {
    const { cpu, faulted } = runTrap(`  msr cpacr_el1, xzr\n  isb\n  ${insn}`, { v: { 0: 5n } });
    assert.ok(faulted, insn);
    assert.equal(ec(cpu), 0x07, insn);
    assert.equal(cpu.v(0), 5n, insn);
  }
});

test("unallocated SIMD&FP load/store encodings are UNDEFINED", () => {
  for (const word of [
    0x7dc00380, // size 01, opc 11 (unsigned offset)
    0xbd800380, // size 10, opc 10
    0xfdc00380, // size 11, opc 11
    0x3c400b80, // unprivileged form with V = 1
    0x3c620b80, // register offset, option 000
    0xdc000000, // LDR literal, opc 11
    0xed400380, // LDP, opc 11
    0xec400380, // LDNP, opc 11
  ]) {
    const { cpu, faulted } = runTrap(`  .inst 0x${word.toString(16)}`, { v: { 0: 5n } });
    assert.ok(faulted, word.toString(16));
    assert.equal(ec(cpu), 0, word.toString(16));
    assert.equal(cpu.v(0), 5n);
  }
});
