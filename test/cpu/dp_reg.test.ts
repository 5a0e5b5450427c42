// Data processing -- register (src/cpu/decode/dp_reg.decode): table-driven semantics.
// Expected values were cross-checked against qemu-aarch64 (qemu-user 7.2, -cpu cortex-a57).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cpu } from "../../src/cpu/cpu.ts";
import { disassemble } from "../../src/cpu/disasm/index.ts";
import { type Row, runRows } from "../support/insn-rows.ts";
import { normalizeAsm, objdumpWords } from "../support/objdump.ts";
import { runSnippet } from "../support/snippet.ts";
import { encode } from "../support/toolchain.ts";

const M64 = 0xffff_ffff_ffff_ffffn;
const MIN64 = 0x8000_0000_0000_0000n;
const MAX64 = 0x7fff_ffff_ffff_ffffn;
const G = 0xdead_beef_0000_0000n; // garbage for the upper half of 32-bit operands

test("add/sub (shifted register): flags of every setflags form, 64 and 32 bits", () => {
  const rows: Row[] = [
    { asm: "adds x0, x1, x2", x: { 1: 1n, 2: 2n }, nzcv: "NZCV", want: { 0: 3n }, flags: "nzcv" },
    { asm: "adds x0, x1, x2", x: { 1: M64, 2: 1n }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "adds x0, x1, x2", x: { 1: MAX64, 2: 1n }, want: { 0: MIN64 }, flags: "NzcV" },
    { asm: "adds x0, x1, x2", x: { 1: MIN64, 2: MIN64 }, want: { 0: 0n }, flags: "nZCV" },
    { asm: "adds x0, x1, x2", x: { 1: M64, 2: M64 }, want: { 0: M64 - 1n }, flags: "NzCv" },
    { asm: "adds w0, w1, w2", x: { 0: M64, 1: G | 0xffff_ffffn, 2: G | 1n }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "adds w0, w1, w2", x: { 1: G | 0x7fff_ffffn, 2: G | 1n }, want: { 0: 0x8000_0000n }, flags: "NzcV" },
    { asm: "adds w0, w1, w2", x: { 1: 0x8000_0000n, 2: 0x8000_0000n }, want: { 0: 0n }, flags: "nZCV" },
    { asm: "adds w0, w1, w2", x: { 1: 0xffff_ffffn, 2: 0xffff_ffffn }, want: { 0: 0xffff_fffen }, flags: "NzCv" },
    { asm: "subs x0, x1, x2", x: { 1: 5n, 2: 3n }, want: { 0: 2n }, flags: "nzCv" },
    { asm: "subs x0, x1, x2", x: { 1: 3n, 2: 5n }, want: { 0: M64 - 1n }, flags: "Nzcv" },
    { asm: "subs x0, x1, x2", x: { 1: 5n, 2: 5n }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "subs x0, x1, x2", x: { 1: MIN64, 2: 1n }, want: { 0: MAX64 }, flags: "nzCV" },
    { asm: "subs x0, x1, x2", x: { 1: 0n, 2: MIN64 }, want: { 0: MIN64 }, flags: "NzcV" },
    { asm: "subs x0, x1, xzr", x: { 1: 0n }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "subs w0, w1, w2", x: { 0: M64, 1: G, 2: G | 1n }, want: { 0: 0xffff_ffffn }, flags: "Nzcv" },
    { asm: "subs w0, w1, w2", x: { 1: 0x8000_0000n, 2: 1n }, want: { 0: 0x7fff_ffffn }, flags: "nzCV" },
    { asm: "subs w0, w1, w2", x: { 1: 0x1_0000_0000n, 2: 0n }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "cmp x1, x2", x: { 1: 1n, 2: 2n }, flags: "Nzcv" },
    { asm: "cmp w1, w2, lsl #31", x: { 1: 0n, 2: 1n }, flags: "NzcV" },
    { asm: "cmn x1, x2", x: { 1: M64, 2: 1n }, flags: "nZCv" },
    { asm: "cmn w1, w2, asr #4", x: { 1: 0x10n, 2: 0xffff_ff00n }, flags: "nZCv" },
    { asm: "negs x0, x2", x: { 2: MIN64 }, want: { 0: MIN64 }, flags: "NzcV" },
    { asm: "negs w0, w2", x: { 2: 0n }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "neg x0, x2, lsl #1", x: { 2: 1n }, nzcv: "nzcv", want: { 0: M64 - 1n }, flags: "nzcv" },
    { asm: "add x0, x1, x2", x: { 1: M64, 2: 1n }, nzcv: "NZCV", want: { 0: 0n }, flags: "NZCV" },
    { asm: "sub w0, w1, w2", x: { 0: M64, 1: 0n, 2: 1n }, want: { 0: 0xffff_ffffn } },
  ];
  runRows(rows);
});

