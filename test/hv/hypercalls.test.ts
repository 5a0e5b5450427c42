// The SMCCC/PSCI dispatch pipeline against the contract in spec/psci-kvm-semantics.md, driven
// through small fakes of the VM and vCPUs (the conformance scenarios exercise it with guests).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FilterAction, MpState, Psci, PsciVersion, Smccc, SystemEventType } from "../../src/hv/constants.ts";
import type { HvError } from "../../src/hv/errors.ts";
import { FirmwareRegs, FW_REG } from "../../src/hv/firmware-regs.ts";
import { handleSmccc, type PsciTarget, type SmcccCaller, type SmcccVm } from "../../src/hv/hypercalls.ts";
import { SmcccFilter } from "../../src/hv/smccc-filter.ts";

const M64 = (1n << 64n) - 1n;
const neg = (v: number) => BigInt.asUintN(64, BigInt(v));

class FakeCpu implements SmcccCaller, PsciTarget {
  regs: bigint[] = new Array(18).fill(0n);
  mpState = MpState.RUNNABLE;
  reset: { entry: bigint; ctx: bigint } | null = null;
  readonly id: number;
  constructor(
    readonly mpidr: bigint,
    public psciVersion = PsciVersion.V1_3,
  ) {
    this.id = Number(mpidr);
  }
  readonly bigEndian = false;
  x(n: number) {
    return this.regs[n];
  }
  setX(n: number, v: bigint) {
    this.regs[n] = v & M64;
  }
  powerOn(entry: bigint, ctx: bigint) {
    this.reset = { entry, ctx };
    this.mpState = MpState.RUNNABLE;
  }
}

function makeVm(n = 2, suspend = false) {
  const vcpus = Array.from({ length: n }, (_, i) => new FakeCpu(BigInt(i)));
  const vm = {
    filter: new SmcccFilter(),
    firmware: new FirmwareRegs(),
    systemSuspendEnabled: suspend,
    vcpus,
    stopAll() {
      for (const v of vcpus) v.mpState = MpState.STOPPED;
    },
    random64: () => 0x0123_4567_89ab_cdefn,
    ptpTime: () => ({ realNs: 0x1_0000_0002n, counter: 0x3_0000_0004n }),
    stolenTimeAddress: () => null,
    hasStolenTime: () => false,
  } satisfies SmcccVm;
  return vm;
}

/** Calls and returns x0. */
function x0(vm: SmcccVm, c: FakeCpu, fid: number, ...args: bigint[]): bigint {
  call(vm, c, fid, ...args);
  return c.x(0);
}

function call(vm: SmcccVm, c: FakeCpu, fid: number, ...args: bigint[]) {
  c.setX(0, BigInt(fid));
  args.forEach((a, i) => {
    c.setX(i + 1, a);
  });
  return handleSmccc(vm, c, "hvc", 0);
}

