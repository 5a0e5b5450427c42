// Snapshot storage and codec for Node: files written atomically (a temporary file beside the
// target, fsync, rename), raw deflate on zlib's thread pool, SHA-256.
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createDeflateRaw, inflateRaw } from "node:zlib";
import { type SnapshotCodec, SnapshotError, type SnapshotIo, type SnapshotStorage } from "../../vmm/snapshot.ts";

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/** Snapshot files on the local file system. */
export const snapshotFiles: SnapshotStorage = {
  read(path) {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new SnapshotError(`cannot read ${path}: ${code(e)}`);
    }
  },
  async write(path, bytes) {
    const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
    let fd: number;
    try {
      fd = openSync(tmp, "w", 0o600);
    } catch (e) {
      throw new SnapshotError(`cannot write the snapshot next to ${path}: ${code(e)}`);
    }
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      unlinkSync(tmp);
      throw new SnapshotError(`writing the snapshot failed: ${code(e)}`);
    }
    closeSync(fd);
    renameSync(tmp, path);
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
  inflate(bytes) {
    return new Promise((resolve, reject) => inflateRaw(bytes, (e, r) => (e ? reject(e) : resolve(r))));
  },
  sha256(bytes) {
    return createHash("sha256").update(bytes).digest();
  },
};

/** Snapshot files and zlib. */
export const nodeSnapshotIo: SnapshotIo = { storage: snapshotFiles, codec: zlibCodec };
