// The VM object's lifecycle with Debian's Linux (npm run e2e:lifecycle, and test/linux): a guest
// kit VM driven through the object's API — saved while paused and restored paused into a new VM;
// 20 pause/resume cycles while the guest writes a tmpfs file (checksum intact, the guest's uptime
// without the paused time); each wake source reported with its reason; a snapshot taken while
// dd writes to a virtio disk, restored running in a new process whose shell answers, the disk
// complete and correct; and two --deterministic runs of a bare-metal guest with device timers
// giving identical output.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeHost } from "../../src/host/node/index.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import type { VmEvent } from "../../src/vmm/events.ts";
import { readSnapshot } from "../../src/vmm/snapshot.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { DormouseProcess, GuestConsole } from "./guest-console.ts";
import { buildGuest } from "./guests.ts";
import { md5, readAt } from "./linux-e2e.ts";
import { repoRoot } from "./toolchain.ts";

/** The checks, in the order of the summary line. */
export const LIFECYCLE_CHECKS = [
  "pause_resume",
  "snapshot_running",
  "restore_running",
  "snapshot_paused",
  "io_in_flight",
  "wake_reason",
  "deterministic_devices",
] as const;
export type LifecycleCheck = (typeof LIFECYCLE_CHECKS)[number];

export interface LifecycleResult {
  ok: Partial<Record<LifecycleCheck, boolean>>;
  /** What went wrong, check by check. */
  failures: string[];
  /** Measurements: pause latency (ms, the largest of the cycles), the running snapshot's save time (s). */
  figures: Record<string, number>;
}

const APPEND = "console=ttyAMA0 quiet no_console_suspend";
const MIB = 1 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Check extends Error {}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Check(what);
}

