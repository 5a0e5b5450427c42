// Loads and stores of general registers (src/cpu/decode/ldst.decode, ldst_reg.decode): every
// addressing mode, extension, writeback, prefetch, faults. Data at x28 = DATA_BASE (Device
// memory: the MMU is off), filled with pattern().
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSnippet } from "../support/snippet.ts";
import { DATA_BASE, ELR, ESR, ec, FAR, le, M64, mem, pattern, runTrap, sx } from "./ldst-util.ts";

const D = pattern();
const B = DATA_BASE;

test("unsigned offset loads: sizes, zero and sign extension", () => {
  const cpu = runSnippet(
    `
  ldrb w0, [x28, #5]
  ldrh w1, [x28, #6]
  ldr w2, [x28, #12]
  ldr x3, [x28, #16]
  ldrsb w4, [x28, #5]
  ldrsb x5, [x28, #5]
  ldrsh w6, [x28, #6]
  ldrsh x7, [x28, #6]
  ldrsw x8, [x28, #12]
  ldr x9, [x28, #32760]
  ldrb w10, [x28, #4095]
`,
    { data: D, x: { 2: M64, 0: M64 } },
  );
  // (data at 32760 is zero: only 512 bytes were written)
  assert.equal(cpu.x(0), le(D, 5, 1));
  assert.equal(cpu.x(1), le(D, 6, 2));
  assert.equal(cpu.x(2), le(D, 12, 4), "32-bit loads zero-extend");
  assert.equal(cpu.x(3), le(D, 16, 8));
  assert.equal(cpu.x(4), sx(le(D, 5, 1), 8) & 0xffffffffn);
  assert.equal(cpu.x(5), sx(le(D, 5, 1), 8));
  assert.equal(cpu.x(6), sx(le(D, 6, 2), 16) & 0xffffffffn);
  assert.equal(cpu.x(7), sx(le(D, 6, 2), 16));
  assert.equal(cpu.x(8), sx(le(D, 12, 4), 32));
  assert.equal(cpu.x(9), 0n);
  assert.equal(cpu.x(10), 0n);
});

test("sign extension of negative and positive values", () => {
  const data = new Uint8Array([0x80, 0x7f, 0x00, 0x80, 0xff, 0x7f, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0x7f]);
  const cpu = runSnippet(
    `
  ldrsb x0, [x28]
  ldrsb x1, [x28, #1]
  ldrsh x2, [x28, #2]
  ldrsh w3, [x28, #4]
  ldrsw x4, [x28, #8]
  ldrsw x5, [x28, #12]
`,
    { data },
  );
  assert.equal(cpu.x(0), 0xffffffffffffff80n);
  assert.equal(cpu.x(1), 0x7fn);
  assert.equal(cpu.x(2), 0xffffffffffff8000n);
  assert.equal(cpu.x(3), 0x7fffn);
  assert.equal(cpu.x(4), 0xffffffff80000000n);
  assert.equal(cpu.x(5), 0x7fffffffn);
});

test("stores of each size leave the neighbouring bytes alone", () => {
  const cpu = runSnippet(
    `
  movz x0, #0x1122, lsl #48
  movk x0, #0x3344, lsl #32
  movk x0, #0x5566, lsl #16
  movk x0, #0x7788
  strb w0, [x28, #1]
  strh w0, [x28, #4]
  str w0, [x28, #8]
  str x0, [x28, #16]
  add x1, x28, #64
  sturb w0, [x1, #-31]
  sturh w0, [x1, #-28]
  stur w0, [x1, #-24]
  stur x0, [x1, #-16]
`,
    { data: new Uint8Array(64).fill(0xee) },
  );
  const want = new Uint8Array(64).fill(0xee);
  const put = (off: number, n: number) => {
    for (let i = 0; i < n; i++) want[off + i] = Number((0x1122334455667788n >> BigInt(8 * i)) & 0xffn);
  };
  for (const [off, n] of [
    [1, 1],
    [4, 2],
    [8, 4],
    [16, 8],
    [33, 1],
    [36, 2],
    [40, 4],
    [48, 8],
  ])
    put(off, n);
  assert.deepEqual([...mem(cpu, 0, 64)], [...want]);
});

