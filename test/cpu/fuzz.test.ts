// The CPU fuzzer (tools/fuzz-cpu.ts) at CI size: random words at EL0/EL1, MMU on and off, must
// never make Cpu.run() throw or trap on the host.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Cpu } from "../../src/cpu/cpu.ts";
import { fuzzCpu } from "../../tools/diff/fuzz.ts";

const COUNT = 400_000;

test(`${COUNT} random words execute without host errors`, () => {
  const r = fuzzCpu({ count: COUNT, seed: 0xf022 });
  const first = r.hostErrors
    .slice(0, 10)
    .map((e) => `${e.word.toString(16).padStart(8, "0")} at 0x${e.pc.toString(16)} (EL${e.el}, MMU ${e.mmu ? "on" : "off"}): ${e.message}`);
  assert.deepEqual(first, [], `${r.hostErrors.length} host errors`);
  assert.ok(r.executed >= COUNT, `executed only ${r.executed}`);
});

test("a host error escaping run() is caught and reported with its word", () => {
  const run = Cpu.prototype.run;
  let calls = 0;
  Cpu.prototype.run = function (this: Cpu, budget: number) {
    if (++calls === 3) throw new Error("RuntimeError: unreachable");
    return run.call(this, budget);
  };
  try {
    const r = fuzzCpu({ count: 20_000, seed: 5 });
    assert.equal(r.hostErrors.length, 1);
    assert.match(r.hostErrors[0].message, /unreachable/);
  } finally {
    Cpu.prototype.run = run;
  }
});
