// Loads and stores with the MMU on (Normal memory): unprivileged accesses use EL0
// permissions, misaligned accesses work except where the architecture demands alignment.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DATA_BASE, ESR, FAR, le, MMU_ON, mmuData, pattern, runTrap } from "./ldst-util.ts";

const D = pattern();

test("LDTR/STTR at EL1 use EL0 permissions", () => {
  const ok = runTrap(
    `${MMU_ON}
  ldr x0, [x28, #8]             // EL1-only page: fine for LDR
  movz x1, #0x8010, lsl #16     // the EL0 alias of DATA_BASE
  ldtr x2, [x1, #8]
  sttr x2, [x1, #64]
  ldtrsh w3, [x1, #2]
`,
    { data: mmuData(D) },
  );
  assert.ok(!ok.faulted);
  assert.equal(ok.cpu.x(0), le(D, 8, 8));
  assert.equal(ok.cpu.x(2), le(D, 8, 8));
  assert.equal(le(ok.cpu.readPhys(DATA_BASE + 64n, 8), 0, 8), le(D, 8, 8));
  for (const insn of ["ldtr x0, [x28, #8]", "ldtrb w0, [x28]", "sttr x0, [x28]", "sttrh w0, [x28, #2]"]) {
    const { cpu, faulted } = runTrap(`${MMU_ON}\n  ${insn}`, { data: mmuData(D), x: { 0: 0x1234n } });
    assert.ok(faulted, insn);
    assert.equal(Number(cpu.sysreg(ESR) >> 26n), 0x25, insn);
    assert.equal(cpu.sysreg(ESR) & 0x3cn, 0x0cn, `${insn}: permission fault`);
    assert.equal(cpu.sysreg(FAR) & ~0xfn, DATA_BASE, insn);
    assert.equal(cpu.x(0), 0x1234n, insn);
  }
});

test("misaligned and page-crossing accesses to Normal memory", () => {
  const { cpu, faulted } = runTrap(
    `${MMU_ON}
  ldur x0, [x28, #1]
  ldur w1, [x28, #3]
  ldr x2, [x28, x3]
  add x4, x28, #0x1000
  ldur x5, [x4, #-3]            // crosses a page
  stur x0, [x4, #-5]
  ldur x6, [x4, #-5]
  ldp x7, x8, [x30]
  ldr q9, [x28, #0x10]
  ldur q10, [x28, #0x21]
  ld1 {v11.4s}, [x29]
`,
    { data: mmuData(D), x: { 3: 5n, 29: DATA_BASE + 7n, 30: DATA_BASE + 4n } },
  );
  assert.ok(!faulted);
  assert.equal(cpu.x(0), le(D, 1, 8));
  assert.equal(cpu.x(1), le(D, 3, 4));
  assert.equal(cpu.x(2), le(D, 5, 8));
  assert.equal(cpu.x(5), 0n);
  assert.equal(cpu.x(6), le(D, 1, 8));
  assert.equal(cpu.x(7), le(D, 4, 8));
  assert.equal(cpu.x(8), le(D, 12, 8));
  assert.equal(cpu.v(9), le(D, 16, 16));
  assert.equal(cpu.v(10), le(D, 0x21, 16));
  assert.equal(cpu.v(11), le(D, 7, 16));
});

test("exclusives and acquire/release need alignment even on Normal memory", () => {
  for (const insn of ["ldxr x0, [x1]", "ldaxr w0, [x2]", "stxr w0, x5, [x2]", "ldar x0, [x1]", "stlrh w0, [x3]", "ldxp x0, x5, [x4]"]) {
    const { cpu, faulted } = runTrap(`${MMU_ON}\n  ${insn}`, {
      data: mmuData(D),
      x: { 0: 0x1234n, 1: DATA_BASE + 4n, 2: DATA_BASE + 2n, 3: DATA_BASE + 1n, 4: DATA_BASE + 8n },
    });
    assert.ok(faulted, insn);
    assert.equal(cpu.sysreg(ESR) & 0x3fn, 0x21n, `${insn}: alignment fault`);
    assert.equal(cpu.x(0), 0x1234n, insn);
  }
});

test("LD1/ST1 of whole registers on Normal memory (TLB fast path)", () => {
  const { cpu, faulted } = runTrap(
    `${MMU_ON}
  ldr x0, [x28]                     // fills the TLB entry
  str x0, [x28, #0x200]
  ld1 {v0.16b, v1.16b}, [x28]
  mov x3, x28
  ld1 {v2.8b, v3.8b, v4.8b}, [x3], #24
  ld1 {v5.8h, v6.8h, v7.8h, v8.8h}, [x3], x1
  add x2, x28, #0x200
  st1 {v0.4s, v1.4s}, [x2], #32
  st1 {v2.8b, v3.8b, v4.8b}, [x2]
`,
    { data: mmuData(D), x: { 1: 8n } },
  );
  assert.ok(!faulted);
  assert.equal(cpu.v(0), le(D, 0, 16));
  assert.equal(cpu.v(1), le(D, 16, 16));
  assert.equal(cpu.v(2), le(D, 0, 8));
  assert.equal(cpu.v(3), le(D, 8, 8));
  assert.equal(cpu.v(4), le(D, 16, 8));
  for (let i = 0; i < 4; i++) assert.equal(cpu.v(5 + i), le(D, 24 + 16 * i, 16));
  assert.equal(cpu.x(3), DATA_BASE + 32n);
  const m = cpu.readPhys(DATA_BASE + 0x200n, 56);
  assert.deepEqual([...m], [...D.subarray(0, 32), ...D.subarray(0, 24)]);
});
