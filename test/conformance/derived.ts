// spec §5.5: scenarios derived from KVM's code (D-1..D-15; D-14 is "an AArch32 vCPU is refused").
import assert from "node:assert/strict";
import { MpState, PsciRet, PsciVersion, SystemEventType } from "../../src/hv/constants.ts";
import { FW_REG } from "../../src/hv/firmware-regs.ts";
import { CODE, code, li, load, makeVm, Psci, runToUcall, type Scenario, smccc, ucall } from "./guest.ts";

const WAKEUP = { reason: "system_event", type: SystemEventType.WAKEUP, ndata: 0, data: [] };
const SUSPEND = { reason: "system_event", type: SystemEventType.SUSPEND, ndata: 0, data: [] };

/** Guest code arming the virtual timer to fire at once (CVAL = 0, enabled, unmasked). */
const ARM_TIMER_NOW = "msr cntv_cval_el0, xzr\nmov x9, #1\nmsr cntv_ctl_el0, x9\nisb\n";

export const derived: Scenario[] = [
  {
    id: "D-1",
    title: "without the SYSTEM_SUSPEND capability: NOT_SUPPORTED, no exit, not offered by PSCI_FEATURES",
    async run() {
      const { vm, vcpus } = makeVm(1);
      load(
        vm,
        `${smccc(Psci.FEATURES, [Psci.SYSTEM_SUSPEND64])}mov x19, x0\n${smccc(Psci.SYSTEM_SUSPEND64, [CODE, 0])}mov x20, x0\n${ucall()}`,
      );
      vcpus[0].pc = CODE;
      assert.equal(await runToUcall(vcpus[0]), 0);
      assert.equal(vcpus[0].x(19), code(PsciRet.NOT_SUPPORTED));
      assert.equal(vcpus[0].x(20), code(PsciRet.NOT_SUPPORTED));
    },
  },
  {
    id: "D-2",
    title: "SUSPEND exit: PC after the HVC, x0 = fid, x1 = entry, x2 = context, MP states unchanged, ndata 0",
    async run() {
      const { vm, vcpus } = makeVm(2);
      vm.enableCapability("systemSuspend");
      vcpus[1].setMpState(MpState.STOPPED);
      const call = smccc(Psci.SYSTEM_SUSPEND64, [0x4000_1000, 0x1234_5678_9abc]);
      load(vm, call);
      vcpus[0].pc = CODE;
      assert.deepEqual(await vcpus[0].run(), SUSPEND);
      const v = vcpus[0];
      assert.equal(v.pc, CODE + BigInt(call.trim().split("\n").length * 4));
      assert.deepEqual([v.x(0), v.x(1), v.x(2)], [BigInt(Psci.SYSTEM_SUSPEND64), 0x4000_1000n, 0x1234_5678_9abcn]);
      assert.deepEqual([vcpus[0].getMpState(), vcpus[1].getMpState()], [MpState.RUNNABLE, MpState.STOPPED]);
    },
  },
  {
    id: "D-3",
    title: "SYSTEM_SUSPEND through the SMC32 ID: x1/x2 are narrowed to 32 bits at the exit",
    async run() {
      const { vm, vcpus } = makeVm(1);
      vm.enableCapability("systemSuspend");
      load(vm, smccc(Psci.SYSTEM_SUSPEND, [0xffff_0000_4000_2000n, 0xaaaa_bbbb_cccc_ddddn], "smc #0"));
      vcpus[0].pc = CODE;
      assert.deepEqual(await vcpus[0].run(), SUSPEND);
      assert.deepEqual([vcpus[0].x(1), vcpus[0].x(2)], [0x4000_2000n, 0xcccc_ddddn]);
    },
  },
  {
    id: "D-4",
    title: "SUSPENDED with nothing pending: a kick makes run return intr, the vCPU stays SUSPENDED",
    async run() {
      const { vm, vcpus } = makeVm(1);
      load(vm, "b .");
      const v = vcpus[0];
      v.pc = CODE;
      v.setMpState(MpState.SUSPENDED);
      const p = v.run();
      setTimeout(() => v.kick(), 20);
      assert.deepEqual(await p, { reason: "intr" });
      assert.equal(v.getMpState(), MpState.SUSPENDED);
    },
  },
  {
    id: "D-5",
    title: "SUSPENDED with an expired timer: WAKEUP exit, registers untouched, still SUSPENDED",
    async run() {
      const { vm, vcpus } = makeVm(1);
      load(vm, `${ARM_TIMER_NOW}${li("x19", 0x1111)}${ucall()}b .`);
      const v = vcpus[0];
      v.pc = CODE;
      assert.equal(await runToUcall(v), 0);
      const before = [v.pc, v.x(0), v.x(19), v.pstate];
      v.setMpState(MpState.SUSPENDED);
      assert.deepEqual(await v.run(), WAKEUP);
      assert.deepEqual([v.pc, v.x(0), v.x(19), v.pstate], before);
      assert.equal(v.getMpState(), MpState.SUSPENDED);
    },
  },
  {
    id: "D-6",
    title: "running a SUSPENDED vCPU again without changes gives WAKEUP again at once",
    async run() {
      const { vm, vcpus } = makeVm(1);
      load(vm, `${ARM_TIMER_NOW}${ucall()}b .`);
      const v = vcpus[0];
      v.pc = CODE;
      await runToUcall(v);
      v.setMpState(MpState.SUSPENDED);
      assert.deepEqual(await v.run(), WAKEUP);
      assert.deepEqual(await v.run(), WAKEUP);
    },
  },
  {
    id: "D-7",
    title: "honouring a wake: re-init, PC = entry, x0 = context; the guest runs there at EL1h, DAIF masked, MMU off",
    async run() {
      const { vm, vcpus } = makeVm(1);
      vm.enableCapability("systemSuspend");
      const entry = CODE + 0x1000n;
      load(vm, `mrs x9, sctlr_el1\norr x9, x9, #4\nmsr sctlr_el1, x9\n${ARM_TIMER_NOW}${smccc(Psci.SYSTEM_SUSPEND64, [entry, 0x77])}`);
      load(vm, `mov x19, x0\nmrs x20, currentel\nmrs x21, daif\nmrs x22, sctlr_el1\nmrs x23, spsel\n${ucall()}`, entry);
      const v = vcpus[0];
      v.pc = CODE;
      assert.deepEqual(await v.run(), SUSPEND);
      const [e, ctx] = [v.x(1), v.x(2)];
      v.setMpState(MpState.SUSPENDED);
      assert.deepEqual(await v.run(), WAKEUP);
      v.init();
      v.pc = e;
      v.setX(0, ctx);
      assert.equal(v.getMpState(), MpState.RUNNABLE);
      assert.equal(await runToUcall(v), 0);
      assert.equal(v.x(19), 0x77n);
      assert.equal(v.x(20), 4n, "EL1");
      assert.equal(v.x(21), 0x3c0n, "D, A, I, F masked");
      assert.equal(v.x(22) & 5n, 0n, "MMU and data cache off");
      assert.equal(v.x(23), 1n, "SP_EL1 selected (EL1h)");
    },
  },
  {
    id: "D-8",
    title: "CPU_ON of a SUSPENDED vCPU returns ALREADY_ON",
    async run() {
      const { vm, vcpus } = makeVm(2);
      vcpus[1].setMpState(MpState.SUSPENDED);
      load(vm, `${smccc(Psci.CPU_ON64, [1, CODE, 0])}mov x19, x0\n${ucall()}`);
      vcpus[0].pc = CODE;
      await runToUcall(vcpus[0]);
      assert.equal(vcpus[0].x(19), code(PsciRet.ALREADY_ON));
    },
  },
  {
    id: "D-9",
    title: "AFFINITY_INFO with level 4, bits outside the HWID mask, or an unknown MPIDR: INVALID_PARAMETERS",
    async run() {
      const { vm, vcpus } = makeVm(2);
      load(
        vm,
        `${smccc(Psci.AFFINITY_INFO64, [0, 4])}mov x19, x0\n${smccc(Psci.AFFINITY_INFO64, [1n << 24n, 0])}mov x20, x0\n${smccc(Psci.AFFINITY_INFO64, [0x42, 0])}mov x21, x0\n${ucall()}`,
      );
      vcpus[0].pc = CODE;
      await runToUcall(vcpus[0]);
      for (const r of [19, 20, 21]) assert.equal(vcpus[0].x(r), code(PsciRet.INVALID_PARAMETERS));
    },
  },
  {
    id: "D-10",
    title: "PSCI 0.1: CPU_ON of a running vCPU returns INVALID_PARAMETERS",
    async run() {
      const { vm, vcpus } = makeVm(2);
      for (const v of vcpus) v.init({ psci02: false });
      assert.equal(vcpus[0].getFirmwareReg(FW_REG.PSCI_VERSION), 1n);
      load(vm, `${smccc(0x95c1_ba60, [1, CODE, 0])}mov x19, x0\n${ucall()}`);
      vcpus[0].pc = CODE;
      await runToUcall(vcpus[0]);
      assert.equal(vcpus[0].x(19), code(PsciRet.INVALID_PARAMETERS));
    },
  },
  {
    id: "D-11",
    title: "after SYSTEM_OFF, running the vCPU again without RUNNABLE blocks until kicked",
    async run() {
      const { vm, vcpus } = makeVm(1);
      load(vm, smccc(Psci.SYSTEM_OFF));
      const v = vcpus[0];
      v.pc = CODE;
      assert.equal((await v.run()).reason, "system_event");
      let done = false;
      const p = v.run().then((e) => {
        done = true;
        return e;
      });
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(done, false, "run blocks while STOPPED");
      v.kick();
      assert.deepEqual(await p, { reason: "intr" });
    },
  },
  {
    id: "D-12",
    title: "SYSTEM_RESET2: type 1 is INVALID_PARAMETERS; vendor type 0x80000000 exits RESET with the RESET2 flag",
    async run() {
      const { vm, vcpus } = makeVm(1);
      load(vm, `${smccc(Psci.SYSTEM_RESET2_64, [1, 0])}mov x19, x0\n${smccc(Psci.SYSTEM_RESET2_64, [0x8000_0000, 0])}`);
      const v = vcpus[0];
      v.pc = CODE;
      assert.deepEqual(await v.run(), { reason: "system_event", type: SystemEventType.RESET, ndata: 1, data: [1n] });
      assert.equal(v.x(19), code(PsciRet.INVALID_PARAMETERS));
      assert.equal(v.x(0), code(PsciRet.INTERNAL_FAILURE));
      assert.equal(v.x(1), 0x8000_0000n);
    },
  },
  {
    id: "D-13",
    title: "PSCI version 1.2: SYSTEM_OFF2 is neither offered nor supported",
    async run() {
      const { vm, vcpus } = makeVm(1);
      vcpus[0].setFirmwareReg(FW_REG.PSCI_VERSION, BigInt(PsciVersion.V1_2));
      load(
        vm,
        `${smccc(Psci.FEATURES, [Psci.SYSTEM_OFF2_64])}mov x19, x0\n${smccc(Psci.SYSTEM_OFF2_64, [0, 0])}mov x20, x0\n${smccc(Psci.VERSION)}mov x21, x0\n${ucall()}`,
      );
      vcpus[0].pc = CODE;
      await runToUcall(vcpus[0]);
      assert.equal(vcpus[0].x(19), code(PsciRet.NOT_SUPPORTED));
      assert.equal(vcpus[0].x(20), code(PsciRet.NOT_SUPPORTED));
      assert.equal(vcpus[0].x(21), 0x10002n);
    },
  },
  {
    id: "D-14",
    title: "an AArch32 vCPU is refused at init",
    async run() {
      const { vcpus } = makeVm(1);
      assert.throws(() => vcpus[0].init({ el1Aarch32: true }), { errno: "EINVAL" });
    },
  },
  {
    id: "D-15",
    title: "SMC with a non-zero immediate returns -1 without dispatch; HVC with one is dispatched",
    async run() {
      const { vm, vcpus } = makeVm(1);
      load(vm, `${smccc(Psci.VERSION, [], "smc #1")}mov x19, x0\n${smccc(Psci.VERSION, [], "hvc #0x42")}mov x20, x0\n${ucall()}`);
      vcpus[0].pc = CODE;
      await runToUcall(vcpus[0]);
      assert.equal(vcpus[0].x(19), (1n << 64n) - 1n);
      assert.equal(vcpus[0].x(20), 0x10003n);
    },
  },
];
