// ROM devices (the virt board's flash banks) in the core: code runs from ROM and reads come from
// memory while the bank is in read-array mode, writes always go to the host; switched to MMIO
// (setRomIo, QEMU's romd off) every read goes to the host and fetching from the bank takes an
// instruction abort; back in ROM mode code runs from it again, including code the host changed
// meanwhile behind the core's back (notifyWritten).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Cpu, ExitReason, HostStatus } from "../../src/cpu/cpu.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { assemble } from "../support/toolchain.ts";

const ESR = 0xc290;
const FAR = 0xc300;
const RAM = 0x4000_0000n;

for (const jit of [0, 1])
  test(`ROM: fetch and read from memory, writes to the host; in MMIO mode reads go to the host and fetches abort (${jit ? "compiled" : "interpreted"})`, () => {
    const reads: bigint[] = [];
    const writes: [bigint, number, bigint][] = [];
    const cpu = new Cpu(
      { module: coreModule(), ramSize: 1 << 20, roms: [{ base: 0n, size: 1 << 16 }], jitThreshold: jit },
      {
        mmioRead(pa, size) {
          reads.push(pa);
          return size === 4 ? 0x00800080n : 0n;
        },
        mmioWrite(pa, size, value) {
          writes.push([pa, size, value]);
          return HostStatus.Ok;
        },
      },
    );
    // In the ROM at 0: read a word of the ROM, write a command to it, then go to RAM.
    cpu.writePhys(
      0n,
      assemble(
        `
  ldr w1, word
  movz x2, #0x100
  movz w3, #0x70
  str w3, [x2]
  movz x4, #0x4000, lsl #16
  br x4
word:
  .word 0x12345678
`,
        0,
      ),
    );
    // In RAM: vectors, then read the ROM (now MMIO) and jump into it.
    cpu.writePhys(
      RAM,
      assemble(`
  adr x0, vectors
  msr vbar_el1, x0
  hvc #0
  movz x7, #0x200
  ldr w5, [x7]
  hvc #2
  movz x7, #0
  br x7
  .balign 0x800
vectors:
  .rept 16
  .balign 0x80
  hvc #1
  .endr
`),
    );
    cpu.pc = 0n;
    assert.equal(cpu.run(100), ExitReason.Hvc);
    assert.equal(cpu.exitInfo(0), 0n);
    assert.equal(cpu.x(1), 0x12345678n, "read from ROM memory");
    assert.deepEqual(reads, []);
    assert.deepEqual(writes, [[0x100n, 4, 0x70n]]);
    cpu.setRomIo(0, true);
    assert.equal(cpu.run(100), ExitReason.Hvc);
    assert.equal(cpu.exitInfo(0), 2n);
    assert.equal(cpu.x(5), 0x00800080n, "read from the device");
    assert.deepEqual(reads, [0x200n]);
    assert.equal(cpu.run(100), ExitReason.Hvc);
    assert.equal(cpu.exitInfo(0), 1n, "the fetch took an exception");
    assert.equal(cpu.sysreg(ESR) >> 26n, 0x21n, "instruction abort, same EL");
    assert.equal(cpu.sysreg(ESR) & 0x3fn, 0x10n, "synchronous external abort");
    assert.equal(cpu.sysreg(FAR), 0n);
    // The host reprograms the bank while it is out of read-array mode; back in ROM mode the
    // new code runs (nothing stale was kept from the first run).
    cpu.roms[0].set(assemble("movz x6, #42\n  hvc #3", 0));
    cpu.notifyWritten(0n, 8);
    cpu.setRomIo(0, false);
    cpu.pc = 0n;
    assert.equal(cpu.run(100), ExitReason.Hvc);
    assert.equal(cpu.exitInfo(0), 3n);
    assert.equal(cpu.x(6), 42n);
    assert.throws(() => cpu.setRomIo(1, true), /no ROM device 1/);
  });
