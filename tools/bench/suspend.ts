// npm run bench:suspend — a freshly booted 1 GiB guest (the guest kit's kernel, 2 vCPUs) suspends
// to disk (--on-suspend save=FILE), a second process resumes it, and an in-place suspend is woken
// by a console key; and the same guest, running its shell, paused and snapshotted through the VM
// object. Prints
//   suspend-bench: snapshot_mb=<size> save_s=<s> resume_s=<s> wake_ms=<ms> pause_ms=<ms> snapshot_running_s=<s> snapshot_running_mb=<size>
// save: SYSTEM_SUSPEND honoured until the snapshot is on disk (the VMM's own measurement);
// resume: `dormouse resume` started (with a key already waiting) until the guest runs at its
// resume entry point; wake: a key sent to the suspended guest until it runs again; pause: the
// request until every vCPU has stopped (the median of 10, the guest busy in a shell loop);
// snapshot_running: pause, save and resume of the running guest.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeHost } from "../../src/host/node/index.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { DormouseProcess, GuestConsole } from "../../test/support/guest-console.ts";

const root = join(import.meta.dirname, "../..");
const kit = guestKit(join(root, ".cache/guest-kit"), { log: (m) => console.error(`bench:suspend: ${m}`) });
const dir = mkdtempSync(join(tmpdir(), "dormouse-bench-"));
const snap = join(dir, "guest.snap");
const now = () => Number(process.hrtime.bigint()) / 1e6;
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

  const t0 = now();
  const second = new DormouseProcess(["resume", snap, "-v"]);
  second.console.send("\n");
  await second.waitLog(/woken, resuming at/, 60_000, "the resumed guest running");
  const resumeS = (now() - t0) / 1000;

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
  const median = [...pauses].sort((a, b) => a - b)[pauses.length >> 1];
  const t1 = now();
  await vm.snapshot(join(dir, "running.snap"));
  const snapshotRunningS = (now() - t1) / 1000;
  await vm.stop();
  vm.close();

  console.log(
    `suspend-bench: snapshot_mb=${(statSync(snap).size / 1048576).toFixed(1)} save_s=${Number(saved[2]).toFixed(2)} resume_s=${resumeS.toFixed(2)} wake_ms=${wakeMs.toFixed(1)} pause_ms=${median.toFixed(2)} snapshot_running_s=${snapshotRunningS.toFixed(2)} snapshot_running_mb=${(runningBytes / 1048576).toFixed(1)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
