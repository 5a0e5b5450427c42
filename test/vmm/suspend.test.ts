// The first sleeping guest: SYSTEM_SUSPEND on two vCPUs through the board, the VMM's power
// policy and the dormouse command (issue 3).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { VmEvent } from "../../src/vmm/events.ts";
import { readSnapshot } from "../../src/vmm/snapshot.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { buildGuest, symbolAddress } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";
import { nodeHost } from "../../src/host/node/index.ts";

const BOARD = { cpus: 2, ramSize: 64 << 20, psciConduit: "hvc", systemSuspend: true } as const;

async function runGuest(variant: number, policy: "honour" | "deny" = "honour") {
  let out = "";
  const vm = new VirtualMachine(
    { board: BOARD, image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: variant })) } },
    nodeHost(),
    {
      policy: { onSuspend: policy },
      console: (b) => (out += String.fromCharCode(b)),
    },
  );
  const events: VmEvent[] = [];
  vm.on((e) => events.push(e));
  vm.start();
  const state = await vm.finished;
  vm.close();
  return { out, state, events };
}

const RESUMED = "resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact\n";

test("timer wake: the guest resumes at its entry with the MMU off, x0 = context id, RAM intact", async () => {
  const t0 = Date.now();
  const { out, state, events } = await runGuest(0);
  assert.equal(state, "shutdown");
  assert.match(out, /secondary off\n/);
  assert.ok(out.endsWith(RESUMED), out);
  const resume = symbolAddress(buildGuest("suspend", { VARIANT: 0 }), "resume_entry");
  assert.deepEqual(
    events.map(({ timestamp: _t, ...e }) => e),
    [
      { event: "started" },
      { event: "suspended", vcpu: 0 },
      { event: "woken", reason: "timer", intid: 27, vcpu: 0, pc: `0x${resume.toString(16)}` },
      { event: "shutdown", reason: "guest" },
    ],
  );
  assert.ok(
    events.every((e) => !Number.isNaN(Date.parse(e.timestamp))),
    "every event is timestamped",
  );
  assert.ok(Date.now() - t0 >= 150, "slept until the 200 ms timer fired");
});

test("a wake source already pending wakes the guest at once", async () => {
  const { out, state } = await runGuest(1);
  assert.equal(state, "shutdown");
  assert.ok(out.endsWith(RESUMED), out);
});

test("SYSTEM_SUSPEND with the secondary still on is DENIED", async () => {
  const { out, state, events } = await runGuest(2);
  assert.equal(state, "shutdown");
  assert.ok(events.some((e) => e.event === "suspend_denied"));
  assert.match(out, /SYSTEM_SUSPEND returned 0xfffffffffffffffd \(DENIED\)\n$/);
});

test("--on-suspend deny answers DENIED even with the secondary off", async () => {
  const { out } = await runGuest(0, "deny");
  assert.match(out, /secondary off\n/);
  assert.match(out, /\(DENIED\)\n$/);
});

test("dormouse run prints the guest's resume report and exits 0", () => {
  const r = spawnSync(join(repoRoot, "bin/dormouse.mjs"), ["run", buildGuest("suspend", { VARIANT: 0 }), "--smp", "2"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.endsWith(RESUMED), r.stdout);
});

test("dormouse run: bad input is a clear error with a nonzero exit", () => {
  const cli = join(repoRoot, "bin/dormouse.mjs");
  const missing = spawnSync(cli, ["run", join(repoRoot, "no-such-image")], { encoding: "utf8" });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /cannot read the image .*no-such-image: no such file/);
  const text = spawnSync(cli, ["run", join(repoRoot, "README.md")], { encoding: "utf8", timeout: 30_000 });
  assert.notEqual(text.status, 0);
  assert.match(text.stderr, /not a bare-metal image/);
  assert.doesNotMatch(text.stderr, /at .*\.ts:\d+/, "no stack trace");
  const smp = spawnSync(cli, ["run", buildGuest("suspend"), "--smp", "0"], { encoding: "utf8" });
  assert.equal(smp.status, 2, "a usage error");
  assert.match(smp.stderr, /--smp takes a whole number from 1 to 123, not "0"/);
});

