// Disassembly helpers for src/cpu/decode/system.decode: hint names, PSTATE-field MSR
// immediates, system-register and SYS-operation names as binutils' objdump prints them
// (tables in sysreg-names.ts, generated from objdump).
import { SYSOP_TABLE, SYSREG_TABLE } from "./sysreg-names.ts";

const readNames = new Map<number, string>();
const writeNames = new Map<number, string>();
for (const item of SYSREG_TABLE.split(",")) {
  const [k, v] = item.split(":");
  const [r, w] = v.split("/");
  const key = Number.parseInt(k, 36);
  if (r) readNames.set(key, r);
  if (w ?? r) writeNames.set(key, w ?? r);
}
const sysOps = new Map<number, { name: string; keepXzr: boolean }>();
for (const item of SYSOP_TABLE.split(",")) {
  const i = item.indexOf(":");
  const v = item.slice(i + 1);
  sysOps.set(Number.parseInt(item.slice(0, i), 36), { name: v.slice(0, -1), keepXzr: v.endsWith("+") });
}

const xr = (n: number): string => (n === 31 ? "xzr" : `x${n}`);

function genericReg(field: number): string {
  const op0 = 2 + (field >> 14);
  return `s${op0}_${(field >> 11) & 7}_c${(field >> 7) & 15}_c${(field >> 3) & 15}_${field & 7}`;
}

/** MRS source register name for the 15-bit o0:op1:CRn:CRm:op2 field. */
export const sysregRead = (field: number): string => readNames.get(field) ?? genericReg(field);

/** MSR destination register name for the 15-bit o0:op1:CRn:CRm:op2 field. */
export const sysregWrite = (field: number): string => writeNames.get(field) ?? genericReg(field);

/** SYS operation: a named DC/IC/AT/TLBI/... operation or the generic form. */
export const sysOperation = (op1: number, crn: number, crm: number, op2: number, rt: number): string => {
  const op = sysOps.get((op1 << 11) | (crn << 7) | (crm << 3) | op2);
  if (op) return rt === 31 && !op.keepXzr ? op.name : `${op.name}, ${xr(rt)}`;
  return `sys #${op1}, C${crn}, C${crm}, #${op2}${rt === 31 ? "" : `, ${xr(rt)}`}`;
};

const HINTS: Record<number, string> = {
  0: "nop",
  1: "yield",
  2: "wfe",
  3: "wfi",
  4: "sev",
  5: "sevl",
  7: "xpaclri",
  8: "pacia1716",
  10: "pacib1716",
  12: "autia1716",
  14: "autib1716",
  16: "esb",
  17: "psb csync",
  18: "tsb csync",
  20: "csdb",
  22: "clearbhb",
  24: "paciaz",
  25: "paciasp",
  26: "pacibz",
  27: "pacibsp",
  28: "autiaz",
  29: "autiasp",
  30: "autibz",
  31: "autibsp",
  32: "bti",
  34: "bti c",
  36: "bti j",
  38: "bti jc",
};

/** HINT #imm by its name where it has one (later architecture versions name many). */
export const hintName = (crm: number, op2: number): string => HINTS[crm * 8 + op2] ?? `hint #0x${(crm * 8 + op2).toString(16)}`;

const PSTATE_FIELDS: Record<string, string> = {
  "0,3": "uao",
  "0,4": "pan",
  "0,5": "spsel",
  "1,0": "allint",
  "3,1": "ssbs",
  "3,2": "dit",
  "3,4": "tco",
};
const SM_OPS = ["", "", "smstop sm", "smstart sm", "smstop za", "smstart za", "smstop", "smstart"];

/** MSR (immediate) to a PSTATE field, or the forms objdump prints for the other encodings. */
export const msrImm = (op1: number, crm: number, op2: number): string => {
  if (op1 === 3 && (op2 === 6 || op2 === 7)) return `msr ${op2 === 6 ? "daifset" : "daifclr"}, #0x${crm.toString(16)}`;
  if (op1 === 0 && op2 <= 2 && crm === 0) return ["cfinv", "xaflag", "axflag"][op2];
  if (op1 === 3 && op2 === 3 && crm >= 2 && crm <= 7) return SM_OPS[crm];
  const field = PSTATE_FIELDS[`${op1},${op2}`];
  if (field && crm <= 1) return `msr ${field}, #0x${crm}`;
  return `msr s0_${op1}_c4_c${crm}_${op2}, xzr`;
};

/** DSB/DMB option: named, else two-digit hex as objdump prints it. */
export const barrierOption = (crm: number): string => {
  const names = ["", "oshld", "oshst", "osh", "", "nshld", "nshst", "nsh", "", "ishld", "ishst", "ish", "", "ld", "st", "sy"];
  return names[crm] || `#0x${crm.toString(16).padStart(2, "0")}`;
};
