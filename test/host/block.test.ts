// Raw image files under Node (src/host/node/block.ts): FIFOs and devices are refused without
// waiting on them (a FIFO opened blocking waits for a writer forever).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DiskError } from "../../src/devices/virtio/blk.ts";
import { imageIdentity, openImageFile } from "../../src/host/node/block.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-block-"));

test("a FIFO or a device is refused at once", () => {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  for (const [path, ro] of [
    [fifo, false],
    [fifo, true],
    ["/dev/zero", true],
    ["/dev/null", false],
  ] as const)
    assert.throws(
      () => openImageFile(path, ro),
      (e) => e instanceof DiskError && /not a regular file/.test(e.message),
      path,
    );
});
