// Hibernation with Debian's kernel: swap on a virtio disk, `echo disk > /sys/power/state`, Linux
// writes its image and calls PSCI SYSTEM_OFF2, and dormouse reports a hibernated guest (not a
// powered-off one). Booting again with the same disk and resume=/dev/vda (the kit's /init hands
// the device to the kernel once virtio_blk is loaded) brings the guest back: both vCPUs, and a
// tmpfs file with its checksum.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { DormouseProcess } from "../support/guest-console.ts";
import { repoRoot } from "../support/toolchain.ts";

test("Linux hibernates through SYSTEM_OFF2 and the next boot resumes its image", { timeout: 900_000 }, async () => {
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"));
  const dir = mkdtempSync(join(tmpdir(), "dormouse-hibernate-"));
  const swap = join(dir, "swap.img");
  writeFileSync(swap, "");
  truncateSync(swap, 128 << 20);
  // Not quiet: the kernel's "hibernation exit" says the image was restored (a fresh boot prints
  // the kit's shell marker instead).
  const run = (append: string) =>
    new DormouseProcess([
      ...["run", "--kernel", kit.kernel, "--initrd", kit.initramfs, "--smp", "2", "--disk", swap],
      ...["--append", `console=ttyAMA0 no_console_suspend ${append}`],
    ]);
  const procs: DormouseProcess[] = [];
  try {
    const first = run("");
    procs.push(first);
    await first.console.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
    assert.match(await first.console.sh("mkswap /dev/vda >/dev/null; swapon /dev/vda; cat /proc/swaps"), /\/dev\/vda\s+partition/);
    const sum = (await first.console.sh("dd if=/dev/urandom of=tmp/blob bs=1k count=256 2>/dev/null; md5sum tmp/blob")).match(
      /[0-9a-f]{32}/,
    )?.[0];
    assert.ok(sum);
    first.console.send("echo disk > /sys/power/state\n");
    assert.equal(await first.end(300_000), 0, first.stderr);
    assert.match(first.stderr, /guest hibernated \(SYSTEM_OFF2\)/, "SYSTEM_OFF2, reported as hibernation");

    const second = run("resume=/dev/vda");
    procs.push(second);
    const m = await second.console.wait(/PM: hibernation: hibernation exit|dormouse-kit: shell ready/, 0, 600_000, "the resume");
    assert.match(m[0], /hibernation exit/, "the image was restored");
    const out = await second.console.sh("md5sum tmp/blob; cat /sys/devices/system/cpu/online", 120_000);
    assert.ok(out.includes(sum), "the tmpfs file came back");
    assert.match(out, /^0-1\s*$/m, "both vCPUs are back");
    second.console.send("poweroff -f\n");
    assert.equal(await second.end(120_000), 0);
  } finally {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
