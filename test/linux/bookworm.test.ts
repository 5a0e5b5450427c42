// A second guest: Debian bookworm's 6.1 kernel (its modules inside the image package, its Image
// gzip-compressed) boots to the kit's shell on one vCPU, loads the modules, and sleeps and wakes
// through SYSTEM_SUSPEND with a tmpfs checksum intact.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { GuestConsole } from "../support/guest-console.ts";
import { repoRoot } from "../support/toolchain.ts";
import { nodeHost } from "../../src/host/node/index.ts";

test("Debian bookworm's 6.1 kernel on one vCPU: shell, modules, suspend-to-RAM woken by the console", { timeout: 900_000 }, async () => {
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"), { suite: "bookworm" });
  assert.match(kit.versions.kernelPackage, /^linux-image-6\.1\./);
  let con: GuestConsole | null = null;
  const vm = new VirtualMachine(
    {
      board: {
        cpus: 1,
        ramSize: 256 << 20,
        psciConduit: "hvc",
        systemSuspend: true,
        bootargs: "console=ttyAMA0 quiet no_console_suspend",
        rng: true,
      },
      image: { kind: "linux", kernel: readFileSync(kit.kernel), initrd: readFileSync(kit.initramfs) },
    },
    nodeHost(),
    { console: (b) => con?.push(String.fromCharCode(b)) },
  );
  con = new GuestConsole((s) => vm.sendConsole(Buffer.from(s, "latin1")));
  const c = con;
  let suspended = 0;
  let woken = 0;
  vm.on((e) => {
    if (e.event === "suspended") suspended++;
    if (e.event === "woken") woken++;
  });
  vm.start();
  const finished = vm.finished;
  try {
    await c.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
    assert.match(await c.sh("uname -r"), /^6\.1\./m);
    assert.match(await c.sh("cat /sys/devices/system/cpu/online"), /^0\s*$/m);
    const mods = await c.sh("lsmod");
    for (const m of ["virtio_mmio", "virtio_blk", "virtio_rng", "gpio_keys", "sbsa_gwdt"]) assert.match(mods, new RegExp(`^${m}\\b`, "m"));
    assert.match(await c.sh("cat /sys/power/mem_sleep"), /\[deep\]/);
    const sum = (await c.sh("dd if=/dev/urandom of=tmp/blob bs=1k count=128 2>/dev/null; md5sum tmp/blob")).match(/[0-9a-f]{32}/)?.[0];
    assert.ok(sum);
    const from = c.text.length;
    c.send(`echo enabled > /sys/class/tty/ttyAMA0/power/wakeup; echo mem > /sys/power/state; echo "@@$((30+3))@@"\n`);
    for (let i = 0; i < 1200 && suspended === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(suspended, 1, `SYSTEM_SUSPEND reached; console tail:\n${c.text.slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(c.text.slice(from), /@@33@@/, "still asleep");
    vm.sendConsole(Buffer.from("\n"));
    await c.wait(/@@33@@/, from, 120_000, "the resume");
    assert.equal(woken, 1);
    assert.ok((await c.sh("md5sum tmp/blob")).includes(sum));
    assert.doesNotMatch(await c.sh("dmesg"), /psci.*(fail|error)/i);
  } finally {
    c.send("poweroff -f\n");
  }
  assert.equal(await finished, "shutdown");
  vm.close();
});
