// The virt board's virtio wiring: disks then the RNG in virtio-mmio slots 0, 1, ... at
// 0x0A000000 + n*0x200 on SPI 16+n, device tree nodes, requests through guest RAM, close and reset.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DiskError, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_T_IN } from "../../src/devices/virtio/blk.ts";
import { Reg, VIRTIO_MMIO_MAGIC } from "../../src/devices/virtio/mmio.ts";
import { VirtBoard } from "../../src/machine/board.ts";
import { VIRT } from "../../src/machine/virt.ts";
import { FakeDriver, FakeGuest } from "./virtio-driver.ts";
import { nodeHost } from "../../src/host/node/index.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-virtio-board-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function board(extra: Partial<ConstructorParameters<typeof VirtBoard>[0]>): VirtBoard {
  return new VirtBoard({ host: nodeHost(), cpus: 1, ramSize: 8 << 20, psciConduit: "hvc", output: () => {}, ...extra });
}

/** GICD_ISPENDR1: pending bits of INTIDs 32..63. */
function pendingSpis(b: VirtBoard): bigint {
  return b.vm.gic.mmio(VIRT.gicdBase + 0x204n, 4, false, 0n) as bigint;
}

test("disks then the RNG in slots 0, 1, 2: MMIO windows, device IDs, device tree nodes in address order", () => {
  const a = join(dir, "a.img");
  const c = join(dir, "c.img");
  writeFileSync(a, new Uint8Array(4096).fill(0xa1));
  writeFileSync(c, new Uint8Array(1024).fill(0xc1));
  const b = board({ disks: [{ path: a }, { path: c, readOnly: true }], rng: true });
  after(() => b.close());
  const reg = (slot: number, r: number) => b.bus.read(VIRT.virtioBase + BigInt(slot) * VIRT.virtioStride + BigInt(r), 4);
  assert.deepEqual(
    [0, 1, 2].map((n) => [reg(n, Reg.MagicValue), reg(n, Reg.DeviceId)]),
    [
      [BigInt(VIRTIO_MMIO_MAGIC), 2n],
      [BigInt(VIRTIO_MMIO_MAGIC), 2n],
      [BigInt(VIRTIO_MMIO_MAGIC), 4n],
    ],
  );
  assert.equal(reg(3, Reg.MagicValue), 0n, "slot 3 is empty");
  assert.deepEqual(
    b.disks.map((d) => [d.path, d.readOnly, d.sectors]),
    [
      [a, false, 8n],
      [c, true, 2n],
    ],
  );
  b.load(Uint8Array.of(0, 0, 0, 0x14));
  b.boot();
  const dtb = Buffer.from(b.vm.core.readPhys(b.vcpus[0].x(0), 0x2000)).toString("latin1");
  const at = [0, 1, 2].map((n) => dtb.indexOf(`virtio_mmio@${(0x0a00_0000 + n * 0x200).toString(16)}\0`));
  assert.ok(
    at.every((i) => i > 0),
    "a node per slot",
  );
  assert.ok(at[0] < at[1] && at[1] < at[2], "lowest address first");
  assert.ok(!dtb.includes("virtio_mmio@a000600"));
  assert.ok(dtb.includes("virtio,mmio"));
});

