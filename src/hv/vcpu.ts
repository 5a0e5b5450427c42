// A virtual CPU, shaped like KVM's: init, run() → Exit, registers, MP state, kick.
//
// All vCPUs of a VM share one CPU core (one wasm instance and its memory, like QEMU's
// single-threaded TCG); a vCPU's architectural state is swapped into the core while it runs or
// while its registers are accessed. run() is async: a vCPU waiting in WFI, STOPPED or SUSPENDED
// sleeps on the event loop until an interrupt, a timer deadline or kick() wakes it.
//
// Fairness: a vCPU yields to the host (console input, signals, timers, a control API) after a
// budget of instructions, and exits count against that budget, so a guest that spins on an MMIO
// register or prints as fast as it can never starves the host.
import { type CoreContext, type Cpu, type CpuState, ExitReason, HostStatus, type HypercallAnswer } from "../cpu/cpu.ts";
import { CpuStateSchema } from "../cpu/cpu-state.ts";
import { BigBits, Int, require, type Static, Struct, Type, U64, validate } from "../schema/index.ts";
import { MAX_VCPUS, MPIDR_HWID_BITMASK, MpState, PSTATE_RESET, SystemEventType } from "./constants.ts";
import { HvError } from "./errors.ts";
import type { Exit } from "./exits.ts";
import type { FirmwareRegs } from "./firmware-regs.ts";
import type { Gicv3 } from "./gicv3/index.ts";
import { fixedAnswers, handleSmccc, type PsciTarget, type SmcccCaller, type SmcccOutcome, type SmcccVm } from "./hypercalls.ts";
import { MmioInflight } from "./mmio-inflight.ts";
import type { Timers } from "./timer.ts";

/** KVM_ARM_VCPU_INIT features Dormouse supports. */
export interface VcpuInit {
  /** Start STOPPED (KVM_ARM_VCPU_POWER_OFF). */
  powerOff?: boolean;
  /** Speak PSCI 0.2+ (KVM_ARM_VCPU_PSCI_0_2); without it the vCPU speaks PSCI 0.1. Default true. */
  psci02?: boolean;
  /** An AArch32 EL1 (KVM_ARM_VCPU_EL1_32BIT): not supported by this CPU. */
  el1Aarch32?: boolean;
}

/** Plain, versioned vCPU state for snapshots (the architectural state plus the hypervisor's view). */
export const VcpuSnapshotSchema = Struct({
  version: Type.Literal(2),
  id: Int(0, MAX_VCPUS - 1),
  mpidr: BigBits(MPIDR_HWID_BITMASK),
  psci02: Type.Boolean(),
  /** KVM_MP_STATE_RUNNABLE, STOPPED or SUSPENDED: the states arm64 has. */
  mpState: Type.Union([Type.Literal(MpState.RUNNABLE), Type.Literal(MpState.STOPPED), Type.Literal(MpState.SUSPENDED)]),
  inWfi: Type.Boolean(),
  /** A CPU_ON not yet applied: where it starts and its context id. */
  pendingReset: Type.Union([Type.Null(), Struct({ pc: U64, x0: U64 })]),
  cpu: CpuStateSchema,
});
export type VcpuSnapshot = Static<typeof VcpuSnapshotSchema>;

/**
 * VcpuSnapshotSchema with the CPU state left to its own schema: checked apart, its compiled
 * validator is the one writeCpuState uses when the state is restored (one compile, not two).
 */
const VcpuFieldsSchema = Struct({ ...VcpuSnapshotSchema.properties, cpu: Type.Unknown() });

/** Checks a vCPU state: its schema, and what its fields say of each other. */
export function checkVcpuSnapshot(s: unknown, what: string): asserts s is VcpuSnapshot {
  validate(VcpuFieldsSchema, s, what);
  validate(CpuStateSchema, s.cpu, `${what}.cpu`);
  require(!s.inWfi || s.mpState === MpState.RUNNABLE, `${what}.inWfi: only a runnable vCPU waits in WFI`);
  require(s.pendingReset === null || s.mpState === MpState.RUNNABLE, `${what}.pendingReset: only a runnable vCPU has a CPU_ON pending`);
  require(s.cpu.sysregs.mpidr_el1 === s.mpidr, `${what}.cpu.sysregs.mpidr_el1: differs from the vCPU's MPIDR`);
}