test("pre- and post-index write back after the access", () => {
  const cpu = runSnippet(
    `
  add x1, x28, #64
  ldr x0, [x1, #-16]!
  add x3, x28, #64
  ldr w2, [x3], #-8
  add x5, x28, #32
  ldrsh x4, [x5, #2]!
  add x7, x28, #32
  ldrsb w6, [x7], #255
  add x9, x28, #128
  str x0, [x9, #8]!
  add x11, x28, #160
  strh w0, [x11], #-256
  mov x13, sp
  stp x0, x2, [sp, #-16]!
  ldrb w12, [sp], #16
`,
    { data: D },
  );
  assert.equal(cpu.x(0), le(D, 48, 8));
  assert.equal(cpu.x(1), B + 48n);
  assert.equal(cpu.x(2), le(D, 64, 4));
  assert.equal(cpu.x(3), B + 56n);
  assert.equal(cpu.x(4), sx(le(D, 34, 2), 16));
  assert.equal(cpu.x(5), B + 34n);
  assert.equal(cpu.x(6), sx(le(D, 32, 1), 8) & 0xffffffffn);
  assert.equal(cpu.x(7), B + 32n + 255n);
  assert.equal(le(mem(cpu, 136, 8), 0, 8), le(D, 48, 8));
  assert.equal(cpu.x(9), B + 136n);
  assert.equal(le(mem(cpu, 160, 2), 0, 2), le(D, 48, 2));
  assert.equal(cpu.x(11), B + 160n - 256n);
  assert.equal(cpu.x(12), le(D, 48, 1));
  assert.equal(cpu.sp, cpu.x(13));
});

test("writeback onto the transfer register (CONSTRAINED UNPREDICTABLE, as QEMU)", () => {
  const cpu = runSnippet(
    `
  add x1, x28, #8
  .inst 0xf8408c21 // ldr x1, [x1, #8]!
  add x2, x28, #64
  .inst 0xf8008c42 // str x2, [x2, #8]!
  add x3, x28, #96
  .inst 0xb8404463 // ldr w3, [x3], #4
`,
    { data: D },
  );
  assert.equal(cpu.x(1), B + 16n, "a load leaves the written-back address");
  assert.equal(le(mem(cpu, 72, 8), 0, 8), B + 64n, "a store stores the original base");
  assert.equal(cpu.x(2), B + 72n);
  assert.equal(cpu.x(3), B + 100n);
});

test("unscaled offsets (LDUR*) reach -256..255 bytes", () => {
  const cpu = runSnippet(
    `
  add x1, x28, #256
  ldur x0, [x1, #-256]
  ldurb w2, [x1, #255]
  ldursb x3, [x1, #-255]
  ldurh w4, [x1, #-2]
  ldursh w5, [x1, #-2]
  ldur w6, [x1, #-4]
  ldursw x7, [x1, #-4]
  prfum pldl1keep, [x1, #-1]
`,
    { data: D },
  );
  assert.equal(cpu.x(0), le(D, 0, 8));
  assert.equal(cpu.x(2), le(D, 511, 1));
  assert.equal(cpu.x(3), sx(le(D, 1, 1), 8));
  assert.equal(cpu.x(4), le(D, 254, 2));
  assert.equal(cpu.x(5), sx(le(D, 254, 2), 16) & 0xffffffffn);
  assert.equal(cpu.x(6), le(D, 252, 4));
  assert.equal(cpu.x(7), sx(le(D, 252, 4), 32));
});

