// A client of the daemon's API (HTTP/1.1 + JSON on its unix socket) for the CLI, tools and
// tests; ensureDaemon() starts the daemon when nobody serves the state directory yet.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { apiSocketOf, connectUnix, dormouseCommand, dormouseEnv } from "../daemon/locate.ts";

/** An answer of the API that is not a success: its status and message. */
export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiAnswer {
  status: number;
  body: unknown;
  text: string;
}

export class ApiClient {
  constructor(readonly socketPath: string) {}

  /** One request; resolves with the status and the parsed body whatever the status. */
  raw(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          // A connection per request: a kept-alive one the daemon closes as it is reused fails (EPIPE).
          agent: false,
          method,
          path,
          headers: data === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on("data", (d: Buffer) => parts.push(d));
          res.on("end", () => {
            const text = Buffer.concat(parts).toString("utf8");
            let parsed: unknown = text;
            if ((res.headers["content-type"] ?? "").startsWith("application/json")) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  }

  /** A request that must succeed: the body, or an ApiClientError with the API's message. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.raw(method, path, body);
    if (r.status >= 200 && r.status < 300) return r.body as T;
    const msg = (r.body as { error?: string })?.error ?? (r.text.trim() || `HTTP ${r.status}`);
    throw new ApiClientError(r.status, msg);
  }
}

/** Whether a daemon answers on the state directory's socket. */
export async function daemonRunning(stateDir: string): Promise<boolean> {
  try {
    (await connectUnix(apiSocketOf(resolve(stateDir)), 2000)).destroy();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the daemon for `stateDir` when none answers (detached, its log in <dir>/daemon.log) and
 * waits until it serves; returns a client of it.
 */
export async function ensureDaemon(stateDir: string, command = dormouseCommand()): Promise<ApiClient> {
  const dir = resolve(stateDir);
  const client = new ApiClient(apiSocketOf(dir));
  if (await daemonRunning(stateDir)) return client;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = openSync(join(dir, "daemon.log"), "a", 0o600);
  const child = spawn(command[0], [...command.slice(1), "daemon", "--state-dir", dir], {
    detached: true,
    stdio: ["ignore", log, log],
    env: dormouseEnv(),
  });
  closeSync(log);
  let exited: string | null = null;
  child.on("exit", (code, signal) => {
    exited = signal ?? `code ${code}`;
  });
  child.unref();
  const t0 = Date.now();
  while (Date.now() - t0 < 30_000) {
    if (await daemonRunning(stateDir)) return client;
    if (exited) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the daemon did not start (${exited ? `it exited, ${exited}` : "no answer in 30 s"}): see ${join(dir, "daemon.log")}`);
}
