// npm run bench:host — the host's side of many VMs (issue 12), through the daemon's API. Prints
//   host-bench: vms=<n> freeze_ms= thaw_ms= saved_vms=1000 thaw_saved_ms= idle_cpu_percent= rss_mb_per_vm=
// freeze/thaw: POST /host/actions with <n> running 256 MiB guests (bare-metal, one vCPU, ticking
// on their timer), request to answer (every VM frozen, resp. running again); rss_mb_per_vm: the
// resident memory of their processes, averaged; thaw_saved: 1,000 saved VMs (one real snapshot of
// a suspended guest, copied), one chosen at random woken (POST wakeup) until it answers running;
// idle_cpu_percent: the host CPU (every VM process and the daemon, in percent of one core) with
// <n> suspended VMs and no wake source, over 10 s once they have settled (30 s). Options: --vms N (default 8), --saved N (1000).
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApiClient } from "../../src/cli/api-client.ts";
import { Daemon } from "../../src/daemon/daemon.ts";
import type { HostActionResult, VmInfo } from "../../src/daemon/schemas.ts";
import { StateStore } from "../../src/daemon/store.ts";
import { inProcessDaemon, tempStateDir } from "../../test/support/daemon.ts";
import { buildGuest } from "../../test/support/guests.ts";
import { cpuSeconds } from "./proc.ts";