test("register offsets: LSL, UXTW, SXTW, SXTX, with and without scaling", () => {
  const cpu = runSnippet(
    `
  mov x1, #3
  movn x2, #0          // -1 as X, 0xffffffff as W
  movz x3, #0xffff, lsl #16
  movk x3, #0xfffe     // W3 = -2 as SXTW, 0xfffffffe as UXTW
  movz x4, #1, lsl #32 // UXTW/SXTW take only the low 32 bits: 0
  add x5, x28, #256
  ldr x10, [x28, x1, lsl #3]
  mov x6, #8
  movn w7, #7          // W7 = -8
  ldr x11, [x28, x6]
  ldr w12, [x5, w3, sxtw #2]
  ldr w13, [x5, w7, sxtw]
  ldr x14, [x5, x2, sxtx #3]
  ldrb w15, [x28, w4, uxtw]
  ldrh w16, [x28, x1, lsl #1]
  ldrsh x17, [x28, w1, uxtw #1]
  ldrsw x18, [x28, x1, lsl #2]
  ldrsb w19, [x5, x2]
  ldrb w20, [x28, x1, lsl #0]
  strb w1, [x28, #500]
  str w1, [x28, w1, uxtw #2]
  str x1, [x5, w3, sxtw #3]
  strh w1, [x28, x1, lsl #1]
  prfm pldl1keep, [x28, x2, lsl #3]
`,
    { data: D },
  );
  assert.equal(cpu.x(10), le(D, 24, 8));
  assert.equal(cpu.x(11), le(D, 8, 8));
  assert.equal(cpu.x(12), le(D, 256 - 8, 4));
  assert.equal(cpu.x(13), le(D, 256 - 8, 4));
  assert.equal(cpu.x(14), le(D, 248, 8));
  assert.equal(cpu.x(15), le(D, 0, 1));
  assert.equal(cpu.x(16), le(D, 6, 2));
  assert.equal(cpu.x(17), sx(le(D, 6, 2), 16));
  assert.equal(cpu.x(18), sx(le(D, 12, 4), 32));
  assert.equal(cpu.x(19), sx(le(D, 255, 1), 8) & 0xffffffffn);
  assert.equal(cpu.x(20), le(D, 3, 1));
  assert.equal(le(mem(cpu, 12, 4), 0, 4), 3n);
  assert.equal(le(mem(cpu, 240, 8), 0, 8), 3n);
  assert.equal(le(mem(cpu, 6, 2), 0, 2), 3n);
});

test("literal loads and PRFM literal", () => {
  const cpu = runSnippet(`
  ldr x0, lit
  ldr w1, lit + 4
  ldrsw x2, lit + 4
  ldr x3, back
  prfm pldl1keep, lit
  b 1f
  .balign 8
lit:
  .quad 0x8123456789abcdef
1:
  b 2f
back:
  .quad 0x0102030405060708
2:
`);
  assert.equal(cpu.x(0), 0x8123456789abcdefn);
  assert.equal(cpu.x(1), 0x81234567n);
  assert.equal(cpu.x(2), 0xffffffff81234567n);
  assert.equal(cpu.x(3), 0x0102030405060708n);
});

test("XZR as the transfer register: stores zero, loads are discarded", () => {
  const cpu = runSnippet(
    `
  str xzr, [x28]
  strb wzr, [x28, #9]
  ldr xzr, [x28, #16]
  ldp xzr, x1, [x28, #16]
`,
    { data: D },
  );
  assert.equal(le(mem(cpu, 0, 8), 0, 8), 0n);
  assert.equal(mem(cpu, 9, 1)[0], 0);
  assert.equal(mem(cpu, 8, 1)[0], D[8]);
  assert.equal(cpu.x(1), le(D, 24, 8));
});

test("a faulting load changes no register and does not write back", () => {
  for (const insn of [
    "ldr x0, [x1]",
    "ldr w0, [x1, #4]",
    "ldrsw x0, [x1]",
    "ldrb w0, [x1], #1",
    "ldrsh x0, [x1, #2]!",
    "ldur x0, [x1, #-8]",
    "ldtr x0, [x1]",
    "ldr x0, [x1, x2, lsl #3]",
    "ldp x0, x3, [x1]",
    "ldp x0, x3, [x1], #16",
    "ldpsw x0, x3, [x1, #-8]!",
  ]) {
    const { cpu, faulted } = runTrap(`  adr x26, 9f\n9:\n  ${insn}`, { x: { 0: 0x1234n, 1: 0x10000n, 2: 1n, 3: 0x5678n } });
    assert.ok(faulted, insn);
    assert.equal(cpu.sysreg(ELR), cpu.x(26), `${insn}: ELR is the load`);
    assert.equal(ec(cpu), 0x25, `${insn}: data abort from EL1`);
    assert.equal(cpu.sysreg(ESR) & 0x40n, 0n, `${insn}: WnR = 0`);
    assert.equal(cpu.x(0), 0x1234n, `${insn}: Rt unchanged`);
    assert.equal(cpu.x(3), 0x5678n, `${insn}: Rt2 unchanged`);
    assert.equal(cpu.x(1), 0x10000n, `${insn}: no writeback`);
  }
});

