// virtio-mmio v2 transport and split virtqueues, driven as Linux's virtio_mmio driver does.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DORMOUSE_VENDOR_ID,
  INT_CONFIG_CHANGE,
  INT_USED_BUFFER,
  Reg,
  STATUS_DEVICE_NEEDS_RESET,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_MAGIC,
  type VirtioDevice,
  VirtioMmio,
} from "../../src/devices/virtio/mmio.ts";
import {
  type DescriptorChain,
  gather,
  scatter,
  totalLength,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_DESC_F_NEXT,
} from "../../src/devices/virtio/queue.ts";
import { FakeDriver, FakeGuest, RAM_BASE, started } from "./virtio-driver.ts";

/** A device that records each request's readable bytes and answers with its sequence number in every writable byte. */
class EchoDevice implements VirtioDevice {
  readonly deviceId = 0x7f;
  readonly features = 1n << 3n;
  readonly queueSizes = [8, 4];
  readonly seen: { queue: number; data: number[]; writable: number }[] = [];
  resets = 0;
  configBytes = Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88);

  config(): Uint8Array {
    return this.configBytes;
  }

  process(queue: number, chain: DescriptorChain): number {
    const writable = totalLength(chain.writable);
    this.seen.push({ queue, data: [...gather(chain.readable, 0, totalLength(chain.readable))], writable });
    return scatter(chain.writable, 0, new Uint8Array(writable).fill(this.seen.length));
  }

  reset(): void {
    this.resets++;
  }

  save() {
    return { version: 1 as const, seen: this.seen.length };
  }

  restore(s: { version: 1; seen: number }): void {
    this.seen.length = 0;
    for (let i = 0; i < s.seen; i++) this.seen.push({ queue: -1, data: [], writable: 0 });
  }
}

test("identification registers: magic, version 2, device and vendor IDs, queue sizes, no shared memory", () => {
  const g = new FakeGuest();
  const t = new VirtioMmio(new EchoDevice(), g.mem, g.irq);
  const d = new FakeDriver(t, g);
  assert.equal(d.r(Reg.MagicValue), VIRTIO_MMIO_MAGIC);
  assert.equal(d.r(Reg.Version), 2);
  assert.equal(d.r(Reg.DeviceId), 0x7f);
  assert.equal(d.r(Reg.VendorId), DORMOUSE_VENDOR_ID);
  assert.equal(Buffer.from(new Uint32Array([DORMOUSE_VENDOR_ID]).buffer).toString("latin1"), "DMSE");
  d.w(Reg.QueueSel, 1);
  assert.equal(d.r(Reg.QueueNumMax), 4);
  d.w(Reg.QueueSel, 2);
  assert.equal(d.r(Reg.QueueNumMax), 0, "no queue 2");
  assert.equal(d.r(Reg.ShmLenLow), 0xffff_ffff);
  assert.equal(d.r(Reg.ShmLenHigh), 0xffff_ffff);
  assert.equal(d.deviceFeatures(), VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX | (1n << 3n));
  d.w(Reg.DeviceFeaturesSel, 2);
  assert.equal(d.r(Reg.DeviceFeatures), 0);
  assert.equal(t.read(Reg.MagicValue, 2), 0n, "control registers are 32-bit only");
});

test("configuration space at 0x100 in any access size; ConfigGeneration moves on a change", () => {
  const g = new FakeGuest();
  const dev = new EchoDevice();
  const t = new VirtioMmio(dev, g.mem, g.irq);
  assert.equal(t.read(0x100, 1), 0x11n);
  assert.equal(t.read(0x102, 2), 0x4433n);
  assert.equal(t.read(0x104, 4), 0x88776655n);
  assert.equal(t.read(0x100, 8), 0x8877665544332211n);
  assert.equal(t.read(0x106, 4), 0x8877n, "past the end reads zero");
  const gen = t.read(Reg.ConfigGeneration, 4);
  dev.configBytes = Uint8Array.of(1);
  t.configChanged();
  assert.equal(t.read(Reg.ConfigGeneration, 4), gen + 1n);
  assert.equal(t.read(0x100, 1), 1n);
});