/**
 * What a vCPU needs of its VM (implemented by Vm; declared here so vcpu.ts does not depend on
 * vm.ts, which creates vCPUs).
 */
export interface VcpuVm extends SmcccVm {
  readonly core: Cpu;
  readonly gic: Gicv3;
  readonly timers: Timers;
  readonly firmware: FirmwareRegs;
  hasRun: boolean;
  notify(): void;
  activate(v: Vcpu, restore: boolean): void;
  updateLines(v: Vcpu): void;
  mmioInKernel(v: Vcpu, phys: bigint, size: number, write: boolean, value: bigint): bigint | HostStatus | undefined;
  /**
   * Sleeps until `ready()` holds or, with `deadlines`, the vCPU's next timer deadline (its own
   * or a device's) passes; resolves with how the wait ended.
   */
  waitFor(v: Vcpu, ready: () => boolean, deadlines: boolean): Promise<WaitEnd>;
  /** Lets the host serve its events. */
  yieldSlice(): Promise<void>;
  /** The vCPU's run() continues (after any wait): it has taken the thread. */
  running(v: Vcpu): void;
  /** Whether other vCPUs were woken and wait to take the thread. */
  othersWoken(v: Vcpu): boolean;
  /** Gives the thread to the vCPUs `v` woke until each has run. */
  giveWay(v: Vcpu): Promise<void>;
  /** `v` spins (WFE, YIELD): gives the thread to another vCPU that wants it; true when the host ran meanwhile. */
  spinning(v: Vcpu): Promise<boolean>;
  /** Runs `budget` instructions of `v` in the core. */
  runCore(v: Vcpu, budget: number): ExitReason;
  /** Caps a slice so it ends at the next deadline (deterministic mode). */
  sliceBudget(v: Vcpu, max: number): number;
  /** Time passed while the vCPU ran: accounts it and fires due device timers. */
  elapsed(v: Vcpu): void;
}

/**
 * How a wait ended: `ready` at once, `woken` by notify (another vCPU, a device, a kick), by the
 * host's `timer` at a deadline (the host served its events meanwhile), or deterministic time
 * `skipped` to the deadline.
 */
export type WaitEnd = "ready" | "woken" | "timer" | "skipped";

/** Instructions a vCPU runs before yielding to the host's event loop. */
const SLICE = 200_000;
/** What one exit to the VMM costs of that budget (an MMIO exit is a few microseconds of host work). */
const EXIT_COST = 2_000;
/** The least a slice costs, however few instructions it retired (a WFI or WFE loop is host work too). */
const SLICE_COST = 256;
/** What an SMCCC call the hypervisor answers inside the core costs of that budget. */
const HYPERCALL_COST = 256;
/** What an MMIO access the hypervisor's devices answer inside the slice costs of that budget. */
const IN_KERNEL_COST = 256;
const SYSREG_MPIDR = 0xc005;

export class Vcpu implements SmcccCaller, PsciTarget {
  /** MPIDR_EL1 affinity (KVM reset_mpidr layout); may be changed before the first run. */
  mpidr: bigint;
  private state: CoreContext | null = null;
  private spare: CoreContext | undefined = undefined;
  private initialised = false;
  private psci02 = true;
  private mp: MpState = MpState.RUNNABLE;
  private pendingReset: { pc: bigint; x0: bigint } | null = null;
  private kicked = false;
  private inWfi = false;
  /** The last slice ended in WFE or YIELD: the vCPU spins on something another one holds. */
  private spun = false;
  private readonly mmio = new MmioInflight();
  /** What the core's hypercall callout decided when the call needs run() to act (taken by slice()). */
  private outcome: SmcccOutcome | null = null;
  /** Instructions left before the next yield to the host. */
  private budget = SLICE;
  /**
   * The HVC calls the core answers by itself for this vCPU (hypercalls.ts fixedAnswers), the
   * filter and firmware generations and PSCI version they were worked out for, and the token
   * the core's table carries while it is this vCPU's.
   */
  private answers: HypercallAnswer[] = [];
  private answersFor = { filter: -1, firmware: -1, psci: -1 };
  private answersToken: object = {};

