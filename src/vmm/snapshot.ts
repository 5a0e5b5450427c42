// Snapshots of a suspended VM: the whole machine — RAM (non-zero pages, compressed), vCPUs,
// GIC, timers, devices — and the board configuration, in one file with magic, architecture,
// version and a checksum, written atomically (temporary file, fsync, rename) so a crash
// mid-write leaves any earlier snapshot intact.
import { createHash } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { Pl011State } from "../devices/pl011.ts";
import type { Pl031State } from "../devices/pl031.ts";
import type { GicSnapshot } from "../hv/gicv3/gic.ts";
import type { TimerSnapshot } from "../hv/timer.ts";
import type { VcpuSnapshot } from "../hv/vcpu.ts";
import type { BoardConfig, BoardDevicesState, VirtBoard } from "../machine/board.ts";

const MAGIC = Buffer.from("DORMOUSE-SNAPSHOT\n", "latin1");
export const SNAPSHOT_VERSION = 2;
const PAGE = 4096;

export class SnapshotError extends Error {}

/** What the board is rebuilt from (everything but host-side callbacks). */
export type SnapshotConfig = Omit<BoardConfig, "output" | "onWatchdogReset">;

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
}

/**
 * What identifies a disk image's content without reading all of it: size, modification time,
 * and a hash of samples (the first and last MiB and 16 blocks between). A resume refuses a disk
 * whose identity changed: the guest's page cache would no longer match what is on the disk.
 */
export interface DiskIdentity {
  path: string;
  size: number;
  mtimeNs: string;
  sample: string;
}

const SAMPLE = 1 << 20;

/** Reads a disk image's identity (a SnapshotError when it cannot be read). */
export function diskIdentity(path: string): DiskIdentity {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new SnapshotError(`the disk ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    const h = createHash("sha256");
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

/** Refuses a snapshot whose disk images are missing or changed since it was saved. */
export function checkDisks(s: LoadedSnapshot): void {
  for (const d of s.header.disks) {
    const now = diskIdentity(d.path);
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

/** Serialises a suspended board: [magic][u32 header length][header][u32 page count][deflated pages][sha256]. */
export function snapshotBytes(board: VirtBoard): Buffer {
  const ram = board.vm.core.ram;
  const pages = ram.length / PAGE;
  const index: number[] = [];
  // memcmp against a zero page: an order of magnitude faster than scanning words from JS.
  const zero = Buffer.alloc(PAGE);
  const bytes = Buffer.from(ram.buffer, ram.byteOffset, ram.length);
  for (let p = 0; p < pages; p++) {
    if (!bytes.subarray(p * PAGE, (p + 1) * PAGE).equals(zero)) index.push(p);
  }
  const raw = Buffer.alloc(index.length * (4 + PAGE));
  index.forEach((p, i) => {
    raw.writeUInt32LE(p, i * (4 + PAGE));
    raw.set(ram.subarray(p * PAGE, (p + 1) * PAGE), i * (4 + PAGE) + 4);
  });
  const { output: _output, onWatchdogReset: _reset, ...config } = board.config;
  const header: Header = {
    magic: "dormouse",
    arch: "aarch64",
    version: SNAPSHOT_VERSION,
    created: new Date().toISOString(),
    config,
    vcpus: board.vcpus.map((v) => v.save()),
    gic: board.vm.gic.save(),
    timers: board.vm.timers.save(),
    uart: board.uart.save(),
    rtc: board.rtc.save(),
    devices: board.saveDevices(),
    disks: board.disks.map((d) => diskIdentity(d.path)),
    ramPages: index.length,
  };
  const h = Buffer.from(encode(header), "utf8");
  const body = deflateRawSync(raw, { level: 1 });
  const lens = Buffer.alloc(8);
  lens.writeUInt32LE(h.length, 0);
  lens.writeUInt32LE(index.length, 4);
  const content = Buffer.concat([MAGIC, lens.subarray(0, 4), h, lens.subarray(4, 8), body]);
  return Buffer.concat([content, createHash("sha256").update(content).digest()]);
}

/** Writes a snapshot atomically: a temporary file beside the target, fsync, rename. */
export function saveSnapshot(board: VirtBoard, path: string): number {
  const bytes = snapshotBytes(board);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(tmp, "w", 0o600);
  } catch (e) {
    throw new SnapshotError(`cannot write the snapshot next to ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw new SnapshotError(`writing the snapshot failed: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  closeSync(fd);
  renameSync(tmp, path);
  return bytes.length;
}

export interface LoadedSnapshot {
  header: Header;
  pages: Buffer;
}

/** Reads and checks a snapshot file (magic, checksum, architecture, version). */
export function readSnapshot(path: string): LoadedSnapshot {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    throw new SnapshotError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  if (b.length < MAGIC.length + 40 || !b.subarray(0, MAGIC.length).equals(MAGIC))
    throw new SnapshotError(`${path} is not a Dormouse snapshot`);
  const content = b.subarray(0, b.length - 32);
  if (
    !createHash("sha256")
      .update(content)
      .digest()
      .equals(b.subarray(b.length - 32))
  ) {
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
  const count = content.readUInt32LE(off);
  off += 4;
  const pages = inflateRawSync(content.subarray(off));
  if (count !== header.ramPages || pages.length !== count * (4 + PAGE)) throw new SnapshotError(`${path} has an inconsistent memory image`);
  return { header, pages };
}

/** Restores a snapshot into a freshly built board (zero RAM) made from its configuration. */
export function restoreSnapshot(board: VirtBoard, s: LoadedSnapshot): void {
  const ram = board.vm.core.ram;
  // A freshly built board's RAM is zero already: write only the saved pages.
  for (let i = 0; i < s.header.ramPages; i++) {
    const at = i * (4 + PAGE);
    const p = s.pages.readUInt32LE(at);
    if ((p + 1) * PAGE > ram.length) throw new SnapshotError("the snapshot's memory does not fit this VM");
    ram.set(s.pages.subarray(at + 4, at + 4 + PAGE), p * PAGE);
  }
  board.vm.core.flushCaches();
  board.vm.gic.restore(s.header.gic);
  board.vm.timers.restore(s.header.timers);
  s.header.vcpus.forEach((v, i) => {
    board.vcpus[i].restore(v);
  });
  board.uart.restore(s.header.uart);
  board.rtc.restore(s.header.rtc);
  board.restoreDevices(s.header.devices);
}
