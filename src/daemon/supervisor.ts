// The daemon's side of the VM processes: each VM runs in a detached process of its own
// (`dormouse vm-process`, vm-process.ts), in its own session, so a VM's crash or out-of-memory
// ends only that process and a daemon restart (or crash) ends none. The daemon talks to it over
// its unix socket (protocol.ts); after a restart it re-adopts every live one — the pid must be
// alive, the socket the very inode the process recorded (a recycled pid or a stale socket is not
// the VM), and the process must answer with the VM's UUID.
import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync, renameSync, statSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { ApiError } from "./http.ts";
import { connectUnix, dormouseCommand, dormouseEnv } from "./locate.ts";
import { readLines, sendLine, type VmCommand, type VmStatus } from "./protocol.ts";
import type { StateRecord } from "./schemas.ts";
import type { StateStore } from "./store.ts";

export { connectUnix, dormouseCommand };

/** A connection to one VM process: commands with replies, and the VM's events. */
export class VmLink {
  private next = 1;
  private pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  /** Events and alarm lines read so far, and how many had been read when each reply was. */
  private seen = 0;
  private seenAtReply = new WeakMap<object, number>();
  /** Resolves when the connection ends (the process exited, or was killed). */
  readonly closed: Promise<void>;
  private listeners: ((e: Record<string, unknown> & { event: string; timestamp: string }) => void)[] = [];
  /** Called when the guest's pending RTC alarm changes (after a subscribe). */
  onAlarm: (alarm: string | null) => void = () => {};

  constructor(private readonly socket: Socket) {
    socket.on("error", () => {});
    readLines(socket, (msg) => {
      const m = msg as { id?: number; ok?: boolean; result?: Record<string, unknown>; error?: string; status?: number; event?: never };
      if (m && typeof m === "object" && m.event) {
        this.seen++;
        for (const l of this.listeners) l(m.event);
        return;
      }
      const a = (msg as { alarm?: unknown; id?: unknown })?.alarm;
      if ((msg as { id?: unknown })?.id === undefined && (a === null || typeof a === "string")) {
        this.seen++;
        this.onAlarm(a);
        return;
      }
      const p = this.pending.get(m?.id as number);
      if (!p) return;
      this.pending.delete(m.id as number);
      if (m.ok) {
        const result = m.result && typeof m.result === "object" ? m.result : {};
        this.seenAtReply.set(result, this.seen);
        p.resolve(result);
      } else p.reject(new ApiError(typeof m.status === "number" ? m.status : 500, String(m.error ?? "the VM process failed")));
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        for (const p of this.pending.values()) p.reject(new ApiError(409, "the VM's process ended"));
        this.pending.clear();
        resolve();
      }),
    );
  }

  /** Subscribes to the VM's events (with `replay`, the ones from before the subscription too). */
  async subscribe(listener: (e: Record<string, unknown> & { event: string; timestamp: string }) => void, replay: boolean): Promise<void> {
    this.listeners.push(listener);
    await this.request({ cmd: "subscribe", replay });
  }

  /**
   * Whether a reply's state is still the latest word: no event or alarm line came after it. (A
   * reply's continuation runs after the lines read with it in the same chunk, whose events are
   * newer than the state it carries.)
   */
  current(reply: Record<string, unknown>): boolean {
    return this.seenAtReply.get(reply) === this.seen;
  }

  /** Sends a command; resolves with its result, rejects with an ApiError (the process's status and message). */
  request(c: VmCommand, timeoutMs = 600_000): Promise<Record<string, unknown>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new ApiError(409, "the VM's process ended"));
        return;
      }
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError(504, `the VM's process did not answer ${c.cmd} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      sendLine(this.socket, { id, ...c });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How a VM process is to start its VM (vm-process.ts's options, as arguments). */
export interface SpawnMode {
  mode: "boot" | "restore";
  snapshot?: string;
  wake?: boolean;
  noresume?: boolean;
}

/** The last lines of a VM process's log (why it failed to start). */
function logTail(path: string): string {
  try {
    const lines = readFileSync(path, "utf8").trim().split("\n");
    return lines.slice(-3).join(" / ").slice(-500);
  } catch {
    return "";
  }
}

/**
 * Starts the VM's process detached and connects to it once it says it is listening. The VM does
 * not run until `go` is sent (so the daemon subscribes to its events first).
 */
export async function spawnVmProcess(
  store: StateStore,
  name: string,
  m: SpawnMode,
  command: string[],
): Promise<{ pid: number; link: VmLink }> {
  const logPath = join(store.vmDir(name), "process.log");
  try {
    if (statSync(logPath).size > 1 << 20) renameSync(logPath, `${logPath}.1`);
  } catch {
    // no log yet
  }
  const log = openSync(logPath, "a", 0o600);
  const args = [
    ...command.slice(1),
    "vm-process",
    "--state-dir",
    store.dir,
    "--name",
    name,
    "--mode",
    m.mode,
    ...(m.snapshot ? ["--snapshot", m.snapshot] : []),
    ...(m.wake ? ["--wake"] : []),
    ...(m.noresume ? ["--noresume"] : []),
  ];
  const child = spawn(command[0], args, { detached: true, stdio: ["ignore", "pipe", log], env: dormouseEnv() });
  closeSync(log);
  const pid = child.pid;
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const fail = (why: string) => {
      const tail = logTail(logPath);
      reject(new ApiError(500, `the VM's process ${why}${tail ? `: ${tail}` : ""}`));
    };
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      fail("did not start within 60 s");
    }, 60_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n")) {
        clearTimeout(t);
        child.stdout?.destroy();
        resolve();
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(t);
      fail(`exited at its start (${signal ?? `code ${code}`})`);
    });
    child.once("error", (e) => {
      clearTimeout(t);
      reject(new ApiError(500, `cannot start the VM's process: ${e.message}`));
    });
  });
  child.removeAllListeners("exit");
  child.unref();
  if (pid === undefined) throw new ApiError(500, "the VM's process has no pid");
  const record = store.readRecord(name);
  const link = new VmLink(await connectUnix(store.vmSocket(record.uuid)));
  return { pid, link };
}

/**
 * Re-adopts a VM process recorded in `s` (after a daemon restart): null when it is not there any
 * more, or the socket or process is not the one the record names.
 */
export async function adopt(s: StateRecord, uuid: string): Promise<{ link: VmLink; status: VmStatus } | null> {
  if (!s.pid || !s.socket || !alive(s.pid)) return null;
  try {
    if (statSync(s.socket).ino !== s.socketIno) return null;
  } catch {
    return null;
  }
  let socket: Socket;
  try {
    socket = await connectUnix(s.socket, 2000);
  } catch {
    return null;
  }
  const link = new VmLink(socket);
  try {
    const status = (await link.request({ cmd: "status" }, 5000)) as unknown as VmStatus;
    if (status.uuid !== uuid || status.pid !== s.pid) {
      link.close();
      return null;
    }
    return { link, status };
  } catch {
    link.close();
    return null;
  }
}
