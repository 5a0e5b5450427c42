// The CFI01 flash bank as the virt board wires it (two 16-bit chips on a 32-bit bus): the
// commands EDK2's VirtNorFlashDxe sends, with the values QEMU's pflash_cfi01 answers; leaving
// and re-entering read-array mode (the board's ROM/MMIO switch); program and erase reaching the
// backing store; read-only banks; state round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PFLASH_SECTOR_SIZE, Pflash } from "../../src/devices/pflash.ts";

/** EDK2's SEND_NOR_COMMAND: the command for both chips (CREATE_DUAL_CMD) at word `word` of `base`. */
const cmd = (f: Pflash, base: number, word: number, c: number) => f.write(base + word * 4, 4, BigInt(((c << 16) | c) >>> 0));

function bank(opts: { size?: number; readOnly?: boolean; failWrites?: boolean } = {}) {
  const storage = new Uint8Array(opts.size ?? 4 * PFLASH_SECTOR_SIZE);
  const io: boolean[] = [];
  const written: [number, number][] = [];
  const f = new Pflash({
    storage,
    readOnly: opts.readOnly,
    setIo: (on) => io.push(on),
    written: (o, n) => {
      written.push([o, n]);
      return !opts.failWrites;
    },
  });
  return { f, storage, io, written };
}

test("CFI query: QRY, the Intel command set and the geometry of each 16-bit chip", () => {
  const { f, io } = bank({ size: 256 * PFLASH_SECTOR_SIZE });
  cmd(f, 0, 0x55, 0x98);
  assert.deepEqual(io, [true]);
  const q = (i: number) => Number(f.read(i * 4, 4));
  // Each chip answers its byte; both chips side by side.
  assert.deepEqual([q(0x10), q(0x11), q(0x12)], [0x00510051, 0x00520052, 0x00590059]);
  assert.equal(q(0x13), 0x00010001); // Intel/Sharp command set
  assert.equal(q(0x27), 25 | (25 << 16)); // 32 MiB per chip: a 64 MiB bank
  assert.equal(q(0x2a), 0x000b000b); // 2 KiB write buffer
  assert.equal(q(0x2d) & 0xff, 255); // 256 erase blocks...
  assert.equal(q(0x2f) | ((q(0x30) & 0xff) << 8), 0x200); // ...of 128 KiB per chip (256 KiB across the bank)
  assert.equal(q(0x100), 0);
  assert.equal(Number(f.read(0x10 * 4, 2)), 0x51);
  cmd(f, 0, 0, 0xff);
  assert.deepEqual(io, [true, false]);
  assert.ok(f.readArray);
});

test("read identifier: Intel (0x89), device 0x18, blocks unlocked; status reads with every chip's copy", () => {
  const { f } = bank();
  cmd(f, PFLASH_SECTOR_SIZE, 2, 0x90);
  assert.equal(Number(f.read(0, 4)), 0x00890089);
  assert.equal(Number(f.read(4, 4)), 0x00180018);
  assert.equal(Number(f.read(PFLASH_SECTOR_SIZE + 8, 4)), 0, "block lock status: unlocked");
  cmd(f, 0, 0, 0x70);
  assert.equal(Number(f.read(0, 4)), 0x00800080);
  assert.equal(Number(f.read(0, 2)), 0x80);
  assert.equal(f.read(0, 8), 0x0080008000800080n);
  cmd(f, 0, 0, 0x50); // clear status, back to read array
  assert.ok(f.readArray);
});

test("block erase and word program as NorFlashEraseSingleBlock and NorFlashWriteSingleWord send them", () => {
  const { f, storage, io, written } = bank();
  const at = 2 * PFLASH_SECTOR_SIZE;
  storage.fill(0x5a, at, at + PFLASH_SECTOR_SIZE);
  cmd(f, at, 0, 0x20);
  assert.equal(storage[at], 0x5a, "nothing is erased before the confirm");
  cmd(f, at, 0, 0xd0);
  assert.ok(storage.subarray(at, at + PFLASH_SECTOR_SIZE).every((b) => b === 0xff));
  assert.equal(storage[at - 1], 0, "the sector before is untouched");
  assert.deepEqual(written, [[at, PFLASH_SECTOR_SIZE]]);
  cmd(f, 0, 0, 0x70);
  assert.equal(Number(f.read(0, 4)) & 0xff, 0x80, "ready, no error");
  cmd(f, 0, 0, 0xff);
  cmd(f, at + 0x40, 0, 0x40);
  f.write(at + 0x40, 4, 0x12345678n);
  assert.deepEqual([...storage.subarray(at + 0x40, at + 0x44)], [0x78, 0x56, 0x34, 0x12]);
  assert.equal(Number(f.read(at + 0x40, 4)) & 0xff, 0x80, "after a program the bank reads status");
  cmd(f, 0, 0, 0xff);
  assert.equal(f.read(at + 0x40, 4), 0x12345678n);
  // An erase set up and not confirmed erases nothing.
  cmd(f, at, 0, 0x20);
  cmd(f, at, 0, 0xff);
  assert.equal(storage[at + 0x40], 0x78);
  assert.ok(f.readArray);
  assert.equal(io.at(-1), false);
});

