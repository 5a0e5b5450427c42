// System registers (MRS/MSR): storage, read-only ID values of the modelled Cortex-A57, side
// effects on translation, and callouts to the host for the generic timer and the GICv3 CPU
// interface. A register key is the MRS/MSR encoding bits [20:5]: op0:op1:CRn:CRm:op2.
import { EC_SYSREG, fpAccessTrap, syncException, undefinedInstruction, writePstate } from "./exceptions";
import {
  DBGBCR_BAS,
  DBGBCR_WRITABLE,
  DBGWCR_WRITABLE,
  debugConfigChanged,
  MDSCR_TDCC,
  MDSCR_WRITABLE,
  NUM_BRPS,
  NUM_WRPS,
} from "./debug";
import { EXIT_RESELECT, EXIT_SYSREG } from "./exits";
import { fpEnabled, updateFpEnabled } from "./fpaccess";
import { hostSysregRead, hostSysregWrite, HOST_EXIT, HOST_OK } from "./host";
import { FPCR_ADDR, FPSR_ADDR, IRQ_LINES, MBOX_DATA, MBOX_EXIT_INFO0, MBOX_EXIT_INFO1, X_BASE } from "./layout";
import {
  CTL_EXIT,
  currentEL,
  endBlock,
  exitAfter,
  getNZCV,
  getPstateBits,
  noRetire,
  PC,
  PSTATE_SP,
  setCtl,
  setExitReason,
  setNZCV,
  setPstateBits,
} from "./state";
import * as S from "./sysreg-slots";
import { tlbFlushAll, tlbFlushASID } from "./tlb";

