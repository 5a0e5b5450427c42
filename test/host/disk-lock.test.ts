// Disk image locks (issue 12): two VMs never have one image open read-write (nor one writing
// while another reads it), whichever path names it, in one process or two; a lock whose process
// died is stale and does not stand in the way.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { linkSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DiskError } from "../../src/devices/virtio/blk.ts";
import { openImageFile } from "../../src/host/node/block.ts";
import { repoRoot } from "../support/toolchain.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-lock-"));
process.env.DORMOUSE_LOCK_DIR = join(dir, "locks");
after(() => rmSync(dir, { recursive: true, force: true }));

function image(name: string): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.alloc(64 << 10));
  return p;
}

const inUse = (how: string) => (e: unknown) => e instanceof DiskError && new RegExp(`in use: .* open ${how}`).test(e.message);

test("in one process: one writer or many readers, by inode (a hard link is the same image); released on close", () => {
  const a = image("a.img");
  const link = join(dir, "a-link.img");
  linkSync(a, link);
  const w = openImageFile(a, false);
  assert.throws(() => openImageFile(a, false), inUse("read-write"));
  assert.throws(() => openImageFile(link, false), inUse("read-write"));
  assert.throws(() => openImageFile(link, true), inUse("read-write"));
  w.close();
  const r1 = openImageFile(a, true);
  const r2 = openImageFile(link, true);
  assert.throws(() => openImageFile(a, false), inUse("read-only"));
  r1.close();
  assert.throws(() => openImageFile(a, false), inUse("read-only"));
  r2.close();
  const w2 = openImageFile(link, false);
  w2.close();
  w2.close();
  assert.deepEqual(readdirSync(process.env.DORMOUSE_LOCK_DIR as string), [], "no lock left behind");
});

test("across processes: refused while another process holds it, free once that process was killed", async () => {
  const b = image("b.img");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      `import("${join(repoRoot, "src/host/node/block.ts")}").then((m) => { m.openImageFile(${JSON.stringify(b)}, false); console.log("locked"); setInterval(() => {}, 1000); });`,
    ],
    { cwd: repoRoot, env: process.env, stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
      child.on("exit", (c) => reject(new Error(`the child exited (${c})`)));
    });
    assert.throws(
      () => openImageFile(b, true),
      (e: unknown) => e instanceof DiskError && e.message.includes(`pid ${child.pid}`) && /read-write/.test(e.message),
    );
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
  // Its lock is still there, but its process is gone: stale, removed by the next open.
  assert.equal(readdirSync(process.env.DORMOUSE_LOCK_DIR as string).length, 1);
  const w = openImageFile(b, false);
  assert.equal(readdirSync(process.env.DORMOUSE_LOCK_DIR as string).length, 1, "the stale lock was replaced by this one");
  w.close();
});
