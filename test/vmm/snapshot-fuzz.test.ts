// npm run fuzz:snapshot with a fixed seed: 600 mutations of a real snapshot (checksum
// recomputed), each resumed with a budget of host slices; none may end in a stack trace or a hang.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/toolchain.ts";

const COUNT = 600;

test(`snapshot fuzz: ${COUNT} mutated snapshots resume or fail with a clear error`, { timeout: 1_800_000 }, () => {
  const r = spawnSync("npx", ["tsx", join(repoRoot, "tools/fuzz-snapshot.ts"), "--count", String(COUNT), "--seed", "1"], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 1_700_000,
  });
  const line = /^snapshot-fuzz: cases=(\d+) clear_errors=(\d+) resumed=(\d+) stack_traces=(\d+) hangs=(\d+)$/m.exec(r.stdout);
  assert.ok(line, `no summary line: ${r.stdout}\n${r.stderr}`);
  const [cases, clear, resumed, stacks, hangs] = line.slice(1).map(Number);
  assert.equal(stacks, 0, r.stderr);
  assert.equal(hangs, 0, r.stderr);
  assert.equal(cases, COUNT);
  assert.equal(clear + resumed, COUNT);
  // Both paths are exercised: most mutations are refused, and a fair share resume and run.
  assert.ok(clear > COUNT / 4 && resumed > COUNT / 10, line[0]);
  assert.equal(r.status, 0, r.stderr);
});
