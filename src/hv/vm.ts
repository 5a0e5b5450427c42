// A virtual machine, shaped like KVM's VM fd: guest memory (in the shared CPU core), vCPUs,
// capabilities, the SMCCC filter, firmware registers, the in-hypervisor GICv3 and generic timers.
import { Cpu, type ExitReason, HostStatus } from "../cpu/cpu.ts";
import { MpState } from "./constants.ts";
import { HvError } from "./errors.ts";
import { FirmwareRegs } from "./firmware-regs.ts";
import { Gicv3, PPI_PHYS_TIMER, PPI_VIRT_TIMER } from "./gicv3/index.ts";
import type { HvHost } from "./host.ts";
import type { SmcccCaller } from "./hypercalls.ts";
import { SmcccFilter, type SmcccFilterRange } from "./smccc-filter.ts";
import { type ClockMode, CNTFRQ, TimerReg, Timers } from "./timer.ts";
import { Vcpu, type VcpuVm, type WaitEnd } from "./vcpu.ts";
import { VmClock } from "./vm-clock.ts";

export interface VmConfig {
  /** The host's clock, entropy and CPU core. */
  host: HvHost;
  /** RAM size in bytes (multiple of 64 KiB), at ramBase (QEMU virt: 0x4000_0000). */
  ramSize: number;
  ramBase?: bigint;
  /** ROM devices (QEMU virt's flash banks: CpuConfig.roms). */
  roms?: { base: bigint; size: number }[];
  /** Time base: the host's monotonic clock, or deterministic time from retired instructions. */
  clock?: ClockMode;
  /** Number of SPIs of the GIC (default 224, as QEMU virt's 256 interrupts). */
  spis?: number;
  /** The core's JIT threshold (CpuConfig.jitThreshold; default from DORMOUSE_JIT). */
  jitThreshold?: number;
}

/** Capabilities a VMM may enable (KVM_ENABLE_CAP). */
export type VmCapability = "systemSuspend";

/** A device the VMM lets the hypervisor call synchronously for MMIO (no exit round trip). */
export interface MmioDevice {
  read(offset: number, size: number): bigint;
  write(offset: number, size: number, value: bigint): void;
}

interface Waiter {
  v: Vcpu;
  ready: () => boolean;
  resolve: (end: WaitEnd) => void;
  cancel: (() => void) | null;
}

/** Microtask turns a vCPU giving way waits at most for the vCPUs it woke to take the thread. */
const GIVE_WAY_TURNS = 16;

export class Vm implements VcpuVm {
  /** The CPU core every vCPU of this VM runs on; guest memory lives in it. */
  readonly core: Cpu;
  readonly gic: Gicv3;
  readonly timers: Timers;
  /** Device timers on the VM's counter (they stop while paused, and follow deterministic time). */
  readonly clock: VmClock;
  readonly host: HvHost;
  readonly filter = new SmcccFilter();
  readonly firmware = new FirmwareRegs();
  private caps = new Set<VmCapability>();
  private readonly list: Vcpu[] = [];
  private active: Vcpu | null = null;
  private waiters: Waiter[] = [];
  /** The vCPU whose slice is executing in the core (its callouts may wake others), or null. */
  private inCore: Vcpu | null = null;
  /** Per vCPU: its wait ended and its run() has not continued since (it wants the thread). */
  private woken: boolean[] = [];
  private wokenCount = 0;
  /** vCPUs waiting in yieldSlice for the host to serve its events. */
  private yielding = 0;
  /** Synchronous MMIO devices by base (lo, hi: the range as numbers, exact below 2^52). */
  private devices: { base: bigint; size: bigint; dev: MmioDevice; lo: number; hi: number }[] = [];
  private stolenTime = new Map<number, bigint>();
  /** Any vCPU has entered run() (locks the filter and firmware bitmaps). */
  hasRun = false;

