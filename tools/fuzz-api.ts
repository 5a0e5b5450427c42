// npm run fuzz:api [-- --count N --seed S] — random and malformed requests against a daemon with
// running VMs (test/support/api-fuzz.ts). Prints
//   api-fuzz: requests=100000 s2xx=… s4xx=… s5xx=0 no_answer=… daemon=alive vms_intact=ok seconds=…
// and exits nonzero when an answer was a 5xx, the daemon died or a kept VM changed.
import { parseArgs } from "node:util";
import { fuzzApi, fuzzSummary } from "../test/support/api-fuzz.ts";

const { values } = parseArgs({ options: { count: { type: "string", default: "100000" }, seed: { type: "string", default: "11" } } });
const r = await fuzzApi({ count: Number(values.count), seed: Number(values.seed), log: (m) => process.stderr.write(`fuzz: ${m}\n`) });
console.log(fuzzSummary(r));
for (const p of r.problems) console.error(`fuzz: ${p}`);
process.exitCode = r.s5xx === 0 && r.daemonAlive && r.vmsIntact ? 0 : 1;