test("logical (shifted register): results, NZ flags with C and V cleared, aliases", () => {
  const rows: Row[] = [
    { asm: "ands x0, x1, x2", x: { 1: 0xf0n, 2: 0x0fn }, nzcv: "NZCV", want: { 0: 0n }, flags: "nZcv" },
    { asm: "ands x0, x1, x2", x: { 1: M64, 2: MIN64 }, nzcv: "nZCV", want: { 0: MIN64 }, flags: "Nzcv" },
    { asm: "ands w0, w1, w2", x: { 1: 0xffff_ffff_8000_0000n, 2: 0x8000_0000n }, want: { 0: 0x8000_0000n }, flags: "Nzcv" },
    { asm: "ands w0, w1, w2", x: { 1: 0xffff_ffff_0000_0000n, 2: M64 }, want: { 0: 0n }, flags: "nZcv" },
    { asm: "bics x0, x1, x2", x: { 1: M64, 2: MAX64 }, nzcv: "nzCV", want: { 0: MIN64 }, flags: "Nzcv" },
    { asm: "bics w0, w1, w2", x: { 1: 0xffn, 2: 0xffn }, want: { 0: 0n }, flags: "nZcv" },
    { asm: "tst x1, x2, lsl #63", x: { 1: MIN64, 2: 1n }, flags: "Nzcv" },
    { asm: "tst w1, w2, ror #1", x: { 1: 0x8000_0000n, 2: 1n }, flags: "Nzcv" },
    { asm: "and x0, x1, x2", x: { 1: 0xff00n, 2: 0x0ff0n }, nzcv: "NZCV", want: { 0: 0x0f00n }, flags: "NZCV" },
    { asm: "bic x0, x1, x2, lsr #4", x: { 1: M64, 2: 0xf0n }, want: { 0: M64 ^ 0xfn } },
    { asm: "orr x0, x1, x2, asr #8", x: { 1: 1n, 2: MIN64 }, want: { 0: 0xff80_0000_0000_0001n } },
    { asm: "orn w0, w1, w2", x: { 0: M64, 1: 0n, 2: 0xffff_0000n }, want: { 0: 0xffffn } },
    { asm: "eor x0, x1, x2, ror #4", x: { 1: 0n, 2: 0x12n }, want: { 0: 0x2000_0000_0000_0001n } },
    { asm: "eon w0, w1, w2", x: { 1: 0xffn, 2: 0n }, want: { 0: 0xffff_ff00n } },
    { asm: "mov x0, x2", x: { 2: 0x1234_5678_9abc_def0n }, want: { 0: 0x1234_5678_9abc_def0n } },
    { asm: "mov w0, w2", x: { 0: M64, 2: G | 0x1234n }, want: { 0: 0x1234n } },
    { asm: "mvn x0, x2", x: { 2: 0n }, want: { 0: M64 } },
    { asm: "mvn w0, w2, lsl #31", x: { 2: 1n }, want: { 0: 0x7fff_ffffn } },
  ];
  runRows(rows);
});

test("shifted-register operands: amounts 0, 31, 32, 63 for every shift type", () => {
  const rows: Row[] = [
    { asm: "add x0, xzr, x2, lsl #0", x: { 2: 0x1234n }, want: { 0: 0x1234n } },
    { asm: "add x0, xzr, x2, lsl #63", x: { 2: 3n }, want: { 0: MIN64 } },
    { asm: "add x0, xzr, x2, lsl #32", x: { 2: 0x1_ffff_ffffn }, want: { 0: 0xffff_ffff_0000_0000n } },
    { asm: "add x0, xzr, x2, lsr #63", x: { 2: MIN64 }, want: { 0: 1n } },
    { asm: "add x0, xzr, x2, lsr #32", x: { 2: MIN64 }, want: { 0: 0x8000_0000n } },
    { asm: "add x0, xzr, x2, asr #63", x: { 2: MIN64 }, want: { 0: M64 } },
    { asm: "add x0, xzr, x2, asr #32", x: { 2: MIN64 }, want: { 0: 0xffff_ffff_8000_0000n } },
    { asm: "add x0, xzr, x2, asr #0", x: { 2: MIN64 }, want: { 0: MIN64 } },
    { asm: "orr x0, xzr, x2, ror #63", x: { 2: MIN64 | 1n }, want: { 0: 3n } },
    { asm: "orr x0, xzr, x2, ror #32", x: { 2: 0x1111_2222_3333_4444n }, want: { 0: 0x3333_4444_1111_2222n } },
    { asm: "orr x0, xzr, x2, ror #0", x: { 2: 0x1111_2222_3333_4444n }, want: { 0: 0x1111_2222_3333_4444n } },
    { asm: "add w0, wzr, w2, lsl #31", x: { 2: 3n }, want: { 0: 0x8000_0000n } },
    { asm: "add w0, wzr, w2, lsr #31", x: { 2: G | 0x8000_0000n }, want: { 0: 1n } },
    { asm: "add w0, wzr, w2, asr #31", x: { 2: 0x8000_0000n }, want: { 0: 0xffff_ffffn } },
    { asm: "sub w0, wzr, w2, asr #0", x: { 2: G | 1n }, want: { 0: 0xffff_ffffn } },
    { asm: "orr w0, wzr, w2, ror #31", x: { 2: G | 0x8000_0001n }, want: { 0: 3n } },
    { asm: "orr w0, wzr, w2, ror #16", x: { 2: 0x1234_5678n }, want: { 0: 0x5678_1234n } },
  ];
  runRows(rows);
});

