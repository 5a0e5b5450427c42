// npm run bench:idle — keeps a SUSPENDED guest with no wake source for 5 s and prints the host
// CPU the Dormouse process used meanwhile:  idle-bench: host_cpu_percent=<p>
import { readFileSync } from "node:fs";
import { nodeHost } from "../../src/host/node/index.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { buildGuest } from "../../test/support/guests.ts";

const SECONDS = 5;
const vm = new VirtualMachine(
  {
    board: { cpus: 2, ramSize: 64 << 20, psciConduit: "hvc", systemSuspend: true },
    image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 3 })) },
  },
  nodeHost(),
);
const suspended = new Promise<void>((resolve) => vm.on((e) => e.event === "suspended" && resolve()));
vm.finished.then((state) => {
  console.error(`bench:idle: the guest stopped (${state}) before it suspended`);
  process.exit(1);
});
vm.start();
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
