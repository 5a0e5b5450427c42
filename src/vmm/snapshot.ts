// Snapshots of a suspended, paused or running VM: the whole machine — RAM (the pages that are not
// zero, as they are), vCPUs, GIC, timers, devices — and the board configuration, in one file with
// magic, architecture, version and checksums. The bytes go through injected host interfaces:
// storage (under Node: written atomically — temporary file, fsync, rename — so a crash mid-write
// leaves any earlier snapshot intact; read straight into guest RAM) and the checksum (XXH3-64).
//
// RAM is stored uncompressed: on a 2-core host, LZ4 (lz4-napi) cost more CPU saving a 1 GiB Linux
// guest's 82 MiB of pages (0.22 s) and resuming it (0.1-0.15 s, plus a copy into RAM) than
// writing and reading the pages themselves (0.05 s each), for a file 2.5 times smaller; SHA-256
// of them cost 0.05 s, XXH3 0.004 s. Only pages the core saw written are even looked at
// (Cpu.ramWritten): the rest of RAM is untouched host memory.
import { DiskError, type DiskIdentity } from "../devices/virtio/blk.ts";
import { HvError } from "../hv/errors.ts";
import type { BoardConfig, VirtBoard } from "../machine/board.ts";
import { StateError } from "../schema/index.ts";
import {
  checkHeaderFields,
  checkHeaderStates,
  type Header,
  type HeaderFields,
  MAX_RAM,
  PAGE,
  SNAPSHOT_VERSION,
} from "./snapshot-schema.ts";

export { SNAPSHOT_VERSION };
const MAGIC = new TextEncoder().encode("DORMOUSE-SNAPSHOT\n");
/** The bytes every snapshot file starts with (what tells a snapshot from a file that must not be replaced by one). */
export const SNAPSHOT_MAGIC: Uint8Array = MAGIC;
/** The largest header this VMM reads (a 123-vCPU VM's is under 2 MiB). */
const MAX_HEADER = 64 << 20;
/** A checksum's bytes (XXH3-64, little-endian). */
const SUM = 8;
/** The smallest file: [magic][u32 header length][header "{}"][u32 run count][checksum][page data: none][checksum]. */
const MIN_BYTES = MAGIC.length + 4 + 2 + 4 + SUM + SUM;
/** The most runs of pages a snapshot lists (every other page of the largest RAM). */
const MAX_RUNS = MAX_RAM / PAGE / 2;
/**
 * The largest file that can be a snapshot: the largest header and run list, their checksum and
 * padding, every page of the largest RAM, and the checksum.
 */
export const MAX_SNAPSHOT_BYTES = MAGIC.length + 4 + MAX_HEADER + 4 + MAX_RUNS * 8 + SUM + PAGE + MAX_RAM + SUM;

export class SnapshotError extends Error {}

/** A snapshot file opened for reading. */
export interface SnapshotFile {
  /** Its size in bytes (when it was opened: it is read no further). */
  readonly size: number;
  /** Fills `into` from byte `position` on; a SnapshotError when it cannot (the file ended, an I/O error). */
  read(position: number, into: Uint8Array): void;
  /** read(), off the main thread where the host can (several at once keep a disk busy). */
  readAsync(position: number, into: Uint8Array): Promise<void>;
  /** Closes the file (with no readAsync in flight). */
  close(): void;
}

/** Where snapshot files live (src/host/node/snapshot.ts: the file system). */
export interface SnapshotStorage {
  /**
   * Opens the file; a SnapshotError ("cannot read ...") when it cannot be opened, and without
   * reading it when it is not a regular file or its size is outside [minBytes, maxBytes].
   */
  open(path: string, limits: { minBytes: number; maxBytes: number }): SnapshotFile;
  /** Replaces the file atomically with `parts` concatenated; a SnapshotError when it cannot be written. */
  write(path: string, parts: Uint8Array[]): Promise<void>;
}

/** An incremental checksum (XXH3-64: it proves a file undamaged, nothing more; the header is checked field by field). */
export interface Checksum {
  update(bytes: Uint8Array): void;
  /** The checksum of everything given, as SUM (8) little-endian bytes. */
  digest(): Uint8Array;
}

/** The snapshot host services the VMM is given: storage, and the checksum. */
export interface SnapshotIo {
  storage: SnapshotStorage;
  checksum(): Checksum;
}

/** What the board is rebuilt from (everything but host-side services and callbacks). */
export type SnapshotConfig = Omit<BoardConfig, "host" | "output" | "onWatchdogReset" | "onWatchdogInterrupt">;

/** The VM's state when it was saved: what a restore continues "as saved". */
export type SavedRunState = "running" | "paused" | "suspended";

