// Operand formatting for the disassembler templates in src/cpu/decode/*.decode. Output follows
// binutils' objdump conventions.

/** Xn, with 31 = xzr. */
export const x = (n: number): string => (n === 31 ? "xzr" : `x${n}`);
/** Xn, with 31 = sp. */
export const xs = (n: number): string => (n === 31 ? "sp" : `x${n}`);
/** Wn, with 31 = wzr. */
export const w = (n: number): string => (n === 31 ? "wzr" : `w${n}`);
/** Wn, with 31 = wsp. */
export const ws = (n: number): string => (n === 31 ? "wsp" : `w${n}`);
/** X or W by sf, 31 = zero register. */
export const r = (sf: number, n: number): string => (sf ? x(n) : w(n));
/** X or W by sf, 31 = stack pointer. */
export const rs = (sf: number, n: number): string => (sf ? xs(n) : ws(n));
/** Hexadecimal as objdump prints immediates: 0x.. */
export const hex = (v: number | bigint): string => {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
};
/** Decimal immediate. */
export const imm = (v: number | bigint): string => `${v}`;
/** Signed immediate in decimal. */
export const simm = (v: number, bits: number): string => `${sext(v, bits)}`;
/** Sign-extends the low `bits` of v. */
export const sext = (v: number, bits: number): number => {
  const s = 32 - bits;
  return bits >= 32 ? v | 0 : ((v << s) >> s) | 0;
};
const CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"];
/** Condition-code name. */
export const cc = (c: number): string => CONDS[c & 15];
const SHIFTS = ["lsl", "lsr", "asr", "ror"];
/** ", <shift> #amount" or "" for LSL #0. */
export const shift = (type: number, amount: number): string => (amount === 0 && type === 0 ? "" : `, ${SHIFTS[type]} #${amount}`);
const EXTENDS = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"];
/** Extend name. */
export const ext = (option: number): string => EXTENDS[option & 7];
/** Branch target: absolute address as objdump prints it (without the symbol). */
export const label = (pc: bigint, offset: number | bigint): string => {
  const t = BigInt.asUintN(64, pc + BigInt(offset));
  return `0x${t.toString(16)}`;
};
/** Vector register with arrangement, e.g. v3.4s. */
export const v = (n: number, arrangement: string): string => `v${n}.${arrangement}`;
/** Arrangement name from size and Q, e.g. (2, 1) → "4s". */
export const vt = (size: number, q: number): string => ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"][size * 2 + q];
const BARRIERS = [
  "#0x0",
  "oshld",
  "oshst",
  "osh",
  "#0x4",
  "nshld",
  "nshst",
  "nsh",
  "#0x8",
  "ishld",
  "ishst",
  "ish",
  "#0xc",
  "ld",
  "st",
  "sy",
];
/** Barrier option name. */
export const barrier = (crm: number): string => BARRIERS[crm & 15];
/** Prefetch operation name. */
export const prfop = (rt: number): string => {
  const t = rt >> 3;
  const names = ["pld", "pli", "pst"];
  if (t < 3 && (rt & 7) < 6) return `${names[t]}l${((rt >> 1) & 3) + 1}${rt & 1 ? "strm" : "keep"}`;
  return `#0x${rt.toString(16)}`;
};