  constructor(config: VmConfig) {
    this.host = config.host;
    this.core = new Cpu(
      {
        module: config.host.core,
        ramSize: config.ramSize,
        ramBase: config.ramBase,
        roms: config.roms,
        jitThreshold: config.jitThreshold,
      },
      {
        mmioRead: (pa, size, ordinal, resumed) => this.current().mmioAccess(pa, size, false, 0n, ordinal, resumed),
        mmioWrite: (pa, size, value, ordinal, resumed) => {
          const r = this.current().mmioAccess(pa, size, true, value, ordinal, resumed);
          return typeof r === "bigint" ? HostStatus.Ok : r;
        },
        hypercall: (conduit, imm16) => this.current().hypercall(conduit, imm16),
        sysregRead: (key) => this.sysregRead(key),
        sysregWrite: (key, value) => this.sysregWrite(key, value),
      },
    );
    this.gic = new Gicv3({ spis: config.spis });
    this.gic.state.onChange = (cpu) => {
      if (this.active && this.active.id === cpu) this.core.setIrqLines(this.gic.lines(cpu));
      this.notify();
    };
    this.timers = new Timers(
      config.clock ?? "host",
      (v) => this.instretOf(v as Vcpu),
      () => config.host.clock.monotonicNs(),
    );
    this.clock = new VmClock(this.timers, config.host.clock);
  }

  /** The vCPUs, in creation order. */
  get vcpus(): readonly Vcpu[] {
    return this.list;
  }

  get systemSuspendEnabled(): boolean {
    return this.caps.has("systemSuspend");
  }

  /** KVM_CREATE_VCPU: MPIDR as KVM's reset_mpidr; not allowed once a vCPU has run. */
  createVcpu(): Vcpu {
    if (this.hasRun) throw new HvError("EBUSY", "vCPUs cannot be added after the VM has run");
    const v = new Vcpu(this, this.list.length);
    this.list.push(v);
    this.gic.addCpu(v.id, v.mpidr);
    return v;
  }

  /** KVM_ENABLE_CAP. */
  enableCapability(cap: VmCapability): void {
    if (cap !== "systemSuspend") throw new HvError("EINVAL", `unknown capability ${cap}`);
    this.caps.add(cap);
  }

  /** KVM_SET_DEVICE_ATTR(KVM_ARM_VM_SMCCC_FILTER). */
  setSmcccFilter(range: SmcccFilterRange): void {
    this.filter.insert(range, this.hasRun);
  }

  /** Drives an SPI line (INTID 32 and up) of the in-hypervisor GIC (KVM_IRQ_LINE). */
  setIrqLine(intid: number, level: boolean): void {
    this.gic.setSpi(intid, level);
  }

  /**
   * Registers a synchronous MMIO device: the vCPU's slice calls it from the core's callout (as
   * KVM calls its in-kernel devices), with no exit round trip to the VMM. Time is brought up to
   * date first (deterministic time accounted, device deadlines that are due fired), as it is
   * when a slice ends in an exit.
   */
  addMmioDevice(base: bigint, size: bigint, dev: MmioDevice): void {
    if (size <= 0n || base < 0n || base + size > 1n << 52n) throw new HvError("EINVAL", `MMIO range 0x${base.toString(16)} is not valid`);
    if (this.devices.some((d) => base < d.base + d.size && d.base < base + size)) {
      throw new HvError("EEXIST", `MMIO range 0x${base.toString(16)} overlaps a registered device`);
    }
    this.devices.push({ base, size, dev, lo: Number(base), hi: Number(base + size) });
    this.devices.sort((a, b) => a.lo - b.lo);
  }

  /** PV time: the stolen-time record's guest physical address for a vCPU (KVM_ARM_VCPU_PVTIME_IPA). */
  setStolenTimeAddress(vcpu: Vcpu, ipa: bigint): void {
    if (ipa & 63n) throw new HvError("EINVAL", "the stolen-time record must be 64-byte aligned");
    this.stolenTime.set(vcpu.id, ipa);
  }

  // ---- For the vCPUs and the dispatcher ------------------------------------------------------

  private current(): Vcpu {
    if (!this.active) throw new Error("no vCPU is active on the core");
    return this.active;
  }

  private instretOf(v: Vcpu): bigint {
    return this.active === v ? this.core.instret : 0n;
  }

