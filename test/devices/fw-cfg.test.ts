// fw_cfg as the virt board maps it: the selector and DMA registers are big-endian, data reads
// give an item's bytes in order; DMA with select, read, skip and its error cases, as EDK2's
// QemuFwCfgLib uses them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FwCfg, FwCfgKey } from "../../src/devices/fw-cfg.ts";
import { ramMemory } from "../../src/devices/virtio/queue.ts";

const BASE = 0x4000_0000n;

function device(files?: Record<string, Uint8Array>) {
  const ram = new Uint8Array(1 << 20);
  const written: [bigint, number][] = [];
  const mem = ramMemory(
    BASE,
    () => ram,
    (gpa, len) => written.push([gpa, len]),
  );
  const kernel = new Uint8Array(5000).map((_, i) => i & 0xff);
  const f = new FwCfg(mem, { cpus: 3, kernel, cmdline: "console=ttyAMA0", files });
  return { f, ram, written, kernel };
}

/** What EDK2's QemuFwCfgSelectItem does: a 16-bit write of the byte-swapped key. */
const select = (f: FwCfg, key: number) => f.write(8, 2, BigInt(((key & 0xff) << 8) | (key >> 8)));
const bswap32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

test("data reads: the signature, features (DMA), CPUs and the command line, bytes in order", () => {
  const { f } = device();
  select(f, FwCfgKey.SIGNATURE);
  assert.equal(Number(f.read(0, 4)), 0x554d4551); // "QEMU" in memory order
  select(f, FwCfgKey.ID);
  assert.equal(Number(f.read(0, 4)), 3);
  select(f, FwCfgKey.NB_CPUS);
  assert.equal(Number(f.read(0, 2)), 3);
  select(f, FwCfgKey.CMDLINE_SIZE);
  assert.equal(Number(f.read(0, 4)), 16);
  select(f, FwCfgKey.CMDLINE_DATA);
  const bytes: number[] = [];
  for (let i = 0; i < 2; i++) {
    const v = f.read(0, 8);
    for (let b = 0; b < 8; b++) bytes.push(Number((v >> BigInt(8 * b)) & 0xffn));
  }
  assert.equal(Buffer.from(bytes).toString("latin1"), "console=ttyAMA0\0");
  assert.equal(f.read(0, 8), 0n, "past the end: zeros");
  select(f, 0x1234);
  assert.equal(f.read(0, 4), 0n, "no such item");
  assert.equal(Buffer.from(new BigUint64Array([f.read(16, 8)]).buffer).toString("latin1"), "QEMU CFG");
});

test("DMA: select and read the kernel into RAM, control word cleared; the high/low address halves", () => {
  const { f, ram, kernel } = device();
  const access = 0x1000;
  const dv = new DataView(ram.buffer);
  dv.setUint32(access, (FwCfgKey.KERNEL_DATA << 16) | 0x08 | 0x02); // select | read
  dv.setUint32(access + 4, 6000);
  dv.setBigUint64(access + 8, BASE + 0x10000n);
  const addr = BASE + BigInt(access);
  // One 64-bit big-endian write (a little-endian CPU stores the byte-swapped address).
  const be = Buffer.alloc(8);
  be.writeBigUInt64BE(addr);
  f.write(16, 8, be.readBigUInt64LE());
  assert.equal(dv.getUint32(access), 0, "done, no error");
  assert.deepEqual(ram.subarray(0x10000, 0x10000 + 5000), kernel);
  assert.ok(
    ram.subarray(0x10000 + 5000, 0x10000 + 6000).every((b) => b === 0),
    "past the item: zeros",
  );
  // Skip 10 bytes of the same item, then read 4 with the two 32-bit halves.
  dv.setUint32(access, 0x08 | 0x04 | (FwCfgKey.KERNEL_DATA << 16));
  dv.setUint32(access + 4, 10);
  f.write(16, 4, BigInt(bswap32(Number(addr >> 32n))));
  f.write(20, 4, BigInt(bswap32(Number(addr & 0xffff_ffffn))));
  dv.setUint32(access, 0x02);
  dv.setUint32(access + 4, 4);
  dv.setBigUint64(access + 8, BASE + 0x20000n);
  f.write(16, 4, 0n);
  f.write(20, 4, BigInt(bswap32(Number(addr))));
  assert.equal(dv.getUint32(access), 0);
  assert.deepEqual([...ram.subarray(0x20000, 0x20004)], [10, 11, 12, 13]);
});

test("DMA errors: a write, a target outside RAM", () => {
  const { f, ram } = device();
  const dv = new DataView(ram.buffer);
  const go = (control: number, len: number, target: bigint) => {
    dv.setUint32(0, control);
    dv.setUint32(4, len);
    dv.setBigUint64(8, target);
    f.write(16, 4, 0n);
    f.write(20, 4, BigInt(bswap32(Number(BASE))));
    return dv.getUint32(0);
  };
  assert.equal(go(0x08 | 0x10 | (FwCfgKey.SIGNATURE << 16), 4, BASE + 0x100n) & 1, 1, "no item is writable");
  assert.equal(go(0x08 | 0x02 | (FwCfgKey.SIGNATURE << 16), 4, 0x1000n) & 1, 1, "not RAM");
  assert.equal(go(0x08 | 0x02 | (FwCfgKey.SIGNATURE << 16), 4, BASE + 0x100n), 0);
  // An access block outside RAM: nothing happens (there is nowhere to report to).
  f.write(16, 8, 0n);
});

test("the file directory lists named files, each readable by its key", () => {
  const { f } = device({ "etc/b": new Uint8Array([2, 2]), "etc/a": new Uint8Array([1]) });
  select(f, FwCfgKey.FILE_DIR);
  const dir: number[] = [];
  for (let i = 0; i < 4 + 2 * 64; i++) dir.push(Number(f.read(0, 1)));
  const b = Buffer.from(dir);
  assert.equal(b.readUInt32BE(0), 2);
  assert.equal(b.readUInt32BE(4), 1);
  assert.equal(b.toString("latin1", 12, 17), "etc/a");
  const keyB = b.readUInt16BE(4 + 64 + 4);
  assert.equal(b.toString("latin1", 76, 81), "etc/b");
  select(f, keyB);
  assert.equal(Number(f.read(0, 2)), 0x0202);
});

test("state round-trips; a bad state is a clear error", () => {
  const { f } = device();
  select(f, FwCfgKey.CMDLINE_DATA);
  f.read(0, 4);
  const s = f.save();
  const other = device().f;
  other.restore(JSON.parse(JSON.stringify(s)));
  assert.equal(Buffer.from(new Uint32Array([Number(other.read(0, 4))]).buffer).toString("latin1"), "ole=", "it goes on where it was");
  assert.throws(() => other.restore({ ...s, key: -1 }), /devices\.fwCfg\.key: /);
  assert.throws(() => other.restore({ ...s, version: 2 }), /devices\.fwCfg\.version: must be 1/);
});

test("setKernel replaces the kernel items or removes them; the command line's size counts its UTF-8 bytes and NUL", () => {
  const { f } = device();
  f.setKernel({ cmdline: "é" });
  select(f, FwCfgKey.KERNEL_SIZE);
  assert.equal(f.read(0, 4), 0n, "no kernel");
  select(f, FwCfgKey.CMDLINE_SIZE);
  assert.equal(Number(f.read(0, 4)), 3);
  f.setKernel({});
  select(f, FwCfgKey.CMDLINE_SIZE);
  assert.equal(f.read(0, 4), 0n);
});
