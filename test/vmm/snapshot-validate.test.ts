// A snapshot is untrusted input: files that cannot be snapshots are refused before they are read,
// every field of a well-formed one is checked before anything is built (an out-of-range value
// names the field), it opens no file but the disks its identities name, and the temporary files
// of writers that died are swept by the next save beside them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { nodeHost, nodeSnapshotIo } from "../../src/host/node/index.ts";
import { tempPath } from "../../src/host/node/snapshot.ts";
import { MAX_SNAPSHOT_BYTES, readSnapshot, SnapshotError } from "../../src/vmm/snapshot.ts";
import { MpState } from "../../src/hv/constants.ts";
import { VmStateError } from "../../src/vmm/events.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { buildGuest } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";

const cli = join(repoRoot, "bin/dormouse.mjs");
const dir = mkdtempSync(join(tmpdir(), "dormouse-snapcheck-"));
const MAGIC = "DORMOUSE-SNAPSHOT\n";

/** The suspend guest with a read-only disk, saved while suspended. */
async function saved(): Promise<{ path: string; disk: string }> {
  const disk = join(dir, "disk.img");
  writeFileSync(disk, Buffer.alloc(1 << 20, 7));
  const path = join(dir, "base.snap");
  const vm = new VirtualMachine(
    {
      board: {
        cpus: 2,
        ramSize: 32 << 20,
        psciConduit: "hvc",
        systemSuspend: true,
        clock: "deterministic",
        disks: [{ path: disk, readOnly: true }],
      },
      image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 0 })) },
    },
    nodeHost(),
    { policy: { onSuspend: "save", snapshotPath: path } },
  );
  vm.start();
  assert.equal(await vm.finished, "saved");
  vm.close();
  return { path, disk };
}

const checksum = (b: Buffer) => {
  const h = nodeSnapshotIo.checksum();
  h.update(b);
  return Buffer.from(h.digest());
};
const padded = (n: number) => n + ((4096 - (n % 4096)) % 4096);

/** The snapshot with its header changed by `edit` (on the JSON text) and both checksums recomputed. */
function edited(file: Buffer, edit: (header: string) => string): Buffer {
  const at = MAGIC.length;
  const hlen = file.readUInt32LE(at);
  const header = edit(file.subarray(at + 4, at + 4 + hlen).toString("utf8"));
  const nruns = file.readUInt32LE(at + 4 + hlen);
  const metaEnd = at + 4 + hlen + 4 + 8 * nruns;
  const pages = file.subarray(padded(metaEnd + 8), file.length - 8);
  const h = Buffer.from(header, "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  const meta = Buffer.concat([file.subarray(0, at), len, h, file.subarray(at + 4 + hlen, metaEnd)]);
  const content = Buffer.concat([meta, checksum(meta), Buffer.alloc(padded(meta.length + 8) - meta.length - 8), pages]);
  return Buffer.concat([content, checksum(content)]);
}

const refused = (path: string, message: RegExp) =>
  assert.throws(
    () => readSnapshot(path, nodeSnapshotIo),
    (e: unknown) => e instanceof SnapshotError && message.test(e.message),
  );

test("files that cannot be snapshots are refused before reading: devices, FIFOs, directories, impossible sizes", () => {
  const t0 = Date.now();
  const r = spawnSync(cli, ["resume", "/dev/zero"], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /\/dev\/zero is not a regular file/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
  assert.ok(Date.now() - t0 < 30_000, "at once, not after reading");

  const fifo = join(dir, "fifo");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  refused(fifo, /fifo is not a regular file/);
  refused(dir, /is a directory/);
  // A sparse file larger than any snapshot (no disk space used): refused by its size alone.
  const huge = join(dir, "huge.snap");
  const fd = openSync(huge, "w");
  ftruncateSync(fd, MAX_SNAPSHOT_BYTES + 1);
  closeSync(fd);
  refused(huge, /larger than any snapshot/);
  const tiny = join(dir, "tiny.snap");
  writeFileSync(tiny, MAGIC);
  refused(tiny, /too short/);
});

test("every field is checked before anything is built, naming the field; disks only as their identities name them", async () => {
  const { path, disk } = await saved();
  const file = readFileSync(path);
  const host = nodeHost();
  assert.equal(readSnapshot(path, host.snapshots).header.version, 4);
  const bad = (name: string, edit: (h: string) => string, message: RegExp) => {
    const p = join(dir, name);
    writeFileSync(p, edited(file, edit));
    refused(p, message);
    const r = spawnSync(cli, ["resume", p], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message, name);
    assert.equal(r.stderr.trim().split("\n").length, 1, `${name}: one line`);
  };
  bad("mpstate.snap", (h) => h.replace('"mpState":10', '"mpState":3'), /vcpus\[0\]\.mpState: must be 0 or 5 or 10 \(is 3\)/);
  bad("pstate.snap", (h) => h.replace(/"pstate":\d+/, '"pstate":969'), /vcpus\[0\]\.cpu\.pstate: mode 9 is not EL0t, EL1t or EL1h/);
  bad("fifo.snap", (h) => h.replace('"rx":[]', `"rx":[${Array(17).fill(65).join(",")}]`), /uart\.rx: must not have more than 16 items/);
  bad("cpus.snap", (h) => h.replace('"cpus":2', '"cpus":3'), /vcpus: state of 2 vCPUs, the board has 3/);
  bad("ram.snap", (h) => h.replace('"ramSize":33554432', '"ramSize":33554433'), /config\.ramSize: 33554433 is not a multiple of 2 MiB/);
  bad("old.snap", (h) => h.replace('"version":4', '"version":3'), /snapshot version 3; this Dormouse reads version 4/);
  bad("extra.snap", (h) => h.replace('"runState"', '"evil":1,"runState"'), /evil: unexpected field/);
  // A configuration naming another file than the disk identities do is refused before any file is opened.
  bad("passwd.snap", (h) => h.replace(`"disks":[{"path":${JSON.stringify(disk)}`, '"disks":[{"path":"/etc/passwd"'), /\/etc\/passwd/);
  const p = join(dir, "passwd.snap");
  assert.match(readFileSync(p, "utf8"), /"config":\{[^}]*"disks":\[\{"path":"\/etc\/passwd"/, "the configuration was the one changed");
});

test("the saved pages are every non-zero page of RAM (each one the core marked written), restored byte for byte", async () => {
  const disk = join(dir, "pages.img");
  writeFileSync(disk, Buffer.alloc(1 << 20, 7));
  const path = join(dir, "pages.snap");
  const host = nodeHost();
  const vm = new VirtualMachine(
    {
      board: { cpus: 2, ramSize: 32 << 20, psciConduit: "hvc", systemSuspend: true, clock: "deterministic", disks: [{ path: disk }] },
      image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 0 })) },
    },
    host,
    { policy: { onSuspend: "save", snapshotPath: path } },
  );
  vm.start();
  assert.equal(await vm.finished, "saved");
  const { ram, ramWritten } = vm.board.vm.core;
  const nonZero: number[] = [];
  for (let p = 0; p < ramWritten.length; p++) if (ram.subarray(p * 4096, (p + 1) * 4096).some((b) => b !== 0)) nonZero.push(p);
  assert.ok(nonZero.length > 0);
  assert.deepEqual(
    nonZero.filter((p) => !ramWritten[p]),
    [],
    "no page the core did not mark written holds data",
  );
  const saved = Buffer.from(ram);
  vm.close();
  const snap = readSnapshot(path, host.snapshots);
  assert.equal(snap.header.ramPages, nonZero.length, "every non-zero page is saved, and no other");
  const back = new VirtualMachine({ board: snap.header.config }, host);
  await back.restore(snap, path, { into: "paused" });
  assert.ok(Buffer.from(back.board.vm.core.ram).equals(saved), "RAM restored byte for byte");
  assert.deepEqual(
    [...back.board.vm.core.ramWritten.keys()].filter((p) => back.board.vm.core.ramWritten[p]),
    nonZero,
    "the restored pages are marked written (a later save finds them)",
  );
  await back.stop();
  back.close();
});