test("add/sub (extended register): every extend, amounts 0..4, SP operands", () => {
  const SP = 0x4008_0000n;
  const rows: Row[] = [
    { asm: "add x0, x1, w2, uxtb", x: { 1: 1n, 2: 0x1ffn }, want: { 0: 0x100n } },
    { asm: "add x0, x1, w2, uxth #1", x: { 1: 1n, 2: 0x1_ffffn }, want: { 0: 0x1_ffffn } },
    { asm: "add x0, x1, w2, uxtw #4", x: { 1: 0n, 2: 0xffff_ffff_ffff_ffffn }, want: { 0: 0xf_ffff_fff0n } },
    { asm: "add x0, x1, x2, uxtx #2", x: { 1: 0n, 2: MIN64 | 1n }, want: { 0: 4n } },
    { asm: "add x0, x1, w2, sxtb", x: { 1: 0x100n, 2: 0x80n }, want: { 0: 0x80n } },
    { asm: "add x0, x1, w2, sxtb #2", x: { 1: 0n, 2: 0x80n }, want: { 0: M64 - 0x1ffn } },
    { asm: "add x0, x1, w2, sxth #3", x: { 1: 0n, 2: 0x8000n }, want: { 0: 0xffff_ffff_fffc_0000n } },
    { asm: "add x0, x1, w2, sxtw", x: { 1: 0x8000_0000n, 2: 0x1_8000_0000n }, want: { 0: 0n } },
    { asm: "sub x0, x1, x2, sxtx #4", x: { 1: 0n, 2: M64 }, want: { 0: 16n } },
    { asm: "add w0, w1, w2, sxtb", x: { 0: M64, 1: 0n, 2: 0xffn }, want: { 0: 0xffff_ffffn } },
    { asm: "add w0, w1, w2, uxth #4", x: { 1: G, 2: 0xf_ffffn }, want: { 0: 0xf_fff0n } },
    { asm: "add w0, w1, w2, sxtw #1", x: { 1: 0n, 2: 0x8000_0001n }, want: { 0: 2n } },
    // SP as the first operand and as the destination.
    { asm: "add sp, sp, x2", sp: SP, x: { 2: 0x10n }, want: { sp: SP + 0x10n } },
    { asm: "sub sp, sp, w2, uxtw #4", sp: SP, x: { 2: G | 1n }, want: { sp: SP - 0x10n } },
    { asm: "add x0, sp, w2, sxtw", sp: SP, x: { 2: 0xffff_ffffn }, want: { 0: SP - 1n, sp: SP } },
    { asm: "add sp, x1, w2, uxtb", sp: SP, x: { 1: 0x1000n, 2: 0x1_0001n }, want: { sp: 0x1001n } },
    { asm: "add wsp, w1, w2, uxtw", sp: SP, x: { 1: G | 0xffff_fff0n, 2: 0x20n }, want: { sp: 0x10n } },
    { asm: "add w0, wsp, w2, uxtw #2", sp: 0x1_0000_0010n, x: { 2: 1n }, want: { 0: 0x14n } },
    { asm: "adds x0, sp, x2", sp: M64 - 1n, x: { 2: 2n }, want: { 0: 0n, sp: M64 - 1n }, flags: "nZCv" },
    { asm: "cmp sp, x2", sp: SP, x: { 2: SP }, flags: "nZCv" },
    { asm: "cmp sp, w2, uxtw", sp: 0x1_0000_0000n, x: { 2: 1n }, flags: "nzCv" },
    { asm: "cmn wsp, w2, uxth", sp: 0xffff_ff00n, x: { 2: 0x1_0100n }, flags: "nZCv" },
    { asm: "cmn wsp, w2, uxtb", sp: 0xffff_ff00n, x: { 2: 0x1_0100n }, flags: "Nzcv" },
    { asm: "subs w0, wsp, w2, uxtw", sp: 0n, x: { 2: 1n }, want: { 0: 0xffff_ffffn }, flags: "Nzcv" },
    // The flag-setting forms write ZR, not SP.
    { asm: "adds xzr, sp, x2", sp: SP, x: { 2: 1n }, want: { sp: SP }, flags: "nzcv" },
  ];
  runRows(rows);
});

test("add/sub with carry: carry chains and flags", () => {
  const rows: Row[] = [
    { asm: "adc x0, x1, x2", x: { 1: 1n, 2: 2n }, nzcv: "nzCv", want: { 0: 4n }, flags: "nzCv" },
    { asm: "adc x0, x1, x2", x: { 1: 1n, 2: 2n }, nzcv: "NZcV", want: { 0: 3n }, flags: "NZcV" },
    { asm: "adcs x0, x1, x2", x: { 1: M64, 2: 0n }, nzcv: "nzCv", want: { 0: 0n }, flags: "nZCv" },
    { asm: "adcs x0, x1, x2", x: { 1: MAX64, 2: 0n }, nzcv: "nzCv", want: { 0: MIN64 }, flags: "NzcV" },
    { asm: "adcs x0, x1, x2", x: { 1: M64, 2: M64 }, nzcv: "nzCv", want: { 0: M64 }, flags: "NzCv" },
    { asm: "adcs x0, x1, x2", x: { 1: 0n, 2: 0n }, nzcv: "NzCV", want: { 0: 1n }, flags: "nzcv" },
    { asm: "adcs w0, w1, w2", x: { 1: 0xffff_ffffn, 2: 0xffff_ffffn }, nzcv: "nzCv", want: { 0: 0xffff_ffffn }, flags: "NzCv" },
    { asm: "adcs w0, w1, w2", x: { 1: G | 0x7fff_ffffn, 2: G }, nzcv: "nzCv", want: { 0: 0x8000_0000n }, flags: "NzcV" },
    { asm: "adcs w0, w1, w2", x: { 1: 0xffff_ffffn, 2: 0n }, nzcv: "nzCv", want: { 0: 0n }, flags: "nZCv" },
    { asm: "sbc x0, x1, x2", x: { 1: 5n, 2: 3n }, nzcv: "nzcv", want: { 0: 1n }, flags: "nzcv" },
    { asm: "sbcs x0, x1, x2", x: { 1: 5n, 2: 5n }, nzcv: "nzcv", want: { 0: M64 }, flags: "Nzcv" },
    { asm: "sbcs x0, x1, x2", x: { 1: 5n, 2: 5n }, nzcv: "nzCv", want: { 0: 0n }, flags: "nZCv" },
    { asm: "sbcs x0, x1, x2", x: { 1: 0n, 2: M64 }, nzcv: "nzcv", want: { 0: 0n }, flags: "nZcv" },
    { asm: "sbcs x0, x1, x2", x: { 1: MIN64, 2: 0n }, nzcv: "nzcv", want: { 0: MAX64 }, flags: "nzCV" },
    { asm: "sbcs w0, w1, w2", x: { 1: G, 2: 0n }, nzcv: "nzcv", want: { 0: 0xffff_ffffn }, flags: "Nzcv" },
    { asm: "sbcs w0, w1, w2", x: { 1: 0x8000_0000n, 2: 0n }, nzcv: "nzCv", want: { 0: 0x8000_0000n }, flags: "NzCv" },
    { asm: "ngc x0, x2", x: { 2: 0n }, nzcv: "nzcv", want: { 0: M64 } },
    { asm: "ngc w0, w2", x: { 2: 1n }, nzcv: "nzCv", want: { 0: 0xffff_ffffn } },
    { asm: "ngcs x0, x2", x: { 2: 0n }, nzcv: "nzCv", want: { 0: 0n }, flags: "nZCv" },
  ];
  runRows(rows);
});

