// A short run of the API fuzzer (npm run fuzz:api runs 10^5): random and malformed requests
// leave the daemon serving, answer no 5xx, and leave the running VMs as they were.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzApi } from "../support/api-fuzz.ts";

test("3,000 fuzzed requests: no 5xx, the daemon serving, every kept VM intact", { timeout: 600_000 }, async () => {
  const r = await fuzzApi({ count: 3000, seed: 5 });
  assert.deepEqual(r.problems, []);
  assert.equal(r.s5xx, 0);
  assert.ok(r.daemonAlive);
  assert.ok(r.vmsIntact);
  assert.equal(r.requests, 3000);
  assert.ok(r.s4xx > r.s2xx, "most fuzzed requests are refused");
});