/** Builds a register key from its encoding fields. */
// @ts-ignore: decorator
@inline export function sysKey(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32): u32 {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

// Keys used below (op0, op1, CRn, CRm, op2).
export const K_MIDR: u32 = 0xc000; // 3,0,0,0,0
export const K_MPIDR: u32 = 0xc005;
export const K_REVIDR: u32 = 0xc006;
export const K_AA64PFR0: u32 = 0xc020;
export const K_AA64PFR1: u32 = 0xc021;
export const K_AA64ZFR0: u32 = 0xc024;
export const K_AA64DFR0: u32 = 0xc028;
export const K_AA64DFR1: u32 = 0xc029;
export const K_AA64AFR0: u32 = 0xc02c;
export const K_AA64AFR1: u32 = 0xc02d;
export const K_AA64ISAR0: u32 = 0xc030;
export const K_AA64ISAR1: u32 = 0xc031;
export const K_AA64MMFR0: u32 = 0xc038;
export const K_AA64MMFR1: u32 = 0xc039;
export const K_AA64MMFR2: u32 = 0xc03a;
export const K_SCTLR: u32 = 0xc080; // 3,0,1,0,0
export const K_ACTLR: u32 = 0xc081;
export const K_CPACR: u32 = 0xc082;
export const K_TTBR0: u32 = 0xc100; // 3,0,2,0,0
export const K_TTBR1: u32 = 0xc101;
export const K_TCR: u32 = 0xc102;
export const K_SPSR_EL1: u32 = 0xc200; // 3,0,4,0,0
export const K_ELR_EL1: u32 = 0xc201;
export const K_SP_EL0: u32 = 0xc208; // 3,0,4,1,0
export const K_SPSEL: u32 = 0xc210; // 3,0,4,2,0
export const K_CURRENTEL: u32 = 0xc212;
export const K_AFSR0: u32 = 0xc288; // 3,0,5,1,0
export const K_AFSR1: u32 = 0xc289;
export const K_ESR: u32 = 0xc290; // 3,0,5,2,0
export const K_FAR: u32 = 0xc300; // 3,0,6,0,0
export const K_PAR: u32 = 0xc3a0; // 3,0,7,4,0
export const K_MAIR: u32 = 0xc510; // 3,0,10,2,0
export const K_AMAIR: u32 = 0xc518; // 3,0,10,3,0
export const K_VBAR: u32 = 0xc600; // 3,0,12,0,0
export const K_RVBAR: u32 = 0xc601;
export const K_ISR: u32 = 0xc608; // 3,0,12,1,0
export const K_CONTEXTIDR: u32 = 0xc681; // 3,0,13,0,1
export const K_TPIDR_EL1: u32 = 0xc684;
export const K_CNTKCTL: u32 = 0xc708; // 3,0,14,1,0
export const K_CCSIDR: u32 = 0xc800; // 3,1,0,0,0
export const K_CLIDR: u32 = 0xc801;
export const K_AIDR: u32 = 0xc807;
export const K_CSSELR: u32 = 0xd000; // 3,2,0,0,0
export const K_CTR: u32 = 0xd801; // 3,3,0,0,1
export const K_DCZID: u32 = 0xd807;
export const K_NZCV: u32 = 0xda10; // 3,3,4,2,0
export const K_DAIF: u32 = 0xda11;
export const K_FPCR: u32 = 0xda20; // 3,3,4,4,0
export const K_FPSR: u32 = 0xda21;
export const K_TPIDR_EL0: u32 = 0xde82; // 3,3,13,0,2
export const K_TPIDRRO_EL0: u32 = 0xde83;
// Debug (op0 = 2).
export const K_OSDTRRX: u32 = 0x8002; // 2,0,0,0,2
export const K_MDCCINT: u32 = 0x8010; // 2,0,0,2,0
export const K_MDSCR: u32 = 0x8012; // 2,0,0,2,2
export const K_OSDTRTX: u32 = 0x801a; // 2,0,0,3,2
export const K_OSECCR: u32 = 0x8032; // 2,0,0,6,2
export const K_MDRAR: u32 = 0x8080; // 2,0,1,0,0
export const K_OSLAR: u32 = 0x8084; // 2,0,1,0,4
export const K_OSLSR: u32 = 0x808c; // 2,0,1,1,4
export const K_OSDLR: u32 = 0x809c; // 2,0,1,3,4
export const K_DBGPRCR: u32 = 0x80a4; // 2,0,1,4,4
export const K_DBGCLAIMSET: u32 = 0x83c6; // 2,0,7,8,6
export const K_DBGCLAIMCLR: u32 = 0x83ce; // 2,0,7,9,6
export const K_DBGAUTHSTATUS: u32 = 0x83f6; // 2,0,7,14,6
export const K_MDCCSR_EL0: u32 = 0x9808; // 2,3,0,1,0
export const K_DBGDTR_EL0: u32 = 0x9820; // 2,3,0,4,0
export const K_DBGDTRRX_EL0: u32 = 0x9828; // 2,3,0,5,0 (DBGDTRTX_EL0 when written)

/** Modelled CPU: Cortex-A57 r1p0, AArch64 only at EL0/EL1, no EL2/EL3 (the host is the hypervisor). */
export const MIDR_VALUE: u64 = 0x411f_d070;
/** EL0/EL1 AArch64-only, FP and AdvSIMD implemented, GICv3 system-register interface. */
export const ID_AA64PFR0_VALUE: u64 = 0x0100_0011;
/**
 * Debug v8.0 (DebugVer 6), no PMU, 6 breakpoints (BRPs 5) of which 2 context-aware (CTX_CMPs 1),
 * 4 watchpoints (WRPs 3), the OS double lock (DoubleLock 0): the Cortex-A57's debug, see debug.ts.
 */
export const ID_AA64DFR0_VALUE: u64 = 0x1030_5006;
/** CRC32 instructions. */
export const ID_AA64ISAR0_VALUE: u64 = 0x0001_0000;
/** 48-bit PA, 16-bit ASIDs, 4 KB granule only (no 16/64 KB), little-endian only. */
export const ID_AA64MMFR0_VALUE: u64 = 0x0f00_1025;
export const CTR_VALUE: u64 = 0x8444_c004;
export const CLIDR_VALUE: u64 = 0x0a20_0023;

/** Result flag of the last register access: 0 ok, 1 UNDEFINED, 2 trapped (EC 0x18), 3 host exit, 4 FP/SIMD trap (EC 0x07). */
let accessFault: u32 = 0;

function isDebugPair(key: u32): bool {
  // DBGBVR/BCR/WVR/WCR<n>_EL1: op0=2, op1=0, CRn=0, CRm=n, op2 = 4..7.
  return (key & 0xff80) == 0x8000 && (key & 7) >= 4;
}

function debugSlot(key: u32): u32 {
  const n = (key >>> 3) & 15;
  return S.SR_DBGBVR0 + ((key & 7) - 4) * 16 + n;
}

/** Breakpoint registers (op2 4, 5) exist for n < NUM_BRPS, watchpoint registers (6, 7) for n < NUM_WRPS. */
function debugPairImplemented(key: u32): bool {
  return ((key >>> 3) & 15) < ((key & 7) < 6 ? NUM_BRPS : NUM_WRPS);
}

/** DBGBVR, DBGBCR, DBGWVR or DBGWCR as stored: RES0 bits clear, DBGBCR.BAS RES1. */
function debugPairValue(key: u32, v: u64): u64 {
  switch (key & 7) {
    case 5:
      return (v & DBGBCR_WRITABLE) | DBGBCR_BAS;
    case 6:
      return v & ~(<u64>3);
    case 7:
      return v & DBGWCR_WRITABLE;
    default:
      return v;
  }
}

/** The debug communication channel registers, which EL0 may access unless MDSCR_EL1.TDCC traps it. */
function isDccReg(key: u32): bool {
  return key == K_MDCCSR_EL0 || key == K_DBGDTR_EL0 || key == K_DBGDTRRX_EL0;
}

/**
 * A write changed the debug configuration: cached state is recomputed and, when a guest write
 * starts or ends the need for checked execution, the run loop is chosen again after it.
 */
function debugRegWritten(host: bool): void {
  const reselect = debugConfigChanged();
  if (host) return;
  if (reselect) exitAfter(EXIT_RESELECT);
  else endBlock();
}

/**
 * Routed to the host: generic timer (3,3,14,*,*) and GICv3 CPU interface (3,0,12,8..12,* and
 * ICC_PMR_EL1 at 3,0,4,6,0). CNTKCTL_EL1 is kept here because it gates EL0 access; writes are
 * passed on to the host too.
 */
function isHostReg(key: u32): bool {
  if ((key & 0xff80) == 0xdf00) return true; // 3,3,14,*,*
  if (key == 0xc230) return true; // ICC_PMR_EL1
  if ((key & 0xff80) == 0xc600) {
    const crm = (key >>> 3) & 15;
    return crm >= 8 && crm <= 12;
  }
  return false;
}

/**
 * EL0 access to a host register: 0 allowed, 1 UNDEFINED, 2 trapped to EL1 (EC 0x18).
 * Only the generic timer is EL0-accessible, as CNTKCTL_EL1 allows (EL0PCTEN bit 0,
 * EL0VCTEN bit 1, EL0VTEN bit 8, EL0PTEN bit 9).
 */
function hostRegEl0Access(key: u32, read: bool): u32 {
  if ((key & 0xff80) != 0xdf00) return 1; // GIC CPU interface: EL1 only
  const crm = (key >>> 3) & 15;
  const op2 = key & 7;
  const kctl = <u32>S.srGet(S.SR_CNTKCTL_EL1);
  if (crm == 0) {
    if (op2 == 0) {
      if (!read) return 1; // CNTFRQ_EL0 is writable only at the highest EL
      return kctl & 3 ? 0 : 2;
    }
    if (op2 == 1) return kctl & 1 ? 0 : 2; // CNTPCT_EL0
    if (op2 == 2) return kctl & 2 ? 0 : 2; // CNTVCT_EL0
    return 1;
  }
  if (crm == 2) return kctl & (1 << 9) ? 0 : 2; // CNTP_TVAL/CTL/CVAL_EL0
  if (crm == 3) return kctl & (1 << 8) ? 0 : 2; // CNTV_TVAL/CTL/CVAL_EL0
  return 0; // the host decides (PMU event counters and the like)
}

/** The live SP is SP_EL0 (EL0, or EL1 with SPSel = 0): its bank slot is stale. */
function spEl0Live(): bool {
  const p = getPstateBits();
  return ((p >>> 2) & 3) == 0 || (p & PSTATE_SP) == 0;
}

function ccsidr(): u64 {
  switch (<u32>S.srGet(S.SR_CSSELR_EL1) & 0xf) {
    case 0:
      return 0x701f_e00a; // L1 data, 32 KB
    case 1:
      return 0x201f_e012; // L1 instruction, 48 KB
    case 2:
      return 0x70ff_e07a; // L2 unified, 2 MB
    default:
      return 0;
  }
}

/**
 * Reads a register. `el` is the accessing exception level (host accesses pass 1 and `host`).
 * Sets accessFault on failure.
 */
function readReg(key: u32, el: u32, host: bool): u64 {
  accessFault = 0;
  const sctlr = S.srGet(S.SR_SCTLR_EL1);
  // EL0-accessible registers first.
  switch (key) {
    case K_NZCV:
      return <u64>getNZCV();
    case K_DAIF:
      if (el == 0 && (sctlr & (1 << 9)) == 0) {
        accessFault = 2;
        return 0;
      }
      return <u64>(getPstateBits() & 0x3c0);
    case K_FPCR:
    case K_FPSR:
      if (!host && !fpEnabled) {
        accessFault = 4;
        return 0;
      }
      return <u64>load<u32>(key == K_FPCR ? FPCR_ADDR : FPSR_ADDR);
    case K_TPIDR_EL0:
      return S.srGet(S.SR_TPIDR_EL0);
    case K_TPIDRRO_EL0:
      return S.srGet(S.SR_TPIDRRO_EL0);
    case K_CTR:
      if (el == 0 && (sctlr & (1 << 15)) == 0) {
        accessFault = 2;
        return 0;
      }
      return CTR_VALUE;
    case K_DCZID:
      return el == 0 && (sctlr & (1 << 14)) == 0 ? 0x14 : 0x4;
    default:
      break;
  }
  if (isHostReg(key)) {
    if (host) return 0;
    if (el == 0) {
      accessFault = hostRegEl0Access(key, true);
      if (accessFault) return 0;
    }
    const st = hostSysregRead(<i32>key);
    if (st == HOST_OK) return load<u64>(MBOX_DATA);
    accessFault = st == HOST_EXIT ? 3 : 1;
    return 0;
  }
  if (isDccReg(key)) {
    // No DCC is implemented: RAZ/WI (no debugger ever sends data), MDCCSR_EL0 read-only.
    if (el == 0 && S.srGet(S.SR_MDSCR_EL1) & MDSCR_TDCC) accessFault = 2;
    return 0;
  }
  if (el == 0) {
    accessFault = 1;
    return 0;
  }
  if (isDebugPair(key)) {
    if (debugPairImplemented(key)) return S.srGet(debugSlot(key));
    accessFault = 1;
    return 0;
  }
  // AArch32 ID registers and the reserved ID space (3,0,0,1..7,*) read as zero.
  if ((key & 0xffc0) == 0xc000 && (key & 0x38) != 0) {
    switch (key) {
      case K_AA64PFR0:
        return ID_AA64PFR0_VALUE;
      case K_AA64DFR0:
        return ID_AA64DFR0_VALUE;
      case K_AA64ISAR0:
        return ID_AA64ISAR0_VALUE;
      case K_AA64MMFR0:
        return ID_AA64MMFR0_VALUE;
      default:
        return 0;
    }
  }
  switch (key) {
    case K_MIDR:
      return MIDR_VALUE;
    case K_MPIDR:
      return S.srGet(S.SR_MPIDR_EL1) | 0x8000_0000;
    case K_REVIDR:
    case K_AIDR:
      return 0;
    case K_CCSIDR:
      return ccsidr();
    case K_CLIDR:
      return CLIDR_VALUE;
    case K_CSSELR:
      return S.srGet(S.SR_CSSELR_EL1);
    case K_SCTLR:
      return S.srGet(S.SR_SCTLR_EL1);
    case K_ACTLR:
      return S.srGet(S.SR_ACTLR_EL1);
    case K_CPACR:
      return S.srGet(S.SR_CPACR_EL1);
    case K_TTBR0:
      return S.srGet(S.SR_TTBR0_EL1);
    case K_TTBR1:
      return S.srGet(S.SR_TTBR1_EL1);
    case K_TCR:
      return S.srGet(S.SR_TCR_EL1);
    case K_SPSR_EL1:
      return S.srGet(S.SR_SPSR_EL1);
    case K_ELR_EL1:
      return S.srGet(S.SR_ELR_EL1);
    case K_SP_EL0:
      // At EL1 with SPSel = 0 the live SP is SP_EL0, and this access is UNDEFINED.
      if (spEl0Live()) {
        if (!host) break;
        return load<u64>(X_BASE + 31 * 8);
      }
      return S.srGet(S.SR_SP_EL0);
    case K_SPSEL:
      return <u64>(getPstateBits() & PSTATE_SP);
    case K_CURRENTEL:
      return <u64>(getPstateBits() & 0xc);
    case K_AFSR0:
      return S.srGet(S.SR_AFSR0_EL1);
    case K_AFSR1:
      return S.srGet(S.SR_AFSR1_EL1);
    case K_ESR:
      return S.srGet(S.SR_ESR_EL1);
    case K_FAR:
      return S.srGet(S.SR_FAR_EL1);
    case K_PAR:
      return S.srGet(S.SR_PAR_EL1);
    case K_MAIR:
      return S.srGet(S.SR_MAIR_EL1);
    case K_AMAIR:
      return S.srGet(S.SR_AMAIR_EL1);
    case K_VBAR:
      return S.srGet(S.SR_VBAR_EL1);
    case K_RVBAR:
      return 0;
    case K_ISR:
      return isrValue();
    case K_CONTEXTIDR:
      return S.srGet(S.SR_CONTEXTIDR_EL1);
    case K_TPIDR_EL1:
      return S.srGet(S.SR_TPIDR_EL1);
    case K_CNTKCTL:
      return S.srGet(S.SR_CNTKCTL_EL1);
    case K_MDCCINT:
      return S.srGet(S.SR_MDCCINT_EL1);
    case K_MDSCR:
      return S.srGet(S.SR_MDSCR_EL1);
    case K_OSDTRRX:
    case K_OSDTRTX:
    case K_MDRAR:
      return 0;
    case K_OSECCR:
      return S.srGet(S.SR_OSECCR_EL1);
    case K_OSLSR:
      return 0x8 | (S.srGet(S.SR_OSLSR_EL1) & 2);
    case K_OSDLR:
      return S.srGet(S.SR_OSDLR_EL1);
    case K_DBGPRCR:
      return S.srGet(S.SR_DBGPRCR_EL1);
    case K_DBGCLAIMSET:
      return 0xff;
    case K_DBGCLAIMCLR:
      return S.srGet(S.SR_DBGCLAIM);
    case K_DBGAUTHSTATUS:
      return 0xaa;
    default:
      break;
  }
  accessFault = 1;
  return 0;
}

/** ISR_EL1: pending IRQ/FIQ/SError as seen by the interrupt lines. */
function isrValue(): u64 {
  const l = load<u32>(IRQ_LINES);
  return <u64>(((l & 1) << 7) | ((l & 2) << 5) | ((l & 4) << 6));
}

function writeReg(key: u32, v: u64, el: u32, host: bool): void {
  accessFault = 0;
  switch (key) {
    case K_NZCV:
      setNZCV(<u32>v);
      return;
    case K_DAIF: {
      const sctlr = S.srGet(S.SR_SCTLR_EL1);
      if (el == 0 && (sctlr & (1 << 9)) == 0) {
        accessFault = 2;
        return;
      }
      setPstateBits((getPstateBits() & ~0x3c0) | (<u32>v & 0x3c0));
      endBlock();
      return;
    }
    case K_FPCR:
    case K_FPSR:
      if (!host && !fpEnabled) {
        accessFault = 4;
        return;
      }
      // FPCR: AHP, DN, FZ, RMode; trap enables and the AArch32-only Len/Stride are RAZ/WI.
      if (key == K_FPCR) store<u64>(FPCR_ADDR, v & 0x07c0_0000);
      else store<u64>(FPSR_ADDR, v & 0x0800_009f);
      return;
    case K_TPIDR_EL0:
      S.srSet(S.SR_TPIDR_EL0, v);
      return;
    default:
      break;
  }
  if (isHostReg(key)) {
    if (host) return;
    if (el == 0) {
      accessFault = hostRegEl0Access(key, false);
      if (accessFault) return;
    }
    const st = hostSysregWrite(<i32>key, <i32>v, <i32>(v >>> 32));
    if (st != HOST_OK) accessFault = st == HOST_EXIT ? 3 : 1;
    // Timer and interrupt-controller writes may change pending interrupts.
    endBlock();
    return;
  }
  if (key == K_DBGDTR_EL0 || key == K_DBGDTRRX_EL0) {
    if (el == 0 && S.srGet(S.SR_MDSCR_EL1) & MDSCR_TDCC) accessFault = 2;
    return;
  }
  if (el == 0) {
    accessFault = 1;
    return;
  }
  if (isDebugPair(key)) {
    if (!debugPairImplemented(key)) {
      accessFault = 1;
      return;
    }
    S.srSet(debugSlot(key), debugPairValue(key, v));
    debugRegWritten(host);
    return;
  }
  switch (key) {
    case K_SCTLR:
      // RES1 bits of the v8.0 SCTLR_EL1 stay set; EE and E0E are RES0 (little-endian only).
      S.srSet(S.SR_SCTLR_EL1, (v & 0x0000_0000_fcfe_ffff) | 0x30d0_0800);
      tlbFlushAll();
      endBlock();
      return;
    case K_ACTLR:
      S.srSet(S.SR_ACTLR_EL1, v);
      return;
    case K_CPACR:
      S.srSet(S.SR_CPACR_EL1, v & 0x0030_0000);
      updateFpEnabled();
      endBlock();
      return;
    case K_TTBR0:
      // A new TTBR0 base or ASID (TCR.A1 = 0) invalidates TTBR0 and non-global entries; the
      // TLB holds no ASID tags, so those are dropped (as if every switch used a new ASID).
      if (S.srGet(S.SR_TTBR0_EL1) != v) {
        S.srSet(S.SR_TTBR0_EL1, v);
        tlbFlushASID();
      }
      return;
    case K_TTBR1: {
      // Linux keeps the ASID in TTBR1 (TCR.A1 = 1): an ASID-only change keeps global entries.
      const old = S.srGet(S.SR_TTBR1_EL1);
      if (old != v) {
        S.srSet(S.SR_TTBR1_EL1, v);
        if ((old ^ v) & 0x0000_ffff_ffff_ffff) tlbFlushAll();
        else tlbFlushASID();
      }
      return;
    }
    case K_TCR:
      S.srSet(S.SR_TCR_EL1, v);
      tlbFlushAll();
      endBlock();
      return;
    case K_SPSR_EL1:
      S.srSet(S.SR_SPSR_EL1, v & 0xf03f_03df);
      return;
    case K_ELR_EL1:
      S.srSet(S.SR_ELR_EL1, v);
      return;
    case K_SP_EL0:
      if (spEl0Live()) {
        if (!host) break;
        store<u64>(X_BASE + 31 * 8, v);
        return;
      }
      S.srSet(S.SR_SP_EL0, v);
      return;
    case K_SPSEL:
      writePstate((getPstateBits() & ~PSTATE_SP) | (<u32>v & 1));
      return;
    case K_AFSR0:
      S.srSet(S.SR_AFSR0_EL1, v);
      return;
    case K_AFSR1:
      S.srSet(S.SR_AFSR1_EL1, v);
      return;
    case K_ESR:
      S.srSet(S.SR_ESR_EL1, v & 0xffff_ffff);
      return;
    case K_FAR:
      S.srSet(S.SR_FAR_EL1, v);
      return;
    case K_PAR:
      S.srSet(S.SR_PAR_EL1, v);
      return;
    case K_MAIR:
      S.srSet(S.SR_MAIR_EL1, v);
      tlbFlushAll();
      return;
    case K_AMAIR:
      S.srSet(S.SR_AMAIR_EL1, v);
      return;
    case K_VBAR:
      S.srSet(S.SR_VBAR_EL1, v & ~(<u64>0x7ff));
      return;
    case K_CONTEXTIDR:
      S.srSet(S.SR_CONTEXTIDR_EL1, v & 0xffff_ffff);
      return;
    case K_TPIDR_EL1:
      S.srSet(S.SR_TPIDR_EL1, v);
      return;
    case K_TPIDRRO_EL0:
      S.srSet(S.SR_TPIDRRO_EL0, v);
      return;
    case K_CNTKCTL: {
      // EVNTI, EVNTDIR, EVNTEN, EL0{P,V}CTEN, EL0{V,P}TEN. Kept here for the EL0 checks and
      // passed on to the host's timer (event stream, its own EL0 checks); reads stay here.
      S.srSet(S.SR_CNTKCTL_EL1, v & 0x3ff);
      if (!host && hostSysregWrite(<i32>key, <i32>(v & 0x3ff), 0) == HOST_EXIT) accessFault = 3;
      return;
    }
    case K_CSSELR:
      S.srSet(S.SR_CSSELR_EL1, v & 0xf);
      return;
    case K_MDCCINT:
      S.srSet(S.SR_MDCCINT_EL1, v);
      return;
    case K_MDSCR:
      S.srSet(S.SR_MDSCR_EL1, v & MDSCR_WRITABLE);
      debugRegWritten(host);
      return;
    case K_OSDTRRX:
    case K_OSDTRTX:
      return;
    case K_OSECCR:
      S.srSet(S.SR_OSECCR_EL1, v);
      return;
    case K_OSLAR:
      S.srSet(S.SR_OSLSR_EL1, (v & 1) << 1);
      debugRegWritten(host);
      return;
    case K_OSDLR:
      S.srSet(S.SR_OSDLR_EL1, v & 1);
      debugRegWritten(host);
      return;
    case K_DBGPRCR:
      S.srSet(S.SR_DBGPRCR_EL1, v & 1);
      debugRegWritten(host);
      return;
    case K_DBGCLAIMSET:
      S.srSet(S.SR_DBGCLAIM, S.srGet(S.SR_DBGCLAIM) | (v & 0xff));
      return;
    case K_DBGCLAIMCLR:
      S.srSet(S.SR_DBGCLAIM, S.srGet(S.SR_DBGCLAIM) & ~(v & 0xff));
      return;
    case K_MPIDR:
      if (host) {
        S.srSet(S.SR_MPIDR_EL1, v & 0xff_00ff_ffff);
        return;
      }
      break;
    default:
      break;
  }
  accessFault = 1;
}

function raiseAccessFault(key: u32, rt: u32, read: bool): void {
  if (accessFault == 2) {
    // Trapped by SCTLR_EL1 (UCT, UMA, ...): EC 0x18 with the MSR/MRS syndrome.
    const op0 = key >>> 14;
    const op1 = (key >>> 11) & 7;
    const crn = (key >>> 7) & 15;
    const crm = (key >>> 3) & 15;
    const op2 = key & 7;
    const iss = (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0);
    syncException(EC_SYSREG, iss);
  } else if (accessFault == 4) {
    fpAccessTrap();
  } else if (accessFault == 3) {
    store<u64>(MBOX_EXIT_INFO0, <u64>key);
    store<u64>(MBOX_EXIT_INFO1, <u64>rt | (read ? 0x100 : 0));
    setExitReason(EXIT_SYSREG);
    noRetire(PC);
    setCtl(CTL_EXIT);
  } else {
    undefinedInstruction();
  }
}

/** MRS Xt, <reg>. */
export function mrs(key: u32, rt: u32): void {
  const v = readReg(key, currentEL(), false);
  if (accessFault) {
    raiseAccessFault(key, rt, true);
    return;
  }
  if (rt != 31) store<u64>(X_BASE + ((<usize>rt) << 3), v);
}

/** MSR <reg>, Xt. */
export function msr(key: u32, v: u64, rt: u32): void {
  writeReg(key, v, currentEL(), false);
  if (accessFault) raiseAccessFault(key, rt, false);
}

/** Host access to a register (no EL checks, no callouts); returns false for unknown keys. */
export function hostRead(key: u32): u64 {
  return readReg(key, 1, true);
}
export function hostWrite(key: u32, v: u64): bool {
  writeReg(key, v, 1, true);
  return accessFault == 0;
}
export function hostAccessOk(): bool {
  return accessFault == 0;
}

/**
 * SCTLR_EL1 reset value: the Cortex-A57's (TRM: 0x00C50838, as QEMU's cortex-a57 resets it:
 * MMU and caches off, SA and SA0 SP alignment checks on, nTWI/nTWE so EL0 WFI/WFE do not
 * trap, CP15BEN) with the v8.0 RES1 bits 28 and 29 that our writes keep set as well.
 */
export const SCTLR_RESET: u64 = 0x30d5_0838;

