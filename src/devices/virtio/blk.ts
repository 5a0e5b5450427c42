// virtio-blk (virtio 1.x §5.2) over a raw image file: read, write, flush and GET_ID, with
// synchronous host I/O. Capacity is the file's size in 512-byte sectors (rounded down, so the
// device never grows the file); requests beyond it fail with VIRTIO_BLK_S_IOERR.
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import type { VirtioDevice } from "./mmio.ts";
import { type DescriptorChain, gather, scatter, sliceSegments, totalLength, VirtqueueError } from "./queue.ts";

/** Device-specific feature bits (§5.2.3). */
export const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
export const VIRTIO_BLK_F_RO = 1n << 5n;
export const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
export const VIRTIO_BLK_F_FLUSH = 1n << 9n;

/** Request types (§5.2.6). */
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;

/** Request status values (§5.2.6). */
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

export const SECTOR_SIZE = 512;
/** The GET_ID string's length (VIRTIO_BLK_ID_BYTES). */
export const VIRTIO_BLK_ID_BYTES = 20;

const QUEUE_SIZE = 256;
/** The request header: type (le32), reserved (le32), sector (le64). */
const HEADER_BYTES = 16;

/** A disk image that cannot be attached (missing, a directory, not writable...). */
export class DiskError extends Error {}

/** A disk to attach. */
export interface DiskOptions {
  /** A raw image file. */
  path: string;
  /** Attach read-only: VIRTIO_BLK_F_RO, and writes fail with VIRTIO_BLK_S_IOERR. */
  readOnly?: boolean;
  /** The GET_ID string (at most 20 bytes; default empty, as QEMU's). */
  serial?: string;
}

/** Plain, versioned virtio-blk state: which image it was and its size, checked on restore. */
export interface VirtioBlkState {
  version: 1;
  path: string;
  readOnly: boolean;
  sectors: bigint;
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOTDIR: "a component of the path is not a directory",
    ETXTBSY: "the file is busy",
  };
  return (code && known[code]) ?? (e instanceof Error ? e.message : String(e));
}

/** A virtio-blk device over a raw image. Throws DiskError from the constructor when the image cannot be used. */
export class VirtioBlk implements VirtioDevice {
  readonly deviceId = 2;
  readonly features: bigint;
  readonly queueSizes = [QUEUE_SIZE];
  readonly path: string;
  readonly readOnly: boolean;
  /** Capacity in 512-byte sectors. */
  readonly sectors: bigint;
  private fd: number | null;
  private readonly configSpace: Uint8Array;
  private readonly id = new Uint8Array(VIRTIO_BLK_ID_BYTES);

  constructor(options: DiskOptions) {
    const { path } = options;
    this.path = path;
    this.readOnly = options.readOnly ?? false;
    const serial = new TextEncoder().encode(options.serial ?? "");
    if (serial.length > VIRTIO_BLK_ID_BYTES) throw new DiskError(`the serial of ${path} is longer than ${VIRTIO_BLK_ID_BYTES} bytes`);
    this.id.set(serial);
    let fd: number;
    try {
      fd = openSync(path, this.readOnly ? "r" : "r+");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EISDIR") throw new DiskError(`cannot attach ${path}: it is a directory, not a disk image`);
      if (!this.readOnly && (code === "EACCES" || code === "EPERM" || code === "EROFS"))
        throw new DiskError(`cannot open disk image ${path} for writing: ${reason(e)} (attach it read-only to use it anyway)`);
      throw new DiskError(`cannot open disk image ${path}: ${reason(e)}`);
    }
    let size: bigint;
    try {
      const st = fstatSync(fd, { bigint: true });
      if (st.isDirectory()) throw new DiskError(`cannot attach ${path}: it is a directory, not a disk image`);
      if (!st.isFile()) throw new DiskError(`cannot attach ${path}: not a regular file`);
      size = st.size;
    } catch (e) {
      closeSync(fd);
      throw e instanceof DiskError ? e : new DiskError(`cannot attach ${path}: ${reason(e)}`);
    }
    this.fd = fd;
    this.sectors = size / BigInt(SECTOR_SIZE);
    this.features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | (this.readOnly ? VIRTIO_BLK_F_RO : 0n);
    // struct virtio_blk_config (§5.2.4): capacity, size_max, seg_max, geometry, blk_size, ...
    this.configSpace = new Uint8Array(0x40);
    const c = new DataView(this.configSpace.buffer);
    c.setBigUint64(0x00, this.sectors, true);
    c.setUint32(0x0c, QUEUE_SIZE - 2, true);
    c.setUint32(0x14, SECTOR_SIZE, true);
  }