test("a save sweeps the temporary files of writers that died, and keeps a live writer's", async () => {
  const { path } = await saved();
  const dead = spawnSync("true").pid as number;
  const stale = tempPath(path, dead);
  writeFileSync(stale, "left by kill -9");
  const live = tempPath(path, process.ppid);
  writeFileSync(live, "being written");
  // Saved again over the same file (the sweep runs before every write).
  const vm = new VirtualMachine(
    {
      board: { cpus: 2, ramSize: 32 << 20, psciConduit: "hvc", systemSuspend: true, clock: "deterministic" },
      image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 0 })) },
    },
    nodeHost(),
    { policy: { onSuspend: "save", snapshotPath: path } },
  );
  vm.start();
  assert.equal(await vm.finished, "saved");
  vm.close();
  assert.equal(existsSync(stale), false, "the dead writer's temporary file is gone");
  assert.equal(existsSync(live), true, "a live writer's is kept");
  assert.equal(existsSync(tempPath(path)), false, "and the save left none of its own");
});

test("a VM restored from a snapshot has no image to boot again: a host reset is refused, a guest's ends it", async () => {
  const { path } = await saved();
  const host = nodeHost();
  /** The snapshot restored paused, with vCPU 0 about to run `words` at 0x41000000 with x0 = `x0`. */
  const restored = async (words: number[], x0: bigint) => {
    const snap = readSnapshot(path, host.snapshots);
    const vm = new VirtualMachine({ board: snap.header.config }, host);
    await vm.restore(snap, path, { into: "paused" });
    const at = 0x4100_0000n;
    const code = new Uint8Array(new Uint32Array(words).buffer);
    vm.board.vm.core.writePhys(at, code);
    const v = vm.board.vcpus[0];
    v.setMpState(MpState.RUNNABLE);
    v.pc = at;
    v.setX(0, x0);
    return vm;
  };
  const spinning = await restored([0x1400_0000], 0n); // b .
  await spinning.resume();
  assert.throws(
    () => spinning.reset(),
    (e: unknown) => e instanceof VmStateError && /no image to boot again/.test(e.message),
  );
  await spinning.stop();
  spinning.close();
  const resetting = await restored([0xd400_0002], 0x8400_0009n); // hvc #0: PSCI SYSTEM_RESET
  const events: string[] = [];
  resetting.on((e) => events.push(e.event === "shutdown" ? `shutdown:${e.reason}` : e.event));
  await resetting.resume();
  assert.equal(await resetting.finished, "shutdown");
  assert.deepEqual(events, ["resumed", "shutdown:reset"]);
  resetting.close();
});
