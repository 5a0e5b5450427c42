// The core's written-page map (Cpu.ramWritten), which snapshots trust to find every page that
// can be non-zero: a page is marked once a store could reach it — a TLB entry that allows writes
// is filled for it, by any access through a writable mapping (so stores through an entry a load
// filled are covered: plain, pair, exclusive and DC ZVA stores, interpreted or compiled) — or the
// host wrote it (writePhys, notifyWritten); pages nothing touched stay unmarked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { assemble } from "../support/toolchain.ts";

const RAM = 0x4000_0000n;
const page = (n: number) => RAM + BigInt(n) * 0x1000n;
const marked = (cpu: Cpu) => [...cpu.ramWritten.keys()].filter((p) => cpu.ramWritten[p]);

for (const jit of [0, 1])
  test(`pages the guest reaches through writable mappings, and the host writes, are marked written; the rest are not (${jit ? "compiled" : "interpreted"})`, () => {
    const cpu = new Cpu({ module: coreModule(), ramSize: 1 << 20, roms: [{ base: 0n, size: 1 << 16 }], jitThreshold: jit });
    assert.deepEqual(marked(cpu), [], "a new core has written nothing");
    // Code at page 2 (written by the host); a loop so the compiled tier runs it too.
    const code = assemble(`
  mov x9, #3
1:
  ldr x1, [x10]
  str x1, [x11]
  stp x1, x1, [x12, #-16]
  ldxr x2, [x13]
  stxr w3, x2, [x13]
  dc zva, x14
  ldr x6, [x15]
  subs x9, x9, #1
  b.ne 1b
  hvc #0
`);
    cpu.writePhys(page(2), code);
    assert.deepEqual(marked(cpu), [2], "writePhys marks the pages it writes");
    cpu.setX(10, page(10)); // ldr: a writable entry (MMU off) all the same
    cpu.setX(11, page(11)); // str
    cpu.setX(12, page(13)); // stp just below page 13: lands in page 12
    cpu.setX(13, page(14)); // ldxr/stxr
    cpu.setX(14, page(16)); // dc zva
    cpu.setX(15, page(17)); // ldr
    cpu.pc = page(2);
    assert.equal(cpu.run(100_000), ExitReason.Hvc, `undefined instructions: ${cpu.undefCount}`);
    assert.deepEqual(marked(cpu), [2, 10, 11, 12, 14, 16, 17], "pages the code reached, and none other");
    cpu.notifyWritten(page(40) + 8n, 0x1000);
    assert.deepEqual(
      marked(cpu).filter((p) => p >= 40),
      [40, 41],
      "notifyWritten marks every page of the range (DMA)",
    );
    // A write to the ROM is the host's (MMIO) and marks no RAM page.
    cpu.writePhys(0n, new Uint8Array(8));
    assert.equal(marked(cpu).includes(0), false);
  });
