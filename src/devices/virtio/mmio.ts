// The virtio-mmio transport, version 2 (virtio 1.x §4.2, "Virtio Over MMIO", modern interface
// only): the register window a driver probes, negotiates features and sets up queues through,
// the interrupt status/acknowledge pair behind one interrupt line, and the device-specific
// configuration space at 0x100. Devices (blk.ts, rng.ts) only see descriptor chains.
import { Bits, require, type Static, Struct, Type, U8, U32, U64, validate } from "../../schema/index.ts";
import type { BusDevice, Device, IrqLine } from "../types.ts";
import { type DescriptorChain, type GuestMemory, type RingFeatures, Virtqueue, VirtqueueStateSchema } from "./queue.ts";

/** Register offsets (§4.2.2, table "MMIO Device Register Layout"). */
export const enum Reg {
  MagicValue = 0x000,
  Version = 0x004,
  DeviceId = 0x008,
  VendorId = 0x00c,
  DeviceFeatures = 0x010,
  DeviceFeaturesSel = 0x014,
  DriverFeatures = 0x020,
  DriverFeaturesSel = 0x024,
  QueueSel = 0x030,
  QueueNumMax = 0x034,
  QueueNum = 0x038,
  QueueReady = 0x044,
  QueueNotify = 0x050,
  InterruptStatus = 0x060,
  InterruptAck = 0x064,
  Status = 0x070,
  QueueDescLow = 0x080,
  QueueDescHigh = 0x084,
  QueueDriverLow = 0x090,
  QueueDriverHigh = 0x094,
  QueueDeviceLow = 0x0a0,
  QueueDeviceHigh = 0x0a4,
  ShmSel = 0x0ac,
  ShmLenLow = 0x0b0,
  ShmLenHigh = 0x0b4,
  ShmBaseLow = 0x0b8,
  ShmBaseHigh = 0x0bc,
  ConfigGeneration = 0x0fc,
  Config = 0x100,
}

/** "virt" in little-endian. */
export const VIRTIO_MMIO_MAGIC = 0x74726976;
/** Dormouse's vendor ID: "DMSE" in memory order, as QEMU's 0x554d4551 spells "QEMU". */
export const DORMOUSE_VENDOR_ID = 0x45534d44;

/** Device status bits (§2.1). */
export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_DEVICE_NEEDS_RESET = 0x40;
export const STATUS_FAILED = 0x80;

/** InterruptStatus bits (§4.2.2). */
export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

/** Reserved feature bits (§6). */
export const VIRTIO_F_INDIRECT_DESC = 1n << 28n;
export const VIRTIO_F_EVENT_IDX = 1n << 29n;
export const VIRTIO_F_VERSION_1 = 1n << 32n;

/** Features every device on this transport offers. */
const TRANSPORT_FEATURES = VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX;

/** What a device type (blk, rng...) provides to the transport. */
export interface VirtioDevice {
  /** Virtio device ID (§5): 2 block, 4 entropy. */
  readonly deviceId: number;
  /** Device-specific feature bits it offers (the transport adds VERSION_1, INDIRECT_DESC, EVENT_IDX). */
  readonly features: bigint;
  /** QueueNumMax of each of its queues. */
  readonly queueSizes: readonly number[];
  /** The device-specific configuration space as it reads now (little-endian fields). */
  config(): Uint8Array;
  /** A driver write to the configuration space (most fields are read-only: ignore them). */
  writeConfig?(offset: number, bytes: Uint8Array): void;
  /**
   * Serves one request; returns the number of bytes written to its writable buffers. Throws
   * VirtqueueError when the chain cannot carry a request at all (the device then needs a reset).
   */
  process(queue: number, chain: DescriptorChain): number;
  /** Device reset (status 0). */
  reset?(): void;
  /** Releases the device's host resources (an image file). */
  close?(): void;
  /** The device's own plain, versioned state. */
  save(): unknown;
  /** Restores save()'s state; a StateError naming the field (under `what`) when it is malformed. */
  restore(state: unknown, what: string): void;
}

