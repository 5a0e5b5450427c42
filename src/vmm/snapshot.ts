// Snapshots of a suspended, paused or running VM: the whole machine — RAM (non-zero pages,
// compressed), vCPUs, GIC, timers, devices — and the board configuration, in one file with
// magic, architecture, version and a checksum. The bytes go through injected host interfaces:
// storage (under Node: written atomically — temporary file, fsync, rename — so a crash mid-write
// leaves any earlier snapshot intact) and a codec (deflate, SHA-256).
import { DiskError, type DiskIdentity } from "../devices/virtio/blk.ts";
import { HvError } from "../hv/errors.ts";
import type { BoardConfig, VirtBoard } from "../machine/board.ts";
import { StateError } from "../schema/index.ts";
import { checkHeader, type Header, MAX_RAM, PAGE, SNAPSHOT_VERSION } from "./snapshot-schema.ts";

export { SNAPSHOT_VERSION };
const MAGIC = new TextEncoder().encode("DORMOUSE-SNAPSHOT\n");
/** The bytes every snapshot file starts with (what tells a snapshot from a file that must not be replaced by one). */
export const SNAPSHOT_MAGIC: Uint8Array = MAGIC;
/** The largest header this VMM reads (a 123-vCPU VM's is under 2 MiB). */
const MAX_HEADER = 64 << 20;
/** [magic][u32 header length][header][u32 page count][u32 chunk count] ... [sha256]. */
const MIN_BYTES = MAGIC.length + 4 + 2 + 8 + 32;
/**
 * The largest file that can be a snapshot: a header, every page of the largest RAM with its
 * number, and deflate's worst case (5 bytes per 16 KiB stored block) on top.
 */
export const MAX_SNAPSHOT_BYTES = MIN_BYTES + MAX_HEADER + (MAX_RAM / PAGE) * (4 + 8) + Math.ceil(MAX_RAM * (1 + 5 / 16384)) + 1024;

export class SnapshotError extends Error {}

/** Where snapshot files live (src/host/node/snapshot.ts: the file system). */
export interface SnapshotStorage {
  /**
   * The whole file; a SnapshotError ("cannot read ...") when it cannot be read, and without
   * reading it when it is not a regular file or its size is outside [minBytes, maxBytes].
   */
  read(path: string, limits: { minBytes: number; maxBytes: number }): Uint8Array;
  /** Replaces the file atomically with `bytes`; a SnapshotError when it cannot be written. */
  write(path: string, bytes: Uint8Array): Promise<void>;
}

/** The compression and checksum a snapshot uses (raw deflate, SHA-256). */
export interface SnapshotCodec {
  /** One raw-deflate stream of `parts` concatenated (views of paused guest RAM: read, never kept). */
  deflate(parts: Uint8Array[]): Promise<Uint8Array>;
  /** Inflates a raw-deflate stream; rejects when it is malformed or would inflate beyond `maxBytes`. */
  inflate(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array>;
  sha256(bytes: Uint8Array): Uint8Array;
}

/** The snapshot host services the VMM is given. */
export interface SnapshotIo {
  storage: SnapshotStorage;
  codec: SnapshotCodec;
}

/** What the board is rebuilt from (everything but host-side services and callbacks). */
export type SnapshotConfig = Omit<BoardConfig, "host" | "output" | "onWatchdogReset" | "onWatchdogInterrupt">;

/** The VM's state when it was saved: what a restore continues "as saved". */
export type SavedRunState = "running" | "paused" | "suspended";

export type { DiskIdentity, Header };

/**
 * Refuses a snapshot whose disk images (or firmware files) are missing or changed since it was saved. The header
 * was checked to name exactly the images (and firmware files) its configuration attaches, so this opens no other file.
 */
export function checkDisks(s: LoadedSnapshot, identify: (path: string) => DiskIdentity): void {
  const files = [
    ...s.header.disks.map((d) => ["disk", d] as const),
    ...(s.header.firmwareFiles ?? []).map((d) => ["firmware file", d] as const),
  ];
  for (const [kind, d] of files) {
    let now: DiskIdentity;
    try {
      now = identify(d.path);
    } catch (e) {
      throw new SnapshotError((e as Error).message);
    }
    const what = [
      now.size !== d.size && `size ${d.size} → ${now.size}`,
      now.mtimeNs !== d.mtimeNs && "modification time",
      now.sample !== d.sample && "content",
    ].filter(Boolean);
    if (what.length)
      throw new SnapshotError(`the ${kind} ${d.path} changed since the snapshot was taken (${what.join(", ")}): refusing to resume`);
  }
}

/** Reads a snapshot (readSnapshot) and refuses it unless every disk it attaches is the image it was saved with (checkDisks). */
export function openSnapshot(path: string, io: SnapshotIo, identify: (path: string) => DiskIdentity): LoadedSnapshot {
  const s = readSnapshot(path, io);
  checkDisks(s, identify);
  return s;
}

/** JSON with bigints ({"$bigint": "123"}), for the header. */
function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? { $bigint: x.toString() } : x));
}