describe("PSCI 1.3 calls", () => {
  test("PSCI_VERSION, MIGRATE_INFO_TYPE and x1..x3 zeroed", () => {
    const vm = makeVm();
    const c = vm.vcpus[0];
    assert.equal(call(vm, c, Psci.VERSION, 7n, 8n, 9n).kind, "continue");
    assert.deepEqual(c.regs.slice(0, 4), [0x10003n, 0n, 0n, 0n]);
    call(vm, c, Psci.MIGRATE_INFO_TYPE);
    assert.equal(c.x(0), 2n);
  });

  test("PSCI_FEATURES per spec §2.6", () => {
    const vm = makeVm();
    const c = vm.vcpus[0];
    const f = (fid: number) => x0(vm, c, Psci.FEATURES, BigInt(fid));
    assert.equal(f(Psci.CPU_ON64), 0n);
    assert.equal(f(Smccc.VERSION), 0n);
    assert.equal(f(Psci.SYSTEM_SUSPEND64), neg(-1), "D-1: not offered without the capability");
    assert.equal(f(Psci.SYSTEM_RESET2_64), 0n);
    assert.equal(f(Psci.SYSTEM_OFF2_64), 1n);
    assert.equal(f(Psci.SYSTEM_OFF2), 1n);
    assert.equal(f(Psci.MIGRATE), neg(-1));
    assert.equal(f(0xc400_0000 | 0x53), neg(-1));
    const vmS = makeVm(1, true);
    assert.equal(x0(vmS, vmS.vcpus[0], Psci.FEATURES, BigInt(Psci.SYSTEM_SUSPEND)), 0n);
  });

  test("CPU_ON: success, ALREADY_ON, INVALID_PARAMETERS, no entry validation", () => {
    const vm = makeVm();
    const [a, b] = vm.vcpus;
    b.mpState = MpState.STOPPED;
    call(vm, a, Psci.CPU_ON64, 1n, 0xfeed_f00dn, 0xdead_c0den);
    assert.equal(a.x(0), 0n);
    assert.deepEqual(b.reset, { entry: 0xfeed_f00dn, ctx: 0xdead_c0den });
    call(vm, a, Psci.CPU_ON64, 1n, 0n, 0n);
    assert.equal(a.x(0), neg(-4));
    b.mpState = MpState.SUSPENDED;
    call(vm, a, Psci.CPU_ON64, 1n, 0n, 0n);
    assert.equal(a.x(0), neg(-4), "D-8: a SUSPENDED target is ON");
    call(vm, a, Psci.CPU_ON64, 0x8000_0001n, 0n, 0n);
    assert.equal(a.x(0), neg(-2), "RES1 bit 31 must be masked by the caller");
    call(vm, a, Psci.CPU_ON64, 5n, 0n, 0n);
    assert.equal(a.x(0), neg(-2), "unknown MPIDR");
  });

  test("CPU_ON (32-bit) narrows x1..x3 in the caller's registers", () => {
    const vm = makeVm();
    const [a, b] = vm.vcpus;
    b.mpState = MpState.STOPPED;
    call(vm, a, Psci.CPU_ON, 0xffff_ffff_0000_0001n, 0xaaaa_bbbb_4000_0000n, 0x1_0000_0002n);
    assert.equal(a.x(0), 0n);
    assert.deepEqual(b.reset, { entry: 0x4000_0000n, ctx: 2n });
  });

  test("AFFINITY_INFO levels and D-9", () => {
    const vm = makeVm(3);
    const [a, , c3] = vm.vcpus;
    c3.mpState = MpState.STOPPED;
    const info = (t: bigint, l: bigint) => x0(vm, a, Psci.AFFINITY_INFO64, t, l);
    assert.equal(info(0n, 0n), 0n);
    assert.equal(info(2n, 0n), 1n);
    assert.equal(info(2n, 1n), 0n, "level 1 covers the running vCPUs of the cluster");
    assert.equal(info(2n, 4n), neg(-2));
    assert.equal(info(1n << 24n, 0n), neg(-2));
    assert.equal(info(9n, 0n), neg(-2));
    c3.mpState = MpState.SUSPENDED;
    assert.equal(info(2n, 0n), 0n);
  });

  test("CPU_OFF and CPU_SUSPEND outcomes", () => {
    const vm = makeVm();
    assert.equal(call(vm, vm.vcpus[0], Psci.CPU_OFF).kind, "cpu_off");
    const r = call(vm, vm.vcpus[1], Psci.CPU_SUSPEND64, 1n << 16n, 0x1234n, 5n);
    assert.equal(r.kind, "wfi");
    assert.equal(vm.vcpus[1].x(0), 0n);
  });

  test("SYSTEM_OFF / SYSTEM_RESET stop every vCPU and preset INTERNAL_FAILURE", () => {
    for (const [fid, type] of [
      [Psci.SYSTEM_OFF, SystemEventType.SHUTDOWN],
      [Psci.SYSTEM_RESET, SystemEventType.RESET],
    ] as const) {
      const vm = makeVm();
      const r = call(vm, vm.vcpus[0], fid);
      assert.deepEqual(r, { kind: "exit", exit: { reason: "system_event", type, ndata: 1, data: [0n] } });
      assert.equal(vm.vcpus[0].x(0), neg(-6));
      assert.ok(vm.vcpus.every((v) => v.mpState === MpState.STOPPED));
    }
  });

  test("SYSTEM_SUSPEND: exit with registers untouched (D-2, D-3), NOT_SUPPORTED without the cap (D-1)", () => {
    const vm = makeVm(2, true);
    const a = vm.vcpus[0];
    const r = call(vm, a, Psci.SYSTEM_SUSPEND64, 0xfeed_f00dn, 0xdead_c0den);
    assert.deepEqual(r, { kind: "exit", exit: { reason: "system_event", type: SystemEventType.SUSPEND, ndata: 0, data: [] } });
    assert.deepEqual(a.regs.slice(0, 3), [0xc400_000en, 0xfeed_f00dn, 0xdead_c0den]);
    assert.ok(
      vm.vcpus.every((v) => v.mpState === MpState.RUNNABLE),
      "no MP state changes",
    );
    call(vm, a, Psci.SYSTEM_SUSPEND, 0xffff_0000_4000_0000n, 0xffff_0000_0000_0007n);
    assert.deepEqual(a.regs.slice(0, 3), [0x8400_000en, 0x4000_0000n, 7n]);
    const vm2 = makeVm();
    assert.equal(call(vm2, vm2.vcpus[0], Psci.SYSTEM_SUSPEND64, 1n, 2n).kind, "continue");
    assert.deepEqual(vm2.vcpus[0].regs.slice(0, 4), [neg(-1), 0n, 0n, 0n]);
  });

  test("SYSTEM_RESET2 (D-12) and SYSTEM_OFF2 (PSCI-3)", () => {
    const vm = makeVm();
    const a = vm.vcpus[0];
    assert.equal(call(vm, a, Psci.SYSTEM_RESET2_64, 1n, 0n).kind, "continue");
    assert.equal(a.x(0), neg(-2));
    const r = call(vm, a, Psci.SYSTEM_RESET2_64, 0x8000_0000n, 0x55n);
    assert.deepEqual(r, { kind: "exit", exit: { reason: "system_event", type: SystemEventType.RESET, ndata: 1, data: [1n] } });
    assert.deepEqual(a.regs.slice(0, 3), [neg(-6), 0x8000_0000n, 0x55n], "x1..x3 untouched on the RESET2 exit");
    const vm2 = makeVm();
    const b = vm2.vcpus[0];
    assert.equal(call(vm2, b, Psci.SYSTEM_OFF2_64, 1n, 1n).kind, "continue");
    assert.equal(b.x(0), neg(-2));
    assert.equal(call(vm2, b, Psci.SYSTEM_OFF2_64, 0n, 1n).kind, "continue");
    assert.equal(b.x(0), neg(-2));
    for (const type of [1n, 0n]) {
      for (const v of vm2.vcpus as FakeCpu[]) v.mpState = MpState.RUNNABLE;
      const e = call(vm2, b, Psci.SYSTEM_OFF2_64, type, 0n);
      assert.deepEqual(e, { kind: "exit", exit: { reason: "system_event", type: SystemEventType.SHUTDOWN, ndata: 1, data: [1n] } });
      assert.equal(b.x(0), neg(-6));
    }
  });

  test("D-13: PSCI 1.2 has no SYSTEM_OFF2; D-10: PSCI 0.1 CPU_ON on a running target", () => {
    const vm = makeVm();
    const a = vm.vcpus[0];
    a.psciVersion = PsciVersion.V1_2;
    call(vm, a, Psci.FEATURES, BigInt(Psci.SYSTEM_OFF2_64));
    assert.equal(a.x(0), neg(-1));
    assert.equal(call(vm, a, Psci.SYSTEM_OFF2_64, 0n, 0n).kind, "continue");
    assert.equal(a.x(0), neg(-1));
    a.psciVersion = PsciVersion.V0_1;
    call(vm, a, 0x95c1_ba60, 1n, 0n, 0n);
    assert.equal(a.x(0), neg(-2));
    call(vm, a, Psci.VERSION);
    assert.equal(a.x(0), neg(-1), "0.1 knows only CPU_OFF and CPU_ON");
  });
});

