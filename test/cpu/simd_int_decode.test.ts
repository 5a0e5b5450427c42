// Decoding of the AdvSIMD integer tables: random words of every entry take an UNDEFINED
// exception exactly when binutils has no disassembly for them (unallocated or reserved field
// values), and execute otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeOp } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { loadTables } from "../../tools/gen-decoder.ts";
import { objdumpWords } from "../support/objdump.ts";
import { Rng } from "../support/rng.ts";
import { isUndefined } from "./simd_int_lanes.ts";

const PER_ENTRY = 24;

test("AdvSIMD integer: UNDEFINED exactly where objdump has no disassembly", () => {
  const rng = new Rng(0xdec0de);
  const entries = loadTables();
  const words: number[] = [];
  const names: string[] = [];
  entries.forEach((e, i) => {
    if (!e.group.startsWith("simd_int")) return;
    for (let k = 0; k < PER_ENTRY; k++) {
      const w = ((rng.u32() & ~e.mask) | e.value) >>> 0;
      if (decodeOp(w) !== i + 1) continue;
      words.push(w);
      names.push(e.name);
    }
  });
  const ref = objdumpWords(words);
  const bad: string[] = [];
  let undef = 0;
  words.forEach((w, i) => {
    const u = isUndefined(w);
    if (u) undef++;
    if (u !== (ref[i] === null)) bad.push(`${names[i]} ${w.toString(16).padStart(8, "0")}: UNDEFINED ${u}, objdump "${ref[i]}"`);
  });
  assert.ok(undef > 0 && undef < words.length, `${undef} of ${words.length} undefined`);
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} of ${words.length} differ`);
});
