// Bad input to the dormouse command: each a clear message and a nonzero exit, no stack trace,
// and the files named left as they were.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/toolchain.ts";

const cli = join(repoRoot, "bin/dormouse.mjs");
const dir = mkdtempSync(join(tmpdir(), "dormouse-cli-"));

function fails(args: string[], message: RegExp): void {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 60_000 });
  assert.notEqual(r.status, 0, `${args.join(" ")} should fail`);
  assert.equal(r.signal, null);
  assert.match(r.stderr, message, args.join(" "));
  assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+/, `${args.join(" ")}: no stack trace`);
}

/** A minimal arm64 Image header (enough for the loader; it is never run). */
function image(): Buffer {
  const b = Buffer.alloc(0x10000);
  b.writeBigUInt64LE(0x10000n, 0x10);
  b.writeUInt32LE(0x644d5241, 0x38);
  return b;
}

test("a missing kernel, a kernel that is not an arm64 Image, and a bad device tree", () => {
  fails(["run", "--kernel", join(dir, "no-such-Image")], /cannot read .*no-such-Image/);
  const text = join(dir, "notes.txt");
  writeFileSync(text, "this is not a kernel\n".repeat(10));
  fails(["run", "--kernel", text], /not an arm64 Linux Image/);
  assert.equal(readFileSync(text, "utf8"), "this is not a kernel\n".repeat(10));
  const kernel = join(dir, "Image");
  writeFileSync(kernel, image());
  const dtb = join(dir, "bad.dtb");
  writeFileSync(dtb, Buffer.alloc(64));
  fails(["run", "--kernel", kernel, "--dtb", dtb], /device tree.*magic/);
});

test("a missing, unreadable or non-file disk, and a read-only file asked for writing", () => {
  const kernel = join(dir, "Image");
  writeFileSync(kernel, image());
  fails(["run", "--kernel", kernel, "--disk", join(dir, "no-such.img")], /no-such\.img/);
  fails(["run", "--kernel", kernel, "--disk", dir], /directory|not a regular file/i);
  // Root writes through file modes: for root, a sysfs file that refuses writers even to root.
  const ro = process.getuid?.() === 0 ? "/sys/kernel/notes" : join(dir, "ro.img");
  if (ro !== "/sys/kernel/notes") {
    writeFileSync(ro, Buffer.alloc(1 << 20));
    chmodSync(ro, 0o444);
  }
  const before = readFileSync(ro);
  fails(["run", "--kernel", kernel, "--disk", ro], /(notes|ro\.img).*(read-only|permission|EACCES)/i);
  assert.deepEqual(readFileSync(ro), before);
});

test("usage errors name the problem", () => {
  fails(["run", "a.elf", "b.elf"], /run takes one image, or --kernel/);
  fails(["run", "--kernel", join(dir, "Image"), "--on-suspend", "sleep"], /--on-suspend is honour, deny or save=FILE/);
  fails(["frobnicate"], /unknown command "frobnicate"/);
});
