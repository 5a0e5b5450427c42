// The virt board and the dormouse command beyond suspend: system reset restarts the guest,
// the device tree describes the chosen PSCI conduit, and a store pair to the PL011 (issue 9's
// livelock) prints what QEMU prints, once.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { nodeHost } from "../../src/host/node/index.ts";
import { VirtBoard } from "../../src/machine/board.ts";
import { virtDtb } from "../../src/machine/virt.ts";
import { buildGuest } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";

/** A minimal DTB reader: the value of property `name` in node `path` ("/psci"). */
function dtbProperty(dtb: Uint8Array, path: string, name: string): Uint8Array | null {
  const dv = new DataView(dtb.buffer, dtb.byteOffset);
  assert.equal(dv.getUint32(0), 0xd00dfeed);
  const structOff = dv.getUint32(8);
  const stringsOff = dv.getUint32(12);
  const str = (off: number) => {
    let e = off;
    while (dtb[e]) e++;
    return Buffer.from(dtb.subarray(off, e)).toString();
  };
  const stack: string[] = [];
  let p = structOff;
  for (;;) {
    const tok = dv.getUint32(p);
    p += 4;
    if (tok === 1) {
      const n = str(p);
      stack.push(n);
      p += (n.length + 4) & ~3;
    } else if (tok === 2) stack.pop();
    else if (tok === 3) {
      const len = dv.getUint32(p);
      const nameoff = dv.getUint32(p + 4);
      const here = `/${stack.slice(1).join("/")}`;
      if (here === path && str(stringsOff + nameoff) === name) return dtb.subarray(p + 8, p + 8 + len);
      p += 8 + ((len + 3) & ~3);
    } else if (tok === 9) return null;
  }
}

test("the device tree names the PSCI conduit and compatible strings", () => {
  for (const conduit of ["hvc", "smc"] as const) {
    const dtb = virtDtb({ cpus: 2, ramSize: 1n << 30n, psciConduit: conduit });
    assert.equal(Buffer.from(dtbProperty(dtb, "/psci", "method") as Uint8Array).toString(), `${conduit}\0`);
    assert.equal(Buffer.from(dtbProperty(dtb, "/psci", "compatible") as Uint8Array).toString(), "arm,psci-1.0\0arm,psci-0.2\0arm,psci\0");
    assert.equal(Buffer.from(dtbProperty(dtb, "/cpus/cpu@1", "enable-method") as Uint8Array).toString(), "psci\0");
  }
});

test("SYSTEM_RESET restarts the guest with RAM kept and the image reloaded", () => {
  const r = spawnSync(join(repoRoot, "bin/dormouse.mjs"), ["run", buildGuest("reset"), "-v"], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "first boot: resetting\nsecond boot after reset\n");
  assert.match(r.stderr, /guest reset/);
});

test("STP of two registers to the PL011 data register stores each once and the guest goes on, as on QEMU", () => {
  const elf = buildGuest("mmio-stp");
  const expected = "before stp: H\nafter stp\n";
  for (const jit of ["off", "1"]) {
    const r = spawnSync(join(repoRoot, "bin/dormouse.mjs"), ["run", elf], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, DORMOUSE_JIT: jit },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expected, `DORMOUSE_JIT=${jit}`);
  }
  const q = spawnSync(
    "qemu-system-aarch64",
    ["-M", "virt", "-cpu", "cortex-a57", "-m", "128M", "-nographic", "-nic", "none", "-kernel", elf],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stdout, expected, "QEMU prints the same");
});

test("a system reset resets every device of the table: the PL011 and PL031 too", () => {
  const board = new VirtBoard({ host: nodeHost(), cpus: 1, ramSize: 8 << 20, psciConduit: "hvc", output: () => {} });
  try {
    board.load(readFileSync(buildGuest("reset")));
    board.boot();
    assert.deepEqual(
      board.devices.map((d) => d.name),
      ["pl011", "pl031", "pl061", "power-button", "sleep-button", "sbsa-gwdt"],
    );
    const uart = 0x0900_0000n;
    const rtc = 0x0901_0000n;
    board.bus.write(uart + 0x2cn, 4, 0x70n); // LCR_H
    board.bus.write(uart + 0x38n, 4, 0x50n); // IMSC
    board.bus.write(rtc + 0x10n, 4, 1n); // IMSC
    board.bus.write(rtc + 0x04n, 4, 12345n); // MR
    board.bus.write(0x0903_0400n, 1, 0xffn); // PL061 DIR
    board.reset();
    assert.equal(board.bus.read(uart + 0x2cn, 4), 0n, "PL011 LCR_H");
    assert.equal(board.bus.read(uart + 0x38n, 4), 0n, "PL011 IMSC");
    assert.equal(board.bus.read(uart + 0x30n, 4), 0x300n, "PL011 CR");
    assert.equal(board.bus.read(rtc + 0x10n, 4), 0n, "PL031 IMSC");
    assert.equal(board.bus.read(rtc + 0x04n, 4), 0n, "PL031 MR");
    assert.equal(board.bus.read(0x0903_0400n, 1), 0n, "PL061 DIR");
  } finally {
    board.close();
  }
});