test("a request through guest RAM: the data lands in RAM and SPI 16+slot goes pending", () => {
  const path = join(dir, "d.img");
  writeFileSync(
    path,
    new Uint8Array(2048).map((_, i) => i >> 9),
  );
  const b = board({ disks: [{ path }] });
  after(() => b.close());
  b.load(Uint8Array.of(0, 0, 0, 0x14));
  // Make SPI 16 edge-triggered as the device tree says and Linux programs it (GICD_ICFGR3).
  b.vm.gic.mmio(VIRT.gicdBase + 0xc0cn, 4, true, 0b10n);
  const g = new FakeGuest(b.vm.core.ram);
  const d = new FakeDriver(b.virtio[0], g);
  assert.ok(d.negotiate());
  const q = d.setupQueue(0);
  d.driverOk();
  const hdr = g.alloc(16);
  g.view(hdr, 16).setUint32(0, VIRTIO_BLK_T_IN, true);
  g.view(hdr, 16).setBigUint64(8, 3n, true);
  const data = g.alloc(512);
  const status = g.alloc(1);
  g.put(status, Uint8Array.of(0xff));
  d.submit(q, [
    { addr: hdr, len: 16 },
    { addr: data, len: 512, write: true },
    { addr: status, len: 1, write: true },
  ]);
  assert.equal((pendingSpis(b) >> 16n) & 1n, 0n);
  d.kick(q);
  assert.equal(g.bytes(status, 1)[0], VIRTIO_BLK_S_OK);
  assert.ok(g.bytes(data, 512).every((x) => x === 3));
  assert.equal((pendingSpis(b) >> 16n) & 1n, 1n, "INTID 48 pending");
  d.ack();

  // A system reset resets the transport; close() closes the image (requests then fail cleanly).
  b.reset();
  assert.equal(d.status, 0);
  assert.equal(d.r(Reg.QueueReady), 0);
  b.close();
  assert.ok(d.negotiate());
  const q2 = d.setupQueue(0);
  d.driverOk();
  g.put(status, Uint8Array.of(0xff));
  d.submit(q2, [
    { addr: hdr, len: 16 },
    { addr: data, len: 512, write: true },
    { addr: status, len: 1, write: true },
  ]);
  d.kick(q2);
  assert.equal(g.bytes(status, 1)[0], VIRTIO_BLK_S_IOERR);
});

test("a disk that cannot be opened fails the board with a DiskError naming it", () => {
  const ok = join(dir, "ok.img");
  writeFileSync(ok, new Uint8Array(512));
  const missing = join(dir, "missing.img");
  assert.throws(
    () => board({ disks: [{ path: ok }, { path: missing }] }),
    (e: unknown) => e instanceof DiskError && e.message.includes(missing),
  );
  assert.throws(
    () => board({ disks: Array.from({ length: 32 }, () => ({ path: ok, readOnly: true })), rng: true }),
    /at most 32 virtio devices/,
  );
});

test("saveDevices/restoreDevices carry the virtio transports: a new board over the same RAM and image carries on", () => {
  const path = join(dir, "s.img");
  writeFileSync(
    path,
    new Uint8Array(4096).map((_, i) => i >> 9),
  );
  const config = { disks: [{ path }], rng: true };
  const a = board(config);
  after(() => a.close());
  a.load(Uint8Array.of(0, 0, 0, 0x14));
  const g = new FakeGuest(a.vm.core.ram);
  const d = new FakeDriver(a.virtio[0], g);
  assert.ok(d.negotiate());
  const q = d.setupQueue(0);
  d.driverOk();
  const read = (driver: FakeDriver, sector: bigint) => {
    const { g } = driver;
    const hdr = g.alloc(16);
    g.view(hdr, 16).setBigUint64(8, sector, true);
    const data = g.alloc(512);
    const status = g.alloc(1);
    driver.submit(q, [
      { addr: hdr, len: 16 },
      { addr: data, len: 512, write: true },
      { addr: status, len: 1, write: true },
    ]);
    driver.kick(q);
    assert.equal(g.bytes(status, 1)[0], VIRTIO_BLK_S_OK);
    return g.bytes(data, 1)[0];
  };
  assert.equal(read(d, 1n), 1);
  const saved = structuredClone(a.saveDevices());
  assert.equal(saved.virtio.length, 2);
  assert.equal(saved.virtio[0].queues[0].lastAvail, 1);
  a.close();

  const b = board(config);
  after(() => b.close());
  b.vm.core.ram.set(a.vm.core.ram);
  b.restoreDevices(saved);
  const d2 = new FakeDriver(b.virtio[0], g.over(b.vm.core.ram));
  assert.equal(d2.r(Reg.Status), 0xf, "ACKNOWLEDGE, DRIVER, FEATURES_OK and DRIVER_OK came back");
  assert.equal(read(d2, 5n), 5, "the ring carried on");
  assert.equal(b.virtio[0].queues[0].usedIdx, 2);
  assert.deepEqual(
    d2.takeUsed(q).map((u) => u.id),
    [0, 1].map((i) => i * 3),
    "both requests' heads, in order",
  );
  b.close();
  assert.throws(() => board({ disks: [{ path }] }).restoreDevices(saved), /devices.virtio: 2 virtio devices, the board has 1/);
});
