// Snapshot storage and codec for Node: files written atomically (a temporary file beside the
// target named with the writer's pid, fsync, rename; temporary files whose writer died are
// removed by the next write beside them), read only when they are regular files of a size a
// snapshot can have; raw deflate on zlib's thread pool (inflating no further than the memory
// image says), SHA-256.
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createDeflateRaw, inflateRaw } from "node:zlib";
import { type SnapshotCodec, SnapshotError, type SnapshotIo, type SnapshotStorage } from "../../vmm/snapshot.ts";

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
  read(path, { minBytes, maxBytes }) {
    let fd: number;
    try {
      // Non-blocking: opening a FIFO must not wait for a writer.
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      throw new SnapshotError(`cannot read ${path}: ${code(e)}`);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new SnapshotError(`${path} is a directory, not a Dormouse snapshot`);
      if (!st.isFile()) throw new SnapshotError(`${path} is not a regular file, so not a Dormouse snapshot`);
      if (st.size < minBytes) throw new SnapshotError(`${path} is not a Dormouse snapshot (${st.size} bytes is too short)`);
      if (st.size > maxBytes) throw new SnapshotError(`${path} is not a Dormouse snapshot (${st.size} bytes is larger than any snapshot)`);
      // Exactly the size stat gave: a file that grows meanwhile is read no further.
      const out = Buffer.allocUnsafe(st.size);
      let at = 0;
      while (at < out.length) {
        const n = readSync(fd, out, at, out.length - at, at);
        if (n === 0) break;
        at += n;
      }
      return at === out.length ? out : out.subarray(0, at);
    } catch (e) {
      if (e instanceof SnapshotError) throw e;
      throw new SnapshotError(`cannot read ${path}: ${code(e)}`);
    } finally {
      closeSync(fd);
    }
  },
  async write(path, bytes) {
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
        let at = 0;
        while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
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

/** zlib's raw deflate (level 1: RAM compresses well and fast) and inflate, off the main thread. */
export const zlibCodec: SnapshotCodec = {
  deflate(parts) {
    return new Promise((resolve, reject) => {
      const z = createDeflateRaw({ level: 1 });
      const out: Buffer[] = [];
      z.on("data", (d: Buffer) => out.push(d));
      z.on("end", () => resolve(Buffer.concat(out)));
      z.on("error", reject);
      for (const p of parts) z.write(p);
      z.end();
    });
  },
  inflate(bytes, maxBytes) {
    return new Promise((resolve, reject) =>
      inflateRaw(bytes, { maxOutputLength: Math.max(1, maxBytes) }, (e, r) => (e ? reject(e) : resolve(r))),
    );
  },
  sha256(bytes) {
    return createHash("sha256").update(bytes).digest();
  },
};

/** Snapshot files and zlib. */
export const nodeSnapshotIo: SnapshotIo = { storage: snapshotFiles, codec: zlibCodec };