test("128-bit add and subtract through the carry chain", () => {
  const cases: [bigint, bigint][] = [
    [0xffff_ffff_ffff_ffff_ffff_ffff_ffff_ffffn, 1n],
    [0x0000_0000_0000_0001_ffff_ffff_ffff_ffffn, 0x0000_0000_0000_0000_0000_0000_0000_0001n],
    [0x7fff_ffff_ffff_ffff_ffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000_0000_0000_0000_0001n],
    [0x1234_5678_9abc_def0_0fed_cba9_8765_4321n, 0xfedc_ba98_7654_3210_f012_3456_789a_bcden],
  ];
  const M128 = (1n << 128n) - 1n;
  for (const [a, b] of cases) {
    const x = { 1: a & M64, 2: a >> 64n, 3: b & M64, 4: b >> 64n };
    const add = runSnippet("adds x5, x1, x3\nadcs x6, x2, x4\ncset x7, cs", { x });
    assert.equal((add.x(6) << 64n) | add.x(5), (a + b) & M128, `add ${a.toString(16)} + ${b.toString(16)}`);
    assert.equal(add.x(7), (a + b) >> 128n, "carry out of the 128-bit add");
    const sub = runSnippet("subs x5, x1, x3\nsbcs x6, x2, x4\ncset x7, cc", { x });
    assert.equal((sub.x(6) << 64n) | sub.x(5), (a - b) & M128, `sub ${a.toString(16)} - ${b.toString(16)}`);
    assert.equal(sub.x(7), a < b ? 1n : 0n, "borrow out of the 128-bit subtract");
  }
});

test("conditional compare: flags when the condition holds, #nzcv when it fails", () => {
  const rows: Row[] = [
    { asm: "ccmp x1, x2, #2, eq", x: { 1: 1n, 2: 2n }, nzcv: "nZcv", flags: "Nzcv" },
    { asm: "ccmp x1, x2, #2, eq", x: { 1: 1n, 2: 2n }, nzcv: "nzcv", flags: "nzCv" },
    { asm: "ccmp x1, x2, #0xf, ne", x: { 1: 2n, 2: 2n }, nzcv: "nzcv", flags: "nZCv" },
    { asm: "ccmp x1, x2, #0, ne", x: { 1: 2n, 2: 2n }, nzcv: "NZCV", flags: "nzcv" },
    { asm: "ccmp x1, x2, #0, ge", x: { 1: MIN64, 2: 1n }, nzcv: "nzcv", flags: "nzCV" },
    { asm: "ccmp x1, x2, #9, ge", x: { 1: MIN64, 2: 1n }, nzcv: "Nzcv", flags: "NzcV" },
    { asm: "ccmp w1, w2, #0, al", x: { 1: G | 0x8000_0000n, 2: 1n }, nzcv: "NZCV", flags: "nzCV" },
    { asm: "ccmp w1, w2, #0, nv", x: { 1: 0n, 2: 1n }, nzcv: "nzcv", flags: "Nzcv" },
    { asm: "ccmp x1, #31, #4, hi", x: { 1: 31n }, nzcv: "nzCv", flags: "nZCv" },
    { asm: "ccmp x1, #31, #4, hi", x: { 1: 31n }, nzcv: "nZCv", flags: "nZcv" },
    { asm: "ccmp w1, #1, #8, lt", x: { 1: 0n }, nzcv: "Nzcv", flags: "Nzcv" },
    { asm: "ccmn x1, x2, #0, eq", x: { 1: M64, 2: 1n }, nzcv: "nZcv", flags: "nZCv" },
    { asm: "ccmn x1, #1, #6, mi", x: { 1: MAX64 }, nzcv: "Nzcv", flags: "NzcV" },
    { asm: "ccmn x1, #1, #6, mi", x: { 1: MAX64 }, nzcv: "nzcv", flags: "nZCv" },
    { asm: "ccmn w1, #31, #0, cs", x: { 1: G | 0xffff_ffe1n }, nzcv: "nzCv", flags: "nZCv" },
    { asm: "ccmn w1, w2, #1, vs", x: { 1: 0x7fff_ffffn, 2: 1n }, nzcv: "nzcV", flags: "NzcV" },
  ];
  runRows(rows);
});

const CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"];

/** ConditionHolds from the Arm ARM, on NZCV as a 4-bit value (N = bit 3). */
function holds(cond: number, f: number): boolean {
  const n = (f >> 3) & 1;
  const z = (f >> 2) & 1;
  const c = (f >> 1) & 1;
  const v = f & 1;
  const base = [z === 1, c === 1, n === 1, v === 1, c === 1 && z === 0, n === v, n === v && z === 0, true][cond >> 1];
  return cond & 1 && cond !== 15 ? !base : base;
}

test("conditional select: all 16 conditions against all 16 flag values", () => {
  const rows: Row[] = [];
  for (let cond = 0; cond < 16; cond++) {
    for (let f = 0; f < 16; f++) {
      rows.push({
        asm: `csel x0, x1, x2, ${CONDS[cond]}`,
        x: { 1: 111n, 2: 222n },
        nzcvBits: f,
        want: { 0: holds(cond, f) ? 111n : 222n },
      });
    }
  }
  runRows(rows);
});

test("conditional select family and its aliases, 64 and 32 bits", () => {
  const rows: Row[] = [
    { asm: "csinc x0, x1, x2, eq", x: { 1: 5n, 2: M64 }, nzcv: "nZcv", want: { 0: 5n } },
    { asm: "csinc x0, x1, x2, eq", x: { 1: 5n, 2: M64 }, nzcv: "nzcv", want: { 0: 0n } },
    { asm: "csinc w0, w1, w2, eq", x: { 0: M64, 1: 5n, 2: 0xffff_ffffn }, nzcv: "nzcv", want: { 0: 0n } },
    { asm: "csinc w0, w1, w2, eq", x: { 1: G | 5n, 2: 0n }, nzcv: "nZcv", want: { 0: 5n } },
    { asm: "csinv x0, x1, x2, ne", x: { 1: 5n, 2: 0n }, nzcv: "nZcv", want: { 0: M64 } },
    { asm: "csinv w0, w1, w2, ne", x: { 1: 5n, 2: 0n }, nzcv: "nZcv", want: { 0: 0xffff_ffffn } },
    { asm: "csneg x0, x1, x2, cs", x: { 1: 5n, 2: 1n }, nzcv: "nzcv", want: { 0: M64 } },
    { asm: "csneg x0, x1, x2, cs", x: { 1: 5n, 2: MIN64 }, nzcv: "nzcv", want: { 0: MIN64 } },
    { asm: "csneg w0, w1, w2, cs", x: { 1: 5n, 2: G | 0x8000_0000n }, nzcv: "nzcv", want: { 0: 0x8000_0000n } },
    { asm: "csneg w0, w1, w2, cs", x: { 1: 5n, 2: 1n }, nzcv: "nzcv", want: { 0: 0xffff_ffffn } },
    { asm: "csel w0, w1, w2, mi", x: { 0: M64, 1: G | 7n, 2: 9n }, nzcv: "Nzcv", want: { 0: 7n } },
    { asm: "cset x0, eq", nzcv: "nZcv", want: { 0: 1n } },
    { asm: "cset w0, eq", x: { 0: M64 }, nzcv: "nzcv", want: { 0: 0n } },
    { asm: "csetm x0, lt", nzcv: "Nzcv", want: { 0: M64 } },
    { asm: "csetm w0, lt", nzcv: "Nzcv", want: { 0: 0xffff_ffffn } },
    { asm: "cinc x0, x1, gt", x: { 1: M64 }, nzcv: "nzcv", want: { 0: 0n } },
    { asm: "cinv w0, w1, le", x: { 1: 0n }, nzcv: "nZcv", want: { 0: 0xffff_ffffn } },
    { asm: "cneg x0, x1, vs", x: { 1: 3n }, nzcv: "nzcV", want: { 0: M64 - 2n } },
    { asm: "cneg x0, x1, vs", x: { 1: 3n }, nzcv: "nzcv", want: { 0: 3n } },
  ];
  runRows(rows);
});