  constructor(
    readonly vm: VcpuVm,
    readonly id: number,
  ) {
    this.mpidr = BigInt(id & 0xf) | (BigInt((id >> 4) & 0xff) << 8n) | (BigInt((id >> 12) & 0xff) << 16n);
  }

  /** KVM_ARM_VCPU_INIT: full reset, then RUNNABLE (or STOPPED with powerOff). */
  init(opts: VcpuInit = {}): void {
    if (opts.el1Aarch32) throw new HvError("EINVAL", "AArch32 vCPUs are not supported (this CPU is AArch64-only)");
    this.psci02 = opts.psci02 ?? true;
    this.resetArchState();
    this.pendingReset = null;
    this.inWfi = false;
    this.mp = opts.powerOff ? MpState.STOPPED : MpState.RUNNABLE;
    this.initialised = true;
    this.vm.notify();
  }

  /** Architectural reset: registers zero, EL1h with DAIF masked, MMU off, this vCPU's MPIDR. */
  private resetArchState(): void {
    const core = this.vm.core;
    this.vm.activate(this, false);
    this.mmio.clear();
    this.outcome = null;
    core.reset();
    core.setSysreg(SYSREG_MPIDR, this.mpidr);
    core.pstate = PSTATE_RESET;
    this.vm.timers.reset(this);
    this.vm.gic.resetCpuInterface(this.id);
  }

  /** Effective PSCI version (the VM's, or 0.1 without the PSCI 0.2 feature). */
  get psciVersion(): number {
    return this.vm.firmware.effectivePsciVersion(this.psci02);
  }
  get hasPsci02(): boolean {
    return this.psci02;
  }

  /** Little-endian only (ID_AA64MMFR0.BigEnd = 0). */
  get bigEndian(): boolean {
    return false;
  }

  get mpState(): MpState {
    return this.mp;
  }

  /** KVM_GET_MP_STATE. */
  getMpState(): MpState {
    return this.mp;
  }

  /** KVM_SET_MP_STATE: RUNNABLE (no reset), STOPPED or SUSPENDED; anything else is EINVAL. */
  setMpState(state: MpState): void {
    if (state !== MpState.RUNNABLE && state !== MpState.STOPPED && state !== MpState.SUSPENDED) {
      throw new HvError("EINVAL", `MP state ${state} is not valid on arm64`);
    }
    this.mp = state;
    if (state !== MpState.RUNNABLE) this.inWfi = false;
    this.vm.notify();
  }

  /** CPU_ON from another vCPU: pending reset to (entry, context id), RUNNABLE. */
  powerOn(entry: bigint, contextId: bigint): void {
    this.pendingReset = { pc: entry, x0: contextId };
    this.mp = MpState.RUNNABLE;
    this.vm.notify();
  }

  /** Applies a pending CPU_ON reset (before any register access and before running, spec §2.5.1). */
  private applyPendingReset(): void {
    const r = this.pendingReset;
    if (!r) return;
    this.pendingReset = null;
    this.resetArchState();
    const core = this.vm.core;
    core.pc = r.pc;
    core.setX(0, r.x0);
    this.inWfi = false;
  }

  /** Makes this vCPU's state the core's (applying a pending reset first). */
  private load(): void {
    this.vm.activate(this, true);
    this.applyPendingReset();
  }

  /** Saves or restores the architectural state held while another vCPU uses the core. */
  saveState(state: CoreContext): void {
    this.state = state;
  }
  takeState(): CoreContext | null {
    const s = this.state;
    this.state = null;
    if (s) this.spare = s;
    return s;
  }
  /** The context takeState last handed out (its bytes are in the core now): saveState may reuse it. */
  spareState(): CoreContext | undefined {
    const s = this.spare;
    this.spare = undefined;
    return s;
  }

  // ---- Registers ----------------------------------------------------------------------------