test("write to buffer: the data is programmed at the confirm, not before, and an abort writes nothing", () => {
  const { f, storage, written } = bank();
  const words = [0x11111111, 0x22222222, 0x33333333, 0x44444444];
  const program = (at: number, confirm: number) => {
    cmd(f, at, 0, 0xe8);
    assert.equal(Number(f.read(at, 4)) & 0x80, 0x80, "the buffer is available");
    cmd(f, at, 0, words.length - 1);
    words.forEach((w, i) => f.write(at + 4 * i, 4, BigInt(w)));
    assert.equal(storage[at], 0, "nothing programmed before the confirm");
    cmd(f, 0, 0, confirm);
  };
  program(0x1000, 0xd0);
  assert.deepEqual([...new Uint32Array(storage.slice(0x1000, 0x1010).buffer)], words);
  assert.deepEqual(
    written,
    words.map((_, i) => [0x1000 + 4 * i, 4]),
  );
  cmd(f, 0, 0, 0x70);
  assert.equal(Number(f.read(0, 4)), 0x00800080);
  cmd(f, 0, 0, 0xff);
  program(0x2000, 0xff);
  assert.ok(storage.subarray(0x2000, 0x2010).every((b) => b === 0));
  assert.ok(f.readArray);
});

test("a read-only bank (the firmware's) reports program and erase errors and keeps its contents", () => {
  const { f, storage, written } = bank({ readOnly: true });
  storage.fill(0xaa);
  cmd(f, 0, 0, 0x20);
  cmd(f, 0, 0, 0xd0);
  assert.equal(Number(f.read(0, 4)) & 0xff, 0x80 | 0x20, "erase error");
  cmd(f, 0, 0, 0x50);
  cmd(f, 0, 0, 0x40);
  f.write(0, 4, 0n);
  assert.equal(Number(f.read(0, 4)) & 0xff, 0x80 | 0x10, "program error");
  assert.ok(storage.every((b) => b === 0xaa));
  assert.deepEqual(written, []);
});

test("a failed write-back is a program error", () => {
  const { f } = bank({ failWrites: true });
  cmd(f, 0, 0, 0x40);
  f.write(0, 4, 1n);
  assert.equal(Number(f.read(0, 4)) & 0x10, 0x10);
});

test("an 8-byte access is two 4-byte ones, low word first (QEMU's memory core splits it)", () => {
  const { f } = bank();
  // Read status in the low word, then read array in the high word.
  f.write(0, 8, (0x00ff00ffn << 32n) | 0x00700070n);
  assert.ok(f.readArray);
  f.write(0, 8, (0x00700070n << 32n) | 0x00ff00ffn);
  assert.equal(Number(f.read(0, 4)), 0x00800080);
});

test("state round-trips, the mode included, and a bad state is a clear error", () => {
  const { f } = bank();
  cmd(f, 0, 0, 0xe8);
  cmd(f, 0, 0, 3);
  f.write(0, 4, 7n);
  const s = f.save();
  const other = bank();
  other.f.restore(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(other.f.save(), s);
  assert.deepEqual(other.io, [true], "a restored bank out of read-array mode is switched to MMIO");
  assert.throws(() => other.f.restore({ ...s, cmd: 0x33 }), /devices\.flash\.cmd: 0x33 is not a command state$/);
  assert.throws(() => other.f.restore({ ...s, wcycle: 9 }, "devices.flash[1]"), /devices\.flash\[1\]\.wcycle: /);
  assert.throws(() => other.f.restore({ ...s, buffer: [[other.f.size, 4, 0]] }), /buffer\[0\]: a write at \d+ lies outside the bank/);
  assert.throws(() => other.f.restore({ ...s, buffer: [[0, 3, 0]] }), /buffer\[0\]\[1\]/);
  assert.throws(() => other.f.restore({ ...s, eraseOffset: 12 }), /eraseOffset: 12 is not a sector/);
  assert.throws(() => other.f.restore({ ...s, extra: 1 }), /extra: unexpected field/);
  assert.throws(() => other.f.restore(null), /devices\.flash/);
  other.f.reset();
  assert.ok(other.f.readArray);
  assert.equal(other.io.at(-1), false);
});
