// npm run test:diff -- --seed N --count M [--group G] [--entry NAME] [--len L] [--show K] [--branches P] [--loops P]
// Differential execution against qemu-aarch64: prints a summary, per-group mismatch counts,
// entries never compared, and reports of the first mismatches (minimal reproducers).
import { parseArgs } from "node:util";
import { objdumpWords } from "../../test/support/objdump.ts";
import { CODE_ADDR, SIGILL } from "./format.ts";
import { mismatchReport, runDiff } from "./harness.ts";
import { checkOracle } from "./oracle.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    count: { type: "string", default: "20000" },
    group: { type: "string" },
    entry: { type: "string" },
    len: { type: "string", default: "8" },
    show: { type: "string", default: "10" },
    shrink: { type: "string", default: "50" },
    raw: { type: "string", default: "0" },
    branches: { type: "string", default: "0" },
    loops: { type: "string", default: "0" },
  },
});

checkOracle();
const seed = Number(values.seed);
const t0 = performance.now();
const r = runDiff({
  seed,
  count: Number(values.count),
  group: values.group,
  entry: values.entry,
  maxLen: Number(values.len),
  shrink: Number(values.shrink),
  raw: Number(values.raw),
  branches: Number(values.branches),
  loops: Number(values.loops),
});
const secs = (ms: number) => (ms / 1000).toFixed(1);
console.log(mismatchReport(r, seed, Number(values.show)));
if (r.mismatches.length) console.log("");
console.log(`cases: ${r.count}; endings: ${[...r.endings].map(([k, v]) => `${k} ${v}`).join(", ")}`);
console.log(`entries compared: ${r.coverage.size}; never compared: ${r.neverCompared.size}`);
for (const [name, why] of r.neverCompared) console.log(`  never compared: ${name} (${why})`);
const least = [...r.coverage].sort((a, b) => a[1] - b[1]).slice(0, 8);
console.log(`least compared: ${least.map(([n, k]) => `${n} ${k}`).join(", ")}`);
for (const [g, n] of [...r.byGroup].sort()) console.log(`  shrunk mismatches involving ${g}: ${n}`);
const unshrunk = r.mismatches.filter((m) => !m.shrunk).length;
if (unshrunk) console.log(`  mismatches not shrunk (past --shrink): ${unshrunk}`);
if (Number(values.raw) > 0) {
  // Raw words qemu executes where Dormouse takes UNDEFINED, by objdump's mnemonic.
  const words: number[] = [];
  for (const m of r.mismatches) {
    const k = Number((m.ours.pc - CODE_ADDR) / 4n);
    if (m.ours.sig === SIGILL && m.ref.sig !== SIGILL && m.case.names[k] === "(raw)") words.push(m.case.code[k]);
  }
  const names = words.length ? objdumpWords(words) : [];
  const byMnemonic = new Map<string, number[]>();
  names.forEach((n, i) => {
    const key = (n ?? "?").split(" ")[0];
    byMnemonic.set(key, [...(byMnemonic.get(key) ?? []), words[i]]);
  });
  console.log(`raw words qemu executes and Dormouse calls UNDEFINED: ${words.length}`);
  for (const [mn, ws] of [...byMnemonic].sort((a, b) => b[1].length - a[1].length)) {
    console.log(
      `  ${mn}: ${ws.length} (e.g. ${ws
        .slice(0, 3)
        .map((w) => w.toString(16).padStart(8, "0"))
        .join(" ")})`,
    );
  }
}
console.log(`time: qemu ${secs(r.oracleMs)} s, dormouse ${secs(r.oursMs)} s, total ${secs(performance.now() - t0)} s`);
console.log(`diff: ${r.count - r.mismatches.length} passed, ${r.mismatches.length} failed`);
process.exit(r.mismatches.length ? 1 : 0);
