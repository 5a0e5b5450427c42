// spec §5.3: the KVM selftest hypercalls.c scenarios.
import assert from "node:assert/strict";
import { Smccc } from "../../src/hv/constants.ts";
import { FW_REG } from "../../src/hv/firmware-regs.ts";
import type { Vcpu } from "../../src/hv/vcpu.ts";
import type { Vm } from "../../src/hv/vm.ts";
import { CODE, load, makeVm, runToUcall, type Scenario, smccc, ucall } from "./guest.ts";

const ALL_ONES = (1n << 64n) - 1n;
const BMAPS = [FW_REG.STD_BMAP, FW_REG.STD_HYP_BMAP, FW_REG.VENDOR_HYP_BMAP, FW_REG.VENDOR_HYP_BMAP_2];
const RESET = [0x1n, 0x1n, 0x3n, 0x0n];
const MASKS = [0x1n, 0x1n, 0x3n, 0x3n];
const STOLEN_IPA = 0x4080_0000n;

/** The HC-3/HC-4 calls, results in x19..x29. */
const CALLS: [number, (number | bigint)[]][] = [
  [Smccc.TRNG_VERSION, []],
  [Smccc.TRNG_FEATURES, [Smccc.TRNG_RND64]],
  [Smccc.TRNG_GET_UUID, []],
  [Smccc.TRNG_RND32, [96]],
  [Smccc.TRNG_RND64, [192]],
  [Smccc.ARCH_FEATURES, [Smccc.HV_PV_TIME_FEATURES]],
  [Smccc.HV_PV_TIME_FEATURES, [Smccc.HV_PV_TIME_ST]],
  [Smccc.HV_PV_TIME_ST, []],
  [Smccc.VENDOR_HYP_KVM_FEATURES, []],
  [Smccc.VENDOR_HYP_CALL_UID, []],
  [Smccc.VENDOR_HYP_KVM_PTP, [0]],
];

async function runCalls(vm: Vm, v: Vcpu, calls: [number, (number | bigint)[]][]): Promise<bigint[]> {
  load(vm, `${calls.map(([fid, args], i) => `${smccc(fid, args)}mov x${19 + i}, x0\n`).join("")}${ucall()}`);
  v.pc = CODE;
  assert.equal(await runToUcall(v), 0);
  return calls.map((_, i) => v.x(19 + i));
}

export const hypercalls: Scenario[] = [
  {
    id: "HC-1",
    title: "firmware bitmaps before the first run: reset values, writable, EINVAL beyond the last bit",
    async run() {
      const { vcpus } = makeVm(1);
      const v = vcpus[0];
      BMAPS.forEach((r, i) => {
        assert.equal(v.getFirmwareReg(r), RESET[i]);
        const val = RESET[i] ? 0n : MASKS[i];
        v.setFirmwareReg(r, val);
        assert.equal(v.getFirmwareReg(r), val);
        const bit = BigInt(MASKS[i].toString(2).length);
        assert.throws(() => v.setFirmwareReg(r, 1n << bit), { errno: "EINVAL" });
        v.setFirmwareReg(r, 0n);
      });
    },
  },
  {
    id: "HC-2",
    title: "after the first run the bitmaps keep their values and refuse changes (EBUSY)",
    async run() {
      const { vm, vcpus } = makeVm(1);
      const v = vcpus[0];
      for (const r of BMAPS) v.setFirmwareReg(r, 0n);
      await runCalls(vm, v, [[Smccc.VERSION, []]]);
      BMAPS.forEach((r, i) => {
        assert.equal(v.getFirmwareReg(r), 0n);
        assert.throws(() => v.setFirmwareReg(r, MASKS[i]), { errno: "EBUSY" });
        v.setFirmwareReg(r, 0n);
      });
    },
  },
  {
    id: "HC-3",
    title: "with every feature bit cleared, TRNG, PV time and vendor calls return -1",
    async run() {
      const { vm, vcpus } = makeVm(1);
      const v = vcpus[0];
      vm.setStolenTimeAddress(v, STOLEN_IPA);
      for (const r of BMAPS) v.setFirmwareReg(r, 0n);
      const got = await runCalls(vm, v, CALLS);
      for (const [i, x] of got.entries()) assert.equal(x, ALL_ONES, `call 0x${CALLS[i][0].toString(16)}`);
    },
  },
  {
    id: "HC-4",
    title: "with the default features, the same calls succeed",
    async run() {
      const { vm, vcpus } = makeVm(1);
      const v = vcpus[0];
      vm.setStolenTimeAddress(v, STOLEN_IPA);
      const got = await runCalls(vm, v, CALLS);
      for (const [i, x] of got.entries()) assert.notEqual(x, ALL_ONES, `call 0x${CALLS[i][0].toString(16)}`);
      assert.equal(got[7], STOLEN_IPA, "PV_TIME_ST returns the record's address");
    },
  },
  {
    id: "HC-5",
    title: "feature queries about the wrong service return -1",
    async run() {
      const { vm, vcpus } = makeVm(1);
      const got = await runCalls(vm, vcpus[0], [
        [Smccc.TRNG_FEATURES, [Smccc.VENDOR_HYP_KVM_PTP]],
        [Smccc.ARCH_FEATURES, [Smccc.TRNG_RND64]],
        [Smccc.HV_PV_TIME_FEATURES, [Smccc.TRNG_RND64]],
      ]);
      for (const x of got) assert.equal(x, ALL_ONES);
    },
  },
];
