// The SMCCC filter (KVM_ARM_VM_SMCCC_FILTER, spec §4): sparse, non-overlapping ranges of
// function IDs with an action each; calls outside every range are handled in the hypervisor.
import { FilterAction } from "./constants.ts";
import { HvError } from "./errors.ts";

/** One filter request, as struct kvm_smccc_filter (pad must be all zero). */
export interface SmcccFilterRange {
  base: number;
  nrFunctions: number;
  action: FilterAction | number;
  pad?: Uint8Array;
}

interface Range {
  start: number;
  end: number;
  action: FilterAction;
}

/** The Arm Architecture Call ranges userspace may not filter (inserted as HANDLE on first use). */
const RESERVED: readonly Range[] = [
  { start: 0x8000_0000, end: 0x8000_ffff, action: FilterAction.HANDLE },
  { start: 0xc000_0000, end: 0xc000_ffff, action: FilterAction.HANDLE },
];

export class SmcccFilter {
  private ranges: Range[] = [];
  /** Bumped by every change (answers worked out from the filter are stale then). */
  generation = 0;

  /** True once any range has been inserted. */
  get configured(): boolean {
    return this.ranges.length > 0;
  }

  /**
   * Inserts a range. `hasRun` is whether any vCPU of the VM has run. Errors as KVM: EINVAL for
   * non-zero padding, an empty or wrapping range or an unknown action; EBUSY after a vCPU ran;
   * EEXIST for an overlap with an earlier range or the reserved architecture ranges.
   */
  insert(req: SmcccFilterRange, hasRun: boolean): void {
    if (req.pad?.some((b) => b !== 0)) throw new HvError("EINVAL", "filter padding must be zero");
    const start = req.base >>> 0;
    const end = (start + (req.nrFunctions >>> 0) - 1) >>> 0;
    if (end < start) throw new HvError("EINVAL", "filter range is empty or wraps around");
    if (!Number.isInteger(req.action) || req.action < 0 || req.action > FilterAction.FWD_TO_USER) {
      throw new HvError("EINVAL", `unknown filter action ${req.action}`);
    }
    if (hasRun) throw new HvError("EBUSY", "the SMCCC filter cannot change after a vCPU has run");
    const ranges = this.ranges.length ? this.ranges : [...RESERVED];
    if (ranges.some((r) => start <= r.end && r.start <= end)) {
      throw new HvError("EEXIST", `range 0x${start.toString(16)}..0x${end.toString(16)} overlaps an existing one`);
    }
    ranges.push({ start, end, action: req.action as FilterAction });
    this.ranges = ranges.sort((a, b) => a.start - b.start);
    this.generation++;
  }

  /** The action for a function ID (HANDLE where no range covers it). */
  action(fid: number): FilterAction {
    const f = fid >>> 0;
    for (const r of this.ranges) {
      if (f < r.start) break;
      if (f <= r.end) return r.action;
    }
    return FilterAction.HANDLE;
  }
}
