// The host side of the CPU core: instantiates the wasm module the host loaded, owns its memory
// (guest RAM lives in it) and exposes registers, system registers, physical memory and run() to
// the hypervisor layer.
import { validate } from "../schema/index.ts";
import { type CpuState, CpuStateSchema, readCpuState, writeCpuState } from "./cpu-state.ts";
import { type FuncTable, Jit, type JitStats } from "./jit/jit.ts";
import { STATE_BASE, STATE_END, STATE_FIELDS, SYSREG_BASE, SYSREG_COUNT, SYSREG_SLOTS, V_BASE, GUEST_BASE } from "./state-layout.ts";

export type { CpuState };

/** A vCPU's state block as the core holds it, set aside while another vCPU runs (trusted: never from outside). */
export interface CoreContext {
  readonly bytes: Uint8Array;
}

/** Why Cpu.run() returned. */
export enum ExitReason {
  Budget = 0,
  Wfi = 1,
  Wfe = 2,
  Hvc = 3,
  Smc = 4,
  Mmio = 5,
  Sysreg = 6,
  Semihost = 7,
  Stop = 9,
  /** YIELD while the host asked for the thread (Cpu.giveWay). */
  Yield = 11,
}

/**
 * An HVC the core answers by itself (Cpu.setHypercallAnswers): for function ID `fid` (x0's low
 * 32 bits), x0..x3 become `regs[0..3]` where given; the others keep their values.
 */
export interface HypercallAnswer {
  fid: number;
  regs: readonly (bigint | undefined)[];
}

/** Status a host callout answers with when it returns no value. */
export enum HostStatus {
  Ok = 0,
  /** MMIO: synchronous external abort in the guest; system register: UNDEFINED. */
  Fault = 1,
  /** Stop the core before the instruction retires; run() returns Mmio/Sysreg and restarts it later. */
  Exit = 2,
}

/**
 * What the core asks of the host: MMIO outside RAM/ROM, timer and GIC system registers.
 *
 * MMIO accesses carry their `ordinal` within the instruction (0, 1, ... in program order: the
 * halves of a pair or of a 128-bit access, each element of a structure access, each byte of a
 * DC ZVA to a device). Answering HostStatus.Exit stops the instruction before it retires; when
 * the host then calls resumeMmio, the next run() executes it first (before any interrupt) and
 * presents its accesses again with `resumed` set, in the same order: the host answers those it
 * already completed from its own record (a write is not repeated, a read returns the value it
 * got) and performs the rest. Without resumeMmio the instruction simply runs again.
 */
export interface CpuCallbacks {
  mmioRead?(pa: bigint, size: number, ordinal: number, resumed: boolean): bigint | HostStatus;
  mmioWrite?(pa: bigint, size: number, value: bigint, ordinal: number, resumed: boolean): HostStatus;
  sysregRead?(key: number): bigint | HostStatus;
  sysregWrite?(key: number, value: bigint): HostStatus;
  /**
   * An HVC or SMC (immediate `imm16`) just retired, PC past it: Ok when the host handled it
   * (the core runs on), Exit to end run() with ExitReason.Hvc/Smc. Without it every call exits.
   */
  hypercall?(conduit: "hvc" | "smc", imm16: number): HostStatus;
}

export interface CpuConfig {
  /** The core's compiled wasm module (build/cpu.wasm), loaded by the host (src/host/node/core.ts under Node). */
  module: WebAssembly.Module;
  /** Guest physical base of RAM (QEMU virt: 0x4000_0000). */
  ramBase?: bigint;
  /** RAM size in bytes (multiple of 64 KiB). */
  ramSize: number;
  /**
   * ROM devices (QEMU virt: two 64 MiB flash banks from 0): reads and fetches come from memory,
   * writes go to the host as MMIO (flash commands); setRomIo switches a bank to MMIO reads.
   */
  roms?: { base: bigint; size: number }[];
  /**
   * Executions after which a decoded block is compiled to wasm by the JIT tier; 0 keeps every
   * block interpreted; 1 compiles every block before its first execution (for tests). Default: the DORMOUSE_JIT environment variable ("off" or a count), else
   * DEFAULT_JIT_THRESHOLD.
   */
  jitThreshold?: number;
}

