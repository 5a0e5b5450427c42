// Data processing -- immediate (src/cpu/decode/dp_imm.decode): table-driven semantics.
// Expected values were cross-checked against qemu-aarch64 (qemu-user 7.2, -cpu cortex-a57).
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Row, runRows } from "../support/insn-rows.ts";
import { CODE_BASE, runSnippet } from "../support/snippet.ts";

const M64 = 0xffff_ffff_ffff_ffffn;
const MIN64 = 0x8000_0000_0000_0000n;
const MAX64 = 0x7fff_ffff_ffff_ffffn;
const G = 0xdead_beef_0000_0000n; // garbage for the upper half of 32-bit operands
const SP = 0x4008_0000n;

test("ADR and ADRP are PC-relative", () => {
  const cpu = runSnippet(`
    nop
    adr x0, .
    adr x1, . + 0xffffc
    adr x2, . - 0x100000
    adrp x3, .
    adrp x4, . + 0x7ffff000
    adrp x5, . - 0x80000000
    adr xzr, .`);
  assert.equal(cpu.x(0), CODE_BASE + 4n);
  assert.equal(cpu.x(1), CODE_BASE + 8n + 0xffffcn);
  assert.equal(cpu.x(2), CODE_BASE + 12n - 0x100000n);
  assert.equal(cpu.x(3), CODE_BASE);
  assert.equal(cpu.x(4), CODE_BASE + 0x7fff_f000n);
  assert.equal(cpu.x(5), BigInt.asUintN(64, CODE_BASE - 0x8000_0000n));
});

test("add/sub (immediate): flags, shifted immediates, SP operands", () => {
  const rows: Row[] = [
    { asm: "add x0, x1, #0xfff", x: { 1: 1n }, nzcv: "NZCV", want: { 0: 0x1000n }, flags: "NZCV" },
    { asm: "add x0, x1, #1, lsl #12", x: { 1: M64 }, want: { 0: 0xfffn } },
    { asm: "add w0, w1, #1", x: { 0: M64, 1: G | 0xffff_ffffn }, want: { 0: 0n } },
    { asm: "sub w0, w1, #0xfff, lsl #12", x: { 1: 0n }, want: { 0: 0xff00_1000n } },
    { asm: "adds x0, x1, #1", x: { 1: M64 }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "adds x0, x1, #1", x: { 1: MAX64 }, want: { 0: MIN64 }, flags: "NzcV" },
    { asm: "adds w0, w1, #1", x: { 1: G | 0x7fff_ffffn }, want: { 0: 0x8000_0000n }, flags: "NzcV" },
    { asm: "adds w0, w1, #1", x: { 1: 0xffff_ffffn }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "subs x0, x1, #1", x: { 1: 0n }, want: { 0: M64 }, flags: "Nzcv" },
    { asm: "subs x0, x1, #1", x: { 1: MIN64 }, want: { 0: MAX64 }, flags: "nzCV" },
    { asm: "subs w0, w1, #1", x: { 1: G | 0x8000_0000n }, want: { 0: 0x7fff_ffffn }, flags: "nzCV" },
    { asm: "subs w0, w1, #0", x: { 1: G }, want: { 0: 0n }, flags: "nZCv" },
    { asm: "cmp x1, #1, lsl #12", x: { 1: 0x1000n }, flags: "nZCv" },
    { asm: "cmp w1, #2", x: { 1: 1n }, flags: "Nzcv" },
    { asm: "cmn x1, #1", x: { 1: M64 }, flags: "nZCv" },
    { asm: "cmn w1, #0xfff", x: { 1: 0x7fff_f001n }, flags: "NzcV" },
    // SP forms.
    { asm: "add sp, sp, #16", sp: SP, want: { sp: SP + 16n } },
    { asm: "sub sp, sp, #1, lsl #12", sp: SP, want: { sp: SP - 0x1000n } },
    { asm: "mov x0, sp", sp: SP, want: { 0: SP } },
    { asm: "mov sp, x1", sp: SP, x: { 1: 0x1234n }, want: { sp: 0x1234n } },
    { asm: "add wsp, w1, #1", sp: SP, x: { 1: G | 0xffff_fff0n }, want: { sp: 0xffff_fff1n } },
    { asm: "add w0, wsp, #0", sp: 0x1_8000_0000n, want: { 0: 0x8000_0000n } },
    { asm: "adds x0, sp, #1", sp: M64, want: { 0: 0n, sp: M64 }, flags: "nZCv" },
    { asm: "cmp sp, #0x10", sp: 0x10n, flags: "nZCv" },
    { asm: "subs xzr, sp, #1", sp: 0n, want: { sp: 0n }, flags: "Nzcv" },
    { asm: "cmn wsp, #1", sp: 0xffff_ffffn, flags: "nZCv" },
  ];
  runRows(rows);
});

