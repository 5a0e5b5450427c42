// Disk images for Node: raw image files opened with synchronous I/O and locked (disk-lock.ts),
// and their identity for snapshots (size, modification time, a hash of samples).
import { closeSync, constants, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { type BlockBackend, type BlockBackends, DiskError, type DiskIdentity } from "../../devices/virtio/blk.ts";
import { lockImage } from "./disk-lock.ts";
import { fileProblem } from "./errno.ts";

/** Opening without O_NONBLOCK would wait forever on a FIFO (which is then refused as not a file). */
const READ = constants.O_RDONLY | constants.O_NONBLOCK;
const READ_WRITE = constants.O_RDWR | constants.O_NONBLOCK;

/** Opens a raw image file (a DiskError saying why when it cannot be used). */
export function openImageFile(path: string, readOnly: boolean): BlockBackend {
  let fd: number;
  try {
    fd = openSync(path, readOnly ? READ : READ_WRITE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new DiskError(`cannot attach ${path}: it is a directory, not a disk image`);
    if (!readOnly && (code === "EACCES" || code === "EPERM" || code === "EROFS"))
      throw new DiskError(`cannot open disk image ${path} for writing: ${fileProblem(e)} (attach it read-only to use it anyway)`);
    throw new DiskError(`cannot open disk image ${path}: ${fileProblem(e)}`);
  }
  let size: bigint;
  let unlock: () => void;
  try {
    const st = fstatSync(fd, { bigint: true });
    if (st.isDirectory()) throw new DiskError(`cannot attach ${path}: it is a directory, not a disk image`);
    if (!st.isFile()) throw new DiskError(`cannot attach ${path}: not a regular file`);
    size = st.size;
    unlock = lockImage(path, st.dev, st.ino, readOnly);
  } catch (e) {
    closeSync(fd);
    throw e instanceof DiskError ? e : new DiskError(`cannot attach ${path}: ${fileProblem(e)}`);
  }
  let open = true;
  return {
    size,
    read: (buf, pos) => readSync(fd, buf, 0, buf.length, pos),
    write: (buf, pos) => writeSync(fd, buf, 0, buf.length, pos),
    flush: () => fdatasyncSync(fd),
    close: () => {
      if (open) {
        closeSync(fd);
        unlock();
      }
      open = false;
    },
  };
}

const SAMPLE = 1 << 20;

/** node:crypto, loaded when a disk is first identified (a VM without disks never loads it: 3 ms of a resume). */
let crypto: typeof import("node:crypto") | null = null;

/** A disk image's identity: size, modification time, and a hash of the first and last MiB and 16 blocks between. */
export function imageIdentity(path: string): DiskIdentity {
  let fd: number;
  try {
    fd = openSync(path, READ);
  } catch (e) {
    throw new DiskError(`the disk ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new DiskError(`the disk ${path} is not a regular file`);
    const size = Number(st.size);
    crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
    const h = crypto.createHash("sha256");
    const buf = Buffer.alloc(SAMPLE);
    const take = (pos: number, len: number) => {
      const n = readSync(fd, buf, 0, Math.min(len, SAMPLE), pos);
      h.update(buf.subarray(0, n));
    };
    take(0, SAMPLE);
    for (let i = 1; i <= 16; i++) take(Math.floor((size * i) / 17), 64 << 10);
    take(Math.max(0, size - SAMPLE), SAMPLE);
    return { path, size, mtimeNs: st.mtimeNs.toString(), sample: h.digest("hex") };
  } finally {
    closeSync(fd);
  }
}

/** Raw image files. */
export const imageFiles: BlockBackends = { open: openImageFile, identify: imageIdentity };
