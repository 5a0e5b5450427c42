// MMIO through the Cpu callbacks and DC ZVA, with stores made by DC ZVA (no load/store group
// needed): writes reach mmioWrite at the physical address, one byte at a time in address order
// (as QEMU's HELPER(dc_zva) does for I/O), numbered within the instruction; HostStatus.Fault
// becomes a synchronous external abort; HostStatus.Exit stops the core before the instruction
// retires, and the next run restarts it, or resumes it (resumeMmio) presenting the accesses
// again marked resumed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type CpuCallbacks, ExitReason, HostStatus } from "../../src/cpu/cpu.ts";
import { guestCpu } from "../support/baremetal.ts";
import { assemble } from "../support/toolchain.ts";

const ESR = 0xc290;
const FAR = 0xc300;

function load(callbacks: CpuCallbacks, body: string) {
  const cpu = guestCpu(callbacks);
  cpu.writePhys(
    0x4000_0000n,
    assemble(`
  adr x0, vectors
  msr vbar_el1, x0
  ${body}
  hvc #0
  .balign 0x800
vectors:
  .rept 16
  .balign 0x80
  hvc #1
  .endr
`),
  );
  cpu.pc = 0x4000_0000n;
  return cpu;
}

test("DC ZVA zeroes exactly the aligned 64-byte block", () => {
  const cpu = load({}, "movz x1, #0x4001, lsl #16\n  add x1, x1, #0x47\n  dc zva, x1");
  cpu.writePhys(0x4001_0000n, new Uint8Array(192).fill(0xaa));
  assert.equal(cpu.run(100), ExitReason.Hvc);
  assert.equal(cpu.exitInfo(0), 0n);
  const m = cpu.readPhys(0x4001_0000n, 192);
  assert.ok(m.subarray(0, 64).every((b) => b === 0xaa));
  assert.ok(m.subarray(64, 128).every((b) => b === 0));
  assert.ok(m.subarray(128).every((b) => b === 0xaa));
});

test("stores to MMIO reach mmioWrite with the physical address, size, value and ordinal", () => {
  const writes: [bigint, number, bigint, number, boolean][] = [];
  const cpu = load(
    {
      mmioWrite(pa, size, value, ordinal, resumed) {
        writes.push([pa, size, value, ordinal, resumed]);
        return HostStatus.Ok;
      },
    },
    "movz x1, #0x0900, lsl #16\n  add x1, x1, #0x47\n  dc zva, x1",
  );
  assert.equal(cpu.run(100), ExitReason.Hvc);
  assert.equal(cpu.exitInfo(0), 0n);
  assert.deepEqual(
    writes,
    Array.from({ length: 64 }, (_, i) => [0x0900_0040n + BigInt(i), 1, 0n, i, false]),
  );
});

test("HostStatus.Fault is a synchronous external abort (DFSC 0x10, FAR = the address)", () => {
  const cpu = load({ mmioWrite: () => HostStatus.Fault }, "movz x1, #0x0a00, lsl #16\n  dc zva, x1");
  assert.equal(cpu.run(100), ExitReason.Hvc);
  assert.equal(cpu.exitInfo(0), 1n);
  assert.equal(cpu.sysreg(ESR), (0x25n << 26n) | (1n << 25n) | (1n << 6n) | 0x10n);
  assert.equal(cpu.sysreg(FAR), 0x0a00_0000n);
});

test("HostStatus.Exit stops before the instruction retires; the next run restarts it, or resumes it", () => {
  const seen: [number, boolean][] = [];
  let exitAt = 0;
  const cpu = load(
    {
      mmioWrite(_pa, _size, _value, ordinal, resumed) {
        seen.push([ordinal, resumed]);
        return ordinal === exitAt && !resumed ? HostStatus.Exit : HostStatus.Ok;
      },
    },
    "movz x1, #0x0a00, lsl #16\n  dc zva, x1",
  );
  const before = cpu.instret;
  assert.equal(cpu.run(100), ExitReason.Mmio);
  assert.equal(cpu.exitInfo(0), 0x0a00_0000n);
  assert.equal(cpu.exitInfo(1), 1n | 0x100n); // size, write
  assert.equal(cpu.exitInfo(3), 0xd50b7421n); // the instruction: dc zva, x1
  assert.equal(cpu.pc, 0x4000_000cn); // the DC ZVA itself
  assert.equal(cpu.instret - before, 3n);
  assert.deepEqual(seen, [[0, false]]);
  // Without resumeMmio the instruction runs again from its start.
  seen.length = 0;
  exitAt = 2;
  assert.equal(cpu.run(100), ExitReason.Mmio);
  assert.equal(cpu.exitInfo(0), 0x0a00_0002n);
  assert.deepEqual(seen, [
    [0, false],
    [1, false],
    [2, false],
  ]);
  // Resumed, it presents the accesses again, in order, marked resumed, then goes on.
  seen.length = 0;
  cpu.resumeMmio(Number(cpu.exitInfo(3)));
  assert.equal(cpu.run(100), ExitReason.Hvc);
  assert.ok(cpu.mmioResumed);
  assert.equal(cpu.exitInfo(0), 0n);
  assert.deepEqual(
    seen,
    Array.from({ length: 64 }, (_, i) => [i, true]),
  );
  assert.equal(cpu.instret - before, 5n);
});
