// npm run e2e:api as a test (test/support/api-e2e.ts): a guest kit VM created, listed, started,
// driven and deleted through the daemon's API and CLI — its console, pause and resume,
// suspend-to-RAM woken by every source with its reason, the power and sleep buttons, saved and
// woken from its file, and hibernated on a virtio swap disk across daemon restarts, then
// resumed by Linux with its console taking input — with every event seen on GET /events.
import assert from "node:assert/strict";
import { test } from "node:test";
import { API_CHECKS, apiE2e, apiSummary, WAKE_SOURCES } from "../support/api-e2e.ts";

test("api-e2e: every check passes, each wake source reported as the reason", { timeout: 1_800_000 }, async () => {
  const r = await apiE2e();
  assert.deepEqual(r.failures, []);
  const ok = (cs: readonly string[]) => cs.map((c) => `${c}=ok`).join(" ");
  const at = API_CHECKS.indexOf("saved");
  assert.equal(apiSummary(r), `api-e2e: ${ok(API_CHECKS.slice(0, at))} wake_reasons=${WAKE_SOURCES.join(",")} ${ok(API_CHECKS.slice(at))}`);
});
