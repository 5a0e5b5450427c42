// The daemon's API with small bare-metal guests (test/guests): the routes and their answers —
// 400 for malformed JSON, wrong types and unknown fields, 404, 405, 409 naming the state, 413 —
// the socket's modes, the OpenAPI document (served, and docs/openapi.json current), a VM's
// life through the API (start, pause, resume, snapshot, console, events, kill, delete), a VM
// suspended, saved and started again, a daemon restart that keeps a running VM, a VM process
// killed under the daemon (that VM in error, the others untouched), and a hibernated VM whose
// board or disk changed refused.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ApiClient } from "../../src/cli/api-client.ts";
import type { Daemon } from "../../src/daemon/daemon.ts";
import { hibernationOf } from "../../src/daemon/fingerprint.ts";
import { openApiDocument, openApiText } from "../../src/daemon/openapi.ts";
import type { VmInfo } from "../../src/daemon/schemas.ts";
import { StateStore } from "../../src/daemon/store.ts";
import { EventStream, inProcessDaemon, vmConsole } from "../support/daemon.ts";
import { buildGuest } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";

let daemon: Daemon;
let api: ApiClient;
let stateDir: string;
let events: EventStream;
let ticker: string;
let suspender: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request with a raw body (string) or none; the status and parsed body. */
function send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  return api.raw(method, path, body === undefined ? undefined : body).then((r) => {
    void headers;
    return r;
  });
}

async function create(name: string, extra: Record<string, unknown> = {}): Promise<VmInfo> {
  return api.call<VmInfo>("POST", "/vms", { name, kernel: ticker, memoryMiB: 16, ...extra });
}

const act = (name: string, body: Record<string, unknown>) => api.raw("POST", `/vms/${name}/actions`, JSON.stringify(body));
const info = (name: string) => api.call<VmInfo & { spec: { disks: { path: string }[] } }>("GET", `/vms/${name}`);

