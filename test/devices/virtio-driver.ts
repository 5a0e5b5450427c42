// A fake guest for virtio device tests: RAM at 0x4000_0000 with a bump allocator, and a driver
// that talks to a virtio-mmio transport the way Linux's virtio_mmio + virtio_ring do (register
// accesses, split rings laid out in guest RAM, descriptor chains, notifications).
import assert from "node:assert/strict";
import type { IrqLine } from "../../src/devices/types.ts";
import { Reg, STATUS_ACKNOWLEDGE, STATUS_DRIVER, STATUS_DRIVER_OK, STATUS_FEATURES_OK, VirtioMmio } from "../../src/devices/virtio/mmio.ts";
import {
  type GuestMemory,
  ramMemory,
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
} from "../../src/devices/virtio/queue.ts";

export const RAM_BASE = 0x4000_0000n;

/** Guest RAM, the interrupt line's history, and the device writes reported to the CPU. */
export class FakeGuest {
  readonly levels: boolean[] = [];
  readonly writes: { gpa: bigint; len: number }[] = [];
  readonly irq: IrqLine = { set: (l) => this.levels.push(l) };
  readonly mem: GuestMemory = ramMemory(
    RAM_BASE,
    () => this.ram,
    (gpa, len) => this.writes.push({ gpa, len }),
  );
  private top = 0x1000;

  /** `ram`: guest RAM at 0x4000_0000 (default: 4 MiB of its own). */
  constructor(readonly ram: Uint8Array = new Uint8Array(4 << 20)) {}

  /** The same guest over another copy of its RAM (a restored VM): allocations continue where they were. */
  over(ram: Uint8Array): FakeGuest {
    const g = new FakeGuest(ram);
    g.top = this.top;
    return g;
  }

  /** The line's current level. */
  get line(): boolean {
    return this.levels.at(-1) ?? false;
  }

  /** Allocates zeroed guest memory; returns its guest physical address. */
  alloc(len: number, align = 16): bigint {
    this.top = (this.top + align - 1) & ~(align - 1);
    const at = this.top;
    this.top += len;
    assert.ok(this.top <= this.ram.length, "fake guest out of memory");
    return RAM_BASE + BigInt(at);
  }

  bytes(gpa: bigint, len: number): Uint8Array {
    const off = Number(gpa - RAM_BASE);
    return this.ram.subarray(off, off + len);
  }

  put(gpa: bigint, data: Uint8Array): void {
    this.bytes(gpa, data.length).set(data);
  }

  view(gpa: bigint, len: number): DataView {
    const b = this.bytes(gpa, len);
    return new DataView(b.buffer, b.byteOffset, len);
  }
}

/** One buffer of a request: where it is, how long, and whether the device writes it. */
export interface Buf {
  addr: bigint;
  len: number;
  write?: boolean;
}

/** The driver's view of a queue it set up. */
export interface DriverQueue {
  index: number;
  size: number;
  desc: bigint;
  avail: bigint;
  used: bigint;
  /** The driver's available index (next entry to publish). */
  availIdx: number;
  /** Used entries consumed so far. */
  lastUsed: number;
  /** Next free descriptor (descriptors are handed out round-robin; tests never overlap them). */
  nextDesc: number;
}

export class FakeDriver {
  constructor(
    readonly t: VirtioMmio,
    readonly g: FakeGuest,
  ) {}

  r(offset: number): number {
    return Number(this.t.read(offset, 4));
  }

  w(offset: number, value: number | bigint): void {
    this.t.write(offset, 4, BigInt(value));
  }

  get status(): number {
    return this.r(Reg.Status);
  }

  deviceFeatures(): bigint {
    this.w(Reg.DeviceFeaturesSel, 0);
    const lo = BigInt(this.r(Reg.DeviceFeatures));
    this.w(Reg.DeviceFeaturesSel, 1);
    return (BigInt(this.r(Reg.DeviceFeatures)) << 32n) | lo;
  }

