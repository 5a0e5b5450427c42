// The VM object's lifecycle with bare-metal guests: pause and resume (the guest's counter does
// not see the pause), illegal requests as typed errors naming the state, a snapshot of a running
// VM and of a paused one restored into a new VM, a wake-up request, and events as plain JSON.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { nodeHost } from "../../src/host/node/index.ts";
import { MpState } from "../../src/hv/constants.ts";
import { CNTFRQ } from "../../src/hv/timer.ts";
import { type VmEvent, VmStateError } from "../../src/vmm/events.ts";
import { readSnapshot } from "../../src/vmm/snapshot.ts";
import { VirtualMachine, type VmSpec } from "../../src/vmm/virtual-machine.ts";
import { buildGuest } from "../support/guests.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-lifecycle-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tick guest (console VARIANT 3): "tick <n> <CNTVCT>" lines while it runs. */
function tickSpec(): VmSpec {
  return {
    board: { cpus: 1, ramSize: 32 << 20, psciConduit: "hvc", systemSuspend: true },
    image: { kind: "binary", bytes: readFileSync(buildGuest("console", { VARIANT: 3, TICK: 200000 })) },
  };
}

function withConsole(spec: VmSpec) {
  const out = { text: "" };
  const events: VmEvent[] = [];
  const vm = new VirtualMachine(spec, nodeHost(), { console: (b) => (out.text += String.fromCharCode(b)) });
  vm.on((e) => events.push(e));
  return { vm, out, events };
}

const ticks = (text: string) => [...text.matchAll(/^tick (\d+) (\d+)$/gm)].map((m) => ({ n: Number(m[1]), cnt: BigInt(m[2]) }));

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (let t = 0; !cond(); t += 10) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test("pause stops the guest and its counter; resume continues it; 5 cycles", async () => {
  const { vm, out, events } = withConsole(tickSpec());
  try {
    vm.start();
    await waitFor(() => ticks(out.text).length >= 3, 30_000, "ticks");
    for (let cycle = 0; cycle < 5; cycle++) {
      await vm.pause();
      assert.equal(vm.state, "paused");
      const text = out.text;
      const counter = vm.board.vm.timers.counter();
      const seen = ticks(text);
      const interval = seen.slice(1).reduce((m, t, i) => (t.cnt - seen[i].cnt > m ? t.cnt - seen[i].cnt : m), 0n);
      await sleep(500);
      assert.equal(out.text, text, "nothing ran while paused");
      assert.equal(vm.board.vm.timers.counter(), counter, "the counter stood still");
      const before = ticks(out.text).at(-1);
      await vm.resume();
      assert.equal(vm.state, "running");
      await waitFor(() => ticks(out.text).length >= ticks(text).length + 2, 30_000, "ticks after the resume");
      const next = ticks(out.text)[ticks(text).length + 1];
      assert.ok(before && next.n === before.n + 2, "the tick count continues");
      // Two ticks' worth of guest time (plus 100 ms for a busy host), not the 500 ms pause on top.
      const across = next.cnt - before.cnt;
      assert.ok(across < 2n * interval + CNTFRQ / 10n, `${across} counter ticks across the pause (a tick takes up to ${interval})`);
    }
    const paused = events.filter((e) => e.event === "paused");
    assert.equal(paused.length, 5);
    assert.ok(paused.every((e) => e.event === "paused" && e.ms >= 0 && e.ms < 5000));
    assert.equal(events.filter((e) => e.event === "resumed").length, 5);
  } finally {
    await vm.stop();
    vm.close();
  }
});

test("illegal requests are typed errors naming the state", async () => {
  const { vm } = withConsole(tickSpec());
  try {
    await assert.rejects(
      vm.pause(),
      (e: unknown) => e instanceof VmStateError && e.state === "created" && /cannot pause a VM that is created/.test(e.message),
    );
    assert.throws(() => vm.wakeup(), /cannot wake up a VM that is created/);
    vm.start();
    assert.throws(() => vm.start(), /cannot start a VM that is running/);
    await assert.rejects(vm.resume(), /cannot resume a VM that is running/);
    await assert.rejects(vm.save(join(dir, "x.snap")), /cannot save a VM that is running: pause it first/);
    assert.throws(() => vm.wakeup(), /cannot wake up a VM that is running/);
    await vm.pause();
    await assert.rejects(vm.pause(), /cannot pause a VM that is paused/);
    await assert.rejects(vm.snapshot(join(dir, "x.snap")), /cannot snapshot a VM that is paused/);
    await vm.stop();
    assert.equal(vm.state, "shutdown");
    await assert.rejects(vm.pause(), /cannot pause a VM that is shutdown/);
    await assert.rejects(vm.resume(), /cannot resume a VM that is shutdown/);
    assert.throws(() => vm.pressPowerButton(), VmStateError);
  } finally {
    vm.close();
  }
});

