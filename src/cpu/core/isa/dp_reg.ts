// Data processing -- register (Arm ARM C4.1.67). Handlers take the fields of
// src/cpu/decode/dp_reg.decode. Each handler has a 64-bit and a 32-bit path so the 32-bit
// arithmetic is done in i32 and written zero-extended (setW), as the architecture requires.
import { NZCV_ADDR } from "../layout";
import { undefinedInstruction } from "../exceptions";
import { getW, getX, getXSP, setW, setX, setXSP } from "../state";
import {
  addWithCarry32,
  addWithCarry64,
  adds32,
  adds64,
  carryFlag,
  condHolds,
  crc32Update,
  extendReg,
  logicFlags32,
  logicFlags64,
  rbit32,
  rbit64,
  shiftReg32,
  shiftReg64,
  smulh64,
  subs32,
  subs64,
  umulh64,
} from "./alu";

// ---- Logical (shifted register) -------------------------------------------------------------

// opc: 0 AND, 1 ORR, 2 EOR, 3 ANDS; invert: the N bit (BIC, ORN, EON, BICS).
// @ts-ignore: decorator
@inline function logicalShift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32, opc: u32, invert: bool): void {
  if (sf) {
    let m = shiftReg64(getX(Rm), shiftType, imm6);
    if (invert) m = ~m;
    const n = getX(Rn);
    const r = opc == 1 ? n | m : opc == 2 ? n ^ m : n & m;
    if (opc == 3) logicFlags64(r);
    setX(Rd, r);
  } else {
    if (imm6 >= 32) {
      undefinedInstruction();
      return;
    }
    let m = shiftReg32(getW(Rm), shiftType, imm6);
    if (invert) m = ~m;
    const n = getW(Rn);
    const r = opc == 1 ? n | m : opc == 2 ? n ^ m : n & m;
    if (opc == 3) logicFlags32(r);
    setW(Rd, r);
  }
}

export function AND_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 0, false);
}
export function BIC_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 0, true);
}
export function ORR_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 1, false);
}
export function ORN_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 1, true);
}
export function EOR_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 2, false);
}
export function EON_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 2, true);
}
export function ANDS_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 3, false);
}
export function BICS_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  logicalShift(sf, shiftType, Rm, imm6, Rn, Rd, 3, true);
}

// ---- Add/subtract (shifted register) --------------------------------------------------------

// Register 31 is ZR throughout; shift type 0b11 (ROR) is reserved.
// @ts-ignore: decorator
@inline function addSubShift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32, sub: bool, setflags: bool): void {
  if (shiftType == 3 || (sf == 0 && imm6 >= 32)) {
    undefinedInstruction();
    return;
  }
  if (sf) {
    const m = shiftReg64(getX(Rm), shiftType, imm6);
    const n = getX(Rn);
    if (setflags) setX(Rd, sub ? subs64(n, m) : adds64(n, m));
    else setX(Rd, sub ? n - m : n + m);
  } else {
    const m = shiftReg32(getW(Rm), shiftType, imm6);
    const n = getW(Rn);
    if (setflags) setW(Rd, sub ? subs32(n, m) : adds32(n, m));
    else setW(Rd, sub ? n - m : n + m);
  }
}

export function ADD_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  addSubShift(sf, shiftType, Rm, imm6, Rn, Rd, false, false);
}
export function ADDS_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  addSubShift(sf, shiftType, Rm, imm6, Rn, Rd, false, true);
}
export function SUB_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  addSubShift(sf, shiftType, Rm, imm6, Rn, Rd, true, false);
}
export function SUBS_shift(sf: u32, shiftType: u32, Rm: u32, imm6: u32, Rn: u32, Rd: u32): void {
  addSubShift(sf, shiftType, Rm, imm6, Rn, Rd, true, true);
}

// ---- Add/subtract (extended register) -------------------------------------------------------

// Rn is SP-or-register; Rd is SP for ADD/SUB and ZR for ADDS/SUBS; Rm is ZR. imm3 > 4 is reserved.
// @ts-ignore: decorator
@inline function addSubExt(sf: u32, Rm: u32, option: u32, imm3: u32, Rn: u32, Rd: u32, sub: bool, setflags: bool): void {
  if (imm3 > 4) {
    undefinedInstruction();
    return;
  }
  const m = extendReg(getX(Rm), option, imm3);
  const n = getXSP(Rn);
  if (sf) {
    if (setflags) setX(Rd, sub ? subs64(n, m) : adds64(n, m));
    else setXSP(Rd, sub ? n - m : n + m);
  } else {
    if (setflags) setW(Rd, sub ? subs32(<u32>n, <u32>m) : adds32(<u32>n, <u32>m));
    else setXSP(Rd, <u64>(sub ? <u32>n - <u32>m : <u32>n + <u32>m));
  }
}

