// npm run bench:idle — boots the guest kit's Linux on two vCPUs with `dormouse run` (the CLI
// bundle, as a user runs it), suspends it to RAM with no wake source (`echo mem >
// /sys/power/state`, the console's wakeup left disabled) and measures the host CPU that process
// (every thread, V8's background threads included) uses over 60 s, in 10 s windows:
//   idle-bench: guest=linux max_window_percent=<p> windows=<p1,p2,...> seconds=<n>
// IDLE_BENCH_SECONDS shortens or lengthens the measurement (whole windows of 10 s). The VM runs
// in its own process so that nothing of this script's (tsx's module loader thread collects its
// garbage half a minute after its last work) counts as Dormouse's.
import { join } from "node:path";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { DormouseProcess } from "../../test/support/guest-console.ts";
import { bundleIsCurrent, cpuSeconds } from "./proc.ts";

const root = join(import.meta.dirname, "../..");
const WINDOW_S = 10;
const SECONDS = Math.max(WINDOW_S, Number(process.env.IDLE_BENCH_SECONDS ?? 60));
const MARKER = /dormouse-kit: shell ready/;

function fail(msg: string): never {
  console.error(`bench:idle: ${msg}`);
  process.exit(1);
}

if (!bundleIsCurrent(root)) fail("the CLI bundle is missing or older than the sources: run npm run build first");

const kit = guestKit(join(root, ".cache/guest-kit"), { log: (m) => console.error(`bench:idle: ${m}`) });
const p = new DormouseProcess([
  ...["run", "--kernel", kit.kernel, "--initrd", kit.initramfs, "--smp", "2", "--memory", "512M"],
  ...["--append", "console=ttyAMA0 quiet", "-v"],
]);
const pid = p.proc.pid as number;
void p.exited.then((code) => fail(`dormouse exited (${code}) before the measurement ended; stderr: ${p.stderr.slice(-400)}`));
try {
  await p.console.wait(MARKER, 0, 600_000, "the shell");
  const from = p.stderr.length;
  p.console.send("echo mem > /sys/power/state\n");
  await p.waitLog(/suspended \(SYSTEM_SUSPEND honoured\)/, 60_000, "the suspend", from);
} catch (e) {
  p.proc.kill("SIGKILL");
  fail((e as Error).message);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const windows: number[] = [];
for (let i = 0; i < Math.floor(SECONDS / WINDOW_S); i++) {
  const cpu0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await sleep(WINDOW_S * 1000);
  const cpu = cpuSeconds(pid) - cpu0;
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  windows.push((cpu / wallS) * 100);
}
console.error(`bench:idle: the process used ${cpuSeconds(pid).toFixed(1)} s of CPU in all (boot included)`);
if (/woken/.test(p.stderr)) fail(`the guest woke during the measurement: ${p.stderr.slice(-400)}`);
p.proc.kill("SIGKILL");
const f = (x: number) => x.toFixed(2);
console.log(
  `idle-bench: guest=linux max_window_percent=${f(Math.max(...windows))} windows=${windows.map(f).join(",")} seconds=${windows.length * WINDOW_S}`,
);
process.exit(0);