test("FEATURES_OK only with VIRTIO_F_VERSION_1 and only offered features", () => {
  const g = new FakeGuest();
  const t = new VirtioMmio(new EchoDevice(), g.mem, g.irq);
  const d = new FakeDriver(t, g);
  assert.equal(
    d.negotiate((f) => f & ~VIRTIO_F_VERSION_1),
    false,
    "a legacy driver is refused",
  );
  assert.equal(d.status & STATUS_FEATURES_OK, 0);
  assert.equal(
    d.negotiate((f) => f | (1n << 40n)),
    false,
    "a feature that was not offered is refused",
  );
  assert.equal(
    d.negotiate((f) => f & (VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC)),
    true,
  );
  assert.equal(t.negotiatedFeatures, VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC);
  // Features are frozen once FEATURES_OK is set.
  d.w(Reg.DriverFeaturesSel, 0);
  d.w(Reg.DriverFeatures, 0);
  assert.equal(t.negotiatedFeatures, VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC);
});

test("a request travels: readable bytes in, writable bytes out, used entry, interrupt raised and acknowledged", () => {
  const { d, q, g, t } = started(new EchoDevice());
  const dev = t.device as EchoDevice;
  const a = g.alloc(3);
  g.put(a, Uint8Array.of(7, 8, 9));
  const b = g.alloc(2);
  const c = g.alloc(5);
  const head = d.submit(q, [
    { addr: a, len: 3 },
    { addr: b, len: 2, write: true },
    { addr: c, len: 5, write: true },
  ]);
  assert.equal(g.line, false);
  d.kick(q);
  assert.deepEqual(dev.seen, [{ queue: 0, data: [7, 8, 9], writable: 7 }]);
  assert.deepEqual(d.takeUsed(q), [{ id: head, len: 7 }]);
  assert.deepEqual([...g.bytes(b, 2), ...g.bytes(c, 5)], [1, 1, 1, 1, 1, 1, 1]);
  assert.equal(g.line, true, "InterruptStatus != 0 raises the line");
  assert.equal(d.r(Reg.InterruptStatus), INT_USED_BUFFER);
  d.ack();
  assert.equal(g.line, false, "acknowledged to 0 lowers it");
  // Device writes to guest memory are reported (the CPU drops code decoded from there).
  assert.ok(g.writes.some((w) => w.gpa === b && w.len === 2));
  assert.ok(g.writes.some((w) => w.gpa === c && w.len === 5));
});

test("several chains per notification, ring wrap-around of the 16-bit indices", () => {
  const { d, q, g, t } = started(new EchoDevice());
  const dev = t.device as EchoDevice;
  const buf = g.alloc(1);
  for (let round = 0; round < 30; round++) {
    d.submit(q, [{ addr: buf, len: 1, write: true }]);
    d.submit(q, [{ addr: buf, len: 1, write: true }]);
    d.kick(q);
    assert.equal(d.takeUsed(q).length, 2);
    d.ack();
  }
  assert.equal(dev.seen.length, 60);
  // Jump both sides' indices close to 2^16 and carry on across the wrap.
  const st = t.save();
  st.queues[0].lastAvail = st.queues[0].usedIdx = 0xfffe;
  t.restore(st);
  q.availIdx = q.lastUsed = 0xfffe;
  g.view(q.avail, 4).setUint16(2, 0xfffe, true);
  g.view(q.used, 4).setUint16(2, 0xfffe, true);
  for (let i = 0; i < 4; i++) d.submit(q, [{ addr: buf, len: 1, write: true }]);
  d.kick(q);
  assert.equal(d.takeUsed(q).length, 4);
  assert.equal(q.lastUsed, 2);
  assert.equal(d.r(Reg.Status) & STATUS_DEVICE_NEEDS_RESET, 0);
});