export type { DiskIdentity, Header, HeaderFields };

/**
 * Refuses a snapshot whose disk images (or firmware files) are missing or changed since it was saved. The header
 * was checked to name exactly the images (and firmware files) its configuration attaches, so this opens no other file.
 */
export function checkDisks(s: { header: Pick<HeaderFields, "disks" | "firmwareFiles"> }, identify: (path: string) => DiskIdentity): void {
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

/**
 * The RAM pages that are not zero, as runs [first page, pages, first page, pages, ...]: only pages
 * the core saw written can be (the others are untouched host memory, never read here), and of
 * those the ones that hold zeros again are left out too.
 */
export function nonZeroRuns(ram: Uint8Array, written: Uint8Array): Uint32Array {
  const bytes = Buffer.from(ram.buffer, ram.byteOffset, ram.length);
  const zero = Buffer.alloc(PAGE);
  const runs: number[] = [];
  let first = -1;
  let last = -2;
  for (let p = written.indexOf(1); p >= 0; p = written.indexOf(1, p + 1)) {
    if (bytes.subarray(p * PAGE, (p + 1) * PAGE).equals(zero)) continue;
    if (p !== last + 1) {
      if (first >= 0) runs.push(first, last - first + 1);
      first = p;
    }
    last = p;
  }
  if (first >= 0) runs.push(first, last - first + 1);
  return Uint32Array.from(runs);
}

/** Zero bytes that bring `n` up to a multiple of PAGE (the page data starts page-aligned). */
const padding = (n: number) => new Uint8Array((PAGE - (n % PAGE)) % PAGE);

/**
 * Serialises a suspended or paused board as the parts of its file (views of RAM among them: the
 * VM is paused): [magic][u32 header length][header][u32 run count][runs: u32 first page, u32 pages]
 * [checksum of all before][zeros to a multiple of 4 KiB][the runs' pages][checksum of all before].
 */
export function snapshotParts(board: VirtBoard, io: SnapshotIo, runState: SavedRunState = "suspended"): Uint8Array[] {
  const ram = board.vm.core.ram;
  const runs = nonZeroRuns(ram, board.vm.core.ramWritten);
  let ramPages = 0;
  for (let k = 1; k < runs.length; k += 2) ramPages += runs[k];
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
    ramPages,
    runState,
  };
  const h = new TextEncoder().encode(encode(header));
  const lengths = new Uint8Array(4 + 4);
  const dv = new DataView(lengths.buffer);
  dv.setUint32(0, h.length, true);
  dv.setUint32(4, runs.length / 2, true);
  const table = new Uint8Array(runs.length * 4);
  const tv = new DataView(table.buffer);
  runs.forEach((v, k) => tv.setUint32(k * 4, v, true));
  const meta = [MAGIC, lengths.subarray(0, 4), h, lengths.subarray(4), table];
  const sum = io.checksum();
  for (const m of meta) sum.update(m);
  const metaSum = sum.digest();
  const parts = [...meta, metaSum, padding(meta.reduce((n, m) => n + m.length, SUM))];
  const all = io.checksum();
  for (const p of parts) all.update(p);
  for (let k = 0; k < runs.length; k += 2) {
    const pages = ram.subarray(runs[k] * PAGE, (runs[k] + runs[k + 1]) * PAGE);
    all.update(pages);
    parts.push(pages);
  }
  parts.push(all.digest());
  return parts;
}

/** Writes a snapshot of the board (suspended or paused) to `path` through the storage; returns its size in bytes. */
export async function saveSnapshot(board: VirtBoard, path: string, io: SnapshotIo, runState?: SavedRunState): Promise<number> {
  const parts = snapshotParts(board, io, runState);
  await io.storage.write(path, parts);
  return parts.reduce((n, p) => n + p.length, 0);
}

export interface LoadedSnapshot {
  /** The header, checked. */
  header: Header;
  /** The saved pages as runs: [first page, pages, first page, pages, ...], in order, apart. */
  runs: Uint32Array;
  /**
   * Reads the saved pages into `ram` (a freshly built board's, all zeros), checking the whole
   * file's checksum; a SnapshotError when the file is damaged (or was replaced since it was read).
   * Once per RAM: a second call with the same `ram` is the first call's read.
   */
  load(ram: Uint8Array): Promise<void>;
}

/**
 * A snapshot with its file, run list and header fields checked — the board's configuration,
 * the disks' and firmware files' identities, the page count: all its board is built and its
 * files opened from — and the states in its header (vCPUs, GIC, timers, devices) not yet:
 * check() checks them. The pages can be read into the new board's RAM meanwhile (load), and
 * only the LoadedSnapshot check() returns is restored.
 */