  config(): Uint8Array {
    return this.configSpace;
  }

  process(_queue: number, chain: DescriptorChain): number {
    const inLen = totalLength(chain.readable);
    const outLen = totalLength(chain.writable);
    // §5.2.6.1: header first, status byte last; anything else is a broken driver (QEMU: virtio_error).
    if (inLen < HEADER_BYTES) throw new VirtqueueError(`a virtio-blk request without its ${HEADER_BYTES}-byte header`);
    if (outLen < 1) throw new VirtqueueError("a virtio-blk request without room for its status byte");
    const header = new DataView(gather(chain.readable, 0, HEADER_BYTES).buffer);
    const type = header.getUint32(0, true);
    const sector = header.getBigUint64(8, true);
    const dataOut = outLen - 1;
    let status: number;
    let written = 0;
    switch (type) {
      case VIRTIO_BLK_T_IN:
        status = this.transfer(false, sector, sliceSegments(chain.writable, 0, dataOut), dataOut);
        if (status === VIRTIO_BLK_S_OK) written = dataOut;
        break;
      case VIRTIO_BLK_T_OUT:
        // §5.2.6.2: a read-only device fails writes and writes nothing.
        status = this.readOnly
          ? VIRTIO_BLK_S_IOERR
          : this.transfer(true, sector, sliceSegments(chain.readable, HEADER_BYTES, inLen - HEADER_BYTES), inLen - HEADER_BYTES);
        break;
      case VIRTIO_BLK_T_FLUSH:
        status = this.flush();
        break;
      case VIRTIO_BLK_T_GET_ID:
        written = scatter(chain.writable, 0, this.id.subarray(0, Math.min(VIRTIO_BLK_ID_BYTES, dataOut)));
        status = VIRTIO_BLK_S_OK;
        break;
      default:
        status = VIRTIO_BLK_S_UNSUPP;
    }
    scatter(chain.writable, outLen - 1, Uint8Array.of(status));
    return written + 1;
  }

  /** Reads the image into `bufs`, or writes `bufs` to it, at `sector`; returns the request status. */
  private transfer(write: boolean, sector: bigint, bufs: Uint8Array[], len: number): number {
    const fd = this.fd;
    if (fd === null || len % SECTOR_SIZE) return VIRTIO_BLK_S_IOERR;
    if (sector + BigInt(len / SECTOR_SIZE) > this.sectors) return VIRTIO_BLK_S_IOERR;
    let pos = Number(sector) * SECTOR_SIZE;
    try {
      for (const b of bufs) {
        for (let done = 0; done < b.length;) {
          const n = write ? writeSync(fd, b, done, b.length - done, pos + done) : readSync(fd, b, done, b.length - done, pos + done);
          if (n === 0) {
            // The image shrank under us: a short write is an error, a short read reads zeros.
            if (write) return VIRTIO_BLK_S_IOERR;
            b.fill(0, done);
            break;
          }
          done += n;
        }
        pos += b.length;
      }
    } catch {
      return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
  }

  private flush(): number {
    if (this.fd === null) return VIRTIO_BLK_S_IOERR;
    if (this.readOnly) return VIRTIO_BLK_S_OK;
    try {
      fdatasyncSync(this.fd);
      return VIRTIO_BLK_S_OK;
    } catch {
      return VIRTIO_BLK_S_IOERR;
    }
  }

  /** Closes the image; later requests fail with VIRTIO_BLK_S_IOERR. */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  save(): VirtioBlkState {
    return { version: 1, path: this.path, readOnly: this.readOnly, sectors: this.sectors };
  }

  /** Checks that this is the image the state was saved with, still the same size. */
  restore(s: VirtioBlkState): void {
    if (s.version !== 1) throw new Error(`unsupported virtio-blk state version ${s.version}`);
    if (s.path !== this.path || s.readOnly !== this.readOnly)
      throw new DiskError(
        `the snapshot's disk is ${s.path}${s.readOnly ? " (read-only)" : ""}, not ${this.path}${this.readOnly ? " (read-only)" : ""}`,
      );
    if (s.sectors !== this.sectors)
      throw new DiskError(`disk image ${this.path} has ${this.sectors} sectors; it had ${s.sectors} when the VM was saved`);
  }
}