test("data-processing (1 source): RBIT, REV16, REV32, REV, CLZ, CLS", () => {
  const rows: Row[] = [
    { asm: "rbit x0, x1", x: { 1: 1n }, want: { 0: MIN64 } },
    { asm: "rbit x0, x1", x: { 1: 0x0123_4567_89ab_cdefn }, want: { 0: 0xf7b3_d591_e6a2_c480n } },
    { asm: "rbit w0, w1", x: { 0: M64, 1: G | 1n }, want: { 0: 0x8000_0000n } },
    { asm: "rbit w0, w1", x: { 1: 0x0123_4567n }, want: { 0: 0xe6a2_c480n } },
    { asm: "rev16 x0, x1", x: { 1: 0x0011_2233_4455_6677n }, want: { 0: 0x1100_3322_5544_7766n } },
    { asm: "rev16 w0, w1", x: { 1: 0x8899_aabb_0011_2233n }, want: { 0: 0x1100_3322n } },
    { asm: "rev32 x0, x1", x: { 1: 0x0011_2233_4455_6677n }, want: { 0: 0x3322_1100_7766_5544n } },
    { asm: "rev w0, w1", x: { 0: M64, 1: 0x8899_aabb_1122_3344n }, want: { 0: 0x4433_2211n } },
    { asm: "rev x0, x1", x: { 1: 0x0011_2233_4455_6677n }, want: { 0: 0x7766_5544_3322_1100n } },
    { asm: "clz x0, x1", x: { 1: 0n }, want: { 0: 64n } },
    { asm: "clz x0, x1", x: { 1: 1n }, want: { 0: 63n } },
    { asm: "clz x0, x1", x: { 1: MIN64 }, want: { 0: 0n } },
    { asm: "clz w0, w1", x: { 1: G }, want: { 0: 32n } },
    { asm: "clz w0, w1", x: { 1: 0xffff_ffff_0000_0001n }, want: { 0: 31n } },
    { asm: "cls x0, x1", x: { 1: 0n }, want: { 0: 63n } },
    { asm: "cls x0, x1", x: { 1: M64 }, want: { 0: 63n } },
    { asm: "cls x0, x1", x: { 1: 0x4000_0000_0000_0000n }, want: { 0: 0n } },
    { asm: "cls x0, x1", x: { 1: MIN64 }, want: { 0: 0n } },
    { asm: "cls x0, x1", x: { 1: 0xc000_0000_0000_0000n }, want: { 0: 1n } },
    { asm: "cls x0, x1", x: { 1: 0xffff_ffff_ffff_fffen }, want: { 0: 62n } },
    { asm: "cls w0, w1", x: { 1: G }, want: { 0: 31n } },
    { asm: "cls w0, w1", x: { 1: 0xffff_0000n }, want: { 0: 15n } },
    { asm: "cls w0, w1", x: { 1: 0x0000_0000_7fff_ffffn }, want: { 0: 0n } },
  ];
  runRows(rows);
});

test("division: by zero, INT_MIN / -1, rounding toward zero", () => {
  const rows: Row[] = [
    { asm: "udiv x0, x1, x2", x: { 0: 7n, 1: 100n, 2: 0n }, want: { 0: 0n } },
    { asm: "udiv x0, x1, x2", x: { 1: M64, 2: 1n }, want: { 0: M64 } },
    { asm: "udiv x0, x1, x2", x: { 1: M64, 2: 2n }, want: { 0: MAX64 } },
    { asm: "udiv x0, x1, x2", x: { 1: 5n, 2: M64 }, want: { 0: 0n } },
    { asm: "udiv w0, w1, w2", x: { 1: G | 0xffff_ffffn, 2: G | 2n }, want: { 0: 0x7fff_ffffn } },
    { asm: "udiv w0, w1, w2", x: { 0: M64, 1: 100n, 2: 0x1_0000_0000n }, want: { 0: 0n } },
    { asm: "sdiv x0, x1, x2", x: { 1: MIN64, 2: M64 }, want: { 0: MIN64 } },
    { asm: "sdiv x0, x1, x2", x: { 1: MIN64, 2: 0n }, want: { 0: 0n } },
    { asm: "sdiv x0, x1, x2", x: { 1: M64 - 6n, 2: 2n }, want: { 0: M64 - 2n } },
    { asm: "sdiv x0, x1, x2", x: { 1: 7n, 2: M64 - 1n }, want: { 0: M64 - 2n } },
    { asm: "sdiv x0, x1, x2", x: { 1: M64 - 6n, 2: M64 - 1n }, want: { 0: 3n } },
    { asm: "sdiv x0, x1, x2", x: { 1: 5n, 2: M64 }, want: { 0: M64 - 4n } },
    { asm: "sdiv w0, w1, w2", x: { 1: 0x8000_0000n, 2: 0xffff_ffffn }, want: { 0: 0x8000_0000n } },
    { asm: "sdiv w0, w1, w2", x: { 0: M64, 1: 0x8000_0000n, 2: G }, want: { 0: 0n } },
    { asm: "sdiv w0, w1, w2", x: { 1: G | 0xffff_fff9n, 2: 2n }, want: { 0: 0xffff_fffdn } },
    { asm: "sdiv w0, w1, w2", x: { 1: 0x7fff_ffffn, 2: 0xffff_ffffn }, want: { 0: 0x8000_0001n } },
  ];
  runRows(rows);
});

