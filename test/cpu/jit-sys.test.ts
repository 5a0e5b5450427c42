// The JIT's inline system instructions and exclusives (src/cpu/jit/emit-sys.ts) against the
// interpreter: every block compiled before its first execution, then the same code interpreted,
// must leave the same state — exclusives that succeed and fail, DC ZVA, MRS/MSR of the
// registers compiled inline, their EL0 traps, and an interrupt taken right after a DAIF clear.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { boot, both, CODE, state, VBAR } from "../support/jit-tiers.ts";

/** Vector offsets: current EL with SPx, synchronous and IRQ; lower EL (AArch64), synchronous. */
const SYNC_SPX = 0x200n;
const IRQ_SPX = 0x280n;
const SYNC_LOWER = 0x400n;

/**
 * The state after `source` ran to its HVC with an IRQ line up from the start: interpreted, then
 * with every block compiled (some were).
 */
function withIrqUp(source: string): [ReturnType<typeof state>, ReturnType<typeof state>] {
  const [interp, jit] = [0, 1].map((th) => {
    const cpu = boot(th, source);
    cpu.setIrqLines(1);
    assert.equal(cpu.run(1000), ExitReason.Hvc);
    if (th) assert.ok(cpu.jitStats.compiled > 0, "blocks were compiled");
    return state(cpu);
  });
  return [interp, jit];
}

