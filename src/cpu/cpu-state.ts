// The architectural state of one vCPU as named, versioned, checked fields — what a snapshot
// carries instead of a copy of the core's memory. Offsets come from src/cpu/state-layout.ts
// (generated from the core's layout); the ranges are what the core itself can hold: the bits
// its MSR writes keep (src/cpu/core/sysreg.ts) and its reset values, and a PSTATE of a mode
// the core implements (EL0t, EL1t, EL1h), so a restored state is one the core could have reached.
import { BigBits, BigRange, Bits, Int, type Static, Struct, Type, U64, validate } from "../schema/index.ts";
import { STATE_FIELDS, SYSREG_BASE, SYSREG_SLOTS, V_BASE } from "./state-layout.ts";

export const CPU_STATE_VERSION = 2;

const M64 = (1n << 64n) - 1n;
/** Breakpoint and watchpoint register pairs the core implements (ID_AA64DFR0_EL1.BRPs, WRPs). */
export const NUM_BRPS = 6;
export const NUM_WRPS = 4;

/** PSTATE as the core keeps it (NZCV apart): SPSel, EL, DAIF, IL, SS; M[4:0] one of EL0t, EL1t, EL1h. */
const Pstate = Type.Refine(
  Bits(0x0030_03cd),
  (v) => [0, 4, 5].includes(v & 0x1f),
  (v) => `mode ${v & 0x1f} is not EL0t, EL1t or EL1h`,
);

/** Each system register and the bits it can hold (MSR masks, RES1 bits, reset values). */
const SYSREGS = {
  sctlr_el1: BigBits(0xfcff_ffffn, 0x30d0_0800n),
  actlr_el1: U64,
  cpacr_el1: BigBits(0x0030_0000n),
  ttbr0_el1: U64,
  ttbr1_el1: U64,
  tcr_el1: U64,
  esr_el1: BigBits(0xffff_ffffn),
  far_el1: U64,
  par_el1: U64,
  mair_el1: U64,
  amair_el1: U64,
  vbar_el1: BigBits(M64 & ~0x7ffn),
  contextidr_el1: BigBits(0xffff_ffffn),
  tpidr_el1: U64,
  tpidr_el0: U64,
  tpidrro_el0: U64,
  sp_el0: U64,
  sp_el1: U64,
  spsr_el1: BigBits(0xf03f_03dfn),
  elr_el1: U64,
  afsr0_el1: U64,
  afsr1_el1: U64,
  csselr_el1: BigBits(0xfn),
  mdscr_el1: BigBits(0x00e0_f001n),
  oslsr_el1: BigBits(2n),
  mdccint_el1: U64,
  osdlr_el1: BigBits(1n),
  mpidr_el1: BigBits(0xff_00ff_ffffn),
  dbgprcr_el1: BigBits(1n),
  cntkctl_el1: BigBits(0x3ffn),
  oseccr_el1: U64,
  dbgclaim: BigBits(0xffn),
};

/** The banks of 16 slots of which the first `count` are implemented. */
const BANKS = {
  dbgbvr: { slot: SYSREG_SLOTS.DBGBVR0, count: NUM_BRPS, schema: U64 },
  dbgbcr: { slot: SYSREG_SLOTS.DBGBCR0, count: NUM_BRPS, schema: BigBits(0x00ff_e1e7n) },
  dbgwvr: { slot: SYSREG_SLOTS.DBGWVR0, count: NUM_WRPS, schema: BigBits(M64 & ~3n) },
  dbgwcr: { slot: SYSREG_SLOTS.DBGWCR0, count: NUM_WRPS, schema: BigBits(0x1f1f_ffffn) },
};

const list = <T extends Parameters<typeof Type.Array>[0]>(item: T, n: number) => Type.Array(item, { minItems: n, maxItems: n });