export function ADD_ext(sf: u32, Rm: u32, option: u32, imm3: u32, Rn: u32, Rd: u32): void {
  addSubExt(sf, Rm, option, imm3, Rn, Rd, false, false);
}
export function ADDS_ext(sf: u32, Rm: u32, option: u32, imm3: u32, Rn: u32, Rd: u32): void {
  addSubExt(sf, Rm, option, imm3, Rn, Rd, false, true);
}
export function SUB_ext(sf: u32, Rm: u32, option: u32, imm3: u32, Rn: u32, Rd: u32): void {
  addSubExt(sf, Rm, option, imm3, Rn, Rd, true, false);
}
export function SUBS_ext(sf: u32, Rm: u32, option: u32, imm3: u32, Rn: u32, Rd: u32): void {
  addSubExt(sf, Rm, option, imm3, Rn, Rd, true, true);
}

// ---- Add/subtract (with carry) --------------------------------------------------------------

// @ts-ignore: decorator
@inline function addSubCarry(sf: u32, Rm: u32, Rn: u32, Rd: u32, sub: bool, setflags: bool): void {
  const c = carryFlag();
  if (sf) {
    const m = getX(Rm);
    setX(Rd, addWithCarry64(getX(Rn), sub ? ~m : m, c, setflags));
  } else {
    const m = getW(Rm);
    setW(Rd, addWithCarry32(getW(Rn), sub ? ~m : m, c, setflags));
  }
}

export function ADC(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  addSubCarry(sf, Rm, Rn, Rd, false, false);
}
export function ADCS(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  addSubCarry(sf, Rm, Rn, Rd, false, true);
}
export function SBC(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  addSubCarry(sf, Rm, Rn, Rd, true, false);
}
export function SBCS(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  addSubCarry(sf, Rm, Rn, Rd, true, true);
}

// ---- Conditional compare --------------------------------------------------------------------

// When cond holds, the flags of Rn + m (CCMN) or Rn - m (CCMP); otherwise the nzcv immediate.
// @ts-ignore: decorator
@inline function condCompare(sf: u32, m: u64, cond: u32, Rn: u32, nzcv: u32, sub: bool): void {
  if (condHolds(cond)) {
    if (sf) {
      if (sub) subs64(getX(Rn), m);
      else adds64(getX(Rn), m);
    } else {
      if (sub) subs32(getW(Rn), <u32>m);
      else adds32(getW(Rn), <u32>m);
    }
  } else {
    store<u32>(NZCV_ADDR, nzcv << 28);
  }
}

export function CCMN_reg(sf: u32, Rm: u32, cond: u32, Rn: u32, nzcv: u32): void {
  condCompare(sf, getX(Rm), cond, Rn, nzcv, false);
}
export function CCMP_reg(sf: u32, Rm: u32, cond: u32, Rn: u32, nzcv: u32): void {
  condCompare(sf, getX(Rm), cond, Rn, nzcv, true);
}
export function CCMN_imm(sf: u32, imm5: u32, cond: u32, Rn: u32, nzcv: u32): void {
  condCompare(sf, <u64>imm5, cond, Rn, nzcv, false);
}
export function CCMP_imm(sf: u32, imm5: u32, cond: u32, Rn: u32, nzcv: u32): void {
  condCompare(sf, <u64>imm5, cond, Rn, nzcv, true);
}

// ---- Conditional select ---------------------------------------------------------------------
// Computed on 64 bits and truncated for the 32-bit forms (+1, NOT and negation commute with
// truncation).

// op: 0 CSEL, 1 CSINC, 2 CSINV, 3 CSNEG.
// @ts-ignore: decorator
@inline function condSelect(sf: u32, Rm: u32, cond: u32, Rn: u32, Rd: u32, op: u32): void {
  let r: u64;
  if (condHolds(cond)) {
    r = getX(Rn);
  } else {
    const m = getX(Rm);
    r = op == 0 ? m : op == 1 ? m + 1 : op == 2 ? ~m : 0 - m;
  }
  setX(Rd, sf ? r : r & 0xffffffff);
}

export function CSEL(sf: u32, Rm: u32, cond: u32, Rn: u32, Rd: u32): void {
  condSelect(sf, Rm, cond, Rn, Rd, 0);
}
export function CSINC(sf: u32, Rm: u32, cond: u32, Rn: u32, Rd: u32): void {
  condSelect(sf, Rm, cond, Rn, Rd, 1);
}
export function CSINV(sf: u32, Rm: u32, cond: u32, Rn: u32, Rd: u32): void {
  condSelect(sf, Rm, cond, Rn, Rd, 2);
}
export function CSNEG(sf: u32, Rm: u32, cond: u32, Rn: u32, Rd: u32): void {
  condSelect(sf, Rm, cond, Rn, Rd, 3);
}

// ---- Data-processing (1 source) -------------------------------------------------------------

export function RBIT(sf: u32, Rn: u32, Rd: u32): void {
  if (sf) setX(Rd, rbit64(getX(Rn)));
  else setW(Rd, rbit32(getW(Rn)));
}

export function REV16(sf: u32, Rn: u32, Rd: u32): void {
  const v = getX(Rn);
  const r = ((v >>> 8) & 0x00ff00ff00ff00ff) | ((v & 0x00ff00ff00ff00ff) << 8);
  setX(Rd, sf ? r : r & 0xffffffff);
}

