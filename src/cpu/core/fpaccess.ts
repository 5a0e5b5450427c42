// CPACR_EL1.FPEN: whether FP/AdvSIMD instructions may execute at the current exception level.
import { JIT_FP_ENABLED } from "./layout";
import { currentEL } from "./state";
import { SR_CPACR_EL1, srGet } from "./sysreg-slots";

/** FP/SIMD allowed at the current EL; recomputed on CPACR_EL1 writes and EL changes. */
export let fpEnabled: bool = false;

export function updateFpEnabled(): void {
  const fpen = <u32>(srGet(SR_CPACR_EL1) >>> 20) & 3;
  fpEnabled = fpen == 3 || (fpen == 1 && currentEL() == 1);
  // Compiled blocks read the mirror (they cannot see core globals).
  store<u32>(JIT_FP_ENABLED, fpEnabled ? 1 : 0);
}