test("indirect descriptors, and a request header split across descriptors", () => {
  const { d, q, g, t } = started(new EchoDevice());
  const dev = t.device as EchoDevice;
  const parts = [g.alloc(1), g.alloc(2), g.alloc(4)];
  parts.forEach((p, i) => g.put(p, new Uint8Array(i + 1 + (i === 2 ? 1 : 0)).fill(i + 1)));
  const out = g.alloc(16);
  const head = d.submit(
    q,
    [
      { addr: parts[0], len: 1 },
      { addr: parts[1], len: 2 },
      { addr: parts[2], len: 4 },
      { addr: out, len: 16, write: true },
    ],
    { indirect: true },
  );
  d.kick(q);
  assert.deepEqual(dev.seen[0].data, [1, 2, 2, 3, 3, 3, 3]);
  assert.deepEqual(d.takeUsed(q), [{ id: head, len: 16 }]);
  assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, 0);
});

test("VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the interrupt without EVENT_IDX", () => {
  const g = new FakeGuest();
  const t = new VirtioMmio(new EchoDevice(), g.mem, g.irq);
  const d = new FakeDriver(t, g);
  assert.ok(d.negotiate((f) => f & ~VIRTIO_F_EVENT_IDX));
  const q = d.setupQueue(0);
  d.driverOk();
  const buf = g.alloc(4);
  d.setAvailFlags(q, VIRTQ_AVAIL_F_NO_INTERRUPT);
  d.submit(q, [{ addr: buf, len: 4, write: true }]);
  d.kick(q);
  assert.equal(d.takeUsed(q).length, 1, "used anyway");
  assert.equal(g.line, false);
  assert.equal(d.r(Reg.InterruptStatus), 0);
  d.setAvailFlags(q, 0);
  d.submit(q, [{ addr: buf, len: 4, write: true }]);
  d.kick(q);
  assert.equal(g.line, true);
});

test("EVENT_IDX: interrupts only when the used index passes used_event; avail_event asks for the next notification", () => {
  const { d, q, g } = started(new EchoDevice());
  const buf = g.alloc(4);
  const one = () => {
    d.submit(q, [{ addr: buf, len: 4, write: true }]);
    d.kick(q);
    d.takeUsed(q);
  };
  // used_event = 2: interrupt when entry 2 is used (the third one).
  d.setUsedEvent(q, 2);
  one();
  assert.equal(g.line, false, "entry 0");
  assert.equal(d.availEvent(q), 1, "notify me when entry 1 is available");
  one();
  assert.equal(g.line, false, "entry 1");
  one();
  assert.equal(g.line, true, "entry 2 passes used_event");
  d.ack();
  // A batch that jumps over used_event still interrupts.
  d.setUsedEvent(q, 4);
  d.submit(q, [{ addr: buf, len: 4, write: true }]);
  d.submit(q, [{ addr: buf, len: 4, write: true }]);
  d.submit(q, [{ addr: buf, len: 4, write: true }]);
  d.kick(q);
  assert.equal(d.takeUsed(q).length, 3);
  assert.equal(g.line, true, "entries 3..5 cross 4");
  assert.equal(d.availEvent(q), 6);
  // The driver's own check (vring_need_event) with that avail_event says: notify for entry 6.
  const need = (event: number, nw: number, old: number) => ((nw - event - 1) & 0xffff) < ((nw - old) & 0xffff);
  assert.ok(need(d.availEvent(q), 7, 6));
  assert.ok(!need(d.availEvent(q) + 1, 7, 6));
});

test("buffers made available before DRIVER_OK are served when DRIVER_OK is set, not before", () => {
  const g = new FakeGuest();
  const dev = new EchoDevice();
  const t = new VirtioMmio(dev, g.mem, g.irq);
  const d = new FakeDriver(t, g);
  assert.ok(d.negotiate());
  const q = d.setupQueue(0);
  d.submit(q, [{ addr: g.alloc(4), len: 4, write: true }]);
  d.kick(q);
  assert.equal(dev.seen.length, 0);
  d.driverOk();
  assert.equal(dev.seen.length, 1);
  assert.equal(d.takeUsed(q).length, 1);
});