/** Plain, versioned transport state; `device` is the device's own save() (checked by its restore). */
export const VirtioMmioStateSchema = Struct({
  version: Type.Literal(1),
  /** Virtio device ID: 2 block, 4 entropy. */
  deviceId: U32,
  status: U8,
  deviceFeaturesSel: U32,
  driverFeaturesSel: U32,
  driverFeatures: U64,
  queueSel: U32,
  /** InterruptStatus: used buffer, configuration change. */
  interruptStatus: Bits(3),
  configGeneration: U32,
  queues: Type.Array(VirtqueueStateSchema, { maxItems: 8 }),
  device: Type.Unknown(),
});
export type VirtioMmioState<D = unknown> = Omit<Static<typeof VirtioMmioStateSchema>, "device"> & { device: D };

export interface VirtioMmioOptions {
  vendorId?: number;
  /** Observability: why the device entered DEVICE_NEEDS_RESET or refused FEATURES_OK. */
  log?: (message: string) => void;
}

/** A virtio-mmio transport carrying one device. */
export class VirtioMmio<D extends VirtioDevice = VirtioDevice> implements BusDevice, Device {
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  readonly queues: Virtqueue[];
  private readonly vendorId: number;
  private readonly log: (message: string) => void;

  constructor(
    readonly device: D,
    private readonly mem: GuestMemory,
    private readonly irq: IrqLine,
    options: VirtioMmioOptions = {},
  ) {
    this.queues = device.queueSizes.map((n) => new Virtqueue(n));
    this.vendorId = options.vendorId ?? DORMOUSE_VENDOR_ID;
    this.log = options.log ?? (() => {});
  }

  /** Every feature bit offered to the driver. */
  get offeredFeatures(): bigint {
    return this.device.features | TRANSPORT_FEATURES;
  }

  /** The features the driver accepted (meaningful once FEATURES_OK is set). */
  get negotiatedFeatures(): bigint {
    return this.status & STATUS_FEATURES_OK ? this.driverFeatures : 0n;
  }

  private get ringFeatures(): RingFeatures {
    const f = this.driverFeatures;
    return { indirect: (f & VIRTIO_F_INDIRECT_DESC) !== 0n, eventIdx: (f & VIRTIO_F_EVENT_IDX) !== 0n };
  }

  private get selectedQueue(): Virtqueue | undefined {
    return this.queues[this.queueSel];
  }

  read(offset: number, size: number): bigint {
    if (offset >= Reg.Config) return this.readConfig(offset - Reg.Config, size);
    // §4.2.2.2: the control registers are 32-bit, aligned.
    if (size !== 4 || offset & 3) return 0n;
    return BigInt(this.readReg(offset) >>> 0);
  }

  private readReg(offset: number): number {
    const q = this.selectedQueue;
    switch (offset) {
      case Reg.MagicValue:
        return VIRTIO_MMIO_MAGIC;
      case Reg.Version:
        return 2;
      case Reg.DeviceId:
        return this.device.deviceId;
      case Reg.VendorId:
        return this.vendorId;
      case Reg.DeviceFeatures:
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.offeredFeatures >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case Reg.QueueNumMax:
        return q ? q.maxSize : 0;
      case Reg.QueueReady:
        return q?.ready ? 1 : 0;
      case Reg.InterruptStatus:
        return this.interruptStatus;
      case Reg.Status:
        return this.status;
      // No shared memory regions: "length -1" (§4.2.2).
      case Reg.ShmLenLow:
      case Reg.ShmLenHigh:
      case Reg.ShmBaseLow:
      case Reg.ShmBaseHigh:
        return 0xffff_ffff;
      case Reg.ConfigGeneration:
        return this.configGeneration;
      default:
        return 0;
    }
  }

