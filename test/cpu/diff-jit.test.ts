// The differential test again with every block compiled by the JIT tier and run compiled from
// its first execution (DORMOUSE_JIT=1: none declined, however little is inline), over the table
// groups the JIT compiles inline (integer, branches, loads and stores, exclusives, the SIMD&FP
// groups it emits, FP ones on guarded fast paths): against qemu-aarch64 the core must agree
// register by register whether it interprets or compiles them, their interpreter fallbacks included.
// Multi-block regions too: a quarter of the instructions after the first are forward branches
// (so every group's sequences have several blocks), a quarter of the cases end in a loop back
// into themselves run 1-3 times (back-edges), and each case runs interpreted once before
// the compared run (tools/diff/dormouse.ts), which then compiles its entry block with the
// case's other blocks as one region: compiled at first sight, a block's successors are not
// decoded yet and no region forms.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { type DiffResult, mismatchReport, oursJitStats, runDiff } from "../../tools/diff/harness.ts";
import { checkOracle } from "../../tools/diff/oracle.ts";

process.env.DORMOUSE_JIT = "1";
const SEED = 20261122;
const PER_GROUP = 800;
const BRANCHES = 0.25;
const LOOPS = 0.25;
const GROUPS = [
  "dp_imm",
  "dp_reg",
  "branch",
  "ldst",
  "ldst_reg",
  "ldst_pair",
  "ldst_fp",
  "simd_int_same",
  "simd_shift",
  "simd_int_copy",
  "simd_int_misc",
  "simd_fp_same",
  "ldst_struct",
  "fp_dp",
  "fp_cvt",
  "ldst_excl",
];

describe("differential execution with every block compiled", () => {
  const results = new Map<string, DiffResult>();
  /** Per group, blocks compiled as non-entry members of a region (given its function). */
  const regionMembers = new Map<string, number>();
  before(() => {
    checkOracle();
    for (const group of GROUPS) {
      const shared = oursJitStats().shared;
      results.set(group, runDiff({ seed: SEED, count: PER_GROUP, group, shrink: 10, branches: BRANCHES, loops: LOOPS }));
      regionMembers.set(group, oursJitStats().shared - shared);
    }
  });

  test("the sequences ran compiled", () => {
    const s = oursJitStats();
    assert.equal(s.errors, 0, "no module failed to build");
    // At least one compiled block per case (the harness's own set-up blocks are mostly declined).
    assert.ok(s.compiled >= PER_GROUP * GROUPS.length, `${s.compiled} blocks compiled, ${s.declined} declined`);
  });

  test("the sequences' blocks ran in multi-block regions, in every group", (t) => {
    const s = oursJitStats();
    const counts = [...regionMembers].map(([g, n]) => `${g} ${n}`).join(", ");
    t.diagnostic(`${s.regionBlocks} blocks compiled in regions, ${s.shared} as non-entry members (${counts})`);
    // Measured: 286-748 per group of 800 cases (a second block the run reached: a branch taken, a B, a loop).
    for (const [group, n] of regionMembers) assert.ok(n >= PER_GROUP / 8, `${group}: ${n} region member blocks compiled (${counts})`);
  });

  for (const group of GROUPS) {
    test(`no mismatch in ${group}, compiled`, () => {
      const r = results.get(group) as DiffResult;
      assert.equal(r.count, PER_GROUP);
      assert.ok(r.mismatches.length === 0, `${r.mismatches.length} of ${PER_GROUP} cases differ:\n\n${mismatchReport(r, SEED, 3)}`);
    });
  }
});