/** Each case breaks the protocol one way; the device must end in DEVICE_NEEDS_RESET with a config interrupt. */
const broken: [string, RegExp, (d: FakeDriver, g: FakeGuest, q: ReturnType<typeof started>["q"]) => void][] = [
  ["a head outside the table", /head 11 is outside the table of 8/, (d, _g, q) => d.publish(q, q.size + 3)],
  [
    "a chain that loops",
    /loops/,
    (d, g, q) => {
      const b = { addr: g.alloc(4), len: 4, write: true };
      d.writeDesc(q.desc, 0, b, VIRTQ_DESC_F_NEXT, 1);
      d.writeDesc(q.desc, 1, b, VIRTQ_DESC_F_NEXT, 0);
      d.publish(q, 0);
    },
  ],
  [
    "a next index outside the table",
    /descriptor 999 is outside/,
    (d, g, q) => {
      d.writeDesc(q.desc, 0, { addr: g.alloc(4), len: 4, write: true }, VIRTQ_DESC_F_NEXT, 999);
      d.publish(q, 0);
    },
  ],
  [
    "a buffer outside RAM",
    /buffer at 0x9000000 \(16 bytes\) is not in RAM/,
    (d, _g, q) => d.submit(q, [{ addr: 0x0900_0000n, len: 16, write: true }]),
  ],
  [
    "a buffer running off the end of RAM",
    /buffer at 0x403ffff8 .* not in RAM/,
    (d, g, q) => d.submit(q, [{ addr: RAM_BASE + BigInt(g.ram.length) - 8n, len: 16, write: true }]),
  ],
  [
    "a buffer at an address that wraps 64 bits",
    /buffer at 0xfffffffffffffff0 .* not in RAM/,
    (d, _g, q) => d.submit(q, [{ addr: 0xffff_ffff_ffff_fff0n, len: 0x20, write: true }]),
  ],
  [
    "a readable buffer after a writable one",
    /readable buffer after a device-writable/,
    (d, g, q) =>
      d.submit(q, [
        { addr: g.alloc(4), len: 4, write: true },
        { addr: g.alloc(4), len: 4 },
      ]),
  ],
  [
    "an available index that jumps by more than the queue size",
    /moved the available index from 0 to 13/,
    (d, g, q) => {
      d.submit(q, [{ addr: g.alloc(4), len: 4, write: true }]);
      g.view(q.avail, 4).setUint16(2, q.size + 5, true);
    },
  ],
  [
    "an indirect table of a bad length",
    /indirect table of 20 bytes/,
    (d, g, q) => {
      d.writeDesc(q.desc, 0, { addr: g.alloc(32), len: 20 }, 4, 0);
      d.publish(q, 0);
    },
  ],
  [
    "an indirect table outside RAM",
    /indirect table at 0x1000 .* not in RAM/,
    (d, _g, q) => {
      d.writeDesc(q.desc, 0, { addr: 0x1000n, len: 32 }, 4, 0);
      d.publish(q, 0);
    },
  ],
  [
    "an indirect descriptor inside an indirect table",
    /inside an indirect table/,
    (d, g, q) => {
      const table = g.alloc(32);
      d.writeDesc(table, 0, { addr: g.alloc(32), len: 32 }, 4, 0);
      d.writeDesc(q.desc, 0, { addr: table, len: 16 }, 4, 0);
      d.publish(q, 0);
    },
  ],
  [
    "an indirect descriptor with NEXT",
    /with VIRTQ_DESC_F_NEXT/,
    (d, g, q) => {
      const table = g.alloc(16);
      d.writeDesc(table, 0, { addr: g.alloc(4), len: 4, write: true }, 0, 0);
      d.writeDesc(q.desc, 0, { addr: table, len: 16 }, 4 | VIRTQ_DESC_F_NEXT, 1);
      d.publish(q, 0);
    },
  ],
  [
    "a loop inside an indirect table",
    /loops/,
    (d, g, q) => {
      const table = g.alloc(32);
      const b = { addr: g.alloc(4), len: 4, write: true };
      d.writeDesc(table, 0, b, VIRTQ_DESC_F_NEXT, 1);
      d.writeDesc(table, 1, b, VIRTQ_DESC_F_NEXT, 0);
      d.writeDesc(q.desc, 0, { addr: table, len: 32 }, 4, 0);
      d.publish(q, 0);
    },
  ],
];

