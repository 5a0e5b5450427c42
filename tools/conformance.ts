// npm run conformance: runs every scenario of spec §5 and prints PASS/FAIL per ID.
import { scenarios } from "../test/conformance/index.ts";

let passed = 0;
let failed = 0;
for (const s of scenarios) {
  try {
    await s.run();
    console.log(`PASS ${s.id}`);
    passed++;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    console.log(`FAIL ${s.id}: ${msg}`);
    failed++;
  }
}
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
