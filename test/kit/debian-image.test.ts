// `dormouse image debian`'s failure modes, before anything is built: an archive that cannot be
// reached is one clear line and a nonzero exit (nothing written), and bad arguments are usage
// errors. Building and booting the image is test/linux/debian-e2e.test.ts's job.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { KitError } from "../../src/kit/apt.ts";
import { imageLayout } from "../../src/kit/debian-image.ts";
import { checkHostTools, toolEnv } from "../../src/kit/debian-rootfs.ts";
import { repoRoot } from "../support/toolchain.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-image-"));
const dormouse = (args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), ...args], { encoding: "utf8", timeout: 120_000 });

test("an unreachable archive is a clear error with a nonzero exit, and no disk is written", () => {
  const out = join(dir, "disk.img");
  const r = dormouse(["image", "debian", "--cache", join(dir, "cache"), "--mirror", "http://127.0.0.1:9/debian", "-o", out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^dormouse: cannot reach the Debian archive \(http:\/\/127\.0\.0\.1:9\/debian, trixie\)/m);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(existsSync(out), false);
});

test("bad arguments are usage errors (status 2) before anything is fetched", () => {
  const existing = join(dir, "existing.img");
  writeFileSync(existing, "keep");
  const rows: [string[], RegExp][] = [
    [["image"], /image takes the system to build: debian/],
    [["image", "ubuntu", "-o", join(dir, "u.img")], /image builds only debian, not "ubuntu"/],
    [["image", "debian"], /-o FILE \(the disk image to write\) is missing/],
    [["image", "debian", "-o", existing], /existing\.img exists: give a new file name/],
    [["image", "debian", "--size", "1G", "-o", join(dir, "s.img")], /--size 1G is too small: at least 2G/],
    [["image", "debian", "--size", "3.5G", "-o", join(dir, "s.img")], /--size takes a size such as 512M or 1G/],
    [["image", "debian", "--suite", "../x", "-o", join(dir, "s.img")], /--suite takes a Debian suite name/],
    [["image", "debian", "-o", join(dir, "no-such-dir", "d.img")], /no-such-dir is not a directory/],
  ];
  for (const [args, re] of rows) {
    const r = dormouse(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test("the layout: ESP at 1 MiB, root, then swap (at most 1 GiB) ending 1 MiB before the backup GPT", () => {
  const M = 1 << 20;
  assert.deepEqual(imageLayout(4096 * M), { esp: [M, 65 * M], root: [65 * M, 3071 * M], swap: [3071 * M, 4095 * M] });
  assert.deepEqual(imageLayout(2048 * M), { esp: [M, 65 * M], root: [65 * M, 1535 * M], swap: [1535 * M, 2047 * M] });
});

test("the build's commands are found in /usr/sbin and /sbin too, and a missing one is one line naming its package and that installing it needs root", () => {
  const saved = process.env.PATH;
  try {
    // An empty PATH: the sbin directories are still searched (mke2fs, mkfs.fat and depmod are
    // there), fakeroot (in /usr/bin) is not found.
    process.env.PATH = mkdtempSync(join(tmpdir(), "dormouse-path-"));
    assert.ok(toolEnv().PATH?.split(":").includes("/usr/sbin"));
    assert.throws(
      () => checkHostTools(),
      (e: Error) =>
        e instanceof KitError &&
        /^fakeroot is missing: .*Debian package fakeroot; installing it needs root/.test(e.message) &&
        !e.message.includes("\n"),
    );
  } finally {
    process.env.PATH = saved;
  }
  // With the system's PATH every command tools/test.sh installs is there (kmod's depmod among them).
  checkHostTools();
});