  /** Swaps vCPU `v`'s architectural state into the core. */
  activate(v: Vcpu, restore: boolean): void {
    if (this.active === v) return;
    if (this.active) this.timers.account(this.active);
    if (this.active) this.active.saveState(this.core.saveContext(this.active.spareState()));
    const s = v.takeState();
    if (s && restore) this.core.restoreContext(s);
    this.active = v;
    this.core.setIrqLines(this.gic.lines(v.id));
  }

  /** Updates the active vCPU's timer PPIs and interrupt lines before it runs. */
  updateLines(v: Vcpu): void {
    const [virt, phys] = this.timers.lines(v);
    this.gic.setPpi(v.id, PPI_VIRT_TIMER, virt);
    this.gic.setPpi(v.id, PPI_PHYS_TIMER, phys);
    this.core.setIrqLines(this.gic.lines(v.id));
  }

  /** In-hypervisor MMIO (GIC frames, registered devices): a read value, Ok for a write, or undefined. */
  mmioInKernel(v: Vcpu, phys: bigint, size: number, write: boolean, value: bigint): bigint | HostStatus | undefined {
    const g = this.gic.mmio(phys, size, write, value);
    if (g !== undefined) return g === true ? HostStatus.Ok : g;
    const devices = this.devices;
    if (!devices.length) return undefined;
    const pa = Number(phys);
    for (let i = 0; i < devices.length; i++) {
      const d = devices[i];
      if (pa < d.lo) break;
      if (pa >= d.hi) continue;
      this.elapsed(v);
      if (write) {
        d.dev.write(pa - d.lo, size, value);
        return HostStatus.Ok;
      }
      return d.dev.read(pa - d.lo, size);
    }
    return undefined;
  }

  private el(): number {
    return (this.core.pstate >> 2) & 3;
  }

  private sysregRead(key: number): bigint | HostStatus {
    const v = this.current();
    if (this.gic.isSysreg(key)) return this.el() === 0 ? HostStatus.Fault : (this.gic.cpuInterface.read(v.id, key) ?? HostStatus.Fault);
    this.timers.account(v);
    return this.timers.read(v, key, this.el()) ?? HostStatus.Fault;
  }

  private sysregWrite(key: number, value: bigint): HostStatus {
    const v = this.current();
    if (this.gic.isSysreg(key)) {
      if (this.el() === 0) return HostStatus.Fault;
      return this.gic.cpuInterface.write(v.id, key, value) ? HostStatus.Ok : HostStatus.Fault;
    }
    this.timers.account(v);
    if (!this.timers.write(v, key, this.el(), value)) return HostStatus.Fault;
    if (key !== TimerReg.CNTKCTL_EL1) this.updateLines(v);
    return HostStatus.Ok;
  }

  stopAll(): void {
    for (const v of this.list) v.setMpState(MpState.STOPPED);
  }

