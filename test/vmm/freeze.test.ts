// Freeze and thaw around a host suspend (issue 12), on the VM object with bare-metal guests: a
// running VM frozen runs nothing and its counter and watchdog stand still, its disks are flushed
// first; a suspended VM frozen stays suspended and its wake sources take effect only on thaw; a
// frozen VM saved restores running.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { nodeHost } from "../../src/host/node/index.ts";
import { MpState } from "../../src/hv/constants.ts";
import { type VmEvent, VmStateError } from "../../src/vmm/events.ts";
import { readSnapshot } from "../../src/vmm/snapshot.ts";
import { VirtualMachine, type VmSpec } from "../../src/vmm/virtual-machine.ts";
import { buildGuest } from "../support/guests.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-freeze-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (let t = 0; !cond(); t += 10) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function make(spec: VmSpec) {
  const out = { text: "" };
  const events: VmEvent[] = [];
  const vm = new VirtualMachine(spec, nodeHost(), { console: (b) => (out.text += String.fromCharCode(b)) });
  vm.on((e) => events.push(e));
  return { vm, out, events };
}

/** The tick guest (console VARIANT 3): "tick <n> <CNTVCT>" lines while it runs; a disk attached. */
function tickSpec(disk: string): VmSpec {
  return {
    board: { cpus: 1, ramSize: 32 << 20, psciConduit: "hvc", systemSuspend: true, disks: [{ path: disk }] },
    image: { kind: "binary", bytes: readFileSync(buildGuest("console", { VARIANT: 3, TICK: 200000 })) },
  };
}

/** The suspend guest VARIANT 3: suspends with no wake source armed; powers off once woken. */
function suspendSpec(): VmSpec {
  return {
    board: { cpus: 2, ramSize: 64 << 20, psciConduit: "hvc", systemSuspend: true },
    image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 3 })) },
  };
}

const ticks = (text: string) => [...text.matchAll(/^tick (\d+) (\d+)$/gm)].length;

test("a frozen VM runs nothing, its counter and watchdog stand still, its disks were flushed; thaw continues it", async () => {
  const disk = join(dir, "disk.img");
  writeFileSync(disk, Buffer.alloc(1 << 20));
  const { vm, out, events } = make(tickSpec(disk));
  const { board } = vm;
  try {
    vm.start();
    await waitFor(() => ticks(out.text) >= 3, 30_000, "ticks");
    // The watchdog armed for 0.3 s of 62.5 MHz ticks: frozen for longer than that, it must not fire.
    board.bus.write(0x090d_0008n, 4, 18_750_000n);
    board.bus.write(0x090d_000cn, 4, 0n);
    board.bus.write(0x090d_0000n, 4, 1n);
    const left = () => board.watchdog.compareValue - board.vm.timers.counter();
    await vm.freeze();
    assert.equal(vm.state, "frozen");
    assert.ok(vm.frozen);
    const text = out.text;
    const counter = board.vm.timers.counter();
    const leftAtFreeze = left();
    await sleep(700);
    assert.equal(out.text, text, "nothing ran while frozen");
    assert.equal(board.vm.timers.counter(), counter, "the counter stood still");
    assert.equal(board.watchdog.status & 6, 0, "the watchdog did not fire while frozen");
    await assert.rejects(vm.pause(), (e: unknown) => e instanceof VmStateError && /frozen/.test(e.message));
    await assert.rejects(vm.freeze(), VmStateError);
    await vm.thaw();
    assert.equal(vm.state, "running");
    assert.ok(!vm.frozen);
    const moved = leftAtFreeze - left();
    assert.ok(moved >= 0n && moved < 62_500n * 50n, `the countdown moved by ${moved} ticks across the freeze`);
    await waitFor(() => ticks(out.text) > ticks(text) + 2, 30_000, "ticks after the thaw");
    await assert.rejects(vm.thaw(), (e: unknown) => e instanceof VmStateError && /not frozen/.test(e.message));
    const frozen = events.find((e) => e.event === "frozen");
    assert.ok(frozen?.event === "frozen" && frozen.from === "running" && frozen.flushed === 1);
    const thawed = events.find((e) => e.event === "thawed");
    assert.ok(thawed?.event === "thawed" && thawed.to === "running");
  } finally {
    await vm.stop();
    vm.close();
  }
});

test("a suspended VM frozen stays suspended; a wake request while frozen wakes it only on thaw", async () => {
  const { vm, out, events } = make(suspendSpec());
  vm.start();
  await waitFor(() => vm.state === "suspended", 30_000, "the suspend");
  await vm.freeze();
  assert.equal(vm.state, "suspended", "a suspended VM stays suspended when frozen");
  assert.ok(vm.frozen);
  vm.wakeup();
  await sleep(300);
  assert.equal(vm.state, "suspended", "held until the thaw");
  assert.equal(vm.board.vcpus[0].getMpState(), MpState.SUSPENDED);
  await vm.thaw();
  assert.equal(await vm.finished, "shutdown");
  assert.match(out.text, /resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact\n$/);
  assert.deepEqual(
    events.map((e) => e.event),
    ["started", "suspended", "frozen", "thawed", "woken", "shutdown"],
  );
  const woken = events.find((e) => e.event === "woken");
  assert.ok(woken?.event === "woken" && woken.reason === "request");
  vm.close();
});

test("a suspended VM with no wake source stays suspended across freeze and thaw", async () => {
  const { vm, events } = make(suspendSpec());
  vm.start();
  await waitFor(() => vm.state === "suspended", 30_000, "the suspend");
  await vm.freeze();
  await sleep(200);
  await vm.thaw();
  await sleep(300);
  assert.equal(vm.state, "suspended");
  assert.ok(!events.some((e) => e.event === "woken"));
  await vm.stop();
  vm.close();
});

test("a frozen VM saved ends saved, and its snapshot restores running", async () => {
  const disk = join(dir, "disk2.img");
  writeFileSync(disk, Buffer.alloc(1 << 20));
  const path = join(dir, "frozen.snap");
  const a = make(tickSpec(disk));
  a.vm.start();
  await waitFor(() => ticks(a.out.text) >= 2, 30_000, "ticks");
  await a.vm.freeze();
  await a.vm.save(path);
  assert.equal(await a.vm.finished, "saved");
  a.vm.close();
  const saved = a.events.find((e) => e.event === "saved");
  assert.ok(saved?.event === "saved" && saved.state === "running");
  const host = nodeHost();
  const snap = readSnapshot(path, host.snapshots);
  const b = make({ board: snap.header.config });
  await b.vm.restore(snap, path, { into: "saved" });
  assert.equal(b.vm.state, "running");
  const before = ticks(b.out.text);
  await waitFor(() => ticks(b.out.text) > before + 1, 30_000, "ticks after the restore");
  await b.vm.stop();
  b.vm.close();
});