/**
 * Executions that make a block hot enough for the JIT by default. Measured on a Linux boot to
 * the guest kit's shell (1 vCPU, 2-core machine under load, CPU seconds): 1000 compiled 4,950
 * blocks and took 16-18 s, 3000 2,200 blocks and 12-14 s, 10,000 960 blocks and 10-12 s, 30,000
 * no better; compiling a block costs as much as interpreting it a few thousand times.
 */
export const DEFAULT_JIT_THRESHOLD = 10_000;

function defaultJitThreshold(): number {
  // Read where the host has an environment (Node); elsewhere the default holds.
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DORMOUSE_JIT;
  if (v === undefined || v === "") return DEFAULT_JIT_THRESHOLD;
  if (v === "off") return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`DORMOUSE_JIT must be "off" or a non-negative integer, not "${v}"`);
  return n;
}

interface CoreExports {
  memory: WebAssembly.Memory;
  reset(): void;
  run(budget: number): number;
  addRegion(baseLo: number, baseHi: number, sizeLo: number, sizeHi: number, host: number, flags: number): number;
  setRegionIo(baseLo: number, baseHi: number, io: number): number;
  clearRegions(): void;
  setPstate(v: number): void;
  getSysreg(key: number): number;
  setSysreg(key: number, lo: number, hi: number): number;
  setIrqLines(lines: number): void;
  requestStop(): void;
  flushTlb(): void;
  flushBlocks(): void;
  notifyHostWrite(paLo: number, paHi: number, len: number): void;
  physToHost(paLo: number, paHi: number): number;
  translate(vaLo: number, vaHi: number): number;
  resync(): void;
  switchResync(sameRegime: number): void;
  setSemihosting(on: number): void;
  setJitThreshold(n: number): void;
  requestMmioResume(word: number): void;
  mmioResumeTaken(): number;
  blockEpoch(): number;
  jitStep(...args: never[]): unknown;
  table: FuncTable;
  [k: string]: unknown;
}

const M64 = (1n << 64n) - 1n;
/** Tag bit of an MMIO access of a resumed instruction (core host.ts MMIO_RESUMED). */
const MMIO_RESUMED = 0x10000;
/** Bytes of a CoreContext: the state block, the vector registers, the system registers. */
const CONTEXT_BYTES = STATE_END - STATE_BASE + 512 + 8 * SYSREG_COUNT;
/** The system registers a TLB entry depends on (state-layout.ts SYSREG_SLOTS). */
const REGIME_SLOTS = [SYSREG_SLOTS.SCTLR_EL1, SYSREG_SLOTS.TCR_EL1, SYSREG_SLOTS.TTBR0_EL1, SYSREG_SLOTS.TTBR1_EL1, SYSREG_SLOTS.MAIR_EL1];
/** Layout exports of the newest core features: a build/cpu.wasm without them predates the JS. */
const NEWEST_LAYOUT = ["HCALL_ANSWERS", "PAGE_TOUCHED_BASE", "CTR_VALUE"];
const REGION_RAM = 1;
const REGION_ROM = 2;
const PAGE = 65536;

/** One AArch64 CPU core with its guest physical memory. */
export class Cpu {
  readonly memory: WebAssembly.Memory;
  /** Guest RAM as bytes (a view into the wasm memory). */
  readonly ram: Uint8Array;
  /**
   * One byte per 4 KiB page of `ram`, non-zero once the page may have been written (by the guest
   * through a writable translation, or by the host through writePhys/notifyWritten), never
   * cleared: every other page still holds the zeros it started with.
   */
  readonly ramWritten: Uint8Array;
  /** The ROM devices' contents as bytes (views into the wasm memory), in CpuConfig.roms order. */
  readonly roms: Uint8Array[];
  readonly ramBase: bigint;
  private readonly romBases: bigint[];
  private readonly ex: CoreExports;
  private readonly dv: DataView;
  private readonly L: Record<string, number>;
  private callbacks: CpuCallbacks;
  private readonly jit: Jit;
  private answersOwner: unknown = null;
  private memBytes: Uint8Array = new Uint8Array(0);

