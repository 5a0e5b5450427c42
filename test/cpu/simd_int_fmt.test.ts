// The vector operand formatters of src/cpu/disasm/fmt-simd.ts, on operands as objdump prints them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { arrangement, esz, insIndex, insSize, modImm, vec, velem, vlist, vsca } from "../../src/cpu/disasm/fmt-simd.ts";

test("fmt-simd: vectors, elements, scalars and register lists", () => {
  assert.equal(arrangement(0, 0), "8b");
  assert.equal(arrangement(3, 0), "1d");
  assert.equal(arrangement(3, 1), "2d");
  assert.equal(vec(3, 2, 1), "v3.4s");
  assert.equal(velem(3, 2, 1), "v3.s[1]");
  assert.equal(vsca(0, 7), "b7");
  assert.equal(vsca(4, 31), "q31");
  assert.equal(esz(1), "h");
  assert.equal(vlist(1, 1, "16b"), "{v1.16b}");
  assert.equal(vlist(1, 2, "16b"), "{v1.16b, v2.16b}");
  assert.equal(vlist(3, 4, "16b"), "{v3.16b-v6.16b}");
  assert.equal(vlist(30, 4, "16b"), "{v30.16b, v31.16b, v0.16b, v1.16b}");
  assert.equal(vlist(0, 3, "1d"), "{v0.1d-v2.1d}");
  assert.equal(`${vlist(0, 3, "b")}[1]`, "{v0.b-v2.b}[1]");
});

test("fmt-simd: imm5 element size and index, modified immediates", () => {
  assert.deepEqual([insSize(0b00001), insIndex(0b11111)], [0, 15]);
  assert.deepEqual([insSize(0b01100), insIndex(0b01100)], [2, 1]);
  assert.deepEqual([insSize(0b11000), insIndex(0b11000)], [3, 1]);
  assert.equal(insSize(0b10000), 4);
  assert.equal(modImm(0, 2, 1, 0, 0, 0x12), "v0.4s, #0x12, lsl #8");
  assert.equal(modImm(0, 12, 1, 0, 0, 0x12), "v0.4s, #0x12, msl #8");
  assert.equal(modImm(0, 14, 0, 0, 4, 0x12), "v0.8b, #0x92");
  assert.equal(modImm(1, 14, 0, 0, 5, 0x0a), "d0, #0xff00ff00ff00ff00");
  assert.equal(modImm(1, 14, 1, 0, 5, 0x0a), "v0.2d, #0xff00ff00ff00ff00");
});
