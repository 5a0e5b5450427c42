// npm run bench:suspend — a freshly booted 1 GiB guest (the guest kit's kernel, 2 vCPUs) suspends
// to disk (--on-suspend save=FILE), a second process resumes it, and an in-place suspend is woken
// by a console key. Prints
//   suspend-bench: snapshot_mb=<size> save_s=<s> resume_s=<s> wake_ms=<ms>
// save: SYSTEM_SUSPEND honoured until the snapshot is on disk (the VMM's own measurement);
// resume: `dormouse resume` started (with a key already waiting) until the guest runs at its
// resume entry point; wake: a key sent to the suspended guest until it runs again.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { DormouseProcess } from "../../test/support/guest-console.ts";

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

  console.log(
    `suspend-bench: snapshot_mb=${(statSync(snap).size / 1048576).toFixed(1)} save_s=${Number(saved[2]).toFixed(2)} resume_s=${resumeS.toFixed(2)} wake_ms=${wakeMs.toFixed(1)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