async function until(what: string, ms: number, cond: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

before(async () => {
  ticker = buildGuest("console", { VARIANT: 3, TICK: 200000 });
  suspender = buildGuest("suspend", { VARIANT: 3 });
  ({ daemon, api, stateDir } = await inProcessDaemon(undefined, { bodyLimit: 4096 }));
  events = await EventStream.open(daemon.socketPath);
});

after(async () => {
  events?.close();
  for (const v of (await api.call<{ vms: VmInfo[] }>("GET", "/vms")).vms) if (v.pid) await act(v.name, { action: "kill" });
  await daemon?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

test("the socket is 0600 in a 0700 directory; GET /openapi.json is the generated document, and docs/openapi.json is current", async () => {
  assert.equal(statSync(stateDir).mode & 0o777, 0o700);
  assert.equal(statSync(daemon.socketPath).mode & 0o777, 0o600);
  assert.ok(statSync(daemon.socketPath).isSocket());
  const doc = await api.call<Record<string, unknown>>("GET", "/openapi.json");
  assert.deepEqual(doc, JSON.parse(JSON.stringify(openApiDocument())));
  assert.equal(doc.openapi, "3.1.0");
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  for (const p of ["/vms", "/vms/{name}", "/vms/{name}/state", "/vms/{name}/actions", "/vms/{name}/console", "/events"])
    assert.ok(paths[p], p);
  assert.ok(paths["/vms"].post && paths["/vms/{name}"].delete && paths["/vms/{name}/state"].put);
  assert.equal(
    readFileSync(join(repoRoot, "docs/openapi.json"), "utf8"),
    openApiText(),
    "docs/openapi.json is stale: run npm run gen:openapi",
  );
});

test("bad requests: 400 with a message for malformed JSON, wrong types and unknown fields; 404; 405; 409; 413", async () => {
  const cases: [string, string, string | undefined, number, RegExp][] = [
    ["POST", "/vms", "{", 400, /not valid JSON/],
    ["POST", "/vms", undefined, 400, /no JSON body/],
    ["POST", "/vms", "[]", 400, /must be object/],
    ["POST", "/vms", JSON.stringify({ name: "a", kernel: ticker, memoryMiB: "16" }), 400, /"memoryMiB" must be integer/],
    ["POST", "/vms", JSON.stringify({ name: "a", kernel: ticker, colour: "red" }), 400, /unknown field "colour"/],
    [
      "POST",
      "/vms",
      JSON.stringify({ name: "a", kernel: ticker, disks: [{ path: "/x", size: 1 }] }),
      400,
      /unknown field "disks\[0\]\.size"/,
    ],
    ["POST", "/vms", JSON.stringify({ name: "../x", kernel: ticker }), 400, /"name" must match pattern/],
    ["POST", "/vms", JSON.stringify({ name: "a" }), 400, /lacks the field "kernel"/],
    ["POST", "/vms", JSON.stringify({ name: "a", kernel: "/nonexistent/k" }), 400, /no such file/],
    ["POST", "/vms", JSON.stringify({ name: "a", kernel: "relative/k" }), 400, /must be absolute/],
    ["POST", "/vms", JSON.stringify({ name: "a", kernel: ticker, disks: [{}] }), 400, /exactly one of path and sizeMiB/],
    ["POST", "/vms", JSON.stringify({ name: "a", kernel: ticker, memoryMiB: 5 }), 400, /multiple of 2/],
    ["POST", "/vms", JSON.stringify({ name: "x".repeat(5000), kernel: ticker }), 413, /larger than 4096 bytes/],
    ["GET", "/vms/nobody", undefined, 404, /no VM named "nobody"/],
    ["GET", "/vms/..%2F..", undefined, 404, /no VM named/],
    ["GET", "/vms/%E0%A4%A", undefined, 400, /percent-encoding/],
    ["PUT", "/vms/nobody/state", JSON.stringify({ state: "paused" }), 404, /no VM/],
    ["GET", "/nowhere", undefined, 404, /no such resource/],
    ["DELETE", "/vms", undefined, 405, /DELETE is not allowed on \/vms \(allowed: GET, POST\)/],
    ["PATCH", "/vms/a", undefined, 405, /not allowed/],
  ];
  for (const [method, path, body, status, re] of cases) {
    const r = await send(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${body?.slice(0, 80)}: ${r.text}`);
    assert.match((r.body as { error: string }).error, re, `${method} ${path}`);
  }
  await create("bad");
  const conflicts: [string, string, string, number, RegExp][] = [
    ["POST", "/vms", JSON.stringify({ name: "bad", kernel: ticker }), 409, /a VM named "bad" exists already/],
    ["PUT", "/vms/bad/state", JSON.stringify({ state: "paused" }), 409, /cannot pause a VM that is created/],
    ["PUT", "/vms/bad/state", JSON.stringify({ state: "frozen" }), 400, /"state" must be one of paused, running/],
    ["PUT", "/vms/bad/state", JSON.stringify({ state: "paused", now: true }), 400, /unknown field "now"/],
    ["POST", "/vms/bad/actions", JSON.stringify({ action: "fly" }), 400, /"action" must be one of start, powerdown/],
    ["POST", "/vms/bad/actions", JSON.stringify({ action: "reset" }), 409, /cannot reset a VM that is created/],
    ["POST", "/vms/bad/actions", JSON.stringify({ action: "kill", hard: 1 }), 400, /unknown field "hard"/],
    ["POST", "/vms/bad/actions", JSON.stringify({ action: "restore" }), 400, /lacks the field "path"/],
    ["POST", "/vms/bad/actions", JSON.stringify({ action: "restore", path: "/nonexistent.snap" }), 400, /no snapshot at/],
    ["POST", "/vms/bad/actions", JSON.stringify({ action: "wakeup" }), 409, /cannot wake up a VM that is created/],
    ["DELETE", "/vms/bad?force=1", "", 400, /unknown query parameter "force"/],
  ];
  for (const [method, path, body, status, re] of conflicts) {
    const r = await send(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${body}: ${r.text}`);
    assert.match((r.body as { error: string }).error, re, `${method} ${path} ${body}`);
  }
  assert.equal((await send("DELETE", "/vms/bad")).status, 204);
  assert.equal((await send("GET", "/vms/bad")).status, 404);
});

test("a VM's life through the API: start, pause, resume, snapshot, console, events, kill, delete (disks kept unless asked)", async () => {
  const created = await create("life", { disks: [{ sizeMiB: 4 }] });
  assert.equal(created.state, "created");
  assert.match(created.uuid, /^[0-9a-f-]{36}$/);
  const from = events.lines.length;
  let r = await act("life", { action: "start" });
  assert.equal(r.status, 200, r.text);
  assert.equal((r.body as { vm: VmInfo }).vm.state, "running");
  await events.next((e) => e.vm === "life" && e.event === "started", 10_000, "started", from);
  const v = await info("life");
  assert.equal(v.state, "running");
  assert.ok(v.pid && v.pid !== process.pid, "its own process");
  assert.equal((await act("life", { action: "start" })).status, 409);

  // The console: an upgrade carrying the guest's output (and its backlog).
  const con = await vmConsole(daemon.socketPath, "life");
  await con.console.wait(/tick \d+/, 0, 30_000, "ticks on the console");
  con.close();
  const text = await api.raw("GET", "/vms/life/console");
  assert.match(text.text, /tick \d+ \d+\n/);

  r = await api.raw("PUT", "/vms/life/state", JSON.stringify({ state: "paused" }));
  assert.equal(r.status, 200, r.text);
  assert.equal((r.body as VmInfo).state, "paused");
  assert.equal((await api.raw("PUT", "/vms/life/state", JSON.stringify({ state: "paused" }))).status, 200, "idempotent");
  r = await act("life", { action: "reset" });
  assert.equal(r.status, 409);
  assert.match((r.body as { error: string }).error, /paused/);
  const snap = join(stateDir, "life.snap");
  r = await act("life", { action: "snapshot", path: snap });
  assert.equal(r.status, 200, r.text);
  assert.ok(existsSync(snap) && (r.body as { bytes: number }).bytes > 0);
  r = await api.raw("PUT", "/vms/life/state", JSON.stringify({ state: "running" }));
  assert.equal((r.body as VmInfo).state, "running");
  r = await act("life", { action: "snapshot" });
  assert.equal(r.status, 200, r.text);
  assert.ok(existsSync((r.body as { path: string }).path), "a snapshot in the VM's folder");
  assert.equal((await act("life", { action: "reset" })).status, 200);
  await events.next((e) => e.vm === "life" && e.event === "reset" && e.reason === "host", 10_000, "reset", from);

  r = await api.raw("DELETE", "/vms/life");
  assert.equal(r.status, 409);
  assert.match((r.body as { error: string }).error, /cannot delete a VM that is running/);
  assert.equal((await act("life", { action: "kill" })).status, 200);
  assert.equal((await info("life")).state, "shutdown");
  assert.equal((await info("life")).pid, null);
  const seen = events.lines
    .slice(from)
    .filter((e) => e.vm === "life")
    .map((e) => e.event);
  assert.deepEqual(
    seen.filter((e) => e !== "saved"),
    ["started", "paused", "resumed", "paused", "resumed", "reset", "shutdown"],
  );
  for (const e of events.lines.slice(from)) assert.ok(typeof e.timestamp === "string" && !Number.isNaN(Date.parse(e.timestamp)));

  // Restored from the paused snapshot: it continues paused.
  r = await act("life", { action: "restore", path: snap });
  assert.equal(r.status, 200, r.text);
  assert.equal((r.body as { vm: VmInfo }).vm.state, "paused");
  assert.equal((await act("life", { action: "kill" })).status, 200);

  const disk = v.spec.disks[0].path;
  assert.equal(statSync(disk).size, 4 << 20);
  assert.equal((await api.raw("DELETE", "/vms/life")).status, 204);
  assert.ok(existsSync(disk), "a delete without ?disks=true keeps the disk image");
  assert.ok(!existsSync(join(stateDir, "vms/life/vm.json")));
  await create("life");
  assert.equal((await api.raw("DELETE", "/vms/life?disks=true")).status, 204);
  assert.ok(!existsSync(join(stateDir, "vms/life")), "with ?disks=true the folder goes, disk and all");
});

test("a VM that suspends is saved (its process ends), and start brings it back running: woken by request", async () => {
  await create("sleeper", { kernel: suspender, cpus: 2, onSuspend: "save" });
  const from = events.lines.length;
  assert.equal((await act("sleeper", { action: "start" })).status, 200);
  await events.next((e) => e.vm === "sleeper" && e.event === "suspended", 30_000, "suspended", from);
  await until("the saved state", 30_000, async () => (await info("sleeper")).state === "saved");
  const saved = await info("sleeper");
  assert.equal(saved.pid, null, "a saved VM has no process");
  assert.ok(saved.diskBytes > 0, "its saved state counts as disk usage");
  const r = await act("sleeper", { action: "start" });
  assert.equal(r.status, 200, r.text);
  await events.next((e) => e.vm === "sleeper" && e.event === "woken" && e.reason === "request", 30_000, "woken", from);
  await until("the guest's power-off", 30_000, async () => (await info("sleeper")).state === "shutdown");
  const text = (await api.raw("GET", "/vms/sleeper/console")).text;
  assert.match(text, /resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact/);
});

test("the honour policy keeps a suspended VM in its process; the save action saves it; wakeup of a saved VM restores it", async () => {
  await create("napper", { kernel: suspender, cpus: 2 });
  const from = events.lines.length;
  await act("napper", { action: "start" });
  await events.next((e) => e.vm === "napper" && e.event === "suspended", 30_000, "suspended", from);
  assert.equal((await info("napper")).state, "suspended");
  let r = await api.raw("PUT", "/vms/napper/state", JSON.stringify({ state: "running" }));
  assert.equal(r.status, 409);
  assert.match((r.body as { error: string }).error, /cannot resume a VM that is suspended \(wake it with the wakeup action\)/);
  r = await act("napper", { action: "save" });
  assert.equal(r.status, 200, r.text);
  assert.equal((r.body as { vm: VmInfo }).vm.state, "saved");
  r = await act("napper", { action: "wakeup" });
  assert.equal(r.status, 200, r.text);
  await events.next((e) => e.vm === "napper" && e.event === "woken" && e.reason === "request", 30_000, "woken", from);
});

test("a daemon restart keeps a running VM (re-adopted by pid and socket); a VM process killed from outside is that VM's error only", async () => {
  await create("steady");
  await create("victim");
  await act("steady", { action: "start" });
  await act("victim", { action: "start" });
  const pid = (await info("steady")).pid as number;
  events.close();
  await daemon.stop();
  ({ daemon, api } = await inProcessDaemon(stateDir, { bodyLimit: 4096 }));
  events = await EventStream.open(daemon.socketPath);
  const v = await info("steady");
  assert.equal(v.state, "running");
  assert.equal(v.pid, pid, "the same process");
  assert.equal((await api.raw("PUT", "/vms/steady/state", JSON.stringify({ state: "paused" }))).status, 200, "and it answers");
  await events.next((e) => e.vm === "steady" && e.event === "paused", 10_000, "paused", 0);
  await api.raw("PUT", "/vms/steady/state", JSON.stringify({ state: "running" }));

  const from = events.lines.length;
  process.kill((await info("victim")).pid as number, "SIGKILL");
  const e = await events.next((x) => x.vm === "victim" && x.event === "error", 10_000, "error", from);
  assert.match(String(e.message), /ended unexpectedly/);
  const after = await info("victim");
  assert.equal(after.state, "error");
  assert.match(String(after.error), /ended unexpectedly/);
  assert.equal((await info("steady")).state, "running", "the other VM goes on");
  assert.equal((await act("victim", { action: "start" })).status, 200, "an error state starts again");
  for (const n of ["steady", "victim"]) assert.equal((await act(n, { action: "kill" })).status, 200);
});

test("a hibernated VM whose board or disk changed is refused with a clear message; --discard-hibernation boots it fresh", async () => {
  const disk = join(stateDir, "hib.img");
  writeFileSync(disk, Buffer.alloc(1 << 20));
  await create("hib", { disks: [{ path: disk }] });
  const store = new StateStore(stateDir);
  const rec = store.readRecord("hib");
  // What the VM process records when its guest calls SYSTEM_OFF2 (the real one: npm run e2e:api).
  store.writeState("hib", {
    version: 1,
    state: "hibernated",
    since: new Date().toISOString(),
    alarm: null,
    hibernation: hibernationOf(rec.spec),
  });
  events.close();
  await daemon.stop();
  ({ daemon, api } = await inProcessDaemon(stateDir, { bodyLimit: 4096 }));
  events = await EventStream.open(daemon.socketPath);
  assert.equal((await info("hib")).state, "hibernated");
  let r = await act("hib", { action: "start", memoryMiB: 32 });
  assert.equal(r.status, 409);
  assert.match(
    (r.body as { error: string }).error,
    /hibernated on a different board: its memory \(MiB\) changed \(16 → 32\).*--discard-hibernation/,
  );
  const st = statSync(disk);
  utimesSync(disk, st.atime, new Date(st.mtimeMs + 5000));
  r = await act("hib", { action: "start" });
  assert.equal(r.status, 409);
  assert.match((r.body as { error: string }).error, /the disk .*hib\.img changed since the VM hibernated onto it \(modification time\)/);
  assert.equal((await info("hib")).state, "hibernated", "still hibernated");
  r = await act("hib", { action: "start", discardHibernation: true });
  assert.equal(r.status, 200, r.text);
  assert.equal((await info("hib")).state, "running");
  assert.equal((await act("hib", { action: "kill" })).status, 200);
});

test("GET /events?vm= filters by VM, and names an unknown VM as such", async () => {
  const r = await new Promise<number>((resolve) => {
    const req = request({ socketPath: daemon.socketPath, path: "/events?vm=nobody" }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.end();
  });
  assert.equal(r, 404);
  await create("filtered");
  const only = await EventStream.open(daemon.socketPath, "?vm=filtered");
  await create("other");
  await act("other", { action: "start" });
  await act("filtered", { action: "start" });
  await only.next((e) => e.event === "started", 10_000, "started", 0);
  await act("other", { action: "kill" });
  await act("filtered", { action: "kill" });
  await only.next((e) => e.event === "shutdown", 10_000, "shutdown", 0);
  assert.ok(only.lines.every((e) => e.vm === "filtered"));
  only.close();
});

test("a VM process whose state directory is deleted under it ends (with its daemon stopped, and with it running)", async () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const daemonRuns of [false, true]) {
    const d = await inProcessDaemon();
    const name = daemonRuns ? "watched" : "unwatched";
    await d.api.call("POST", "/vms", { name, kernel: ticker, memoryMiB: 16 });
    await d.api.call("POST", `/vms/${name}/actions`, { action: "start" });
    const pid = (await d.api.call<VmInfo>("GET", `/vms/${name}`)).pid as number;
    assert.ok(alive(pid));
    if (!daemonRuns) await d.daemon.stop();
    rmSync(d.stateDir, { recursive: true, force: true });
    await until(`the end of the process of ${name}`, 20_000, async () => !alive(pid));
    if (daemonRuns) {
      // The daemon (its socket gone with the directory) sees the VM end without failing itself.
      await sleep(1000);
      await d.daemon.stop();
    }
  }
});
