// Fuzzing the daemon's API (npm run fuzz:api, and test/daemon/fuzz.test.ts): `dormouse daemon` in
// a child process with a few VMs of small bare-metal guests (two running, one created, one shut
// down), then random requests — valid ones of every route, the same with wrong types, unknown
// and missing fields, out-of-range numbers, huge strings, truncated or binary bodies, bodies
// over the limit, bad names and paths, unknown methods, and raw bytes that are not HTTP — from a
// fixed seed, several at a time. The VMs kept for the check are only sent requests that cannot
// end them; the fuzzer's own VMs get everything (their processes are reaped as it goes). After:
// the daemon must still serve, no answer may have been a 5xx, and every kept VM must be as it was.
import { connect } from "node:net";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiClient } from "../../src/cli/api-client.ts";
import type { VmInfo } from "../../src/daemon/schemas.ts";
import { daemonProcess, tempStateDir } from "./daemon.ts";
import { buildGuest } from "./guests.ts";
import { Rng } from "./rng.ts";

export interface FuzzResult {
  requests: number;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  /** Connections that ended without an answer (a body over the limit cut off, raw garbage). */
  noAnswer: number;
  daemonAlive: boolean;
  vmsIntact: boolean;
  seconds: number;
  /** The first 5xx answers and what changed in the kept VMs, for the report. */
  problems: string[];
}

const KEPT = ["keep-run1", "keep-run2", "keep-new", "keep-off"];
const FUZZ = ["fz-a", "fz-b", "fz-c"];

/** One request: method, path, raw body (or raw bytes that are not HTTP at all). */
type Req = { method: string; path: string; body?: string | Buffer; raw?: Buffer };

