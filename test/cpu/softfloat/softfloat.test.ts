// Differential tests of the AssemblyScript soft-float library against real AArch64 FP
// instructions executed under qemu-aarch64. Every op gets seeded random cases under random
// FPCR settings (RMode, FZ, DN, AHP) and preset FPSR flags, plus corner-value cross products;
// results and FPSR cumulative flags must match bit-for-bit.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cornerCases, genFpcr, genOperands, Rng } from "./gen.ts";
import { type Case, Harness, type Result } from "./harness.ts";
import { OPS } from "./ops.ts";

// Defaults keep the run to a few seconds; raise SOFTFLOAT_CASES / change SOFTFLOAT_SEED to soak.
const CASES_PER_OP = Number(process.env.SOFTFLOAT_CASES ?? 1000);
const SEED = Number(process.env.SOFTFLOAT_SEED ?? 0x5eed0000);
const FPSR_MASK = 0x9f;

const harness = new Harness();
const cases = new Map<number, Case[]>();
const oracle = new Map<number, Result[]>();
const wasm = new Map<number, Result[]>();

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

describe("softfloat vs AArch64 (qemu)", () => {
  before(async () => {
    await harness.build();
    const all: Case[] = [];
    for (const op of OPS) {
      const r = new Rng(SEED + op.id * 7919);
      const list: Case[] = [];
      for (let i = 0; i < CASES_PER_OP; i++) {
        const [a, b, c] = genOperands(r, op);
        // Half of the cases start with FPSR.IXC (sometimes more flags) already set, which
        // enables the library's native fast paths.
        const preset = r.chance(0.5) ? 0x10 | (r.chance(0.2) ? r.int(256) & 0x9f : 0) : 0;
        list.push({ op: op.id | (preset << 16), fpcr: genFpcr(r), a, b, c });
      }
      cornerCases(r, op).forEach((k, i) => {
        list.push({ op: op.id | ((i & 1) << 20), ...k });
      });
      if (op.pair === "fma") {
        // Extra fused multiply-adds in the native fast-path regime (RN, FPSR.IXC set).
        for (let i = 0; i < 5000; i++) {
          const [a, b, c] = genOperands(r, op);
          list.push({ op: op.id | (0x10 << 16), fpcr: genFpcr(r) & ~(3 << 22), a, b, c });
        }
      }
      cases.set(op.id, list);
      all.push(...list);
    }
    const input = Harness.encode(all);
    const ref = harness.runOracle(input, all.length);
    const got = harness.runWasm(input, all.length);
    let k = 0;
    for (const op of OPS) {
      const n = cases.get(op.id)?.length ?? 0;
      oracle.set(op.id, ref.slice(k, k + n));
      wasm.set(op.id, got.slice(k, k + n));
      k += n;
    }
  });

  after(() => harness.dispose());

  test("case count", (t) => {
    let total = 0;
    for (const list of cases.values()) total += list.length;
    t.diagnostic(`${OPS.length} ops, ${total} cases`);
    assert.ok(total >= 100_000, `only ${total} cases`);
  });

  for (const op of OPS) {
    test(`${op.name} (op ${op.id})`, () => {
      const list = cases.get(op.id) ?? [];
      const ref = oracle.get(op.id) ?? [];
      const got = wasm.get(op.id) ?? [];
      assert.equal(got.length, list.length);
      const bad: string[] = [];
      for (let i = 0; i < list.length; i++) {
        const k = list[i];
        const e = ref[i];
        const g = got[i];
        if (e.r !== g.r || (e.fpsr & FPSR_MASK) !== (g.fpsr & FPSR_MASK)) {
          bad.push(
            `fpcr=${hex(k.fpcr)} a=${hex(k.a)} b=${hex(k.b)} c=${hex(k.c)}: ` +
              `arm ${hex(e.r)} fpsr ${hex(e.fpsr & FPSR_MASK)}, got ${hex(g.r)} fpsr ${hex(g.fpsr & FPSR_MASK)}`,
          );
        }
      }
      assert.equal(bad.length, 0, `${bad.length}/${list.length} mismatches:\n${bad.slice(0, 8).join("\n")}`);
    });
  }
});