test("logical (immediate): bitmask immediates, flags, SP destinations", () => {
  const rows: Row[] = [
    { asm: "and x0, x1, #0xff", x: { 1: 0x1234n }, want: { 0: 0x34n } },
    { asm: "and x0, x1, #0x5555555555555555", x: { 1: M64 }, want: { 0: 0x5555_5555_5555_5555n } },
    { asm: "and x0, x1, #0xfffffffffffffffe", x: { 1: M64 }, want: { 0: M64 - 1n } },
    { asm: "and w0, w1, #0x80000001", x: { 0: M64, 1: M64 }, want: { 0: 0x8000_0001n } },
    { asm: "orr x0, x1, #0x8000000000000000", x: { 1: 1n }, want: { 0: MIN64 | 1n } },
    { asm: "orr w0, w1, #0xf0f0f0f0", x: { 1: G | 0x0f0f_0f0fn }, want: { 0: 0xffff_ffffn } },
    { asm: "eor x0, x1, #0x3333333333333333", x: { 1: M64 }, want: { 0: 0xcccc_cccc_cccc_ccccn } },
    { asm: "eor w0, w1, #0xffff0000", x: { 1: G | 0xffffn }, want: { 0: 0xffff_ffffn } },
    { asm: "mov x0, #0x00ff00ff00ff00ff", want: { 0: 0x00ff_00ff_00ff_00ffn } },
    { asm: "ands x0, x1, #0x8000000000000000", x: { 1: M64 }, nzcv: "nzCV", want: { 0: MIN64 }, flags: "Nzcv" },
    { asm: "ands x0, x1, #1", x: { 1: 2n }, nzcv: "NzCV", want: { 0: 0n }, flags: "nZcv" },
    { asm: "ands w0, w1, #0x80000000", x: { 1: M64 }, want: { 0: 0x8000_0000n }, flags: "Nzcv" },
    { asm: "tst w1, #0x80000000", x: { 1: 0xffff_ffff_7fff_ffffn }, nzcv: "NzCV", flags: "nZcv" },
    { asm: "tst x1, #0xffff00000000", x: { 1: 0x1_0000_0000n }, flags: "nzcv" },
    // AND/ORR/EOR write SP when Rd is 31; ANDS writes ZR.
    { asm: "and sp, x1, #0xfffffffffffffff0", sp: SP, x: { 1: 0x1237n }, want: { sp: 0x1230n } },
    { asm: "orr wsp, w1, #0xf", sp: SP, x: { 1: G | 0x10n }, want: { sp: 0x1fn } },
    { asm: "eor sp, x1, #1", sp: SP, x: { 1: 0x10n }, want: { sp: 0x11n } },
    { asm: "ands xzr, x1, #1", sp: SP, x: { 1: 1n }, want: { sp: SP }, flags: "nzcv" },
    { asm: "and x0, xzr, #1", x: { 0: 5n }, want: { 0: 0n } },
  ];
  runRows(rows);
});

test("move wide: MOVN, MOVZ, MOVK in both sizes", () => {
  const rows: Row[] = [
    { asm: "movz x0, #0xffff, lsl #48", x: { 0: 5n }, want: { 0: 0xffff_0000_0000_0000n } },
    { asm: "movz w0, #0x1234, lsl #16", x: { 0: M64 }, want: { 0: 0x1234_0000n } },
    { asm: "movn x0, #0", want: { 0: M64 } },
    { asm: "movn x0, #0x1234, lsl #32", want: { 0: 0xffff_edcb_ffff_ffffn } },
    { asm: "movn w0, #0", x: { 0: 0n }, want: { 0: 0xffff_ffffn } },
    { asm: "movn w0, #1, lsl #16", want: { 0: 0xfffe_ffffn } },
    { asm: "movk x0, #0x1234, lsl #48", x: { 0: M64 }, want: { 0: 0x1234_ffff_ffff_ffffn } },
    { asm: "movk x0, #0", x: { 0: M64 }, want: { 0: 0xffff_ffff_ffff_0000n } },
    { asm: "movk w0, #0xabcd, lsl #16", x: { 0: 0x1111_2222_3333_4444n }, want: { 0: 0xabcd_4444n } },
    { asm: "movz xzr, #1", sp: SP, want: { sp: SP } },
  ];
  runRows(rows);
});