describe("SMCCC pipeline", () => {
  test("D-15: SMC with a non-zero immediate returns -1 without dispatch; HVC immediates are ignored", () => {
    const vm = makeVm();
    const a = vm.vcpus[0];
    a.setX(0, BigInt(Psci.VERSION));
    a.setX(1, 77n);
    handleSmccc(vm, a, "smc", 1);
    assert.deepEqual(a.regs.slice(0, 2), [M64, 77n]);
    a.setX(0, BigInt(Psci.VERSION));
    handleSmccc(vm, a, "hvc", 0x1234);
    assert.equal(a.x(0), 0x10003n);
  });

  test("unknown IDs: −1 inside and outside the PSCI window; SMCCC_VERSION 1.1; vendor UID", () => {
    const vm = makeVm();
    const a = vm.vcpus[0];
    call(vm, a, 1337);
    assert.equal(a.x(0), M64);
    call(vm, a, 0x8400_001f);
    assert.equal(a.x(0), M64);
    call(vm, a, Smccc.VERSION);
    assert.equal(a.x(0), 0x10001n);
    call(vm, a, Smccc.VENDOR_HYP_CALL_UID);
    assert.deepEqual(a.regs.slice(0, 4), [0xb66f_b428n, 0xe911_c52en, 0x564b_caa9n, 0x743a_004dn]);
  });

  test("filter: DENY and FWD_TO_USER on both conduits (FLT-7, FLT-8)", () => {
    for (const conduit of ["hvc", "smc"] as const) {
      const vm = makeVm(1);
      const a = vm.vcpus[0];
      vm.filter.insert({ base: Psci.VERSION, nrFunctions: 1, action: FilterAction.DENY }, false);
      a.setX(0, BigInt(Psci.VERSION));
      handleSmccc(vm, a, conduit, 0);
      assert.equal(a.x(0), M64);
      const vm2 = makeVm(1);
      vm2.filter.insert({ base: Psci.VERSION, nrFunctions: 1, action: FilterAction.FWD_TO_USER }, false);
      const b = vm2.vcpus[0];
      b.setX(0, BigInt(Psci.VERSION));
      const r = handleSmccc(vm2, b, conduit, 0);
      assert.deepEqual(r, { kind: "exit", exit: { reason: "hypercall", nr: BigInt(Psci.VERSION), flags: conduit === "smc" ? 1 : 0 } });
      assert.equal(b.x(0), BigInt(Psci.VERSION), "registers untouched on a forwarded call");
    }
  });

  test("filter validation (FLT-1..FLT-6, EBUSY)", () => {
    const f = new SmcccFilter();
    const code = (fn: () => void) => {
      try {
        fn();
        return "ok";
      } catch (e) {
        return (e as HvError).errno;
      }
    };
    const pad = new Uint8Array(15);
    pad[0] = 0xff;
    assert.equal(
      code(() => f.insert({ base: 0x8400_0000, nrFunctions: 1, action: 1, pad }, false)),
      "EINVAL",
    );
    assert.equal(
      code(() => f.insert({ base: 0xc400_0003, nrFunctions: 0, action: 1 }, false)),
      "EINVAL",
    );
    assert.equal(
      code(() => f.insert({ base: 0xffff_ffff, nrFunctions: 0xffff_ffff, action: 1 }, false)),
      "EINVAL",
    );
    assert.equal(
      code(() => f.insert({ base: 0xc400_0003, nrFunctions: 1, action: 0xff }, false)),
      "EINVAL",
    );
    assert.equal(
      code(() => f.insert({ base: 0x8000_8000, nrFunctions: 1, action: 1 }, false)),
      "EEXIST",
    );
    assert.equal(
      code(() => f.insert({ base: 0xc000_0000, nrFunctions: 1, action: 1 }, false)),
      "EEXIST",
    );
    assert.equal(
      code(() => f.insert({ base: 0xc400_0003, nrFunctions: 1, action: 1 }, false)),
      "ok",
    );
    assert.equal(
      code(() => f.insert({ base: 0xc400_0003, nrFunctions: 1, action: 1 }, false)),
      "EEXIST",
    );
    assert.equal(
      code(() => f.insert({ base: 0x8400_0000, nrFunctions: 1, action: 1 }, true)),
      "EBUSY",
    );
  });

  test("firmware bitmaps gate TRNG, PV time and vendor calls (HC-3, HC-4, HC-5)", () => {
    const ids = [Smccc.TRNG_VERSION, Smccc.TRNG_GET_UUID, Smccc.TRNG_RND64, Smccc.VENDOR_HYP_KVM_FEATURES, Smccc.VENDOR_HYP_CALL_UID];
    const vm = makeVm(1);
    const a = vm.vcpus[0];
    for (const id of ids) {
      call(vm, a, id, 64n);
      assert.notEqual(a.x(0), M64, `0x${id.toString(16)} enabled by default`);
    }
    call(vm, a, Smccc.VENDOR_HYP_KVM_PTP, 0n);
    assert.deepEqual(a.regs.slice(0, 4), [1n, 2n, 3n, 4n]);
    call(vm, a, Smccc.TRNG_FEATURES, BigInt(Smccc.VENDOR_HYP_KVM_PTP));
    assert.equal(a.x(0), M64, "HC-5: TRNG_FEATURES of a non-TRNG ID");
    call(vm, a, Smccc.ARCH_FEATURES, BigInt(Smccc.TRNG_RND64));
    assert.equal(a.x(0), M64);
    for (const reg of [FW_REG.STD_BMAP, FW_REG.STD_HYP_BMAP, FW_REG.VENDOR_HYP_BMAP]) vm.firmware.set(reg, 0n, true, false);
    for (const id of [...ids, Smccc.HV_PV_TIME_FEATURES, Smccc.HV_PV_TIME_ST, Smccc.VENDOR_HYP_KVM_PTP]) {
      call(vm, a, id, 0n);
      assert.equal(a.x(0), M64, `0x${id.toString(16)} disabled`);
    }
    call(vm, a, Smccc.ARCH_FEATURES, BigInt(Smccc.HV_PV_TIME_FEATURES));
    assert.equal(a.x(0), M64);
  });

  test("TRNG_RND32/64 bit counts", () => {
    const vm = makeVm(1);
    const a = vm.vcpus[0];
    call(vm, a, Smccc.TRNG_RND32, 97n);
    assert.equal(a.x(0), neg(-2));
    call(vm, a, Smccc.TRNG_RND32, 8n);
    assert.deepEqual(a.regs.slice(0, 4), [0n, 0n, 0n, 0xefn]);
    call(vm, a, Smccc.TRNG_RND64, 192n);
    assert.equal(a.x(0), 0n);
    assert.equal(a.x(3), 0x0123_4567_89ab_cdefn);
  });
});

