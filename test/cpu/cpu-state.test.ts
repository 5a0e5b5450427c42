// The vCPU core's state as named, versioned fields: the generated layout tables are current, they
// cover every field of the core's state block and every system-register slot in use, a state
// round-trips, and an out-of-range field is refused by name without touching the core.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Cpu } from "../../src/cpu/cpu.ts";
import { CPU_STATE_VERSION, type CpuState, SAVED_FIELDS, savedSysregSlots } from "../../src/cpu/cpu-state.ts";
import { STATE_FIELDS, SYSREG_COUNT } from "../../src/cpu/state-layout.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { StateError } from "../../src/schema/index.ts";
import { generate } from "../../tools/gen-state-tables.ts";
import { repoRoot } from "../support/toolchain.ts";

const core = () => new Cpu({ module: coreModule(), ramSize: 1 << 20, jitThreshold: 0 });

test("src/cpu/state-layout.ts is what tools/gen-state-tables.ts generates from the core's layout", () => {
  assert.equal(readFileSync(join(repoRoot, "src/cpu/state-layout.ts"), "utf8"), generate());
});

test("the named state covers every field of the state block (but scratch) and every system-register slot in use", () => {
  const fields = Object.keys(STATE_FIELDS).filter((f) => f !== "FP_SCRATCH");
  assert.deepEqual([...SAVED_FIELDS].sort(), fields.sort());
  assert.deepEqual(
    savedSysregSlots(),
    Array.from({ length: SYSREG_COUNT }, (_, i) => i),
  );
});

test("a state round-trips, and a bad field is refused by name with the core unchanged", () => {
  const a = core();
  a.setX(3, 0x1234_5678_9abc_def0n);
  a.pc = 0x4000_1000n;
  a.setV(31, (1n << 127n) | 5n);
  a.setSysreg(0xc600, 0x4000_0800n); // VBAR_EL1
  const s = a.saveState();
  assert.equal(s.version, CPU_STATE_VERSION);
  assert.equal(s.x[3], 0x1234_5678_9abc_def0n);
  assert.equal(s.sysregs.vbar_el1, 0x4000_0800n);
  const b = core();
  b.restoreState(structuredClone(s));
  assert.deepEqual(b.saveState(), s);
  assert.equal(b.x(3), 0x1234_5678_9abc_def0n);
  assert.equal(b.v(31), (1n << 127n) | 5n);

  const fresh = core();
  const before = fresh.saveState();
  const bad = (mutate: (s: CpuState) => void, message: RegExp) => {
    const t = structuredClone(s) as CpuState;
    mutate(t);
    assert.throws(
      () => fresh.restoreState(t),
      (e: unknown) => e instanceof StateError && message.test(e.message),
    );
    assert.deepEqual(fresh.saveState(), before, "nothing of the core changed");
  };
  bad((t) => (t.pstate = 0x3c9), /^cpu\.pstate: mode 9 is not EL0t, EL1t or EL1h/);
  bad((t) => (t.pstate = 0x1_0000_03c5), /^cpu\.pstate: must be <= /);
  bad((t) => (t.x[30] = -1n), /^cpu\.x\[30\]: must be >= 0/);
  bad((t) => (t.x[5] = 1n << 64n), /^cpu\.x\[5\]: must be <= /);
  bad((t) => t.x.pop(), /^cpu\.x: must not have fewer than 31 items/);
  bad((t) => (t.sysregs.vbar_el1 = 0x4000_0801n), /^cpu\.sysregs\.vbar_el1: only bits/);
  bad((t) => (t.sysregs.sctlr_el1 = 0n), /^cpu\.sysregs\.sctlr_el1: .*bits 0x30d00800 must be/);
  bad((t) => (t.exclusive.size = 17), /^cpu\.exclusive\.size: must be <= 16/);
  bad((t) => ((t as unknown as { version: number }).version = 1), /^cpu\.version: must be 2 \(is 1\)/);
  bad((t) => ((t as unknown as { extra: number }).extra = 1), /^cpu\.extra: unexpected field/);
  bad((t) => ((t.sysregs as unknown as { dbgbvr: unknown }).dbgbvr = "x"), /^cpu\.sysregs\.dbgbvr: must be array/);
});
