// npm run bench:idle — boots the guest kit's Linux on two vCPUs, suspends it to RAM with no wake
// source (`echo mem > /sys/power/state`, the console's wakeup left disabled) and measures the host
// CPU the Dormouse process (V8's background threads included) uses over 60 s, in 10 s windows:
//   idle-bench: guest=linux max_window_percent=<p> windows=<p1,p2,...> seconds=<n>
// IDLE_BENCH_SECONDS shortens or lengthens the measurement (whole windows of 10 s).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";

const root = join(import.meta.dirname, "../..");
const WINDOW_S = 10;
const SECONDS = Math.max(WINDOW_S, Number(process.env.IDLE_BENCH_SECONDS ?? 60));
const MARKER = "dormouse-kit: shell ready";

function fail(msg: string): never {
  console.error(`bench:idle: ${msg}`);
  process.exit(1);
}

const kit = guestKit(join(root, ".cache/guest-kit"), { log: (m) => console.error(`bench:idle: ${m}`) });
let out = "";
const vm = new VirtualMachine(
  {
    board: { cpus: 2, ramSize: 512 << 20, psciConduit: "hvc", systemSuspend: true, bootargs: "console=ttyAMA0 quiet", rng: true },
    image: { kind: "linux", kernel: readFileSync(kit.kernel), initrd: readFileSync(kit.initramfs) },
  },
  nodeHost(),
  { console: (b) => (out += String.fromCharCode(b)) },
);
const suspended = new Promise<void>((resolve) => vm.on((e) => e.event === "suspended" && resolve()));
vm.finished.then((state) => fail(`the guest stopped (${state}) before the measurement ended; console: ${out.slice(-400)}`));
const boot = setTimeout(() => fail(`no shell in 600 s; console: ${out.slice(-400)}`), 600_000);
vm.start();
await new Promise<void>((resolve) => {
  const poll = setInterval(() => {
    if (out.includes(MARKER)) {
      clearInterval(poll);
      resolve();
    }
  }, 50);
});
clearTimeout(boot);
vm.sendConsole(new TextEncoder().encode("echo mem > /sys/power/state\n"));
await suspended;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const windows: number[] = [];
for (let i = 0; i < Math.floor(SECONDS / WINDOW_S); i++) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(WINDOW_S * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
  windows.push(((cpu.user + cpu.system) / wallUs) * 100);
}
if (vm.state !== "suspended") fail(`the guest left the suspended state (${vm.state})`);
const f = (p: number) => p.toFixed(2);
console.log(
  `idle-bench: guest=linux max_window_percent=${f(Math.max(...windows))} windows=${windows.map(f).join(",")} seconds=${windows.length * WINDOW_S}`,
);
process.exit(0);
