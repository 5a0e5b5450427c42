// virtio-blk over a raw image in a temporary directory, driven through the virtio-mmio transport.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { imageFiles } from "../../src/host/node/block.ts";
import {
  DiskError,
  VIRTIO_BLK_F_BLK_SIZE,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_F_SEG_MAX,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VirtioBlk,
} from "../../src/devices/virtio/blk.ts";
import { Reg, STATUS_DEVICE_NEEDS_RESET, VirtioMmio } from "../../src/devices/virtio/mmio.ts";
import { type Buf, type DriverQueue, FakeDriver, FakeGuest, started } from "./virtio-driver.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-blk-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let images = 0;

/** A fresh image of `sectors` sectors, sector i filled with byte i+1 (plus `tail` stray bytes). */
function image(sectors: number, tail = 0): string {
  const path = join(dir, `disk${images++}.img`);
  const b = new Uint8Array(sectors * 512 + tail);
  for (let i = 0; i < sectors; i++) b.fill(i + 1, i * 512, (i + 1) * 512);
  writeFileSync(path, b);
  return path;
}

/** A block request the way Linux's virtio_blk queues it: header, data, status byte. */
function request(
  d: FakeDriver,
  q: DriverQueue,
  type: number,
  sector: bigint,
  data: { len: number; write?: boolean; bytes?: Uint8Array; split?: boolean } | null,
  opts: { indirect?: boolean; splitHeader?: boolean } = {},
) {
  const g = d.g;
  const hdr = g.alloc(16);
  const h = g.view(hdr, 16);
  h.setUint32(0, type, true);
  h.setBigUint64(8, sector, true);
  const bufs: Buf[] = opts.splitHeader
    ? [
        { addr: hdr, len: 5 },
        { addr: hdr + 5n, len: 11 },
      ]
    : [{ addr: hdr, len: 16 }];
  let dataAddr = 0n;
  if (data) {
    dataAddr = g.alloc(data.len);
    if (data.bytes) g.put(dataAddr, data.bytes);
    if (data.split && data.len > 512) {
      bufs.push({ addr: dataAddr, len: 512, write: data.write }, { addr: dataAddr + 512n, len: data.len - 512, write: data.write });
    } else bufs.push({ addr: dataAddr, len: data.len, write: data.write });
  }
  const status = g.alloc(1);
  g.put(status, Uint8Array.of(0xee));
  bufs.push({ addr: status, len: 1, write: true });
  const head = d.submit(q, bufs, { indirect: opts.indirect });
  d.kick(q);
  const used = d.takeUsed(q);
  assert.equal(used.length, 1);
  assert.equal(used[0].id, head);
  return { status: g.bytes(status, 1)[0], len: used[0].len, data: data ? g.bytes(dataAddr, data.len) : new Uint8Array(0) };
}

function disk(path: string, readOnly = false, serial?: string) {
  const blk = new VirtioBlk({ path, readOnly, serial }, imageFiles);
  after(() => blk.close());
  return { blk, ...started(blk) };
}

test("device ID 2, capacity in 512-byte sectors, BLK_SIZE, SEG_MAX and FLUSH offered; RO only when read-only", () => {
  const { d, blk } = disk(image(8, 100));
  assert.equal(d.r(Reg.DeviceId), 2);
  assert.equal(blk.sectors, 8n, "a partial last sector is not part of the disk");
  assert.equal(d.t.read(0x100, 4) | (d.t.read(0x104, 4) << 32n), 8n, "capacity");
  assert.equal(d.t.read(0x114, 4), 512n, "blk_size");
  assert.equal(d.t.read(0x10c, 4), 254n, "seg_max");
  const f = d.deviceFeatures();
  assert.equal(
    f & (VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX),
    VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_SEG_MAX,
  );
  assert.equal(f & VIRTIO_BLK_F_RO, 0n);
  const ro = disk(image(1), true);
  assert.equal(ro.d.deviceFeatures() & VIRTIO_BLK_F_RO, VIRTIO_BLK_F_RO);
  assert.equal(ro.blk.readOnly, true);
});

test("reads: sectors land in the buffers, used length counts data and status", () => {
  const { d, q } = disk(image(8));
  const r = request(d, q, VIRTIO_BLK_T_IN, 2n, { len: 1024, write: true });
  assert.equal(r.status, VIRTIO_BLK_S_OK);
  assert.equal(r.len, 1025);
  assert.ok(r.data.subarray(0, 512).every((b) => b === 3));
  assert.ok(r.data.subarray(512).every((b) => b === 4));
  // The same through an indirect table, split data, split header.
  const r2 = request(d, q, VIRTIO_BLK_T_IN, 6n, { len: 1024, write: true, split: true }, { indirect: true, splitHeader: true });
  assert.equal(r2.status, VIRTIO_BLK_S_OK);
  assert.ok(r2.data.subarray(0, 512).every((b) => b === 7));
  assert.ok(r2.data.subarray(512).every((b) => b === 8));
});

