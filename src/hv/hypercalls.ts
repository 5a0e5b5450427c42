// The SMCCC dispatch pipeline (spec §2.1–2.7, KVM's arch/arm64/kvm/hypercalls.c and psci.c):
// conduit checks → SMCCC filter → allow-list and firmware bitmaps → SMCCC services → PSCI by
// version. Pure logic over the small interfaces below; the Vm and Vcpu classes implement them.
import {
  AffinityState,
  FilterAction,
  HYPERCALL_EXIT_SMC,
  KVM_UID,
  MPIDR_HWID_BITMASK,
  MpState,
  PSCI_OFF2_HIBERNATE,
  PSCI_TOS_MP,
  Psci,
  Psci01,
  PsciRet,
  PsciVersion,
  SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED,
  SMCCC_RET_NOT_REQUIRED,
  SMCCC_RET_NOT_SUPPORTED,
  SMCCC_RET_SUCCESS,
  SMCCC_VERSION_1_1,
  Smccc,
  SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2,
  SYSTEM_EVENT_SHUTDOWN_FLAG_PSCI_OFF2,
  SystemEventType,
  TRNG_UUID,
  TRNG_VERSION_1_0,
} from "./constants.ts";
import type { Exit } from "./exits.ts";
import type { FirmwareRegs } from "./firmware-regs.ts";
import type { SmcccFilter } from "./smccc-filter.ts";

/** The calling vCPU as the dispatcher sees it. */
export interface SmcccCaller {
  /** The vCPU's index in its VM. */
  readonly id: number;
  /** Xn (n = 0..17). */
  x(n: number): bigint;
  setX(n: number, v: bigint): void;
  /** Effective PSCI version of this vCPU (0.1 without the PSCI 0.2 feature). */
  readonly psciVersion: number;
  /** Data endianness of the caller (SCTLR_EL1.EE); always false on this little-endian-only CPU. */
  readonly bigEndian: boolean;
}

/** Another vCPU of the VM, as PSCI CPU_ON and AFFINITY_INFO see it. */
export interface PsciTarget {
  /** MPIDR_EL1 affinity (Aff3..Aff0, no RES1 bit). */
  readonly mpidr: bigint;
  readonly mpState: MpState;
  /** CPU_ON: record the reset (applied before the target runs or its registers are accessed) and make it RUNNABLE. */
  powerOn(entry: bigint, contextId: bigint, bigEndian: boolean): void;
}

/** What the dispatcher needs of the VM. */
export interface SmcccVm {
  readonly filter: SmcccFilter;
  readonly firmware: FirmwareRegs;
  readonly systemSuspendEnabled: boolean;
  readonly vcpus: readonly PsciTarget[];
  /** Sets every vCPU of the VM to STOPPED (system events other than SUSPEND). */
  stopAll(): void;
  /** 64 random bits for TRNG. */
  random64(): bigint;
  /** PTP: wall-clock nanoseconds and the counter (virtual when `physical` is false); null when unavailable. */
  ptpTime(physical: boolean): { realNs: bigint; counter: bigint } | null;
  /** PV time: the guest physical address of this vCPU's stolen-time record (initialised), or null. */
  stolenTimeAddress(caller: SmcccCaller): bigint | null;
  /** Whether a stolen-time address is configured for the caller. */
  hasStolenTime(caller: SmcccCaller): boolean;
}

/** The dispatcher's verdict: keep running the caller, wait like WFI, power it off, or exit to the VMM. */
export type SmcccOutcome = { kind: "continue" } | { kind: "wfi" } | { kind: "cpu_off" } | { kind: "exit"; exit: Exit };

const CONTINUE: SmcccOutcome = { kind: "continue" };
const M64 = (1n << 64n) - 1n;