  constructor(config: CpuConfig, callbacks: CpuCallbacks = {}) {
    this.callbacks = callbacks;
    this.ramBase = config.ramBase ?? 0x4000_0000n;
    const roms = config.roms ?? [];
    this.romBases = roms.map((r) => r.base);
    const romSize = roms.reduce((n, r) => n + r.size, 0);
    if (config.ramSize <= 0 || config.ramSize % PAGE || roms.some((r) => r.size <= 0 || r.size % PAGE)) {
      throw new Error("RAM and ROM sizes must be positive multiples of 64 KiB");
    }
    // GUEST_BASE comes from the generated layout (checked against the instance below), so no
    // throw-away instance is made just to learn it.
    const pages = (GUEST_BASE + romSize + config.ramSize) / PAGE;
    if (pages > 65536) throw new Error(`guest memory too large: ${config.ramSize + romSize} bytes (at most ${65536 * PAGE - GUEST_BASE})`);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const inst = new WebAssembly.Instance(config.module, this.imports(this.memory));
    this.ex = inst.exports as unknown as CoreExports;
    this.L = {};
    for (const [k, v] of Object.entries(inst.exports)) {
      if (v instanceof WebAssembly.Global) this.L[k] = v.value as number;
    }
    // The state tables were generated from the layout this core was built with.
    const layout: Record<string, number> = { STATE_END, V_BASE, SYSREG_BASE, SYSREG_COUNT, GUEST_BASE };
    for (const [k, f] of Object.entries(STATE_FIELDS)) layout[k] = f.offset;
    for (const [k, v] of Object.entries(layout))
      if (k in this.L && this.L[k] !== v) throw new Error(`src/cpu/state-layout.ts is stale (${k}): run npm run build`);
    // Decoded blocks hold each instruction's handler as a u16 function-table index (core/run.ts).
    if (this.ex.table.length > 0x10000)
      throw new Error(`the core's function table has ${this.ex.table.length} entries: decoded blocks index it with 16 bits`);
    this.dv = new DataView(this.memory.buffer);
    const threshold = config.jitThreshold ?? defaultJitThreshold();
    this.jit = new Jit(
      this.ex,
      {
        X_BASE: this.L.X_BASE,
        NZCV_ADDR: this.L.NZCV_ADDR,
        V_BASE: this.L.V_BASE,
        FPCR_ADDR: this.L.FPCR_ADDR,
        FPSR_ADDR: this.L.FPSR_ADDR,
        PSTATE_ADDR: this.L.PSTATE_ADDR,
        SYSREG_BASE: this.L.SYSREG_BASE,
        JIT_NEXT_PC: this.L.JIT_NEXT_PC,
        JIT_FP_ENABLED: this.L.JIT_FP_ENABLED,
        IRQ_LINES: this.L.IRQ_LINES,
        STOP_REQUESTED: this.L.STOP_REQUESTED,
        PAGE_GEN_BASE: this.L.PAGE_GEN_BASE,
        GUEST_BASE: this.L.GUEST_BASE,
        JIT_CHAIN_OFF: this.L.JIT_CHAIN_OFF,
        BLOCK_HASH_BASE: this.L.BLOCK_HASH_BASE,
        BLOCK_HASH_BITS: this.L.BLOCK_HASH_BITS,
        CTR_VALUE: this.L.CTR_VALUE,
      },
      threshold === 1 ? 1 : undefined,
    );
    this.ex.setJitThreshold(threshold);
    const ramHost = GUEST_BASE + romSize;
    this.ram = new Uint8Array(this.memory.buffer, ramHost, config.ramSize);
    for (const name of NEWEST_LAYOUT) if (!(name in this.L)) throw new Error(`build/cpu.wasm is stale (no ${name}): run npm run build`);
    this.ramWritten = new Uint8Array(this.memory.buffer, this.L.PAGE_TOUCHED_BASE + (ramHost - GUEST_BASE) / 4096, config.ramSize / 4096);
    this.ex.reset();
    this.roms = [];
    let romHost = GUEST_BASE;
    for (const r of roms) {
      this.roms.push(new Uint8Array(this.memory.buffer, romHost, r.size));
      this.addRegion(r.base, r.size, romHost, REGION_ROM);
      romHost += r.size;
    }
    this.addRegion(this.ramBase, config.ramSize, ramHost, REGION_RAM);
  }