test("a faulting store reports WnR and does not write back", () => {
  for (const insn of ["str x0, [x1, #8]!", "strh w0, [x1], #2", "sttr w0, [x1]", "stp x0, x3, [x1, #16]!"]) {
    const { cpu, faulted } = runTrap(`  ${insn}`, { x: { 0: 0x1234n, 1: 0x10000n, 3: 0x5678n } });
    assert.ok(faulted, insn);
    assert.equal(ec(cpu), 0x25);
    assert.equal(cpu.sysreg(ESR) & 0x40n, 0x40n, `${insn}: WnR = 1`);
    assert.equal(cpu.x(1), 0x10000n, `${insn}: no writeback`);
  }
});

test("a load from MMIO that the host faults leaves the destination alone", () => {
  const { cpu, faulted } = runTrap("  ldr x0, [x1]\n  ldr x2, [x1]", { x: { 0: 7n, 1: 0x0900_0000n, 2: 9n } });
  assert.ok(faulted);
  assert.equal(cpu.x(0), 7n);
  assert.equal(cpu.x(2), 9n);
  assert.equal(cpu.sysreg(FAR), 0x0900_0000n);
  assert.equal(cpu.sysreg(ESR) & 0x3fn, 0x10n, "synchronous external abort");
});

test("misaligned accesses to Device memory take alignment faults", () => {
  for (const insn of ["ldur x0, [x28, #1]", "ldr w0, [x28, x1]", "sturh w0, [x28, #3]", "ldp x0, x3, [x28, #8]!", "ldr x0, [x2]"]) {
    const { cpu, faulted } = runTrap(`  ${insn}`, { x: { 0: 0x1234n, 1: 2n, 2: DATA_BASE + 4n, 3: 0x5678n } });
    if (insn.startsWith("ldp")) {
      assert.ok(!faulted, insn); // 8-aligned elements are fine
      continue;
    }
    assert.ok(faulted, insn);
    assert.equal(cpu.sysreg(ESR) & 0x3fn, 0x21n, `${insn}: alignment fault`);
    assert.equal(cpu.x(0), 0x1234n);
  }
});

test("SP alignment check with SCTLR_EL1.SA", () => {
  const body = (sa: boolean) => `
  mrs x9, sctlr_el1
  ${sa ? "orr x9, x9, #8" : "bic x9, x9, #8"}
  msr sctlr_el1, x9
  isb
  mov x10, sp
  add x10, x10, #8
  mov sp, x10
  ldr x0, [sp]
  mov x11, #1
`;
  const on = runTrap(body(true), { x: { 0: 0x1234n } });
  assert.ok(on.faulted);
  assert.equal(ec(on.cpu), 0x26);
  assert.equal(on.cpu.x(0), 0x1234n);
  assert.equal(on.cpu.x(11), 0n);
  const off = runTrap(body(false), { x: { 0: 0x1234n } });
  assert.ok(!off.faulted);
  assert.equal(off.cpu.x(11), 1n);
  // A misaligned general base register is no SP alignment fault.
  const gp = runTrap(`${body(true).replace("ldr x0, [sp]", "mov x12, sp\n  ldr x0, [x12]")}`, {});
  assert.ok(!gp.faulted);
  // PRFM does not check SP alignment, nor access memory.
  const prfm = runTrap(`${body(true).replace("ldr x0, [sp]", "prfm pldl1keep, [sp]\n  prfm pstl1keep, [x13, #8]")}`, {
    x: { 13: 0x10000n },
  });
  assert.ok(!prfm.faulted);
});

