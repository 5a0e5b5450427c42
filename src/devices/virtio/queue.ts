// Split virtqueues (virtio 1.x §2.7): the device's side of the descriptor table, the available
// ring (driver area) and the used ring (device area) in guest memory, descriptor chains with
// indirect tables (§2.7.5.3), and notification suppression by flags or event indices (§2.7.7,
// §2.7.10). Everything the guest wrote is checked: a malformed ring or chain is a VirtqueueError,
// which the transport turns into DEVICE_NEEDS_RESET instead of an exception in the host.

import { type Static, Struct, Type, U16, U32, U64, require, validate } from "../../schema/index.ts";

/** How devices reach guest RAM (DMA). */
export interface GuestMemory {
  /** A view of guest physical [gpa, gpa+len), or null unless the range lies entirely in RAM. */
  view(gpa: bigint, len: number): Uint8Array | null;
  /** The device wrote [gpa, gpa+len) through a view: the CPU must drop code it decoded from there. */
  written(gpa: bigint, len: number): void;
}

/**
 * Guest memory over one RAM block at `base`. `ram` is called on every access because the block's
 * view can be recreated (wasm memory growth); `written` reports device writes (default: none).
 */
export function ramMemory(base: bigint, ram: () => Uint8Array, written: (gpa: bigint, len: number) => void = () => {}): GuestMemory {
  return {
    view(gpa, len) {
      const r = ram();
      const off = gpa - base;
      if (!Number.isInteger(len) || len < 0 || off < 0n || off + BigInt(len) > BigInt(r.length)) return null;
      return r.subarray(Number(off), Number(off) + len);
    },
    written,
  };
}

/** The driver broke the virtqueue protocol (bad ring address, malformed chain...). */
export class VirtqueueError extends Error {}

/** A buffer of a descriptor chain: its guest address and a view of its bytes. */
export interface Segment {
  gpa: bigint;
  bytes: Uint8Array;
}

/** One request: the head descriptor's index, then the device-readable and device-writable buffers in order. */
export interface DescriptorChain {
  head: number;
  readable: Segment[];
  writable: Segment[];
}

