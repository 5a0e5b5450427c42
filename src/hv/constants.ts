// Constants of SMCCC, PSCI and the KVM-shaped interface (spec/psci-kvm-semantics.md §1).

/** PSCI function IDs: 32-bit (0x8400_00nn) and 64-bit (0xC400_00nn) calling conventions. */
export enum Psci {
  VERSION = 0x8400_0000,
  CPU_SUSPEND = 0x8400_0001,
  CPU_SUSPEND64 = 0xc400_0001,
  CPU_OFF = 0x8400_0002,
  CPU_ON = 0x8400_0003,
  CPU_ON64 = 0xc400_0003,
  AFFINITY_INFO = 0x8400_0004,
  AFFINITY_INFO64 = 0xc400_0004,
  MIGRATE = 0x8400_0005,
  MIGRATE64 = 0xc400_0005,
  MIGRATE_INFO_TYPE = 0x8400_0006,
  MIGRATE_INFO_UP_CPU = 0x8400_0007,
  MIGRATE_INFO_UP_CPU64 = 0xc400_0007,
  SYSTEM_OFF = 0x8400_0008,
  SYSTEM_RESET = 0x8400_0009,
  FEATURES = 0x8400_000a,
  CPU_FREEZE = 0x8400_000b,
  CPU_DEFAULT_SUSPEND = 0x8400_000c,
  CPU_DEFAULT_SUSPEND64 = 0xc400_000c,
  NODE_HW_STATE = 0x8400_000d,
  NODE_HW_STATE64 = 0xc400_000d,
  SYSTEM_SUSPEND = 0x8400_000e,
  SYSTEM_SUSPEND64 = 0xc400_000e,
  SET_SUSPEND_MODE = 0x8400_000f,
  STAT_RESIDENCY = 0x8400_0010,
  STAT_RESIDENCY64 = 0xc400_0010,
  STAT_COUNT = 0x8400_0011,
  STAT_COUNT64 = 0xc400_0011,
  SYSTEM_RESET2 = 0x8400_0012,
  SYSTEM_RESET2_64 = 0xc400_0012,
  MEM_PROTECT = 0x8400_0013,
  MEM_PROTECT_CHECK_RANGE = 0x8400_0014,
  MEM_PROTECT_CHECK_RANGE64 = 0xc400_0014,
  SYSTEM_OFF2 = 0x8400_0015,
  SYSTEM_OFF2_64 = 0xc400_0015,
}

/** PSCI 0.1 function IDs as KVM assigns them. */
export enum Psci01 {
  CPU_SUSPEND = 0x95c1_ba5e,
  CPU_OFF = 0x95c1_ba5f,
  CPU_ON = 0x95c1_ba60,
  MIGRATE = 0x95c1_ba61,
}

/** PSCI return codes (signed 32-bit, sign-extended into x0). */
export enum PsciRet {
  SUCCESS = 0,
  NOT_SUPPORTED = -1,
  INVALID_PARAMETERS = -2,
  DENIED = -3,
  ALREADY_ON = -4,
  ON_PENDING = -5,
  INTERNAL_FAILURE = -6,
  NOT_PRESENT = -7,
  DISABLED = -8,
  INVALID_ADDRESS = -9,
}

/** PSCI versions as (major << 16) | minor. */
export enum PsciVersion {
  V0_1 = 0x1,
  V0_2 = 0x2,
  V1_0 = 0x1_0000,
  V1_1 = 0x1_0001,
  V1_2 = 0x1_0002,
  V1_3 = 0x1_0003,
}

export const PSCI_VERSIONS: readonly number[] = [PsciVersion.V0_2, PsciVersion.V1_0, PsciVersion.V1_1, PsciVersion.V1_2, PsciVersion.V1_3];

export enum AffinityState {
  ON = 0,
  OFF = 1,
  ON_PENDING = 2,
}