test("variable shifts: amounts taken modulo the data size", () => {
  const rows: Row[] = [
    { asm: "lsl x0, x1, x2", x: { 1: 1n, 2: 63n }, want: { 0: MIN64 } },
    { asm: "lsl x0, x1, x2", x: { 1: 1n, 2: 64n }, want: { 0: 1n } },
    { asm: "lsl x0, x1, x2", x: { 1: 1n, 2: 65n }, want: { 0: 2n } },
    { asm: "lsl x0, x1, x2", x: { 1: 1n, 2: M64 }, want: { 0: MIN64 } },
    { asm: "lsl w0, w1, w2", x: { 1: 1n, 2: 31n }, want: { 0: 0x8000_0000n } },
    { asm: "lsl w0, w1, w2", x: { 1: G | 1n, 2: 32n }, want: { 0: 1n } },
    { asm: "lsl w0, w1, w2", x: { 1: 3n, 2: 0xffff_ffff_0000_0021n }, want: { 0: 6n } },
    { asm: "lsr x0, x1, x2", x: { 1: MIN64, 2: 63n }, want: { 0: 1n } },
    { asm: "lsr x0, x1, x2", x: { 1: MIN64, 2: 128n }, want: { 0: MIN64 } },
    { asm: "lsr w0, w1, w2", x: { 1: G | 0x8000_0000n, 2: 31n }, want: { 0: 1n } },
    { asm: "lsr w0, w1, w2", x: { 1: G | 0x8000_0000n, 2: 32n }, want: { 0: 0x8000_0000n } },
    { asm: "asr x0, x1, x2", x: { 1: MIN64, 2: 63n }, want: { 0: M64 } },
    { asm: "asr x0, x1, x2", x: { 1: MIN64, 2: 0x40n }, want: { 0: MIN64 } },
    { asm: "asr w0, w1, w2", x: { 1: 0x8000_0000n, 2: 31n }, want: { 0: 0xffff_ffffn } },
    { asm: "asr w0, w1, w2", x: { 1: 0x8000_0000n, 2: 0x3fn }, want: { 0: 0xffff_ffffn } },
    { asm: "asr w0, w1, w2", x: { 1: 0x8000_0000n, 2: 0x20n }, want: { 0: 0x8000_0000n } },
    { asm: "ror x0, x1, x2", x: { 1: 1n, 2: 68n }, want: { 0: 0x1000_0000_0000_0000n } },
    { asm: "ror x0, x1, x2", x: { 1: 0x1234n, 2: 0n }, want: { 0: 0x1234n } },
    { asm: "ror w0, w1, w2", x: { 1: G | 1n, 2: 33n }, want: { 0: 0x8000_0000n } },
    { asm: "ror w0, w1, w2", x: { 1: 0x1234_5678n, 2: 48n }, want: { 0: 0x5678_1234n } },
  ];
  runRows(rows);
});

test("multiply-add and the long and high multiplies", () => {
  const rows: Row[] = [
    { asm: "madd x0, x1, x2, x3", x: { 1: 3n, 2: 4n, 3: 5n }, want: { 0: 17n } },
    { asm: "madd x0, x1, x2, x3", x: { 1: M64, 2: M64, 3: 1n }, want: { 0: 2n } },
    { asm: "madd w0, w1, w2, w3", x: { 1: G | 0x1_0000n, 2: 0x1_0000n, 3: G | 7n }, want: { 0: 7n } },
    { asm: "msub x0, x1, x2, x3", x: { 1: 3n, 2: 4n, 3: 5n }, want: { 0: M64 - 6n } },
    { asm: "msub w0, w1, w2, w3", x: { 1: 3n, 2: 4n, 3: 5n }, want: { 0: 0xffff_fff9n } },
    { asm: "mul x0, x1, x2", x: { 1: MIN64, 2: 3n }, want: { 0: MIN64 } },
    { asm: "mneg w0, w1, w2", x: { 1: 1n, 2: 1n }, want: { 0: 0xffff_ffffn } },
    { asm: "smaddl x0, w1, w2, x3", x: { 1: G | 0xffff_ffffn, 2: 2n, 3: 10n }, want: { 0: 8n } },
    { asm: "smull x0, w1, w2", x: { 1: 0x8000_0000n, 2: 0x8000_0000n }, want: { 0: 0x4000_0000_0000_0000n } },
    { asm: "smull x0, w1, w2", x: { 1: 0x8000_0000n, 2: 0x7fff_ffffn }, want: { 0: 0xc000_0000_8000_0000n } },
    { asm: "smsubl x0, w1, w2, x3", x: { 1: 0xffff_ffffn, 2: 0xffff_ffffn, 3: 0n }, want: { 0: M64 } },
    { asm: "smnegl x0, w1, w2", x: { 1: 0xffff_fffen, 2: 3n }, want: { 0: 6n } },
    { asm: "umaddl x0, w1, w2, x3", x: { 1: G | 0xffff_ffffn, 2: G | 0xffff_ffffn, 3: 1n }, want: { 0: 0xffff_fffe_0000_0002n } },
    { asm: "umull x0, w1, w2", x: { 1: 0xffff_ffffn, 2: 2n }, want: { 0: 0x1_ffff_fffen } },
    { asm: "umsubl x0, w1, w2, x3", x: { 1: 0xffff_ffffn, 2: 0xffff_ffffn, 3: 0n }, want: { 0: 0x1_ffff_ffffn } },
    { asm: "umnegl x0, w1, w2", x: { 1: 1n, 2: 1n }, want: { 0: M64 } },
    { asm: "umulh x0, x1, x2", x: { 1: M64, 2: M64 }, want: { 0: M64 - 1n } },
    { asm: "umulh x0, x1, x2", x: { 1: MIN64, 2: 2n }, want: { 0: 1n } },
    { asm: "umulh x0, x1, x2", x: { 1: M64, 2: 2n }, want: { 0: 1n } },
    { asm: "umulh x0, x1, x2", x: { 1: 0xffff_ffffn, 2: 0xffff_ffffn }, want: { 0: 0n } },
    { asm: "umulh x0, x1, x2", x: { 1: 0x1_0000_0000n, 2: 0x1_0000_0000n }, want: { 0: 1n } },
    { asm: "smulh x0, x1, x2", x: { 1: M64, 2: M64 }, want: { 0: 0n } },
    { asm: "smulh x0, x1, x2", x: { 1: M64, 2: 1n }, want: { 0: M64 } },
    { asm: "smulh x0, x1, x2", x: { 1: MIN64, 2: MIN64 }, want: { 0: 0x4000_0000_0000_0000n } },
    { asm: "smulh x0, x1, x2", x: { 1: MIN64, 2: M64 }, want: { 0: 0n } },
    { asm: "smulh x0, x1, x2", x: { 1: MIN64, 2: MAX64 }, want: { 0: 0xc000_0000_0000_0000n } },
    { asm: "smulh x0, x1, x2", x: { 1: MAX64, 2: MAX64 }, want: { 0: 0x3fff_ffff_ffff_ffffn } },
  ];
  runRows(rows);
});

