// Snapshot storage and checksum for Node: files written atomically (a temporary file beside the
// target named with the writer's pid, fsync, rename; temporary files whose writer died are
// removed by the next write beside them; guest pages with O_DIRECT where the file system takes
// it), read only when they are regular files of a size a snapshot can have, a range at a time
// straight into where it goes (guest RAM); XXH3-64 (@node-rs/xxhash, loaded on first use).
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  read,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writevSync,
} from "node:fs";
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
      readAsync(position, into) {
        if (position + into.length > size)
          return Promise.reject(new SnapshotError(`${path} is corrupted or truncated (it ends at byte ${size})`));
        return new Promise((resolve, reject) => {
          const step = (at: number) =>
            read(fd, into, at, Math.min(into.length - at, 1 << 30), position + at, (e, n) => {
              if (e) reject(new SnapshotError(`cannot read ${path}: ${code(e)}`));
              else if (n === 0) reject(new SnapshotError(`${path} is corrupted or truncated (it ended at byte ${position + at})`));
              else if (at + n < into.length) step(at + n);
              else resolve();
            });
          step(0);
        });
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
        writeParts(fd, tmp, parts);
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

/** Writes every byte of `parts` at `position` on (writev, resumed after a short write). */
function writeAllAt(fd: number, parts: Uint8Array[], position: number): void {
  const queue = [...parts];
  let i = 0;
  while (i < queue.length) {
    let n = writevSync(fd, queue.slice(i), position);
    position += n;
    while (i < queue.length && n >= queue[i].length) n -= queue[i++].length;
    if (n) queue[i] = queue[i].subarray(n);
  }
}

/** The block size O_DIRECT writes are made of (offsets, lengths and buffers aligned to it). */
const BLOCK = 4096;

/**
 * Writes `parts` one after the other into the new file `path` open as `fd`. Parts that are whole
 * blocks at block-aligned offsets (a snapshot's pages: views of guest RAM, aligned in memory too)
 * go through a second descriptor opened O_DIRECT, straight from where they are to the disk; the
 * rest, and everything wherever O_DIRECT is refused (a file system without it, a buffer not
 * aligned in memory: EINVAL), through the page cache. Measured here for the 82 MiB of a Linux
 * guest's pages: 0.05 s and 5 ms of CPU with O_DIRECT, 0.03-0.33 s of CPU copying them into the
 * page cache and 0.03-0.06 s of fsync buffered; nor do a saved VM's pages crowd the host's page
 * cache until it resumes.
 */
function writeParts(fd: number, path: string, parts: Uint8Array[]): void {
  const list = parts.filter((p) => p.length);
  const aligned = (p: Uint8Array, at: number) => at % BLOCK === 0 && p.length % BLOCK === 0;
  let directOk = constants.O_DIRECT !== undefined;
  let direct: number | null = null;
  try {
    for (let i = 0, at = 0; i < list.length;) {
      const a = aligned(list[i], at);
      let j = i;
      let end = at;
      while (j < list.length && j - i < 1024 && aligned(list[j], end) === a) end += list[j++].length;
      const batch = list.slice(i, j);
      if (a && directOk) {
        try {
          direct ??= openSync(path, constants.O_WRONLY | constants.O_DIRECT);
          writeAllAt(direct, batch, at);
        } catch (e) {
          if (code(e) !== "EINVAL") throw e;
          directOk = false;
          writeAllAt(fd, batch, at);
        }
      } else writeAllAt(fd, batch, at);
      i = j;
      at = end;
    }
  } finally {
    if (direct !== null) closeSync(direct);
  }
}

let Xxh3: typeof xxh3.Xxh3 | null = null;

/**
 * @node-rs/xxhash: on Linux with glibc its binding for this machine loaded straight, which takes
 * 1.5 ms of CPU where its index.js (compiled, probing a file beside it and the C library, then
 * loading the same binding) took 3.5-5 ms of every resume; anywhere else, or should that fail
 * (not installed), through index.js, which finds the right one.
 */
function loadXxhash(): { xxh3: typeof xxh3 } {
  const require = createRequire(import.meta.url);
  if (process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64")) {
    let musl = true;
    try {
      musl = readFileSync("/usr/bin/ldd", "latin1").includes("musl");
    } catch {
      // No ldd to tell: index.js decides.
    }
    if (!musl) {
      try {
        return require(`@node-rs/xxhash-linux-${process.arch}-gnu`) as { xxh3: typeof xxh3 };
      } catch {
        // Not installed where it resolves from here: index.js finds it.
      }
    }
  }
  return require("@node-rs/xxhash") as { xxh3: typeof xxh3 };
}

/**
 * XXH3-64 (about 20 GB/s here; SHA-256 with the CPU's SHA extensions made 1.7). @node-rs/xxhash is
 * loaded when a snapshot is first read or written, not by every command.
 */
export function xxh3Checksum(): Checksum {
  Xxh3 ??= loadXxhash().xxh3.Xxh3;
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
