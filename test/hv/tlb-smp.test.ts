// Two vCPUs on one thread share the core's TLB when their translation registers are the same
// (src/cpu/cpu.ts restoreContext): a bare-metal guest (test/guests/tlb-smp) checks that no
// translation one vCPU cached is ever stale for the other — after a remap with TLBI VAE1IS by
// one vCPU, and between vCPUs on different tables and ASIDs — interpreted, with every block
// compiled, and under QEMU (the guest's own reference).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { buildGuest } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";

const EXPECTED = "tlb-smp: ok rounds=300\n";

test("no vCPU sees a translation that is stale for it: remaps with TLBI VAE1IS, other tables and ASIDs", () => {
  const elf = buildGuest("tlb-smp");
  const q = spawnSync(
    "qemu-system-aarch64",
    [
      "-M",
      "virt,gic-version=3",
      "-cpu",
      "cortex-a57",
      "-smp",
      "2",
      "-m",
      "128M",
      "-nographic",
      "-nic",
      "none",
      "-monitor",
      "none",
      "-kernel",
      elf,
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout, EXPECTED, "QEMU runs the guest to its end");
  for (const jit of ["off", "1", "default"]) {
    const env = { ...process.env };
    if (jit === "default") delete env.DORMOUSE_JIT;
    else env.DORMOUSE_JIT = jit;
    const r = spawnSync(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), "run", elf, "--smp", "2"], {
      encoding: "utf8",
      timeout: 120_000,
      env,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED, `DORMOUSE_JIT=${jit}`);
  }
});