test("multiply results agree with a 128-bit reference on random operands", () => {
  let s = 0x1234_5678;
  const r32 = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return BigInt(s >>> 0);
  };
  const sx = (v: bigint) => BigInt.asIntN(64, v);
  const rows: Row[] = [];
  for (let i = 0; i < 24; i++) {
    const a = (r32() << 32n) | r32();
    const b = (r32() << 32n) | r32();
    rows.push({ asm: "umulh x0, x1, x2", x: { 1: a, 2: b }, want: { 0: (a * b) >> 64n } });
    rows.push({ asm: "smulh x0, x1, x2", x: { 1: a, 2: b }, want: { 0: BigInt.asUintN(64, (sx(a) * sx(b)) >> 64n) } });
  }
  runRows(rows);
});

test("CRC32 and CRC32C against the standard check values", () => {
  // "123456789": CRC-32 = 0xCBF43926, CRC-32C = 0xE3069283 (initial value ~0, result inverted).
  const data = { 1: 0x3837_3635_3433_3231n, 2: 0x39n, 3: 0x3433_3231n, 4: 0x3635n, 5: 0x37n, 6: 0x38n };
  const seq = (c: string) => `
    .arch armv8-a+crc
    mov w0, #-1
    crc32${c}x w0, w0, x1
    crc32${c}b w0, w0, w2
    mvn w0, w0
    mov w7, #-1
    crc32${c}w w7, w7, w3
    crc32${c}h w7, w7, w4
    crc32${c}b w7, w7, w5
    crc32${c}b w7, w7, w6
    crc32${c}b w7, w7, w2
    mvn w7, w7`;
  const crc = runSnippet(seq(""), { x: data });
  assert.equal(crc.x(0), 0xcbf4_3926n);
  assert.equal(crc.x(7), 0xcbf4_3926n);
  const crcc = runSnippet(seq("c"), { x: data });
  assert.equal(crcc.x(0), 0xe306_9283n);
  assert.equal(crcc.x(7), 0xe306_9283n);
  const rows: Row[] = [
    // Only the low 8/16/32 bits of the data operand and of the accumulator count.
    { asm: "crc32b w0, w1, w2", x: { 0: M64, 1: G, 2: 0xffff_ff00n }, want: { 0: 0n } },
    { asm: "crc32h w0, w1, w2", x: { 1: G | 0xffff_ffffn, 2: G | 0x3231n }, want: { 0: 0xb0ac_bb32n } },
    { asm: "crc32cw w0, w1, w2", x: { 1: 0xffff_ffffn, 2: G | 0x3433_3231n }, want: { 0: 0x09c5_0b11n } },
    { asm: "crc32cx w0, w1, x2", x: { 1: G, 2: MIN64 }, want: { 0: 0x82f6_3b78n } },
  ];
  runRows(rows, ".arch armv8-a+crc");
});

test("32-bit forms zero the upper half of the destination", () => {
  const init = { 0: M64, 1: 0xffff_ffff_ffff_fff0n, 2: 0xffff_ffff_ffff_ff0fn, 3: 0xffff_ffff_ffff_ffffn };
  const lines = [
    "add w0, w1, w2",
    "sub w0, w1, w2, lsl #3",
    "adds w0, w1, w2",
    "add w0, w1, w2, uxtb",
    "and w0, w1, w2",
    "orr w0, w1, w2",
    "eon w0, w1, w2",
    "bics w0, w1, w2",
    "adc w0, w1, w2",
    "sbc w0, w1, w2",
    "csel w0, w1, w2, eq",
    "csinc w0, w1, w2, ne",
    "csinv w0, w1, w2, ne",
    "csneg w0, w1, w2, ne",
    "rbit w0, w1",
    "rev16 w0, w1",
    "rev w0, w1",
    "clz w0, w1",
    "cls w0, w1",
    "udiv w0, w1, w2",
    "sdiv w0, w1, w2",
    "lsl w0, w1, w2",
    "lsr w0, w1, w2",
    "asr w0, w1, w2",
    "ror w0, w1, w2",
    "madd w0, w1, w2, w3",
    "msub w0, w1, w2, w3",
    "crc32b w0, w1, w2",
    "crc32cw w0, w1, w2",
  ];
  const rows: Row[] = lines.map((asm) => ({ asm, x: init, check: (cpu: Cpu) => assert.equal(cpu.x(0) >> 32n, 0n, asm) }));
  runRows(rows, ".arch armv8-a+crc");
});