  x(n: number): bigint {
    this.load();
    return this.vm.core.x(n);
  }
  setX(n: number, v: bigint): void {
    this.load();
    this.vm.core.setX(n, v);
  }
  get pc(): bigint {
    this.load();
    return this.vm.core.pc;
  }
  set pc(v: bigint) {
    this.load();
    this.vm.core.pc = v;
  }
  get sp(): bigint {
    this.load();
    return this.vm.core.sp;
  }
  set sp(v: bigint) {
    this.load();
    this.vm.core.sp = v;
  }
  get pstate(): number {
    this.load();
    return this.vm.core.pstate;
  }
  set pstate(v: number) {
    this.load();
    this.vm.core.pstate = v;
  }
  v(n: number): bigint {
    this.load();
    return this.vm.core.v(n);
  }
  setV(n: number, val: bigint): void {
    this.load();
    this.vm.core.setV(n, val);
  }
  sysreg(key: number): bigint {
    this.load();
    return this.vm.core.sysreg(key);
  }
  setSysreg(key: number, val: bigint): void {
    this.load();
    if (key === SYSREG_MPIDR) this.mpidr = val & 0xff_00ff_ffffn;
    this.vm.core.setSysreg(key, val);
  }
  /** KVM_GET_ONE_REG for firmware pseudo-registers. */
  getFirmwareReg(id: bigint): bigint {
    return this.vm.firmware.get(id, this.psci02);
  }
  /** KVM_SET_ONE_REG for firmware pseudo-registers. */
  setFirmwareReg(id: bigint, value: bigint): void {
    this.vm.firmware.set(id, value, this.psci02, this.vm.hasRun);
  }

  // ---- Running --------------------------------------------------------------------------------

  /** Makes a run() in progress (or the next one) return an `intr` exit, as a signal does KVM_RUN. */
  kick(): void {
    this.kicked = true;
    this.vm.core.requestStop();
    this.vm.notify();
  }

  /**
   * Completes the MMIO read of the last `mmio` exit (a write needs no completion); the
   * instruction finishes on the next run(), before anything else runs.
   */
  completeMmio(data: bigint): void {
    if (!this.mmio.complete(data)) throw new HvError("EINVAL", "no MMIO access is pending");
  }

  /**
   * The core's MMIO callout for this vCPU: access `ordinal` of the instruction, answered from
   * the record of a resumed instruction, else by in-hypervisor devices, else by the VMM via an exit.
   */
  mmioAccess(phys: bigint, size: number, write: boolean, value: bigint, ordinal: number, resumed: boolean): bigint | HostStatus {
    const done = this.mmio.replay(phys, size, write, ordinal, resumed);
    if (done !== undefined) return done;
    const result = this.vm.mmioInKernel(this, phys, size, write, value);
    if (result !== undefined) {
      // Host work like an exit, without one: it counts against the budget (a guest spinning on a
      // device register still yields to the host).
      this.budget -= IN_KERNEL_COST;
      if (this.budget <= 0) this.vm.core.requestStop();
    }
    return this.mmio.record(phys, size, write, value, ordinal, result);
  }

  /**
   * The core's hypercall callout for this vCPU: an SMCCC call answered at once keeps the core
   * running (no slice ends); any other outcome ends the slice, and slice() acts on it.
   */
  hypercall(conduit: "hvc" | "smc", imm16: number): HostStatus {
    const outcome = handleSmccc(this.vm, this, conduit, imm16);
    if (outcome.kind !== "continue") {
      this.outcome = outcome;
      return HostStatus.Exit;
    }
    this.budget -= HYPERCALL_COST;
    if (this.budget <= 0) this.vm.core.requestStop();
    return HostStatus.Ok;
  }

  /**
   * Puts this vCPU's table of HVC calls the core answers by itself in the core (worked out
   * again when the filter, the firmware registers or the PSCI version changed): the calls
   * handleSmccc answers the same way whatever the state, without the round trip through the
   * hypercall callout. They cost of the budget what the callout charges (HYPERCALL_COST).
   */
  private armAnswers(): void {
    const vm = this.vm;
    const f = this.answersFor;
    const psci = this.psciVersion;
    if (f.filter !== vm.filter.generation || f.firmware !== vm.firmware.generation || f.psci !== psci) {
      this.answers = fixedAnswers(vm, psci);
      this.answersFor = { filter: vm.filter.generation, firmware: vm.firmware.generation, psci };
      this.answersToken = {};
    }
    if (vm.core.hypercallAnswersOwner !== this.answersToken) vm.core.setHypercallAnswers(this.answers, HYPERCALL_COST, this.answersToken);
  }

