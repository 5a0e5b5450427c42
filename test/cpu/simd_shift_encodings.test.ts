// Every control-field combination of the shift-by-immediate, three-different and by-element
// classes (vector and scalar), with random registers, against binutils: the words objdump knows
// as these instructions decode to our entries, disassemble identically and execute; the reserved
// ones objdump rejects are UNDEFINED. The 64-bit PMULL (Crypto, not implemented) is UNDEFINED too.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { decodeOp, OP_SOURCES } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { disassemble } from "../../src/cpu/disasm/index.ts";
import { normalizeAsm, objdumpWords } from "../support/objdump.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu } from "../support/snippet.ts";

const MINE = /^simd_(shift|long|elem)\.decode:/;

/** Every word of the six classes over their control fields. */
function classWords(rng: Rng): number[] {
  const words: number[] = [];
  const regs = () => rng.u32() & 0x3ff;
  for (let c = 0; c < 1 << 14; c++) {
    // shift by immediate: 0 Q U 011110 immh immb opcode 1 Rn Rd; scalar: 01 U 111110 ...
    const q = c >> 13;
    const rest = (((c >> 12) & 1) << 29) | ((c & 0xfff) << 11) | (1 << 10);
    words.push(((q << 30) | (0b011110 << 23) | rest | regs()) >>> 0);
    if (!q) words.push(((1 << 30) | (0b111110 << 23) | rest | regs()) >>> 0);
  }
  for (let c = 0; c < 1 << 8; c++) {
    // three different: 0 Q U 01110 size 1 Rm opcode 00 Rn Rd; scalar: 01 U 11110 ...
    const q = c >> 7;
    const u = (c >> 6) & 1;
    const size = (c >> 4) & 3;
    const op = c & 15;
    for (let k = 0; k < 2; k++) {
      const body = (u << 29) | (size << 22) | (1 << 21) | ((rng.u32() & 31) << 16) | (op << 12) | regs();
      words.push(((q << 30) | (0b01110 << 24) | body) >>> 0);
      if (!q) words.push(((1 << 30) | (0b11110 << 24) | body) >>> 0);
    }
  }
  for (let c = 0; c < 1 << 11; c++) {
    // by element: 0 Q U 01111 size L M Rm opcode H 0 Rn Rd; scalar: 01 U 11111 ...
    const q = c >> 10;
    const body =
      (((c >> 9) & 1) << 29) | (((c >> 5) & 15) << 20) | ((rng.u32() & 15) << 16) | (((c >> 1) & 15) << 12) | ((c & 1) << 11) | regs();
    words.push(((q << 30) | (0b01111 << 24) | body) >>> 0);
    if (!q) words.push(((1 << 30) | (0b11111 << 24) | body) >>> 0);
  }
  return words;
}

test("shift/long/element encodings: decode, disassembly and UNDEFINED agree with binutils", () => {
  const all = classWords(new Rng(0x5eed));
  const mine = all.filter((w) => MINE.test(OP_SOURCES[decodeOp(w)]));
  const ref = objdumpWords(all);
  const refOf = new Map(all.map((w, i) => [w, ref[i]]));
  const bad: string[] = [];
  // Words binutils knows as one of our mnemonics must be ours (no encoding left undecoded).
  const ours = new Set(mine);
  const ourMnemonics = new Set(mine.map((w) => normalizeAsm(disassemble(w)).split(" ")[0]));
  for (const [i, w] of all.entries()) {
    const r = ref[i];
    if (r && !ours.has(w) && ourMnemonics.has(r.split(" ")[0]) && decodeOp(w) === 0) bad.push(`${w.toString(16)} "${r}" is not decoded`);
  }
  const cpu = freshCpu();
  cpu.setSysreg(0xc600, 0x4008_0000n); // VBAR_EL1: every vector holds an HVC
  const hvc = new Uint8Array([0x02, 0x00, 0x00, 0xd4]);
  for (let off = 0; off < 0x800; off += 0x80) cpu.writePhys(0x4008_0000n + BigInt(off), hvc);
  const code = new Uint8Array(8);
  const dv = new DataView(code.buffer);
  code.set(hvc, 4);
  let executed = 0;
  let undefined_ = 0;
  for (const w of mine) {
    const r = refOf.get(w) ?? null;
    const pmull64 = r?.startsWith("pmull") && r.includes(".1q");
    if (r !== null && normalizeAsm(disassemble(w)) !== r) bad.push(`${w.toString(16)}: ours "${disassemble(w)}" objdump "${r}"`);
    dv.setUint32(0, w, true);
    cpu.writePhys(CODE_BASE, code);
    cpu.flushCaches();
    cpu.pc = CODE_BASE;
    cpu.pstate = 0x3c5;
    const before = cpu.undefCount;
    const exit = cpu.run(10);
    const undef = cpu.undefCount !== before;
    if (exit !== ExitReason.Hvc) bad.push(`${w.toString(16)}: exit ${exit}`);
    else if (undef !== (r === null || !!pmull64)) bad.push(`${w.toString(16)} (${r}): undefined=${undef}`);
    if (undef) undefined_++;
    else executed++;
  }
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} problems`);
  assert.ok(executed > 5000 && undefined_ > 1000, `${executed} executed, ${undefined_} undefined`);
});