/** The checked shape of a CpuState. */
export const CpuStateSchema = Struct({
  version: Type.Literal(CPU_STATE_VERSION),
  /** X0..X30. */
  x: list(U64, 31),
  /** The current stack pointer (the bank of SPSel/EL lives in sysregs sp_el0/sp_el1). */
  sp: U64,
  pc: U64,
  /** NZCV in bits 31..28. */
  nzcv: Bits(0xf000_0000),
  fpcr: Bits(0x07c0_0000),
  fpsr: Bits(0x0800_009f),
  pstate: Pstate,
  /** Retired instructions. */
  instret: U64,
  /** The exclusive monitor: armed for `size` bytes at `addr` holding value/valueHi. */
  exclusive: Struct({ addr: U64, size: Int(0, 16), value: U64, valueHi: U64, valid: Type.Boolean() }),
  /** UNDEFINED exceptions taken, and the last one's word and PC (diagnostics). */
  undefined: Struct({ count: U64, word: BigRange(0n, 0xffff_ffffn), pc: U64 }),
  /** Interrupt lines as last driven by the host: IRQ, FIQ, SError. */
  irqLines: Bits(7),
  /** V0..V31, 128 bits each. */
  v: list(BigRange(0n, (1n << 128n) - 1n), 32),
  sysregs: Struct({
    ...SYSREGS,
    dbgbvr: list(BANKS.dbgbvr.schema, NUM_BRPS),
    dbgbcr: list(BANKS.dbgbcr.schema, NUM_BRPS),
    dbgwvr: list(BANKS.dbgwvr.schema, NUM_WRPS),
    dbgwcr: list(BANKS.dbgwcr.schema, NUM_WRPS),
  }),
});

/** The architectural state of one vCPU as plain data. */
export type CpuState = Static<typeof CpuStateSchema>;

type SysregName = keyof typeof SYSREGS;
const slotOf = (name: SysregName): number => SYSREG_SLOTS[name.toUpperCase() as keyof typeof SYSREG_SLOTS];

const F = STATE_FIELDS;

/** Reads the state of the core whose memory `mem` is (the running vCPU's). */
export function readCpuState(mem: DataView): CpuState {
  const u64 = (a: number) => mem.getBigUint64(a, true);
  const u32 = (a: number) => mem.getUint32(a, true);
  const sr = (slot: number) => u64(SYSREG_BASE + 8 * slot);
  const bank = (b: { slot: number; count: number }) => Array.from({ length: b.count }, (_, i) => sr(b.slot + i));
  const sysregs = Object.fromEntries(Object.keys(SYSREGS).map((n) => [n, sr(slotOf(n as SysregName))])) as Record<SysregName, bigint>;
  return {
    version: CPU_STATE_VERSION,
    x: Array.from({ length: 31 }, (_, i) => u64(F.X_BASE.offset + 8 * i)),
    sp: u64(F.X_BASE.offset + 8 * 31),
    pc: u64(F.PC_ADDR.offset),
    nzcv: u32(F.NZCV_ADDR.offset),
    fpcr: u32(F.FPCR_ADDR.offset),
    fpsr: u32(F.FPSR_ADDR.offset),
    pstate: u32(F.PSTATE_ADDR.offset),
    instret: u64(F.INSTRET_ADDR.offset),
    exclusive: {
      addr: u64(F.EXCL_ADDR.offset),
      size: Number(u64(F.EXCL_SIZE.offset)),
      value: u64(F.EXCL_VAL.offset),
      valueHi: u64(F.EXCL_VAL_HI.offset),
      valid: u32(F.EXCL_VALID.offset) !== 0,
    },
    undefined: { count: u64(F.UNDEF_COUNT.offset), word: u64(F.UNDEF_LAST_WORD.offset), pc: u64(F.UNDEF_LAST_PC.offset) },
    irqLines: u32(F.IRQ_LINES.offset),
    v: Array.from({ length: 32 }, (_, i) => u64(V_BASE + 16 * i) | (u64(V_BASE + 16 * i + 8) << 64n)),
    sysregs: {
      ...sysregs,
      dbgbvr: bank(BANKS.dbgbvr),
      dbgbcr: bank(BANKS.dbgbcr),
      dbgwvr: bank(BANKS.dbgwvr),
      dbgwcr: bank(BANKS.dbgwcr),
    },
  };
}