  /** Whether an interrupt is pending for this vCPU (WFI/SUSPENDED wake condition). */
  private interruptPending(): boolean {
    return this.vm.gic.pendingFor(this.id) || this.vm.timers.firing(this);
  }

  /**
   * KVM_RUN. All vCPUs share one thread: a vCPU waits (WFI, STOPPED, SUSPENDED) on the event
   * loop, yields to the host after its budget, and gives the thread to vCPUs it woke (they run
   * next, within microseconds) and, while it spins in WFE or YIELD, to any vCPU that wants it.
   */
  async run(): Promise<Exit> {
    if (!this.initialised) throw new HvError("ENOEXEC", "vCPU not initialised (call init first)");
    this.vm.hasRun = true;
    let gaveWay = false;
    for (;;) {
      this.vm.running(this);
      if (this.kicked) {
        // As KVM_RUN completes an MMIO access before it looks at signals, an instruction an MMIO
        // exit stopped finishes before a kick is honoured (a pause or snapshot never sees half
        // an access) — also when the kick came while this run() yielded its spent slice;
        // otherwise the first slice resumes it.
        if (this.mmio.inFlight && this.mp === MpState.RUNNABLE) {
          const exit = this.slice(1);
          if (exit) {
            this.budget -= EXIT_COST;
            return exit;
          }
        }
        this.kicked = false;
        return { reason: "intr" };
      }
      if (this.mp === MpState.STOPPED) {
        this.wake(await this.vm.waitFor(this, () => this.mp !== MpState.STOPPED || this.kicked, false));
        continue;
      }
      this.applyPendingReset();
      if (this.mp === MpState.SUSPENDED) {
        // Emulated WFI: a pending interrupt is a WAKEUP exit; the state stays SUSPENDED.
        if (this.interruptPending()) return { reason: "system_event", type: SystemEventType.WAKEUP, ndata: 0, data: [] };
        this.wake(await this.vm.waitFor(this, () => this.interruptPending() || this.kicked || this.mp !== MpState.SUSPENDED, true));
        continue;
      }
      if (this.inWfi) {
        if (!this.interruptPending()) {
          this.wake(await this.vm.waitFor(this, () => this.interruptPending() || this.kicked || this.mp !== MpState.RUNNABLE, true));
          continue;
        }
        this.inWfi = false;
      }
      if (this.budget <= 0) {
        await this.vm.yieldSlice();
        this.budget = SLICE;
        continue;
      }
      // Once per turn: a vCPU given the thread runs a slice before it gives way again.
      if (!gaveWay && (this.spun || this.vm.othersWoken(this))) {
        gaveWay = true;
        const spun = this.spun;
        this.spun = false;
        if (spun ? await this.vm.spinning(this) : (await this.vm.giveWay(this), false)) this.budget = SLICE;
        continue;
      }
      gaveWay = false;
      const exit = this.slice();
      if (exit) {
        this.budget -= EXIT_COST;
        return exit;
      }
    }
  }

  /**
   * A wait ended: the budget starts afresh when the host's timer ended it (the host served its
   * events meanwhile), and a deterministic time skip (the host did not run) costs like an exit.
   * A wake by another vCPU or a device costs nothing more than the slice that follows it: vCPUs
   * waking each other still spend their budgets, and yield to the host when they are spent.
   */
  private wake(end: WaitEnd): void {
    if (end === "timer") this.budget = SLICE;
    else if (end === "skipped") this.budget -= EXIT_COST;
  }

