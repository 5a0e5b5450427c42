// npm run e2e:api — named VMs, the daemon and its API with Debian's Linux
// (test/support/api-e2e.ts). Prints
//   api-e2e: create=ok list=ok start=ok console=ok pause=ok resume=ok suspend=ok wake_reasons=<list> saved=ok hibernated=ok hibernate_resume=ok powerdown=ok sleep_button=ok delete=ok events=ok
// and exits nonzero when a check failed.
import { apiE2e, apiSummary } from "../test/support/api-e2e.ts";

const r = await apiE2e({ log: (m) => process.stderr.write(`e2e: ${m}\n`) });
console.log(apiSummary(r));
for (const f of r.failures) console.error(`e2e: FAILED ${f}`);
process.exitCode = r.failures.length === 0 ? 0 : 1;