/** Descriptor flags (§2.7.5). */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** Available ring flag: the driver needs no interrupt (without EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

/** The largest split queue (§2.7: Queue Size is a power of 2, at most 32768). */
export const MAX_QUEUE_SIZE = 32768;

/** Plain, versioned virtqueue state. */
export const VirtqueueStateSchema = Struct({
  version: Type.Literal(1),
  /** QueueNum as the driver wrote it (checked when the queue is made ready). */
  size: U32,
  ready: Type.Boolean(),
  desc: U64,
  driver: U64,
  device: U64,
  /** Next available-ring index the device will read. */
  lastAvail: U16,
  /** The device's used index (what it last published in the used ring). */
  usedIdx: U16,
});
export type VirtqueueState = Static<typeof VirtqueueStateSchema>;

/** The rings of a ready queue, mapped for one batch of requests. */
interface Rings {
  desc: DataView;
  avail: DataView;
  used: DataView;
}

/** Ring options that follow negotiated features. */
export interface RingFeatures {
  indirect: boolean;
  eventIdx: boolean;
}

function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function hex(a: bigint): string {
  return `0x${a.toString(16)}`;
}

export class Virtqueue {
  size: number;
  ready = false;
  desc = 0n;
  driver = 0n;
  device = 0n;
  lastAvail = 0;
  usedIdx = 0;

  /** `maxSize`: QueueNumMax, a power of 2. */
  constructor(readonly maxSize: number) {
    if (maxSize < 1 || maxSize > MAX_QUEUE_SIZE || maxSize & (maxSize - 1)) throw new RangeError(`bad queue size ${maxSize}`);
    this.size = maxSize;
  }

  /** Back to the state after a device reset. */
  reset(): void {
    this.size = this.maxSize;
    this.ready = false;
    this.desc = this.driver = this.device = 0n;
    this.lastAvail = this.usedIdx = 0;
  }

  /** Why the queue cannot be enabled with its current size, or null. */
  sizeProblem(): string | null {
    const n = this.size;
    if (n < 1 || n > this.maxSize || n & (n - 1)) return `queue size ${n} is not a power of 2 up to ${this.maxSize}`;
    return null;
  }

  /** Maps the three areas; throws VirtqueueError when one is not in RAM. */
  private map(mem: GuestMemory, f: RingFeatures): Rings {
    const n = this.size;
    const area = (name: string, gpa: bigint, len: number) => {
      const b = mem.view(gpa, len);
      if (!b) throw new VirtqueueError(`the ${name} at ${hex(gpa)} (${len} bytes) is not in RAM`);
      return dataView(b);
    };
    const event = f.eventIdx ? 2 : 0;
    return {
      desc: area("descriptor table", this.desc, 16 * n),
      avail: area("available ring", this.driver, 4 + 2 * n + event),
      used: area("used ring", this.device, 4 + 8 * n + event),
    };
  }

  /**
   * Takes every available chain and hands it to `process`, which returns the number of bytes it
   * wrote; each chain is then returned in the used ring. Returns whether the driver wants an
   * interrupt for what was used. Throws VirtqueueError on a protocol violation (chains already
   * processed stay used).
   */
  drain(mem: GuestMemory, f: RingFeatures, process: (chain: DescriptorChain) => number): boolean {
    const rings = this.map(mem, f);
    const oldUsed = this.usedIdx;
    try {
      for (;;) {
        const availIdx = rings.avail.getUint16(2, true);
        const pending = (availIdx - this.lastAvail) & 0xffff;
        if (pending === 0) break;
        if (pending > this.size) throw new VirtqueueError(`the driver moved the available index from ${this.lastAvail} to ${availIdx}`);
        const head = rings.avail.getUint16(4 + 2 * (this.lastAvail % this.size), true);
        const chain = this.chain(mem, rings.desc, head, f);
        this.lastAvail = (this.lastAvail + 1) & 0xffff;
        const len = process(chain);
        for (const s of chain.writable) if (s.bytes.length) mem.written(s.gpa, s.bytes.length);
        this.push(mem, rings, head, len);
      }
    } finally {
      // §2.7.10: with EVENT_IDX the device asks to be notified when the next entry is made available.
      if (f.eventIdx) {
        rings.used.setUint16(4 + 8 * this.size, this.lastAvail, true);
        mem.written(this.device + BigInt(4 + 8 * this.size), 2);
      }
    }
    if (this.usedIdx === oldUsed) return false;
    return this.wantsInterrupt(rings, f, oldUsed);
  }

  /** Whether the driver asked for an interrupt for used entries [oldUsed, usedIdx) (§2.7.7.2, §2.7.10). */
  private wantsInterrupt(rings: Rings, f: RingFeatures, oldUsed: number): boolean {
    if (!f.eventIdx) return (rings.avail.getUint16(0, true) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    const usedEvent = rings.avail.getUint16(4 + 2 * this.size, true);
    // vring_need_event: did the index pass used_event with this batch?
    return ((this.usedIdx - usedEvent - 1) & 0xffff) < ((this.usedIdx - oldUsed) & 0xffff);
  }

  private push(mem: GuestMemory, rings: Rings, head: number, len: number): void {
    const at = 4 + 8 * (this.usedIdx % this.size);
    rings.used.setUint32(at, head, true);
    rings.used.setUint32(at + 4, len, true);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    rings.used.setUint16(2, this.usedIdx, true);
    mem.written(this.device + BigInt(at), 8);
    mem.written(this.device + 2n, 2);
  }

  /** Walks the chain starting at `head` (§2.7.5.2, §2.7.5.3). */
  private chain(mem: GuestMemory, ring: DataView, head: number, f: RingFeatures): DescriptorChain {
    const out: DescriptorChain = { head, readable: [], writable: [] };
    let table = ring;
    let entries = this.size;
    let inIndirect = false;
    let i = head;
    let seen = 0;
    if (i >= entries) throw new VirtqueueError(`descriptor head ${head} is outside the table of ${entries}`);
    for (;;) {
      if (++seen > entries) throw new VirtqueueError(`the descriptor chain from ${head} loops or is longer than its table`);
      const addr = table.getBigUint64(16 * i, true);
      const len = table.getUint32(16 * i + 8, true);
      const flags = table.getUint16(16 * i + 12, true);
      const next = table.getUint16(16 * i + 14, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (!f.indirect) throw new VirtqueueError("an indirect descriptor without VIRTIO_F_INDIRECT_DESC");
        if (inIndirect) throw new VirtqueueError("an indirect descriptor inside an indirect table");
        if (flags & VIRTQ_DESC_F_NEXT) throw new VirtqueueError("an indirect descriptor with VIRTQ_DESC_F_NEXT");
        if (len === 0 || len % 16 || len / 16 > MAX_QUEUE_SIZE) throw new VirtqueueError(`an indirect table of ${len} bytes`);
        const t = mem.view(addr, len);
        if (!t) throw new VirtqueueError(`the indirect table at ${hex(addr)} (${len} bytes) is not in RAM`);
        table = dataView(t);
        entries = len / 16;
        inIndirect = true;
        i = 0;
        seen = 0;
        continue;
      }
      const bytes = len === 0 ? new Uint8Array(0) : mem.view(addr, len);
      if (!bytes) throw new VirtqueueError(`a buffer at ${hex(addr)} (${len} bytes) is not in RAM`);
      if (flags & VIRTQ_DESC_F_WRITE) out.writable.push({ gpa: addr, bytes });
      else if (out.writable.length) throw new VirtqueueError("a device-readable buffer after a device-writable one");
      else out.readable.push({ gpa: addr, bytes });
      if (!(flags & VIRTQ_DESC_F_NEXT)) return out;
      i = next;
      if (i >= entries) throw new VirtqueueError(`descriptor ${next} is outside the table of ${entries}`);
    }
  }

  save(): VirtqueueState {
    const { size, ready, desc, driver, device, lastAvail, usedIdx } = this;
    return { version: 1, size, ready, desc, driver, device, lastAvail, usedIdx };
  }

  /** Restores save()'s state; a StateError naming the field when it is malformed or out of range. */
  restore(s: unknown, what = "queue"): void {
    validate(VirtqueueStateSchema, s, what);
    const n = s.size;
    require(!s.ready ||
      (n >= 1 &&
        n <= this.maxSize &&
        (n & (n - 1)) === 0), `${what}.size: a ready queue's size is a power of 2 up to ${this.maxSize} (is ${n})`);
    ({ size: this.size, ready: this.ready, desc: this.desc, driver: this.driver, device: this.device } = s);
    this.lastAvail = s.lastAvail;
    this.usedIdx = s.usedIdx;
  }
}

/** Total bytes of a list of segments. */
export function totalLength(segs: Segment[]): number {
  let n = 0;
  for (const s of segs) n += s.bytes.length;
  return n;
}

/** The views covering bytes [offset, offset+len) of a segment list (clipped to its end). */
export function sliceSegments(segs: Segment[], offset: number, len: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = offset;
  let left = len;
  for (const s of segs) {
    if (left <= 0) break;
    const n = s.bytes.length;
    if (skip >= n) {
      skip -= n;
      continue;
    }
    const take = Math.min(n - skip, left);
    out.push(s.bytes.subarray(skip, skip + take));
    left -= take;
    skip = 0;
  }
  return out;
}

/** Copies bytes [offset, offset+len) of a segment list out (shorter if the list ends first). */
export function gather(segs: Segment[], offset: number, len: number): Uint8Array {
  const parts = sliceSegments(segs, offset, len);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Copies `src` into a segment list at `offset` (clipped to its end); returns the bytes copied. */
export function scatter(segs: Segment[], offset: number, src: Uint8Array): number {
  let at = 0;
  for (const p of sliceSegments(segs, offset, src.length)) {
    p.set(src.subarray(at, at + p.length));
    at += p.length;
  }
  return at;
}
