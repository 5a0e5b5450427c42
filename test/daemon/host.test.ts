// The host's API and CLI (issue 12) beside the scenario of host-e2e.test.ts: GET /host and
// POST /host/actions answering bad requests 400 and impossible ones 409; nothing starts while the
// host is frozen; a daemon restarted while the host is frozen keeps it frozen with its VMs
// re-adopted as frozen; a save-all is restored by a daemon that starts on another boot only; the
// systemd-sleep hook's phases (and contrib/ holding its template); `host --no-start` never
// starts a daemon.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { hookScript, hookTemplate } from "../../src/cli/host.ts";
import { ApiClient } from "../../src/cli/api-client.ts";
import { Daemon } from "../../src/daemon/daemon.ts";
import type { HostInfo, VmInfo } from "../../src/daemon/schemas.ts";
import { tempStateDir } from "../support/daemon.ts";
import { buildGuest } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";

let daemon: Daemon;
let api: ApiClient;
let stateDir: string;
let ticker: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function restart(bootId: string): Promise<void> {
  await daemon.stop();
  daemon = new Daemon({ stateDir, bootId });
  await daemon.start();
  api = new ApiClient(daemon.socketPath);
}

const info = (name: string) => api.call<VmInfo>("GET", `/vms/${name}`);
const act = (name: string, body: Record<string, unknown>) => api.raw("POST", `/vms/${name}/actions`, body);
const host = (action: string) => api.raw("POST", "/host/actions", { action });

