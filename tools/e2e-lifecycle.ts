// npm run e2e:lifecycle — the VM object's lifecycle with Debian's Linux
// (test/support/lifecycle-e2e.ts). Prints
//   vm-lifecycle: pause_resume=ok snapshot_running=ok restore_running=ok snapshot_paused=ok io_in_flight=ok wake_reason=ok deterministic_devices=ok
// and the measured pause latency and running-snapshot time; exits nonzero when a check failed.
import { lifecycleE2e, lifecycleSummary } from "../test/support/lifecycle-e2e.ts";

const r = await lifecycleE2e({ log: (m) => process.stderr.write(`e2e: ${m}\n`) });
console.log(lifecycleSummary(r));
console.log(
  `vm-lifecycle-figures: ${Object.entries(r.figures)
    .map(([k, v]) => `${k}=${v.toFixed(k.endsWith("_ms") ? 1 : 2)}`)
    .join(" ")}`,
);
for (const f of r.failures) console.error(`e2e: FAILED ${f}`);
process.exitCode = r.failures.length === 0 ? 0 : 1;
