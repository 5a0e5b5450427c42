// The VM object's lifecycle with Debian's Linux: the scenario of npm run e2e:lifecycle
// (test/support/lifecycle-e2e.ts) — paused save and restore, 20 pause/resume cycles, wake
// reasons, a snapshot while dd writes to a virtio disk continued in a new process, and
// deterministic device timers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { lifecycleE2e, lifecycleSummary } from "../support/lifecycle-e2e.ts";

test("the VM object's lifecycle with Linux: pause, snapshots of paused and running VMs, wake reasons", { timeout: 1_800_000 }, async () => {
  const r = await lifecycleE2e();
  assert.deepEqual(r.failures, []);
  assert.equal(
    lifecycleSummary(r),
    "vm-lifecycle: pause_resume=ok snapshot_running=ok restore_running=ok snapshot_paused=ok io_in_flight=ok wake_reason=ok deterministic_devices=ok",
  );
});