test("bitfield moves: shifts by immediate at 0, 31, 32, 63", () => {
  const rows: Row[] = [
    { asm: "lsl x0, x1, #63", x: { 1: 3n }, want: { 0: MIN64 } },
    { asm: "lsl x0, x1, #32", x: { 1: 0x1_ffff_ffffn }, want: { 0: 0xffff_ffff_0000_0000n } },
    { asm: "lsl x0, x1, #1", x: { 1: M64 }, want: { 0: M64 - 1n } },
    { asm: "lsl w0, w1, #31", x: { 0: M64, 1: 3n }, want: { 0: 0x8000_0000n } },
    { asm: "lsl w0, w1, #0", x: { 1: G | 5n }, want: { 0: 5n } },
    { asm: "lsr x0, x1, #63", x: { 1: MIN64 }, want: { 0: 1n } },
    { asm: "lsr x0, x1, #32", x: { 1: MIN64 }, want: { 0: 0x8000_0000n } },
    { asm: "lsr x0, x1, #0", x: { 1: MIN64 }, want: { 0: MIN64 } },
    { asm: "lsr w0, w1, #31", x: { 1: G | 0x8000_0000n }, want: { 0: 1n } },
    { asm: "asr x0, x1, #63", x: { 1: MIN64 }, want: { 0: M64 } },
    { asm: "asr x0, x1, #32", x: { 1: MIN64 }, want: { 0: 0xffff_ffff_8000_0000n } },
    { asm: "asr x0, x1, #1", x: { 1: MAX64 }, want: { 0: 0x3fff_ffff_ffff_ffffn } },
    { asm: "asr w0, w1, #31", x: { 1: 0x8000_0000n }, want: { 0: 0xffff_ffffn } },
    { asm: "asr w0, w1, #4", x: { 1: G | 0x8000_0000n }, want: { 0: 0xf800_0000n } },
    { asm: "asr w0, w1, #0", x: { 1: G | 0x8000_0000n }, want: { 0: 0x8000_0000n } },
  ];
  runRows(rows);
});

test("bitfield moves: extends, extracts, inserts", () => {
  const rows: Row[] = [
    { asm: "sxtb x0, w1", x: { 1: 0x180n }, want: { 0: 0xffff_ffff_ffff_ff80n } },
    { asm: "sxtb w0, w1", x: { 1: 0x80n }, want: { 0: 0xffff_ff80n } },
    { asm: "sxth x0, w1", x: { 1: 0x7fffn }, want: { 0: 0x7fffn } },
    { asm: "sxth w0, w1", x: { 1: G | 0x8000n }, want: { 0: 0xffff_8000n } },
    { asm: "sxtw x0, w1", x: { 1: G | 0x8000_0000n }, want: { 0: 0xffff_ffff_8000_0000n } },
    { asm: "uxtb w0, w1", x: { 0: M64, 1: M64 }, want: { 0: 0xffn } },
    { asm: "uxth w0, w1", x: { 1: M64 }, want: { 0: 0xffffn } },
    { asm: "sbfx x0, x1, #4, #8", x: { 1: 0x800n }, want: { 0: M64 - 0x7fn } },
    { asm: "sbfx x0, x1, #60, #4", x: { 1: 0x7000_0000_0000_0000n }, want: { 0: 7n } },
    { asm: "sbfx w0, w1, #28, #4", x: { 1: 0x8000_0000n }, want: { 0: 0xffff_fff8n } },
    { asm: "ubfx x0, x1, #60, #4", x: { 1: M64 }, want: { 0: 0xfn } },
    { asm: "ubfx x0, x1, #1, #63", x: { 1: M64 }, want: { 0: MAX64 } },
    { asm: "ubfx w0, w1, #8, #8", x: { 1: G | 0x1234_5678n }, want: { 0: 0x56n } },
    { asm: "sbfiz x0, x1, #60, #4", x: { 1: 0xfn }, want: { 0: 0xf000_0000_0000_0000n } },
    { asm: "sbfiz x0, x1, #4, #8", x: { 1: 0x80n }, want: { 0: 0xffff_ffff_ffff_f800n } },
    { asm: "sbfiz w0, w1, #1, #31", x: { 1: 0x4000_0000n }, want: { 0: 0x8000_0000n } },
    { asm: "ubfiz x0, x1, #32, #32", x: { 1: M64 }, want: { 0: 0xffff_ffff_0000_0000n } },
    { asm: "ubfiz w0, w1, #28, #4", x: { 1: 0xffn }, want: { 0: 0xf000_0000n } },
    { asm: "bfi x0, x1, #8, #16", x: { 0: M64, 1: 0x1234n }, want: { 0: 0xffff_ffff_ff12_34ffn } },
    { asm: "bfi x0, x1, #63, #1", x: { 0: 0n, 1: 1n }, want: { 0: MIN64 } },
    { asm: "bfi w0, w1, #31, #1", x: { 0: G | 0x1n, 1: 1n }, want: { 0: 0x8000_0001n } },
    { asm: "bfxil x0, x1, #4, #8", x: { 0: M64, 1: 0x120n }, want: { 0: 0xffff_ffff_ffff_ff12n } },
    { asm: "bfxil x0, x1, #0, #64", x: { 0: M64, 1: 0x1234n }, want: { 0: 0x1234n } },
    { asm: "bfxil w0, w1, #0, #32", x: { 0: M64, 1: G | 0x1234n }, want: { 0: 0x1234n } },
    { asm: "bfxil w0, w1, #16, #16", x: { 0: M64, 1: 0xabcd_0000n }, want: { 0: 0xffff_abcdn } },
    { asm: "bfm x0, xzr, #60, #7", x: { 0: M64 }, want: { 0: M64 ^ 0xff0n } }, // bfc x0, #4, #8
    { asm: "bfm x0, x1, #0, #63", x: { 0: 5n, 1: 6n }, want: { 0: 6n } },
  ];
  runRows(rows);
});

