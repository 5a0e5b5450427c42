// The guest console's output on a Node stream (stdout): bytes are gathered and written in
// batches; once the stream holds LIMIT bytes nobody has read, the sink reports itself full and
// the PL011 holds the guest (its TX FIFO fills) until the stream drains. So a guest printing
// through a slow pipe uses bounded memory, and end() waits until everything has been written.
import type { ConsoleSink } from "../../devices/types.ts";

/** Bytes queued in the stream (unread by its reader) before the guest is held. */
const LIMIT = 256 << 10;

/** A console sink over a writable stream, with end() to flush it before the process exits. */
export interface StreamSink extends ConsoleSink {
  /** Writes what is gathered and resolves once the stream has handed it all to the system (or failed). */
  end(): Promise<void>;
}

export function streamSink(stream: NodeJS.WriteStream | NodeJS.WritableStream): StreamSink {
  const s = stream as NodeJS.WritableStream & { writableLength: number };
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  let full = false;
  let broken = false;
  let drained: () => void = () => {};
  const queued = () => pendingBytes + s.writableLength;
  const room = () => {
    if (full && queued() < LIMIT) {
      full = false;
      drained();
    }
  };
  const flush = () => {
    scheduled = false;
    if (!pendingBytes) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (!broken) s.write(chunk);
    room();
  };
  s.on("drain", room);
  // A reader that went away (EPIPE): output is dropped rather than held forever.
  s.on("error", () => {
    broken = true;
    pending = [];
    pendingBytes = 0;
    room();
  });
  return {
    write(bytes) {
      if (broken) return true;
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      if (queued() >= LIMIT) full = true;
      return !full;
    },
    onDrain(fn) {
      drained = fn;
    },
    end() {
      flush();
      if (broken || s.writableLength === 0) return Promise.resolve();
      // Not "drain": it comes only after a write the stream refused, and one it took can still
      // be queued — the process would then end with this promise pending. An empty write's
      // callback runs once every write before it is done (or failed).
      return new Promise((resolve) => {
        const done = () => {
          s.off("error", done);
          resolve();
        };
        s.on("error", done);
        s.write(Buffer.alloc(0), done);
      });
    },
  };
}
