// npm run bench:suspend — a freshly booted 1 GiB guest (the guest kit's kernel, 2 vCPUs) suspends
// to disk (--on-suspend save=FILE), is saved again and resumed several times, and an in-place
// suspend is woken by a console key; and the same guest, running its shell, paused and
// snapshotted through the VM object. Prints (medians of RUNS runs, wall-clock and CPU seconds)
//   suspend-bench: snapshot_mb=<size> save_s=<s> save_cpu_s=<s> resume_s=<s> resume_cpu_s=<s> restore_s=<s> runs=<n> wake_ms=<ms> pause_ms=<ms> snapshot_running_s=<s> snapshot_running_mb=<size>
// save: the suspended guest saved until the snapshot is on disk (the VMM's own measurement; the
// snapshot restored as saved in this process, then saved; CPU: this process, every thread);
// resume: `dormouse resume` started (with a key already waiting) until the guest runs at its
// resume entry point (CPU: every thread of that process, from its schedstat); restore: the part
// of it the VMM measures (reading the snapshot into the new board); wake: a key sent to the
// suspended guest until it runs again; pause: the request until every vCPU has stopped (the
// median of 10, the guest busy in a shell loop); snapshot_running: pause, save and resume of the
// running guest.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeHost } from "../../src/host/node/index.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { readSnapshot } from "../../src/vmm/snapshot.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { DormouseProcess, GuestConsole } from "../../test/support/guest-console.ts";
import { bundleIsCurrent, cpuSeconds } from "./proc.ts";

const root = join(import.meta.dirname, "../..");
const kit = guestKit(join(root, ".cache/guest-kit"), { log: (m) => console.error(`bench:suspend: ${m}`) });
const dir = mkdtempSync(join(tmpdir(), "dormouse-bench-"));
const snap = join(dir, "guest.snap");
const now = () => Number(process.hrtime.bigint()) / 1e6;
const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

if (!bundleIsCurrent(root)) throw new Error("the CLI bundle is missing or older than the sources: run npm run build first");
try {
  const first = new DormouseProcess([
    ...["run", "--kernel", kit.kernel, "--initrd", kit.initramfs, "--smp", "2", "--memory", "1G"],
    ...["--append", "console=ttyAMA0 quiet", "--on-suspend", `save=${snap}`, "-v"],
  ]);
  await first.console.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
  await first.console.sh("echo enabled > /sys/class/tty/ttyAMA0/power/wakeup");
  first.console.send("echo mem > /sys/power/state\n");
  if ((await first.end(300_000)) !== 0) throw new Error(`saving failed: ${first.stderr.slice(-500)}`);
  const saved = /saved the suspended VM to .* \((\d+) bytes in ([\d.]+) s\)/.exec(first.stderr);
  if (!saved) throw new Error(`no save report: ${first.stderr.slice(-500)}`);
  console.error(`bench:suspend: saved on SYSTEM_SUSPEND in ${saved[2]} s (${saved[1]} bytes)`);

  // Saved again, RUNS times: the snapshot restored as saved (suspended) in this process, then saved.
  const host = nodeHost();
  const saves: number[] = [];
  const saveCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = readSnapshot(snap, host.snapshots);
    const vm = new VirtualMachine({ board: s.header.config }, host);
    await vm.restore(s, snap, { into: "saved" });
    const c0 = process.cpuUsage();
    const { seconds } = await vm.save(join(dir, `again-${i}.snap`));
    const c = process.cpuUsage(c0);
    saves.push(seconds);
    saveCpu.push((c.user + c.system) / 1e6);
    vm.close();
  }

  // Resumed RUNS times, each in a new process, a key waiting to wake the guest.
  const resumes: number[] = [];
  const resumeCpu: number[] = [];
  const restores: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = now();
    const p = new DormouseProcess(["resume", snap, "-v"]);
    p.console.send("\n");
    await p.waitLog(/woken, resuming at/, 60_000, "the resumed guest running");
    resumes.push((now() - t0) / 1000);
    resumeCpu.push(cpuSeconds(p.proc.pid as number));
    restores.push(Number(/restored .* in ([\d.]+) s/.exec(p.stderr)?.[1]));
    p.proc.kill("SIGKILL");
    await p.end();
  }

  const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(" ");
  console.error(`bench:suspend: save_s ${list(saves)}; save_cpu_s ${list(saveCpu)}`);
  console.error(`bench:suspend: resume_s ${list(resumes)}; resume_cpu_s ${list(resumeCpu)}; restore_s ${list(restores)}`);

  const second = new DormouseProcess(["resume", snap, "-v"]);
  second.console.send("\n");
  await second.waitLog(/woken, resuming at/, 60_000, "the resumed guest running");
  await second.console.sh("true", 120_000);
  const before = second.stderr.length;
  second.console.send("echo mem > /sys/power/state\n");
  await second.waitLog(/suspended/, 120_000, "the in-place suspend", before);
  await new Promise((r) => setTimeout(r, 1000));
  const woken = second.stderr.length;
  const w0 = now();
  second.console.send("\n");
  await second.waitLog(/woken, resuming at/, 60_000, "the wake", woken);
  const wakeMs = now() - w0;
  second.console.send("poweroff -f\n");
  await second.end(60_000);

  // Pause and snapshot a running guest through the VM object.
  let con: GuestConsole | null = null;
  const vm = new VirtualMachine(
    {
      board: { cpus: 2, ramSize: 1 << 30, psciConduit: "hvc", systemSuspend: true, bootargs: "console=ttyAMA0 quiet", rng: true },
      image: { kind: "linux", kernel: readFileSync(kit.kernel), initrd: readFileSync(kit.initramfs) },
    },
    nodeHost(),
    { console: (b) => con?.push(String.fromCharCode(b)) },
  );
  con = new GuestConsole((t) => vm.sendConsole(Buffer.from(t, "latin1")));
  const pauses: number[] = [];
  let runningBytes = 0;
  vm.on((e) => {
    if (e.event === "paused") pauses.push(e.ms);
    if (e.event === "saved") runningBytes = e.bytes;
  });
  vm.start();
  await con.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
  con.send("while true; do i=$((i+1)); done &\n");
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 200));
    await vm.pause();
    await vm.resume();
  }
  const pauseMs = median(pauses);
  const t1 = now();
  await vm.snapshot(join(dir, "running.snap"));
  const snapshotRunningS = (now() - t1) / 1000;
  await vm.stop();
  vm.close();

  console.log(
    [
      `suspend-bench: snapshot_mb=${(statSync(snap).size / 1048576).toFixed(1)}`,
      `save_s=${median(saves).toFixed(3)} save_cpu_s=${median(saveCpu).toFixed(3)}`,
      `resume_s=${median(resumes).toFixed(3)} resume_cpu_s=${median(resumeCpu).toFixed(3)} restore_s=${median(restores).toFixed(3)} runs=${RUNS}`,
      `wake_ms=${wakeMs.toFixed(1)} pause_ms=${pauseMs.toFixed(2)}`,
      `snapshot_running_s=${snapshotRunningS.toFixed(2)} snapshot_running_mb=${(runningBytes / 1048576).toFixed(1)}`,
    ].join(" "),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