describe("firmware registers", () => {
  test("HC-1/HC-2: reset values, EINVAL for unknown bits, EBUSY after a run", () => {
    const fw = new FirmwareRegs();
    assert.deepEqual(
      [FW_REG.STD_BMAP, FW_REG.STD_HYP_BMAP, FW_REG.VENDOR_HYP_BMAP, FW_REG.VENDOR_HYP_BMAP_2].map((r) => fw.get(r, true)),
      [1n, 1n, 3n, 0n],
    );
    assert.throws(() => fw.set(FW_REG.STD_BMAP, 2n, true, false), { errno: "EINVAL" });
    fw.set(FW_REG.VENDOR_HYP_BMAP_2, 3n, true, false);
    assert.equal(fw.get(FW_REG.VENDOR_HYP_BMAP_2, true), 3n);
    assert.throws(() => fw.set(FW_REG.VENDOR_HYP_BMAP_2, 0n, true, true), { errno: "EBUSY" });
    fw.set(FW_REG.VENDOR_HYP_BMAP_2, 3n, true, true);
  });

  test("PSCI version register", () => {
    const fw = new FirmwareRegs();
    assert.equal(fw.get(FW_REG.PSCI_VERSION, true), 0x10003n);
    assert.equal(fw.get(FW_REG.PSCI_VERSION, false), 1n);
    fw.set(FW_REG.PSCI_VERSION, 0x10002n, true, true);
    assert.equal(fw.get(FW_REG.PSCI_VERSION, true), 0x10002n);
    assert.throws(() => fw.set(FW_REG.PSCI_VERSION, 0x10004n, true, false), { errno: "EINVAL" });
    assert.throws(() => fw.set(FW_REG.PSCI_VERSION, 1n, true, false), { errno: "EINVAL" });
    assert.throws(() => fw.set(FW_REG.PSCI_VERSION, 2n, false, false), { errno: "EINVAL" });
    assert.throws(() => fw.set(0x6020_0000_0014_0000n, 2n, true, false), { errno: "ENOENT" });
  });
});
