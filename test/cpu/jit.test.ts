// The JIT tier against the interpreter: the same guest code run with every block compiled
// before its first execution (jitThreshold 1) and with none compiled (0) must leave the same
// architectural state, including at a fault in the middle of a compiled block, after
// self-modifying code, and when an interrupt arrives during a compiled loop.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { boot, both, CODE, state, VBAR } from "../support/jit-tiers.ts";

/**
 * Runs the source on the interpreter and on the JIT with blocks compiled once they ran twice
 * (jitThreshold 2: by then the blocks a loop reaches are decoded, so multi-block regions form),
 * in runs of the given budgets (compilation happens between runs), then to HVC, with the MMU on
 * when `mmu` (boot: only then do loads and stores take the compiled fast paths). Asserts both
 * tiers agree after every run; returns the final states and the JIT's CPU.
 */
function regions(source: string, budgets: number[], mmu: boolean, between?: (cpu: Cpu, run: number) => void) {
  const cpus = [0, 2].map((th) => boot(th, source, mmu));
  const states = cpus.map(() => [] as ReturnType<typeof state>[]);
  for (let i = 0; i <= budgets.length; i++) {
    cpus.forEach((cpu, t) => {
      between?.(cpu, i);
      const r = cpu.run(budgets[i] ?? 1_000_000);
      assert.equal(r, i < budgets.length ? ExitReason.Budget : ExitReason.Hvc, `tier ${t} run ${i}: exit ${r} at 0x${cpu.pc.toString(16)}`);
      states[t].push(state(cpu));
    });
    assert.deepEqual(states[1][i], states[0][i], `run ${i}`);
  }
  const cpu = cpus[1];
  assert.equal(cpu.jitStats.errors, 0, String((cpu as unknown as { jit: { lastError: unknown } }).jit.lastError));
  assert.ok(cpu.jitStats.regionBlocks > 0, "multi-block regions were compiled");
  return { interp: states[0].at(-1)!, jit: states[1].at(-1)!, cpu };
}

