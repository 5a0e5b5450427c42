// The Node host's idle hook: collectGarbage() runs a full (major) collection at once.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { constants, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { setImmediate as tick } from "node:timers/promises";
import { collectGarbage } from "../../src/host/node/gc.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { NODE_ENV_UNSET, NODE_FLAGS, dormouseCommand, dormouseEnv } from "../../src/daemon/locate.ts";
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

test("a process that runs dormouse starts as bin/dormouse.mjs's first line says: V8's memory reducer off (NODE_FLAGS), NODE_EXTRA_CA_CERTS unset; the daemon's command gives the same", () => {
  assert.deepEqual(NODE_FLAGS, ["--no-memory-reducer"]);
  assert.deepEqual(NODE_ENV_UNSET, ["NODE_EXTRA_CA_CERTS"]);
  const first = readFileSync(join(repoRoot, "bin/dormouse.mjs"), "utf8").split("\n")[0];
  assert.equal(first, `#!/usr/bin/env -S ${NODE_ENV_UNSET.map((v) => `-u ${v}`).join(" ")} node ${NODE_FLAGS.join(" ")}`);
  assert.deepEqual(dormouseCommand(), [process.execPath, ...NODE_FLAGS, join(repoRoot, "bin/dormouse.mjs")]);
  // Node reads NODE_EXTRA_CA_CERTS before any script runs: a file it cannot load is a warning on
  // stderr (here the proof that it was read), which neither way of starting dormouse gives.
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(repoRoot, "no-such-bundle.pem") };
  const warned = (r: { stderr: string }) => /Ignoring extra certs/.test(r.stderr);
  assert.ok(warned(spawnSync(process.execPath, ["-e", "0"], { env, encoding: "utf8" })), "plain node reads the variable");
  const viaShebang = spawnSync(join(repoRoot, "bin/dormouse.mjs"), ["--help"], { env, encoding: "utf8" });
  assert.equal(viaShebang.status, 0, viaShebang.stderr);
  assert.ok(!warned(viaShebang), viaShebang.stderr);
  const [cmd, ...args] = dormouseCommand();
  const viaCommand = spawnSync(cmd, [...args, "--help"], { env: dormouseEnv(env), encoding: "utf8" });
  assert.equal(viaCommand.status, 0, viaCommand.stderr);
  assert.ok(!warned(viaCommand), viaCommand.stderr);
  assert.equal(dormouseEnv(env).NODE_EXTRA_CA_CERTS, undefined);
  assert.equal(dormouseEnv(env).PATH, process.env.PATH);
});