/** Parses encode()'s JSON; a malformed bigint (anything but a decimal integer string) is a SyntaxError. */
function decode(s: string): unknown {
  return JSON.parse(s, (_k, x) => {
    if (x && typeof x === "object" && !Array.isArray(x) && "$bigint" in x) {
      const v = (x as { $bigint: unknown }).$bigint;
      if (Object.keys(x).length !== 1 || typeof v !== "string" || !/^-?[0-9]{1,40}$/.test(v)) throw new SyntaxError("a malformed bigint");
      return BigInt(v);
    }
    return x;
  });
}

/** Non-zero RAM is deflated in this many independent chunks, compressed concurrently. */
const CHUNKS = 8;

/** Deflates pages `index` of `ram` (views, no copy: the VM is paused); runs of consecutive pages are one part. */
function deflatePages(codec: SnapshotCodec, ram: Uint8Array, index: Uint32Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < index.length;) {
    let j = i + 1;
    while (j < index.length && index[j] === index[j - 1] + 1) j++;
    parts.push(ram.subarray(index[i] * PAGE, (index[j - 1] + 1) * PAGE));
    i = j;
  }
  return codec.deflate(parts);
}

/**
 * Serialises a suspended or paused board: [magic][u32 header length][header][u32 page count][u32 chunk
 * count][page numbers, u32 each][per chunk: u32 pages, u32 bytes][deflated chunks][sha256].
 */
export async function snapshotBytes(board: VirtBoard, codec: SnapshotCodec, runState: SavedRunState = "suspended"): Promise<Buffer> {
  const ram = board.vm.core.ram;
  const found: number[] = [];
  // memcmp against zeros (an order of magnitude faster than scanning words from JS), 64 KiB at a
  // time first: most of a guest's RAM is untouched.
  const BLOCK = 16 * PAGE;
  const zero = Buffer.alloc(BLOCK);
  const zeroPage = zero.subarray(0, PAGE);
  const bytes = Buffer.from(ram.buffer, ram.byteOffset, ram.length);
  for (let b = 0; b < ram.length; b += BLOCK) {
    const end = Math.min(b + BLOCK, ram.length);
    if (bytes.subarray(b, end).equals(zero.subarray(0, end - b))) continue;
    for (let a = b; a < end; a += PAGE) if (!bytes.subarray(a, a + PAGE).equals(zeroPage)) found.push(a / PAGE);
  }
  const index = Uint32Array.from(found);
  const per = Math.ceil(index.length / CHUNKS) || 1;
  const parts: Uint32Array[] = [];
  for (let i = 0; i < index.length; i += per) parts.push(index.subarray(i, i + per));
  const { host: _host, output: _output, onWatchdogReset: _reset, onWatchdogInterrupt: _ws0, ...config } = board.config;
  const header: Header = {
    magic: "dormouse",
    arch: "aarch64",
    version: SNAPSHOT_VERSION,
    created: new Date().toISOString(),
    config,
    vcpus: board.vcpus.map((v) => v.save()),
    gic: board.vm.gic.save(),
    timers: board.vm.timers.save(),
    ...board.saveState(),
    disks: board.disks.map((d) => board.config.host.blocks.identify(d.path)),
    ...(board.firmwareFiles.length ? { firmwareFiles: board.firmwareFiles.map((p) => board.config.host.blocks.identify(p)) } : {}),
    ramPages: index.length,
    runState,
  };
  // Device state is taken before compressing (timers and host events still run meanwhile).
  const h = Buffer.from(encode(header), "utf8");
  const chunks = await Promise.all(parts.map((part) => deflatePages(codec, ram, part)));
  const hlen = Buffer.alloc(4);
  hlen.writeUInt32LE(h.length);
  const counts = Buffer.alloc(8);
  counts.writeUInt32LE(index.length, 0);
  counts.writeUInt32LE(chunks.length, 4);
  const table = Buffer.alloc(chunks.length * 8);
  chunks.forEach((c, i) => {
    table.writeUInt32LE(parts[i].length, i * 8);
    table.writeUInt32LE(c.length, i * 8 + 4);
  });
  const indexBytes = Buffer.from(index.buffer, index.byteOffset, index.byteLength);
  const content = Buffer.concat([MAGIC, hlen, h, counts, indexBytes, table, ...chunks]);
  return Buffer.concat([content, codec.sha256(content)]);
}

/** Writes a snapshot of the board (suspended or paused) to `path` through the storage; returns its size in bytes. */
export async function saveSnapshot(board: VirtBoard, path: string, io: SnapshotIo, runState?: SavedRunState): Promise<number> {
  const bytes = await snapshotBytes(board, io.codec, runState);
  await io.storage.write(path, bytes);
  return bytes.length;
}

export interface LoadedSnapshot {
  /** The header, checked. */
  header: Header;
  /** Page numbers of the saved pages, in order. */
  index: Uint32Array;
  /**
   * Their contents, chunk by chunk (chunk i holds the next pages of `index`), still being
   * inflated on zlib's thread pool while the caller builds the board.
   */
  chunks: Promise<Uint8Array[]>;
}

