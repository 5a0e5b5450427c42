// npm run fuzz:snapshot -- --count N [--seed S] [--budget SLICES] [-v]
//
// Snapshots are untrusted input. This takes a real snapshot — the bare-metal suspend guest on two
// vCPUs with a (read-only) disk and an RNG, saved while suspended, deterministic time — mutates
// its content with the checksum recomputed (header fields: configuration, vCPU and core state,
// GIC, timers, devices, disk identities; values every check admits but no sane guest leaves;
// the run table and checksums; page contents; the header's text; truncations) and resumes each case the way `dormouse resume` does, in a child
// process, each with a budget of host slices (deterministic: counted, not timed). Prints
//
//   snapshot-fuzz: cases=<n> clear_errors=<n> resumed=<n> stack_traces=<n> hangs=<n>
//
// A clear error is one of the VMM's typed errors (SnapshotError, StateError, HvError, DiskError,
// VmStateError); anything else thrown (TypeError, RangeError, a plain Error, a wasm trap), a
// resumed VM failing with one, or an unhandled rejection is a stack trace. A case that does not
// end within its budget (its VM does not stop when asked) is a hang, and so is a child that stops
// answering for a minute (it is replaced and the run goes on).
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DiskError } from "../src/devices/virtio/blk.ts";
import { HvError } from "../src/hv/errors.ts";
import { imageFiles, nodeHost } from "../src/host/node/index.ts";
import { nodeSnapshotIo } from "../src/host/node/snapshot.ts";
import { StateError } from "../src/schema/index.ts";
import { VmStateError } from "../src/vmm/events.ts";
import { checkDisks, checkWhileLoading, SnapshotError, type SnapshotFile, type SnapshotIo, stageSnapshot } from "../src/vmm/snapshot.ts";
import { VirtualMachine, type VmmHost } from "../src/vmm/virtual-machine.ts";
import { buildGuest } from "../test/support/guests.ts";

type Outcome = "clear" | "resumed" | "stack" | "hang";
interface Result {
  i: number;
  outcome: Outcome;
  detail: string;
}

const MAGIC = Buffer.from("DORMOUSE-SNAPSHOT\n", "latin1");
const PAGE = 4096;

// ---- A deterministic generator -------------------------------------------------------------

/** mulberry32 over a seed and the case number. */
function rng(seed: number, i: number): () => number {
  let a = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- The snapshot's parts ------------------------------------------------------------------

interface Parts {
  header: Record<string, unknown>;
  /** Runs of saved pages: the first page, and the pages' content. */
  runs: { first: number; data: Buffer }[];
}

const encode = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? { $bigint: x.toString() } : x));
const decode = (s: string) =>
  JSON.parse(s, (_k, x) => (x && typeof x === "object" && "$bigint" in x ? BigInt(x.$bigint) : x)) as Record<string, unknown>;
const checksum = (b: Buffer) => {
  const h = nodeSnapshotIo.checksum();
  h.update(b);
  return Buffer.from(h.digest());
};
const padded = (n: number) => n + ((PAGE - (n % PAGE)) % PAGE);

/** [magic][u32 header length][header][u32 run count][runs: u32 first page, u32 pages][checksum][padding][pages][checksum]. */
function parse(file: Buffer): Parts {
  let off = MAGIC.length;
  const hlen = file.readUInt32LE(off);
  off += 4;
  const header = decode(file.subarray(off, off + hlen).toString("utf8"));
  off += hlen;
  const nruns = file.readUInt32LE(off);
  off += 4;
  const table = Array.from({ length: nruns }, (_, i) => [file.readUInt32LE(off + 8 * i), file.readUInt32LE(off + 8 * i + 4)]);
  off = padded(off + 8 * nruns + 8);
  const runs = table.map(([first, pages]) => {
    const data = Buffer.from(file.subarray(off, off + pages * PAGE));
    off += pages * PAGE;
    return { first, data };
  });
  return { header, runs };
}