  random64(): bigint {
    const b = new Uint8Array(8);
    this.host.entropy.fill(b);
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  ptpTime(physical: boolean): { realNs: bigint; counter: bigint } {
    const cnt = this.timers.counter();
    return { realNs: BigInt(Math.floor(this.host.clock.wallMs())) * 1_000_000n, counter: physical ? cnt : cnt - this.timers.cntvoff };
  }

  hasStolenTime(c: SmcccCaller): boolean {
    return this.stolenTime.has(c.id);
  }

  stolenTimeAddress(c: SmcccCaller): bigint | null {
    const ipa = this.stolenTime.get(c.id);
    if (ipa === undefined) return null;
    // struct pvclock_vcpu_stolen_time: revision 0, attributes 0, stolen_time (no host steal).
    this.core.writePhys(ipa, new Uint8Array(64));
    return ipa;
  }

  // ---- Waiting ------------------------------------------------------------------------------

  /** Wakes waiters whose condition now holds (interrupt state, MP state or kick changed). */
  notify(): void {
    if (!this.waiters.length) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.ready()) {
        w.cancel?.();
        this.wake(w, "woken");
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  /**
   * Ends a vCPU's wait. Woken by another vCPU's slice (an SGI, a CPU_ON, a device it drove),
   * that slice stops at its next block boundary and its vCPU gives way, so the woken one runs
   * within microseconds rather than after the waker's whole slice.
   */
  private wake(w: Waiter, end: WaitEnd): void {
    if (!this.woken[w.v.id]) {
      this.woken[w.v.id] = true;
      this.wokenCount++;
    }
    if (this.inCore && this.inCore !== w.v) this.core.requestStop();
    w.resolve(end);
  }

  /** vCPU `v`'s run() continues: it has taken the thread it was woken for. */
  running(v: Vcpu): void {
    if (this.woken[v.id]) {
      this.woken[v.id] = false;
      this.wokenCount--;
    }
  }

  /** Whether vCPUs other than `v` were woken and have not run since. */
  othersWoken(v: Vcpu): boolean {
    return this.wokenCount > (this.woken[v.id] ? 1 : 0);
  }

  /** Runs a slice of `v` in the core: up to `budget` instructions. */
  runCore(v: Vcpu, budget: number): ExitReason {
    this.core.giveWay = this.yielding > 0 || this.othersWoken(v);
    this.inCore = v;
    try {
      return this.core.run(budget);
    } finally {
      this.inCore = null;
    }
  }

  /**
   * The next deadline a waiting vCPU must wake for: its own timers' or a device's (an RTC alarm,
   * the watchdog), in counter ticks and host milliseconds; null when there is none.
   */
  private nextDeadline(v: Vcpu): { ticks: bigint; ms: number } | null {
    const own = this.timers.nextDeadlineTicks(v);
    const dev = this.clock.nextDeadline();
    const t = own === null ? dev : dev === null || own < dev ? own : dev;
    if (t === null) return null;
    const now = this.timers.counter();
    // Host timers take at most 2^31-1 ms; a farther deadline (Linux parks CVAL far ahead while
    // suspended) just means waking to re-check after that long.
    const ms = t <= now ? 0 : Math.min(Number(((t - now) * 1000n) / CNTFRQ) + 1, 0x7fff_ffff);
    return { ticks: t, ms };
  }

  /**
   * Sleeps until `ready()` holds (re-checked on notify) or, with `deadlines` (a vCPU waiting in
   * WFI or SUSPENDED), its next deadline passes. In deterministic mode time jumps to the
   * deadline (and device timers due by then fire) instead of being waited for.
   */
  waitFor(v: Vcpu, ready: () => boolean, deadlines: boolean): Promise<WaitEnd> {
    if (ready()) return Promise.resolve("ready");
    const deadline = deadlines ? this.nextDeadline(v) : null;
    if (deadline && this.timers.mode === "deterministic") {
      this.timers.skipTo(deadline.ticks);
      this.clock.runDue();
      return Promise.resolve("skipped");
    }
    return new Promise((resolve) => {
      const w: Waiter = { v, ready, resolve, cancel: null };
      if (deadline) {
        w.cancel = this.host.clock.after(deadline.ms, () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          this.wake(w, "timer");
        });
      }
      this.waiters.push(w);
    });
  }

  /** Lets the event loop (devices, timers, other vCPUs) run between slices. */
  async yieldSlice(): Promise<void> {
    this.yielding++;
    try {
      await this.host.clock.yield();
    } finally {
      this.yielding--;
    }
  }

  /**
   * `v` gives the thread to the vCPUs it woke: it continues once each has run (up to its next
   * wait or yield), or after a few turns of the microtask queue at most.
   */
  async giveWay(v: Vcpu): Promise<void> {
    for (let i = 0; i < GIVE_WAY_TURNS && this.othersWoken(v); i++) await null;
  }

  /**
   * `v` spins (WFE, YIELD): the thread goes to another vCPU that wants it, one woken or one
   * waiting for the host. Resolves true when the host ran its event loop meanwhile.
   */
  async spinning(v: Vcpu): Promise<boolean> {
    if (this.othersWoken(v)) {
      await this.giveWay(v);
      return false;
    }
    if (this.yielding === 0) return false;
    await this.yieldSlice();
    return true;
  }

  sliceBudget(v: Vcpu, max: number): number {
    return this.clock.sliceBudget(this.timers.sliceBudget(v, max));
  }

  elapsed(v: Vcpu): void {
    this.timers.account(v);
    this.clock.runDue();
  }
}
