// Debian's arm64 Linux, unmodified, on Dormouse: the end-to-end scenario of npm run e2e:linux
// (test/support/linux-e2e.ts) — boot on two vCPUs with a virtio disk and RNG, CPU hotplug, the
// devices from inside the guest, suspend-to-RAM in place woken by the console, the RTC alarm and
// the power button, and suspend-to-disk through snapshots resumed by further processes (woken by
// the RTC alarm and by SIGUSR1's power button), a changed disk refused. The guest kit is fetched
// from Debian's archive at test time and cached under .cache/guest-kit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { linuxE2e, summaryLine } from "../support/linux-e2e.ts";

test("Linux end to end: boot, hotplug, devices, suspend-to-RAM in place and through snapshots", { timeout: 1_800_000 }, async () => {
  const r = await linuxE2e();
  assert.deepEqual(r.failures, []);
  assert.deepEqual(r.devices, { disk: true, rng: true, watchdog: true, powerButton: true });
  assert.equal(
    summaryLine(r),
    "linux-e2e: boot=ok hotplug=ok suspend_in_place=ok suspend_to_disk=ok wake_sources=console,rtc,power_button checksum=ok",
  );
});
