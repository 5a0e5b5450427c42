// Instruction-cache maintenance drops decoded code even when memory changed behind the core's
// back (a device writing guest RAM without Cpu.writePhys, as DMA does): after IC IVAU or
// IC IALLU and ISB the new instructions run, as on hardware. A VMM's device that tells the core
// (Cpu.notifyWritten) needs no maintenance from the guest.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { guestCpu } from "../support/baremetal.ts";
import { assemble, encode } from "../support/toolchain.ts";

for (const [name, maintenance] of [
  ["IC IVAU", "adr x1, f\n  ic ivau, x1"],
  ["IC IALLU", "ic iallu"],
  ["IC IALLUIS", "ic ialluis"],
]) {
  test(`${name} after a DMA-style write makes new code visible`, () => {
    const cpu = guestCpu();
    const code = assemble(`
  bl f
  add x20, x0, #0
  hvc #1
  ${maintenance}
  dsb ish
  isb
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
    // Rewrite f in RAM directly: no notifyHostWrite, so only the maintenance can tell the core.
    const fOff = code.length - 8;
    const words = encode(["mov x0, #2", "ret"]);
    new DataView(cpu.ram.buffer, cpu.ram.byteOffset + fOff, 8).setUint32(0, words[0], true);
    assert.equal(cpu.run(1000), ExitReason.Hvc);
    assert.equal(cpu.exitInfo(0), 0n);
    assert.equal(cpu.x(0), 2n);
  });
}

for (const jitThreshold of [0, 1]) {
  test(`Cpu.notifyWritten after a DMA-style write makes new code visible without maintenance (${jitThreshold ? "compiled" : "interpreted"})`, () => {
    const cpu = new Cpu({ ramSize: 1 << 20, jitThreshold });
    const code = assemble(`
  bl f
  hvc #1
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
    assert.equal(cpu.x(0), 1n);
    const fOff = code.length - 8;
    const words = encode(["mov x0, #2", "ret"]);
    new DataView(cpu.ram.buffer, cpu.ram.byteOffset + fOff, 8).setUint32(0, words[0], true);
    cpu.notifyWritten(0x4000_0000n + BigInt(fOff), 4);
    assert.equal(cpu.run(1000), ExitReason.Hvc);
    assert.equal(cpu.x(0), 2n);
  });
}
