// GUID partition tables and swap headers written by src/kit/gpt.ts, read back by util-linux
// (partx, blkid) as a partitioning tool and mkswap's readers see them; bad layouts refused.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { crc32 } from "node:zlib";
import { PART_TYPE, randomUuid, writeGpt, writeSwapHeader } from "../../src/kit/gpt.ts";

const M = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), "dormouse-gpt-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a GPT of three partitions reads back in partx with names, GUIDs and sizes; both headers' CRCs hold", () => {
  const disk = join(dir, "disk.img");
  writeFileSync(disk, "");
  const parts = [
    { type: PART_TYPE.esp, guid: randomUuid(), name: "EFI system partition", start: M, end: 9 * M },
    { type: PART_TYPE.rootArm64, guid: randomUuid(), name: "root", start: 9 * M, end: 40 * M },
    { type: PART_TYPE.swap, guid: randomUuid(), name: "swap", start: 40 * M, end: 63 * M },
  ];
  writeGpt(disk, 64 * M, randomUuid(), parts);
  const out = execFileSync("partx", ["-g", "-r", "-o", "NR,START,END,NAME,UUID,TYPE", disk], { encoding: "utf8" });
  const rows = out
    .trim()
    .split("\n")
    .map((l) => l.split(" "));
  assert.deepEqual(
    rows.map((r) => [Number(r[1]) * 512, (Number(r[2]) + 1) * 512, r[3].replace(/\\x20/g, " "), r[4], r[5]]),
    parts.map((p) => [p.start, p.end, p.name, p.guid, p.type]),
  );
  const b = readFileSync(disk);
  for (const at of [512, b.length - 512]) {
    const h = Buffer.from(b.subarray(at, at + 92));
    const want = h.readUInt32LE(16);
    h.writeUInt32LE(0, 16);
    assert.equal(crc32(h), want);
  }
});

test("a swap header blkid reads as swap with its UUID and label", () => {
  const disk = join(dir, "swap.img");
  writeFileSync(disk, "");
  writeGpt(disk, 32 * M, randomUuid(), [{ type: PART_TYPE.swap, guid: randomUuid(), name: "swap", start: M, end: 31 * M }]);
  const uuid = randomUuid();
  writeSwapHeader(disk, M, 30 * M, uuid, "swap");
  const out = execFileSync("blkid", ["-p", "-O", String(M), disk], { encoding: "utf8" });
  assert.match(out, new RegExp(`LABEL="swap" UUID="${uuid}" VERSION="1" TYPE="swap"`));
});

test("partitions outside the usable area or overlapping the tables are refused", () => {
  const disk = join(dir, "bad.img");
  writeFileSync(disk, "");
  const p = (start: number, end: number) => [{ type: PART_TYPE.swap, guid: randomUuid(), name: "x", start, end }];
  assert.throws(() => writeGpt(disk, 8 * M, randomUuid(), p(512, M)), /does not fit/);
  assert.throws(() => writeGpt(disk, 8 * M, randomUuid(), p(M, 8 * M)), /does not fit/);
  assert.throws(() => writeGpt(disk, 8 * M, randomUuid(), p(M, M + 100)), /does not fit/);
  assert.throws(() => writeGpt(disk, 8 * M + 1, randomUuid(), p(M, 2 * M)), /multiple of 512/);
});
