// HVC calls the CPU core answers by itself (hypercalls.ts fixedAnswers, Cpu.setHypercallAnswers):
// they leave exactly the registers the dispatcher would leave, follow the SMCCC filter, the
// firmware PSCI version and the vCPU's PSCI 0.2 feature, and cost the budget what the callout does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterAction, Psci, PsciVersion, Smccc, SystemEventType } from "../../src/hv/constants.ts";
import { FW_REG } from "../../src/hv/firmware-regs.ts";
import { fixedAnswers, handleSmccc, type SmcccCaller } from "../../src/hv/hypercalls.ts";
import type { Vcpu } from "../../src/hv/vcpu.ts";
import { Vm } from "../../src/hv/vm.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { assemble } from "../support/toolchain.ts";

const CODE = 0x4000_0000n;
const li = (reg: string, v: number) => `movz ${reg}, #${v & 0xffff}\n movk ${reg}, #${(v >>> 16) & 0xffff}, lsl #16\n`;
const JUNK = [0n, 0x1111_2222_3333_4444n, 0x5555_6666_7777_8888n, 0x9999_aaaa_bbbb_ccccn, 0xdddd_eeee_ffff_0000n];

/** A caller holding 18 registers, x1.. preset to junk. */
function fullCaller(fid: number, psciVersion: number): SmcccCaller & { regs: bigint[] } {
  const regs = Array.from({ length: 18 }, (_, i) => (i === 0 ? BigInt(fid) : (JUNK[i % JUNK.length] ?? 0n) + BigInt(i)));
  return {
    id: 0,
    psciVersion,
    bigEndian: false,
    regs,
    x: (n) => regs[n],
    setX: (n, v) => {
      regs[n] = BigInt.asUintN(64, v);
    },
  };
}

test("fixed answers write exactly what the dispatcher writes, for every PSCI version and filter", () => {
  const versions = [PsciVersion.V0_1, PsciVersion.V0_2, PsciVersion.V1_0, PsciVersion.V1_1, PsciVersion.V1_3];
  const filters = [null, FilterAction.DENY, FilterAction.FWD_TO_USER];
  for (const version of versions) {
    for (const action of filters) {
      const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20 });
      vm.createVcpu();
      if (action !== null) vm.setSmcccFilter({ base: Psci.VERSION, nrFunctions: 0x20, action });
      const answers = fixedAnswers(vm, version);
      assert.ok(answers.length <= 8);
      for (const a of answers) {
        const c = fullCaller(a.fid, version);
        const before = [...c.regs];
        assert.equal(handleSmccc(vm, c, "hvc", 0).kind, "continue");
        const expect = before.map((v, i) => (i < 4 && a.regs[i] !== undefined ? a.regs[i] : v));
        assert.deepEqual(c.regs, expect, `fid 0x${a.fid.toString(16)} PSCI 0x${version.toString(16)} filter ${action}`);
      }
      const fids = answers.map((a) => a.fid);
      // Forwarded calls exit to the VMM: never answered in the core.
      if (action === FilterAction.FWD_TO_USER) assert.ok(!fids.includes(Psci.VERSION));
      else assert.ok(fids.includes(Psci.VERSION));
      assert.ok(fids.includes(Smccc.VERSION));
      // Calls that depend on arguments, the vCPUs or time are left to the dispatcher.
      for (const f of [Psci.CPU_ON64, Psci.AFFINITY_INFO64, Psci.FEATURES, Smccc.ARCH_FEATURES, Smccc.TRNG_RND64, Psci.SYSTEM_OFF])
        assert.ok(!fids.includes(f));
    }
  }
});

/**
 * Runs a guest on one vCPU: `n` HVCs of `fid` with x1..x3 preset, x0..x3 after the last call
 * into x19..x22, then SYSTEM_OFF (or, `wfi`, waiting until kicked).
 */