const { values } = parseArgs({ options: { vms: { type: "string", default: "8" }, saved: { type: "string", default: "1000" } } });
const N = Number(values.vms);
const SAVED = Number(values.saved);
const log = (m: string) => process.stderr.write(`bench:host: ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const stateDir = tempStateDir("hbench");
let { daemon, api } = (await inProcessDaemon(stateDir)) as { daemon: Daemon; api: ApiClient };
const list = async () => (await api.call<{ vms: VmInfo[] }>("GET", "/vms")).vms;
const until = async (what: string, ms: number, cond: () => Promise<boolean>) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};
const all = async (names: string[], state: string) =>
  until(`${names.length} VMs ${state}`, 120_000, async () => {
    const vms = await list();
    return names.every((n) => vms.find((v) => v.name === n)?.state === state);
  });

try {
  const ticker = buildGuest("console", { VARIANT: 5, TICK_MS: 500 });
  const sleeper = buildGuest("suspend", { VARIANT: 3 });
  const running = Array.from({ length: N }, (_, i) => `run${i}`);
  for (const n of running) await api.call("POST", "/vms", { name: n, kernel: ticker, memoryMiB: 256 });
  for (const n of running) await api.call("POST", `/vms/${n}/actions`, { action: "start" });
  await all(running, "running");
  await sleep(3000);
  const pids = (await list()).filter((v) => running.includes(v.name)).map((v) => v.pid as number);
  const rss = pids.reduce((a, p) => a + rssMb(p), 0) / pids.length;

  let t0 = now();
  const frozen = await api.call<HostActionResult>("POST", "/host/actions", { action: "freeze" });
  const freezeMs = now() - t0;
  if (frozen.vms.filter((v) => v.to === "frozen").length !== N) throw new Error(`freeze: ${JSON.stringify(frozen.vms)}`);
  await sleep(1000);
  t0 = now();
  const thawed = await api.call<HostActionResult>("POST", "/host/actions", { action: "thaw" });
  const thawMs = now() - t0;
  if (thawed.vms.filter((v) => v.to === "running").length !== N) throw new Error(`thaw: ${JSON.stringify(thawed.vms)}`);
  const spread = (r: HostActionResult) =>
    `each ${Math.min(...r.vms.map((v) => v.ms)).toFixed(1)}–${Math.max(...r.vms.map((v) => v.ms)).toFixed(1)} ms`;
  log(
    `froze ${N} running VMs in ${freezeMs.toFixed(1)} ms (${spread(frozen)}), thawed in ${thawMs.toFixed(1)} ms (${spread(thawed)}); ${rss.toFixed(1)} MiB resident each`,
  );
  for (const n of running) await api.call("POST", `/vms/${n}/actions`, { action: "kill" });

  // N suspended VMs, no wake source: what they cost the host.
  const sleeping = Array.from({ length: N }, (_, i) => `sleep${i}`);
  for (const n of sleeping) await api.call("POST", "/vms", { name: n, kernel: sleeper, memoryMiB: 256, cpus: 2 });
  for (const n of sleeping) await api.call("POST", `/vms/${n}/actions`, { action: "start" });
  await all(sleeping, "suspended");
  // The VM processes' start is over before measuring: V8 finishes its compiles and its first
  // memory-reducing collections in the background for up to half a minute after the guests
  // suspend (measured: 8 VMs started together on 2 busy cores, 16-93 ms per VM in the first 25 s,
  // then 1 ms per 5 s). What that settling costs is printed too.
  const spids = (await list()).filter((v) => sleeping.includes(v.name)).map((v) => v.pid as number);
  const SETTLE = 30;
  const s0 = spids.reduce((a, p) => a + cpuSeconds(p), 0);
  await sleep(SETTLE * 1000);
  log(
    `${N} VMs settling after they suspended used ${((spids.reduce((a, p) => a + cpuSeconds(p), 0) - s0) * 1000).toFixed(0)} ms of CPU in ${SETTLE} s`,
  );
  const SECONDS = 10;
  const c0 = spids.map((p) => cpuSeconds(p));
  const d0 = cpuSeconds(process.pid);
  t0 = now();
  await sleep(SECONDS * 1000);
  const wall = (now() - t0) / 1000;
  const vmCpu = spids.map((p, i) => cpuSeconds(p) - c0[i]);
  const daemonCpu = cpuSeconds(process.pid) - d0;
  const cpu = vmCpu.reduce((a, b) => a + b, 0) + daemonCpu;
  const idle = (cpu / wall) * 100;
  log(
    `${N} suspended VMs and the daemon used ${(cpu * 1000).toFixed(0)} ms of CPU in ${wall.toFixed(1)} s (the daemon ${(daemonCpu * 1000).toFixed(0)} ms, the VMs ${vmCpu.map((c) => (c * 1000).toFixed(0)).join("/")} ms)`,
  );
  for (const n of sleeping) await api.call("POST", `/vms/${n}/actions`, { action: "kill" });

  // SAVED saved VMs: one real one, copied.
  await api.call("POST", "/vms", { name: "saved0", kernel: sleeper, memoryMiB: 64, cpus: 2, onSuspend: "save" });
  await api.call("POST", "/vms/saved0/actions", { action: "start" });
  await all(["saved0"], "saved");
  await daemon.stop();
  const store = new StateStore(stateDir);
  const rec = store.readRecord("saved0");
  const st = store.readState("saved0");
  const snap = st.snapshot as string;
  for (let i = 1; i < SAVED; i++) {
    const name = `saved${i}`;
    if (!store.claim(name)) throw new Error(`cannot make ${name}`);
    const uuid = crypto.randomUUID();
    const path = join(store.vmDir(name), "saved.snap");
    copyFileSync(snap, path);
    store.writeRecord({ ...rec, name, uuid });
    store.writeState(name, { ...st, snapshot: path });
  }
  t0 = now();
  daemon = new Daemon({ stateDir });
  await daemon.start();
  api = new ApiClient(daemon.socketPath);
  const loadMs = now() - t0;
  const vms = await list();
  const saved = vms.filter((v) => v.state === "saved");
  if (saved.length !== SAVED) throw new Error(`${saved.length} saved VMs, not ${SAVED}`);
  const pick = saved[Math.floor(Math.random() * saved.length)].name;
  t0 = now();
  const r = await api.call<{ vm: VmInfo }>("POST", `/vms/${pick}/actions`, { action: "wakeup" });
  const thawSavedMs = now() - t0;
  if (r.vm.state !== "running" && r.vm.state !== "shutdown") throw new Error(`${pick} is ${r.vm.state} after its wakeup`);
  log(`the daemon loaded ${SAVED} saved VMs in ${loadMs.toFixed(0)} ms; ${pick} woken (${r.vm.state}) in ${thawSavedMs.toFixed(0)} ms`);

  console.log(
    `host-bench: vms=${N} freeze_ms=${freezeMs.toFixed(1)} thaw_ms=${thawMs.toFixed(1)} saved_vms=${SAVED} thaw_saved_ms=${thawSavedMs.toFixed(0)} idle_cpu_percent=${idle.toFixed(2)} rss_mb_per_vm=${rss.toFixed(1)}`,
  );
} finally {
  try {
    for (const v of await list()) if (v.pid) await api.call("POST", `/vms/${v.name}/actions`, { action: "kill" });
  } catch {
    // the daemon is gone
  }
  await daemon.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