  private addRegion(base: bigint, size: number, host: number, flags: number): void {
    const ok = this.ex.addRegion(Number(base & 0xffffffffn), Number(base >> 32n), size >>> 0, Math.floor(size / 2 ** 32), host, flags);
    if (!ok) throw new Error(`memory region at 0x${base.toString(16)} overlaps another`);
  }

  private imports(memory: WebAssembly.Memory): WebAssembly.Imports {
    const mbox = () => (this.L ? this.L.MBOX_DATA : 0x8000);
    const put = (v: bigint) => this.dv.setBigUint64(mbox(), BigInt.asUintN(64, v), true);
    return {
      env: {
        memory,
        abort: (_m: number, _f: number, line: number, col: number) => {
          throw new Error(`CPU core abort at ${line}:${col}`);
        },
      },
      host: {
        mmioRead: (lo: number, hi: number, size: number, tag: number): number => {
          const pa = hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
          const r = this.callbacks.mmioRead?.(pa, size, tag & 0xffff, (tag & MMIO_RESUMED) !== 0) ?? HostStatus.Fault;
          if (typeof r === "bigint") {
            put(r);
            return HostStatus.Ok;
          }
          return r;
        },
        mmioWrite: (lo: number, hi: number, size: number, vlo: number, vhi: number, tag: number): number => {
          const pa = hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
          const value = (BigInt(vhi >>> 0) << 32n) | BigInt(vlo >>> 0);
          return this.callbacks.mmioWrite?.(pa, size, value, tag & 0xffff, (tag & MMIO_RESUMED) !== 0) ?? HostStatus.Fault;
        },
        sysregRead: (key: number): number => {
          const r = this.callbacks.sysregRead?.(key) ?? HostStatus.Fault;
          if (typeof r === "bigint") {
            put(r);
            return HostStatus.Ok;
          }
          return r;
        },
        hypercall: (conduit: number, imm16: number): number =>
          this.callbacks.hypercall?.(conduit === 0 ? "hvc" : "smc", imm16 & 0xffff) ?? HostStatus.Exit,
        jitCompile: (block: number): number => (this.jit ? this.jit.compile(block) : 0),
        sysregWrite: (key: number, lo: number, hi: number): number =>
          this.callbacks.sysregWrite?.(key, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) ?? HostStatus.Fault,
      },
    };
  }

  /** Replaces the host callouts. */
  setCallbacks(callbacks: CpuCallbacks): void {
    this.callbacks = callbacks;
  }

  private u64(addr: number): bigint {
    return this.dv.getBigUint64(addr, true);
  }
  private setU64(addr: number, v: bigint): void {
    this.dv.setBigUint64(addr, BigInt.asUintN(64, v), true);
  }

  /** Warm reset: registers zero, EL1h with DAIF masked, MMU off. */
  reset(): void {
    this.ex.reset();
  }

  /** Executes up to `budget` instructions (retired or faulting). */
  run(budget: number): ExitReason {
    const r = this.ex.run(budget >>> 0) as ExitReason;
    this.jit.flush();
    return r;
  }

