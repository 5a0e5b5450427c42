// AArch64.BranchAddr for EL0/EL1: with top-byte-ignore (TCR_EL1.TBI0/TBI1, chosen by bit 55)
// a branch target's bits 63:56 become copies of bit 55, so the PC never holds a tag.
import { SR_TCR_EL1, srGet } from "./sysreg-slots";

/** The PC a branch to `target` sets (register branches and exception returns). */
// @ts-ignore: decorator
@inline export function branchAddr(target: u64): u64 {
  const top = target >>> 55;
  // Already sign-extended from bit 55: nothing to strip (the common case).
  if (top == 0 || top == 0x1ff) return target;
  const hi = (target >>> 55) & 1;
  const tbi = (srGet(SR_TCR_EL1) >>> (hi ? 38 : 37)) & 1;
  if (!tbi) return target;
  return hi ? target | 0xff00_0000_0000_0000 : target & 0x00ff_ffff_ffff_ffff;
}
