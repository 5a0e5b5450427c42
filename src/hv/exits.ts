// Why Vcpu.run() returned: plain data, one variant per KVM exit reason Dormouse produces.
import type { SystemEventType } from "./constants.ts";

/** A guest access to a physical address no in-hypervisor device claims (KVM_EXIT_MMIO). */
export interface MmioExit {
  reason: "mmio";
  phys: bigint;
  size: number;
  write: boolean;
  /** The value written, for writes. */
  data: bigint;
}

/** An SMCCC call forwarded by the filter (KVM_EXIT_HYPERCALL); arguments are in x1..x17. */
export interface HypercallExit {
  reason: "hypercall";
  /** The 32-bit function ID. */
  nr: bigint;
  /** HYPERCALL_EXIT_SMC when the SMC conduit was used. */
  flags: number;
}

/** A PSCI system event (KVM_EXIT_SYSTEM_EVENT): only the first `ndata` words of `data` are valid. */
export interface SystemEventExit {
  reason: "system_event";
  type: SystemEventType;
  ndata: number;
  data: bigint[];
}

/** run() was interrupted by kick() (KVM's signal → -EINTR). */
export interface IntrExit {
  reason: "intr";
}

/** The hypervisor could not continue the vCPU (KVM_EXIT_INTERNAL_ERROR). */
export interface InternalErrorExit {
  reason: "internal_error";
  message: string;
}

export type Exit = MmioExit | HypercallExit | SystemEventExit | IntrExit | InternalErrorExit;