/** MIGRATE_INFO_TYPE: no Trusted OS needing migration. */
export const PSCI_TOS_MP = 2;
/** PSCI_FEATURES(SYSTEM_OFF2) bit: HIBERNATE_OFF supported. */
export const PSCI_OFF2_HIBERNATE = 1;

/** SMCCC architecture and service IDs. */
export enum Smccc {
  VERSION = 0x8000_0000,
  ARCH_FEATURES = 0x8000_0001,
  ARCH_SOC_ID = 0x8000_0002,
  ARCH_WORKAROUND_1 = 0x8000_8000,
  ARCH_WORKAROUND_2 = 0x8000_7fff,
  ARCH_WORKAROUND_3 = 0x8000_3fff,
  TRNG_VERSION = 0x8400_0050,
  TRNG_FEATURES = 0x8400_0051,
  TRNG_GET_UUID = 0x8400_0052,
  TRNG_RND32 = 0x8400_0053,
  TRNG_RND64 = 0xc400_0053,
  HV_PV_TIME_FEATURES = 0xc500_0020,
  HV_PV_TIME_ST = 0xc500_0021,
  VENDOR_HYP_CALL_UID = 0x8600_ff01,
  VENDOR_HYP_KVM_FEATURES = 0x8600_0000,
  VENDOR_HYP_KVM_PTP = 0x8600_0001,
}

/** SMCCC return codes. */
export const SMCCC_RET_SUCCESS = 0;
export const SMCCC_RET_NOT_SUPPORTED = -1;
export const SMCCC_RET_NOT_REQUIRED = -2;
export const SMCCC_RET_INVALID_PARAMETER = -3;
/** SMCCC version we implement: 1.1. */
export const SMCCC_VERSION_1_1 = 0x1_0001;
/** TRNG version 1.0. */
export const TRNG_VERSION_1_0 = 0x1_0000;

/** KVM's vendor hypervisor UID 28b46fb6-2ec5-11e9-a9ca-4b564d003a74, as the four result words. */
export const KVM_UID: readonly bigint[] = [0xb66f_b428n, 0xe911_c52en, 0x564b_caa9n, 0x743a_004dn];
/** The Arm TRNG UUID KVM reports (0d21e000-4384-11eb-8070-524455 4e5a4c), as the four result words. */
export const TRNG_UUID: readonly bigint[] = [0x00e0_210dn, 0xeb11_8443n, 0x4452_7080n, 0x4c5a_4e55n];
/** ARCH_FEATURES answer for a Spectre workaround the (emulated) CPU does not need. */
export const SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED = 1;

/** System-event types (KVM_SYSTEM_EVENT_*). */
export enum SystemEventType {
  SHUTDOWN = 1,
  RESET = 2,
  CRASH = 3,
  WAKEUP = 4,
  SUSPEND = 5,
}

/** data[0] flags of system events. */
export const SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2 = 1n;
export const SYSTEM_EVENT_SHUTDOWN_FLAG_PSCI_OFF2 = 1n;

/** vCPU MP states (KVM_MP_STATE_*); arm64 uses only these three. */
export enum MpState {
  RUNNABLE = 0,
  STOPPED = 5,
  SUSPENDED = 10,
}

/** MPIDR affinity bits (Aff3, Aff2, Aff1, Aff0). */
export const MPIDR_HWID_BITMASK = 0xff_00ff_ffffn;

/** SMCCC filter actions. */
export enum FilterAction {
  HANDLE = 0,
  DENY = 1,
  FWD_TO_USER = 2,
}

/** KVM_HYPERCALL_EXIT_* flags. */
export const HYPERCALL_EXIT_SMC = 1;
export const HYPERCALL_EXIT_16BIT = 2;

/** PSTATE value of a vCPU after reset: EL1h with D, A, I, F masked. */
export const PSTATE_RESET = 0x3c5;

/** vCPUs a VM may have (QEMU virt with GICv3: 123, its redistributor regions' capacity). */
export const MAX_VCPUS = 123;
