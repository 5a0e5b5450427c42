// Asynchronous exceptions on our core: a bare-metal guest (test/guests/irq.S) asks the host to
// raise and lower the interrupt lines with HVC #n and checks masking, vectors, priorities,
// ISR_EL1, SPSR/ELR and WFI wake-up. (QEMU cannot run it: the lines are ours.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { ASM_RUNTIME, buildGuest, runGuest } from "../support/baremetal.ts";

const IRQ = 1;

test("IRQ, FIQ and SError: masking, vectors, priority, WFI wake-up", () => {
  let lines = 0;
  let wfis = 0;
  const r = runGuest(buildGuest([...ASM_RUNTIME, "irq.S"]), {
    budget: 1_000_000,
    onExit(reason, cpu) {
      if (reason === ExitReason.Hvc) {
        const n = Number(cpu.exitInfo(0));
        lines = n & 8 ? 0 : lines | (n & 7);
        cpu.setIrqLines(lines);
        return true;
      }
      if (reason === ExitReason.Wfi) {
        // The core only stops on WFI when no line is up; the wake-up is the host's.
        assert.equal(lines, 0);
        wfis++;
        lines |= IRQ;
        cpu.setIrqLines(lines);
        return true;
      }
      return false;
    },
  });
  assert.equal(r.console, "irq: start\nirq: ok\n");
  assert.equal(r.code, 0, `exit status ${r.code} names the failed check in irq.S`);
  assert.equal(wfis, 1);
});