  write(offset: number, size: number, value: bigint): void {
    if (offset >= Reg.Config) {
      this.writeConfig(offset - Reg.Config, size, value);
      return;
    }
    if (size !== 4 || offset & 3) return;
    const v = Number(value & 0xffff_ffffn);
    const q = this.selectedQueue;
    switch (offset) {
      case Reg.DeviceFeaturesSel:
        this.deviceFeaturesSel = v;
        break;
      case Reg.DriverFeaturesSel:
        this.driverFeaturesSel = v;
        break;
      case Reg.DriverFeatures:
        if (this.status & STATUS_FEATURES_OK || this.driverFeaturesSel > 1) break;
        {
          const shift = BigInt(32 * this.driverFeaturesSel);
          this.driverFeatures = (this.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(v) << shift);
        }
        break;
      case Reg.QueueSel:
        this.queueSel = v;
        break;
      case Reg.QueueNum:
        if (q && !q.ready) q.size = v;
        break;
      case Reg.QueueReady:
        if (q) this.setQueueReady(q, v & 1);
        break;
      case Reg.QueueNotify:
        this.notify(v & 0xffff);
        break;
      case Reg.InterruptAck:
        this.interruptStatus &= ~v;
        this.updateIrq();
        break;
      case Reg.Status:
        this.setStatus(v & 0xff);
        break;
      case Reg.QueueDescLow:
      case Reg.QueueDescHigh:
      case Reg.QueueDriverLow:
      case Reg.QueueDriverHigh:
      case Reg.QueueDeviceLow:
      case Reg.QueueDeviceHigh:
        if (q && !q.ready) this.setQueueAddress(q, offset, v);
        break;
      default:
        break;
    }
  }

  private setQueueAddress(q: Virtqueue, offset: number, v: number): void {
    const half = (old: bigint, high: boolean) =>
      high ? (old & 0xffff_ffffn) | (BigInt(v) << 32n) : (old & 0xffff_ffff_0000_0000n) | BigInt(v);
    const high = (offset & 4) !== 0;
    if (offset < Reg.QueueDriverLow) q.desc = half(q.desc, high);
    else if (offset < Reg.QueueDeviceLow) q.driver = half(q.driver, high);
    else q.device = half(q.device, high);
  }

  private setQueueReady(q: Virtqueue, on: number): void {
    if (!on) {
      q.ready = false;
      return;
    }
    if (q.ready) return;
    const problem = q.sizeProblem();
    if (problem) {
      this.needsReset(problem);
      return;
    }
    q.ready = true;
  }

