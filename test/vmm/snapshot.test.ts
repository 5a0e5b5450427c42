// Suspend-to-disk with the bare-metal suspend guest: --on-suspend save=FILE writes the suspended
// VM and exits; dormouse resume FILE continues it in a new process (woken by the guest's timer);
// bad snapshots and paths are clear errors with a nonzero exit, leaving files untouched.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { buildGuest } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";

const cli = join(repoRoot, "bin/dormouse.mjs");
const dormouse = (args: string[]) => spawnSync(cli, args, { encoding: "utf8", timeout: 120_000 });
const RESUMED = "resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact\n";

test("a suspended guest saved to disk resumes in another process; bad snapshots are refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-snap-"));
  const snap = join(dir, "guest.snap");
  const saved = dormouse(["run", buildGuest("suspend", { VARIANT: 0 }), "--smp", "2", "--on-suspend", `save=${snap}`]);
  assert.equal(saved.status, 0, saved.stderr);
  assert.match(saved.stdout, /suspending\n$/, "nothing ran after the suspend");
  assert.match(saved.stderr, /guest suspended to .*guest\.snap/);
  const original = readFileSync(snap);

  const resumed = dormouse(["resume", snap]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(resumed.stdout, RESUMED, "the timer woke it in the new process, RAM and registers restored");

  const bad = (name: string, bytes: Buffer, message: RegExp) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    const r = dormouse(["resume", p]);
    assert.notEqual(r.status, 0, name);
    assert.match(r.stderr, message, name);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, `${name}: no stack trace`);
    assert.deepEqual(readFileSync(p), bytes, `${name} left untouched`);
  };
  bad("truncated.snap", original.subarray(0, original.length >> 1), /corrupted or truncated/);
  const flipped = Buffer.from(original);
  flipped[flipped.length >> 1] ^= 0x40;
  bad("corrupted.snap", flipped, /corrupted or truncated/);
  bad("text.snap", Buffer.from("hello\n"), /not a Dormouse snapshot/);
  // A file of another version (whose layout after the header this version does not know).
  bad("version.snap", Buffer.from(original.toString("latin1").replace('"version":4', '"version":9'), "latin1"), /snapshot version 9/);
  // Options that describe another board are refused: the VM resumes on the board it was saved from.
  const smp = dormouse(["resume", snap, "--smp", "1"]);
  assert.notEqual(smp.status, 0);
  assert.match(smp.stderr, /has --smp 2, not 1/);
  const mem = dormouse(["resume", snap, "--memory", "256M"]);
  assert.notEqual(mem.status, 0);
  assert.match(mem.stderr, /has --memory 128M, not 256M/);
  const disk = dormouse(["resume", snap, "--disk", join(dir, "other.img")]);
  assert.notEqual(disk.status, 0);
  assert.match(disk.stderr, /has --disk none, not .*other\.img/);
  const missing = dormouse(["resume", join(dir, "nope.snap")]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /cannot read .*nope\.snap/);
  assert.deepEqual(readFileSync(snap), original, "the good snapshot is intact");
});

test("an unwritable snapshot path is a clear error and leaves no file", () => {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-snap-"));
  // A path under a regular file cannot be created, even by root (who ignores directory modes).
  const file = join(dir, "file");
  writeFileSync(file, "x");
  const target = join(file, "guest.snap");
  const r = dormouse(["run", buildGuest("suspend", { VARIANT: 0 }), "--smp", "2", "--on-suspend", `save=${target}`]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot write the snapshot/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
  assert.equal(readFileSync(file, "utf8"), "x");
  assert.equal(existsSync(target), false);
});
