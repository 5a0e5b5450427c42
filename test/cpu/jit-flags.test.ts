// The JIT's conditions evaluated from the last flag-setting operation itself (src/cpu/jit/flags.ts
// fusedCond: no NZCV computed), against the interpreter: every condition and the carry that ADC,
// ADCS, SBC and SBCS take, after ADDS, CMN, SUBS, CMP, ANDS and TST of both widths, on operands at
// the edges where carry, overflow, sign and zero change.
import assert from "node:assert/strict";
import { test } from "node:test";
import { both } from "../support/jit-tiers.ts";

const VALUES = [
  0n,
  1n,
  0x7fff_ffffn,
  0x8000_0000n,
  0xffff_ffffn,
  0x1_0000_0000n,
  0x7fff_ffff_ffff_ffffn,
  0x8000_0000_0000_0000n,
  0xffff_ffff_ffff_ffffn,
];
const CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le"];
const SETTERS = ["adds x3, x1, x2", "adds w3, w1, w2", "cmn x1, x2", "subs x3, x1, x2", "cmp w1, w2", "ands x3, x1, x2", "tst w1, w2"];

test("conditions and carries from the last ADDS, SUBS or ANDS: compiled as interpreted", () => {
  // One program per setter and first operand: each second operand's 21 results stored to DATA (x28).
  for (const setter of SETTERS)
    for (const a of VALUES) {
      const lines = [`ldr x1, =${a}`];
      VALUES.forEach((b, k) => {
        lines.push(`ldr x2, =${b}`, setter, ...CONDS.map((c, i) => `cset x${4 + i}, ${c}`));
        lines.push(setter, "adc x18, x1, x2", setter, "adc w19, w2, w1", setter, "sbc x20, x1, x2");
        lines.push(setter, "adcs x21, x2, x1", "cset x22, cs", setter, "sbcs w23, w1, w2", "cset x24, hi");
        for (let r = 4; r <= 24; r += 1) lines.push(`str x${r}, [x28, #${(k * 21 + r - 4) * 8}]`);
      });
      const { interp, jit } = both([...lines, "hvc #0", ".ltorg"].join("\n"));
      assert.deepEqual(jit, interp, `${setter} with x1 = ${a}`);
    }
});

test("CCMP and CCMN, both widths, register and immediate forms, every immediate NZCV: compiled as interpreted", () => {
  const pairs = [
    [5n, 5n],
    [0x8000_0000n, 0xffff_fffbn],
    [0xffff_ffff_ffff_fffbn, 0x7fff_ffff_ffff_ffffn],
  ];
  for (const op of ["ccmp", "ccmn"])
    for (const r of ["x", "w"])
      for (const imm of [false, true])
        for (const [a, b] of pairs)
          for (const conds of [
            ["eq", "ne"],
            ["cs", "lt"],
            ["hi", "gt"],
          ]) {
            const lines = [`ldr x1, =${a}`, `ldr x2, =${b}`];
            let slot = 0;
            for (const cond of conds)
              for (let nzcv = 0; nzcv < 16; nzcv++) {
                // The condition on the flags of a CMP of the same operands; NZCV read back whole, and three conditions.
                lines.push(`cmp ${r}1, ${r}2`, `${op} ${r}1, ${imm ? "#5" : `${r}2`}, #${nzcv}, ${cond}`, "mrs x3, nzcv");
                lines.push("cset x4, cs", "cset x5, lt", "cset x6, hi");
                for (let k = 3; k <= 6; k++) lines.push(`str x${k}, [x28, #${slot++ * 8}]`);
              }
            const { interp, jit } = both([...lines, "hvc #0", ".ltorg"].join("\n"));
            assert.deepEqual(jit, interp, `${op} ${r} ${imm ? "imm" : "reg"} ${a}, ${b}, ${conds}`);
          }
});
