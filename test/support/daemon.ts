// A daemon for tests and tools: in this process (new Daemon) or as `dormouse daemon` in a child
// process, on a temporary state directory, with an API client, an /events collector that waits
// for events, and the console of a VM as a GuestConsole.
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiClient, daemonRunning } from "../../src/cli/api-client.ts";
import { openConsole } from "../../src/cli/vm-console.ts";
import { Daemon } from "../../src/daemon/daemon.ts";
import { StateStore } from "../../src/daemon/store.ts";
import { GuestConsole } from "./guest-console.ts";
import { repoRoot } from "./toolchain.ts";

export type EventLine = Record<string, unknown> & { vm: string; event: string; timestamp: string };

/** A short temporary state directory (unix socket paths are limited to 107 bytes). */
export function tempStateDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `dm-${tag}-`));
}

/** GET /events, collected: every line, and waiting for one that matches. */
export class EventStream {
  readonly lines: EventLine[] = [];
  private waiters: { pred: (e: EventLine) => boolean; resolve: (e: EventLine) => void; from: number }[] = [];
  private req: ReturnType<typeof request> | null = null;

  static async open(socketPath: string, query = ""): Promise<EventStream> {
    const s = new EventStream();
    await new Promise<void>((resolve, reject) => {
      s.req = request({ socketPath, path: `/events${query}` }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET /events: ${res.statusCode}`));
        let buf = "";
        res.on("data", (d: Buffer) => {
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const e = JSON.parse(buf.slice(0, nl)) as EventLine;
            buf = buf.slice(nl + 1);
            s.lines.push(e);
            s.waiters = s.waiters.filter((w) => {
              if (!w.pred(e)) return true;
              w.resolve(e);
              return false;
            });
          }
        });
        res.on("error", () => {});
        resolve();
      });
      s.req.on("error", reject);
      s.req.end();
    });
    return s;
  }

  /** Waits for an event matching `pred` that arrives after `from` lines (default: from now on). */
  next(pred: (e: EventLine) => boolean, ms: number, what: string, from = this.lines.length): Promise<EventLine> {
    const seen = this.lines.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no ${what} event within ${ms / 1000} s (got ${JSON.stringify(this.lines.slice(from))})`)),
        ms,
      );
      this.waiters.push({
        pred,
        from,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  }

  close(): void {
    this.req?.destroy();
  }
}

/** A daemon of a temporary state directory in this process. */
export async function inProcessDaemon(stateDir = tempStateDir("api"), opts: { bodyLimit?: number } = {}) {
  const daemon = new Daemon({ stateDir, bodyLimit: opts.bodyLimit });
  await daemon.start();
  return { daemon, stateDir, api: new ApiClient(daemon.socketPath) };
}

/** `dormouse daemon` in a child process (what a user runs), waited for until it serves. */
export async function daemonProcess(stateDir: string): Promise<{ proc: ChildProcess; api: ApiClient; stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), "daemon", "--state-dir", stateDir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const t0 = Date.now();
  while (!(await daemonRunning(stateDir))) {
    if (proc.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`the daemon did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (proc.exitCode !== null) return;
    const done = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await done;
  };
  return { proc, api: new ApiClient(new StateStore(stateDir).apiSocket), stop };
}

/** The console of a running VM through the daemon, as a GuestConsole (typing goes to the guest). */
export async function vmConsole(socketPath: string, name: string): Promise<{ console: GuestConsole; close: () => void }> {
  const sock = await openConsole(socketPath, name);
  // The backlog holds an earlier console's sh() markers: this one numbers its own apart.
  const c = new GuestConsole((s) => sock.write(Buffer.from(s, "latin1")), false, (consoles += 1000));
  let last = Date.now();
  sock.on("data", (d: Buffer) => {
    last = Date.now();
    c.push(d.toString("latin1"));
  });
  sock.on("error", () => {});
  // The recent output comes first, at once: wait for it to settle — a quiet 200 ms, or 2 s at
  // most for a guest that never stops printing (a ticker prints every few milliseconds).
  const attached = Date.now();
  while (Date.now() - last < 200 && Date.now() - attached < 2000) await new Promise((r) => setTimeout(r, 50));
  return { console: c, close: () => sock.destroy() };
}

let consoles = 0;
