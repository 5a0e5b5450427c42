// The daemon ⇄ VM process protocol: JSON lines over the VM process's unix socket (in the state
// directory's run/, 0700). The daemon sends commands with an id and gets one reply each; after
// `subscribe` the process also sends every event of its VM, and the guest's RTC alarm whenever it changes. A connection whose first line is
// `{"cmd":"console"}` carries the serial console instead: after the process's `{"ok":true}` line,
// raw bytes both ways (the console's recent output first).
import type { Socket } from "node:net";

/** What the daemon asks a VM process to do. */
export type VmCommand =
  | { cmd: "status" }
  /** Events from now on (with `replay`, the ones the process kept from before too). */
  | { cmd: "subscribe"; replay?: boolean }
  /** Starts the VM the process was launched for (boot, boot the hibernated board, restore). */
  | { cmd: "go" }
  | { cmd: "pause" }
  | { cmd: "resume" }
  | { cmd: "powerdown" }
  | { cmd: "sleep" }
  | { cmd: "wakeup" }
  | { cmd: "reset" }
  | { cmd: "kill" }
  | { cmd: "snapshot"; path: string }
  | { cmd: "save" }
  /** A host suspend: a running VM frozen, a suspended one held, a paused one's disks flushed (issue 12). */
  | { cmd: "freeze" }
  /** The host woke: what freeze held continues. */
  | { cmd: "thaw" }
  | { cmd: "console" };

/** A VM process's status reply. */
export interface VmStatus {
  uuid: string;
  pid: number;
  state: string;
  since: string;
  alarm: string | null;
  /** Held by a host freeze: the state a thaw returns it to. */
  frozenFrom: "running" | "suspended" | null;
}

export type VmReply = { id: number; ok: true; result?: Record<string, unknown> } | { id: number; ok: false; status: number; error: string };

/** An event pushed to subscribers: the VM's event (src/vmm/events.ts) as JSON. */
export interface VmEventMessage {
  event: Record<string, unknown> & { event: string; timestamp: string };
}

/** Pushed to subscribers when the guest's pending RTC alarm changes (set, moved, fired or cleared). */
export interface VmAlarmMessage {
  alarm: string | null;
}

/** A line longer than this ends the connection (neither side sends one). */
export const MAX_LINE = 1 << 20;

/**
 * Calls `onLine` with each complete line of `socket` parsed as JSON (a line that is not JSON,
 * or longer than MAX_LINE, destroys the connection). Returns a function that stops reading lines
 * and hands back what arrived after the last one (a console switching to raw bytes).
 */
export function readLines(socket: Socket, onLine: (msg: unknown) => void): () => Buffer {
  let buf: Buffer = Buffer.alloc(0);
  let stopped = false;
  const onData = (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    let nl: number;
    while (!stopped && (nl = buf.indexOf(10)) >= 0) {
      const line = buf.subarray(0, nl).toString("utf8");
      buf = buf.subarray(nl + 1);
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      onLine(msg);
    }
    if (buf.length > MAX_LINE) socket.destroy();
  };
  socket.on("data", onData);
  return () => {
    stopped = true;
    socket.off("data", onData);
    const rest = buf;
    buf = Buffer.alloc(0);
    return rest;
  };
}

/** Writes one JSON line. */
export function sendLine(socket: Socket, msg: unknown): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(msg)}\n`);
}