  /** Xn for n in 0..30 (31 reads the zero register). */
  x(n: number): bigint {
    return n === 31 ? 0n : this.u64(this.L.X_BASE + 8 * n);
  }
  setX(n: number, v: bigint): void {
    if (n < 0 || n > 30) throw new RangeError(`no register x${n}`);
    this.setU64(this.L.X_BASE + 8 * n, v);
  }
  /** The SP selected by the current PSTATE (EL and SPSel). */
  get sp(): bigint {
    return this.u64(this.L.X_BASE + 8 * 31);
  }
  set sp(v: bigint) {
    this.setU64(this.L.X_BASE + 8 * 31, v);
  }
  get pc(): bigint {
    return this.u64(this.L.PC_ADDR);
  }
  set pc(v: bigint) {
    this.setU64(this.L.PC_ADDR, v);
  }
  /** NZCV in bits 31..28. */
  get nzcv(): number {
    return this.dv.getUint32(this.L.NZCV_ADDR, true);
  }
  set nzcv(v: number) {
    this.dv.setUint32(this.L.NZCV_ADDR, (v & 0xf0000000) >>> 0, true);
  }
  /** PSTATE in SPSR format (NZCV, DAIF, IL, EL, SPSel). */
  get pstate(): number {
    return (this.nzcv | this.dv.getUint32(this.L.PSTATE_ADDR, true)) >>> 0;
  }
  /** Writes PSTATE in SPSR format, switching SP banks as the architecture does. */
  set pstate(v: number) {
    this.nzcv = v;
    this.ex.setPstate(v >>> 0);
  }
  get fpcr(): number {
    return this.dv.getUint32(this.L.FPCR_ADDR, true);
  }
  set fpcr(v: number) {
    this.setSysreg(0xda20, BigInt(v >>> 0));
  }
  get fpsr(): number {
    return this.dv.getUint32(this.L.FPSR_ADDR, true);
  }
  set fpsr(v: number) {
    this.setSysreg(0xda21, BigInt(v >>> 0));
  }
  /** Vn as a 128-bit unsigned integer (lane 0 in the low bits). */
  v(n: number): bigint {
    const a = this.L.V_BASE + 16 * n;
    return (this.u64(a + 8) << 64n) | this.u64(a);
  }
  setV(n: number, val: bigint): void {
    const a = this.L.V_BASE + 16 * n;
    this.setU64(a, val & M64);
    this.setU64(a + 8, (val >> 64n) & M64);
  }
  /** Reads a system register by key (op0:op1:CRn:CRm:op2 as in MRS bits [20:5]). */
  sysreg(key: number): bigint {
    if (!this.ex.getSysreg(key)) throw new Error(`no system register with key 0x${key.toString(16)}`);
    return this.u64(this.L.MBOX_DATA);
  }
  setSysreg(key: number, v: bigint): void {
    const u = BigInt.asUintN(64, v);
    if (!this.ex.setSysreg(key, Number(u & 0xffffffffn), Number(u >> 32n))) {
      throw new Error(`system register 0x${key.toString(16)} is not writable`);
    }
  }
  /**
   * Makes the next run() resume the instruction an MMIO exit stopped, whose word the exit
   * reported in exitInfo(3): it executes first, before any interrupt is taken, with its MMIO
   * accesses marked resumed (CpuCallbacks). Call it only with PC still at that instruction.
   */
  resumeMmio(word: number): void {
    this.ex.requestMmioResume(word >>> 0);
  }
  /** Whether the last run() executed the instruction resumeMmio asked for. */
  get mmioResumed(): boolean {
    return this.ex.mmioResumeTaken() !== 0;
  }
  /** Exit details word i (0..3) of the last exit. */
  exitInfo(i: number): bigint {
    return this.u64(this.L.MBOX_EXIT_INFO0 + 8 * i);
  }
  /** The low 32 bits of exitInfo(i), as a number. */
  exitInfoLow(i: number): number {
    return this.dv.getUint32(this.L.MBOX_EXIT_INFO0 + 8 * i, true);
  }
  /** Exactly counted retired instructions since reset. */
  get instret(): bigint {
    return this.u64(this.L.INSTRET_ADDR);
  }
  /** The low 32 bits of instret, as a number (differences of it count a run's instructions cheaply). */
  get instretLow(): number {
    return this.dv.getUint32(this.L.INSTRET_ADDR, true);
  }
  /** UNDEFINED exceptions taken, with the last undefined word and its PC. */
  get undefCount(): number {
    return Number(this.u64(this.L.UNDEF_COUNT));
  }
  get lastUndef(): { word: number; pc: bigint } {
    return { word: Number(this.u64(this.L.UNDEF_LAST_WORD)), pc: this.u64(this.L.UNDEF_LAST_PC) };
  }
  /** Interrupt lines into the core: bit0 IRQ, bit1 FIQ, bit2 SError. */
  setIrqLines(lines: number): void {
    this.ex.setIrqLines(lines);
  }
  /**
   * HVC calls the core answers without calling the host (at most 8; none by default): each costs
   * `stepCost` steps of run()'s budget. `owner` is remembered (hypercallAnswersOwner) so a
   * caller can tell whether the table is still the one it set.
   */
  setHypercallAnswers(answers: readonly HypercallAnswer[], stepCost: number, owner: unknown): void {
    const base = this.L.HCALL_ANSWERS;
    if (answers.length > this.L.HCALL_MAX) throw new RangeError(`at most ${this.L.HCALL_MAX} hypercall answers`);
    answers.forEach((a, i) => {
      const e = base + 16 + i * this.L.HCALL_ENTRY;
      let mask = 0;
      for (let r = 0; r < 4; r++) {
        const v = a.regs[r];
        if (v === undefined) continue;
        mask |= 1 << r;
        this.setU64(e + 8 + 8 * r, v);
      }
      this.dv.setUint32(e, a.fid >>> 0, true);
      this.dv.setUint32(e + 4, mask, true);
    });
    this.dv.setUint32(base + 4, stepCost >>> 0, true);
    this.dv.setUint32(base, answers.length, true);
    this.answersOwner = owner;
  }
  /** The `owner` given with the table of answers in place (null: none set). */
  get hypercallAnswersOwner(): unknown {
    return this.answersOwner;
  }
  /** HVC calls the core answered by itself in the last run(). */
  get hypercallsAnswered(): number {
    return this.dv.getUint32(this.L.HCALL_ANSWERS + 8, true);
  }
  /** Makes a running run() return ExitReason.Stop at the next block boundary (from a callout). */
  requestStop(): void {
    this.ex.requestStop();
  }
  /** Whether YIELD ends run() with ExitReason.Yield (another vCPU waits for the thread). */
  set giveWay(on: boolean) {
    this.dv.setUint32(this.L.GIVE_WAY, on ? 1 : 0, true);
  }
  setSemihosting(on: boolean): void {
    this.ex.setSemihosting(on ? 1 : 0);
  }

