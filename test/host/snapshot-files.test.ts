// Snapshot files under Node: what write() is given is what the file holds, whether a part goes
// through O_DIRECT (whole blocks at aligned offsets from memory aligned as guest RAM is) or
// through the page cache (everything else, and blocks O_DIRECT refuses: memory not aligned);
// open() reads ranges into the caller's buffers (one at a time, or several at once off the main
// thread) and no further than the size it found.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { snapshotFiles } from "../../src/host/node/snapshot.ts";
import { SnapshotError } from "../../src/vmm/snapshot.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-snapfiles-"));
const fill = (b: Uint8Array, seed: number) => {
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

test("write() stores every part in order: block-aligned views of wasm memory, unaligned memory, odd sizes", async () => {
  // Wasm memory is page-aligned: these views can go through O_DIRECT.
  const mem = new Uint8Array(new WebAssembly.Memory({ initial: 4 }).buffer);
  const pages = fill(mem.subarray(4096, 4096 + 3 * 4096), 1);
  const more = fill(mem.subarray(8 * 4096, 10 * 4096), 2);
  // A whole block at an aligned offset, but from memory at an odd address: O_DIRECT refuses it.
  const odd = fill(new Uint8Array(4097), 3).subarray(1);
  const head = fill(new Uint8Array(100), 4);
  const pad = new Uint8Array(4096 - 100);
  const tail = fill(new Uint8Array(8), 5);
  const cases: Uint8Array[][] = [
    [head, pad, pages, more, tail],
    [odd, pages, new Uint8Array(0), tail],
    [head, pages, tail],
    [pages, odd, more],
  ];
  for (const [i, parts] of cases.entries()) {
    const path = join(dir, `parts-${i}.snap`);
    await snapshotFiles.write(path, parts);
    assert.ok(readFileSync(path).equals(Buffer.concat(parts)), `case ${i}`);
  }
});

test("open() reads ranges into the caller's buffer, and a range past the end is a SnapshotError", async () => {
  const path = join(dir, "read.snap");
  const bytes = fill(new Uint8Array(10_000), 7);
  await snapshotFiles.write(path, [bytes]);
  const f = snapshotFiles.open(path, { minBytes: 0, maxBytes: 1 << 20 });
  try {
    assert.equal(f.size, bytes.length);
    const into = new Uint8Array(5000);
    f.read(4000, into);
    assert.deepEqual(into, bytes.subarray(4000, 9000));
    assert.throws(
      () => f.read(9000, new Uint8Array(1001)),
      (e: unknown) => e instanceof SnapshotError && /corrupted or truncated/.test(e.message),
    );
    const pieces = [0, 2500, 5000, 7500].map((at) => [at, new Uint8Array(2500)] as const);
    await Promise.all(pieces.map(([at, b]) => f.readAsync(at, b)));
    assert.deepEqual(Buffer.concat(pieces.map(([, b]) => b)), Buffer.from(bytes), "readAsync: several at once");
    await assert.rejects(
      f.readAsync(9999, new Uint8Array(2)),
      (e: unknown) => e instanceof SnapshotError && /corrupted or truncated/.test(e.message),
    );
  } finally {
    f.close();
  }
});