test("a running VM's snapshot restores into a new VM that continues running; a paused one restores paused", async () => {
  const host = nodeHost();
  const { vm, out, events } = withConsole(tickSpec());
  const running = join(dir, "running.snap");
  const paused = join(dir, "paused.snap");
  try {
    vm.start();
    await waitFor(() => ticks(out.text).length >= 3, 30_000, "ticks");
    await vm.snapshot(running);
    assert.equal(vm.state, "running", "a snapshot leaves it running");
    assert.deepEqual(
      events.slice(-3).map((e) => e.event),
      ["paused", "saved", "resumed"],
    );
    await vm.pause();
    const last = ticks(out.text).at(-1)?.n ?? -1;
    const saved = await vm.save(paused);
    assert.ok(saved.bytes > 0 && saved.seconds >= 0);
    assert.equal(vm.state, "paused", "a paused VM stays paused after a save");
    const ev = events.at(-1);
    assert.ok(ev?.event === "saved" && ev.state === "paused" && ev.path === paused && JSON.parse(JSON.stringify(ev)).bytes === saved.bytes);
  } finally {
    await vm.stop();
    vm.close();
  }

  // As saved: running.
  const snap = readSnapshot(running, host.snapshots);
  assert.equal(snap.header.runState, "running");
  const a = withConsole({ board: snap.header.config });
  await a.vm.restore(snap, running, { into: "saved" });
  assert.equal(a.vm.state, "running");
  try {
    await waitFor(() => ticks(a.out.text).length >= 2, 30_000, "ticks of the restored VM");
    assert.ok(ticks(a.out.text)[0].n >= 3, "it continues where the snapshot was taken");
  } finally {
    await a.vm.stop();
    a.vm.close();
  }

  // Into paused: nothing runs until resume.
  const p = readSnapshot(paused, host.snapshots);
  assert.equal(p.header.runState, "paused");
  const b = withConsole({ board: p.header.config });
  await b.vm.restore(p, paused, { into: "saved" });
  assert.equal(b.vm.state, "paused");
  try {
    await sleep(200);
    assert.equal(b.out.text, "", "a paused restore runs nothing");
    await b.vm.resume();
    await waitFor(() => ticks(b.out.text).length >= 1, 30_000, "ticks after the resume");
    assert.ok(ticks(b.out.text)[0].n > 0);
    assert.deepEqual(
      b.events.map((e) => e.event),
      ["restored", "resumed"],
    );
    assert.equal(JSON.parse(JSON.stringify(b.events[0])).state, "paused");
  } finally {
    await b.vm.stop();
    b.vm.close();
  }
  // A running snapshot restored "into paused" waits for resume too.
  const c = withConsole({ board: snap.header.config });
  await c.vm.restore(readSnapshot(running, host.snapshots), running, { into: "paused" });
  assert.equal(c.vm.state, "paused");
  await c.vm.stop();
  c.vm.close();
});

test("a wake-up request wakes a suspended guest with no wake source (reason: request)", async () => {
  const { vm, out, events } = withConsole({
    board: { cpus: 2, ramSize: 64 << 20, psciConduit: "hvc", systemSuspend: true },
    image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 3 })) },
  });
  vm.start();
  await waitFor(() => vm.state === "suspended", 30_000, "the suspend");
  assert.equal(vm.board.vcpus[0].getMpState(), MpState.SUSPENDED);
  await sleep(200);
  assert.equal(vm.state, "suspended", "nothing wakes it");
  vm.wakeup();
  assert.equal(await vm.finished, "shutdown");
  assert.match(out.text, /resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact\n$/);
  const woken = events.find((e) => e.event === "woken");
  assert.ok(woken?.event === "woken" && woken.reason === "request" && woken.intid === null);
  for (const e of events) {
    const j = JSON.parse(JSON.stringify(e));
    assert.equal(typeof j.event, "string");
    assert.ok(!Number.isNaN(Date.parse(j.timestamp)));
  }
  vm.close();
});

