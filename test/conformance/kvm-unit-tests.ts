// spec §5.4: kvm-unit-tests arm/psci.c and arm/selftest.c scenarios.
import assert from "node:assert/strict";
import { MpState, PsciRet, SystemEventType } from "../../src/hv/constants.ts";
import type { Exit } from "../../src/hv/exits.ts";
import type { Vcpu } from "../../src/hv/vcpu.ts";
import { CODE, code, li, load, makeVm, Psci, runToUcall, type Scenario, smccc, ucall } from "./guest.ts";

const SHUTDOWN = { reason: "system_event", type: SystemEventType.SHUTDOWN, ndata: 1, data: [0n] };

/** Runs a vCPU to its first ucall, returning [ucall number, x1]. */
async function report(v: Vcpu): Promise<[number, bigint]> {
  const n = await runToUcall(v);
  return [n, v.x(1)];
}

/** Secondaries start STOPPED, as QEMU powers them off until CPU_ON. */
function smp(n: number) {
  const r = makeVm(n);
  for (const v of r.vcpus.slice(1)) v.setMpState(MpState.STOPPED);
  return r;
}

export const kvmUnitTests: Scenario[] = [
  {
    id: "KUT-1",
    title: "invalid-function: function ID 1337 returns NOT_SUPPORTED",
    async run() {
      const { vm, vcpus } = smp(1);
      load(vm, `${smccc(1337)}mov x1, x0\n${ucall()}`);
      vcpus[0].pc = CODE;
      const [, x1] = await report(vcpus[0]);
      assert.equal(x1, code(PsciRet.NOT_SUPPORTED));
    },
  },
  {
    id: "KUT-2",
    title: "affinity-info-on: AFFINITY_INFO of the calling CPU is ON",
    async run() {
      const { vm, vcpus } = smp(2);
      load(vm, `${smccc(Psci.AFFINITY_INFO64, [0, 0])}mov x1, x0\n${ucall()}`);
      vcpus[0].pc = CODE;
      assert.equal((await report(vcpus[0]))[1], 0n);
    },
  },
  {
    id: "KUT-3",
    title: "affinity-info-off: AFFINITY_INFO of a CPU not yet started is OFF",
    async run() {
      const { vm, vcpus } = smp(2);
      load(vm, `${smccc(Psci.AFFINITY_INFO64, [1, 0])}mov x1, x0\n${ucall()}`);
      vcpus[0].pc = CODE;
      assert.equal((await report(vcpus[0]))[1], 1n);
    },
  },
  {
    id: "KUT-4",
    title: "cpu-on: CPU0 and CPUs 2..3 race to CPU_ON CPU1; exactly one succeeds, the others see ALREADY_ON",
    async run() {
      const { vm, vcpus } = smp(4);
      const racer = CODE + 0x1000n;
      const target = CODE + 0x2000n;
      load(
        vm,
        `${smccc(Psci.CPU_ON64, [2, racer, 2])}${smccc(Psci.CPU_ON64, [3, racer, 3])}${smccc(Psci.CPU_ON64, [1, target, 1])}mov x1, x0\n${ucall()}`,
      );
      load(vm, `${smccc(Psci.CPU_ON64, [1, target, 9])}mov x1, x0\n${ucall()}`, racer);
      load(vm, `mov x1, x0\n${ucall(2)}`, target);
      vcpus[0].pc = CODE;
      const results = await Promise.all(vcpus.map((v) => report(v)));
      const calls = [results[0], results[2], results[3]];
      assert.ok(calls.every(([n]) => n === 0));
      const codes = calls.map(([, x]) => x).sort();
      assert.deepEqual(codes, [0n, code(PsciRet.ALREADY_ON), code(PsciRet.ALREADY_ON)].sort());
      assert.equal(results[1][0], 2, "CPU1 came online");
    },
  },
  {
    id: "KUT-5",
    title: "cpu-off: secondaries call CPU_OFF while CPU0 polls AFFINITY_INFO; all OFF, none returns from CPU_OFF",
    async run() {
      const { vm, vcpus } = smp(4);
      const sec = CODE + 0x1000n;
      let poll = "";
      for (let c = 1; c < 4; c++) poll += `${c}:\n${smccc(Psci.AFFINITY_INFO64, [c, 0])}cmp x0, #1\nb.ne ${c}b\n`;
      load(
        vm,
        `${smccc(Psci.CPU_ON64, [1, sec, 1])}${smccc(Psci.CPU_ON64, [2, sec, 2])}${smccc(Psci.CPU_ON64, [3, sec, 3])}${poll}${ucall()}`,
      );
      load(vm, `${smccc(Psci.CPU_OFF)}${ucall(3)}`, sec);
      vcpus[0].pc = CODE;
      const secondaries: Promise<Exit>[] = vcpus.slice(1).map((v) => v.run());
      let returned = false;
      for (const p of secondaries) p.then((e) => (returned ||= !(e.reason === "intr")));
      assert.equal(await runToUcall(vcpus[0]), 0);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(returned, false, "no CPU returned from CPU_OFF");
      for (const v of vcpus.slice(1)) {
        assert.equal(v.getMpState(), MpState.STOPPED);
        v.kick();
      }
      for (const e of await Promise.all(secondaries)) assert.equal(e.reason, "intr");
    },
  },
  {
    id: "KUT-6",
    title: "exit path: SYSTEM_OFF ends the VM with a SHUTDOWN event",
    async run() {
      const { vm, vcpus } = smp(2);
      load(vm, smccc(Psci.SYSTEM_OFF));
      vcpus[0].pc = CODE;
      assert.deepEqual(await vcpus[0].run(), SHUTDOWN);
      assert.ok(vcpus.every((v) => v.getMpState() === MpState.STOPPED));
    },
  },
  {
    id: "KUT-7",
    title: "vectors-user: HVC at EL0 is UNDEFINED (EC 0) at EL1, whose handler calls SYSTEM_OFF",
    async run() {
      const { vm, vcpus } = smp(1);
      const vectors = CODE + 0x1000n;
      const user = CODE + 0x2000n;
      load(vm, `${li("x1", vectors)}msr vbar_el1, x1\n${li("x1", user)}msr elr_el1, x1\nmsr spsr_el1, xzr\neret`);
      // Lower-EL synchronous vector (VBAR + 0x400).
      load(vm, `mrs x19, esr_el1\nmrs x20, elr_el1\n${smccc(Psci.SYSTEM_OFF)}`, vectors + 0x400n);
      load(vm, smccc(Psci.SYSTEM_OFF), user);
      const v = vcpus[0];
      v.pc = CODE;
      assert.deepEqual(await v.run(), SHUTDOWN);
      assert.equal(v.x(19) >> 26n, 0n, "EC = unknown");
      assert.equal(v.x(20), user + 8n, "ELR points at the HVC");
    },
  },
  {
    id: "KUT-8",
    title: "selftest smp: every CPU boots with CPU_ON and its MPIDR maps to its logical id",
    async run() {
      const { vm, vcpus } = smp(4);
      const sec = CODE + 0x1000n;
      load(
        vm,
        `${smccc(Psci.VERSION)}mov x19, x0\n${smccc(Psci.CPU_ON64, [1, sec, 1])}${smccc(Psci.CPU_ON64, [2, sec, 2])}${smccc(Psci.CPU_ON64, [3, sec, 3])}mrs x1, mpidr_el1\nmov x2, #0\n${ucall(1)}`,
      );
      load(vm, `mov x2, x0\nmrs x1, mpidr_el1\n${ucall(1)}`, sec);
      vcpus[0].pc = CODE;
      const reports = await Promise.all(vcpus.map(async (v) => [await runToUcall(v), v.x(1), v.x(2)] as const));
      reports.forEach(([n, mpidr, id], i) => {
        assert.equal(n, 1);
        assert.equal(mpidr & 0xff_00ff_ffffn, BigInt(i));
        assert.equal(mpidr >> 31n, 1n, "MPIDR bit 31 is RES1");
        assert.equal(id, BigInt(i));
      });
      assert.equal(vcpus[0].x(19), 0x10003n);
    },
  },
];
