// virtio-rng: device-writable buffers filled from the entropy source, through the transport.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeEntropy } from "../../src/host/node/clock.ts";
import { Reg } from "../../src/devices/virtio/mmio.ts";
import { MAX_RNG_REQUEST, VirtioRng } from "../../src/devices/virtio/rng.ts";
import { started } from "./virtio-driver.ts";

test("device ID 4, no configuration space", () => {
  const { d } = started(new VirtioRng(nodeEntropy.fill));
  assert.equal(d.r(Reg.DeviceId), 4);
  assert.equal(d.t.read(0x100, 4), 0n);
});

test("fills every writable buffer and reports the length; readable buffers are left alone", () => {
  let calls = 0;
  const { d, q, g } = started(new VirtioRng((b) => b.fill(0xa0 + calls++)));
  const rd = g.alloc(8);
  g.put(rd, new Uint8Array(8).fill(1));
  const w1 = g.alloc(16);
  const w2 = g.alloc(48);
  const head = d.submit(q, [
    { addr: rd, len: 8 },
    { addr: w1, len: 16, write: true },
    { addr: w2, len: 48, write: true },
  ]);
  d.kick(q);
  assert.deepEqual(d.takeUsed(q), [{ id: head, len: 64 }]);
  assert.ok(g.bytes(rd, 8).every((b) => b === 1));
  assert.ok(g.bytes(w1, 16).every((b) => b === 0xa0));
  assert.ok(g.bytes(w2, 48).every((b) => b === 0xa1));
  assert.equal(g.line, true);
});

test("the host CSPRNG by default: bytes are not all the same", () => {
  const { d, q, g } = started(new VirtioRng(nodeEntropy.fill));
  const buf = g.alloc(64);
  d.submit(q, [{ addr: buf, len: 64, write: true }]);
  d.kick(q);
  assert.equal(d.takeUsed(q)[0].len, 64);
  assert.ok(new Set(g.bytes(buf, 64)).size > 8);
});

test("one request gets at most MAX_RNG_REQUEST bytes", () => {
  const { d, q, g } = started(new VirtioRng((b) => b.fill(7)));
  const big = g.alloc(MAX_RNG_REQUEST - 16);
  const more = g.alloc(64);
  d.submit(q, [
    { addr: big, len: MAX_RNG_REQUEST - 16, write: true },
    { addr: more, len: 64, write: true },
  ]);
  d.kick(q);
  assert.equal(d.takeUsed(q)[0].len, MAX_RNG_REQUEST);
  assert.equal(g.bytes(more, 64)[15], 7);
  assert.equal(g.bytes(more, 64)[16], 0);
});

test("save/restore round trip", () => {
  const { t } = started(new VirtioRng(nodeEntropy.fill));
  const s = structuredClone(t.save());
  assert.deepEqual(s.device, { version: 1 });
  const rng = new VirtioRng(nodeEntropy.fill);
  assert.throws(() => rng.restore({ version: 2 as 1 }), /virtio-rng.version: must be 1 \(is 2\)/);
});