export function REV_32(Rn: u32, Rd: u32): void {
  setW(Rd, bswap<u32>(getW(Rn)));
}

export function REV32(Rn: u32, Rd: u32): void {
  setX(Rd, rotr<u64>(bswap<u64>(getX(Rn)), 32));
}

export function REV_64(Rn: u32, Rd: u32): void {
  setX(Rd, bswap<u64>(getX(Rn)));
}

export function CLZ(sf: u32, Rn: u32, Rd: u32): void {
  if (sf) setX(Rd, clz<u64>(getX(Rn)));
  else setW(Rd, clz<u32>(getW(Rn)));
}

// CLS(x) = number of bits below the top one that equal it = CLZ(x EOR (x ASR 1)) - 1.
export function CLS(sf: u32, Rn: u32, Rd: u32): void {
  if (sf) {
    const v = getX(Rn);
    setX(Rd, clz<u64>(v ^ <u64>(<i64>v >> 1)) - 1);
  } else {
    const v = getW(Rn);
    setW(Rd, clz<u32>(v ^ <u32>(<i32>v >> 1)) - 1);
  }
}

// ---- Data-processing (2 source) -------------------------------------------------------------

// Division by zero gives 0 and never traps (Arm ARM: no divide-by-zero exception in AArch64).
export function UDIV(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (sf) {
    const m = getX(Rm);
    setX(Rd, m == 0 ? 0 : getX(Rn) / m);
  } else {
    const m = getW(Rm);
    setW(Rd, m == 0 ? 0 : getW(Rn) / m);
  }
}

// Rounds toward zero; INT_MIN / -1 overflows to INT_MIN (wasm would trap on both corner cases).
export function SDIV(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (sf) {
    const m = <i64>getX(Rm);
    const n = <i64>getX(Rn);
    let r: i64;
    if (m == 0) r = 0;
    else if (m == -1) r = 0 - n;
    else r = n / m;
    setX(Rd, <u64>r);
  } else {
    const m = <i32>getW(Rm);
    const n = <i32>getW(Rn);
    let r: i32;
    if (m == 0) r = 0;
    else if (m == -1) r = 0 - n;
    else r = n / m;
    setW(Rd, <u32>r);
  }
}

// Shift amounts are taken modulo the data size.
export function LSLV(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (sf) setX(Rd, getX(Rn) << (getX(Rm) & 63));
  else setW(Rd, getW(Rn) << (getW(Rm) & 31));
}
export function LSRV(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (sf) setX(Rd, getX(Rn) >>> (getX(Rm) & 63));
  else setW(Rd, getW(Rn) >>> (getW(Rm) & 31));
}
export function ASRV(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (sf) setX(Rd, <u64>(<i64>getX(Rn) >> (getX(Rm) & 63)));
  else setW(Rd, <u32>(<i32>getW(Rn) >> (getW(Rm) & 31)));
}
export function RORV(sf: u32, Rm: u32, Rn: u32, Rd: u32): void {
  if (sf) setX(Rd, rotr<u64>(getX(Rn), getX(Rm) & 63));
  else setW(Rd, rotr<u32>(getW(Rn), getW(Rm) & 31));
}

export function CRC32B(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 1, false));
}
export function CRC32H(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 2, false));
}
export function CRC32W(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 4, false));
}
export function CRC32X(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 8, false));
}
export function CRC32CB(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 1, true));
}
export function CRC32CH(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 2, true));
}
export function CRC32CW(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 4, true));
}
export function CRC32CX(Rm: u32, Rn: u32, Rd: u32): void {
  setW(Rd, crc32Update(getW(Rn), getX(Rm), 8, true));
}

// ---- Data-processing (3 source) -------------------------------------------------------------

export function MADD(sf: u32, Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  const r = getX(Ra) + getX(Rn) * getX(Rm);
  setX(Rd, sf ? r : r & 0xffffffff);
}
export function MSUB(sf: u32, Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  const r = getX(Ra) - getX(Rn) * getX(Rm);
  setX(Rd, sf ? r : r & 0xffffffff);
}

// @ts-ignore: decorator
@inline function sxtw(v: u64): u64 {
  return <u64>(<i64>(<i32>v));
}

export function SMADDL(Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  setX(Rd, getX(Ra) + sxtw(getX(Rn)) * sxtw(getX(Rm)));
}
export function SMSUBL(Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  setX(Rd, getX(Ra) - sxtw(getX(Rn)) * sxtw(getX(Rm)));
}
export function UMADDL(Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  setX(Rd, getX(Ra) + <u64>getW(Rn) * <u64>getW(Rm));
}
export function UMSUBL(Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  setX(Rd, getX(Ra) - <u64>getW(Rn) * <u64>getW(Rm));
}
export function SMULH(Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  setX(Rd, smulh64(getX(Rn), getX(Rm)));
}
export function UMULH(Rm: u32, Ra: u32, Rn: u32, Rd: u32): void {
  setX(Rd, umulh64(getX(Rn), getX(Rm)));
}