/**
 * Serialises parts, all but the last checksum (seal() adds it); `raw` overrides parts of the
 * layout (for structural mutations): the header's text, the run count, the run table, and the
 * header's checksum left as it was before the change.
 */
function build(p: Parts, raw: { headerText?: string; count?: number; table?: [number, number][]; staleSum?: boolean } = {}): Buffer {
  const h = Buffer.from(raw.headerText ?? encode(p.header), "utf8");
  const table = raw.table ?? p.runs.map((c) => [c.first, c.data.length / PAGE] as [number, number]);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(h.length);
  const count = Buffer.alloc(4);
  count.writeUInt32LE((raw.count ?? table.length) >>> 0);
  const t = Buffer.alloc(8 * table.length);
  table.forEach(([first, n], i) => {
    t.writeUInt32LE(first >>> 0, 8 * i);
    t.writeUInt32LE(n >>> 0, 8 * i + 4);
  });
  const meta = Buffer.concat([MAGIC, head, h, count, t]);
  const sum = checksum(raw.staleSum ? Buffer.concat([meta, Buffer.from([1])]) : meta);
  const pad = Buffer.alloc(padded(meta.length + 8) - meta.length - 8);
  return Buffer.concat([meta, sum, pad, ...p.runs.map((c) => c.data)]);
}

const seal = (content: Buffer) => Buffer.concat([content, checksum(content)]);

// ---- Mutations -----------------------------------------------------------------------------

type Path = (string | number)[];

function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function get(root: unknown, p: Path): unknown {
  return p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
}

function set(root: Record<string, unknown>, p: Path, value: unknown, remove = false): void {
  const parent = get(root, p.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const k = p[p.length - 1];
  if (remove) {
    if (Array.isArray(parent)) parent.splice(k as number, 1);
    else delete (parent as Record<string | number, unknown>)[k];
  } else (parent as Record<string | number, unknown>)[k] = value;
}

/** A new value for `v`: near it, at a boundary, of another type, or anything. */
function mutateValue(v: unknown, r: () => number): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const bit = Math.floor(r() * 64);
  if (typeof v === "bigint")
    return pick([
      0n,
      1n,
      -1n,
      1n << 64n,
      (1n << 64n) - 1n,
      v ^ (1n << BigInt(bit)),
      v ^ (1n << BigInt(bit % 8)),
      v + 4n,
      v - 4n,
      BigInt.asUintN(64, BigInt(Math.floor(r() * 2 ** 32)) * BigInt(Math.floor(r() * 2 ** 32))),
      "12",
      12,
    ]);
  if (typeof v === "number")
    return pick([0, 1, -1, v + 1, v - 1, v ^ (1 << (bit % 31)), v * 2, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e300, 0.5, null, "1", 1n]);
  if (typeof v === "boolean") return pick([!v, 0, 1, "true", null]);
  if (typeof v === "string") return pick(["", "x".repeat(5000), "/etc/passwd", `${v}x`, v.slice(1), 0, null]);
  if (Array.isArray(v)) {
    const c = structuredClone(v);
    const what = Math.floor(r() * 5);
    if (what === 0 && c.length) c.push(structuredClone(c[Math.floor(r() * c.length)]));
    else if (what === 1) c.pop();
    else if (what === 2) return [];
    else if (what === 3) return {};
    else return Array.from({ length: 40 }, () => structuredClone(c[0] ?? 0));
    return c;
  }
  if (v && typeof v === "object") {
    const c = structuredClone(v) as Record<string, unknown>;
    const keys = Object.keys(c);
    const what = Math.floor(r() * 4);
    if (what === 0 && keys.length) delete c[pick(keys)];
    else if (what === 1) c.zz = 1;
    else if (what === 2) return null;
    else return [];
    return c;
  }
  return pick([0, "", {}, [], false]);
}

