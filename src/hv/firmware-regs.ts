// KVM's firmware pseudo-registers (spec §2.3, D-fw): the PSCI version register, the Spectre
// workaround levels, and the four hypercall feature bitmaps.
import { PSCI_VERSIONS, PsciVersion } from "./constants.ts";
import { HvError } from "./errors.ts";

/** Register IDs (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | coprocessor | index). */
export const FW_REG = {
  PSCI_VERSION: 0x6030_0000_0014_0000n,
  WORKAROUND_1: 0x6030_0000_0014_0001n,
  WORKAROUND_2: 0x6030_0000_0014_0002n,
  WORKAROUND_3: 0x6030_0000_0014_0003n,
  STD_BMAP: 0x6030_0000_0016_0000n,
  STD_HYP_BMAP: 0x6030_0000_0016_0001n,
  VENDOR_HYP_BMAP: 0x6030_0000_0016_0002n,
  VENDOR_HYP_BMAP_2: 0x6030_0000_0016_0003n,
} as const;

const SIZE_MASK = 0x00f0_0000_0000_0000n;
const SIZE_U64 = 0x0030_0000_0000_0000n;

/** Workaround levels: an emulated CPU is not affected by any of them ("not required"). */
const WA_LEVEL: Record<string, bigint> = {
  [FW_REG.WORKAROUND_1.toString()]: 2n,
  [FW_REG.WORKAROUND_2.toString()]: 3n,
  [FW_REG.WORKAROUND_3.toString()]: 2n,
};

/** The bits each bitmap may have, and their reset values. */
const BMAPS = {
  [FW_REG.STD_BMAP.toString()]: { field: "stdBmap", mask: 0x1n },
  [FW_REG.STD_HYP_BMAP.toString()]: { field: "stdHypBmap", mask: 0x1n },
  [FW_REG.VENDOR_HYP_BMAP.toString()]: { field: "vendorHypBmap", mask: 0x3n },
  [FW_REG.VENDOR_HYP_BMAP_2.toString()]: { field: "vendorHypBmap2", mask: 0x3n },
} as const;

/** VM-wide firmware state. */
export class FirmwareRegs {
  /** PSCI version chosen by the VMM; null means the latest (1.3). */
  psciVersion: number | null = null;
  /** bit0: TRNG v1.0. */
  stdBmap = 0x1n;
  /** bit0: PV time. */
  stdHypBmap = 0x1n;
  /** bit0: KVM_FEATURES and CALL_UID; bit1: PTP. */
  vendorHypBmap = 0x3n;
  /** bit0: DISCOVER_IMPL_VER, bit1: DISCOVER_IMPL_CPUS (not offered). */
  vendorHypBmap2 = 0x0n;

  /** The effective PSCI version for a vCPU with or without the PSCI 0.2 feature. */
  effectivePsciVersion(psci02: boolean): number {
    return psci02 ? (this.psciVersion ?? PsciVersion.V1_3) : PsciVersion.V0_1;
  }

  /** KVM_GET_ONE_REG. */
  get(id: bigint, psci02: boolean): bigint {
    if (id === FW_REG.PSCI_VERSION) return BigInt(this.effectivePsciVersion(psci02));
    const wa = WA_LEVEL[id.toString()];
    if (wa !== undefined) return wa;
    const b = BMAPS[id.toString()];
    if (b) return this[b.field];
    throw new HvError("ENOENT", `no firmware register 0x${id.toString(16)}`);
  }

  /**
   * Bumped by every set() (answers worked out from these registers are stale then); the fields
   * are changed through set() only.
   */
  generation = 0;

  /** KVM_SET_ONE_REG; `hasRun` is whether any vCPU of the VM has run. */
  set(id: bigint, value: bigint, psci02: boolean, hasRun: boolean): void {
    this.generation++;
    if ((id & SIZE_MASK) !== SIZE_U64) throw new HvError("ENOENT", "firmware registers are 64 bits wide");
    if (id === FW_REG.PSCI_VERSION) {
      const v = Number(value);
      if (value === BigInt(PsciVersion.V0_1) && !psci02) {
        this.psciVersion = PsciVersion.V0_1;
        return;
      }
      if (psci02 && PSCI_VERSIONS.includes(v) && value === BigInt(v)) {
        this.psciVersion = v;
        return;
      }
      throw new HvError("EINVAL", `PSCI version 0x${value.toString(16)} is not supported here`);
    }
    const wa = WA_LEVEL[id.toString()];
    if (wa !== undefined) {
      if (value > wa) throw new HvError("EINVAL", "workaround level above what the CPU provides");
      return;
    }
    const b = BMAPS[id.toString()];
    if (!b) throw new HvError("ENOENT", `no firmware register 0x${id.toString(16)}`);
    if (value & ~b.mask) throw new HvError("EINVAL", `unknown feature bits 0x${(value & ~b.mask).toString(16)}`);
    if (hasRun && value !== this[b.field]) throw new HvError("EBUSY", "feature bitmaps cannot change after a vCPU has run");
    this[b.field] = value;
  }
}
