// The Node host's idle hook: collectGarbage() runs a full (major) collection at once.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { constants, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { setImmediate as tick } from "node:timers/promises";
import { collectGarbage } from "../../src/host/node/gc.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { NODE_FLAGS, dormouseCommand } from "../../src/daemon/locate.ts";
import { repoRoot } from "../support/toolchain.ts";

test("collectGarbage runs a major GC now: an unreachable object is gone, and it is the Node host's idle hook", async () => {
  const entries: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  obs.observe({ entryTypes: ["gc"] });
  // Made in an earlier job than the collection: a WeakRef keeps its target alive only until the
  // job that made it ends.
  const ref = new WeakRef({ payload: new Array(1000).fill(7) });
  await tick();
  collectGarbage();
  assert.equal(ref.deref(), undefined, "collected");
  collectGarbage();
  await tick();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  const major = entries.filter(
    (e) => (e as PerformanceEntry & { detail?: { kind: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
  );
  assert.ok(major.length >= 2, `two major GCs observed (${entries.length} GC entries)`);
  assert.equal(nodeHost().idle, collectGarbage);
});

test("a process that runs a VM starts with V8's memory reducer off: bin/dormouse.mjs's first line and the daemon's VM command give NODE_FLAGS", () => {
  assert.deepEqual(NODE_FLAGS, ["--no-memory-reducer"]);
  const first = readFileSync(join(repoRoot, "bin/dormouse.mjs"), "utf8").split("\n")[0];
  assert.equal(first, `#!/usr/bin/env -S node ${NODE_FLAGS.join(" ")}`);
  assert.deepEqual(dormouseCommand(), [process.execPath, ...NODE_FLAGS, join(repoRoot, "bin/dormouse.mjs")]);
});
