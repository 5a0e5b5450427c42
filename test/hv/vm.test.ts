// The Vm/Vcpu layer with real guest code: spec §5 PSCI-1 and the MP-state machine basics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MpState, SystemEventType } from "../../src/hv/constants.ts";
import { Vm } from "../../src/hv/vm.ts";
import { assemble } from "../support/toolchain.ts";
import { nodeHost } from "../../src/host/node/index.ts";

const CODE = 0x4000_0000n;
const MPIDR = 0xc005;

/** Loads `x0` with a 32-bit constant via movz/movk. */
const li = (reg: string, v: number) => `movz ${reg}, #${v & 0xffff}\n movk ${reg}, #${(v >>> 16) & 0xffff}, lsl #16\n`;

test("PSCI-1 cpu_on: CPU_ON64 then AFFINITY_INFO64 until ON; target PC/x0 read without running it", async () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 16 << 20, clock: "deterministic" });
  const src = vm.createVcpu();
  const dst = vm.createVcpu();
  src.init();
  dst.init();
  dst.setMpState(MpState.STOPPED);
  const code = assemble(`
    mov x9, x0
    ${li("x0", 0xc400_0003)}
    mov x1, x9
    ${li("x2", 0xfeed_f00d)}
    ${li("x3", 0xdead_c0de)}
    hvc #0
    mov x10, x0
    mov x11, #0
  1:
    add x11, x11, #1
    ${li("x0", 0xc400_0004)}
    mov x1, x9
    mov x2, #0
    hvc #0
    cmp x0, #1
    b.hi 2f
    cbnz x0, 1b
  2:
    mov x12, x0
    ${li("x0", 0x8400_0008)}
    hvc #0
  `);
  vm.core.writePhys(CODE, code);
  src.pc = CODE;
  src.setX(0, dst.sysreg(MPIDR) & 0xff_00ff_ffffn);
  const exit = await src.run();
  assert.deepEqual(exit, { reason: "system_event", type: SystemEventType.SHUTDOWN, ndata: 1, data: [0n] });
  assert.equal(src.x(10), 0n, "CPU_ON succeeded");
  assert.equal(src.x(12), 0n, "AFFINITY_INFO ended with ON");
  assert.ok(src.x(11) >= 1n);
  assert.equal(dst.pc, 0xfeed_f00dn);
  assert.equal(dst.x(0), 0xdead_c0den);
  assert.equal(dst.pstate, 0x3c5);
  assert.equal(src.getMpState(), MpState.STOPPED, "SYSTEM_OFF stops every vCPU");
});

test("kick makes run return an intr exit; STOPPED vCPUs wait", async () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20 });
  const v = vm.createVcpu();
  v.init({ powerOff: true });
  const p = v.run();
  setTimeout(() => v.kick(), 10);
  assert.deepEqual(await p, { reason: "intr" });
  assert.equal(v.getMpState(), MpState.STOPPED);
});

test("an AArch32 vCPU is refused", () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20 });
  assert.throws(() => vm.createVcpu().init({ el1Aarch32: true }), { errno: "EINVAL" });
});

test("the GIC CPU interface is reachable from guest code, ICC_PMR_EL1 included", async () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
  const v = vm.createVcpu();
  v.init();
  vm.core.writePhys(
    CODE,
    assemble(`
      mov x0, #0xf0
      msr s3_0_c4_c6_0, x0      // ICC_PMR_EL1
      mrs x19, s3_0_c4_c6_0
      mrs x20, s3_0_c12_c12_5   // ICC_SRE_EL1
      ${li("x0", 0x8400_0008)}
      hvc #0
    `),
  );
  v.pc = CODE;
  assert.equal((await v.run()).reason, "system_event");
  assert.equal(v.x(19), 0xf0n);
  assert.equal(v.x(20), 7n);
});

test("a guest taking exception after exception (its vector in unmapped memory) still yields to the host every slice", async () => {
  let yields = 0;
  let runs = 0;
  const base = nodeHost();
  const host = {
    ...base,
    clock: {
      ...base.clock,
      yield: () => {
        yields++;
        return new Promise<void>((r) => setImmediate(r));
      },
    },
  };
  const vm = new Vm({ host, ramSize: 16 << 20, clock: "deterministic" });
  const v = vm.createVcpu();
  v.init();
  // VBAR_EL1 = 0 (nothing mapped there): every fetch from the vector faults to the vector again,
  // and no instruction ever retires.
  vm.core.writePhys(CODE, assemble("msr vbar_el1, xzr\n isb\n udf #0\n"));
  v.pc = CODE;
  const run = vm.core.run.bind(vm.core);
  vm.core.run = (budget: number) => {
    runs++;
    return run(budget);
  };
  const pending = v.run();
  for (let i = 0; i < 200 && yields < 3; i++) await new Promise((r) => setImmediate(r));
  v.kick();
  await pending;
  assert.ok(yields >= 3, `it yielded ${yields} times`);
  // Each yield follows a slice of the whole budget, not hundreds of them.
  assert.ok(runs <= yields + 2, `${runs} core runs for ${yields} yields`);
});
