// npm run bench:fallbacks — which instructions compiled blocks hand to the interpreter, weighted
// by how often they run, in bench:cpu's workload: a top-20 by encoding group and name.
// (Diagnostics for the JIT; the counting wrapper makes the run slower than bench:cpu.)
import { readFileSync } from "node:fs";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { Semihosting } from "../../src/cpu/semihost.ts";
import { OP_NAMES, OP_SOURCES } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { buildWorkload } from "./workload.ts";

const bin = new Uint8Array(readFileSync(buildWorkload().bin));
const cpu = new Cpu({ module: coreModule(), ramSize: 512 << 20 });
const jit = (cpu as unknown as { jit: { core: Record<string, unknown> } }).jit;
const core = jit.core;
const step = core.jitStep as (op: number, w: number, pc: bigint) => number;
const counts = new Map<number, number>();
jit.core = {
  memory: core.memory,
  table: core.table,
  blockEpoch: core.blockEpoch,
  jitStep: (op: number, w: number, pc: bigint) => {
    counts.set(op, (counts.get(op) ?? 0) + 1);
    return step(op, w, pc);
  },
};
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
const total = [...counts.values()].reduce((a, b) => a + b, 0);
console.log(output.trim());
console.log(`fallbacks: insns=${cpu.instret} fallback=${total} (${((100 * total) / Number(cpu.instret)).toFixed(1)}%)`);
for (const [op, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(
    `${String(n).padStart(12)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${OP_SOURCES[op]?.replace(/\.decode:\d+$/, "")}  ${OP_NAMES[op]}`,
  );