test("writes reach the image; flush succeeds; a read sees the write", () => {
  const path = image(8);
  const { d, q } = disk(path);
  const data = new Uint8Array(1024).map((_, i) => (i * 7) & 0xff);
  const w = request(d, q, VIRTIO_BLK_T_OUT, 5n, { len: 1024, bytes: data, split: true }, { splitHeader: true });
  assert.equal(w.status, VIRTIO_BLK_S_OK);
  assert.equal(w.len, 1, "only the status byte was written");
  assert.equal(request(d, q, VIRTIO_BLK_T_FLUSH, 0n, null).status, VIRTIO_BLK_S_OK);
  const file = readFileSync(path);
  assert.deepEqual(file.subarray(5 * 512, 7 * 512), Buffer.from(data));
  assert.ok(
    file.subarray(4 * 512, 5 * 512).every((b) => b === 5),
    "neighbours untouched",
  );
  assert.ok(file.subarray(7 * 512).every((b) => b === 8));
  const r = request(d, q, VIRTIO_BLK_T_IN, 5n, { len: 1024, write: true });
  assert.deepEqual(r.data, data);
});

test("out-of-range and misaligned transfers fail with IOERR and touch nothing", () => {
  const path = image(4);
  const { d, q } = disk(path);
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 4n, { len: 512, write: true }).status, VIRTIO_BLK_S_IOERR);
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 3n, { len: 1024, write: true }).status, VIRTIO_BLK_S_IOERR, "runs past the end");
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 0xffff_ffff_ffff_ffffn, { len: 512, write: true }).status, VIRTIO_BLK_S_IOERR);
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 0n, { len: 100, write: true }).status, VIRTIO_BLK_S_IOERR, "not whole sectors");
  const r = request(d, q, VIRTIO_BLK_T_OUT, 3n, { len: 1024, bytes: new Uint8Array(1024).fill(0xaa) });
  assert.equal(r.status, VIRTIO_BLK_S_IOERR);
  assert.equal(r.len, 1);
  const file = readFileSync(path);
  assert.equal(file.length, 4 * 512, "the image did not grow");
  assert.ok(file.subarray(3 * 512).every((b) => b === 4));
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 3n, { len: 512, write: true }).status, VIRTIO_BLK_S_OK, "the last sector is fine");
});

test("a read-only disk rejects writes with IOERR and writes nothing; reads and flush work", () => {
  const path = image(4);
  const { d, q } = disk(path, true);
  const w = request(d, q, VIRTIO_BLK_T_OUT, 1n, { len: 512, bytes: new Uint8Array(512).fill(0x55) });
  assert.equal(w.status, VIRTIO_BLK_S_IOERR);
  assert.ok(
    readFileSync(path)
      .subarray(512, 1024)
      .every((b) => b === 2),
  );
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 1n, { len: 512, write: true }).status, VIRTIO_BLK_S_OK);
  assert.equal(request(d, q, VIRTIO_BLK_T_FLUSH, 0n, null).status, VIRTIO_BLK_S_OK);
});

test("GET_ID returns the serial, NUL-padded to 20 bytes; unknown request types are UNSUPP", () => {
  const { d, q } = disk(image(1), false, "dormouse-disk-0");
  const r = request(d, q, VIRTIO_BLK_T_GET_ID, 0n, { len: 20, write: true });
  assert.equal(r.status, VIRTIO_BLK_S_OK);
  assert.equal(r.len, 21);
  assert.equal(Buffer.from(r.data).toString("latin1"), "dormouse-disk-0\0\0\0\0\0");
  for (const type of [11 /* DISCARD */, 13 /* WRITE_ZEROES */, 2, 0xffff_ffff]) {
    assert.equal(request(d, q, type, 0n, { len: 512, write: true }).status, VIRTIO_BLK_S_UNSUPP, `type ${type}`);
  }
  assert.throws(() => new VirtioBlk({ path: image(1), serial: "x".repeat(21) }, imageFiles), DiskError);
});

test("a request without a header or without a status byte is a driver error (DEVICE_NEEDS_RESET)", () => {
  for (const bufs of [
    (a: bigint): Buf[] => [
      { addr: a, len: 8 },
      { addr: a + 8n, len: 1, write: true },
    ],
    (a: bigint): Buf[] => [{ addr: a, len: 16 }],
  ]) {
    const { d, q, g } = disk(image(1));
    d.submit(q, bufs(g.alloc(32)));
    d.kick(q);
    assert.equal(d.status & STATUS_DEVICE_NEEDS_RESET, STATUS_DEVICE_NEEDS_RESET);
    assert.equal(g.line, true);
  }
});

