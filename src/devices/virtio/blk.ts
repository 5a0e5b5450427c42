// virtio-blk (virtio 1.x §5.2) over a block backend (a raw image file under Node): read, write,
// flush and GET_ID, with synchronous host I/O. Capacity is the image's size in 512-byte sectors
// (rounded down, so the device never grows it); requests beyond it fail with VIRTIO_BLK_S_IOERR.
import { BigRange, type Static, Struct, Type, validate } from "../../schema/index.ts";
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

/** An open disk image, as the host provides it (src/host/node/block.ts: a file). */
export interface BlockBackend {
  /** The image's size in bytes. */
  readonly size: bigint;
  /** Reads into `buf` from byte `pos`; returns the bytes read (0 at the end). Throws on an I/O error. */
  read(buf: Uint8Array, pos: number): number;
  /** Writes `buf` at byte `pos`; returns the bytes written. Throws on an I/O error. */
  write(buf: Uint8Array, pos: number): number;
  /** Makes written data durable (fdatasync). Throws on an I/O error. */
  flush(): void;
  close(): void;
}

/**
 * What identifies a disk image's content without reading all of it (size, modification time,
 * a hash of samples); a snapshot records it so a resume can refuse a disk that changed.
 */
export interface DiskIdentity {
  path: string;
  size: number;
  mtimeNs: string;
  sample: string;
}

/** How the host opens disk images. */
export interface BlockBackends {
  /** Opens an image; a DiskError saying why when it cannot be used (missing, a directory, not writable...). */
  open(path: string, readOnly: boolean): BlockBackend;
  /** The image's identity now; a DiskError when it cannot be read. */
  identify(path: string): DiskIdentity;
}

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
export const VirtioBlkStateSchema = Struct({
  version: Type.Literal(1),
  path: Type.String({ minLength: 1, maxLength: 4096 }),
  readOnly: Type.Boolean(),
  sectors: BigRange(0n, (1n << 64n) - 1n),
});
export type VirtioBlkState = Static<typeof VirtioBlkStateSchema>;

/** A virtio-blk device over a disk image. Throws DiskError from the constructor when the image cannot be used. */
export class VirtioBlk implements VirtioDevice {
  readonly deviceId = 2;
  readonly features: bigint;
  readonly queueSizes = [QUEUE_SIZE];
  readonly path: string;
  readonly readOnly: boolean;
  /** Capacity in 512-byte sectors. */
  readonly sectors: bigint;
  private image: BlockBackend | null;
  private readonly configSpace: Uint8Array;
  private readonly id = new Uint8Array(VIRTIO_BLK_ID_BYTES);

  constructor(options: DiskOptions, backends: BlockBackends) {
    const { path } = options;
    this.path = path;
    this.readOnly = options.readOnly ?? false;
    const serial = new TextEncoder().encode(options.serial ?? "");
    if (serial.length > VIRTIO_BLK_ID_BYTES) throw new DiskError(`the serial of ${path} is longer than ${VIRTIO_BLK_ID_BYTES} bytes`);
    this.id.set(serial);
    this.image = backends.open(path, this.readOnly);
    const size = this.image.size;
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
    const image = this.image;
    if (image === null || len % SECTOR_SIZE) return VIRTIO_BLK_S_IOERR;
    if (sector + BigInt(len / SECTOR_SIZE) > this.sectors) return VIRTIO_BLK_S_IOERR;
    let pos = Number(sector) * SECTOR_SIZE;
    try {
      for (const b of bufs) {
        for (let done = 0; done < b.length;) {
          const rest = b.subarray(done);
          const n = write ? image.write(rest, pos + done) : image.read(rest, pos + done);
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
    if (this.image === null) return VIRTIO_BLK_S_IOERR;
    if (this.readOnly) return VIRTIO_BLK_S_OK;
    try {
      this.image.flush();
      return VIRTIO_BLK_S_OK;
    } catch {
      return VIRTIO_BLK_S_IOERR;
    }
  }

  /**
   * Makes everything the guest wrote durable, on the host's request (before a host suspend: the
   * guest's data survives if the host never wakes). Throws the backend's error; a read-only or
   * closed disk has nothing to flush.
   */
  sync(): boolean {
    if (this.image === null || this.readOnly) return false;
    this.image.flush();
    return true;
  }

  /** Closes the image; later requests fail with VIRTIO_BLK_S_IOERR. */
  close(): void {
    if (this.image === null) return;
    this.image.close();
    this.image = null;
  }

  save(): VirtioBlkState {
    return { version: 1, path: this.path, readOnly: this.readOnly, sectors: this.sectors };
  }

  /** Checks that this is the image the state was saved with, still the same size. */
  restore(s: unknown, what = "virtio-blk"): void {
    validate(VirtioBlkStateSchema, s, what);
    if (s.path !== this.path || s.readOnly !== this.readOnly)
      throw new DiskError(
        `the snapshot's disk is ${s.path}${s.readOnly ? " (read-only)" : ""}, not ${this.path}${this.readOnly ? " (read-only)" : ""}`,
      );
    if (s.sectors !== this.sectors)
      throw new DiskError(`disk image ${this.path} has ${this.sectors} sectors; it had ${s.sectors} when the VM was saved`);
  }
}