  /** Runs up to `limit` instructions (default: what is left of the budget); returns an exit for the VMM or null to keep going. */
  private slice(limit = this.budget): Exit | null {
    this.load();
    const core = this.vm.core;
    this.vm.updateLines(this);
    const word = this.mmio.inFlight ? this.mmio.resumeWord(core.pc, core.instretLow) : null;
    if (word !== null) core.resumeMmio(word);
    this.armAnswers();
    const before = core.instretLow;
    const steps = this.vm.sliceBudget(this, Math.max(1, limit));
    const r = this.vm.runCore(this, steps);
    // The resumed instruction ran: unless an exit stopped it (or a later one) again, nothing is in flight.
    if (word !== null && core.mmioResumed && r !== ExitReason.Mmio) this.mmio.resumed();
    // A slice that used its whole budget costs all of it, retired or not: a guest taking one
    // exception after another (a vector in unmapped memory) retires nothing, and would otherwise
    // hold the host for minutes at SLICE_COST a slice.
    // (HVC calls the core answered by itself are in `steps` as HYPERCALL_COST each.)
    this.budget -=
      r === ExitReason.Budget
        ? Math.max(SLICE_COST, steps)
        : Math.max(SLICE_COST, (core.instretLow - before) >>> 0) + core.hypercallsAnswered * HYPERCALL_COST;
    this.vm.elapsed(this);
    switch (r) {
      case ExitReason.Budget:
      case ExitReason.Stop:
        return null;
      case ExitReason.Wfi:
        this.inWfi = true;
        return null;
      case ExitReason.Wfe:
      case ExitReason.Yield:
        this.spun = true;
        return null;
      case ExitReason.Hvc:
      case ExitReason.Smc: {
        const outcome = this.outcome ?? handleSmccc(this.vm, this, r === ExitReason.Hvc ? "hvc" : "smc", Number(core.exitInfo(0)));
        this.outcome = null;
        switch (outcome.kind) {
          case "continue":
            return null;
          case "wfi":
            this.inWfi = true;
            return null;
          case "cpu_off":
            this.mp = MpState.STOPPED;
            this.vm.notify();
            return null;
          default:
            return outcome.exit;
        }
      }
      case ExitReason.Mmio: {
        const m = this.mmio.handedOut;
        if (!m) return { reason: "internal_error", message: "MMIO exit without a pending access" };
        this.mmio.stop(core.pc, core.instretLow, core.exitInfoLow(3));
        return { reason: "mmio", phys: m.phys, size: m.size, write: m.write, data: m.write ? m.data : 0n };
      }
      case ExitReason.Sysreg:
        return { reason: "internal_error", message: `system register 0x${core.exitInfo(0).toString(16)} trapped to the host` };
      case ExitReason.Semihost:
        return { reason: "internal_error", message: "semihosting is not available under the hypervisor" };
      default:
        return { reason: "internal_error", message: `unknown core exit ${r}` };
    }
  }

  /** The vCPU's whole state as plain data; refused while an MMIO exit's instruction is unfinished (run it once first). */
  save(): VcpuSnapshot {
    if (this.mmio.inFlight)
      throw new HvError("EBUSY", `vCPU ${this.id} has an MMIO access in flight: run it to complete the instruction first`);
    this.vm.activate(this, true);
    return {
      version: 2,
      id: this.id,
      mpidr: this.mpidr,
      psci02: this.psci02,
      mpState: this.mp,
      inWfi: this.inWfi,
      pendingReset: this.pendingReset ? { ...this.pendingReset } : null,
      cpu: this.vm.core.saveState(),
    };
  }

  /**
   * Restores a state from save() (same VM shape); an HvError naming the field when the state is
   * malformed or out of range, before anything of the vCPU changes.
   */
  restore(s: unknown): void {
    const what = `vcpus[${this.id}]`;
    try {
      checkVcpuSnapshot(s, what);
    } catch (e) {
      throw new HvError("EINVAL", (e as Error).message);
    }
    if (s.id !== this.id) throw new HvError("EINVAL", `${what}.id: state of vCPU ${s.id} restored into vCPU ${this.id}`);
    this.vm.activate(this, false);
    this.mmio.clear();
    this.vm.core.restoreState(s.cpu, `${what}.cpu`);
    this.mpidr = s.mpidr;
    this.psci02 = s.psci02;
    this.mp = s.mpState;
    this.inWfi = s.inWfi;
    this.pendingReset = s.pendingReset ? { ...s.pendingReset } : null;
    this.initialised = true;
    this.vm.notify();
  }
}