for (const [name, why, breakIt] of broken) {
  test(`bad driver input (${name}) → DEVICE_NEEDS_RESET and a config interrupt; a reset recovers`, () => {
    const log: string[] = [];
    const { d, q, g, t } = started(new EchoDevice(), new FakeGuest(), (m) => log.push(m));
    const dev = t.device as EchoDevice;
    breakIt(d, g, q);
    d.kick(q);
    assert.equal(log.length, 1);
    assert.match(log[0], why);
    assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, STATUS_DEVICE_NEEDS_RESET);
    assert.equal(d.r(Reg.InterruptStatus) & INT_CONFIG_CHANGE, INT_CONFIG_CHANGE);
    assert.equal(g.line, true);
    assert.equal(dev.seen.length, 0, "nothing was served");
    d.w(Reg.Status, d.status | STATUS_DRIVER_OK);
    assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, STATUS_DEVICE_NEEDS_RESET, "the driver cannot clear it");
    // Until reset, notifications are ignored.
    d.kick(q);
    // A reset and a fresh setup bring it back.
    assert.ok(d.negotiate());
    assert.equal(g.line, false, "reset lowered the line");
    const q2 = d.setupQueue(0);
    d.driverOk();
    d.submit(q2, [{ addr: g.alloc(4), len: 4, write: true }]);
    d.kick(q2);
    assert.equal(d.takeUsed(q2).length, 1);
    assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, 0);
  });
}

test("an indirect descriptor without VIRTIO_F_INDIRECT_DESC negotiated is a driver error", () => {
  const g = new FakeGuest();
  const t = new VirtioMmio(new EchoDevice(), g.mem, g.irq);
  const d = new FakeDriver(t, g);
  assert.ok(d.negotiate((f) => f & ~VIRTIO_F_INDIRECT_DESC));
  const q = d.setupQueue(0);
  d.driverOk();
  d.submit(q, [{ addr: g.alloc(4), len: 4, write: true }], { indirect: true });
  d.kick(q);
  assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, STATUS_DEVICE_NEEDS_RESET);
});

test("rings outside RAM and bad queue sizes are driver errors, never host exceptions", () => {
  const g = new FakeGuest();
  const t = new VirtioMmio(new EchoDevice(), g.mem, g.irq);
  const d = new FakeDriver(t, g);
  assert.ok(d.negotiate());
  d.w(Reg.QueueSel, 0);
  d.w(Reg.QueueNum, 6);
  d.w(Reg.QueueReady, 1);
  assert.equal(d.r(Reg.QueueReady), 0, "a size that is not a power of 2 does not enable the queue");
  assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, STATUS_DEVICE_NEEDS_RESET);
  assert.ok(d.negotiate());
  d.w(Reg.QueueSel, 0);
  d.w(Reg.QueueNum, 8);
  d.w(Reg.QueueDescLow, 0x100);
  d.w(Reg.QueueReady, 1);
  d.driverOk();
  d.w(Reg.QueueNotify, 0);
  assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, STATUS_DEVICE_NEEDS_RESET);
  // Stray accesses: unknown offsets, odd sizes, queues that do not exist.
  t.write(0x0c4, 4, 1n);
  t.write(Reg.QueueNotify, 1, 0n);
  t.write(Reg.QueueNotify, 4, 7n);
  t.write(Reg.QueueNotify, 4, 0xffff_ffffn);
  d.w(Reg.QueueSel, 9);
  d.w(Reg.QueueReady, 1);
  d.w(Reg.QueueNum, 4);
  assert.equal(d.r(Reg.QueueReady), 0);
});

