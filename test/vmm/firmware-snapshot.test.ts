// A firmware board (--bios, --bios-vars) through the VM object: a small firmware in flash bank 0
// programs bank 1 and leaves it in read-status mode; the program reaches the variable file; a
// snapshot holds the banks' command state and identifies the firmware files, a restored VM has
// bank 1 still out of read-array mode, resets into the firmware (device tree at the start of
// RAM again), and a changed variable file is refused on resume.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { nodeHost } from "../../src/host/node/index.ts";
import { checkDisks, readSnapshot } from "../../src/vmm/snapshot.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { assemble } from "../support/toolchain.ts";

const dir = mkdtempSync(join(tmpdir(), "dormouse-fw-snap-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs from flash at 0: word program into bank 1, its status into RAM, then read status and wait. */
const FIRMWARE = `
  movz x1, #0x0400, lsl #16
  movz w2, #0x40
  movk w2, #0x40, lsl #16
  str w2, [x1, #0x100]
  movz w5, #0x5678
  movk w5, #0x1234, lsl #16
  str w5, [x1, #0x100]
  movz w2, #0x70
  movk w2, #0x70, lsl #16
  str w2, [x1]
  ldr w3, [x1]
  movz x4, #0x4000, lsl #16
  str w3, [x4, #0x1000]
1:
  wfi
  b 1b
`;

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (let t = 0; !cond(); t += 10) {
    if (t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test("firmware flash: program to the variable file, snapshot and restore the banks' modes, reset, refuse a changed file", async () => {
  const code = join(dir, "code.fd");
  const vars = join(dir, "vars.fd");
  writeFileSync(code, assemble(FIRMWARE, 0));
  writeFileSync(vars, new Uint8Array(1 << 20).fill(0xff));
  const host = nodeHost();
  const board = { cpus: 1, ramSize: 64 << 20, psciConduit: "hvc" as const, firmware: { code, vars } };
  const vm = new VirtualMachine({ board, image: { kind: "firmware" } }, host);
  const status = (v: VirtualMachine) => new DataView(v.board.vm.core.readPhys(0x4000_1000n, 4).buffer).getUint32(0, true);
  const snap = join(dir, "fw.snap");
  try {
    vm.start();
    await waitFor(() => status(vm) !== 0, 30_000, "the firmware's status read");
    assert.equal(status(vm), 0x0080_0080, "status read through MMIO: ready, both chips");
    await vm.pause();
    assert.deepEqual([...readFileSync(vars).subarray(0x100, 0x104)], [0x78, 0x56, 0x34, 0x12], "the program reached the file");
    assert.equal(vm.board.flash[1].readArray, false);
    assert.equal(vm.board.flash[0].readArray, true);
    await vm.save(snap);
  } finally {
    await vm.stop();
    vm.close();
  }
  const s = readSnapshot(snap, host.snapshots);
  assert.deepEqual(
    s.header.firmwareFiles?.map((f) => f.path),
    [code, vars],
  );
  assert.deepEqual(s.header.config.firmware, { code, vars });
  checkDisks(s, (p) => host.blocks.identify(p));
  const again = new VirtualMachine({ board: s.header.config }, host);
  try {
    await again.restore(s, snap, { into: "paused" });
    assert.equal(again.board.flash[1].readArray, false, "bank 1 is still in read-status mode");
    assert.equal(again.board.flash[1].save().cmd, 0x70);
    assert.deepEqual([...again.board.vm.core.roms[1].subarray(0x100, 0x104)], [0x78, 0x56, 0x34, 0x12], "bank 1 read from the file");
    await again.resume();
    await again.reset();
    await waitFor(() => again.board.flash[1].save().cmd === 0x70, 30_000, "the firmware after the reset");
    assert.equal(
      new DataView(again.board.vm.core.readPhys(0x4000_0000n, 4).buffer).getUint32(0),
      0xd00dfeed,
      "the device tree at the start of RAM",
    );
  } finally {
    await again.stop();
    again.close();
  }
  const changed = readFileSync(vars);
  changed[0x200] = 0;
  writeFileSync(vars, changed);
  assert.throws(() => checkDisks(s, (p) => host.blocks.identify(p)), /the firmware file .*vars\.fd changed since the snapshot was taken/);
});
