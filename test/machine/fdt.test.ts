// The device tree reader and writer: QEMU's own virt tree parses and survives a round trip; a
// kernel booted with --dtb gets the user's tree with /chosen's bootargs and initrd range set.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { VirtBoard } from "../../src/machine/board.ts";
import { buildDtb, FdtError, type FdtNode, node, parseDtb } from "../../src/machine/fdt.ts";
import { ImageError } from "../../src/machine/loader.ts";
import { virtDtb } from "../../src/machine/virt.ts";
import { nodeHost } from "../../src/host/node/index.ts";

const prop = (n: FdtNode, name: string) => n.props.find(([k]) => k === name)?.[1] as Uint8Array | undefined;
const str = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString("latin1").replace(/\0$/, "") : undefined);

function qemuDtb(): Uint8Array {
  const out = join(mkdtempSync(join(tmpdir(), "dormouse-dtb-")), "virt.dtb");
  const r = spawnSync(
    "qemu-system-aarch64",
    ["-M", `virt,gic-version=3,dumpdtb=${out}`, "-cpu", "cortex-a57", "-m", "1G", "-nographic", "-nic", "none"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(out);
}

test("QEMU's virt device tree parses, and writing it back gives the same tree", () => {
  const dtb = qemuDtb();
  const t = parseDtb(dtb);
  assert.equal(str(prop(t.root, "compatible")), "linux,dummy-virt");
  const names = t.root.children.map((c) => c.name);
  for (const n of ["psci", "chosen", "pl061@9030000", "pl011@9000000"]) assert.ok(names.includes(n), `${n} in ${names}`);
  const again = parseDtb(buildDtb(t.root, t.bootCpu, t.reserved));
  assert.deepEqual(again, t);
});

/** A node's properties as name → hex, in name order. */
function props(n: FdtNode | undefined): Record<string, string> {
  assert.ok(n);
  return Object.fromEntries(
    n.props.map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString("hex")]).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

test("the /psci node is QEMU's for PSCI 1.x: compatible arm,psci-1.0, arm,psci-0.2, arm,psci; method; the 0.1 function IDs", () => {
  const qemu = parseDtb(qemuDtb()).root.children.find((c) => c.name === "psci");
  const ours = parseDtb(virtDtb({ cpus: 2, ramSize: 64n << 20n, psciConduit: "hvc" })).root.children.find((c) => c.name === "psci");
  assert.deepEqual(props(ours), props(qemu));
  assert.equal(str(prop(qemu as FdtNode, "compatible")), "arm,psci-1.0\0arm,psci-0.2\0arm,psci");
});

test("with firmware the tree describes the flash banks and fw_cfg as QEMU's virt does, at the start of RAM; x0 is 0 at the reset vector", () => {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-fw-dtb-"));
  const code = join(dir, "code.fd");
  writeFileSync(code, new Uint8Array(8192).fill(0x14));
  const board = new VirtBoard({ host: nodeHost(), cpus: 1, ramSize: 64 << 20, psciConduit: "hvc", output: () => {}, firmware: { code } });
  try {
    board.loadFirmware();
    board.boot();
    assert.equal(board.vcpus[0].pc, 0n);
    assert.equal(board.vcpus[0].x(0), 0n);
    const header = board.vm.core.readPhys(0x4000_0000n, 8);
    const size = new DataView(header.buffer, header.byteOffset).getUint32(4);
    const ours = parseDtb(board.vm.core.readPhys(0x4000_0000n, size)).root.children;
    const qemu = parseDtb(qemuDtb()).root.children;
    for (const name of ["flash@0", "fw-cfg@9020000"])
      assert.deepEqual(props(ours.find((c) => c.name === name)), props(qemu.find((c) => c.name === name)), name);
    assert.deepEqual(board.vm.core.readPhys(0n, 8192), new Uint8Array(8192).fill(0x14), "the image is in flash");
    assert.deepEqual(board.vm.core.roms[0].subarray(8192, 16384), new Uint8Array(8192), "padded with zeros");
  } finally {
    board.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("malformed device trees are clear errors", () => {
  const good = buildDtb(node("", { model: "x" }, [node("chosen")]));
  assert.throws(() => parseDtb(new Uint8Array(64)), FdtError);
  assert.throws(() => parseDtb(good.subarray(0, good.length - 8)), /truncated/);
  const bad = new Uint8Array(good);
  new DataView(bad.buffer).setUint32(new DataView(bad.buffer).getUint32(8), 7); // first token
  assert.throws(() => parseDtb(bad), /bad token 7/);
});

test("--dtb: the kernel gets the user's tree with /chosen's bootargs and initrd range", () => {
  const board = new VirtBoard({
    host: nodeHost(),
    cpus: 1,
    ramSize: 64 << 20,
    psciConduit: "hvc",
    bootargs: "console=ttyAMA0 hello",
    output: () => {},
  });
  // A minimal arm64 Image: the header (text_offset 0, image_size 64 KiB, magic at 0x38).
  const image = new Uint8Array(0x10000);
  const dv = new DataView(image.buffer);
  dv.setBigUint64(0x10, 0x10000n, true);
  dv.setUint32(0x38, 0x644d5241, true);
  const user = buildDtb(node("", { model: "my-board", "#address-cells": [2], "#size-cells": [2] }, [node("memory@40000000")]));
  board.loadKernel(image, new Uint8Array(4096).fill(7), user);
  board.boot();
  const at = board.vcpus[0].x(0);
  const header = board.vm.core.readPhys(at, 8);
  const size = new DataView(header.buffer, header.byteOffset).getUint32(4);
  const t = parseDtb(board.vm.core.readPhys(at, size));
  assert.equal(str(prop(t.root, "model")), "my-board");
  const chosen = t.root.children.find((c) => c.name === "chosen");
  assert.ok(chosen);
  assert.equal(str(prop(chosen, "bootargs")), "console=ttyAMA0 hello");
  const start = new DataView((prop(chosen, "linux,initrd-start") as Uint8Array).buffer).getBigUint64(0);
  const end = new DataView((prop(chosen, "linux,initrd-end") as Uint8Array).buffer).getBigUint64(0);
  assert.equal(end - start, 4096n);
  assert.deepEqual(board.vm.core.readPhys(start, 4096), new Uint8Array(4096).fill(7));
  board.close();
  const other = new VirtBoard({ host: nodeHost(), cpus: 1, ramSize: 64 << 20, psciConduit: "hvc", output: () => {} });
  assert.throws(() => other.loadKernel(image, undefined, new Uint8Array(100)), ImageError);
  other.close();
});
