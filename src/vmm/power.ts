// Power policy: what the VMM does with the guest's PSCI system events (spec §3.5, §3.6).
import { MpState, PsciRet } from "../hv/constants.ts";
import type { Vcpu } from "../hv/vcpu.ts";

/** How a SYSTEM_SUSPEND is answered: suspend in place, refuse, or suspend and save the VM to disk. */
export type SuspendPolicy = "honour" | "deny" | "save";

/**
 * Decides a SYSTEM_SUSPEND from `caller`: DENIED while any other vCPU is not STOPPED, or when
 * the policy is to deny; otherwise the caller becomes SUSPENDED (it waits, as in WFI, for a
 * wake-up). Returns whether the suspend was honoured.
 */
export function onSystemSuspend(caller: Vcpu, all: readonly Vcpu[], policy: SuspendPolicy): boolean {
  const othersOff = all.every((v) => v === caller || v.getMpState() === MpState.STOPPED);
  if (policy === "deny" || !othersOff) {
    // A save needs the same preconditions as an in-place suspend.
    caller.setX(0, BigInt.asUintN(64, BigInt(PsciRet.DENIED)));
    return false;
  }
  caller.setMpState(MpState.SUSPENDED);
  return true;
}

/**
 * Honours a WAKEUP of a suspended vCPU: a warm reset like CPU_ON, resuming at the entry point
 * the guest passed to SYSTEM_SUSPEND (x1) with x0 = its context id (x2), MMU off, EL1h, DAIF
 * masked.
 */
export function onWakeup(v: Vcpu): void {
  const entry = v.x(1);
  const context = v.x(2);
  v.init();
  v.pc = entry;
  v.setX(0, context);
}