test("queue addresses cannot change while the queue is ready", () => {
  const { d, q } = started(new EchoDevice());
  d.w(Reg.QueueSel, 0);
  d.w(Reg.QueueDescLow, 0x1234);
  d.w(Reg.QueueNum, 2);
  assert.equal(q.desc, d.t.queues[0].desc);
  assert.equal(d.t.queues[0].size, q.size);
});

test("status 0 resets the device: queues, features, interrupt status; the line drops", () => {
  const { d, q, g, t } = started(new EchoDevice());
  const dev = t.device as EchoDevice;
  d.submit(q, [{ addr: g.alloc(4), len: 4, write: true }]);
  d.kick(q);
  assert.equal(g.line, true);
  d.w(Reg.Status, 0);
  assert.equal(d.status, 0);
  assert.equal(g.line, false);
  assert.equal(d.r(Reg.InterruptStatus), 0);
  assert.equal(d.r(Reg.QueueReady), 0);
  assert.equal(t.queues[0].lastAvail, 0);
  assert.equal(t.queues[0].size, 8, "QueueNum back to QueueNumMax");
  assert.equal(t.negotiatedFeatures, 0n);
  assert.equal(dev.resets, 2, "the handshake's reset and this one");
  // Notifications after a reset do nothing (the queue is not ready).
  d.kick(q);
  assert.equal(dev.seen.length, 1);
});

test("queue 1 is independent of queue 0", () => {
  const { d, g, t } = started(new EchoDevice());
  const dev = t.device as EchoDevice;
  const q1 = d.setupQueue(1);
  d.submit(q1, [{ addr: g.alloc(4), len: 4, write: true }]);
  d.kick(q1);
  assert.deepEqual(
    dev.seen.map((s) => s.queue),
    [1],
  );
  assert.equal(d.takeUsed(q1).length, 1);
});

test("save/restore mid-stream: a fresh transport over the same memory carries on", () => {
  const { d, q, g, t } = started(new EchoDevice());
  const buf = g.alloc(4);
  for (let i = 0; i < 5; i++) d.submit(q, [{ addr: buf, len: 4, write: true }]);
  d.kick(q);
  assert.equal(d.takeUsed(q).length, 5);
  // Two more made available while "suspended" (no notification yet), interrupt pending.
  d.submit(q, [{ addr: buf, len: 4, write: true }]);
  d.submit(q, [{ addr: buf, len: 4, write: true }]);
  const saved = structuredClone(t.save());
  assert.equal(saved.version, 1);
  assert.equal(saved.queues[0].lastAvail, 5);
  assert.equal(saved.interruptStatus, INT_USED_BUFFER);

  const levels: boolean[] = [];
  const dev2 = new EchoDevice();
  const t2 = new VirtioMmio(dev2, g.mem, { set: (l) => levels.push(l) });
  t2.restore(saved);
  assert.equal(levels.at(-1), true, "the pending interrupt is back on the line");
  assert.equal(dev2.seen.length, 5, "the device's own state came along");
  assert.deepEqual(t2.save(), saved);
  const d2 = new FakeDriver(t2, g);
  assert.equal(d2.status & STATUS_DRIVER_OK, STATUS_DRIVER_OK);
  d2.ack();
  assert.equal(levels.at(-1), false);
  d2.setUsedEvent(q, 5);
  d2.kick(q);
  assert.equal(levels.at(-1), true, "EVENT_IDX state carried over: entry 5 interrupts");
  d2.submit(q, [{ addr: buf, len: 4, write: true }]);
  d2.kick(q);
  assert.deepEqual(
    d2.takeUsed(q).map((u) => u.id),
    [5, 6, 7],
    "the heads after the five before the save",
  );
  assert.equal(dev2.seen.length, 8);
});

test("restore refuses another device's state or an unknown version", () => {
  const g = new FakeGuest();
  const t = new VirtioMmio(new EchoDevice(), g.mem, g.irq);
  const s = t.save();
  assert.throws(() => t.restore({ ...s, version: 2 as 1 }), /virtio.version: must be 1 \(is 2\)/);
  assert.throws(() => t.restore({ ...s, deviceId: 2 }), /device 2/);
});
