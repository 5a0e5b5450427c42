// Snapshot storage and checksum for Node: files written atomically (a temporary file beside the
// target named with the writer's pid, fsync, rename; temporary files whose writer died are
// removed by the next write beside them), read only when they are regular files of a size a
// snapshot can have, a range at a time straight into where it goes (guest RAM); XXH3-64
// (@node-rs/xxhash, loaded on first use).
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writevSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import type { xxh3 } from "@node-rs/xxhash";
import { type Checksum, SnapshotError, type SnapshotIo, type SnapshotStorage } from "../../vmm/snapshot.ts";

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/** The temporary file a writer with process id `pid` uses for `path`. */
export function tempPath(path: string, pid = process.pid): string {
  return join(dirname(path), `.${basename(path)}.tmp-${pid}`);
}

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === "EPERM";
  }
}

/** Removes the temporary files of `path` left by writers that died (kill -9, power loss) before renaming them. */
export function sweepTempFiles(path: string): void {
  const prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    try {
      unlinkSync(join(dirname(path), n));
    } catch {
      // Gone already (another writer swept it), or not ours to remove.
    }
  }
}

/** Snapshot files on the local file system. */
export const snapshotFiles: SnapshotStorage = {
  open(path, { minBytes, maxBytes }) {
    let fd: number;
    try {
      // Non-blocking: opening a FIFO must not wait for a writer.
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      throw new SnapshotError(`cannot read ${path}: ${code(e)}`);
    }
    let size: number;
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new SnapshotError(`${path} is a directory, not a Dormouse snapshot`);
      if (!st.isFile()) throw new SnapshotError(`${path} is not a regular file, so not a Dormouse snapshot`);
      if (st.size < minBytes) throw new SnapshotError(`${path} is not a Dormouse snapshot (${st.size} bytes is too short)`);
      if (st.size > maxBytes) throw new SnapshotError(`${path} is not a Dormouse snapshot (${st.size} bytes is larger than any snapshot)`);
      size = st.size;
    } catch (e) {
      closeSync(fd);
      if (e instanceof SnapshotError) throw e;
      throw new SnapshotError(`cannot read ${path}: ${code(e)}`);
    }
    return {
      size,
      read(position, into) {
        // No further than the size stat gave: a file that grows meanwhile is read no further.
        if (position + into.length > size) throw new SnapshotError(`${path} is corrupted or truncated (it ends at byte ${size})`);
        let at = 0;
        try {
          while (at < into.length) {
            const n = readSync(fd, into, at, Math.min(into.length - at, 1 << 30), position + at);
            if (n === 0) break;
            at += n;
          }
        } catch (e) {
          throw new SnapshotError(`cannot read ${path}: ${code(e)}`);
        }
        if (at < into.length) throw new SnapshotError(`${path} is corrupted or truncated (it ended at byte ${position + at})`);
      },
      close() {
        closeSync(fd);
      },
    };
  },
  async write(path, parts) {
    sweepTempFiles(path);
    const tmp = tempPath(path);
    let fd: number;
    try {
      fd = openSync(tmp, "w", 0o600);
    } catch (e) {
      throw new SnapshotError(`cannot write the snapshot next to ${path}: ${code(e)}`);
    }
    try {
      try {
        writeAll(fd, parts);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // Renamed after all, or removed: nothing left behind either way.
      }
      throw new SnapshotError(`writing the snapshot ${path} failed: ${code(e)}`);
    }
  },
};

/** Writes every byte of `parts` (writev, at most IOV_MAX buffers a call, resumed after a short write). */
function writeAll(fd: number, parts: Uint8Array[]): void {
  const queue = parts.filter((p) => p.length);
  let i = 0;
  while (i < queue.length) {
    let n = writevSync(fd, queue.slice(i, i + 1024));
    while (i < queue.length && n >= queue[i].length) n -= queue[i++].length;
    if (n) queue[i] = queue[i].subarray(n);
  }
}

let Xxh3: typeof xxh3.Xxh3 | null = null;

/**
 * XXH3-64 (about 20 GB/s here; SHA-256 with the CPU's SHA extensions made 1.7). @node-rs/xxhash is
 * loaded when a snapshot is first read or written, not by every command.
 */
export function xxh3Checksum(): Checksum {
  Xxh3 ??= (createRequire(import.meta.url)("@node-rs/xxhash") as { xxh3: typeof xxh3 }).xxh3.Xxh3;
  const h = Xxh3.withSeed();
  return {
    update(bytes) {
      h.update(bytes);
    },
    digest() {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, h.digest(), true);
      return out;
    },
  };
}

/** Snapshot files and XXH3-64. */
export const nodeSnapshotIo: SnapshotIo = { storage: snapshotFiles, checksum: xxh3Checksum };
