// Bare-metal guests (test/guests) built at test time and run to their semihosting exit on our
// core, and under qemu-system-aarch64 (virt, cortex-a57) as the reference: both must exit 0
// with the same console output. Guests built with -DQEMU_REF skip or adapt the few checks
// where QEMU 7.2 departs from the architecture (each is commented in the guest).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ASM_RUNTIME, buildGuest, C_RUNTIME, missingInstructions, runGuest, runGuestQemu } from "../support/baremetal.ts";

const guests: { file: string; expect: string; cflags?: string[] }[] = [
  { file: "exc.S", expect: "exc: start\nexc: ok\n" },
  { file: "el0.S", expect: "el0: start\nel0: ok\n" },
  { file: "mmu.S", expect: "mmu: start\nmmu: ok\n" },
  { file: "smc.S", expect: "smc: start\nsmc: ok\n" },
  { file: "fp.S", expect: "fp: start\nfp: ok\n" },
  { file: "mmu2.S", expect: "mmu2: start\nmmu2: ok\n" },
  { file: "align.S", expect: "align: start\nalign: ok\n" },
];

for (const g of guests) {
  const guest = buildGuest([...ASM_RUNTIME, g.file], { cflags: g.cflags });
  test(`bare-metal ${g.file} on our core`, () => {
    assert.deepEqual(missingInstructions(guest), [], "instructions the decoder does not know");
    const r = runGuest(guest, { budget: 5_000_000 });
    assert.equal(r.console, g.expect);
    assert.equal(r.code, 0, `exit status ${r.code} names the failed check in ${g.file}`);
  });
  test(`bare-metal ${g.file} under qemu-system-aarch64`, () => {
    const r = runGuestQemu(buildGuest([...ASM_RUNTIME, g.file], { cflags: ["-DQEMU_REF"] }));
    assert.equal(r.console, g.expect);
    assert.equal(r.code, 0, `exit status ${r.code} names the failed check in ${g.file}`);
  });
}

// C guests (crt0.S + bm.c): they need the load/store and register data-processing groups, so
// on our core they run once the decoder knows every instruction they contain.
const cGuests: { file: string; stdout: string; stderr: string; code: number; qemuStderr: string; qemuStdout: string }[] = [
  {
    file: "hello.c",
    stdout: "hello from C\nfib(50) = 12586269025\nto stdout\n",
    stderr: "to stderr\n",
    code: 7,
    qemuStderr: "hello from C\nfib(50) = 12586269025\nto stderr\n",
    qemuStdout: "to stdout\n",
  },
  { file: "excl.c", stdout: "excl: start\nexcl: ok\n", stderr: "", code: 0, qemuStderr: "excl: start\nexcl: ok\n", qemuStdout: "" },
];

for (const g of cGuests) {
  const guest = buildGuest([...C_RUNTIME, g.file]);
  test(`bare-metal ${g.file} on our core`, () => {
    assert.deepEqual(missingInstructions(guest), [], "instructions the decoder does not know");
    const r = runGuest(guest, { budget: 5_000_000 });
    assert.equal(r.stdout, g.stdout);
    assert.equal(r.stderr, g.stderr);
    assert.equal(r.code, g.code);
  });
  test(`bare-metal ${g.file} under qemu-system-aarch64`, () => {
    const r = runGuestQemu(guest);
    assert.equal(r.stderr, g.qemuStderr);
    assert.equal(r.stdout, g.qemuStdout);
    assert.equal(r.code, g.code);
  });
}