test("a system reset from the host reboots the guest and keeps it running", async () => {
  const { vm, out, events } = withConsole(tickSpec());
  try {
    vm.start();
    await waitFor(() => ticks(out.text).length >= 3, 30_000, "ticks");
    // Taken before the reset: the guest runs again (and may print its first tick) before reset() resolves.
    const from = out.text.length;
    await vm.reset();
    assert.equal(vm.state, "running");
    await waitFor(() => /^tick 0 /m.test(out.text.slice(from)), 30_000, "the first tick after the reset");
    assert.ok(events.some((e) => e.event === "reset" && e.reason === "host"));
  } finally {
    await vm.stop();
    vm.close();
  }
});

test("a suspended VM saved by its policy, restored into paused, resumes as suspended and wakes on request", async () => {
  const host = nodeHost();
  const path = join(dir, "suspended.snap");
  const a = new VirtualMachine(
    {
      board: { cpus: 2, ramSize: 64 << 20, psciConduit: "hvc", systemSuspend: true },
      image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 3 })) },
    },
    host,
    { policy: { onSuspend: "save", snapshotPath: path } },
  );
  const aEvents: VmEvent[] = [];
  a.on((e) => aEvents.push(e));
  a.start();
  assert.equal(await a.finished, "saved");
  a.close();
  assert.deepEqual(
    aEvents.map((e) => e.event),
    ["started", "suspended", "saved"],
  );
  const snap = readSnapshot(path, host.snapshots);
  assert.equal(snap.header.runState, "suspended");
  const { vm, out, events } = withConsole({ board: snap.header.config });
  await vm.restore(snap, path, { into: "paused" });
  assert.equal(vm.state, "paused");
  await vm.resume();
  assert.equal(vm.state, "suspended", "it was suspended when saved");
  vm.wakeup();
  assert.equal(await vm.finished, "shutdown");
  assert.match(out.text, /resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact\n$/);
  assert.deepEqual(
    events.map((e) => e.event),
    ["restored", "resumed", "woken", "shutdown"],
  );
  vm.close();
});

test("pauses and snapshots fall between MMIO accesses: a guest reading the UART misses and repeats no byte", async () => {
  const host = nodeHost();
  const N = 3000;
  const input = Buffer.alloc(N);
  for (let i = 0; i < N; i++) input[i] = 0x20 + ((i * 7919) % 95);
  let hash = 2166136261;
  for (const c of input) hash = Math.imul(hash ^ c, 16777619) >>> 0;
  let cur = withConsole({
    board: { cpus: 1, ramSize: 32 << 20, psciConduit: "hvc" },
    image: { kind: "binary", bytes: readFileSync(buildGuest("console", { VARIANT: 0, EXPECT: N })) },
  });
  cur.vm.start();
  await waitFor(() => /ready\n/.test(cur.out.text), 30_000, "the guest");
  // Each chunk is still being read (one MMIO exit per FR poll and per DR read) when the pause lands.
  let sent = 0;
  for (let i = 0; i < 20; i++, sent += 50) {
    cur.vm.sendConsole(input.subarray(sent, sent + 50));
    await cur.vm.pause();
    await cur.vm.resume();
  }
  // Then eight generations: a chunk, a pause mid-read, a snapshot, and a new VM from it.
  for (let gen = 0; gen < 8; gen++, sent += 100) {
    cur.vm.sendConsole(input.subarray(sent, sent + 100));
    await cur.vm.pause();
    const path = join(dir, `uart-${gen}.snap`);
    await cur.vm.save(path, { as: "running" });
    await cur.vm.stop();
    cur.vm.close();
    assert.doesNotMatch(cur.out.text, /got \d+ bytes/, "the guest had not finished");
    const snap = readSnapshot(path, host.snapshots);
    cur = withConsole({ board: snap.header.config });
    await cur.vm.restore(snap, path, { into: "saved" });
  }
  cur.vm.sendConsole(input.subarray(sent));
  // A lost byte leaves the guest waiting for one more: that is a failure, not a hang.
  await waitFor(
    () => cur.vm.state === "shutdown",
    60_000,
    `the guest's report (it has: ${JSON.stringify(cur.out.text.slice(-80))})`,
  ).finally(() => cur.vm.state === "shutdown" || cur.vm.stop());
  assert.match(cur.out.text, new RegExp(`got ${N} bytes, fnv1a 0x${hash.toString(16).padStart(16, "0")}\\n`));
  cur.vm.close();
});