  /** Reset, ACKNOWLEDGE, DRIVER, features (default: everything offered), FEATURES_OK; returns whether the device accepted. */
  negotiate(pick: (offered: bigint) => bigint = (f) => f): boolean {
    this.w(Reg.Status, 0);
    this.w(Reg.Status, STATUS_ACKNOWLEDGE);
    this.w(Reg.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    const f = pick(this.deviceFeatures());
    this.w(Reg.DriverFeaturesSel, 0);
    this.w(Reg.DriverFeatures, f & 0xffff_ffffn);
    this.w(Reg.DriverFeaturesSel, 1);
    this.w(Reg.DriverFeatures, f >> 32n);
    this.w(Reg.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    return (this.status & STATUS_FEATURES_OK) !== 0;
  }

  /** Lays out a split ring of `size` entries in guest RAM and enables it (as vm_setup_vq does). */
  setupQueue(index: number, size?: number): DriverQueue {
    this.w(Reg.QueueSel, index);
    assert.equal(this.r(Reg.QueueReady), 0);
    const max = this.r(Reg.QueueNumMax);
    assert.ok(max > 0, `queue ${index} exists`);
    const n = size ?? max;
    const q: DriverQueue = {
      index,
      size: n,
      desc: this.g.alloc(16 * n, 16),
      avail: this.g.alloc(6 + 2 * n, 2),
      used: this.g.alloc(6 + 8 * n, 4),
      availIdx: 0,
      lastUsed: 0,
      nextDesc: 0,
    };
    this.w(Reg.QueueNum, n);
    const split = (lo: number, a: bigint) => {
      this.w(lo, a & 0xffff_ffffn);
      this.w(lo + 4, a >> 32n);
    };
    split(Reg.QueueDescLow, q.desc);
    split(Reg.QueueDriverLow, q.avail);
    split(Reg.QueueDeviceLow, q.used);
    this.w(Reg.QueueReady, 1);
    return q;
  }

  driverOk(): void {
    this.w(Reg.Status, this.status | STATUS_DRIVER_OK);
  }

  /** Writes descriptor `i` of a table at `table`. */
  writeDesc(table: bigint, i: number, b: Buf, flags: number, next: number): void {
    const d = this.g.view(table + BigInt(16 * i), 16);
    d.setBigUint64(0, b.addr, true);
    d.setUint32(8, b.len, true);
    d.setUint16(12, flags | (b.write ? VIRTQ_DESC_F_WRITE : 0), true);
    d.setUint16(14, next, true);
  }

  /** Makes a chain available (without notifying); `indirect` puts it in an indirect table. Returns the head. */
  submit(q: DriverQueue, bufs: Buf[], opts: { indirect?: boolean } = {}): number {
    const head = q.nextDesc % q.size;
    if (opts.indirect) {
      const table = this.g.alloc(16 * bufs.length, 16);
      bufs.forEach((b, i) => this.writeDesc(table, i, b, i + 1 < bufs.length ? VIRTQ_DESC_F_NEXT : 0, i + 1));
      this.writeDesc(q.desc, head, { addr: table, len: 16 * bufs.length }, VIRTQ_DESC_F_INDIRECT, 0);
      q.nextDesc++;
    } else {
      bufs.forEach((b, i) => {
        const at = (q.nextDesc + i) % q.size;
        this.writeDesc(q.desc, at, b, i + 1 < bufs.length ? VIRTQ_DESC_F_NEXT : 0, (at + 1) % q.size);
      });
      q.nextDesc += bufs.length;
    }
    this.publish(q, head);
    return head;
  }

  /** Puts a head in the available ring and moves the index. */
  publish(q: DriverQueue, head: number): void {
    const a = this.g.view(q.avail, 6 + 2 * q.size);
    a.setUint16(4 + 2 * (q.availIdx % q.size), head, true);
    q.availIdx = (q.availIdx + 1) & 0xffff;
    a.setUint16(2, q.availIdx, true);
  }

  kick(q: DriverQueue): void {
    this.w(Reg.QueueNotify, q.index);
  }

  /** New used entries since the last call. */
  takeUsed(q: DriverQueue): { id: number; len: number }[] {
    const u = this.g.view(q.used, 6 + 8 * q.size);
    const idx = u.getUint16(2, true);
    const out: { id: number; len: number }[] = [];
    while (q.lastUsed !== idx) {
      const at = 4 + 8 * (q.lastUsed % q.size);
      out.push({ id: u.getUint32(at, true), len: u.getUint32(at + 4, true) });
      q.lastUsed = (q.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /** The interrupt handler's part: read InterruptStatus, acknowledge it, return it. */
  ack(): number {
    const s = this.r(Reg.InterruptStatus);
    this.w(Reg.InterruptAck, s);
    return s;
  }

  /** The avail ring's flags (VIRTQ_AVAIL_F_NO_INTERRUPT) and used_event field. */
  setAvailFlags(q: DriverQueue, flags: number): void {
    this.g.view(q.avail, 2).setUint16(0, flags, true);
  }

  setUsedEvent(q: DriverQueue, v: number): void {
    this.g.view(q.avail + BigInt(4 + 2 * q.size), 2).setUint16(0, v, true);
  }

  availEvent(q: DriverQueue): number {
    return this.g.view(q.used + BigInt(4 + 8 * q.size), 2).getUint16(0, true);
  }
}

/** A transport over a fake guest with a full driver handshake done and queue 0 running. */
export function started<D extends ConstructorParameters<typeof VirtioMmio>[0]>(device: D, g = new FakeGuest(), log?: (m: string) => void) {
  const t = new VirtioMmio(device, g.mem, g.irq, { log });
  const d = new FakeDriver(t, g);
  assert.ok(d.negotiate());
  const q = d.setupQueue(0);
  d.driverOk();
  return { t, d, q, g };
}
