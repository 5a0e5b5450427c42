// Micro-benchmark of the soft-float library (not a test): ns per operation through the test
// entry, for normal operands under RN, with FPSR.IXC preset (native fast paths) and clear.
// Run: npx tsx test/cpu/softfloat/bench.ts

import { fromNumber, Rng } from "./gen.ts";
import { type Case, Harness } from "./harness.ts";
import { OPS } from "./ops.ts";

const N = 100_000;
const h = new Harness();
await h.build();
const rng = new Rng(1);
const names = ["fabs d", "fadd s", "fadd d", "fmul s", "fmul d", "fdiv s", "fdiv d", "fsqrt s", "fsqrt d", "fmadd s", "fmadd d"];
for (const name of names) {
  const op = OPS.find((o) => o.name === name);
  if (!op) throw new Error(name);
  const row: string[] = [];
  for (const [label, fpcr, preset] of [
    ["RN, IXC set", 0, 0x10],
    ["RN, IXC clear", 0, 0],
    ["RZ", 3 << 22, 0x10],
  ] as const) {
    const cases: Case[] = [];
    for (let i = 0; i < N; i++) {
      const v = () => fromNumber(op.a, (1 + rng.int(1 << 20)) / 1024);
      cases.push({ op: op.id | (preset << 16), fpcr, a: v(), b: v(), c: v() });
    }
    row.push(`${label}: ${h.timeWasm(Harness.encode(cases), N, 5).toFixed(1)} ns`);
  }
  console.log(name.padEnd(8), row.join("   "));
}
h.dispose();