function ones(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

/** DecodeBitMasks for logical immediates; null when reserved. */
export function decodeBitMask(sf: number, N: number, immr: number, imms: number): bigint | null {
  const combined = (N << 6) | (~imms & 0x3f);
  if (combined === 0) return null;
  const len = 31 - Math.clz32(combined);
  const datasize = sf ? 64 : 32;
  if (len < 1 || datasize < 1 << len) return null;
  const levels = (1 << len) - 1;
  if ((imms & levels) === levels) return null;
  const S = imms & levels;
  const R = immr & levels;
  const esize = 1 << len;
  const welem = ones(S + 1);
  const emask = ones(esize);
  const rot = R === 0 ? welem : ((welem >> BigInt(R)) | (welem << BigInt(esize - R))) & emask;
  let out = 0n;
  for (let i = 0; i < datasize; i += esize) out |= rot << BigInt(i);
  return out;
}

/** Logical immediate as objdump prints it (hex). */
export const bitmask = (sf: number, N: number, immr: number, imms: number): string => {
  const m = decodeBitMask(sf, N, immr, imms);
  return m === null ? "<reserved>" : `0x${m.toString(16)}`;
};

/** True when a MOVZ or MOVN could express the ORR-immediate's value (then objdump prints orr). */
export function movBitmaskIsMovz(sf: number, N: number, immr: number, imms: number): boolean {
  const m = decodeBitMask(sf, N, immr, imms);
  if (m === null) return false;
  const width = sf ? 64 : 32;
  const inv = ~m & ones(width);
  for (const val of [m, inv]) {
    for (let hw = 0; hw < width / 16; hw++) {
      if ((val & ~(0xffffn << BigInt(hw * 16))) === 0n) return true;
    }
  }
  return false;
}

/** Value a MOVZ writes, for the "mov" alias. */
export const movzValue = (sf: number, hw: number, imm16: number): string => `0x${(BigInt(imm16) << BigInt(hw * 16)).toString(16)}`;

/** Whether a MOVN is shown as "mov" (objdump: unless imm16 = 0 with hw != 0, or a 32-bit 0xffff). */
export const movnIsMov = (sf: number, hw: number, imm16: number): boolean => !(imm16 === 0 && hw !== 0) && !(sf === 0 && imm16 === 0xffff);

/** Value a MOVN writes, as objdump prints it (unsigned hex). */
export const movnValue = (sf: number, hw: number, imm16: number): string => {
  const width = sf ? 64 : 32;
  return `0x${(~(BigInt(imm16) << BigInt(hw * 16)) & ones(width)).toString(16)}`;
};

/** 8-bit FP immediate (VFPExpandImm) as a decimal number. */
export const fpimm = (imm8: number): string => {
  const sign = imm8 & 0x80 ? -1 : 1;
  const exp = ((imm8 >> 4) & 7) ^ 4;
  const e = exp >= 4 ? exp - 7 : exp + 1;
  const frac = 1 + (imm8 & 15) / 16;
  const val = sign * frac * 2 ** (e - 0);
  const s = val.toFixed(8).replace(/0+$/, "").replace(/\.$/, ".0");
  return `#${s}`;
};

const SYSREG_NAMES: Record<number, string> = {
  49152: "midr_el1",
  49157: "mpidr_el1",
  49158: "revidr_el1",
  49184: "id_aa64pfr0_el1",
  49185: "id_aa64pfr1_el1",
  49192: "id_aa64dfr0_el1",
  49193: "id_aa64dfr1_el1",
  49200: "id_aa64isar0_el1",
  49201: "id_aa64isar1_el1",
  49208: "id_aa64mmfr0_el1",
  49209: "id_aa64mmfr1_el1",
  49280: "sctlr_el1",
  49281: "actlr_el1",
  49282: "cpacr_el1",
  49408: "ttbr0_el1",
  49409: "ttbr1_el1",
  49410: "tcr_el1",
  49664: "spsr_el1",
  49665: "elr_el1",
  49672: "sp_el0",
  49680: "spsel",
  49682: "currentel",
  49808: "esr_el1",
  49920: "far_el1",
  50080: "par_el1",
  50448: "mair_el1",
  50456: "amair_el1",
  50688: "vbar_el1",
  50817: "contextidr_el1",
  50820: "tpidr_el1",
  50952: "cntkctl_el1",
  51200: "ccsidr_el1",
  51201: "clidr_el1",
  53248: "csselr_el1",
  55297: "ctr_el0",
  55303: "dczid_el0",
  55824: "nzcv",
  55825: "daif",
  55840: "fpcr",
  55841: "fpsr",
  56962: "tpidr_el0",
  56963: "tpidrro_el0",
  57088: "cntfrq_el0",
  57089: "cntpct_el0",
  57090: "cntvct_el0",
  57104: "cntp_tval_el0",
  57105: "cntp_ctl_el0",
  57106: "cntp_cval_el0",
  57112: "cntv_tval_el0",
  57113: "cntv_ctl_el0",
  57114: "cntv_cval_el0",
  32786: "mdscr_el1",
  32900: "oslar_el1",
  32908: "oslsr_el1",
};

/** System register name for an MRS/MSR field (o0:op1:CRn:CRm:op2, 15 bits). */
export const sysregName = (field: number): string => {
  const key = 0x8000 | field;
  const name = SYSREG_NAMES[key];
  if (name) return name;
  const op0 = key >> 14;
  return `s${op0}_${(key >> 11) & 7}_c${(key >> 7) & 15}_c${(key >> 3) & 15}_${key & 7}`;
};

/** SYS instruction: the named DC/IC/AT/TLBI operation, or the generic form. */
export const sysop = (op1: number, crn: number, crm: number, op2: number, rt: number): string => {
  const k = `${op1},${crn},${crm},${op2}`;
  const ops: Record<string, string> = {
    "3,7,4,1": "dc zva",
    "0,7,6,1": "dc ivac",
    "0,7,6,2": "dc isw",
    "3,7,10,1": "dc cvac",
    "0,7,10,2": "dc csw",
    "3,7,11,1": "dc cvau",
    "3,7,14,1": "dc civac",
    "0,7,14,2": "dc cisw",
    "0,7,1,0": "ic ialluis",
    "0,7,5,0": "ic iallu",
    "3,7,5,1": "ic ivau",
    "0,7,8,0": "at s1e1r",
    "0,7,8,1": "at s1e1w",
    "0,7,8,2": "at s1e0r",
    "0,7,8,3": "at s1e0w",
    "0,8,3,0": "tlbi vmalle1is",
    "0,8,3,1": "tlbi vae1is",
    "0,8,3,2": "tlbi aside1is",
    "0,8,3,3": "tlbi vaae1is",
    "0,8,3,5": "tlbi vale1is",
    "0,8,3,7": "tlbi vaale1is",
    "0,8,7,0": "tlbi vmalle1",
    "0,8,7,1": "tlbi vae1",
    "0,8,7,2": "tlbi aside1",
    "0,8,7,3": "tlbi vaae1",
    "0,8,7,5": "tlbi vale1",
    "0,8,7,7": "tlbi vaale1",
  };
  const name = ops[k];
  if (name)
    return name.endsWith("alle1") || name.endsWith("ialluis") || name.endsWith("iallu") || name.endsWith("vmalle1is")
      ? rt === 31
        ? name
        : `${name}, ${x(rt)}`
      : `${name}, ${x(rt)}`;
  return `sys #${op1}, C${crn}, C${crm}, #${op2}${rt === 31 ? "" : `, ${x(rt)}`}`;
};