  /** Wasm offset of a guest physical range in RAM/ROM, or -1. */
  private hostOf(pa: bigint, len: number): number {
    const h = this.ex.physToHost(Number(pa & 0xffffffffn), Number(pa >> 32n)) >>> 0;
    if (h === 0) return -1;
    if (len > 1) {
      const end = pa + BigInt(len - 1);
      const he = this.ex.physToHost(Number(end & 0xffffffffn), Number(end >> 32n)) >>> 0;
      if (he !== h + len - 1) return -1;
    }
    return h;
  }

  /**
   * Switches ROM device `index` (CpuConfig.roms) between direct reads and fetches (io false: a
   * flash bank in read-array mode, QEMU's romd) and MMIO for every access (io true: command
   * mode, reads answer status or query data; instruction fetches take an external abort).
   */
  setRomIo(index: number, io: boolean): void {
    const base = this.romBases[index];
    if (base === undefined) throw new RangeError(`no ROM device ${index}`);
    this.ex.setRegionIo(Number(base & 0xffffffffn), Number(base >> 32n), io ? 1 : 0);
  }

  /** Copies bytes into guest physical memory (RAM or ROM), dropping stale decoded code. */
  writePhys(pa: bigint, bytes: Uint8Array): void {
    const h = this.hostOf(pa, bytes.length);
    if (h < 0) throw new RangeError(`guest physical range 0x${pa.toString(16)}+${bytes.length} is not memory`);
    new Uint8Array(this.memory.buffer, h, bytes.length).set(bytes);
    this.ex.notifyHostWrite(Number(pa & 0xffffffffn), Number(pa >> 32n), bytes.length);
  }

  /**
   * Tells the core that guest physical memory was written behind its back (a device's DMA into
   * `ram`): code decoded or compiled from those pages is dropped, as for writePhys.
   */
  notifyWritten(pa: bigint, len: number): void {
    this.ex.notifyHostWrite(Number(pa & 0xffffffffn), Number(pa >> 32n), len);
  }

  /** Copies bytes out of guest physical memory. */
  readPhys(pa: bigint, len: number): Uint8Array {
    const h = this.hostOf(pa, len);
    if (h < 0) throw new RangeError(`guest physical range 0x${pa.toString(16)}+${len} is not memory`);
    return new Uint8Array(this.memory.buffer, h, len).slice();
  }

  /** Translates a virtual address for a data read in the current regime; null on a fault. */
  translate(va: bigint): bigint | null {
    const u = BigInt.asUintN(64, va);
    const fsc = this.ex.translate(Number(u & 0xffffffffn), Number(u >> 32n));
    return fsc === 0 ? this.u64(this.L.MBOX_DATA) : null;
  }

