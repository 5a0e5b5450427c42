// npm run e2e:debian as a test (test/support/debian-e2e.ts): the disk `dormouse image debian`
// builds (on first use; cached outside the clone) booted on 2 vCPUs directly and through EDK2 —
// login, gdb's hardware watchpoint and single step, suspend by systemctl and by the sleep key
// (each woken by a console key, the reason reported), hibernation and its resume (a file's
// checksum kept), reboot, the power button through logind, poweroff.
import assert from "node:assert/strict";
import { test } from "node:test";
import { debianE2e, summaryLine } from "../support/debian-e2e.ts";

test("debian-e2e: every leg passes", { timeout: 3_600_000 }, async () => {
  const r = await debianE2e({ log: (m) => process.stderr.write(`debian-e2e: ${m}\n`) });
  assert.deepEqual(r.failures, []);
  assert.equal(
    summaryLine(r),
    "debian-e2e: boot=ok login=ok suspend=ok hibernate=ok poweroff=ok reboot=ok power_button=ok sleep_button=ok gdb=ok efi=ok",
  );
  for (const boot of ["direct", "reboot", "efi"]) assert.ok(r.loginSeconds[boot] > 0, `the ${boot} boot's seconds to the login prompt`);
});