export interface StagedSnapshot {
  header: HeaderFields;
  runs: Uint32Array;
  /** LoadedSnapshot.load, before the states are checked (nothing runs from what it reads until they are). */
  load(ram: Uint8Array): Promise<void>;
  /** Checks the header's states; a SnapshotError naming the first bad field. */
  check(): LoadedSnapshot;
}

/**
 * Reads a staged snapshot's pages into the new board's RAM (on other threads) while its states
 * are checked here: the LoadedSnapshot to restore (whose restore awaits that read and its
 * checksum, so the guest runs only once both are done), or the check's SnapshotError, thrown
 * after the read in flight has ended (never into freed memory).
 */
export async function checkWhileLoading(staged: StagedSnapshot, ram: Uint8Array): Promise<LoadedSnapshot> {
  const reading = staged.load(ram);
  reading.catch(() => {});
  try {
    return staged.check();
  } catch (e) {
    await reading.catch(() => {});
    throw e;
  }
}

/**
 * Pages are read in pieces of at most this many bytes, READERS at a time (16 MiB: fewer reads
 * than 4 MiB pieces, 6 for a Linux guest's 82 MiB; the kernel's page faults and copy, ~60 ms of
 * CPU either way, dominate).
 */
const PIECE = 16 << 20;
const READERS = 4;

/**
 * Reads and checks a snapshot file before anything is built from it: magic, version, the
 * checksum of its header and run list, the header against its schema and across fields
 * (snapshot-schema.ts), the runs against the RAM and the file's size. Every problem is a
 * SnapshotError naming it. The pages themselves are read by load(), into the board's RAM.
 */
export function readSnapshot(path: string, io: SnapshotIo): LoadedSnapshot {
  return stageSnapshot(path, io).check();
}

/** A StateError from the header's schema or cross-field checks as a SnapshotError naming the file. */
function headerError(path: string, e: unknown): unknown {
  return e instanceof StateError ? new SnapshotError(`${path}: ${e.message.replace(/^\.?/, "")}`) : e;
}

/**
 * readSnapshot in two steps: everything but the header's states checked here (magic, version,
 * checksum, the header's own fields, the runs, the file's size), the states by check().
 */