  /** Reads guest virtual memory (byte by byte translation across pages); null if unmapped. */
  readVirt(va: bigint, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = va + BigInt(done);
      const pa = this.translate(a);
      if (pa === null) return null;
      const chunk = Math.min(len - done, 4096 - Number(a & 0xfffn));
      try {
        out.set(this.readPhys(pa, chunk), done);
      } catch {
        return null;
      }
      done += chunk;
    }
    return out;
  }

  /**
   * Changes how many executions make a block hot (0: interpret, decoding blocks all the same);
   * blocks already compiled stay so. The batching chosen at construction (threshold 1: compile
   * at once, decline none) is kept: tools/diff runs a case interpreted first, then compiled with
   * its blocks all decoded, so they form multi-block regions.
   */
  setJitThreshold(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new Error(`JIT threshold must be a non-negative integer, not ${n}`);
    this.ex.setJitThreshold(n);
  }

  /** JIT counters (compiled, declined and failed blocks). */
  get jitStats(): Readonly<JitStats> {
    return this.jit.stats;
  }

  /** Drops TLB and decoded blocks (after the host changed something they depend on). */
  flushCaches(): void {
    this.ex.flushTlb();
    this.ex.flushBlocks();
  }

  /**
   * Copies the running vCPU's state out of the core (a context switch: fast, for restoreContext
   * only), into `reuse` (a context this core made before, no longer needed) when given.
   */
  saveContext(reuse?: CoreContext): CoreContext {
    const n = STATE_END - STATE_BASE;
    const bytes = reuse && reuse.bytes.length === CONTEXT_BYTES ? reuse.bytes : new Uint8Array(CONTEXT_BYTES);
    const b = this.bytes();
    bytes.set(b.subarray(STATE_BASE, STATE_END), 0);
    bytes.set(b.subarray(V_BASE, V_BASE + 512), n);
    bytes.set(b.subarray(SYSREG_BASE, SYSREG_BASE + 8 * SYSREG_COUNT), n + 512);
    return reuse && reuse.bytes === bytes ? reuse : { bytes };
  }

  /**
   * Puts a context from saveContext back into the core. The TLB is kept when the translation
   * regime's registers are those of the state it replaces (core switchResync).
   */
  restoreContext(c: CoreContext): void {
    const b = this.bytes();
    const n = STATE_END - STATE_BASE;
    let same = 1;
    for (const slot of REGIME_SLOTS) {
      const at = SYSREG_BASE + 8 * slot;
      const from = n + 512 + 8 * slot;
      for (let i = 0; i < 8; i++) if (b[at + i] !== c.bytes[from + i]) same = 0;
    }
    b.set(c.bytes.subarray(0, n), STATE_BASE);
    b.set(c.bytes.subarray(n, n + 512), V_BASE);
    b.set(c.bytes.subarray(n + 512), SYSREG_BASE);
    this.ex.switchResync(same);
  }

  /** The wasm memory as bytes (its size never changes: the memory's maximum is its initial size). */
  private bytes(): Uint8Array {
    if (this.memBytes.buffer !== this.memory.buffer) this.memBytes = new Uint8Array(this.memory.buffer);
    return this.memBytes;
  }

  /** The whole architectural state as plain data (named, versioned fields: src/cpu/cpu-state.ts). */
  saveState(): CpuState {
    return readCpuState(new DataView(this.memory.buffer));
  }

  /**
   * Restores a state from saveState; a StateError naming the field when one is malformed or out
   * of range (nothing of the core is changed then).
   */
  restoreState(s: unknown, what?: string): void {
    // Checked in full before the core's state is touched.
    validate(CpuStateSchema, s, what ?? "cpu");
    const b = new Uint8Array(this.memory.buffer);
    b.fill(0, STATE_BASE, STATE_END);
    b.fill(0, V_BASE, V_BASE + 512);
    b.fill(0, SYSREG_BASE, SYSREG_BASE + 8 * SYSREG_COUNT);
    writeCpuState(new DataView(this.memory.buffer), s, what);
    this.ex.resync();
  }
}
