// Debian's Linux uses the core's self-hosted debug: it finds the breakpoint and watchpoint
// registers at boot, and a program in the guest (test/linux/hwdebug.c, built static with the
// cross toolchain and added to the guest kit's initramfs) debugs its child through ptrace as gdb
// does: a hardware watchpoint on a store, a hardware breakpoint, and single steps.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { S_IFREG, writeCpio } from "../../src/machine/cpio.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { GuestConsole } from "../support/guest-console.ts";
import { gcc, repoRoot } from "../support/toolchain.ts";

test("Linux: hw-breakpoint registers found; ptrace watchpoint, breakpoint and single step in the guest", { timeout: 900_000 }, async () => {
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"));
  const program = gcc(
    { "hwdebug.c": readFileSync(join(import.meta.dirname, "hwdebug.c"), "utf8") },
    ["-O2", "-static", "-Wall", "-Werror"],
    "hwdebug",
  );
  // A second archive after the kit's: Linux unpacks both into the initramfs.
  const extra = writeCpio([{ name: "hwdebug", mode: S_IFREG | 0o755, data: readFileSync(program) }]);
  const initramfs = Buffer.concat([readFileSync(kit.initramfs), extra]);

  const con = new GuestConsole((t) => vm.sendConsole(Buffer.from(t, "latin1")));
  const vm = new VirtualMachine(
    {
      board: { cpus: 2, ramSize: 512 << 20, psciConduit: "hvc", bootargs: "console=ttyAMA0 quiet" },
      image: { kind: "linux", kernel: readFileSync(kit.kernel), initrd: initramfs },
    },
    nodeHost(),
    { console: (b) => con.push(String.fromCharCode(b)) },
  );
  try {
    vm.start();
    await con.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
    assert.match(await con.sh("dmesg | grep hw-breakpoint"), /hw-breakpoint: found 6 breakpoint and 4 watchpoint registers\./);
    const out = await con.sh("/hwdebug", 300_000);
    assert.match(out, /slots: 6 breakpoints, 4 watchpoints/);
    assert.match(out, /^hwdebug: ok\s*$/m, out);
    assert.doesNotMatch(out, /FAILED/);
    vm.sendConsole(Buffer.from("poweroff -f\n"));
    assert.equal(await vm.finished, "shutdown");
  } finally {
    // A failed check must not leave the vCPUs running (the test process would never exit).
    if (vm.state !== "shutdown") await vm.stop().catch(() => {});
    vm.close();
  }
});
