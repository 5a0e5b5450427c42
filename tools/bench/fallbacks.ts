// npm run bench:fallbacks — which instructions compiled blocks hand to the interpreter, weighted
// by how often they run, in bench:cpu's workload: a top-20 by encoding group and name.
// (Diagnostics for the JIT through DORMOUSE_JIT_FALLBACKS, which any run — a Linux boot too —
// can set; the counting wrapper makes the run slower than bench:cpu.)
import { readFileSync } from "node:fs";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { Semihosting } from "../../src/cpu/semihost.ts";
import { fallbackTotal } from "../../src/cpu/jit/jit.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { buildWorkload } from "./workload.ts";

const bin = new Uint8Array(readFileSync(buildWorkload().bin));
if (!process.env.DORMOUSE_JIT_FALLBACKS) {
  console.error("bench:fallbacks: run through npm run bench:fallbacks (it sets DORMOUSE_JIT_FALLBACKS)");
  process.exit(1);
}
const cpu = new Cpu({ module: coreModule(), ramSize: 512 << 20 });
cpu.writePhys(0x4008_0000n, bin);
cpu.pc = 0x4008_0000n;
cpu.setSemihosting(true);
let output = "";
const semi = new Semihosting(cpu, { write: (_s, bytes) => (output += Buffer.from(bytes).toString("latin1")) });
for (;;) {
  const r = cpu.run(10_000_000);
  if (r === ExitReason.Budget) continue;
  if (r !== ExitReason.Semihost) throw new Error(`exit ${r}`);
  if (semi.handle().kind === "exit") break;
}
console.log(output.trim());
const total = fallbackTotal();
console.log(`fallbacks: insns=${cpu.instret} fallback=${total} (${((100 * total) / Number(cpu.instret)).toFixed(2)}%)`);
// The top 20 follows on stderr at exit (src/cpu/jit/jit.ts).