/** Runs a command without blocking this process (the daemon answers in it). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { encoding: "utf8", env }, (e, out, err) => resolve({ code: e ? Number(e.code ?? 1) : 0, out, err })),
  );
}

before(async () => {
  ticker = buildGuest("console", { VARIANT: 3, TICK: 2000000 });
  stateDir = tempStateDir("hostapi");
  daemon = new Daemon({ stateDir, bootId: "boot-a" });
  await daemon.start();
  api = new ApiClient(daemon.socketPath);
});

after(async () => {
  for (const v of (await api.call<{ vms: VmInfo[] }>("GET", "/vms")).vms) if (v.pid) await act(v.name, { action: "kill" });
  await daemon.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

test("GET /host, and POST /host/actions: 400 for bad bodies, 409 for a thaw or restore-all with nothing to do; both in the OpenAPI document", async () => {
  const h = await api.call<HostInfo>("GET", "/host");
  assert.deepEqual(h, { frozen: false, since: null, lastAction: null, vms: 0, states: {}, held: 0, alarms: 0, nextAlarm: null });
  const cases: [unknown, number, RegExp][] = [
    [undefined, 400, /no JSON body/],
    [{ action: "nap" }, 400, /"action" must be one of freeze, thaw, save-all, restore-all/],
    [{ action: "freeze", force: true }, 400, /unknown field "force"/],
    [{}, 400, /lacks the field "action"/],
    [{ action: "thaw" }, 409, /the host is not frozen/],
    [{ action: "restore-all" }, 409, /nothing to restore/],
  ];
  for (const [body, status, re] of cases) {
    const r = await api.raw("POST", "/host/actions", body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.match((r.body as { error: string }).error, re);
  }
  assert.equal((await api.raw("DELETE", "/host")).status, 405);
  const doc = await api.call<{ paths: Record<string, Record<string, unknown>> }>("GET", "/openapi.json");
  assert.ok(doc.paths["/host"].get && doc.paths["/host/actions"].post);
});

test("while the host is frozen nothing starts; a daemon restarted meanwhile keeps it frozen and re-adopts the frozen VM; thaw continues it", async () => {
  await api.call("POST", "/vms", { name: "tick", kernel: ticker, memoryMiB: 16 });
  await api.call("POST", "/vms", { name: "idle", kernel: ticker, memoryMiB: 16 });
  await api.call("POST", "/vms", { name: "held", kernel: ticker, memoryMiB: 16 });
  for (const n of ["tick", "held"]) assert.equal((await act(n, { action: "start" })).status, 200);
  assert.equal((await api.raw("PUT", "/vms/held/state", { state: "paused" })).status, 200);
  let r = await host("freeze");
  assert.equal(r.status, 200, r.text);
  const result = r.body as { host: HostInfo; vms: { name: string; from: string; to: string; frozen: boolean }[] };
  assert.deepEqual(result.vms.map((v) => [v.name, v.from, v.to, v.frozen]).sort(), [
    ["held", "paused", "paused", false],
    ["tick", "running", "frozen", true],
  ]);
  assert.ok(result.host.frozen && result.host.held === 1);
  for (const [what, req] of [
    ["start", () => act("idle", { action: "start" })],
    ["resume", () => api.raw("PUT", "/vms/held/state", { state: "running" })],
    ["restore", () => act("idle", { action: "restore", path: join(stateDir, "host.json") })],
  ] as const) {
    const a = await req();
    assert.equal(a.status, 409, `${what}: ${a.text}`);
    assert.match((a.body as { error: string }).error, /while the host is frozen \(since .*\): thaw it first/);
  }
  assert.equal((await info("idle")).pid, null);
  const pid = (await info("tick")).pid;
  const text = (await api.raw("GET", "/vms/tick/console")).text;

  await restart("boot-a");
  assert.ok((await api.call<HostInfo>("GET", "/host")).frozen, "still frozen after the restart");
  const v = await info("tick");
  assert.equal(v.state, "frozen");
  assert.ok(v.frozen);
  assert.equal(v.pid, pid, "the same process, re-adopted");
  assert.equal((await act("idle", { action: "start" })).status, 409);
  await sleep(500);
  assert.equal((await api.raw("GET", "/vms/tick/console")).text, text, "it ran nothing meanwhile");

  r = await host("thaw");
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(
    (r.body as { vms: { name: string; to: string }[] }).vms.map((x) => [x.name, x.to]),
    [["tick", "running"]],
  );
  assert.equal((await info("tick")).state, "running");
  assert.equal((await info("held")).state, "paused", "a paused VM is left paused");
  const t0 = Date.now();
  while ((await api.raw("GET", "/vms/tick/console")).text === text) {
    assert.ok(Date.now() - t0 < 30_000, "ticks after the thaw");
    await sleep(100);
  }
  for (const n of ["tick", "held"]) assert.equal((await act(n, { action: "kill" })).status, 200);
});

test("a save-all is restored by a daemon that starts on another boot of the host, not by one on the same boot", async () => {
  assert.equal((await act("tick", { action: "start" })).status, 200);
  const r = await host("save-all");
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(
    (r.body as { vms: { name: string; from: string; to: string }[] }).vms.map((v) => [v.name, v.from, v.to]),
    [["tick", "running", "saved"]],
  );
  const last = (await api.call<HostInfo>("GET", "/host")).lastAction;
  assert.equal(last?.bootId, "boot-a");
  assert.deepEqual(last?.vms, [{ name: "tick", from: "running" }]);
  await restart("boot-a");
  assert.equal(daemon.bootRestore, null);
  assert.equal((await info("tick")).state, "saved", "the same boot: nothing restored");
  await restart("boot-b");
  await daemon.bootRestore;
  assert.equal((await info("tick")).state, "running", "a new boot: restored as it was");
  assert.ok((await api.call<HostInfo>("GET", "/host")).lastAction?.restored);
  assert.equal((await host("restore-all")).status, 409, "restored once");
  assert.equal((await act("tick", { action: "kill" })).status, 200);
});

test("the systemd-sleep hook: freeze/thaw around suspend, save-all/restore-all around hibernation, nothing else; contrib/ has its template", async () => {
  assert.equal(
    readFileSync(join(repoRoot, "contrib/systemd-sleep/dormouse"), "utf8"),
    hookTemplate(),
    "contrib/systemd-sleep/dormouse is stale",
  );
  const dir = mkdtempSync(join(tmpdir(), "dm-hook-"));
  try {
    // /bin/echo as node: the hook's command line itself.
    const hook = join(dir, "hook");
    writeFileSync(hook, hookScript({ node: "/bin/echo", dormouse: "/opt/dm's/bin/dormouse.mjs", user: "root", stateDir: "/st ate" }));
    const phases: [string, string, string][] = [
      ["pre", "suspend", "freeze"],
      ["post", "suspend", "thaw"],
      ["pre", "suspend-then-hibernate", "freeze"],
      ["post", "suspend-then-hibernate", "thaw"],
      ["pre", "hibernate", "save-all"],
      ["post", "hibernate", "restore-all"],
      ["pre", "hybrid-sleep", "save-all"],
      ["post", "hybrid-sleep", "restore-all"],
    ];
    for (const [phase, what, action] of phases) {
      const r = await run("sh", [hook, phase, what]);
      assert.equal(r.code, 0);
      assert.equal(r.out, `/opt/dm's/bin/dormouse.mjs host ${action} --no-start --state-dir /st ate\n`, `${phase} ${what}`);
    }
    for (const args of [["pre", "reboot"], ["post"], []]) assert.deepEqual(await run("sh", [hook, ...args]), { code: 0, out: "", err: "" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("host --no-start with no daemon does nothing and starts none; install-hooks writes an executable hook with the paths baked in", async () => {
  const dir = tempStateDir("nostart");
  try {
    const cli = (args: string[]) => run(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), ...args]);
    let r = await cli(["host", "freeze", "--no-start", "--state-dir", dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /no daemon is running for .*: nothing to freeze/);
    assert.ok(!existsSync(join(dir, "dormouse.sock")), "no daemon was started");
    r = await cli(["host", "nap", "--state-dir", dir]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown host command "nap"/);
    r = await cli(["host", "install-hooks", "--dir", join(dir, "hooks"), "--state-dir", dir]);
    assert.equal(r.code, 0, r.err);
    const [, path] = /^wrote (\S+):/.exec(r.out) ?? [];
    const text = readFileSync(path, "utf8");
    assert.match(text, new RegExp(`^DORMOUSE='${join(repoRoot, "bin/dormouse.mjs")}'$`, "m"));
    assert.match(text, new RegExp(`^STATE_DIR='${dir}'$`, "m"));
    assert.match(text, new RegExp(`^NODE='${process.execPath}'$`, "m"));
    r = await run("sh", [path, "pre", "suspend"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /nothing to freeze/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