test("unallocated register-offset options are UNDEFINED (PRFM too)", () => {
  for (const word of [0xf8620820, 0xb8628820, 0x38621820, 0xf8a20835, 0x3c620820]) {
    const { cpu, faulted } = runTrap(`  .inst 0x${word.toString(16)}`, { x: { 0: 0x1234n } });
    assert.ok(faulted, word.toString(16));
    assert.equal(ec(cpu), 0, word.toString(16));
    assert.equal(cpu.x(0), 0x1234n);
  }
  // Unallocated size/opc combinations: LDRSW-sized opc=11, PRFM slot of pre/post/unprivileged.
  for (const word of [0xb9c00020, 0xf9c00020, 0xf8800c20, 0xf8800820, 0xb8c00c20]) {
    const { cpu, faulted } = runTrap(`  .inst 0x${word.toString(16)}`, {});
    assert.ok(faulted, word.toString(16));
    assert.equal(ec(cpu), 0, word.toString(16));
  }
});

test("unprivileged loads and stores with the MMU off behave as plain ones", () => {
  const cpu = runSnippet(
    `
  ldtr x0, [x28, #8]
  ldtrb w1, [x28, #3]
  ldtrsb x2, [x28, #3]
  ldtrh w3, [x28, #-0]
  ldtrsh w4, [x28, #2]
  ldtr w5, [x28, #4]
  ldtrsw x6, [x28, #4]
  sttr x0, [x28, #64]
  sttrb w0, [x28, #80]
  sttrh w0, [x28, #82]
  sttr w0, [x28, #84]
`,
    { data: D },
  );
  assert.equal(cpu.x(0), le(D, 8, 8));
  assert.equal(cpu.x(1), le(D, 3, 1));
  assert.equal(cpu.x(2), sx(le(D, 3, 1), 8));
  assert.equal(cpu.x(3), le(D, 0, 2));
  assert.equal(cpu.x(4), sx(le(D, 2, 2), 16) & 0xffffffffn);
  assert.equal(cpu.x(5), le(D, 4, 4));
  assert.equal(cpu.x(6), sx(le(D, 4, 4), 32));
  assert.equal(le(mem(cpu, 64, 8), 0, 8), le(D, 8, 8));
  assert.equal(le(mem(cpu, 80, 1), 0, 1), le(D, 8, 1));
  assert.equal(le(mem(cpu, 82, 2), 0, 2), le(D, 8, 2));
  assert.equal(le(mem(cpu, 84, 4), 0, 4), le(D, 8, 4));
});

test("at EL0 the SP alignment check follows SCTLR_EL1.SA0", () => {
  const el0 = (sa0: boolean, insn: string) => `
  mrs x9, sctlr_el1
  ${sa0 ? "orr x9, x9, #16" : "bic x9, x9, #16"}
  orr x9, x9, #8            // SA (EL1) on: must not matter at EL0
  msr sctlr_el1, x9
  add x9, x28, #0x108       // SP_EL0 misaligned by 8
  msr sp_el0, x9
  adr x9, 1f
  msr elr_el1, x9
  msr spsr_el1, xzr         // EL0t
  eret
1:
  ${insn}
  mov x11, #1
  svc #0
`;
  const on = runTrap(el0(true, "ldr x0, [sp]"), { data: D, x: { 0: 0x1234n } });
  assert.ok(on.fromEL0);
  assert.equal(ec(on.cpu), 0x26);
  assert.equal(on.cpu.x(0), 0x1234n);
  const off = runTrap(el0(false, "ldr x0, [sp]\n  ldtr x1, [sp, #8]"), { data: D, x: { 0: 0x1234n } });
  assert.ok(off.fromEL0);
  assert.equal(ec(off.cpu), 0x15, "reached the SVC");
  assert.equal(off.cpu.x(0), le(D, 0x108, 8));
  assert.equal(off.cpu.x(1), le(D, 0x110, 8));
});