test("the watchdog's countdown stops while the VM is suspended and continues after the wake", async () => {
  const vm = new VirtualMachine(
    { board: BOARD, image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 0 })) } },
    nodeHost(),
  );
  const { board } = vm;
  // Armed as a guest would (WOR = 60 s of 62.5 MHz ticks, then enabled): it never fires here.
  board.bus.write(0x090d_0008n, 4, 3_750_000_000n & 0xffff_ffffn);
  board.bus.write(0x090d_000cn, 4, 3_750_000_000n >> 32n);
  board.bus.write(0x090d_0000n, 4, 1n);
  const seen: { event: string; paused: boolean; left: bigint }[] = [];
  const left = () => board.watchdog.compareValue - board.vm.timers.counter();
  vm.on((e) => {
    if (e.event === "suspended" || e.event === "woken") seen.push({ event: e.event, paused: board.watchdog.isPaused, left: left() });
  });
  vm.start();
  assert.equal(await vm.finished, "shutdown");
  assert.deepEqual(
    seen.map((s) => [s.event, s.paused]),
    [
      ["suspended", true],
      ["woken", false],
    ],
  );
  // Paused for the ~200 ms sleep: the time left after the wake is what it was at the suspend
  // (less than a millisecond of 62.5 MHz ticks apart), not 200 ms less.
  const slept = seen[0].left - seen[1].left;
  assert.ok(slept >= 0n && slept < 62_500n, `countdown moved by ${slept} ticks while suspended`);
  assert.equal(board.watchdog.status & 6, 0, "neither WS0 nor WS1");
  vm.close();
});

test("the host's idle hook runs once the VM is suspended (honoured, restored or resumed suspended), not on a denied suspend", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-idle-"));
  try {
    const seen: string[] = [];
    const host = { ...nodeHost(), idle: () => seen.push(vm.state) };
    const spec = { board: BOARD, image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 0 })) } } as const;
    let vm = new VirtualMachine(spec, host);
    const events: string[] = [];
    vm.on((e) => events.push(`${e.event} (hook ran ${seen.length} times)`));
    vm.start();
    assert.equal(await vm.finished, "shutdown");
    vm.close();
    assert.deepEqual(seen, ["suspended"], "once, in the suspended state (the timer woke it after)");
    assert.deepEqual(
      events,
      ["started (hook ran 0 times)", "suspended (hook ran 1 times)", "woken (hook ran 1 times)", "shutdown (hook ran 1 times)"],
      "before the suspended event",
    );

    seen.length = 0;
    vm = new VirtualMachine(spec, host, { policy: { onSuspend: "deny" } });
    vm.start();
    assert.equal(await vm.finished, "shutdown");
    vm.close();
    assert.deepEqual(seen, [], "a denied suspend is no sleep");

    // Saved by its policy (that process ends with the save: no hook), then restored suspended
    // into a new VM, and restored paused and resumed: the hook runs as each one goes to sleep.
    const path = join(dir, "suspended.snap");
    vm = new VirtualMachine({ board: BOARD, image: { kind: "binary", bytes: readFileSync(buildGuest("suspend", { VARIANT: 3 })) } }, host, {
      policy: { onSuspend: "save", snapshotPath: path },
    });
    vm.start();
    assert.equal(await vm.finished, "saved");
    vm.close();
    assert.deepEqual(seen, []);
    for (const into of ["saved", "paused"] as const) {
      const snap = readSnapshot(path, host.snapshots);
      vm = new VirtualMachine({ board: snap.header.config }, host);
      const announced: string[] = [];
      vm.on((e) => announced.push(`${e.event} (hook ran ${seen.length} times)`));
      await vm.restore(snap, path, { into });
      if (into === "paused") {
        assert.deepEqual(seen, [], "not while paused");
        await vm.resume();
      }
      assert.equal(vm.state, "suspended");
      assert.deepEqual(seen, ["suspended"], `restored into ${into}`);
      assert.deepEqual(
        announced,
        into === "saved" ? ["restored (hook ran 1 times)"] : ["restored (hook ran 0 times)", "resumed (hook ran 1 times)"],
      );
      seen.length = 0;
      await vm.stop();
      vm.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
