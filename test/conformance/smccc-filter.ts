// spec §5.2: the KVM selftest smccc_filter.c scenarios.
import assert from "node:assert/strict";
import { FilterAction, HYPERCALL_EXIT_SMC } from "../../src/hv/constants.ts";
import type { HvError } from "../../src/hv/errors.ts";
import { CODE, load, makeVm, Psci, runToUcall, type Scenario, smccc, ucall } from "./guest.ts";

function errno(fn: () => void): string {
  try {
    fn();
    return "ok";
  } catch (e) {
    return (e as HvError).errno ?? String(e);
  }
}

function filterError(
  id: string,
  title: string,
  ranges: { base: number; nrFunctions: number; action: number; pad?: Uint8Array }[],
  want: string[],
): Scenario {
  return {
    id,
    title,
    async run() {
      const { vm } = makeVm(1, {}, false);
      const got = ranges.map((r) => errno(() => vm.setSmcccFilter(r)));
      assert.deepEqual(got, want);
    },
  };
}

const pad = new Uint8Array(15);
pad[0] = 0xff;

function conduitScenarios(id: string, action: FilterAction): Scenario {
  return {
    id,
    title:
      action === FilterAction.DENY
        ? "filter_denied: a denied PSCI_VERSION returns -1 on HVC and SMC"
        : "fwd_to_user: a forwarded PSCI_VERSION exits KVM_EXIT_HYPERCALL on HVC and SMC",
    async run() {
      for (const conduit of ["hvc #0", "smc #0"]) {
        const { vm, vcpus } = makeVm(1);
        vm.setSmcccFilter({ base: Psci.VERSION, nrFunctions: 1, action });
        load(vm, `${smccc(Psci.VERSION, [], conduit)}\nmov x19, x0\n${ucall()}`);
        const v = vcpus[0];
        v.pc = CODE;
        if (action === FilterAction.DENY) {
          assert.equal(await runToUcall(v), 0);
          assert.equal(v.x(19), (1n << 64n) - 1n, conduit);
        } else {
          const e = await v.run();
          assert.deepEqual(e, { reason: "hypercall", nr: BigInt(Psci.VERSION), flags: conduit.startsWith("smc") ? HYPERCALL_EXIT_SMC : 0 });
        }
      }
    },
  };
}

export const smcccFilter: Scenario[] = [
  filterError("FLT-1", "pad_must_be_zero", [{ base: Psci.VERSION, nrFunctions: 1, action: FilterAction.DENY, pad }], ["EINVAL"]),
  filterError("FLT-2", "invalid_nr_functions", [{ base: Psci.CPU_ON64, nrFunctions: 0, action: FilterAction.DENY }], ["EINVAL"]),
  filterError("FLT-3", "overflow_nr_functions", [{ base: 0xffff_ffff, nrFunctions: 0xffff_ffff, action: FilterAction.DENY }], ["EINVAL"]),
  filterError("FLT-4", "reserved_action", [{ base: Psci.CPU_ON64, nrFunctions: 1, action: 0xff }], ["EINVAL"]),
  filterError(
    "FLT-5",
    "filter_reserved_range",
    [
      { base: 0x8000_8000, nrFunctions: 1, action: FilterAction.DENY },
      { base: 0xc000_0000, nrFunctions: 1, action: FilterAction.DENY },
    ],
    ["EEXIST", "EEXIST"],
  ),
  filterError(
    "FLT-6",
    "filter_overlap",
    [
      { base: Psci.CPU_ON64, nrFunctions: 1, action: FilterAction.DENY },
      { base: Psci.CPU_ON64, nrFunctions: 1, action: FilterAction.DENY },
    ],
    ["ok", "EEXIST"],
  ),
  conduitScenarios("FLT-7", FilterAction.DENY),
  conduitScenarios("FLT-8", FilterAction.FWD_TO_USER),
];