describe("JIT system instructions and exclusives", () => {
  test("exclusives succeed in a compiled loop and fail unarmed, after CLREX, for another address or size, or a changed value", () => {
    const { interp, jit } = both(
      `
      add x27, x28, #64
      mov x1, #300
      mov x2, #0
    1:
      ldaxr x3, [x28]
      add x3, x3, #3
      stlxr w4, x3, [x28]
      add x2, x2, x4
      ldxrb w5, [x27]
      add w5, w5, #1
      stxrb w6, w5, [x27]
      add x2, x2, x6
      ldaxrh w5, [sp]
      add w5, w5, #5
      stlxrh w6, w5, [sp]
      add x2, x2, x6
      ldxr w5, [x27]
      stlr w5, [x28, #0]
      ldar x20, [x28]
      add x21, x21, x20
      ldar x20, [sp]
      add x21, x21, x20, lsl #8
      stxr w6, w5, [x27]
      add x2, x2, x6
      subs x1, x1, #1
      b.ne 1b
      stxr w7, x1, [x28]
      ldxr x3, [x28]
      clrex
      stxr w8, x1, [x28]
      ldxr x3, [x28]
      stxr w9, x1, [x27]
      ldxr w3, [x28]
      stxr w10, x1, [x28]
      ldxr x3, [x28]
      mov x12, #77
      str x12, [x28]
      stxr w11, x12, [x28]
      ldxr x3, [x28]
      str x3, [x28]
      stxr w12, x3, [x28]
      ldxr x3, [x28]
      stxr w13, x3, [x28]
      stxr w14, x3, [x28]
      ldxr x3, [x28]
      stxr w15, x3, [x27]
      stxr w16, x3, [x28]
      hvc #0
    `,
      undefined,
      true,
    );
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[2], 0n, "every store-exclusive of the loop succeeded");
    assert.deepEqual(jit.x.slice(7, 12), [1n, 1n, 1n, 1n, 1n], "unarmed, cleared, other address, other size, changed value: failed");
    assert.equal(jit.x[12], 0n, "the same value written back: the value-based monitor still passes");
    assert.deepEqual(jit.x.slice(13, 17), [0n, 1n, 1n, 1n], "a store-exclusive clears the monitor, failing or not");
  });

  for (const [what, insn] of [
    ["LDXR", "ldxr x3, [x26]"],
    ["STXR (unarmed)", "stxr w3, x1, [x26]"],
    ["LDAR", "ldar x3, [x26]"],
    ["STLR", "stlr x3, [x26]"],
  ]) {
    test(`a misaligned ${what} in a compiled block takes the alignment fault the interpreter takes`, () => {
      const { interp, jit } = both(
        `
        add x26, x28, #4
        mov x1, #1
        ${insn}
        mov x1, #2
        hvc #30
      `,
        undefined,
        true,
      );
      assert.deepEqual(jit, interp);
      assert.equal(jit.pc, VBAR + SYNC_SPX + 4n, "the synchronous exception vector ran");
      assert.equal(jit.esr & 0x3fn, 0x21n, "DFSC: alignment fault");
      assert.equal(jit.x[1], 1n);
    });
  }

  test("compiled DC ZVA zeroes 64-byte blocks of data and of a code page; cache cleans do nothing", () => {
    const { interp, jit } = both(
      `
      mov x1, #-1
      mov x3, #64
    1:
      subs x3, x3, #1
      str x1, [x28, x3, lsl #3]
      b.ne 1b
      mrs x4, dczid_el0
      mov x3, #4
      add x5, x28, #13
    2:
      dc zva, x5
      dc cvau, x5
      dc civac, x5
      dc cvac, x5
      add x5, x5, #128
      subs x3, x3, #1
      b.ne 2b
      adr x6, pad
      dc zva, x6
      ldr x7, [x6, #8]
      hvc #0
      .balign 64
    pad:
      .fill 16, 4, 0xd503201f
    `,
      undefined,
      true,
    );
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[4], 4n, "DCZID_EL0 at EL1: 64-byte blocks, DZP clear");
    assert.equal(jit.x[7], 0n, "the code page was zeroed");
    assert.equal(jit.data.slice(0, 128), "0".repeat(128));
    assert.equal(jit.data.slice(128, 256), "f".repeat(128));
  });

  test("compiled MRS and MSR of DAIF, TPIDR, TCR, SCTLR, VBAR, DCZID, CTR and others, with ISB, match the interpreter", () => {
    const { interp, jit } = both(
      `
      mov x1, #0x55
      msr tpidr_el1, x1
      mov x1, #0x66
      msr tpidr_el0, x1
      mov x9, #100
    1:
      mrs x2, tpidr_el1
      mrs x3, tcr_el1
      mrs x4, sctlr_el1
      mrs x5, daif
      msr daifset, #3
      mrs x6, daif
      msr daif, x5
      mrs x7, daif
      msr daifclr, #4
      mrs x8, daif
      mrs x10, dczid_el0
      mrs x11, tpidr_el0
      mrs x12, vbar_el1
      mrs x13, midr_el1
      mrs x15, ctr_el0
      mrs x16, mair_el1
      mrs x17, elr_el1
      msr elr_el1, x9
      msr spsr_el1, x14
      msr tpidrro_el0, x9
      msr sp_el0, x14
      mrs x18, elr_el1
      mrs x19, spsr_el1
      mrs x20, tpidrro_el0
      mrs x21, sp_el0
      isb
      add x14, x14, x2
      add x14, x14, x6
      subs x9, x9, #1
      b.ne 1b
      hvc #0
    `,
      undefined,
      true,
    );
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[2], 0x55n);
    assert.equal(jit.x[11], 0x66n);
    assert.equal(jit.x[12], VBAR);
    assert.equal(jit.x[15], 0x8444c004n, "CTR_EL0");
    assert.equal(jit.x[18], 1n, "ELR_EL1 written last with x9 = 1");
    assert.equal(jit.x[20], 1n, "TPIDRRO_EL0");
    assert.equal(jit.x[21], jit.x[14] - 0x55n - jit.x[6], "SP_EL0 (banked at EL1h)");
    assert.equal(jit.x[19], jit.x[21] & 0xf03f03dfn, "SPSR_EL1 masked");
    assert.equal(jit.x[6] & 0xc0n, 0xc0n, "DAIFSet #3 masked IRQ and FIQ");
  });

  for (const insn of [
    "mrs x5, daif",
    "msr daifset, #2",
    "msr daifclr, #2",
    "msr daif, x1",
    "dc zva, x28",
    "dc cvau, x28",
    "mrs x5, tpidr_el1",
    "mrs x5, sp_el0",
    "mrs x5, ctr_el0",
    "msr elr_el1, x6",
    "msr spsr_el1, x6",
    "msr tpidr_el1, x6",
    "msr tpidrro_el0, x6",
    "msr sp_el0, x6",
  ]) {
    test(`at EL0, compiled "${insn}" traps as interpreted (SCTLR_EL1 UMA, DZE, UCT, UCI clear)`, () => {
      const { interp, jit } = both(`
        adr x0, 1f
        msr elr_el1, x0
        msr spsr_el1, xzr
        mov x1, #0x3c0
        eret
      1:
        mrs x3, dczid_el0
        mrs x4, tpidr_el0
        mov x6, #6
        ${insn}
        mov x7, #7
        svc #0
      `);
      assert.deepEqual(jit, interp);
      assert.equal(jit.pc, VBAR + SYNC_LOWER + 4n, "the lower-EL synchronous vector ran");
      assert.equal(jit.x[3], 0x14n, "DCZID_EL0 at EL0 with DZE clear: DZP set");
      assert.equal(jit.x[6], 6n);
      assert.equal(jit.x[7], 0n, "the trapped instruction did not complete");
    });
  }

  for (const insn of ["msr daifclr, #2", "msr daif, xzr", "msr daifclr, #0xf"]) {
    test(`an IRQ pending while masked is taken right after a compiled "${insn}"`, () => {
      const source = `
        msr daifset, #2
        mov x1, #1
        ${insn}
        mov x9, #9
        hvc #30
      `;
      const s = withIrqUp(source);
      assert.deepEqual(s[1], s[0]);
      assert.equal(s[1].pc, VBAR + IRQ_SPX + 4n, "the IRQ vector ran");
      assert.equal(s[1].elr, CODE + 12n, "ELR: the instruction after the unmask");
      assert.equal(s[1].x[9], 0n);
    });
  }

  test("an IRQ stays pending after a compiled DAIF clear that leaves IRQ masked", () => {
    const source = `
      msr daifset, #3
      msr daifclr, #1
      mov x2, #0x80
      msr daif, x2
      mov x9, #9
      hvc #30
    `;
    const s = withIrqUp(source);
    assert.deepEqual(s[1], s[0]);
    assert.equal(s[1].x[9], 9n);
    assert.equal(s[1].pc, CODE + 24n, "the HVC of the code itself, no vector");
  });
});