  private setStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    // The driver only ever adds bits (§3.1.1); DEVICE_NEEDS_RESET is the device's to set.
    let next = (v & ~STATUS_DEVICE_NEEDS_RESET) | (this.status & STATUS_DEVICE_NEEDS_RESET);
    if (next & STATUS_FEATURES_OK && !(this.status & STATUS_FEATURES_OK)) {
      const problem = this.featureProblem();
      if (problem) {
        this.log(`refusing FEATURES_OK: ${problem}`);
        next &= ~STATUS_FEATURES_OK;
      }
    }
    const starting = next & STATUS_DRIVER_OK && !(this.status & STATUS_DRIVER_OK);
    this.status = next;
    // Buffers made available before DRIVER_OK are served now (§3.1.1: not before).
    if (starting) for (let i = 0; i < this.queues.length; i++) this.notify(i);
  }

  /** Why the driver's feature set cannot be accepted (§2.2.1, §6.1), or null. */
  private featureProblem(): string | null {
    const extra = this.driverFeatures & ~this.offeredFeatures;
    if (extra) return `the driver accepted features 0x${extra.toString(16)} that were not offered`;
    if (!(this.driverFeatures & VIRTIO_F_VERSION_1))
      return "the driver did not accept VIRTIO_F_VERSION_1 (legacy drivers are not supported)";
    return null;
  }

  /** Status 0: everything back to its initial state (§4.2.3.1); the interrupt line drops. */
  reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    this.interruptStatus = 0;
    for (const q of this.queues) q.reset();
    this.device.reset?.();
    this.updateIrq();
  }

  /** QueueNotify: serve every available request of queue `index`. */
  private notify(index: number): void {
    const q = this.queues[index];
    if (!q?.ready || !(this.status & STATUS_DRIVER_OK) || this.status & (STATUS_DEVICE_NEEDS_RESET | STATUS_FAILED)) return;
    const before = q.usedIdx;
    let interrupt = false;
    try {
      interrupt = q.drain(this.mem, this.ringFeatures, (chain) => this.device.process(index, chain));
    } catch (e) {
      if (q.usedIdx !== before) this.interruptStatus |= INT_USED_BUFFER;
      this.needsReset(`queue ${index}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (interrupt) {
      this.interruptStatus |= INT_USED_BUFFER;
      this.updateIrq();
    }
  }

  /** The device cannot go on (a driver error): DEVICE_NEEDS_RESET and a configuration change interrupt (§2.1.2). */
  private needsReset(why: string): void {
    this.log(`device needs reset: ${why}`);
    this.status |= STATUS_DEVICE_NEEDS_RESET;
    this.interruptStatus |= INT_CONFIG_CHANGE;
    this.updateIrq();
  }

  /** The device changed its configuration space: a new generation and a configuration change interrupt. */
  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if (this.status & STATUS_DRIVER_OK) {
      this.interruptStatus |= INT_CONFIG_CHANGE;
      this.updateIrq();
    }
  }

  private readConfig(offset: number, size: number): bigint {
    const c = this.device.config();
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(c[offset + i] ?? 0);
    return v;
  }

  private writeConfig(offset: number, size: number, value: bigint): void {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
    this.device.writeConfig?.(offset, bytes);
  }

  /** The line follows InterruptStatus != 0 (the GIC latches the rising edge). */
  private updateIrq(): void {
    this.irq.set(this.interruptStatus !== 0);
  }

  /** Requests are served within the guest's notify: none is ever in flight. */
  stop(): void {}

  cont(): void {}

  suspend(): void {}

  wake(): void {}

  close(): void {
    this.device.close?.();
  }

  save(): VirtioMmioState<ReturnType<D["save"]>> {
    return {
      version: 1,
      deviceId: this.device.deviceId,
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: this.driverFeatures,
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      queues: this.queues.map((q) => q.save()),
      device: this.device.save() as ReturnType<D["save"]>,
    };
  }

  /**
   * Restores save()'s state (`what` names it in errors: "devices.virtio[0]"); a StateError naming
   * the field when it is malformed, out of range or for another device, before anything changes.
   */
  restore(s: unknown, what = "virtio"): void {
    validate(VirtioMmioStateSchema, s, what);
    require(s.deviceId ===
      this.device.deviceId, `${what}.deviceId: state of device ${s.deviceId} restored into device ${this.device.deviceId}`);
    require(s.queues.length === this.queues.length, `${what}.queues: ${s.queues.length} queues, the device has ${this.queues.length}`);
    require(!(s.status & STATUS_FEATURES_OK) ||
      (s.driverFeatures & ~this.offeredFeatures) ===
        0n, `${what}.driverFeatures: features 0x${(s.driverFeatures & ~this.offeredFeatures).toString(16)} were never offered`);
    // Queues first (each checked before any is changed), then the device, then the transport.
    const scratch = this.queues.map((q) => new Virtqueue(q.maxSize));
    s.queues.forEach((q, i) => scratch[i].restore(q, `${what}.queues[${i}]`));
    this.device.restore(s.device, `${what}.device`);
    ({
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: this.driverFeatures,
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
    } = s);
    s.queues.forEach((q, i) => this.queues[i].restore(q, `${what}.queues[${i}]`));
    this.updateIrq();
  }
}