describe("JIT tier", () => {
  test("a compiled loop of integer, flag, load/store and SIMD work matches the interpreter", () => {
    const { interp, jit } = both(`
      mov x0, #0
      mov x1, #200
      mov x2, #0x1234
      movk x2, #0xfedc, lsl #48
      fmov s1, w2
    1:
      add x0, x0, x1, lsl #3
      eor x2, x2, x0, ror #13
      subs w3, w2, w1
      csel x4, x2, x3, hi
      ccmp x1, #17, #4, ne
      cinc x5, x5, eq
      and x6, x1, #0x3f
      str x4, [x28, x6, lsl #3]
      ldr w7, [x28, x6, lsl #2]
      ldp x8, x9, [x28, #16]
      stp x9, x8, [x28], #16
      sub x28, x28, #16
      ubfx x10, x2, #5, #17
      sbfiz x11, x7, #3, #9
      udiv x12, x2, x1
      sdiv w13, w2, w3
      madd x14, x12, x13, x14
      add v1.4s, v1.4s, v1.4s
      eor v2.16b, v2.16b, v1.16b
      fmov w15, s2
      adds x16, x16, x15
      adc x17, x17, xzr
      tbz x2, #3, 2f
      add x18, x18, #1
    2:
      subs x1, x1, #1
      b.ne 1b
      hvc #0
    `);
    assert.deepEqual(jit, interp);
  });

  test("compiled multi-precision, byte-reverse and count instructions match the interpreter", () => {
    // x2/x3 walk an LCG (with the occasional all-ones and sign-bit values); every result is
    // folded into x20 so any lane of any iteration that differs shows.
    const { interp, jit } = both(`
      mov x1, #3000
      mov x2, #0x4f1b
      movk x2, #0x9e37, lsl #48
      mov x3, #0x7f4a
      movk x3, #0x79b9, lsl #32
      mov x9, #0x2d
      movk x9, #0x5851, lsl #48
    1:
      madd x2, x2, x9, x1
      eor x3, x3, x2, ror #29
      tst x1, #15
      csinv x4, x2, xzr, ne
      tst x1, #31
      csel x5, x3, x4, ne
      cmn x2, x3
      adc x6, x2, x5
      adcs x7, x4, x3
      adc w8, w2, w5
      adcs w10, w4, w3
      sbc x11, x2, x5
      sbcs x12, x5, x4
      sbcs w13, w3, w2
      sbc w14, w4, w5
      cset x15, mi
      cinc x15, x15, vs
      cinc x15, x15, cs
      cinc x15, x15, eq
      umulh x16, x4, x5
      smulh x17, x4, x5
      rev x18, x2
      rev w19, w3
      rev16 x21, x4
      rev16 w22, w5
      rev32 x23, x3
      clz x24, x11
      clz w25, w12
      cls x26, x4
      cls w27, w5
      eor x20, x20, x6, ror #1
      eor x20, x20, x7, ror #2
      eor x20, x20, x8, ror #3
      eor x20, x20, x10, ror #4
      eor x20, x20, x11, ror #5
      eor x20, x20, x12, ror #6
      eor x20, x20, x13, ror #7
      eor x20, x20, x14, ror #8
      eor x20, x20, x15, ror #9
      eor x20, x20, x16, ror #10
      eor x20, x20, x17, ror #11
      eor x20, x20, x18, ror #12
      eor x20, x20, x19, ror #13
      eor x20, x20, x21, ror #14
      eor x20, x20, x22, ror #15
      eor x20, x20, x23, ror #16
      add x20, x20, x24
      add x20, x20, x25, lsl #7
      add x20, x20, x26, lsl #14
      add x20, x20, x27, lsl #21
      subs x1, x1, #1
      b.ne 1b
      hvc #0
    `);
    assert.deepEqual(jit, interp);
  });

  test("compiled MRS SP_EL0 reads the banked SP_EL0 at EL1h and is UNDEFINED once SPSel is 0", () => {
    const { interp, jit } = both(`
      mov x5, #0x1234
      msr sp_el0, x5
      mov x1, #100
    1:
      mrs x0, sp_el0
      add x5, x0, x1
      msr sp_el0, x5
      mrs x6, sp_el0
      subs x1, x1, #1
      b.ne 1b
      msr spsel, #0
      mov x7, #7
      mrs x2, sp_el0
      mov x8, #8
      hvc #20
    `);
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[7], 7n);
    assert.equal(jit.x[8], 0n, "the UNDEFINED MRS took the exception");
    assert.equal(jit.esr >> 26n, 0n, "ESR: unknown reason (UNDEFINED)");
  });

  test("a fault in the middle of a compiled block leaves the interpreter's state", () => {
    const { interp, jit } = both(`
      mov x1, #5
      mov x3, #0x1000
      lsl x3, x3, #16
      add x2, x1, #1
      ldr x4, [x3]
      mov x2, #99
      hvc #7
    `);
    assert.deepEqual(jit, interp);
    assert.equal(jit.elr, CODE + 16n, "ELR is the faulting load");
    assert.equal(jit.x[2], 6n, "instructions before the fault are architecturally done");
    assert.equal(jit.x[1], 5n);
  });

  test("a store that rewrites code in a compiled loop is seen on the next iteration", () => {
    // The loop adds what "patched" returns in x9; after the first pass it overwrites the
    // "mov x9, #1" there with "mov x9, #2".
    const { interp, jit } = both(`
      ldr w5, =0xd2800049
      adr x6, patched
      mov x1, #10
      mov x0, #0
    1:
      bl patched
      add x0, x0, x9
      str w5, [x6]
      subs x1, x1, #1
      b.ne 1b
      hvc #0
    patched:
      mov x9, #1
      ret
    `);
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[0], 1n + 9n * 2n);
  });

  test("a compiled self-loop stops at the exact budget and takes an interrupt", () => {
    const cpus = [0, 1].map((th) => {
      const cpu = boot(th, "  msr daifclr, #2\n  mov x0, #0\n1:\n  add x0, x0, #1\n  b 1b\n");
      assert.equal(cpu.run(10_001), ExitReason.Budget);
      assert.equal(cpu.instret, 10_001n);
      cpu.setIrqLines(1);
      assert.equal(cpu.run(100), ExitReason.Hvc);
      return state(cpu);
    });
    assert.deepEqual(cpus[1], cpus[0]);
    assert.equal(cpus[1].pc, VBAR + 0x280n + 4n, "the IRQ vector (current EL, SPx) ran");
    assert.equal(cpus[1].x[0], 5000n);
  });
  test("a multi-block region loop (if/else inside) retires exact counts at every budget", () => {
    const budgets = [60, 1, 2, 3, 5, 7, 11, 13, 17, 100, 333, 1000, 4, 2500];
    const { interp, jit, cpu } = regions(
      `
      mov x0, #0
      mov x1, #0
      mov x2, #1500
    1:
      tst x2, #1
      b.eq 2f
      add x0, x0, x2
      str x0, [x28, #8]
      b 3f
    2:
      ldr x5, [x28, #8]
      add x1, x1, #3
      add x6, x6, x5
      tbnz x2, #2, 3f
      cbz x1, 3f
      sub x1, x1, #1
    3:
      subs x2, x2, #1
      b.ne 1b
      hvc #0
    `,
      budgets,
      true,
    );
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[0], 750n * 750n);
    assert.equal(jit.instret, interp.instret);
    // The budget exits stop the loop in any of its blocks: the next run enters the region's function there.
    assert.ok(cpu.jitStats.shared > 0, "blocks were given their region's function");
  });

  test("a fault in a non-entry block of a region leaves the interpreter's state", () => {
    const { interp, jit, cpu } = regions(
      `
      mov x3, x28
      mov x6, #0x1000
      lsl x6, x6, #16
      mov x1, #0
      mov x2, #50
    1:
      add x1, x1, #1
      tst x1, #1
      b.eq 3f
    2:
      subs x2, x2, #1
      b.ne 1b
      hvc #0
    3:
      mov x5, x1
      cmp x1, #30
      csel x3, x6, x3, eq
      add x7, x7, #1
      ldr x4, [x3]
      b 2b
    `,
      [40],
      true,
    );
    assert.deepEqual(jit, interp);
    assert.equal(jit.elr, CODE + 4n * 15n, "ELR is the faulting load");
    assert.equal(jit.esr >> 26n, 0x25n, "a data abort from the current EL");
    assert.equal(jit.x[5], 30n, "the block's instructions before the fault are done");
    assert.equal(jit.x[7], 15n);
    assert.ok(cpu.jitStats.compiled > 0);
  });

  test("an MMIO read in a non-entry block of a region continues after it", () => {
    const { interp, jit } = regions(
      `
      movz x10, #0x0900, lsl #16
      mov x2, #40
      mov x0, #0
    1:
      tst x2, #1
      b.eq 3f
    2:
      subs x2, x2, #1
      b.ne 1b
      hvc #0
    3:
      add x0, x0, #1
      ldr w4, [x10]
      add x0, x0, x4
      b 2b
    `,
      [30],
      false,
      (cpu, run) => {
        if (run === 0) cpu.setCallbacks({ mmioRead: () => 5n });
      },
    );
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[0], 20n * 6n);
  });

  test("a region loop with a masked interrupt line up polls it, and takes it once unmasked", () => {
    const source = `
      mov x0, #0
      mov x2, #3000
    1:
      add x0, x0, #1
      tst x0, #3
      b.ne 2f
      add x1, x1, #1
    2:
      subs x2, x2, #1
      b.ne 1b
      msr daifclr, #2
      hvc #0
    `;
    const { interp, jit } = regions(source, [100, 2001, 7], false, (cpu, run) => {
      if (run === 2) cpu.setIrqLines(1);
    });
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[0], 3000n, "the loop ran to its end with the line up");
    assert.equal(jit.pc, VBAR + 0x280n + 4n, "then the IRQ vector (current EL, SPx) ran");
  });

  test("a store that rewrites a later block of a region is seen when the region gets there", () => {
    // The loop's first block overwrites the "mov x9, #1" of the block at 3 with "mov x9, #2" at
    // x2 = 20; the region's transition to it must see the page's new code generation.
    const { interp, jit } = regions(
      `
      ldr w5, =0xd2800049
      adr x6, patched
      mov x2, #40
      mov x0, #0
    1:
      cmp x2, #20
      b.ne 2f
      str w5, [x6]
    2:
      tst x2, #1
      b.eq 3f
    4:
      subs x2, x2, #1
      b.ne 1b
      hvc #0
    3:
    patched:
      mov x9, #1
      add x0, x0, x9
      b 4b
    `,
      [30],
      true,
    );
    assert.deepEqual(jit, interp);
    assert.equal(jit.x[0], 10n * 1n + 10n * 2n);
  });
});
