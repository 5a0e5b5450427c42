// npm run bench:api — the daemon and its API, measured. Prints
//   api-bench: list_1000_ms=<ms> start_saved_ms=<ms> request_p99_ms=<ms> list_1000_api_ms=<ms> request_p50_ms=<ms>
// list_1000: `dormouse list` (a new CLI process: start, request, print) with 1,000 saved VMs, the
// median of 5 (list_1000_api: the GET /vms request alone); start_saved: a saved 1 GiB guest kit
// VM (suspended, then saved: no process) started until the API answers it is running again, the
// median of 3; request_p99: the 99th percentile of 10,000 GET /vms/{name} requests, one after the
// other, each on a new connection, while 4 guest kit VMs run (idle at their shell).
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { VmInfo } from "../../src/daemon/schemas.ts";
import { StateStore } from "../../src/daemon/store.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { daemonProcess, EventStream, tempStateDir } from "../../test/support/daemon.ts";

const root = join(import.meta.dirname, "../..");
const kit = guestKit(join(root, ".cache/guest-kit"), { log: (m) => console.error(`bench:api: ${m}`) });
const log = (m: string) => console.error(`bench:api: ${m}`);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stateDir = tempStateDir("bench");
let d = await daemonProcess(stateDir);
const kitVm = (name: string, memoryMiB: number) => ({
  name,
  kernel: kit.kernel,
  initrd: kit.initramfs,
  memoryMiB,
  cpus: 2,
  append: "console=ttyAMA0 quiet no_console_suspend",
});

/** Waits until the VM's console shows the kit's shell. */
async function shellReady(name: string, ms = 900_000): Promise<void> {
  const t0 = Date.now();
  while (!/dormouse-kit: shell ready/.test((await d.api.raw("GET", `/vms/${name}/console`)).text)) {
    if (Date.now() - t0 > ms) throw new Error(`${name}: no shell within ${ms / 1000} s`);
    await sleep(500);
  }
}

/** Types into a VM's console (a console connection for one line). */
async function type(name: string, line: string): Promise<void> {
  const { openConsole } = await import("../../src/cli/vm-console.ts");
  const s = await openConsole(d.api.socketPath, name);
  s.on("data", () => {});
  s.write(line);
  await sleep(300);
  s.destroy();
}

const figures: Record<string, number> = {};
const store = new StateStore(stateDir);
const spare = join(stateDir, "spare.snap");
try {
  // 1. A saved 1 GiB guest started to running.
  await d.api.call("POST", "/vms", kitVm("big", 1024));
  await d.api.call("POST", "/vms/big/actions", { action: "start" });
  log("booting the 1 GiB guest");
  await shellReady("big");
  await type("big", "echo enabled > /sys/class/tty/ttyAMA0/power/wakeup\n");
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const ev = await EventStream.open(d.api.socketPath, "?vm=big");
    await type("big", "echo mem > /sys/power/state\n");
    await ev.next((e) => e.event === "suspended", 120_000, "suspended", 0);
    await d.api.call("POST", "/vms/big/actions", { action: "save" });
    ev.close();
    if (i === 0) copyFileSync(join(store.vmDir("big"), "saved.snap"), spare);
    const t0 = now();
    const r = await d.api.call<{ vm: VmInfo }>("POST", "/vms/big/actions", { action: "start" });
    starts.push(now() - t0);
    if (r.vm.state !== "running") throw new Error(`the saved VM started as ${r.vm.state}`);
    log(`saved 1 GiB guest started to running in ${starts[i].toFixed(0)} ms`);
    await sleep(2000);
  }
  figures.start_saved_ms = median(starts);
  await d.api.call("POST", "/vms/big/actions", { action: "kill" });

  // 2. Four VMs running; 10,000 status requests one after another.
  for (let i = 0; i < 4; i++) {
    await d.api.call("POST", "/vms", kitVm(`run${i}`, 256));
    await d.api.call("POST", `/vms/run${i}/actions`, { action: "start" });
  }
  log("booting 4 guests");
  for (let i = 0; i < 4; i++) await shellReady(`run${i}`);
  const lat: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t0 = now();
    const r = await d.api.raw("GET", `/vms/run${i % 4}`);
    lat.push(now() - t0);
    if (r.status !== 200) throw new Error(`GET /vms/run${i % 4}: ${r.status}`);
  }
  lat.sort((a, b) => a - b);
  figures.request_p99_ms = lat[Math.floor(lat.length * 0.99)];
  figures.request_p50_ms = lat[Math.floor(lat.length * 0.5)];
  for (let i = 0; i < 4; i++) await d.api.call("POST", `/vms/run${i}/actions`, { action: "kill" });

  // 3. 1,000 saved VMs (records made through the API, each given the saved state of the 1 GiB guest).
  log("recording 1,000 saved VMs");
  for (let i = 0; i < 1000; i++) await d.api.call("POST", "/vms", kitVm(`saved${String(i).padStart(4, "0")}`, 1024));
  await d.stop();
  for (let i = 0; i < 1000; i++) {
    const name = `saved${String(i).padStart(4, "0")}`;
    const snap = join(store.vmDir(i < 4 ? name : "saved0000"), "saved.snap");
    if (i < 4) copyFileSync(spare, snap);
    store.writeState(name, { version: 1, state: "saved", since: new Date().toISOString(), alarm: null, snapshot: snap });
  }
  d = await daemonProcess(stateDir);
  const lists: number[] = [];
  const apiLists: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    const p = spawnSync(process.execPath, [join(root, "bin/dormouse.mjs"), "list", "--state-dir", stateDir], { encoding: "utf8" });
    lists.push(now() - t0);
    if (p.status !== 0 || (p.stdout.match(/ saved /g) ?? []).length < 1000) throw new Error(`dormouse list: ${p.stderr}`);
    const t1 = now();
    const { vms } = await d.api.call<{ vms: VmInfo[] }>("GET", "/vms");
    apiLists.push(now() - t1);
    if (vms.length < 1000) throw new Error(`GET /vms has ${vms.length} VMs`);
  }
  figures.list_1000_ms = median(lists);
  figures.list_1000_api_ms = median(apiLists);
} finally {
  try {
    const { vms } = await d.api.call<{ vms: VmInfo[] }>("GET", "/vms");
    for (const v of vms) if (v.pid) await d.api.raw("POST", `/vms/${v.name}/actions`, JSON.stringify({ action: "kill" }));
  } catch {
    // the daemon is gone
  }
  await d.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
const f = (k: string) => (figures[k] === undefined ? "?" : figures[k].toFixed(k.startsWith("request") ? 2 : 0));
console.log(
  `api-bench: list_1000_ms=${f("list_1000_ms")} start_saved_ms=${f("start_saved_ms")} request_p99_ms=${f("request_p99_ms")} list_1000_api_ms=${f("list_1000_api_ms")} request_p50_ms=${f("request_p50_ms")}`,
);