test("EXTR and ROR (immediate)", () => {
  const rows: Row[] = [
    { asm: "extr x0, x1, x2, #0", x: { 1: 0x1111n, 2: 0x2222n }, want: { 0: 0x2222n } },
    { asm: "extr x0, x1, x2, #63", x: { 1: 1n, 2: MIN64 }, want: { 0: 3n } },
    { asm: "extr x0, x1, x2, #32", x: { 1: 0x1111_2222_3333_4444n, 2: 0x5555_6666_7777_8888n }, want: { 0: 0x3333_4444_5555_6666n } },
    { asm: "extr w0, w1, w2, #0", x: { 0: M64, 1: 0x1111n, 2: G | 0x2222n }, want: { 0: 0x2222n } },
    { asm: "extr w0, w1, w2, #31", x: { 1: G | 1n, 2: 0x8000_0000n }, want: { 0: 3n } },
    { asm: "extr w0, w1, w2, #16", x: { 1: 0x1111_2222n, 2: 0x3333_4444n }, want: { 0: 0x2222_3333n } },
    { asm: "ror x0, x1, #1", x: { 1: 1n }, want: { 0: MIN64 } },
    { asm: "ror w0, w1, #8", x: { 1: G | 0x1234_5678n }, want: { 0: 0x7812_3456n } },
  ];
  runRows(rows);
});

test("reserved encodings are UNDEFINED", () => {
  runRows(
    [
      0x12400000, // and w0, w0, #imm with N = 1 in a 32-bit form
      0x9200fc00, // and x0, x0: N = 0, imms = 0b111111 (no element size)
      0x9200f400, // and x0, x0: imms = 0b111101 (all-ones 2-bit element)
      0x7240f800, // ands w0 with N = 1
      0x52c00000, // movz w0, #0, lsl #32
      0x12e00000, // movn w0, #0, lsl #48
      0x72c00000, // movk w0, #0, lsl #32
      0x13400000, // sbfm w0, w0, #0, #0 with N = 1
      0x93000000, // sbfm x0, x0, #0, #0 with N = 0
      0x13200000, // sbfm w0, w0, #32, #0 (immr >= 32)
      0x53008000, // ubfm w0, w0, #0, #32 (imms >= 32)
      0x33200000, // bfm w0, w0, #32, #0
      0xb3000000, // bfm x0, x0 with N = 0
      0x13808000, // extr w0, w0, w0, #32
      0x93800000, // extr x0, x0, x0 with N = 0
      0x13c00000, // extr w0 with N = 1
    ].map((word) => ({ word, undef: true })),
  );
});
