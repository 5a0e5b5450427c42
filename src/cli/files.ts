// Files named on the command line, checked before anything is built or written: inputs must be
// regular files of a sensible size (never a device or a FIFO read until memory runs out), and a
// snapshot target must be a new file or an earlier snapshot (never a directory, never some other file).
import { accessSync, closeSync, constants, fstatSync, mkdirSync, openSync, readSync, type Stats, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SNAPSHOT_MAGIC } from "../vmm/snapshot.ts";
import { fileProblem } from "./args.ts";

/** Opens `path` for reading without blocking on a FIFO or a device; a one-line Error saying why not. */
function openRegular(path: string, what: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new Error(`cannot read the ${what} ${path}: ${fileProblem(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new Error(`the ${what} ${path} is a directory, not a file`);
    if (!st.isFile()) throw new Error(`the ${what} ${path} is not a regular file`);
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The whole of a regular file of at most `max` bytes (a kernel, an initrd, a device tree, an image). */
export function readInputFile(path: string, what: string, max: number): Uint8Array {
  const { fd, size } = openRegular(path, what);
  try {
    if (size > max) throw new Error(`the ${what} ${path} is ${size} bytes, more than the ${max} it can be`);
    const bytes = new Uint8Array(size);
    let got = 0;
    for (let n = -1; got < size && n !== 0; got += n) {
      try {
        n = readSync(fd, bytes, got, size - got, got);
      } catch (e) {
        throw new Error(`cannot read the ${what} ${path}: ${fileProblem(e)}`);
      }
    }
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Refuses a snapshot to resume that is not a regular file (before anything reads it). */
export function checkSnapshotSource(path: string): void {
  closeSync(openRegular(path, "snapshot").fd);
}

/**
 * Refuses a save= target that is a directory, a device, or an existing file that is not a Dormouse
 * snapshot (replacing a disk image or a kernel by mistake would lose it), and one whose directory
 * cannot take the new file.
 */
export function checkSnapshotTarget(path: string): void {
  const refuse = (why: string) => new Error(`cannot write the snapshot to ${path}: ${why}`);
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw refuse(fileProblem(e));
  }
  if (st?.isDirectory()) throw refuse("it is a directory (save= names the snapshot file)");
  if (st && !st.isFile()) throw refuse("it is not a regular file");
  if (st) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      throw refuse(`cannot read the file there to check it is a snapshot: ${fileProblem(e)}`);
    }
    try {
      const start = new Uint8Array(SNAPSHOT_MAGIC.length);
      const n = readSync(fd, start, 0, start.length, 0);
      if (n < start.length || !start.every((b, i) => b === SNAPSHOT_MAGIC[i]))
        throw refuse("that file exists and is not a Dormouse snapshot, so it is not replaced");
    } finally {
      closeSync(fd);
    }
  }
  const dir = dirname(path);
  let parent: Stats;
  try {
    parent = statSync(dir);
  } catch (e) {
    throw refuse((e as NodeJS.ErrnoException).code === "ENOENT" ? `no such directory ${dir}` : `${dir}: ${fileProblem(e)}`);
  }
  if (!parent.isDirectory()) throw refuse(`${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw refuse(`${fileProblem(e)} in ${dir}`);
  }
}

/**
 * Creates a directory and its missing parents one at a time, so an impossible one is a one-line
 * error (Node's recursive mkdir loops forever under /proc), and refuses a path that is a file.
 */
export function makeDirectory(path: string, what: string): void {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    let st: Stats | undefined;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot use the ${what} ${path}: ${fileProblem(e)}`);
    }
    if (st && !st.isDirectory())
      throw new Error(`cannot use the ${what} ${path}: ${p === resolve(path) ? "it is" : `${p} is`} not a directory`);
    if (st || dirname(p) === p) break;
    missing.unshift(p);
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`cannot create the ${what} ${p}: ${fileProblem(e)}`);
    }
  }
}

/**
 * Refuses the same file given twice as disks where either is read-write (compared by device and
 * inode: a link or another spelling of the path is the same file); read-only ones may share.
 */
export function checkDistinctDisks(disks: { path: string; readOnly?: boolean }[]): void {
  const seen = new Map<string, { path: string; readOnly?: boolean }>();
  for (const d of disks) {
    let key: string;
    try {
      const st = statSync(d.path, { bigint: true });
      key = `${st.dev}:${st.ino}`;
    } catch {
      continue; // attaching it says why it cannot be used
    }
    const first = seen.get(key);
    if (first && !(first.readOnly && d.readOnly)) {
      const same = first.path === d.path ? "" : ` (as ${first.path})`;
      throw new Error(`the disk ${d.path} is given twice${same}; one file is attached twice only read-only (",ro")`);
    }
    seen.set(key, first ?? d);
  }
}
