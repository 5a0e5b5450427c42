// Load/store pair, exclusives and acquire/release (src/cpu/decode/ldst_pair.decode,
// ldst_excl.decode). Data at x28 = DATA_BASE, filled with pattern().
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSnippet } from "../support/snippet.ts";
import { DATA_BASE, ESR, ec, le, mem, pattern, runTrap, sx } from "./ldst-util.ts";

const D = pattern();
const B = DATA_BASE;
const RAM_END = 0x4000_0000n + (4n << 20n);

/** Exclusives take no offset: rewrites "[x28, #N]" as "[x27]" after "add x27, x28, #N". */
function excl(src: string): string {
  return src
    .split("\n")
    .map((l) => {
      const m = /^(\s*)(\S+ .*)\[x28, #(\d+)\](.*)$/.exec(l);
      return m ? `${m[1]}add x27, x28, #${m[3]}\n${m[1]}${m[2]}[x27]${m[4]}` : l;
    })
    .join("\n");
}

test("LDP/STP/LDPSW/LDNP/STNP: offset, pre- and post-index", () => {
  const cpu = runSnippet(
    `
  ldp x0, x1, [x28, #16]
  ldp w2, w3, [x28, #-0]
  add x4, x28, #64
  ldp x5, x6, [x4, #-16]!
  add x7, x28, #64
  ldp w8, w9, [x7], #-64
  ldpsw x10, x11, [x28, #8]
  ldnp x12, x13, [x28, #32]
  ldnp w14, w15, [x28, #4]
  add x16, x28, #256
  stp x0, x1, [x16, #-512]!
  add x17, x28, #256
  stp w2, w3, [x17], #8
  stnp x5, x6, [x28, #272]
  stnp w8, w9, [x28, #200]
  stp x12, x13, [x28, #320]
`,
    { data: D },
  );
  // (the pre-index store to x28 - 256 writes below DATA_BASE, still RAM)
  assert.equal(cpu.x(0), le(D, 16, 8));
  assert.equal(cpu.x(1), le(D, 24, 8));
  assert.equal(cpu.x(2), le(D, 0, 4));
  assert.equal(cpu.x(3), le(D, 4, 4));
  assert.equal(cpu.x(5), le(D, 48, 8));
  assert.equal(cpu.x(6), le(D, 56, 8));
  assert.equal(cpu.x(4), B + 48n);
  assert.equal(cpu.x(8), le(D, 64, 4));
  assert.equal(cpu.x(9), le(D, 68, 4));
  assert.equal(cpu.x(7), B);
  assert.equal(cpu.x(10), sx(le(D, 8, 4), 32));
  assert.equal(cpu.x(11), sx(le(D, 12, 4), 32));
  assert.equal(cpu.x(12), le(D, 32, 8));
  assert.equal(cpu.x(13), le(D, 40, 8));
  assert.equal(cpu.x(14), le(D, 4, 4));
  assert.equal(cpu.x(15), le(D, 8, 4));
  assert.equal(cpu.x(16), B - 256n);
  assert.deepEqual([...cpu.readPhys(B - 256n, 16)], [...D.subarray(16, 32)]);
  assert.equal(cpu.x(17), B + 264n);
  assert.deepEqual([...mem(cpu, 256, 8)], [...D.subarray(0, 8)]);
  assert.deepEqual([...mem(cpu, 272, 16)], [...D.subarray(48, 64)]);
  assert.deepEqual([...mem(cpu, 200, 8)], [...D.subarray(64, 72)]);
  assert.deepEqual([...mem(cpu, 320, 16)], [...D.subarray(32, 48)]);
});

test("LDP CONSTRAINED UNPREDICTABLE cases behave as QEMU", () => {
  const cpu = runSnippet(
    `
  .inst 0xa9400780 // ldp x0, x1, [x28]  (control)
  .inst 0xa9400b82 // ldp x2, x2, [x28]
  .inst 0x69400f83 // ldpsw x3, x3, [x28]
  add x4, x28, #16
  .inst 0xa8c11484 // ldp x4, x5, [x4], #16
  add x7, x28, #32
  .inst 0xa9c11ce6 // ldp x6, x7, [x7, #16]!
  add x8, x28, #128
  .inst 0xa9812508 // stp x8, x9, [x8, #16]!
`,
    { data: D, x: { 9: 0x99n } },
  );
  assert.equal(cpu.x(2), le(D, 0, 8), "Rt == Rt2: the first element");
  assert.equal(cpu.x(3), sx(le(D, 0, 4), 32));
  assert.equal(cpu.x(4), B + 32n, "writeback wins over the loaded value");
  assert.equal(cpu.x(5), le(D, 24, 8));
  assert.equal(cpu.x(7), B + 48n);
  assert.equal(cpu.x(6), le(D, 48, 8));
  assert.equal(le(mem(cpu, 144, 8), 0, 8), B + 128n, "stores store the original base");
  assert.equal(cpu.x(8), B + 144n);
});

test("a pair load whose second element faults writes neither register", () => {
  for (const insn of ["ldp x0, x3, [x1]", "ldp w0, w3, [x1, #4]", "ldpsw x0, x3, [x1, #4]", "ldp x0, x3, [x1], #16"]) {
    const { cpu, faulted } = runTrap(`  ${insn}`, { x: { 0: 0x1234n, 1: RAM_END - 8n, 3: 0x5678n } });
    assert.ok(faulted, insn);
    assert.equal(ec(cpu), 0x25);
    assert.equal(cpu.x(0), 0x1234n, insn);
    assert.equal(cpu.x(3), 0x5678n, insn);
    assert.equal(cpu.x(1), RAM_END - 8n, insn);
  }
});

test("store-exclusive succeeds only on an armed monitor with unchanged memory", () => {
  const cpu = runSnippet(
    excl(`
  ldxr x0, [x28]
  add x1, x0, #1
  stxr w2, x1, [x28]          // 0: stored
  stxr w3, x1, [x28]          // 1: monitor cleared by the previous one
  stxr w4, x1, [x28, #8]      // 1: never armed
  ldxr x5, [x28, #16]
  str xzr, [x28, #16]
  stxr w6, x1, [x28, #16]     // 1: memory changed
  ldxr x7, [x28, #24]
  stxr w8, x1, [x28, #32]     // 1: other address
  ldxr w9, [x28, #40]
  stxr w10, x1, [x28, #40]    // 1: other size
  ldaxr w11, [x28, #48]
  stlxr w12, w1, [x28, #48]   // 0
  ldxrb w13, [x28, #57]
  stxrb w14, w1, [x28, #57]   // 0
  ldaxrh w15, [x28, #58]
  stlxrh w16, w1, [x28, #58]  // 0
  ldxr x17, [x28, #64]
  clrex
  stxr w18, x1, [x28, #64]    // 1: cleared
  ldxr x19, [x28, #72]
  str x19, [x28, #72]         // same value: still succeeds (value-based monitor)
  stxr w20, x1, [x28, #72]    // 0
  ldxr x21, [x28, #80]
  add x27, x28, #80
  .inst 0xc8157f75            // stxr w21, x21, [x27]: Rs == Rt
`),
    { data: D, x: { 3: 9n, 4: 9n, 6: 9n, 8: 9n, 10: 9n, 18: 9n } },
  );
  const v = le(D, 0, 8) + 1n;
  assert.equal(cpu.x(0), le(D, 0, 8));
  assert.equal(cpu.x(2), 0n);
  assert.equal(le(mem(cpu, 0, 8), 0, 8), v);
  assert.equal(cpu.x(3), 1n);
  assert.equal(cpu.x(4), 1n);
  assert.deepEqual([...mem(cpu, 8, 8)], [...D.subarray(8, 16)]);
  assert.equal(cpu.x(5), le(D, 16, 8));
  assert.equal(cpu.x(6), 1n);
  assert.equal(le(mem(cpu, 16, 8), 0, 8), 0n);
  assert.equal(cpu.x(8), 1n);
  assert.deepEqual([...mem(cpu, 32, 8)], [...D.subarray(32, 40)]);
  assert.equal(cpu.x(9), le(D, 40, 4));
  assert.equal(cpu.x(10), 1n);
  assert.equal(cpu.x(11), le(D, 48, 4));
  assert.equal(cpu.x(12), 0n);
  assert.equal(le(mem(cpu, 48, 8), 0, 8), (v & 0xffffffffn) | (le(D, 52, 4) << 32n));
  assert.equal(cpu.x(13), le(D, 57, 1));
  assert.equal(cpu.x(14), 0n);
  assert.equal(mem(cpu, 57, 1)[0], Number(v & 0xffn));
  assert.equal(cpu.x(15), le(D, 58, 2));
  assert.equal(cpu.x(16), 0n);
  assert.equal(le(mem(cpu, 58, 2), 0, 2), v & 0xffffn);
  assert.equal(cpu.x(18), 1n);
  assert.equal(cpu.x(20), 0n);
  assert.equal(le(mem(cpu, 72, 8), 0, 8), v);
  assert.equal(cpu.x(21), 0n, "Rs == Rt: the status");
  assert.equal(le(mem(cpu, 80, 8), 0, 8), le(D, 80, 8), "Rs == Rt: the original value is stored");
});

test("exclusive pairs: LDXP/STXP and LDAXP/STLXP, W and X", () => {
  const cpu = runSnippet(
    excl(`
  ldxp x0, x1, [x28, #16]
  stxp w2, x1, x0, [x28, #16]     // 0: swapped halves
  ldaxp w3, w4, [x28, #32]
  stlxp w5, w4, w3, [x28, #32]    // 0
  ldxp x6, x7, [x28, #48]
  str xzr, [x28, #56]
  stxp w8, x6, x7, [x28, #48]     // 1: second half changed
  ldxp w9, w10, [x28, #64]
  stxr w11, x9, [x28, #64]        // 0: same address and size (8 bytes)
  ldxp x12, x13, [x28, #80]
  stxr w14, x12, [x28, #80]       // 1: a 16-byte monitor
`),
    { data: D, x: { 8: 9n, 14: 9n } },
  );
  assert.equal(cpu.x(0), le(D, 16, 8));
  assert.equal(cpu.x(1), le(D, 24, 8));
  assert.equal(cpu.x(2), 0n);
  assert.deepEqual([...mem(cpu, 16, 16)], [...D.subarray(24, 32), ...D.subarray(16, 24)]);
  assert.equal(cpu.x(3), le(D, 32, 4));
  assert.equal(cpu.x(4), le(D, 36, 4));
  assert.equal(cpu.x(5), 0n);
  assert.deepEqual([...mem(cpu, 32, 8)], [...D.subarray(36, 40), ...D.subarray(32, 36)]);
  assert.equal(cpu.x(8), 1n);
  assert.deepEqual([...mem(cpu, 48, 8)], [...D.subarray(48, 56)]);
  assert.equal(cpu.x(11), 0n);
  assert.equal(le(mem(cpu, 64, 8), 0, 8), le(D, 64, 4));
  assert.equal(cpu.x(14), 1n);
});

test("exclusives need natural alignment (pairs: the pair's size)", () => {
  for (const insn of [
    "ldxp x0, x3, [x1]",
    "stxp w0, x0, x3, [x1]",
    "ldxr x0, [x2]",
    "stxr w0, x0, [x2]",
    "ldaxrh w0, [x4]",
    "ldar x0, [x2]",
    "stlr w0, [x4]",
  ]) {
    const { cpu, faulted } = runTrap(`  ${insn}`, { x: { 0: 0x1234n, 1: B + 8n, 2: B + 4n, 3: 0x5678n, 4: B + 1n } });
    assert.ok(faulted, insn);
    assert.equal(cpu.sysreg(ESR) & 0x3fn, 0x21n, `${insn}: alignment fault`);
    assert.equal(cpu.x(0), 0x1234n, insn);
    assert.equal(cpu.x(3), 0x5678n, insn);
  }
});

test("a faulting load-exclusive writes nothing and arms nothing", () => {
  const { cpu, faulted } = runTrap("  ldxr x0, [x1]", { x: { 0: 0x1234n, 1: 0x10000n } });
  assert.ok(faulted);
  assert.equal(cpu.x(0), 0x1234n);
});

test("load-acquire / store-release of each size", () => {
  const cpu = runSnippet(
    `
  ldarb w0, [x28]
  add x9, x28, #2
  ldarh w1, [x9]
  add x9, x28, #4
  ldar w2, [x9]
  add x9, x28, #8
  ldar x3, [x9]
  mov x10, sp
  mov sp, x28
  ldar x4, [sp]
  mov sp, x10
  add x9, x28, #64
  stlrb w3, [x9]
  add x9, x28, #66
  stlrh w3, [x9]
  add x9, x28, #68
  stlr w3, [x9]
  add x9, x28, #72
  stlr x3, [x9]
`,
    { data: D, x: { 0: 0xffffffffffffffffn } },
  );
  assert.equal(cpu.x(0), le(D, 0, 1));
  assert.equal(cpu.x(1), le(D, 2, 2));
  assert.equal(cpu.x(2), le(D, 4, 4));
  assert.equal(cpu.x(3), le(D, 8, 8));
  assert.equal(cpu.x(4), le(D, 0, 8));
  assert.deepEqual([...mem(cpu, 64, 16)], [D[8], D[65], D[8], D[9], D[8], D[9], D[10], D[11], ...D.subarray(8, 16)]);
});

test("v8.1 CAS/LDLAR/STLLR and CASP encodings are UNDEFINED", () => {
  for (const word of [0x88df7c20, 0x889f7c20, 0xc8a07c20, 0x48207c40]) {
    const { cpu, faulted } = runTrap(`  .inst 0x${word.toString(16)}`, { x: { 0: 0x1234n, 1: B } });
    assert.ok(faulted, word.toString(16));
    assert.equal(ec(cpu), 0, word.toString(16));
    assert.equal(cpu.x(0), 0x1234n);
  }
});
