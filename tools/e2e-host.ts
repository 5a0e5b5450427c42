// npm run e2e:host — the host scenario (test/support/host-e2e.ts): VMs in mixed states through a
// host suspend and a host hibernation driven by the systemd-sleep hook, a daemon on a new boot
// restoring them, a saved VM woken on its RTC alarm. Prints
//   host-e2e: freeze=ok thaw=ok suspended_stay=ok wake_while_frozen=ok watchdog_paused=ok save_all=ok restore_all=ok alarm_wake_saved=ok disk_lock=ok
// and a few measured figures; exits nonzero when a check failed.
import { hostE2e, hostSummary } from "../test/support/host-e2e.ts";

const r = await hostE2e({ log: (m) => process.stderr.write(`e2e: ${m}\n`) });
console.log(hostSummary(r));
console.log(
  `host-e2e-figures: ${Object.entries(r.figures)
    .map(([k, v]) => `${k}=${v.toFixed(k.endsWith("_ms") ? 0 : 2)}`)
    .join(" ")}`,
);
for (const f of r.failures) console.error(`e2e: FAILED ${f}`);
process.exitCode = r.failures.length === 0 ? 0 : 1;
