// The disassembler against binutils' objdump: random words of every encoding-table entry.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeOp } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { disassemble } from "../../src/cpu/disasm/index.ts";
import { loadTables } from "../../tools/gen-decoder.ts";
import { normalizeAsm, objdumpWords } from "../support/objdump.ts";
import { Rng } from "../support/rng.ts";

const PER_ENTRY = 48;
const entries = loadTables();
const groups = [...new Set(entries.map((e) => e.group))];

for (const group of groups) {
  test(`disassembly of ${group} matches objdump`, () => {
    const rng = new Rng(0xd15a5 ^ group.length);
    const words: number[] = [];
    const names: string[] = [];
    entries.forEach((e, i) => {
      if (e.group !== group || !e.template) return;
      for (let k = 0; k < PER_ENTRY; k++) {
        const w = ((rng.u32() & ~e.mask) | e.value) >>> 0;
        if (decodeOp(w) !== i + 1) continue; // an earlier entry takes this word
        words.push(w);
        names.push(e.name);
      }
    });
    const ref = objdumpWords(words);
    const bad: string[] = [];
    let compared = 0;
    words.forEach((w, i) => {
      if (ref[i] === null) return; // binutils has no disassembly for it (unallocated)
      compared++;
      const pc = 0x4000_0000n + BigInt(i * 4);
      const ours = normalizeAsm(disassemble(w, pc));
      if (ours !== ref[i]) bad.push(`${names[i]} ${w.toString(16).padStart(8, "0")}: ours "${ours}" objdump "${ref[i]}"`);
    });
    assert.ok(compared > 0, `no word of ${group} was compared`);
    assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${compared} differ`);
  });
}
