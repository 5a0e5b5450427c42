// npm run e2e:linux — the Linux end-to-end scenario (test/support/linux-e2e.ts): boots the guest
// kit's kernel, suspends to RAM in place and through snapshots, and prints
//   linux-e2e: boot=ok hotplug=ok suspend_in_place=ok suspend_to_disk=ok wake_sources=<list> checksum=ok
// Exits nonzero when any stage failed.
import { linuxE2e, summaryLine } from "../test/support/linux-e2e.ts";

const r = await linuxE2e({ log: (m) => process.stderr.write(`e2e: ${m}\n`) });
const ok = (b: boolean | undefined) => (b ? "ok" : "fail");
console.log(
  `linux-e2e-devices: disk=${ok(r.devices.disk)} rng=${ok(r.devices.rng)} watchdog=${ok(r.devices.watchdog)} power_button=${ok(r.devices.powerButton)}`,
);
console.log(summaryLine(r));
for (const f of r.failures) console.error(`e2e: FAILED ${f}`);
process.exitCode = r.failures.length === 0 ? 0 : 1;