/** Sign-extends a PSCI/SMCCC return code into x0. */
function ret(v: number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

function setRet(c: SmcccCaller, x0: bigint, x1 = 0n, x2 = 0n, x3 = 0n): void {
  c.setX(0, x0 & M64);
  c.setX(1, x1 & M64);
  c.setX(2, x2 & M64);
  c.setX(3, x3 & M64);
}

/** Zero-extends x1..x3 to 32 bits in the caller's registers (the 32-bit PSCI forms). */
function narrow(c: SmcccCaller): void {
  for (let i = 1; i < 4; i++) c.setX(i, c.x(i) & 0xffff_ffffn);
}

/**
 * Handles an HVC or SMC from EL1. `imm16` is the instruction's immediate; the PC already points
 * past the instruction (as KVM presents both conduits).
 */
export function handleSmccc(vm: SmcccVm, c: SmcccCaller, conduit: "hvc" | "smc", imm16: number): SmcccOutcome {
  const fid = Number(c.x(0) & 0xffff_ffffn);
  if (conduit === "smc" && imm16 !== 0) {
    // SMC with a non-zero immediate is not an SMCCC call: x0 = -1, nothing dispatched.
    c.setX(0, M64);
    return CONTINUE;
  }
  if (conduit === "hvc" && (fid === Smccc.ARCH_WORKAROUND_1 || fid === Smccc.ARCH_WORKAROUND_2 || fid === Smccc.ARCH_WORKAROUND_3)) {
    // The EL2 fast path: the workaround calls return at once.
    c.setX(0, 0n);
    return CONTINUE;
  }
  const action = vm.filter.action(fid);
  if (action === FilterAction.DENY) {
    setRet(c, ret(SMCCC_RET_NOT_SUPPORTED));
    return CONTINUE;
  }
  if (action === FilterAction.FWD_TO_USER) {
    return { kind: "exit", exit: { reason: "hypercall", nr: BigInt(fid), flags: conduit === "smc" ? HYPERCALL_EXIT_SMC : 0 } };
  }
  if (!allowed(vm, fid)) {
    setRet(c, ret(SMCCC_RET_NOT_SUPPORTED));
    return CONTINUE;
  }
  switch (fid) {
    case Smccc.VERSION:
      setRet(c, BigInt(SMCCC_VERSION_1_1));
      return CONTINUE;
    case Smccc.ARCH_FEATURES:
      setRet(c, ret(archFeatures(vm, Number(c.x(1) & 0xffff_ffffn))));
      return CONTINUE;
    case Smccc.HV_PV_TIME_FEATURES: {
      const f = Number(c.x(1) & 0xffff_ffffn);
      const ok = (f === Smccc.HV_PV_TIME_FEATURES || f === Smccc.HV_PV_TIME_ST) && vm.hasStolenTime(c);
      setRet(c, ret(ok ? SMCCC_RET_SUCCESS : SMCCC_RET_NOT_SUPPORTED));
      return CONTINUE;
    }
    case Smccc.HV_PV_TIME_ST: {
      const addr = vm.stolenTimeAddress(c);
      setRet(c, addr ?? ret(SMCCC_RET_NOT_SUPPORTED));
      return CONTINUE;
    }
    case Smccc.VENDOR_HYP_CALL_UID:
      setRet(c, KVM_UID[0], KVM_UID[1], KVM_UID[2], KVM_UID[3]);
      return CONTINUE;
    case Smccc.VENDOR_HYP_KVM_FEATURES:
      setRet(c, vm.firmware.vendorHypBmap, 0n, vm.firmware.vendorHypBmap2, 0n);
      return CONTINUE;
    case Smccc.VENDOR_HYP_KVM_PTP: {
      const arg = Number(c.x(1) & 0xffff_ffffn);
      const t = arg <= 1 ? vm.ptpTime(arg === 1) : null;
      if (!t) setRet(c, ret(SMCCC_RET_NOT_SUPPORTED));
      else setRet(c, t.realNs >> 32n, t.realNs & 0xffff_ffffn, (t.counter >> 32n) & 0xffff_ffffn, t.counter & 0xffff_ffffn);
      return CONTINUE;
    }
    case Smccc.TRNG_VERSION:
    case Smccc.TRNG_FEATURES:
    case Smccc.TRNG_GET_UUID:
    case Smccc.TRNG_RND32:
    case Smccc.TRNG_RND64:
      trng(vm, c, fid);
      return CONTINUE;
    default:
      return psci(vm, c, fid);
  }
}

/**
 * Calls whose answer can depend on nothing but the VM's configuration (the filter, the firmware
 * registers) and the caller's PSCI version: fixedAnswers tries these.
 */
const FIXED_CANDIDATES: readonly number[] = [
  Psci.VERSION,
  Psci.MIGRATE_INFO_TYPE,
  Smccc.VERSION,
  Smccc.ARCH_WORKAROUND_1,
  Smccc.ARCH_WORKAROUND_2,
  Smccc.ARCH_WORKAROUND_3,
  Smccc.TRNG_VERSION,
];

/** What fixedAnswers' probe was not allowed to touch. */
class NotFixed extends Error {}

function notFixed(): never {
  throw new NotFixed();
}

/**
 * The HVC calls a caller may have answered without the dispatcher (the CPU core writes the
 * registers itself, Cpu.setHypercallAnswers): each candidate is dispatched by handleSmccc with a
 * VM that offers only its filter and firmware registers and a caller that offers only x0 (read
 * once) and its PSCI version, and kept when the call continues having written only x0..x3 —
 * anything else it reaches for (another register, the vCPUs, time, entropy, the system-suspend
 * capability) throws and leaves it to the dispatcher. The answers hold while the filter, the
 * firmware registers and the caller's PSCI version stay as they are.
 */
export function fixedAnswers(vm: SmcccVm, psciVersion: number): { fid: number; regs: (bigint | undefined)[] }[] {
  const probeVm: SmcccVm = {
    filter: vm.filter,
    firmware: vm.firmware,
    get systemSuspendEnabled(): boolean {
      return notFixed();
    },
    get vcpus(): readonly PsciTarget[] {
      return notFixed();
    },
    stopAll: notFixed,
    random64: notFixed,
    ptpTime: notFixed,
    stolenTimeAddress: notFixed,
    hasStolenTime: notFixed,
  };
  const out: { fid: number; regs: (bigint | undefined)[] }[] = [];
  for (const fid of FIXED_CANDIDATES) {
    const regs: (bigint | undefined)[] = [];
    let x0Read = false;
    const probe: SmcccCaller = {
      id: -1,
      psciVersion,
      get bigEndian(): boolean {
        return notFixed();
      },
      x(n: number): bigint {
        if (n !== 0 || x0Read) notFixed();
        x0Read = true;
        return BigInt(fid);
      },
      setX(n: number, v: bigint): void {
        if (n > 3) notFixed();
        regs[n] = BigInt.asUintN(64, v);
      },
    };
    try {
      if (handleSmccc(probeVm, probe, "hvc", 0).kind === "continue") out.push({ fid, regs });
    } catch (e) {
      if (!(e instanceof NotFixed)) throw e;
    }
  }
  return out;
}

/** KVM's allow-list: default-allowed IDs, or IDs whose firmware-bitmap bit is set. */
function allowed(vm: SmcccVm, fid: number): boolean {
  const fw = vm.firmware;
  switch (fid) {
    case Smccc.TRNG_VERSION:
    case Smccc.TRNG_FEATURES:
    case Smccc.TRNG_GET_UUID:
    case Smccc.TRNG_RND32:
    case Smccc.TRNG_RND64:
      return (fw.stdBmap & 1n) !== 0n;
    case Smccc.HV_PV_TIME_FEATURES:
    case Smccc.HV_PV_TIME_ST:
      return (fw.stdHypBmap & 1n) !== 0n;
    case Smccc.VENDOR_HYP_KVM_FEATURES:
    case Smccc.VENDOR_HYP_CALL_UID:
      return (fw.vendorHypBmap & 1n) !== 0n;
    case Smccc.VENDOR_HYP_KVM_PTP:
      return (fw.vendorHypBmap & 2n) !== 0n;
    case Smccc.VERSION:
    case Smccc.ARCH_FEATURES:
      return true;
    default: {
      // The PSCI window (Standard Secure owner, function number ≤ 0x1F) and KVM's PSCI 0.1 IDs.
      const owner = (fid >>> 24) & 0x3f;
      if (owner === 4 && (fid & 0xffff) <= 0x1f) return true;
      return fid >= Psci01.CPU_SUSPEND && fid <= Psci01.MIGRATE;
    }
  }
}

function archFeatures(vm: SmcccVm, feature: number): number {
  switch (feature) {
    case Smccc.ARCH_WORKAROUND_1:
    case Smccc.ARCH_WORKAROUND_3:
      // An emulated CPU does not speculate: not affected.
      return SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED;
    case Smccc.ARCH_WORKAROUND_2:
      return SMCCC_RET_NOT_REQUIRED;
    case Smccc.HV_PV_TIME_FEATURES:
      return (vm.firmware.stdHypBmap & 1n) !== 0n ? SMCCC_RET_SUCCESS : SMCCC_RET_NOT_SUPPORTED;
    default:
      return SMCCC_RET_NOT_SUPPORTED;
  }
}

function trng(vm: SmcccVm, c: SmcccCaller, fid: number): void {
  switch (fid) {
    case Smccc.TRNG_VERSION:
      setRet(c, BigInt(TRNG_VERSION_1_0));
      return;
    case Smccc.TRNG_FEATURES: {
      const f = Number(c.x(1) & 0xffff_ffffn);
      const known = f >= Smccc.TRNG_VERSION && f <= Smccc.TRNG_RND32;
      setRet(c, ret(known || f === Smccc.TRNG_RND64 ? 0 : -1));
      return;
    }
    case Smccc.TRNG_GET_UUID:
      setRet(c, TRNG_UUID[0], TRNG_UUID[1], TRNG_UUID[2], TRNG_UUID[3]);
      return;
    default: {
      const size = fid === Smccc.TRNG_RND32 ? 32 : 64;
      const nbits = Number(c.x(1) & 0xffff_ffffn);
      if (nbits > 3 * size) {
        setRet(c, ret(-2));
        return;
      }
      // Up to 192 random bits, the low `nbits` kept, returned most significant word first.
      const bits = (vm.random64() | (vm.random64() << 64n) | (vm.random64() << 128n)) & ((1n << BigInt(nbits)) - 1n);
      if (size === 32) {
        const w = (i: number) => (bits >> BigInt(32 * i)) & 0xffff_ffffn;
        setRet(c, 0n, w(2), w(1), w(0));
      } else {
        const w = (i: number) => (bits >> BigInt(64 * i)) & M64;
        setRet(c, 0n, w(2), w(1), w(0));
      }
      return;
    }
  }
}

function psci(vm: SmcccVm, c: SmcccCaller, fid: number): SmcccOutcome {
  switch (c.psciVersion) {
    case PsciVersion.V0_1:
      return psci01(vm, c, fid);
    case PsciVersion.V0_2:
      return psci02(vm, c, fid);
    default:
      return psci1x(vm, c, fid, c.psciVersion & 0xffff);
  }
}

function psci01(vm: SmcccVm, c: SmcccCaller, fid: number): SmcccOutcome {
  if (fid === Psci01.CPU_OFF) {
    setRet(c, 0n);
    return { kind: "cpu_off" };
  }
  if (fid === Psci01.CPU_ON) {
    setRet(c, ret(cpuOn(vm, c)));
    return CONTINUE;
  }
  setRet(c, ret(PsciRet.NOT_SUPPORTED));
  return CONTINUE;
}

/** System event: every vCPU STOPPED, x0 preset to INTERNAL_FAILURE. */
function systemEvent(vm: SmcccVm, type: SystemEventType, flags: bigint): Exit {
  vm.stopAll();
  return { reason: "system_event", type, ndata: 1, data: [flags] };
}

function psci02(vm: SmcccVm, c: SmcccCaller, fid: number): SmcccOutcome {
  switch (fid) {
    case Psci.VERSION:
      setRet(c, BigInt(PsciVersion.V0_2));
      return CONTINUE;
    case Psci.CPU_SUSPEND:
    case Psci.CPU_SUSPEND64:
      // Both standby and power-down are emulated as WFI; context is preserved.
      setRet(c, 0n);
      return { kind: "wfi" };
    case Psci.CPU_OFF:
      setRet(c, 0n);
      return { kind: "cpu_off" };
    case Psci.CPU_ON:
      narrow(c);
      setRet(c, ret(cpuOn(vm, c)));
      return CONTINUE;
    case Psci.CPU_ON64:
      setRet(c, ret(cpuOn(vm, c)));
      return CONTINUE;
    case Psci.AFFINITY_INFO:
      narrow(c);
      setRet(c, ret(affinityInfo(vm, c)));
      return CONTINUE;
    case Psci.AFFINITY_INFO64:
      setRet(c, ret(affinityInfo(vm, c)));
      return CONTINUE;
    case Psci.MIGRATE_INFO_TYPE:
      setRet(c, BigInt(PSCI_TOS_MP));
      return CONTINUE;
    case Psci.SYSTEM_OFF: {
      const exit = systemEvent(vm, SystemEventType.SHUTDOWN, 0n);
      setRet(c, ret(PsciRet.INTERNAL_FAILURE));
      return { kind: "exit", exit };
    }
    case Psci.SYSTEM_RESET: {
      const exit = systemEvent(vm, SystemEventType.RESET, 0n);
      setRet(c, ret(PsciRet.INTERNAL_FAILURE));
      return { kind: "exit", exit };
    }
    default:
      setRet(c, ret(PsciRet.NOT_SUPPORTED));
      return CONTINUE;
  }
}

function psciFeatures(vm: SmcccVm, minor: number, arg: number): number {
  switch (arg) {
    case Psci.VERSION:
    case Psci.CPU_SUSPEND:
    case Psci.CPU_SUSPEND64:
    case Psci.CPU_OFF:
    case Psci.CPU_ON:
    case Psci.CPU_ON64:
    case Psci.AFFINITY_INFO:
    case Psci.AFFINITY_INFO64:
    case Psci.MIGRATE_INFO_TYPE:
    case Psci.SYSTEM_OFF:
    case Psci.SYSTEM_RESET:
    case Psci.FEATURES:
    case Smccc.VERSION:
      return 0;
    case Psci.SYSTEM_SUSPEND:
    case Psci.SYSTEM_SUSPEND64:
      return vm.systemSuspendEnabled ? 0 : PsciRet.NOT_SUPPORTED;
    case Psci.SYSTEM_RESET2:
    case Psci.SYSTEM_RESET2_64:
      return minor >= 1 ? 0 : PsciRet.NOT_SUPPORTED;
    case Psci.SYSTEM_OFF2:
    case Psci.SYSTEM_OFF2_64:
      return minor >= 3 ? PSCI_OFF2_HIBERNATE : PsciRet.NOT_SUPPORTED;
    default:
      return PsciRet.NOT_SUPPORTED;
  }
}

function psci1x(vm: SmcccVm, c: SmcccCaller, fid: number, minor: number): SmcccOutcome {
  switch (fid) {
    case Psci.VERSION:
      setRet(c, BigInt(0x1_0000 | minor));
      return CONTINUE;
    case Psci.FEATURES:
      setRet(c, ret(psciFeatures(vm, minor, Number(c.x(1) & 0xffff_ffffn))));
      return CONTINUE;
    case Psci.SYSTEM_SUSPEND:
    case Psci.SYSTEM_SUSPEND64:
      if (fid === Psci.SYSTEM_SUSPEND) narrow(c);
      if (vm.systemSuspendEnabled) {
        // Registers untouched: the VMM reads entry (x1) and context id (x2) from them.
        return { kind: "exit", exit: { reason: "system_event", type: SystemEventType.SUSPEND, ndata: 0, data: [] } };
      }
      setRet(c, ret(PsciRet.NOT_SUPPORTED));
      return CONTINUE;
    case Psci.SYSTEM_RESET2:
    case Psci.SYSTEM_RESET2_64: {
      if (fid === Psci.SYSTEM_RESET2) narrow(c);
      if (minor < 1) break;
      const type = Number(c.x(1) & 0xffff_ffffn);
      if (type === 0 || type >= 0x8000_0000) {
        const exit = systemEvent(vm, SystemEventType.RESET, SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
        c.setX(0, ret(PsciRet.INTERNAL_FAILURE));
        return { kind: "exit", exit };
      }
      setRet(c, ret(PsciRet.INVALID_PARAMETERS));
      return CONTINUE;
    }
    case Psci.SYSTEM_OFF2:
    case Psci.SYSTEM_OFF2_64: {
      if (fid === Psci.SYSTEM_OFF2) narrow(c);
      if (minor < 3) break;
      const type = Number(c.x(1) & 0xffff_ffffn);
      if ((type !== 0 && type !== PSCI_OFF2_HIBERNATE) || c.x(2) !== 0n) {
        setRet(c, ret(PsciRet.INVALID_PARAMETERS));
        return CONTINUE;
      }
      const exit = systemEvent(vm, SystemEventType.SHUTDOWN, SYSTEM_EVENT_SHUTDOWN_FLAG_PSCI_OFF2);
      setRet(c, ret(PsciRet.INTERNAL_FAILURE));
      return { kind: "exit", exit };
    }
    default:
      return psci02(vm, c, fid);
  }
  setRet(c, ret(PsciRet.NOT_SUPPORTED));
  return CONTINUE;
}

function cpuOn(vm: SmcccVm, c: SmcccCaller): number {
  const target = c.x(1);
  if (target & ~MPIDR_HWID_BITMASK) return PsciRet.INVALID_PARAMETERS;
  const t = vm.vcpus.find((v) => v.mpidr === target);
  if (!t) return PsciRet.INVALID_PARAMETERS;
  if (t.mpState !== MpState.STOPPED) {
    return c.psciVersion === PsciVersion.V0_1 ? PsciRet.INVALID_PARAMETERS : PsciRet.ALREADY_ON;
  }
  t.powerOn(c.x(2), c.x(3), c.bigEndian);
  return PsciRet.SUCCESS;
}

function affinityInfo(vm: SmcccVm, c: SmcccCaller): number {
  let target = c.x(1);
  const level = c.x(2);
  if (target & ~MPIDR_HWID_BITMASK) return PsciRet.INVALID_PARAMETERS;
  if (level > 3n) return PsciRet.INVALID_PARAMETERS;
  const mask = MPIDR_HWID_BITMASK & ~((1n << (level * 8n)) - 1n);
  target &= mask;
  let matching = 0;
  for (const v of vm.vcpus) {
    if ((v.mpidr & mask) === target) {
      matching++;
      if (v.mpState !== MpState.STOPPED) return AffinityState.ON;
    }
  }
  return matching ? AffinityState.OFF : PsciRet.INVALID_PARAMETERS;
}
