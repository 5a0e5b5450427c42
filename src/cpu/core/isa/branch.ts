// Branches (Arm ARM C4.1.65). Handlers take the fields of src/cpu/decode/branch.decode.
import { exceptionReturn, undefinedInstruction } from "../exceptions";
import { branchTo, conditionHolds, currentEL, getX, PC, setX } from "../state";
import { sendEvent } from "./system";

// @ts-ignore: decorator
@inline function sext(v: u32, bits: u32): i64 {
  return (<i64>(<u64>v << (64 - bits))) >> (64 - bits);
}

export function B(imm26: u32): void {
  branchTo(PC + <u64>(sext(imm26, 26) << 2));
}

export function BL(imm26: u32): void {
  setX(30, PC + 4);
  branchTo(PC + <u64>(sext(imm26, 26) << 2));
}

export function B_cond(imm19: u32, cond: u32): void {
  if (conditionHolds(cond)) branchTo(PC + <u64>(sext(imm19, 19) << 2));
}

export function CBZ(sf: u32, imm19: u32, Rt: u32): void {
  const v = sf ? getX(Rt) : getX(Rt) & 0xffffffff;
  if (v == 0) branchTo(PC + <u64>(sext(imm19, 19) << 2));
}

export function CBNZ(sf: u32, imm19: u32, Rt: u32): void {
  const v = sf ? getX(Rt) : getX(Rt) & 0xffffffff;
  if (v != 0) branchTo(PC + <u64>(sext(imm19, 19) << 2));
}

export function TBZ(b5: u32, b40: u32, imm14: u32, Rt: u32): void {
  if (((getX(Rt) >>> ((b5 << 5) | b40)) & 1) == 0) branchTo(PC + <u64>(sext(imm14, 14) << 2));
}

export function TBNZ(b5: u32, b40: u32, imm14: u32, Rt: u32): void {
  if ((getX(Rt) >>> ((b5 << 5) | b40)) & 1) branchTo(PC + <u64>(sext(imm14, 14) << 2));
}

export function BR(Rn: u32): void {
  branchTo(getX(Rn));
}

export function BLR(Rn: u32): void {
  const target = getX(Rn);
  setX(30, PC + 4);
  branchTo(target);
}

export function RET(Rn: u32): void {
  branchTo(getX(Rn));
}

export function ERET(): void {
  if (currentEL() == 0) {
    undefinedInstruction();
    return;
  }
  exceptionReturn();
  // An exception return sets the Event Register (Arm ARM, "The Event Register"), waking a later WFE.
  sendEvent();
}
