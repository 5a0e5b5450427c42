// npm run e2e:host as a test (test/support/host-e2e.ts): VMs in mixed states through a host
// suspend and a host hibernation by the systemd-sleep hook, a daemon on a new boot restoring
// them, a saved VM woken on its RTC alarm, and a disk image two VMs cannot share.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HOST_CHECKS, hostE2e, hostSummary } from "../support/host-e2e.ts";

test("host-e2e: every check passes", async () => {
  const r = await hostE2e();
  assert.deepEqual(r.failures, []);
  assert.equal(hostSummary(r), `host-e2e: ${HOST_CHECKS.map((c) => `${c}=ok`).join(" ")}`);
});
