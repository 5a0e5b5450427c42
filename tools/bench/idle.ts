// npm run bench:idle — keeps a SUSPENDED guest with no wake source for 5 s and prints the host
// CPU the Dormouse process used meanwhile:  idle-bench: host_cpu_percent=<p>
import { readFileSync } from "node:fs";
import { VirtBoard } from "../../src/machine/board.ts";
import { Vmm } from "../../src/vmm/vmm.ts";
import { buildGuest } from "../../test/support/guests.ts";
import { nodeHost } from "../../src/host/node/index.ts";

const SECONDS = 5;
const board = new VirtBoard({ host: nodeHost(), cpus: 2, ramSize: 64 << 20, psciConduit: "hvc", systemSuspend: true, output: () => {} });
board.load(readFileSync(buildGuest("suspend", { VARIANT: 3 })));
board.boot();
const suspended = new Promise<void>((resolve) => {
  const vmm = new Vmm(board, {
    onSuspend: "honour",
    log: (m) => {
      if (m.includes("suspended")) resolve();
    },
  });
  vmm.run().then((o) => {
    console.error(`bench:idle: the guest stopped (${o.kind}) before it suspended`);
    process.exit(1);
  });
});
await suspended;
// Let V8 finish compiling the core in the background before measuring the idle VM.
await new Promise((r) => setTimeout(r, 1000));
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const cpu = process.cpuUsage(cpu0);
const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
const percent = ((cpu.user + cpu.system) / wallUs) * 100;
console.log(`idle-bench: host_cpu_percent=${percent.toFixed(2)}`);
process.exit(0);
