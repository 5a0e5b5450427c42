// PL011 transmit back-pressure and receive holding: a full host sink fills the 16-byte TX FIFO
// and FR.TXFF holds the guest; the TX interrupt comes when it drains; host input beyond the RX
// FIFO waits and moves in as the guest reads, in order, and survives a FIFO flush.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pl011 } from "../../src/devices/pl011.ts";
import type { ConsoleSink } from "../../src/devices/types.ts";

const DR = 0x000;
const FR = 0x018;
const LCR_H = 0x02c;
const IMSC = 0x038;
const RIS = 0x03c;
const TXFF = 1n << 5n;
const TXFE = 1n << 7n;
const RXFE = 1n << 4n;
const INT_TX = 1n << 5n;

/** A sink that takes `room` bytes, then says it is full until drain() is called. */
function slowSink(room: number) {
  const got: number[] = [];
  let drained = () => {};
  let left = room;
  const sink: ConsoleSink = {
    write(bytes) {
      got.push(...bytes);
      left -= bytes.length;
      return left > 0;
    },
    onDrain(fn) {
      drained = fn;
    },
  };
  return {
    sink,
    got,
    drain(more: number) {
      left = more;
      drained();
    },
  };
}

test("a full sink fills the TX FIFO; FR.TXFF holds the guest; draining sends the rest and raises TX", () => {
  const s = slowSink(4);
  let level = false;
  const u = new Pl011({ set: (l) => (level = l) }, s.sink);
  u.write(LCR_H, 4, 0x70n); // FIFOs on
  u.write(IMSC, 4, INT_TX);
  const text = "hello, back-pressure!";
  let written = 0;
  while (written < text.length && !(u.read(FR, 4) & TXFF)) u.write(DR, 4, BigInt(text.charCodeAt(written++)));
  assert.equal(u.outputHeld, true);
  assert.equal(s.got.length, 4, "the sink took what it had room for");
  assert.equal(written, 4 + 16, "then the 16-byte FIFO filled and TXFF was set");
  assert.equal(u.read(FR, 4) & TXFE, 0n);
  assert.equal(u.read(RIS, 4) & INT_TX, 0n, "no TX interrupt while the FIFO is above its trigger level");
  assert.equal(level, false);
  s.drain(1000);
  assert.equal(u.outputHeld, false);
  assert.equal(u.read(FR, 4) & TXFF, 0n);
  assert.equal(u.read(FR, 4) & TXFE, TXFE);
  assert.equal(level, true, "the TX interrupt once the FIFO drained");
  while (written < text.length) u.write(DR, 4, BigInt(text.charCodeAt(written++)));
  assert.equal(String.fromCharCode(...s.got), text, "every byte, in order");
});

test("the held TX FIFO is part of the saved state and goes out after a restore", () => {
  const s = slowSink(1);
  const u = new Pl011({ set() {} }, s.sink);
  u.write(LCR_H, 4, 0x70n);
  for (const c of "abc") u.write(DR, 4, BigInt(c.charCodeAt(0)));
  const state = u.save();
  assert.deepEqual(state.tx, [0x62, 0x63]);
  const out: number[] = [];
  const v = new Pl011({ set() {} }, (b) => out.push(b));
  v.restore(structuredClone(state));
  assert.equal(String.fromCharCode(...out), "bc");
});

test("host input beyond the RX FIFO is held and read in order, also across a FIFO flush", () => {
  const u = new Pl011({ set() {} }, () => {});
  u.write(LCR_H, 4, 0x70n);
  const input = Array.from({ length: 100 }, (_, i) => 0x30 + (i % 64));
  u.receive(input);
  assert.equal(u.pendingInput, 100 - 16);
  const got: number[] = [];
  for (let i = 0; i < 10; i++) got.push(Number(u.read(DR, 4)));
  // Turning the FIFO off and on flushes what is in it (as on hardware), never what the host still holds.
  u.write(LCR_H, 4, 0x60n);
  u.write(LCR_H, 4, 0x70n);
  while (!(u.read(FR, 4) & RXFE)) got.push(Number(u.read(DR, 4)));
  const flushed = 100 - got.length;
  assert.ok(flushed > 0 && flushed <= 16 + 1, `only what was in the FIFO is lost (${flushed})`);
  assert.deepEqual(got.slice(-(100 - 10 - flushed)), input.slice(10 + flushed), "the held input arrives in order");
});

test("input typed before a restore is kept, after the input held in the snapshot", () => {
  const a = new Pl011({ set() {} }, () => {});
  a.receive([0x41, 0x42]);
  const state = a.save();
  const b = new Pl011({ set() {} }, () => {});
  b.receive([0x0a]); // a key pressed while the snapshot was being read
  b.restore(structuredClone(state));
  const got: number[] = [];
  while (!(b.read(FR, 4) & RXFE)) got.push(Number(b.read(DR, 4)));
  assert.deepEqual(got, [0x41, 0x42, 0x0a]);
});