/**
 * Checks `s` field by field (a StateError naming the first bad one: `what.pstate: ...`) and
 * writes it into the core's memory; the caller zeroes the state block first (a core reset) and
 * re-derives the core's caches from it afterwards.
 */
export function writeCpuState(mem: DataView, s: unknown, what = "cpu"): void {
  validate(CpuStateSchema, s, what);
  const set64 = (a: number, v: bigint) => mem.setBigUint64(a, v, true);
  const set32 = (a: number, v: number) => mem.setBigUint64(a, BigInt(v >>> 0), true);
  const sr = (slot: number, v: bigint) => set64(SYSREG_BASE + 8 * slot, v);
  s.x.forEach((v, i) => set64(F.X_BASE.offset + 8 * i, v));
  set64(F.X_BASE.offset + 8 * 31, s.sp);
  set64(F.PC_ADDR.offset, s.pc);
  set32(F.NZCV_ADDR.offset, s.nzcv);
  set32(F.FPCR_ADDR.offset, s.fpcr);
  set32(F.FPSR_ADDR.offset, s.fpsr);
  set32(F.PSTATE_ADDR.offset, s.pstate);
  set64(F.INSTRET_ADDR.offset, s.instret);
  set64(F.EXCL_ADDR.offset, s.exclusive.addr);
  set64(F.EXCL_SIZE.offset, BigInt(s.exclusive.size));
  set64(F.EXCL_VAL.offset, s.exclusive.value);
  set64(F.EXCL_VAL_HI.offset, s.exclusive.valueHi);
  set32(F.EXCL_VALID.offset, s.exclusive.valid ? 1 : 0);
  set64(F.UNDEF_COUNT.offset, s.undefined.count);
  set64(F.UNDEF_LAST_WORD.offset, s.undefined.word);
  set64(F.UNDEF_LAST_PC.offset, s.undefined.pc);
  set32(F.IRQ_LINES.offset, s.irqLines);
  s.v.forEach((v, i) => {
    set64(V_BASE + 16 * i, v & M64);
    set64(V_BASE + 16 * i + 8, v >> 64n);
  });
  for (const n of Object.keys(SYSREGS) as SysregName[]) sr(slotOf(n), s.sysregs[n]);
  for (const [name, b] of Object.entries(BANKS)) {
    const values = s.sysregs[name as keyof typeof BANKS];
    for (let i = 0; i < 16; i++) sr(b.slot + i, i < b.count ? values[i] : 0n);
  }
}

/** The layout fields the state covers (the rest of the block is scratch), for the layout test. */
export const SAVED_FIELDS: readonly (keyof typeof STATE_FIELDS)[] = [
  "X_BASE",
  "PC_ADDR",
  "NZCV_ADDR",
  "FPCR_ADDR",
  "FPSR_ADDR",
  "PSTATE_ADDR",
  "INSTRET_ADDR",
  "EXCL_ADDR",
  "EXCL_SIZE",
  "EXCL_VAL",
  "EXCL_VAL_HI",
  "EXCL_VALID",
  "UNDEF_COUNT",
  "UNDEF_LAST_WORD",
  "UNDEF_LAST_PC",
  "IRQ_LINES",
];

/** The system-register slots the state covers (every slot in use must be one), for the layout test. */
export function savedSysregSlots(): number[] {
  const out = (Object.keys(SYSREGS) as SysregName[]).map(slotOf);
  for (const b of Object.values(BANKS)) for (let i = 0; i < 16; i++) out.push(b.slot + i);
  return out.sort((a, b) => a - b);
}