function generator(rng: Rng, kernel: string, limit: number) {
  const pick = <T>(a: readonly T[]): T => a[rng.below(a.length)];
  const chance = (p: number) => rng.below(1_000_000) < p * 1_000_000;
  const junkString = () =>
    pick([
      "",
      "a",
      "x".repeat(rng.below(200)),
      "\u0000",
      "../../etc/passwd",
      "%2e%2e",
      "é€😀",
      "a".repeat(70),
      "-rf",
      "/tmp",
      "null",
      "1e999",
      String(rng.below(1 << 30)),
    ]);
  const junkValue = (depth = 0): unknown => {
    switch (rng.below(depth > 3 ? 7 : 9)) {
      case 0:
        return null;
      case 1:
        return rng.below(2) === 0;
      case 2:
        return pick([0, -1, 1, 2.5, 1e308, -1e308, 2 ** 53, 4, 16, 63, 64, 65, 65536, 1 << 22]);
      case 3:
        return junkString();
      case 4:
        return pick(["running", "paused", "frozen", "start", "kill", "honour", "save"]);
      case 5:
        return kernel;
      case 6:
        return join(tmpdir(), `dm-fuzz-${rng.below(1000)}`);
      case 7:
        return Array.from({ length: rng.below(4) }, () => junkValue(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: rng.below(4) }, () => [pick(["name", "path", "x", "action", "state", "sizeMiB"]), junkValue(depth + 1)]),
        );
    }
  };
  const nameFor = (kept: boolean) =>
    kept
      ? pick(KEPT)
      : pick([...FUZZ, ...FUZZ, "nobody", "", "..", "a b", "x".repeat(64), "%00", "%2F", "fz-a%2Fb", "%E0%A4%A", "ok.name_1"]);
  const createBody = (): Record<string, unknown> => {
    const b: Record<string, unknown> = { name: pick(FUZZ), kernel };
    if (chance(0.5)) b.memoryMiB = pick([16, 32, 4, 6]);
    if (chance(0.3)) b.cpus = pick([1, 2]);
    if (chance(0.3)) b.append = junkString();
    if (chance(0.2)) b.disks = [pick([{ sizeMiB: 1 }, { sizeMiB: 2, readOnly: true }, { path: kernel, readOnly: true }])];
    if (chance(0.3)) b.onSuspend = pick(["honour", "save", "deny"]);
    return b;
  };
  const actionBody = (kept: boolean): Record<string, unknown> => {
    // Kept VMs never get a request that could end or change them for good.
    const actions = kept
      ? ["powerdown", "sleep", "wakeup", "start", "restore"]
      : ["start", "powerdown", "sleep", "wakeup", "reset", "kill", "snapshot", "restore", "save"];
    const a = pick(actions);
    if (a === "restore") return { action: a, path: pick(["/nonexistent.snap", kernel, "relative.snap"]) };
    if (a === "snapshot") return { action: a };
    return { action: a };
  };
  /** Spoils a valid body: a wrong type, an unknown field, a missing field, or no JSON at all. */
  const spoil = (b: Record<string, unknown>): string | Buffer => {
    const keys = Object.keys(b);
    switch (rng.below(9)) {
      case 0:
        return JSON.stringify({ ...b, [pick(["extra", "__proto__", "constructor", "Name", "state2"])]: junkValue() });
      case 1:
        if (keys.length) b[pick(keys)] = junkValue();
        return JSON.stringify(b);
      case 2:
        if (keys.length) delete b[pick(keys)];
        return JSON.stringify(b);
      case 3: {
        const s = JSON.stringify(b);
        return s.slice(0, rng.below(s.length));
      }
      case 4:
        return Buffer.from(Array.from({ length: rng.below(64) }, () => rng.below(256)));
      case 5:
        return JSON.stringify(junkValue());
      case 6:
        return JSON.stringify({ ...b, pad: "y".repeat(limit + rng.below(1000)) });
      case 7:
        return `${"[".repeat(2000)}${"]".repeat(2000)}`;
      default:
        return JSON.stringify([b]);
    }
  };

  return (): Req => {
    // Raw bytes that are not (quite) HTTP.
    if (chance(0.03)) {
      const raw = pick([
        "GARBAGE\r\n\r\n",
        "GET /vms HTTP/9.9\r\n\r\n",
        `GET /${"v".repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        "POST /vms HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{",
        "POST /vms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "PUT /vms/keep-run1/state HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        `GET /vms HTTP/1.1\r\n${"X-A: b\r\n".repeat(3000)}\r\n`,
        "\u0000\u0001\u0002\r\n\r\n",
      ]);
      return { method: "RAW", path: "", raw: Buffer.from(raw, "latin1") };
    }
    const kept = chance(0.3);
    const route = rng.below(100);
    const valid = chance(0.3);
    let method: string;
    let path: string;
    let body: Record<string, unknown> | undefined;
    if (route < 15) {
      method = "GET";
      path = pick(["/vms", "/openapi.json", "/vms?x=1", "/events?vm=nobody", "/events?junk=1"]);
    } else if (route < 35) {
      method = "POST";
      path = "/vms";
      body = createBody();
    } else if (route < 45) {
      method = pick(["GET", "GET", "DELETE"]);
      path = `/vms/${nameFor(kept)}`;
      if (method === "DELETE" && kept) method = "GET";
      if (method === "DELETE" && chance(0.5)) path += pick(["?disks=true", "?disks=maybe", "?force=1", "?disks=false"]);
    } else if (route < 60) {
      method = "PUT";
      path = `/vms/${nameFor(kept)}/state`;
      body = { state: pick(["paused", "running"]) };
    } else if (route < 85) {
      method = "POST";
      path = `/vms/${nameFor(kept)}/actions`;
      body = actionBody(kept);
    } else if (route < 90) {
      method = "GET";
      path = `/vms/${nameFor(kept)}/console`;
    } else {
      method = pick(["PATCH", "OPTIONS", "HEAD", "TRACE", "GET", "POST", "DELETE", "PUT"]);
      path = pick([
        "/",
        "/vms/",
        "//vms",
        "/vms/a/b/c",
        "/VMS",
        "/vms/keep-run1/actions/x",
        `/${junkString()}`,
        "/openapi.json",
        "/vms/keep-run1/state",
      ]);
      if (path === "/vms/keep-run1/state" && method === "PUT") method = "PATCH";
    }
    let text = body === undefined ? (chance(0.1) ? junkString() : undefined) : valid ? JSON.stringify(body) : spoil(body);
    // A spoiled body can turn into a valid action that would end or start a kept VM: not for those.
    if (kept && typeof text === "string" && /"action"\s*:\s*"(start|kill|save|reset|restore|snapshot)"/.test(text))
      text = text.replace(/"action"\s*:\s*"(start|kill|save|reset|restore|snapshot)"/g, '"action":"powerdown"');
    return { method, path, body: text };
  };
}

/** Sends one request on its own connection; the status, or 0 when the connection ended without one. */
function send(socketPath: string, r: Req): Promise<number> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    let got = "";
    let done = false;
    const finish = (status: number) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(status);
    };
    const t = setTimeout(() => finish(-1), 30_000);
    // An error (EPIPE when the daemon stopped reading a body over the limit) is followed by
    // "close": the answer may still be there to read.
    s.on("error", () => {});
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      // GET /events streams: its status line is all we wait for.
      if (/^HTTP\/1\.1 \d{3}/.test(got) && (/\r\n\r\n/.test(got) || got.length > 64)) {
        clearTimeout(t);
        finish(statusOf(got));
      }
    });
    s.on("close", () => {
      clearTimeout(t);
      finish(statusOf(got));
    });
    s.on("connect", () => {
      if (r.raw) {
        s.end(r.raw);
        return;
      }
      const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, "utf8");
      s.write(`${r.method} ${r.path} HTTP/1.1\r\nHost: dormouse\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`);
      s.end(body);
    });
  });
}

function statusOf(text: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** What must not change in a kept VM. */
const fingerprint = (v: VmInfo) => JSON.stringify({ uuid: v.uuid, spec: v.spec, pid: v.pid, alive: v.pid !== null });

async function reapFuzzVms(api: ApiClient): Promise<void> {
  const { vms } = await api.call<{ vms: VmInfo[] }>("GET", "/vms");
  for (const v of vms)
    if (FUZZ.includes(v.name) && v.pid) await api.raw("POST", `/vms/${v.name}/actions`, JSON.stringify({ action: "kill" }));
}

/** Runs `count` fuzzed requests (default 10^5) from `seed`, `parallel` at a time. */
export async function fuzzApi(
  opts: { count?: number; seed?: number; parallel?: number; log?: (m: string) => void } = {},
): Promise<FuzzResult> {
  const count = opts.count ?? 100_000;
  const log = opts.log ?? (() => {});
  const rng = new Rng(opts.seed ?? 11);
  const ticker = buildGuest("console", { VARIANT: 3, TICK: 5_000_000 });
  const stateDir = tempStateDir("fuzz");
  const d = await daemonProcess(stateDir);
  const api = d.api;
  const r: FuzzResult = {
    requests: 0,
    s2xx: 0,
    s4xx: 0,
    s5xx: 0,
    noAnswer: 0,
    daemonAlive: false,
    vmsIntact: false,
    seconds: 0,
    problems: [],
  };
  try {
    for (const name of KEPT) await api.call("POST", "/vms", { name, kernel: ticker, memoryMiB: 16 });
    for (const name of ["keep-run1", "keep-run2", "keep-off"]) await api.call("POST", `/vms/${name}/actions`, { action: "start" });
    await api.call("POST", "/vms/keep-off/actions", { action: "kill" });
    const before = new Map<string, string>();
    for (const name of KEPT) before.set(name, fingerprint(await api.call<VmInfo>("GET", `/vms/${name}`)));
    const next = generator(rng, ticker, 64 << 10);
    const t0 = Date.now();
    let sent = 0;
    const worker = async () => {
      while (sent < count) {
        const req = next();
        sent++;
        const status = await send(api.socketPath, req);
        r.requests++;
        if (status >= 200 && status < 300) r.s2xx++;
        else if (status >= 400 && status < 500) r.s4xx++;
        else if (status >= 500) {
          r.s5xx++;
          if (r.problems.length < 10)
            r.problems.push(`${status} for ${req.method} ${req.path} ${String(req.body ?? req.raw ?? "").slice(0, 200)}`);
        } else r.noAnswer++;
        if (r.requests % 2000 === 0) {
          if (r.requests % 10_000 === 0)
            log(`${r.requests} requests, ${((Date.now() - t0) / 1000).toFixed(0)} s: 2xx=${r.s2xx} 4xx=${r.s4xx} 5xx=${r.s5xx}`);
          await reapFuzzVms(api);
        }
      }
    };
    await Promise.all(Array.from({ length: opts.parallel ?? 6 }, worker));
    r.seconds = (Date.now() - t0) / 1000;
    await reapFuzzVms(api);
    r.daemonAlive = d.proc.exitCode === null && (await api.raw("GET", "/vms")).status === 200;
    r.vmsIntact = true;
    for (const name of KEPT) {
      const v = await api.call<VmInfo>("GET", `/vms/${name}`).catch(() => null);
      // A kept VM may have been paused or had a button pressed; it must be the same VM, still in its process.
      const now = v ? fingerprint(v) : "gone";
      if (now !== before.get(name)) {
        r.vmsIntact = false;
        r.problems.push(`${name}: was ${before.get(name)}, now ${now}`);
      }
    }
  } finally {
    try {
      const { vms } = await api.call<{ vms: VmInfo[] }>("GET", "/vms");
      for (const v of vms) if (v.pid) await api.raw("POST", `/vms/${v.name}/actions`, JSON.stringify({ action: "kill" }));
    } catch {
      // the daemon is gone: its VMs' processes end on their own... unless they run; kill what is recorded
    }
    await d.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return r;
}

/** The line npm run fuzz:api prints. */
export function fuzzSummary(r: FuzzResult): string {
  return `api-fuzz: requests=${r.requests} s2xx=${r.s2xx} s4xx=${r.s4xx} s5xx=${r.s5xx} no_answer=${r.noAnswer} daemon=${r.daemonAlive ? "alive" : "dead"} vms_intact=${r.vmsIntact ? "ok" : "fail"} seconds=${r.seconds.toFixed(0)}`;
}
