// vCPU and PL011 save/restore round trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pl011 } from "../../src/devices/pl011.ts";
import { MpState } from "../../src/hv/constants.ts";
import { Vm } from "../../src/hv/vm.ts";
import { nodeHost } from "../../src/host/node/index.ts";

test("vCPU state round trip, including a pending CPU_ON reset and the MP state", () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
  const [a, b] = [vm.createVcpu(), vm.createVcpu()];
  a.init();
  b.init({ powerOff: true });
  a.setX(5, 0x1234n);
  a.setV(3, (1n << 127n) | 7n);
  a.setSysreg(0xc600, 0x4000_0800n); // VBAR_EL1
  b.powerOn(0x4000_1000n, 0x55n);
  const sa = a.save();
  const sb = b.save();
  const vm2 = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
  const [a2, b2] = [vm2.createVcpu(), vm2.createVcpu()];
  a2.restore(structuredClone(sa));
  b2.restore(structuredClone(sb));
  assert.equal(a2.x(5), 0x1234n);
  assert.equal(a2.v(3), (1n << 127n) | 7n);
  assert.equal(a2.sysreg(0xc600), 0x4000_0800n);
  assert.equal(b2.getMpState(), MpState.RUNNABLE);
  assert.equal(b2.pc, 0x4000_1000n, "the pending reset is applied on access");
  assert.equal(b2.x(0), 0x55n);
  assert.throws(() => b2.restore(sa), /vCPU 0 restored into vCPU 1/);
});

test("PL011 state round trip", () => {
  const lines: boolean[] = [];
  const u = new Pl011({ set: (l) => lines.push(l) }, () => {});
  u.write(0x2c, 4, 0x70n);
  u.write(0x38, 4, 0x50n);
  u.receive([0x41, 0x42]);
  const s = u.save();
  const v = new Pl011({ set: (l) => lines.push(l) }, () => {});
  v.restore(structuredClone(s));
  assert.deepEqual(v.save(), s);
  assert.equal(lines.at(-1), true, "the restored device re-raises its interrupt");
  assert.equal(v.read(0, 4), 0x41n);
  assert.equal(v.read(0, 4), 0x42n);
  assert.equal(v.read(0x18, 4) & 0x10n, 0x10n, "RX FIFO empty");
});