/**
 * Reads and checks a snapshot file before anything is built from it: magic, checksum, then the
 * header against its schema and across fields (snapshot-schema.ts), and the memory image's page
 * index and chunk table; starts inflating its memory. Every problem is a SnapshotError naming it.
 */
export function readSnapshot(path: string, io: SnapshotIo): LoadedSnapshot {
  const file = io.storage.read(path, { minBytes: MIN_BYTES, maxBytes: MAX_SNAPSHOT_BYTES });
  if (file.length < MIN_BYTES || !MAGIC.every((c, i) => file[i] === c)) throw new SnapshotError(`${path} is not a Dormouse snapshot`);
  const content = file.subarray(0, file.length - 32);
  const sum = io.codec.sha256(content);
  if (sum.length !== 32 || !sum.every((c, i) => file[content.length + i] === c))
    throw new SnapshotError(`${path} is corrupted or truncated (checksum mismatch)`);
  const dv = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const bad = (why: string) => new SnapshotError(`${path} has an inconsistent memory image (${why})`);
  let off = MAGIC.length;
  const hlen = dv.getUint32(off, true);
  off += 4;
  if (hlen > MAX_HEADER || off + hlen + 8 > content.length) throw new SnapshotError(`${path} has a truncated header`);
  let header: unknown;
  try {
    header = decode(new TextDecoder("utf-8", { fatal: true }).decode(content.subarray(off, off + hlen)));
  } catch {
    throw new SnapshotError(`${path} has an unreadable header`);
  }
  off += hlen;
  try {
    checkHeader(header);
  } catch (e) {
    if (e instanceof StateError) throw new SnapshotError(`${path}: ${e.message.replace(/^\.?/, "")}`);
    throw e;
  }
  const count = dv.getUint32(off, true);
  const nchunks = dv.getUint32(off + 4, true);
  off += 8;
  if (count !== header.ramPages) throw bad(`${count} pages, the header says ${header.ramPages}`);
  if (nchunks > count || (count > 0 && nchunks === 0)) throw bad(`${nchunks} chunks for ${count} pages`);
  if (off + count * 4 + nchunks * 8 > content.length) throw bad("truncated page index");
  const index = new Uint32Array(count);
  const pages = header.config.ramSize / PAGE;
  for (let i = 0; i < count; i++, off += 4) {
    const p = dv.getUint32(off, true);
    if (p >= pages) throw bad(`page ${p} is beyond the ${header.config.ramSize >> 20} MiB of RAM`);
    if (i > 0 && p <= index[i - 1]) throw bad(`page ${p} after page ${index[i - 1]}`);
    index[i] = p;
  }
  const sizes: [number, number][] = [];
  let total = 0;
  for (let i = 0; i < nchunks; i++, off += 8) {
    const n = dv.getUint32(off, true);
    const len = dv.getUint32(off + 4, true);
    if (n === 0 || len === 0) throw bad(`chunk ${i} is empty`);
    total += n;
    sizes.push([n, len]);
  }
  if (total !== count) throw bad(`the chunks hold ${total} pages, the index ${count}`);
  const raw: Uint8Array[] = [];
  for (const [, len] of sizes) {
    if (off + len > content.length) throw bad("truncated chunk");
    raw.push(content.subarray(off, off + len));
    off += len;
  }
  if (off !== content.length) throw bad(`${content.length - off} bytes after the last chunk`);
  const chunks = Promise.all(
    raw.map((c, i) =>
      io.codec.inflate(c, sizes[i][0] * PAGE).then((out) => {
        if (out.length !== sizes[i][0] * PAGE) throw bad(`chunk ${i} inflates to ${out.length} bytes, not ${sizes[i][0] * PAGE}`);
        return out;
      }),
    ),
  ).catch((e) => {
    throw e instanceof SnapshotError ? e : bad("a chunk does not inflate");
  });
  // Rejections surface in restoreSnapshot; never as an unhandled rejection meanwhile.
  chunks.catch(() => {});
  return { header, index, chunks };
}

/**
 * Restores a snapshot into a freshly built board (zero RAM) made from its configuration. The
 * header was checked by readSnapshot; a state the board still refuses (a disk of another size)
 * is a SnapshotError.
 */
export async function restoreSnapshot(board: VirtBoard, s: LoadedSnapshot): Promise<void> {
  const chunks = await s.chunks;
  const ram = board.vm.core.ram;
  if (s.header.config.ramSize !== ram.length) throw new SnapshotError("the snapshot's memory does not fit this VM");
  // A freshly built board's RAM is zero already: write only the saved pages.
  let i = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += PAGE, i++) ram.set(chunk.subarray(at, at + PAGE), s.index[i] * PAGE);
  }
  board.vm.core.flushCaches();
  try {
    board.vm.gic.restore(s.header.gic);
    board.vm.timers.restore(s.header.timers, board.vcpus.length);
    s.header.vcpus.forEach((v, i) => {
      board.vcpus[i].restore(v);
    });
    board.restoreState(s.header);
  } catch (e) {
    if (e instanceof StateError || e instanceof HvError || e instanceof DiskError)
      throw new SnapshotError(`the snapshot's state: ${e.message}`);
    throw e;
  }
}
