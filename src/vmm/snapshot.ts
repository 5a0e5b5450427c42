// Snapshots of a suspended, paused or running VM: the whole machine — RAM (non-zero pages,
// compressed), vCPUs, GIC, timers, devices — and the board configuration, in one file with
// magic, architecture, version and a checksum. The bytes go through injected host interfaces:
// storage (under Node: written atomically — temporary file, fsync, rename — so a crash mid-write
// leaves any earlier snapshot intact) and a codec (deflate, SHA-256).
import type { DiskIdentity } from "../devices/virtio/blk.ts";
import type { Pl011State } from "../devices/pl011.ts";
import type { Pl031State } from "../devices/pl031.ts";
import type { GicSnapshot } from "../hv/gicv3/gic.ts";
import type { TimerSnapshot } from "../hv/timer.ts";
import type { VcpuSnapshot } from "../hv/vcpu.ts";
import type { BoardConfig, BoardDevicesState, VirtBoard } from "../machine/board.ts";

const MAGIC = Buffer.from("DORMOUSE-SNAPSHOT\n", "latin1");
/** The bytes every snapshot file starts with (what tells a snapshot from a file that must not be replaced by one). */
export const SNAPSHOT_MAGIC: Uint8Array = MAGIC;
export const SNAPSHOT_VERSION = 2;
const PAGE = 4096;

export class SnapshotError extends Error {}

/** Where snapshot files live (src/host/node/snapshot.ts: the file system). */
export interface SnapshotStorage {
  /** The whole file; a SnapshotError ("cannot read ...") when it cannot be read. */
  read(path: string): Uint8Array;
  /** Replaces the file atomically with `bytes`; a SnapshotError when it cannot be written. */
  write(path: string, bytes: Uint8Array): Promise<void>;
}

/** The compression and checksum a snapshot uses (raw deflate, SHA-256). */
export interface SnapshotCodec {
  /** One raw-deflate stream of `parts` concatenated (views of paused guest RAM: read, never kept). */
  deflate(parts: Uint8Array[]): Promise<Uint8Array>;
  inflate(bytes: Uint8Array): Promise<Uint8Array>;
  sha256(bytes: Uint8Array): Uint8Array;
}

/** The snapshot host services the VMM is given. */
export interface SnapshotIo {
  storage: SnapshotStorage;
  codec: SnapshotCodec;
}

/** What the board is rebuilt from (everything but host-side services and callbacks). */
export type SnapshotConfig = Omit<BoardConfig, "host" | "output" | "onWatchdogReset" | "onWatchdogInterrupt">;

/** The VM's state when it was saved: what a restore continues "as saved" (absent in older snapshots: suspended). */
export type SavedRunState = "running" | "paused" | "suspended";

interface Header {
  magic: "dormouse";
  arch: "aarch64";
  version: number;
  created: string;
  config: SnapshotConfig;
  vcpus: VcpuSnapshot[];
  gic: GicSnapshot;
  timers: TimerSnapshot;
  uart: Pl011State;
  rtc: Pl031State;
  devices: BoardDevicesState;
  /** The attached disk images as they were when the VM was saved. */
  disks: DiskIdentity[];
  ramPages: number;
  runState?: SavedRunState;
}

export type { DiskIdentity };

/** Refuses a snapshot whose disk images are missing or changed since it was saved. */
export function checkDisks(s: LoadedSnapshot, identify: (path: string) => DiskIdentity): void {
  for (const d of s.header.disks) {
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
      throw new SnapshotError(`the disk ${d.path} changed since the snapshot was taken (${what.join(", ")}): refusing to resume`);
  }
}

/** JSON with bigints and byte arrays, for the header. */
function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === "bigint") return { $bigint: x.toString() };
    if (x instanceof Uint8Array) return { $bytes: Buffer.from(x).toString("base64") };
    return x;
  });
}