async function hvcLoop(vm: Vm, v: Vcpu, fid: number, n: number, end: "off" | "wfi" = "off") {
  const code = assemble(`
    ${li("x24", n)}
  1:
    ${li("x0", fid)}
    ${li("x1", 0x1111_1111)}
    ${li("x2", 0x2222_2222)}
    ${li("x3", 0x3333_3333)}
    hvc #0
    subs x24, x24, #1
    b.ne 1b
    mov x19, x0
    mov x20, x1
    mov x21, x2
    mov x22, x3
    ${end === "off" ? `${li("x0", 0x8400_0008)}\n hvc #0` : "2: wfi\n b 2b"}
  `);
  vm.core.writePhys(CODE, code);
  v.pc = CODE;
  if (end === "wfi") setTimeout(() => v.kick(), 300);
  const exit = await v.run();
  return { exit, regs: [v.x(19), v.x(20), v.x(21), v.x(22)] };
}

test("a guest's PSCI_VERSION calls are answered in the core with the VM's version, x1..x3 zeroed", async () => {
  for (const [psci02, fwVersion, expect] of [
    [true, null, PsciVersion.V1_3],
    [true, PsciVersion.V1_0, PsciVersion.V1_0],
  ] as const) {
    const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
    const v = vm.createVcpu();
    v.init({ psci02 });
    if (fwVersion !== null) v.setFirmwareReg(FW_REG.PSCI_VERSION, BigInt(fwVersion));
    let callouts = 0;
    const callout = v.hypercall.bind(v);
    v.hypercall = (conduit, imm16) => (callouts++, callout(conduit, imm16));
    const { exit, regs } = await hvcLoop(vm, v, Psci.VERSION, 3000);
    assert.deepEqual(exit, { reason: "system_event", type: SystemEventType.SHUTDOWN, ndata: 1, data: [0n] });
    assert.deepEqual(regs, [BigInt(expect), 0n, 0n, 0n]);
    assert.equal(callouts, 1, "only SYSTEM_OFF reached the hypercall callout");
  }
});

test("a vCPU without PSCI 0.2 gets NOT_SUPPORTED for PSCI_VERSION; ARCH_WORKAROUND_1 leaves x1..x3 alone", async () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
  const v = vm.createVcpu();
  v.init({ psci02: false });
  const { exit, regs: r } = await hvcLoop(vm, v, Psci.VERSION, 3000, "wfi");
  assert.deepEqual(exit, { reason: "intr" });
  assert.equal(r[0], 0xffff_ffff_ffff_ffffn, "PSCI 0.1 has no PSCI_VERSION");
  const vm2 = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
  const w = vm2.createVcpu();
  w.init();
  const { regs } = await hvcLoop(vm2, w, Smccc.ARCH_WORKAROUND_1, 3000);
  assert.deepEqual(regs, [0n, 0x1111_1111n, 0x2222_2222n, 0x3333_3333n]);
});

test("a denied PSCI_VERSION answers NOT_SUPPORTED in the guest; a forwarded one exits to the VMM every time", async () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
  const v = vm.createVcpu();
  v.init();
  vm.setSmcccFilter({ base: Psci.VERSION, nrFunctions: 1, action: FilterAction.DENY });
  const { regs } = await hvcLoop(vm, v, Psci.VERSION, 3000);
  assert.equal(regs[0], 0xffff_ffff_ffff_ffffn);

  const vm2 = new Vm({ host: nodeHost(), ramSize: 1 << 20, clock: "deterministic" });
  const w = vm2.createVcpu();
  w.init();
  vm2.setSmcccFilter({ base: Psci.VERSION, nrFunctions: 1, action: FilterAction.FWD_TO_USER });
  vm2.core.writePhys(CODE, assemble(`${li("x0", Psci.VERSION)}\n 1: hvc #0\n b 1b`));
  w.pc = CODE;
  for (let i = 0; i < 3; i++) {
    const exit = await w.run();
    assert.deepEqual(exit, { reason: "hypercall", nr: BigInt(Psci.VERSION), flags: 0 });
    assert.equal(vm2.core.hypercallsAnswered, 0);
  }
});