/** An in-process VM with its console and events. */
function attach(vm: VirtualMachine, con: { c: GuestConsole | null }) {
  const events: VmEvent[] = [];
  const waiters: { pred: (e: VmEvent) => boolean; resolve: (e: VmEvent) => void }[] = [];
  vm.on((e) => {
    events.push(e);
    for (const w of waiters.splice(0)) {
      if (w.pred(e)) w.resolve(e);
      else waiters.push(w);
    }
  });
  const c = new GuestConsole((s) => vm.sendConsole(Buffer.from(s, "latin1")));
  con.c = c;
  const next = (pred: (e: VmEvent) => boolean, ms: number, what: string) =>
    new Promise<VmEvent>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} within ${ms / 1000} s; console tail:\n${c.text.slice(-800)}`)), ms);
      waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  return { c, events, next };
}

/** Runs the whole scenario; never throws (failures are collected). */
export async function lifecycleE2e(opts: { log?: (m: string) => void } = {}): Promise<LifecycleResult> {
  const log = opts.log ?? (() => {});
  const r: LifecycleResult = { ok: {}, failures: [], figures: {} };
  const stage = async (names: LifecycleCheck[], fn: () => Promise<void>) => {
    try {
      await fn();
      for (const n of names) r.ok[n] ??= true;
      log(`${names.join(", ")}: ok`);
    } catch (e) {
      for (const n of names) if (r.ok[n] !== true) r.ok[n] = false;
      r.failures.push(`${names.join(", ")}: ${(e as Error).message}`);
      log(`${names.join(", ")}: FAILED: ${(e as Error).message}`);
    }
  };
  const host = nodeHost();
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"), { log });
  const dir = mkdtempSync(join(tmpdir(), "dormouse-lifecycle-e2e-"));
  const disk = join(dir, "disk.img");
  writeFileSync(disk, Buffer.alloc(16 * MIB));
  const s0 = join(dir, "paused.snap");
  const s1 = join(dir, "running.snap");
  const spec = {
    board: {
      cpus: 2,
      ramSize: 256 * MIB,
      psciConduit: "hvc" as const,
      systemSuspend: true,
      bootargs: APPEND,
      disks: [{ path: disk }],
      rng: true,
    },
    image: { kind: "linux" as const, kernel: readFileSync(kit.kernel), initrd: readFileSync(kit.initramfs) },
  };
  const vms: VirtualMachine[] = [];
  const procs: DormouseProcess[] = [];
  let sum = "";
  let srcSum = "";
  try {
    // 1. Boot, write a tmpfs file, pause, save while paused; the first VM ends there.
    let vm2: VirtualMachine | null = null;
    const con2 = { c: null as GuestConsole | null };
    let io2: ReturnType<typeof attach> | null = null;
    await stage(["snapshot_paused"], async () => {
      const con1 = { c: null as GuestConsole | null };
      const vm1 = new VirtualMachine(spec, host, { console: (b) => con1.c?.push(String.fromCharCode(b)) });
      vms.push(vm1);
      const { c } = attach(vm1, con1);
      vm1.start();
      await c.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
      sum = (await c.sh("dd if=/dev/urandom of=tmp/blob bs=1k count=256 2>/dev/null; md5sum tmp/blob")).match(/[0-9a-f]{32}/)?.[0] ?? "";
      check(sum, "checksum of the tmpfs file");
      await vm1.pause();
      const saved = await vm1.save(s0);
      check(vm1.state === "paused", `still paused after the save (${vm1.state})`);
      log(`saved the paused VM: ${(saved.bytes / MIB).toFixed(1)} MiB in ${saved.seconds.toFixed(2)} s`);
      await vm1.stop();
      vm1.close();

      // Restored as saved: paused; nothing runs until it is resumed.
      const snap = readSnapshot(s0, host.snapshots);
      check(snap.header.runState === "paused", `the snapshot says ${snap.header.runState}`);
      vm2 = new VirtualMachine({ board: snap.header.config }, host, { console: (b) => con2.c?.push(String.fromCharCode(b)) });
      vms.push(vm2);
      io2 = attach(vm2, con2);
      await vm2.restore(snap, s0, { into: "saved" });
      check(vm2.state === "paused", `restored as ${vm2.state}`);
      io2.c.send("echo restored-marker\n");
      await sleep(500);
      check(io2.c.text === "", "a paused VM runs nothing (its shell does not even echo what was typed)");
      await vm2.resume();
      check((vm2.state as string) === "running", "running after resume");
      check((await io2.c.sh("md5sum tmp/blob", 120_000)).includes(sum), "the tmpfs file after the paused restore");
    });
    if (!vm2 || !io2) return r;
    const vm = vm2 as VirtualMachine;
    const { c, next } = io2 as ReturnType<typeof attach>;

    // 2. Twenty pause/resume cycles while the guest writes a tmpfs file.
    await stage(["pause_resume"], async () => {
      await c.sh("dd if=/dev/urandom of=tmp/src bs=1k count=1024 2>/dev/null; rm -f tmp/f tmp/done");
      const want = (await c.sh("md5sum tmp/src")).match(/[0-9a-f]{32}/)?.[0];
      check(want, "checksum of the source file");
      const uptime = async () => Number(/^(\d+\.\d+) /m.exec(await c.sh("cat /proc/uptime"))?.[1]);
      const up0 = await uptime();
      const t0 = Date.now();
      c.send(
        "(i=0; while [ $i -lt 64 ]; do dd if=tmp/src of=tmp/f bs=16k count=1 skip=$i seek=$i conv=notrunc 2>/dev/null; i=$((i+1)); done; echo writer-$((40+2))-done) &\n",
      );
      let pausedMs = 0;
      let worst = 0;
      for (let i = 0; i < 20; i++) {
        await sleep(150);
        const p = next((e) => e.event === "paused", 30_000, "the paused event");
        await vm.pause();
        const e = await p;
        if (e.event === "paused") worst = Math.max(worst, e.ms);
        const text = c.text.length;
        const p0 = Date.now();
        await sleep(250);
        check(c.text.length === text, `no output while paused (cycle ${i})`);
        await vm.resume();
        pausedMs += Date.now() - p0;
      }
      r.figures.pause_ms = worst;
      await c.wait(/writer-42-done/, 0, 300_000, "the writer");
      const up1 = await uptime();
      const wall = (Date.now() - t0) / 1000;
      const guest = up1 - up0;
      const expected = wall - pausedMs / 1000;
      check(
        Math.abs(guest - expected) < 2,
        `guest uptime grew ${guest.toFixed(2)} s in ${wall.toFixed(2)} s with ${(pausedMs / 1000).toFixed(2)} s paused`,
      );
      check((await c.sh("md5sum tmp/f")).includes(want), "the file written across the pauses is intact");
      check((await c.sh("md5sum tmp/blob")).includes(sum), "the earlier tmpfs file is intact");
    });

    // 3. Each wake source, reported with its reason.
    await stage(["wake_reason"], async () => {
      await c.sh("echo enabled > /sys/class/tty/ttyAMA0/power/wakeup");
      const sources: [string, string, () => void][] = [
        ["console", "", () => vm.sendConsole(Buffer.from("\n"))],
        ["rtc", "echo +3 > /sys/class/rtc/rtc0/wakealarm; ", () => {}],
        ["power-button", "", () => vm.pressPowerButton()],
        ["request", "", () => vm.wakeup()],
      ];
      const seen: string[] = [];
      for (const [reason, before, wake] of sources) {
        const from = c.text.length;
        const suspended = next((e) => e.event === "suspended", 120_000, `the suspend before the ${reason} wake`);
        const woken = next((e) => e.event === "woken", 300_000, `the ${reason} wake`);
        c.send(`${before}echo mem > /sys/power/state; echo "@@$((80+${seen.length}))@@"\n`);
        await suspended;
        await sleep(500);
        check(vm.state === "suspended", `suspended before the ${reason} wake (${vm.state})`);
        wake();
        const e = await woken;
        check(e.event === "woken" && e.reason === reason, `woken by ${reason}, reported as ${JSON.stringify(e)}`);
        await c.wait(new RegExp(`@@${80 + seen.length}@@`), from, 120_000, `the shell after the ${reason} wake`);
        seen.push(reason);
      }
      check((await c.sh("md5sum tmp/blob")).includes(sum), "the tmpfs file after the wakes");
    });

    // 4. A snapshot while dd writes to the disk; the first VM stops there; a new process continues it.
    await stage(["snapshot_running", "restore_running", "io_in_flight"], async () => {
      srcSum =
        (await c.sh("dd if=/dev/urandom of=tmp/disk-src bs=64k count=64 2>/dev/null; md5sum tmp/disk-src")).match(/[0-9a-f]{32}/)?.[0] ??
        "";
      check(srcSum, "checksum of the disk source");
      const from = c.text.length;
      c.send(
        "(i=0; while [ $i -lt 64 ]; do dd if=tmp/disk-src of=/dev/vda bs=64k count=1 skip=$i seek=$i conv=fsync 2>/dev/null; echo blk-$i; i=$((i+1)); done; echo dd-$((40+2))-done) &\n",
      );
      await c.wait(/blk-8\b/, from, 300_000, "dd under way");
      await vm.pause();
      check(!/dd-42-done/.test(c.text.slice(from)), "dd was still writing when the VM paused");
      const done = /blk-(\d+)\b(?![\s\S]*blk-\d)/.exec(c.text.slice(from))?.[1];
      const saved = await vm.save(s1, { as: "running" });
      r.figures.snapshot_running_s = saved.seconds;
      log(`snapshot of the running VM (dd at block ${done}): ${(saved.bytes / MIB).toFixed(1)} MiB in ${saved.seconds.toFixed(2)} s`);
      await vm.stop();
      vm.close();
      r.ok.snapshot_running = true;

      const p = new DormouseProcess(["resume", s1, "-v"]);
      procs.push(p);
      await p.waitLog(/restored .* running/, 120_000, "the restore");
      await p.console.wait(/dd-42-done/, 0, 300_000, "dd finishing in the restored VM");
      check(/^hello-restored\s*$/m.test(await p.console.sh("echo hello-$((0))restored | tr -d 0")), "the restored shell answers");
      r.ok.restore_running = true;
      const inGuest = await p.console.sh("echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=64k count=64 2>/dev/null | md5sum");
      check(inGuest.includes(srcSum), `the disk as the guest reads it (${inGuest.trim()})`);
      p.console.send("poweroff -f\n");
      check((await p.end(120_000)) === 0, `the restored VM powers off cleanly (${p.stderr.slice(-300)})`);
      check(md5(readAt(disk, 0, 64 * 64 * 1024)) === srcSum, "the disk image holds every block dd wrote");
    });

    // 5. Device timers under --deterministic: two runs, identical output.
    await stage(["deterministic_devices"], async () => {
      const elf = buildGuest("console", { VARIANT: 2 });
      const run = () =>
        spawnSync(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), "run", elf, "--deterministic"], {
          encoding: "utf8",
          timeout: 300_000,
        });
      const a = run();
      const b = run();
      check(a.status === 0 && b.status === 0, `both runs exit 0 (${a.stderr}${b.stderr})`);
      check(
        (a.stdout.match(/^ws0 after \d+ iterations/gm) ?? []).length === 3 &&
          /^rtc alarm after \d+ iterations, rtc 946684801,/m.test(a.stdout),
        `the guest's report:\n${a.stdout}`,
      );
      check(a.stdout === b.stdout, `identical output:\n${a.stdout}\n---\n${b.stdout}`);
    });
  } catch (e) {
    r.failures.push(`scenario: ${(e as Error).message}`);
  } finally {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
    for (const v of vms) {
      if (v.state === "running" || v.state === "paused" || v.state === "suspended") await v.stop();
      v.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

/** The summary line npm run e2e:lifecycle prints. */
export function lifecycleSummary(r: LifecycleResult): string {
  return `vm-lifecycle: ${LIFECYCLE_CHECKS.map((k) => `${k}=${r.ok[k] ? "ok" : "fail"}`).join(" ")}`;
}