function decode<T>(s: string): T {
  return JSON.parse(s, (_k, x) => {
    if (x && typeof x === "object" && "$bigint" in x) return BigInt(x.$bigint);
    if (x && typeof x === "object" && "$bytes" in x) return new Uint8Array(Buffer.from(x.$bytes, "base64"));
    return x;
  }) as T;
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
  header: Header;
  /** Page numbers of the saved pages, in order. */
  index: Uint32Array;
  /**
   * Their contents, chunk by chunk (chunk i holds the next pages of `index`), still being
   * inflated on zlib's thread pool while the caller builds the board.
   */
  chunks: Promise<Uint8Array[]>;
}

/** Reads and checks a snapshot file (magic, checksum, architecture, version) and starts inflating its memory. */
export function readSnapshot(path: string, io: SnapshotIo): LoadedSnapshot {
  const file = io.storage.read(path);
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (b.length < MAGIC.length + 40 || !b.subarray(0, MAGIC.length).equals(MAGIC))
    throw new SnapshotError(`${path} is not a Dormouse snapshot`);
  const content = b.subarray(0, b.length - 32);
  if (!Buffer.from(io.codec.sha256(content)).equals(b.subarray(b.length - 32))) {
    throw new SnapshotError(`${path} is corrupted or truncated (checksum mismatch)`);
  }
  let off = MAGIC.length;
  const hlen = content.readUInt32LE(off);
  off += 4;
  let header: Header;
  try {
    header = decode<Header>(content.subarray(off, off + hlen).toString("utf8"));
  } catch {
    throw new SnapshotError(`${path} has an unreadable header`);
  }
  off += hlen;
  if (header.arch !== "aarch64") throw new SnapshotError(`${path} is for ${header.arch}, not aarch64`);
  if (header.version !== SNAPSHOT_VERSION)
    throw new SnapshotError(`${path} is snapshot version ${header.version}; this Dormouse reads version ${SNAPSHOT_VERSION}`);
  const bad = () => new SnapshotError(`${path} has an inconsistent memory image`);
  if (off + 8 > content.length) throw bad();
  const count = content.readUInt32LE(off);
  const nchunks = content.readUInt32LE(off + 4);
  off += 8;
  if (count !== header.ramPages || off + count * 4 + nchunks * 8 > content.length) throw bad();
  const index = new Uint32Array(count);
  Buffer.from(index.buffer).set(content.subarray(off, off + count * 4));
  off += count * 4;
  const sizes: [number, number][] = [];
  for (let i = 0; i < nchunks; i++) sizes.push([content.readUInt32LE(off + i * 8), content.readUInt32LE(off + i * 8 + 4)]);
  off += nchunks * 8;
  const raw: Buffer[] = [];
  for (const [, len] of sizes) {
    if (off + len > content.length) throw bad();
    raw.push(content.subarray(off, off + len));
    off += len;
  }
  if (off !== content.length || sizes.reduce((a, [n]) => a + n, 0) !== count) throw bad();
  const chunks = Promise.all(raw.map((c) => io.codec.inflate(c))).then(
    (cs) => {
      if (cs.some((c, i) => c.length !== sizes[i][0] * PAGE)) throw bad();
      return cs;
    },
    () => {
      throw bad();
    },
  );
  // Rejections surface in restoreSnapshot; never as an unhandled rejection meanwhile.
  chunks.catch(() => {});
  return { header, index, chunks };
}

/** Restores a snapshot into a freshly built board (zero RAM) made from its configuration. */
export async function restoreSnapshot(board: VirtBoard, s: LoadedSnapshot): Promise<void> {
  const chunks = await s.chunks;
  const ram = board.vm.core.ram;
  // A freshly built board's RAM is zero already: write only the saved pages.
  let i = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += PAGE, i++) {
      const p = s.index[i];
      if ((p + 1) * PAGE > ram.length) throw new SnapshotError("the snapshot's memory does not fit this VM");
      ram.set(chunk.subarray(at, at + PAGE), p * PAGE);
    }
  }
  board.vm.core.flushCaches();
  board.vm.gic.restore(s.header.gic);
  board.vm.timers.restore(s.header.timers);
  s.header.vcpus.forEach((v, i) => {
    board.vcpus[i].restore(v);
  });
  board.restoreState(s.header);
}