test("a closed disk fails requests with IOERR instead of throwing", () => {
  const { d, q, blk } = disk(image(2));
  blk.close();
  blk.close();
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 0n, { len: 512, write: true }).status, VIRTIO_BLK_S_IOERR);
  assert.equal(request(d, q, VIRTIO_BLK_T_FLUSH, 0n, null).status, VIRTIO_BLK_S_IOERR);
});

test("attaching: a missing file, a directory, or an unwritable file asked for writing → DiskError naming the path", () => {
  const missing = join(dir, "nope.img");
  assert.throws(
    () => new VirtioBlk({ path: missing }, imageFiles),
    (e: unknown) => e instanceof DiskError && e.message.includes(missing) && /no such file/.test(e.message),
  );
  assert.throws(
    () => new VirtioBlk({ path: dir, readOnly: true }, imageFiles),
    (e: unknown) => e instanceof DiskError && e.message.includes(dir) && /directory/.test(e.message),
  );
  assert.throws(
    () => new VirtioBlk({ path: dir }, imageFiles),
    (e: unknown) => e instanceof DiskError && e.message.includes(dir) && /directory/.test(e.message),
  );
  // Root may write any file it can chmod; a read-only sysfs attribute refuses even root.
  let unwritable = image(1);
  chmodSync(unwritable, 0o444);
  if (process.getuid?.() === 0) unwritable = "/sys/devices/system/cpu/online";
  if (!existsSync(unwritable)) return;
  assert.throws(
    () => new VirtioBlk({ path: unwritable }, imageFiles),
    (e: unknown) => e instanceof DiskError && e.message.includes(unwritable) && /for writing: permission denied/.test(e.message),
  );
  new VirtioBlk({ path: unwritable, readOnly: true }, imageFiles).close();
});

test("save/restore mid-stream: requests continue on a fresh transport over the same memory and image", () => {
  const path = image(8);
  const { d, q, g, t, blk } = disk(path);
  const first = new Uint8Array(512).fill(0x61);
  assert.equal(request(d, q, VIRTIO_BLK_T_OUT, 0n, { len: 512, bytes: first }).status, VIRTIO_BLK_S_OK);
  assert.equal(request(d, q, VIRTIO_BLK_T_IN, 1n, { len: 512, write: true }).status, VIRTIO_BLK_S_OK);
  const saved = structuredClone(t.save());
  assert.deepEqual(saved.device, { version: 1, path, readOnly: false, sectors: 8n });
  blk.close();

  const blk2 = new VirtioBlk({ path }, imageFiles);
  after(() => blk2.close());
  const t2 = new VirtioMmio(blk2, g.mem, g.irq);
  t2.restore(saved);
  const d2 = new FakeDriver(t2, g);
  d2.ack();
  const second = new Uint8Array(512).fill(0x62);
  assert.equal(request(d2, q, VIRTIO_BLK_T_OUT, 1n, { len: 512, bytes: second }).status, VIRTIO_BLK_S_OK);
  const r = request(d2, q, VIRTIO_BLK_T_IN, 0n, { len: 1024, write: true });
  assert.equal(r.status, VIRTIO_BLK_S_OK);
  assert.deepEqual(r.data, new Uint8Array([...first, ...second]));
  assert.equal(q.lastUsed, 4);
  blk2.close();

  // The image must be the one saved, with the same size.
  const other = new VirtioBlk({ path: image(8) }, imageFiles);
  after(() => other.close());
  assert.throws(
    () => new VirtioMmio(other, g.mem, g.irq).restore(saved),
    (e: unknown) => e instanceof DiskError && /snapshot's disk/.test(e.message),
  );
  writeFileSync(path, new Uint8Array(16 * 512));
  const grown = new VirtioBlk({ path }, imageFiles);
  after(() => grown.close());
  assert.throws(() => new VirtioMmio(grown, g.mem, g.irq).restore(saved), /has 16 sectors; it had 8/);
});

test("two disks in one guest: separate transports, rings and images", () => {
  const g = new FakeGuest();
  const a = started(new VirtioBlk({ path: image(2) }, imageFiles), g);
  const b = started(new VirtioBlk({ path: image(3) }, imageFiles), g);
  after(() => {
    (a.t.device as VirtioBlk).close();
    (b.t.device as VirtioBlk).close();
  });
  assert.ok(request(a.d, a.q, VIRTIO_BLK_T_IN, 1n, { len: 512, write: true }).data.every((x) => x === 2));
  assert.ok(request(b.d, b.q, VIRTIO_BLK_T_IN, 2n, { len: 512, write: true }).data.every((x) => x === 3));
});