test("register 31 is the zero register outside the SP forms", () => {
  const SP = 0x4008_0000n;
  const rows: Row[] = [
    { asm: "orr xzr, x1, x2", sp: SP, x: { 1: 1n, 2: 2n }, want: { sp: SP } },
    { asm: "add xzr, x1, x2", sp: SP, x: { 1: 1n, 2: 2n }, want: { sp: SP } },
    { asm: "add x0, xzr, x2", sp: SP, x: { 2: 2n }, want: { 0: 2n } },
    { asm: "madd x0, x1, x2, xzr", x: { 1: 3n, 2: 4n }, want: { 0: 12n } },
    { asm: "csel x0, xzr, x2, al", x: { 0: 5n, 2: 4n }, want: { 0: 0n } },
    { asm: "udiv x0, x1, xzr", x: { 0: 5n, 1: 4n }, want: { 0: 0n } },
  ];
  runRows(rows);
});

test("reserved encodings are UNDEFINED", () => {
  runRows(
    [
      0x0a42fc20, // and w0, w1, w2, lsr #63: imm6 >= 32 in a 32-bit form
      0x2a0283e0, // orr w0, wzr, w2, lsl #32
      0x0b028020, // add w0, w1, w2, lsl #32
      0x0bc20020, // add w0, w1, w2 with shift type 0b11
      0x8bc20020, // add x0, x1, x2 with shift type 0b11
      0x8b2217e0, // add x0, sp, w2, uxtb #5: imm3 > 4
      0x8b221be0, // imm3 = 6
      0x1ac24c20, // crc32x with sf = 0
      0x9ac24020, // crc32b with sf = 1
      0x5ac00c20, // rev (64-bit opcode) with sf = 0
      0xba42e030, // ccmn with o3 = 1
      0xba42e420, // ccmn with o2 = 1
      0xba820020, // csel with S = 1
      0x9a820820, // csel with op2 = 0b10
      0x9b42fc20, // smulh with o0 = 1
      0x1b220c20, // smaddl with sf = 0
    ].map((word) => ({ word, undef: true })),
  );
});

test("disassembly of every data-processing alias matches objdump", () => {
  // Random words rarely hit alias conditions (Rn = Rm, register 31, cond < 14, SP operands), so
  // each alias and its boundary cases are listed here.
  const lines = [
    "mov x0, x1",
    "mov w0, w1",
    "orr x0, xzr, x1, lsl #1",
    "orr x0, xzr, x1, lsr #0",
    "mvn x0, x1",
    "mvn w0, w1, ror #3",
    "tst x1, x2",
    "tst w1, w2, asr #2",
    "cmp x1, x2",
    "cmp w1, w2, lsl #31",
    "cmn x1, x2, lsr #63",
    "neg x0, x2",
    "neg w0, w2, asr #1",
    "negs x0, x2",
    "subs xzr, xzr, x2",
    "ngc x0, x2",
    "ngcs w0, w2",
    "add x0, sp, w1, uxtw #2",
    "add w0, wsp, w1, uxtw #2",
    "add w0, wsp, w1, uxtx #2",
    "add x0, sp, x1",
    "add sp, x0, x1, uxtx #4",
    "add x0, x1, x2, uxtx #1",
    "add x0, x1, w2, sxtw",
    "sub sp, sp, w1, uxtw",
    "adds x1, sp, x1",
    "cmn sp, x1",
    "cmp sp, w1, uxtw #1",
    "cmp x1, w2, sxtb #4",
    "subs x0, sp, x2, sxtx",
    "cset x0, eq",
    "csinc w0, wzr, wzr, al",
    "csetm w0, ne",
    "cinc x0, x1, lt",
    "cinv w0, w1, hi",
    "cneg x0, x1, pl",
    "csneg x0, xzr, xzr, eq",
    "csinc x0, x1, x1, al",
    "csinc x0, xzr, xzr, nv",
    "csinv x0, x1, x2, vs",
    "ccmp x1, x2, #4, ne",
    "ccmn w1, #31, #15, al",
    "lsl x0, x1, x2",
    "lsr w0, w1, w2",
    "asr x0, x1, x2",
    "ror w0, w1, w2",
    "mul x0, x1, x2",
    "mneg w0, w1, w2",
    "smull x0, w1, w2",
    "smnegl x0, w1, w2",
    "umull x0, w1, w2",
    "umnegl x0, w1, w2",
    "smulh x0, x1, x2",
    "umulh x0, x1, x2",
    "rev x0, x1",
    "rev w0, w1",
    "rev32 x0, x1",
    "rev16 w0, w1",
    "crc32x w0, w1, x2",
    "crc32cb w0, w1, w2",
    // dp_imm
    "asr x0, x1, #63",
    "asr w0, w1, #0",
    "lsl x0, x1, #1",
    "lsl w0, w1, #31",
    "lsr x0, x1, #0",
    "sxtb x0, w1",
    "sxth w0, w1",
    "sxtw x0, w1",
    "uxtb w0, w1",
    "uxth w0, w1",
    "ubfx x0, x1, #0, #8",
    "sbfx x0, x1, #0, #32",
    "sbfiz x0, x1, #1, #63",
    "ubfiz w0, w1, #31, #1",
    "bfi x0, x1, #1, #4",
    "bfxil w0, w1, #0, #32",
    "bfm x0, xzr, #60, #7",
    "bfm x0, xzr, #0, #7",
    "ror x0, x1, #1",
    "extr x0, x1, x2, #63",
    "mov sp, x1",
    "mov x0, sp",
    "mov wsp, #0x1",
    "mov x0, #0xffffffff",
    "orr x0, xzr, #0xffff",
    "mov w0, #0xfffeffff",
    "mov x0, #0xffffffffffff0000",
    ".inst 0x129fffe0", // movn w0, #0xffff
    ".inst 0xd2a00000", // movz x0, #0x0, lsl #16
    "cmp sp, #1",
    "cmn w1, #1, lsl #12",
    "tst x1, #0x1",
  ];
  const words = encode([".arch armv8-a+crc", ...lines]);
  const ref = objdumpWords(words);
  const bad: string[] = [];
  words.forEach((w, i) => {
    const ours = normalizeAsm(disassemble(w, 0x4000_0000n + BigInt(i * 4)));
    if (ours !== ref[i]) bad.push(`${lines[i]} (${w.toString(16)}): ours "${ours}", objdump "${ref[i]}"`);
  });
  assert.deepEqual(bad, []);
});