/** Where header mutations go (the core and vCPU state most often). */
const AREAS: [string, number][] = [
  ["vcpus", 30],
  ["gic", 12],
  ["timers", 8],
  ["uart", 6],
  ["rtc", 4],
  ["devices", 14],
  ["config", 10],
  ["disks", 5],
  ["", 11],
];

function mutateHeader(p: Parts, r: () => number): string {
  let x = r() * AREAS.reduce((a, [, w]) => a + w, 0);
  let area = "";
  for (const [name, w] of AREAS) {
    if ((x -= w) < 0) {
      area = name;
      break;
    }
  }
  const all = paths(p.header).filter((q) => q.length > 0 && (area === "" || q[0] === area));
  const q = all[Math.floor(r() * all.length)];
  const roll = r();
  if (roll < 0.08) set(p.header, q, undefined, true);
  else set(p.header, q, mutateValue(get(p.header, q), r));
  return `header ${q.join(".")}${roll < 0.08 ? " removed" : ""}`;
}

/** A random 64-bit value. */
function u64(r: () => number): bigint {
  return (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
}

/**
 * Values every check admits but no well-behaved guest would leave: the MMU on over random tables,
 * a breakpoint or software step armed, a random PC or vector base, timers and the watchdog due at
 * once (its second expiry resets a VM that has no image to boot again), interrupts pending,
 * the UART's FIFOs full. These resume, and test that whatever the guest then does stays its own.
 */
function mutatePlausible(p: Parts, r: () => number): string {
  const h = p.header as Record<string, any>;
  const k = Math.floor(r() * h.vcpus.length);
  const v = h.vcpus[k];
  const c = v.cpu;
  const ramTop = 0x4000_0000 + h.config.ramSize;
  const addr = () => BigInt(0x4000_0000 + Math.floor(r() * (ramTop - 0x4000_0000))) & ~3n;
  const which = Math.floor(r() * 14);
  switch (which) {
    case 0:
      c.pc = r() < 0.5 ? addr() : u64(r);
      break;
    case 1:
      c.pstate = [0, 4, 5][Math.floor(r() * 3)] | (Math.floor(r() * 16) << 6) | (r() < 0.2 ? 1 << 20 : 0) | (r() < 0.2 ? 1 << 21 : 0);
      break;
    case 2:
      c.sysregs.sctlr_el1 = (u64(r) & 0xfcff_ffffn) | 0x30d0_0800n | 1n;
      c.sysregs.tcr_el1 = u64(r);
      c.sysregs.ttbr0_el1 = r() < 0.5 ? addr() : u64(r);
      c.sysregs.ttbr1_el1 = u64(r);
      c.sysregs.mair_el1 = u64(r);
      break;
    case 3:
      c.sysregs.vbar_el1 = (r() < 0.5 ? addr() : u64(r)) & ~0x7ffn;
      break;
    case 4:
      c.sysregs.mdscr_el1 = 0x0000_a001n | (r() < 0.5 ? 1n : 0n);
      c.sysregs.dbgbvr[0] = c.pc;
      c.sysregs.dbgbcr[0] = 0x1e7n;
      c.sysregs.dbgwvr[0] = addr() & ~7n;
      c.sysregs.dbgwcr[0] = 0x1ff7n;
      c.sysregs.oslsr_el1 = 0n;
      c.pstate &= ~(1 << 9);
      break;
    case 5:
      for (let n = 0; n < 31; n++) c.x[n] = r() < 0.5 ? addr() : u64(r);
      c.sp = u64(r);
      break;
    case 6:
      if (r() < 0.5) {
        v.mpState = [0, 5, 10][Math.floor(r() * 3)];
        v.inWfi = false;
        v.pendingReset = null;
      } else {
        v.mpState = 0;
        v.inWfi = false;
        v.pendingReset = { pc: addr(), x0: u64(r) };
      }
      break;
    case 7:
      c.exclusive = { addr: addr(), size: [1, 2, 4, 8, 16][Math.floor(r() * 5)], value: u64(r), valueHi: u64(r), valid: true };
      c.fpcr = Math.floor(r() * 2 ** 32) & 0x07c0_0000;
      break;
    case 8: {
      const t = h.timers.vcpus[k];
      t.vctl = 1n;
      t.vcval = 0n;
      t.pctl = r() < 0.5 ? 1n : 0n;
      t.pcval = u64(r);
      t.cntkctl = BigInt(Math.floor(r() * 0x400));
      break;
    }
    case 9:
      h.devices.watchdog = { version: 1, wcs: 1, wor: BigInt(Math.floor(r() * 1000)), remaining: 0n, paused: false };
      break;
    case 10: {
      const g = h.gic;
      g.ctlr = 3;
      for (const x of g.spis.slice(0, 32)) Object.assign(x, { enabled: true, pendingLatch: r() < 0.5, group1: true, priority: 0x80 });
      for (const x of g.private[k]) Object.assign(x, { enabled: true, pendingLatch: r() < 0.3, group1: true });
      Object.assign(g.cpus[k], { pmr: 0xf8, grpen1: true, activePrio: r() < 0.5 ? [0xf0, 0x80] : [] });
      c.pstate &= ~(1 << 7);
      break;
    }
    case 11:
      Object.assign(h.uart, {
        rx: Array.from({ length: 16 }, () => Math.floor(r() * 256)),
        backlog: Array.from({ length: 4096 }, () => Math.floor(r() * 256)),
        tx: Array.from({ length: 16 }, () => Math.floor(r() * 256)),
        ris: Math.floor(r() * 0x800),
        imsc: Math.floor(r() * 0x800),
        cr: 0x301,
        lcr: 0x70,
      });
      break;
    case 12: {
      const q = h.devices.virtio[Math.floor(r() * h.devices.virtio.length)];
      Object.assign(q, { status: 0xf, driverFeatures: 1n << 32n, interruptStatus: 1 });
      Object.assign(q.queues[0], {
        ready: true,
        size: 1 << Math.floor(r() * 9),
        desc: addr(),
        driver: addr(),
        device: addr(),
        lastAvail: Math.floor(r() * 65536),
      });
      break;
    }
    default:
      c.v = c.v.map(() => (u64(r) << 64n) | u64(r));
      c.fpsr = Math.floor(r() * 2 ** 32) & 0x0800_009f;
  }
  return `plausible ${which} on vCPU ${k}`;
}

export function mutate(base: Buffer, seed: number, i: number): { bytes: Buffer; what: string } {
  const r = rng(seed, i);
  const p = parse(base);
  const kind = r();
  if (kind < 0.16) {
    const what = mutatePlausible(p, r);
    return { bytes: seal(build(p)), what };
  }
  if (kind < 0.62) {
    const what = mutateHeader(p, r);
    return { bytes: seal(build(p)), what };
  }
  if (kind < 0.74) {
    // Page contents: bytes of a saved page changed (a guest's memory is its own business).
    const c = p.runs[Math.floor(r() * p.runs.length)];
    const at = Math.floor(r() * c.data.length);
    const n = 1 + Math.floor(r() * (r() < 0.2 ? PAGE : 16));
    for (let k = 0; k < n && at + k < c.data.length; k++) c.data[at + k] = Math.floor(r() * 256);
    return { bytes: seal(build(p)), what: `page bytes at ${at}` };
  }
  if (kind < 0.84) {
    // The memory image's structure: first pages, the run count, run lengths, checksums, the order.
    const s = Math.floor(r() * 7);
    const j = Math.floor(r() * p.runs.length);
    const table = p.runs.map((c) => [c.first, c.data.length / PAGE] as [number, number]);
    if (s === 0) p.runs[j].first = Math.floor(r() * 2 ** 32);
    else if (s === 1) p.runs[j].first = p.runs[Math.max(0, j - 1)].first;
    else if (s === 2) return { bytes: seal(build(p, { count: table.length + (r() < 0.5 ? 1 : -1) })), what: "run count" };
    else if (s === 3) {
      table[j][1] = r() < 0.2 ? Math.floor(r() * 2 ** 32) : table[j][1] + (r() < 0.5 ? 1 : -1);
      return { bytes: seal(build(p, { table })), what: `run ${j} pages` };
    } else if (s === 4) return { bytes: seal(build(p, { staleSum: true })), what: "header checksum" };
    else if (s === 5) {
      // A page byte changed after the file was sealed: the whole file's checksum no longer matches.
      const bytes = seal(build(p));
      const at =
        bytes.length -
        9 -
        Math.floor(
          r() *
            Math.min(
              bytes.length - 9,
              p.runs.reduce((n, c) => n + c.data.length, 0),
            ),
        );
      bytes[at] ^= 1 << Math.floor(r() * 8);
      return { bytes, what: `damaged byte at ${at}` };
    } else p.runs.reverse();
    return { bytes: seal(build(p)), what: `runs (${s})` };
  }
  if (kind < 0.92) {
    // The header's text: a byte changed, inserted or removed.
    const t = encode(p.header);
    const at = Math.floor(r() * t.length);
    const ch = String.fromCharCode(32 + Math.floor(r() * 95));
    const s = Math.floor(r() * 3);
    const text =
      s === 0 ? t.slice(0, at) + ch + t.slice(at + 1) : s === 1 ? t.slice(0, at) + ch + t.slice(at) : t.slice(0, at) + t.slice(at + 1);
    return { bytes: seal(build(p, { headerText: text })), what: `header text at ${at}` };
  }
  // Truncated (the checksum recomputed over what is left).
  const content = build(p);
  const len = Math.floor(r() * content.length);
  return { bytes: seal(content.subarray(0, len)), what: `truncated to ${len}` };
}

// ---- Resuming a case -----------------------------------------------------------------------

const clearError = (e: unknown) =>
  e instanceof SnapshotError || e instanceof StateError || e instanceof HvError || e instanceof DiskError || e instanceof VmStateError;

const describe = (e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}\n${e.stack ?? ""}` : String(e));

/** The Node host, with the event loop's turns counted and snapshot files served from memory. */
function caseHost(bytes: () => Buffer, onYield: () => void): VmmHost {
  const base = nodeHost();
  const io: SnapshotIo = {
    storage: {
      open(path, { minBytes, maxBytes }): SnapshotFile {
        const b = bytes();
        if (b.length < minBytes || b.length > maxBytes) throw new SnapshotError(`${path} is not a Dormouse snapshot (${b.length} bytes)`);
        return {
          size: b.length,
          read(position, into) {
            if (position + into.length > b.length) throw new SnapshotError(`${path} is corrupted or truncated`);
            into.set(b.subarray(position, position + into.length));
          },
          async readAsync(position, into) {
            this.read(position, into);
          },
          close() {},
        };
      },
      write: () => Promise.reject(new SnapshotError("read-only")),
    },
    checksum: nodeSnapshotIo.checksum,
  };
  return {
    ...base,
    clock: {
      ...base.clock,
      yield: () => {
        onYield();
        return new Promise((r) => setImmediate(r));
      },
    },
    snapshots: io,
  };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

export async function runCase(bytes: Buffer, budget: number): Promise<{ outcome: Outcome; detail: string }> {
  let yields = 0;
  const host = caseHost(
    () => bytes,
    () => yields++,
  );
  let vm: VirtualMachine | null = null;
  let result: { outcome: Outcome; detail: string };
  try {
    // As dormouse resume: the board built from the checked fields, the pages read while the states are checked.
    const staged = stageSnapshot("case.snap", host.snapshots);
    checkDisks(staged, (p) => imageFiles.identify(p));
    vm = new VirtualMachine({ board: staged.header.config }, host, { policy: { onSuspend: "honour" } });
    await vm.restore(await checkWhileLoading(staged, vm.board.vm.core.ram), "case.snap", { into: "saved" });
    if (vm.state === "paused") await vm.resume();
    result = await drive(vm, budget, () => yields);
  } catch (e) {
    result = clearError(e) ? { outcome: "clear", detail: (e as Error).message } : { outcome: "stack", detail: describe(e) };
  }
  try {
    vm?.close();
  } catch (e) {
    result = { outcome: "stack", detail: `close: ${describe(e)}` };
  }
  return result;
}

/** Runs a restored VM for `budget` slices, or until it ends, or until it idles (waits with no deadline), then stops it. */
async function drive(vm: VirtualMachine, budget: number, yields: () => number): Promise<{ outcome: Outcome; detail: string }> {
  let ended = false;
  void vm.finished.then(() => {
    ended = true;
  });
  let still = 0;
  let last = -1;
  while (!ended && yields() < budget && still < 64) {
    await turn();
    if (yields() === last) still++;
    else [still, last] = [0, yields()];
  }
  if (!ended) {
    let stopped = false;
    void vm.stop().then(() => {
      stopped = true;
    });
    for (let k = 0; k < 10_000 && !stopped; k++) await turn();
    if (!stopped) return { outcome: "hang", detail: `did not stop within its budget (state ${vm.state})` };
  }
  if (vm.state === "error" && vm.failure !== undefined && !clearError(vm.failure))
    return { outcome: "stack", detail: `after the resume: ${describe(vm.failure)}` };
  return { outcome: "resumed", detail: vm.state };
}

async function child(base: string, seed: number, from: number, to: number, budget: number): Promise<void> {
  const file = readFileSync(base);
  let unhandled: unknown = null;
  process.on("unhandledRejection", (e) => {
    unhandled ??= e;
  });
  process.on("uncaughtException", (e) => {
    unhandled ??= e;
  });
  for (let i = from; i < to; i++) {
    const { bytes, what } = mutate(file, seed, i);
    // What the case is, in case it never answers.
    process.send?.({ i, starting: what });
    unhandled = null;
    let r = await runCase(bytes, budget);
    // Rejections surface on the next turns.
    await turn();
    await turn();
    if (unhandled !== null && r.outcome !== "stack") r = { outcome: "stack", detail: `unhandled: ${describe(unhandled)}` };
    process.send?.({ i, outcome: r.outcome, detail: `${what}: ${r.detail}` } satisfies Result);
  }
  process.disconnect?.();
}

// ---- The run -------------------------------------------------------------------------------

/** The real snapshot the cases start from: the suspend guest saved while suspended. */
export async function baseSnapshot(dir: string): Promise<string> {
  const disk = join(dir, "disk.img");
  writeFileSync(disk, Buffer.alloc(1 << 20, 0x5a));
  const path = join(dir, "base.snap");
  const vm = new VirtualMachine(
    {
      board: {
        cpus: 2,
        ramSize: 32 << 20,
        psciConduit: "hvc",
        systemSuspend: true,
        clock: "deterministic",
        disks: [{ path: disk, readOnly: true }],
        rng: true,
      },
      image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 0 })) },
    },
    nodeHost(),
    { policy: { onSuspend: "save", snapshotPath: path } },
  );
  vm.start();
  const state = await vm.finished;
  vm.close();
  if (state !== "saved") throw new Error(`the base guest ended ${state}, not saved`);
  return path;
}

export interface FuzzSummary {
  cases: number;
  clear: number;
  resumed: number;
  stacks: number;
  hangs: number;
  /** Details of the stack traces and hangs. */
  problems: string[];
}

/** Runs cases [0, count) of `seed`; `log` gets each case's outcome. */
export async function fuzzSnapshots(opts: {
  count: number;
  seed: number;
  budget: number;
  /** The first case (to rerun one: from N, count N + 1). */
  from?: number;
  log?: (r: Result) => void;
}): Promise<FuzzSummary> {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-snapfuzz-"));
  try {
    const base = await baseSnapshot(dir);
    // The unmutated snapshot resumes (else every case would only test the error path).
    const ok = await runCase(readFileSync(base), 1000);
    if (ok.outcome !== "resumed" || ok.detail !== "shutdown")
      throw new Error(`the base snapshot does not resume: ${ok.outcome} ${ok.detail}`);
    const s: FuzzSummary = { cases: 0, clear: 0, resumed: 0, stacks: 0, hangs: 0, problems: [] };
    const record = (r: Result) => {
      s.cases++;
      if (r.outcome === "clear") s.clear++;
      else if (r.outcome === "resumed") s.resumed++;
      else {
        if (r.outcome === "stack") s.stacks++;
        else s.hangs++;
        s.problems.push(`case ${r.i} (${r.outcome}): ${r.detail}`);
      }
      opts.log?.(r);
    };
    let next = opts.from ?? 0;
    while (next < opts.count) {
      next = await new Promise<number>((resolve) => {
        let at = next;
        const c = fork(
          new URL(import.meta.url).pathname,
          ["--child", base, String(opts.seed), String(at), String(opts.count), String(opts.budget)],
          {
            execArgv: ["--import", "tsx"],
            stdio: ["ignore", "ignore", "inherit", "ipc"],
          },
        );
        let timer: NodeJS.Timeout;
        const arm = () => {
          clearTimeout(timer);
          // A wall-clock backstop only: a case that wedges the host itself.
          timer = setTimeout(() => {
            record({ i: at, outcome: "hang", detail: `${starting}: the case stopped answering for 60 s` });
            c.kill("SIGKILL");
            resolve(at + 1);
          }, 60_000);
        };
        arm();
        let starting = "";
        c.on("message", (m: Result | { i: number; starting: string }) => {
          if ("starting" in m) {
            starting = m.starting;
            return;
          }
          record(m);
          at = m.i + 1;
          arm();
        });
        c.on("exit", () => {
          clearTimeout(timer);
          if (at < opts.count && at === next) record({ i: at, outcome: "stack", detail: `${starting}: the case process died` });
          resolve(at < opts.count && at === next ? at + 1 : at);
        });
      });
    }
    return s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") {
    const [base, seed, from, to, budget] = process.argv.slice(3);
    await child(base, Number(seed), Number(from), Number(to), Number(budget));
    return;
  }
  const { values } = parseArgs({
    options: {
      count: { type: "string", default: "600" },
      seed: { type: "string", default: "1" },
      budget: { type: "string", default: "16" },
      from: { type: "string", default: "0" },
      verbose: { type: "boolean", short: "v", default: false },
    },
  });
  const num = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      process.stderr.write(`snapshot-fuzz: --${name} takes a non-negative integer, not "${v}"\n`);
      process.exit(2);
    }
    return n;
  };
  const count = num("count", values.count as string);
  const seed = num("seed", values.seed as string);
  const budget = num("budget", values.budget as string);
  const from = num("from", values.from as string);
  const s = await fuzzSnapshots({
    count,
    seed,
    budget,
    from,
    log: values.verbose ? (r) => process.stderr.write(`case ${r.i}: ${r.outcome}: ${r.detail.split("\n")[0]}\n`) : undefined,
  });
  for (const p of s.problems.slice(0, 5)) process.stderr.write(`${p}\n`);
  console.log(`snapshot-fuzz: cases=${s.cases} clear_errors=${s.clear} resumed=${s.resumed} stack_traces=${s.stacks} hangs=${s.hangs}`);
  process.exitCode = s.stacks || s.hangs ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
