// spec §5.1: the KVM selftest psci_test.c scenarios.
import assert from "node:assert/strict";
import { MpState, PsciRet, SystemEventType } from "../../src/hv/constants.ts";
import { FW_REG } from "../../src/hv/firmware-regs.ts";
import { CODE, code, load, MPIDR, makeVm, Psci, runToUcall, type Scenario, smccc, ucall } from "./guest.ts";

const SHUTDOWN_OFF2 = { reason: "system_event", type: SystemEventType.SHUTDOWN, ndata: 1, data: [1n] };

export const psciSelftest: Scenario[] = [
  {
    id: "PSCI-1",
    title: "cpu_on: CPU_ON64 then AFFINITY_INFO64 until ON; the target's PC and x0 are set without running it",
    async run() {
      const { vm, vcpus } = makeVm(2);
      const [src, dst] = vcpus;
      dst.setMpState(MpState.STOPPED);
      load(
        vm,
        `mov x9, x0
        ${smccc(Psci.CPU_ON64, ["x9", 0xfeed_f00d, 0xdead_c0de])}
        mov x19, x0
      1:
        ${smccc(Psci.AFFINITY_INFO64, ["x9", 0])}
        cmp x0, #1
        b.hi 2f
        cbnz x0, 1b
      2:
        mov x20, x0
        ${ucall()}`,
      );
      src.pc = CODE;
      src.setX(0, dst.sysreg(MPIDR) & 0xff_00ff_ffffn);
      assert.equal(await runToUcall(src), 0);
      assert.equal(src.x(19), 0n, "CPU_ON returns SUCCESS");
      assert.equal(src.x(20), 0n, "AFFINITY_INFO ends with ON");
      assert.equal(dst.pc, 0xfeed_f00dn);
      assert.equal(dst.x(0), 0xdead_c0den);
    },
  },
  {
    id: "PSCI-2",
    title: "system_suspend: PSCI_FEATURES offers both IDs; SYSTEM_SUSPEND64 exits with a SUSPEND event",
    async run() {
      const { vm, vcpus } = makeVm(2);
      vm.enableCapability("systemSuspend");
      vcpus[1].setMpState(MpState.STOPPED);
      load(
        vm,
        `${smccc(Psci.FEATURES, [Psci.SYSTEM_SUSPEND])}
        mov x19, x0
        ${smccc(Psci.FEATURES, [Psci.SYSTEM_SUSPEND64])}
        mov x20, x0
        ${smccc(Psci.SYSTEM_SUSPEND64, [0xfeed_f00d, 0xdead_c0de])}`,
      );
      vcpus[0].pc = CODE;
      const e = await vcpus[0].run();
      assert.deepEqual(e, { reason: "system_event", type: SystemEventType.SUSPEND, ndata: 0, data: [] });
      assert.equal(vcpus[0].x(19), 0n);
      assert.equal(vcpus[0].x(20), 0n);
    },
  },
  {
    id: "PSCI-3",
    title: "system_off2: invalid type/cookie rejected; valid calls exit SHUTDOWN with the OFF2 flag; resumed guest sees INTERNAL_FAILURE",
    async run() {
      const { vm, vcpus } = makeVm(2);
      const [src, dst] = vcpus;
      assert.ok(src.getFirmwareReg(FW_REG.PSCI_VERSION) >= 0x10003n);
      dst.setMpState(MpState.STOPPED);
      load(
        vm,
        `${smccc(Psci.FEATURES, [Psci.SYSTEM_OFF2])}
        mov x19, x0
        ${smccc(Psci.FEATURES, [Psci.SYSTEM_OFF2_64])}
        mov x20, x0
        ${smccc(Psci.SYSTEM_OFF2_64, [1, 1])}
        mov x21, x0
        ${smccc(Psci.SYSTEM_OFF2_64, [1, 0])}
        mov x22, x0
        ${smccc(Psci.SYSTEM_OFF2_64, [0, 1])}
        mov x23, x0
        ${smccc(Psci.SYSTEM_OFF2_64, [0, 0])}
        mov x24, x0
        ${ucall()}`,
      );
      src.pc = CODE;
      let shutdowns = 0;
      for (;;) {
        const e = await src.run();
        if (e.reason === "hypercall") break;
        assert.deepEqual(e, SHUTDOWN_OFF2);
        shutdowns++;
        src.setMpState(MpState.RUNNABLE);
      }
      assert.equal(shutdowns, 2);
      assert.notEqual(src.x(19) & 1n, 0n);
      assert.notEqual(src.x(20) & 1n, 0n);
      assert.equal(src.x(21), code(PsciRet.INVALID_PARAMETERS));
      assert.equal(src.x(22), code(PsciRet.INTERNAL_FAILURE));
      assert.equal(src.x(23), code(PsciRet.INVALID_PARAMETERS));
      assert.equal(src.x(24), code(PsciRet.INTERNAL_FAILURE));
    },
  },
];
