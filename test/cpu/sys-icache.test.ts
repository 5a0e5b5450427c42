// Instruction-cache maintenance drops decoded code even when memory changed behind the core's
// back (a device writing guest RAM without Cpu.writePhys, as DMA does): after IC IVAU or
// IC IALLU and ISB the new instructions run, as on hardware. A VMM's device that tells the core
// (Cpu.notifyWritten) needs no maintenance from the guest.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { guestCpu } from "../support/baremetal.ts";
import { assemble, encode } from "../support/toolchain.ts";
import { coreModule } from "../../src/host/node/core.ts";

/**
 * Runs `f` (returning 1), rewrites it in RAM behind the core's back to return 2 (no
 * notifyHostWrite: as DMA does), lets `tell` inform the core or not, then runs the code after
 * the first `hvc #1`, which holds `between` before calling `f` again. Returns f's second result.
 */
function rewriteAndRerun(cpu: Cpu, between: string, tell: (at: bigint) => void = () => {}): bigint {
  const code = assemble(`
  bl f
  add x20, x0, #0
  hvc #1
  ${between}
  bl f
  hvc #0
  .balign 64
f:
  mov x0, #1
  ret
`);
  cpu.writePhys(0x4000_0000n, code);
  cpu.pc = 0x4000_0000n;
  assert.equal(cpu.run(1000), ExitReason.Hvc);
  assert.equal(cpu.x(20), 1n);
  const fOff = code.length - 8;
  new DataView(cpu.ram.buffer, cpu.ram.byteOffset + fOff, 8).setUint32(0, encode(["mov x0, #2"])[0], true);
  tell(0x4000_0000n + BigInt(fOff));
  assert.equal(cpu.run(1000), ExitReason.Hvc);
  assert.equal(cpu.exitInfo(0), 0n);
  return cpu.x(0);
}

for (const [name, maintenance] of [
  ["IC IVAU", "adr x1, f\n  ic ivau, x1"],
  ["IC IALLU", "ic iallu"],
  ["IC IALLUIS", "ic ialluis"],
]) {
  test(`${name} after a DMA-style write makes new code visible`, () => {
    assert.equal(rewriteAndRerun(guestCpu(), `${maintenance}\n  dsb ish\n  isb`), 2n);
  });
}

for (const jitThreshold of [0, 1]) {
  test(`Cpu.notifyWritten after a DMA-style write makes new code visible without maintenance (${jitThreshold ? "compiled" : "interpreted"})`, () => {
    const cpu = new Cpu({ module: coreModule(), ramSize: 1 << 20, jitThreshold });
    assert.equal(
      rewriteAndRerun(cpu, "", (at) => cpu.notifyWritten(at, 4)),
      2n,
    );
  });
}