export function stageSnapshot(path: string, io: SnapshotIo): StagedSnapshot {
  const limits = { minBytes: MIN_BYTES, maxBytes: MAX_SNAPSHOT_BYTES };
  const damaged = (why: string) => new SnapshotError(`${path} is corrupted or truncated (${why})`);
  const file = io.storage.open(path, limits);
  let meta: Uint8Array;
  let dataStart: number;
  let header: unknown;
  let runs: Uint32Array;
  try {
    if (file.size < MIN_BYTES) throw new SnapshotError(`${path} is not a Dormouse snapshot`);
    const start = new Uint8Array(MAGIC.length + 4);
    file.read(0, start);
    if (!MAGIC.every((c, i) => start[i] === c)) throw new SnapshotError(`${path} is not a Dormouse snapshot`);
    const hlen = new DataView(start.buffer).getUint32(MAGIC.length, true);
    if (hlen > MAX_HEADER || start.length + hlen + 4 + SUM > file.size) throw damaged("a truncated header");
    const h = new Uint8Array(hlen + 4);
    file.read(start.length, h);
    try {
      header = decode(new TextDecoder("utf-8", { fatal: true }).decode(h.subarray(0, hlen)));
    } catch {
      throw new SnapshotError(`${path} has an unreadable header`);
    }
    // The version before anything else: an older snapshot's layout after its header is not this version's.
    const version = (header as { version?: unknown } | null)?.version;
    if (typeof version === "number" && version !== SNAPSHOT_VERSION)
      throw new SnapshotError(`${path}: snapshot version ${version}; this Dormouse reads version ${SNAPSHOT_VERSION}`);
    const nruns = new DataView(h.buffer).getUint32(hlen, true);
    const metaLength = start.length + h.length + nruns * 8;
    if (nruns > MAX_RUNS || metaLength + SUM > file.size) throw damaged(`${nruns} runs of pages`);
    meta = new Uint8Array(metaLength + SUM);
    meta.set(start);
    meta.set(h, start.length);
    const table = new Uint8Array(nruns * 8 + SUM);
    file.read(start.length + h.length, table);
    meta.set(table, start.length + h.length);
    const sum = io.checksum();
    sum.update(meta.subarray(0, metaLength));
    const want = sum.digest();
    if (want.length !== SUM || !want.every((c, i) => meta[metaLength + i] === c)) throw damaged("checksum mismatch");
    runs = new Uint32Array(nruns * 2);
    const dv = new DataView(meta.buffer, start.length + h.length, nruns * 8);
    for (let k = 0; k < runs.length; k++) runs[k] = dv.getUint32(k * 4, true);
    dataStart = meta.length + padding(meta.length).length;
  } finally {
    file.close();
  }
  try {
    checkHeaderFields(header);
  } catch (e) {
    throw headerError(path, e);
  }
  const bad = (why: string) => new SnapshotError(`${path} has an inconsistent memory image (${why})`);
  const ramPages = header.config.ramSize / PAGE;
  let total = 0;
  for (let k = 0, end = 0; k < runs.length; k += 2) {
    const [first, n] = [runs[k], runs[k + 1]];
    if (n === 0) throw bad(`run ${k / 2} is empty`);
    if (k && first <= end) throw bad(`page ${first} after page ${end - 1}`);
    if (first + n > ramPages) throw bad(`page ${first + n - 1} is beyond the ${header.config.ramSize >> 20} MiB of RAM`);
    end = first + n;
    total += n;
  }
  if (total !== header.ramPages) throw bad(`${total} pages, the header says ${header.ramPages}`);
  const expected = dataStart + total * PAGE + SUM;
  if (file.size !== expected) throw damaged(`${file.size} bytes, its memory image needs ${expected}`);
  const checked = header;
  let loading: { ram: Uint8Array; done: Promise<void> } | null = null;
  const load = (ram: Uint8Array): Promise<void> => {
    if (loading?.ram !== ram) loading = { ram, done: loadPages(ram) };
    return loading.done;
  };
  const loadPages = async (ram: Uint8Array): Promise<void> => {
    if (ram.length !== checked.config.ramSize) throw new SnapshotError("the snapshot's memory does not fit this VM");
    // Opened again: the file was closed once its header was read (a snapshot read and never
    // restored holds nothing open); one replaced since fails the checksum, which covers it all.
    const f = io.storage.open(path, limits);
    try {
      if (f.size !== expected) throw damaged(`${f.size} bytes, its memory image needs ${expected}`);
      const head = new Uint8Array(dataStart);
      f.read(0, head);
      const pieces: [number, Uint8Array][] = [];
      let at = dataStart;
      for (let k = 0; k < runs.length; k += 2) {
        const view = ram.subarray(runs[k] * PAGE, (runs[k] + runs[k + 1]) * PAGE);
        for (let o = 0; o < view.length; o += PIECE) pieces.push([at + o, view.subarray(o, o + PIECE)]);
        at += view.length;
      }
      // Straight into RAM, several pieces at once; every read ends before the file is closed.
      // The checksum takes the pieces in file order as they arrive, on this thread while the
      // later ones are still being read on others (not after the last one).
      const all = io.checksum();
      all.update(head);
      const arrived = new Uint8Array(pieces.length);
      let summed = 0;
      let next = 0;
      let failed = false;
      const reader = async () => {
        while (!failed && next < pieces.length) {
          const i = next++;
          await f.readAsync(pieces[i][0], pieces[i][1]).catch((e) => {
            failed = true;
            throw e;
          });
          arrived[i] = 1;
          for (; summed < pieces.length && arrived[summed]; summed++) all.update(pieces[summed][1]);
        }
      };
      const done = await Promise.allSettled(Array.from({ length: READERS }, reader));
      const error = done.find((r) => r.status === "rejected");
      if (error) throw (error as PromiseRejectedResult).reason;
      if (summed !== pieces.length) throw new Error("snapshot pages read but not all checksummed");
      const sum = new Uint8Array(SUM);
      f.read(at, sum);
      const want = all.digest();
      if (want.length !== SUM || !want.every((c, i) => sum[i] === c)) throw damaged("checksum mismatch");
    } finally {
      f.close();
    }
  };
  return {
    header: checked,
    runs,
    load,
    check() {
      try {
        checkHeaderStates(checked);
      } catch (e) {
        throw headerError(path, e);
      }
      return { header: checked, runs, load };
    },
  };
}

/**
 * Restores a snapshot into a freshly built board (zero RAM) made from its configuration. The
 * header was checked by readSnapshot; a damaged memory image or a state the board still refuses
 * (a disk of another size) is a SnapshotError.
 */
export async function restoreSnapshot(board: VirtBoard, s: LoadedSnapshot): Promise<void> {
  const ram = board.vm.core.ram;
  await s.load(ram);
  const written = board.vm.core.ramWritten;
  for (let k = 0; k < s.runs.length; k += 2) written.fill(1, s.runs[k], s.runs[k] + s.runs[k + 1]);
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
