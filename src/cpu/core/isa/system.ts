// Exception generation, system instructions, hints and barriers (Arm ARM C4.1.66-67).
// Handlers take the fields of src/cpu/decode/system.decode.
import {
  breakpoint,
  EC_SYSREG,
  EC_WFX,
  supervisorCall,
  syncException,
  undefinedInstruction,
  writePstate,
} from "../exceptions";
import { EXIT_HVC, EXIT_SEMIHOST, EXIT_SMC, EXIT_WFE, EXIT_WFI, EXIT_YIELD } from "../exits";
import { GIVE_WAY, IRQ_LINES, MBOX_EXIT_INFO0 } from "../layout";
import { exclusiveClear, zeroBlock } from "../memory";
import { FSC_PERMISSION, P_R0, P_R1, P_W0, P_W1, walk, wAttr, wLevel, wPA, wPerm, wSH } from "../mmu";
import { mrs, msr } from "../sysreg";
import { SR_PAR_EL1, SR_SCTLR_EL1, srGet, srSet } from "../sysreg-slots";
import { currentEL, endBlock, exitAfter, getPstateBits, getX, PSTATE_SP, setPstateBits } from "../state";
import { paToHost } from "../regions";
import { icInvalidateAll } from "../blockcache";
import { codePageWritten, hostPageOf, isCodePage, mmuIdx, tagHolds, tlbEntry, tlbFlushAll, tlbFlushVA } from "../tlb";

/** Whether HLT #0xF000 at EL1 is a semihosting call (set by the host). */
export let semihosting: bool = false;
export function setSemihosting(on: bool): void {
  semihosting = on;
}

/** Event register for WFE/SEV. */
let eventRegister: bool = false;
export function sendEvent(): void {
  eventRegister = true;
}

export function SVC(imm16: u32): void {
  supervisorCall(imm16);
}

export function HVC(imm16: u32): void {
  if (currentEL() == 0) {
    undefinedInstruction();
    return;
  }
  store<u64>(MBOX_EXIT_INFO0, <u64>imm16);
  exitAfter(EXIT_HVC);
}

export function SMC(imm16: u32): void {
  if (currentEL() == 0) {
    undefinedInstruction();
    return;
  }
  store<u64>(MBOX_EXIT_INFO0, <u64>imm16);
  exitAfter(EXIT_SMC);
}

export function BRK(imm16: u32): void {
  breakpoint(imm16);
}

export function HLT(imm16: u32): void {
  // Halting debug is not enabled, so HLT is UNDEFINED unless it is a semihosting call.
  if (imm16 == 0xf000 && semihosting && currentEL() == 1) {
    exitAfter(EXIT_SEMIHOST);
    return;
  }
  undefinedInstruction();
}

function sysregTrapIss(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32, rt: u32, read: bool): u32 {
  return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0);
}

export function HINT(CRm: u32, op2: u32): void {
  if (CRm != 0) return;
  const sctlr = srGet(SR_SCTLR_EL1);
  switch (op2) {
    case 1: // YIELD: a hint that this CPU spins; the host may run another vCPU instead.
      if (load<u32>(GIVE_WAY) != 0) exitAfter(EXIT_YIELD);
      return;
    case 2: // WFE
      if (currentEL() == 0 && (sctlr & (1 << 18)) == 0) {
        syncException(EC_WFX, 1 | (0xe << 20) | (1 << 24));
        return;
      }
      if (eventRegister) {
        eventRegister = false;
        return;
      }
      if (load<u32>(IRQ_LINES) != 0) {
        // Woken by a pending interrupt: end the block so an unmasked one is taken right here.
        endBlock();
        return;
      }
      exitAfter(EXIT_WFE);
      return;
    case 3: // WFI
      if (currentEL() == 0 && (sctlr & (1 << 16)) == 0) {
        syncException(EC_WFX, (0xe << 20) | (1 << 24));
        return;
      }
      if (load<u32>(IRQ_LINES) != 0) {
        endBlock();
        return;
      }
      exitAfter(EXIT_WFI);
      return;
    case 4: // SEV
    case 5: // SEVL
      eventRegister = true;
      return;
    default:
      return; // NOP and unallocated hints
  }
}

export function CLREX(CRm: u32): void {
  exclusiveClear();
}

export function DSB(CRm: u32): void {}

export function DMB(CRm: u32): void {}

export function ISB(CRm: u32): void {
  // Context synchronization: later instructions see system-register and code changes.
  endBlock();
}

export function MSR_imm(op1: u32, CRm: u32, op2: u32): void {
  const el = currentEL();
  if (op1 == 0 && op2 == 5) {
    // SPSel
    if (el == 0) {
      undefinedInstruction();
      return;
    }
    writePstate((getPstateBits() & ~PSTATE_SP) | (CRm & 1));
    return;
  }
  if (op1 == 3 && (op2 == 6 || op2 == 7)) {
    if (el == 0 && (srGet(SR_SCTLR_EL1) & (1 << 9)) == 0) {
      syncException(EC_SYSREG, sysregTrapIss(0, op1, 4, CRm, op2, 31, false));
      return;
    }
    const bits = (CRm & 0xf) << 6;
    const p = getPstateBits();
    setPstateBits(op2 == 6 ? p | bits : p & ~bits);
    endBlock();
    return;
  }
  undefinedInstruction();
}

