// npm run fuzz:cpu -- [--count N] [--seed S]
// Executes random instruction words on the CPU core (EL0 and EL1, MMU on and off, faults skipped)
// and counts host errors (JavaScript exceptions, wasm traps). Prints exactly
// "cpu-fuzz: executed=<n> host_errors=<m>" and exits non-zero when m > 0, after listing the
// first offending words.
import { parseArgs } from "node:util";
import { disassemble } from "../src/cpu/disasm/index.ts";
import { fuzzCpu } from "./diff/fuzz.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "10000000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
  },
});
const seed = Number(values.seed);
const r = fuzzCpu({ count: Number(values.count), seed });
console.log(`cpu-fuzz: executed=${r.executed} host_errors=${r.hostErrors.length}`);
if (r.hostErrors.length) {
  console.error(`seed ${seed}; first offending words:`);
  for (const e of r.hostErrors.slice(0, 20)) {
    const w = e.word.toString(16).padStart(8, "0");
    console.error(`  ${w} ${disassemble(e.word)} at pc 0x${e.pc.toString(16)} (EL${e.el}, MMU ${e.mmu ? "on" : "off"}): ${e.message}`);
  }
  process.exit(1);
}
