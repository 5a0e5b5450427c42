// npm run e2e:debian — the Debian end-to-end scenario (test/support/debian-e2e.ts): the disk
// `dormouse image debian` builds, on 2 vCPUs, booted directly and through EDK2; prints
//   debian-e2e: boot=ok login=ok suspend=ok hibernate=ok poweroff=ok reboot=ok power_button=ok sleep_button=ok gdb=ok efi=ok
// and the seconds to each login prompt. Exits nonzero when any leg failed.
import { debianE2e, summaryLine } from "../test/support/debian-e2e.ts";

const t0 = Date.now();
// DORMOUSE_E2E_BOOTS=1,3 runs only those boots (1: direct, 2: resume and reboot, which needs 1; 3: UEFI).
const boots = process.env.DORMOUSE_E2E_BOOTS?.split(",").map(Number);
const r = await debianE2e({ log: (m) => process.stderr.write(`e2e: ${m}\n`), boots });
const s = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(1));
console.log(
  `debian-e2e-times: login_direct_s=${s(r.loginSeconds.direct)} login_reboot_s=${s(r.loginSeconds.reboot)} login_efi_s=${s(r.loginSeconds.efi)} total_s=${((Date.now() - t0) / 1000).toFixed(0)}`,
);
console.log(summaryLine(r));
for (const f of r.failures) console.error(`e2e: FAILED ${f}`);
process.exitCode = r.failures.length === 0 ? 0 : 1;