/**
 * IC IVAU: decoded code of va's physical page is dropped. Guest stores already do that; this
 * covers memory written behind the core's back (device DMA that skipped notifyHostWrite), as
 * real instruction caches need the same maintenance after DMA. Never faults (an unmapped
 * address has nothing to invalidate).
 */
function icInvalidateVA(va: u64): void {
  const e = tlbEntry(mmuIdx, va);
  let hostPage: u32;
  if (tagHolds(load<u64>(e), va) || tagHolds(load<u64>(e, 16), va)) {
    hostPage = load<u32>(e, 44);
    if (hostPage == 0xffffffff) return; // MMIO
  } else {
    if (walk(va, false)) return;
    const host = paToHost(wPA);
    if (host == 0) return;
    hostPage = hostPageOf(host);
  }
  if (isCodePage(hostPage)) codePageWritten(hostPage);
}

/** PAR_EL1 fault format: F (bit 0) and the RES1 bit 11; FST goes in [6:1]. */
const PAR_FAULT: u64 = 1 | (1 << 11);

/** AT S1E1R/W, S1E0R/W: translate and report in PAR_EL1 (no TLB fill, no exception). */
function addressTranslate(va: u64, el0: bool, write: bool): void {
  const fsc = walk(va, false);
  if (fsc == 0) {
    const need = el0 ? (write ? P_W0 : P_R0) : write ? P_W1 : P_R1;
    if (wPerm & need) {
      // Success: Attr in [63:56], PA[47:12], bit 11 RES1, NS (bit 9) for the non-secure
      // regime, SH in [8:7]; Device and Normal Non-cacheable memory report Outer Shareable.
      const sh: u64 = (wAttr & 0xf0) == 0 || wAttr == 0x44 ? 2 : <u64>wSH;
      srSet(SR_PAR_EL1, ((<u64>wAttr) << 56) | (wPA & 0x0000_ffff_ffff_f000) | (1 << 11) | (1 << 9) | (sh << 7));
      return;
    }
    srSet(SR_PAR_EL1, PAR_FAULT | ((<u64>(FSC_PERMISSION + wLevel) & 0x3f) << 1));
    return;
  }
  srSet(SR_PAR_EL1, PAR_FAULT | ((<u64>fsc & 0x3f) << 1));
}

export function SYS(op1: u32, CRn: u32, CRm: u32, op2: u32, Rt: u32): void {
  const el = currentEL();
  const sctlr = srGet(SR_SCTLR_EL1);
  const v = getX(Rt);
  if (CRn == 7) {
    // Cache maintenance and address translation.
    if (op1 == 3) {
      // EL0-accessible forms: DC ZVA (DZE), DC CVAC/CVAU/CIVAC and IC IVAU (UCI).
      const dcZva = CRm == 4 && op2 == 1;
      const cmo = op2 == 1 && (CRm == 10 || CRm == 11 || CRm == 14 || CRm == 5);
      if (!dcZva && !cmo) {
        undefinedInstruction();
        return;
      }
      if (el == 0 && (sctlr & (dcZva ? 1 << 14 : 1 << 26)) == 0) {
        syncException(EC_SYSREG, sysregTrapIss(1, op1, CRn, CRm, op2, Rt, false));
        return;
      }
      if (dcZva) {
        zeroBlock(v, 64); // DCZID_EL0.BS = 4: 64-byte blocks
        return;
      }
      if (CRm == 5) {
        // IC IVAU
        icInvalidateVA(v);
        endBlock();
      }
      return;
    }
    if (el == 0 || op1 != 0) {
      undefinedInstruction();
      return;
    }
    if ((CRm == 1 || CRm == 5) && op2 == 0) {
      // IC IALLUIS, IC IALLU
      icInvalidateAll();
      endBlock();
      return;
    }
    if ((CRm == 6 && (op2 == 1 || op2 == 2)) || (CRm == 10 && op2 == 2) || (CRm == 14 && op2 == 2)) return; // DC IVAC/ISW/CSW/CISW
    if (CRm == 8 && op2 <= 3) {
      addressTranslate(v, op2 >= 2, (op2 & 1) != 0);
      return;
    }
    undefinedInstruction();
    return;
  }
  if (CRn == 8 && op1 == 0 && (CRm == 3 || CRm == 7) && el == 1) {
    // TLB maintenance; broadcast (IS) and local forms are the same for one PE.
    switch (op2) {
      case 0: // VMALLE1
      case 2: // ASIDE1
        tlbFlushAll();
        break;
      case 1: // VAE1
      case 3: // VAAE1
      case 5: // VALE1
      case 7: // VAALE1
        tlbFlushVA(v << 12);
        break;
      default:
        undefinedInstruction();
        return;
    }
    endBlock();
    return;
  }
  undefinedInstruction();
}

export function MSR_reg(sysreg: u32, Rt: u32): void {
  msr(0x8000 | sysreg, getX(Rt), Rt);
}

export function MRS(sysreg: u32, Rt: u32): void {
  mrs(0x8000 | sysreg, Rt);
}

