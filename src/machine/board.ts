// The virt board: a Vm with RAM at 0x4000_0000, the GICv3, a PL011 console on the MMIO bus, a
// device tree, and the guest image. The VMM (src/vmm) runs it.
import { GpioKey, type GpioKeyState } from "../devices/gpio-key.ts";
import { Pl011 } from "../devices/pl011.ts";
import { Pl031 } from "../devices/pl031.ts";
import { Pl061, type Pl061State } from "../devices/pl061.ts";
import { SbsaGwdt, type SbsaGwdtState } from "../devices/sbsa-gwdt.ts";
import { hostAfter, type IrqLine } from "../devices/types.ts";
import { type DiskOptions, VirtioBlk } from "../devices/virtio/blk.ts";
import { VirtioMmio, type VirtioMmioState } from "../devices/virtio/mmio.ts";
import { ramMemory } from "../devices/virtio/queue.ts";
import { VirtioRng } from "../devices/virtio/rng.ts";
import type { ClockMode } from "../hv/timer.ts";
import type { Vcpu } from "../hv/vcpu.ts";
import { Vm } from "../hv/vm.ts";
import { MmioBus } from "./bus.ts";
import { loadInitrd, loadLinuxImage } from "./linux.ts";
import { buildDtb, parseDtb, setProp, u64cells } from "./fdt.ts";
import { ImageError, isElf, type LoadedImage, loadBinary, loadElf } from "./loader.ts";
import { gpioKeysNode, gpioNode, POWER_BUTTON_PIN, rtcNode, VIRT, virtDtb, virtioNode, watchdogNode } from "./virt.ts";

export interface BoardConfig {
  cpus: number;
  /** RAM in bytes (multiple of 2 MiB). */
  ramSize: number;
  psciConduit: "hvc" | "smc";
  clock?: ClockMode;
  systemSuspend?: boolean;
  /** Console output sink (one byte at a time). */
  output: (byte: number) => void;
  /** Kernel command line for the device tree's /chosen node. */
  bootargs?: string;
  /** Raw disk images as virtio-blk devices, in virtio-mmio slots 0, 1, ... (Linux: vda, vdb, ...). */
  disks?: DiskOptions[];
  /** A virtio-rng device, in the slot after the disks. */
  rng?: boolean;
  /** The SBSA watchdog's WS1 signal (second timeout): the VMM turns it into a system reset. Read when it fires. */
  onWatchdogReset?: () => void;
}

/** Plain, versioned state of the board's GPIO, power button and watchdog (for the snapshot header). */
export interface BoardDevicesState {
  version: 1;
  gpio: Pl061State;
  powerButton: GpioKeyState;
  watchdog: SbsaGwdtState;
  /** The virtio-mmio transports (and their devices), by slot. */
  virtio: VirtioMmioState[];
}

/** virtio-mmio transports on the virt board (QEMU's NUM_VIRTIO_TRANSPORTS). */
const VIRTIO_SLOTS = 32;

export class VirtBoard {
  readonly vm: Vm;
  readonly vcpus: Vcpu[];
  readonly bus = new MmioBus();
  readonly uart: Pl011;
  readonly rtc: Pl031;
  /** The virtio-blk devices, in config.disks order. */
  readonly disks: VirtioBlk[] = [];
  /** The virtio-mmio transports, by slot. */
  readonly virtio: VirtioMmio[] = [];
  readonly gpio: Pl061;
  /** The gpio-keys power button on PL061 pin 3. */
  readonly powerButton: GpioKey;
  readonly watchdog: SbsaGwdt;
  private image: { reload: () => LoadedImage; loaded: LoadedImage } | null = null;
  private dtbAddr = 0n;
  private externalDtb: Uint8Array | null = null;

  constructor(readonly config: BoardConfig) {
    if (!Number.isInteger(config.cpus) || config.cpus < 1 || config.cpus > 123) throw new Error("--smp takes 1 to 123 vCPUs");
    if (config.ramSize < 4 << 20 || config.ramSize % (2 << 20)) throw new Error("memory must be a multiple of 2 MiB, at least 4 MiB");
    this.vm = new Vm({ ramSize: config.ramSize, ramBase: VIRT.ramBase, clock: config.clock });
    if (config.systemSuspend) this.vm.enableCapability("systemSuspend");
    this.vcpus = Array.from({ length: config.cpus }, () => this.vm.createVcpu());
    this.uart = new Pl011(this.spi(VIRT.uartSpi), config.output);
    this.bus.map(VIRT.uartBase, 0x1000n, "pl011", this.uart);
    this.rtc = new Pl031(this.spi(VIRT.rtcSpi));
    this.bus.map(VIRT.rtcBase, 0x1000n, "pl031", this.rtc);
    this.gpio = new Pl061(this.spi(VIRT.gpioSpi));
    this.bus.map(VIRT.gpioBase, 0x1000n, "pl061", this.gpio);
    this.powerButton = new GpioKey((level) => this.gpio.setInput(POWER_BUTTON_PIN, level));
    this.watchdog = new SbsaGwdt(this.spi(VIRT.watchdogSpi), () => this.config.onWatchdogReset?.(), {
      counter: () => this.vm.timers.counter(),
      after: hostAfter,
    });
    this.bus.map(VIRT.watchdogRefreshBase, 0x1000n, "sbsa-gwdt refresh", this.watchdog.refresh);
    this.bus.map(VIRT.watchdogControlBase, 0x1000n, "sbsa-gwdt control", this.watchdog.control);
    this.attachVirtio();
  }

  /** Opens the disks (DiskError if one cannot be used) and maps the virtio devices in slots 0, 1, ... */
  private attachVirtio(): void {
    const { disks = [], rng = false } = this.config;
    if (disks.length + (rng ? 1 : 0) > VIRTIO_SLOTS) throw new Error(`at most ${VIRTIO_SLOTS} virtio devices`);
    try {
      for (const d of disks) this.disks.push(new VirtioBlk(d));
    } catch (e) {
      for (const d of this.disks) d.close();
      throw e;
    }
    // Device writes into RAM drop code the CPU decoded or compiled from those pages.
    const mem = ramMemory(
      VIRT.ramBase,
      () => this.vm.core.ram,
      (gpa, len) => this.vm.core.notifyWritten(gpa, len),
    );
    const devices = [...this.disks, ...(rng ? [new VirtioRng()] : [])];
    devices.forEach((dev, n) => {
      const t = new VirtioMmio(dev, mem, this.spi(VIRT.virtioSpi + n));
      this.bus.map(VIRT.virtioBase + BigInt(n) * VIRT.virtioStride, VIRT.virtioStride, `virtio-mmio@${n}`, t);
      this.virtio.push(t);
    });
  }

  /** The interrupt line of SPI n (INTID 32 + n). */
  spi(n: number): IrqLine {
    return { set: (level) => this.vm.setIrqLine(32 + n, level) };
  }

  /** The device tree's address: the top of RAM, 2 MiB aligned (clear of image and initrd). */
  private get dtbBase(): bigint {
    return (VIRT.ramBase + BigInt(this.config.ramSize) - (2n << 20n)) & ~0x1f_ffffn;
  }

  private writeDtb(initrd?: { start: bigint; end: bigint }): void {
    const dtb = this.externalDtb
      ? withChosen(this.externalDtb, this.config.bootargs, initrd)
      : virtDtb({
          cpus: this.config.cpus,
          ramSize: BigInt(this.config.ramSize),
          psciConduit: this.config.psciConduit,
          bootargs: this.config.bootargs,
          initrd,
          devices: [rtcNode(), gpioNode(), gpioKeysNode(), watchdogNode(), ...this.virtio.map((_, n) => virtioNode(n))],
        });
    if (dtb.length > 2 << 20) throw new ImageError("the device tree is larger than 2 MiB (the arm64 boot protocol's limit)");
    this.dtbAddr = this.dtbBase;
    this.vm.core.writePhys(this.dtbAddr, dtb);
  }

  /** Loads a bare-metal ELF or flat binary (flat binaries at the start of RAM) and the device tree. */
  load(bytes: Uint8Array): LoadedImage {
    const load = () => {
      const mem = this.vm.core;
      const loaded = isElf(bytes) ? loadElf(mem, bytes) : loadBinary(mem, bytes, VIRT.ramBase);
      if (this.dtbBase < loaded.end) throw new Error("the image leaves no room for the device tree: give the guest more memory");
      this.writeDtb();
      return loaded;
    };
    this.image = { reload: load, loaded: load() };
    return this.image.loaded;
  }

  /**
   * Loads an arm64 Linux Image (optionally gzip'd), an optional initrd, and the device tree: the
   * board's own, or `dtb` (as QEMU's -dtb does, with /chosen's bootargs and initrd range set).
   */
  loadLinux(kernel: Uint8Array, initrd?: Uint8Array, dtb?: Uint8Array): LoadedImage {
    if (dtb) {
      try {
        parseDtb(dtb);
      } catch (e) {
        throw new ImageError(`the device tree: ${(e as Error).message}`);
      }
      this.externalDtb = dtb;
    }
    const load = () => {
      const mem = this.vm.core;
      const ramSize = BigInt(this.config.ramSize);
      const k = loadLinuxImage(mem, kernel, VIRT.ramBase, ramSize);
      const rd = initrd ? loadInitrd(mem, initrd, VIRT.ramBase, ramSize, k.end, this.dtbBase) : undefined;
      if (this.dtbBase < k.end) throw new Error("the kernel leaves no room for the device tree: give the guest more memory");
      this.writeDtb(rd);
      return { entry: k.entry, start: k.entry, end: rd?.end ?? k.end, kind: "binary" as const };
    };
    this.image = { reload: load, loaded: load() };
    return this.image.loaded;
  }

  /** Puts every vCPU in its boot state: the boot vCPU at the entry with x0 = DTB, the others off. */
  boot(): void {
    if (!this.image) throw new Error("no image loaded");
    this.vcpus.forEach((v, i) => {
      v.init({ powerOff: i !== 0 });
    });
    const boot = this.vcpus[0];
    boot.pc = this.image.loaded.entry;
    boot.setX(0, this.dtbAddr);
  }

  /** Presses the power button (PL061 pin 3 high for 100 ms): KEY_POWER in the guest, and a wake-up from suspend. */
  pressPowerButton(): void {
    this.powerButton.press();
  }

  /** The VM suspends: device countdowns that follow guest time stop (the watchdog's). */
  pauseDevices(): void {
    this.watchdog.pause();
  }

  /** The VM wakes: paused device countdowns continue from where they stopped. */
  resumeDevices(): void {
    this.watchdog.resume();
  }

  /** The GPIO, power button, watchdog and virtio state, for a snapshot. */
  saveDevices(): BoardDevicesState {
    return {
      version: 1,
      gpio: this.gpio.save(),
      powerButton: this.powerButton.save(),
      watchdog: this.watchdog.save(),
      virtio: this.virtio.map((t) => t.save()),
    };
  }

  /** Restores `saveDevices()`'s state; after the timers, since the watchdog counts from the restored counter. */
  restoreDevices(s: BoardDevicesState): void {
    if (s?.version !== 1) throw new Error(`unsupported board device state version ${s?.version}`);
    this.gpio.restore(s.gpio);
    this.powerButton.restore(s.powerButton);
    this.watchdog.restore(s.watchdog);
    const virtio = s.virtio ?? [];
    if (virtio.length !== this.virtio.length)
      throw new Error(`the saved VM has ${virtio.length} virtio devices, this board ${this.virtio.length}`);
    virtio.forEach((v, i) => this.virtio[i].restore(v));
  }

  /** Releases host resources (the RTC's alarm, the button's release, the watchdog's timer, the disk images) once the VM is done. */
  close(): void {
    this.rtc.close();
    this.powerButton.close();
    this.watchdog.close();
    for (const d of this.disks) d.close();
  }

  /** System reset: reload the image and boot again. */
  reset(): void {
    if (!this.image) throw new Error("no image loaded");
    this.vm.gic.reset();
    this.watchdog.reset();
    this.gpio.reset();
    for (const t of this.virtio) t.reset();
    this.image.loaded = this.image.reload();
    this.boot();
  }
}

/** A user's device tree with /chosen's bootargs and initrd range set (the node is added if missing). */
function withChosen(dtb: Uint8Array, bootargs?: string, initrd?: { start: bigint; end: bigint }): Uint8Array {
  const { root, bootCpu, reserved } = parseDtb(dtb);
  let chosen = root.children.find((c) => c.name === "chosen");
  if (!chosen) {
    chosen = { name: "chosen", props: [], children: [] };
    root.children.push(chosen);
  }
  if (bootargs !== undefined) setProp(chosen, "bootargs", bootargs);
  if (initrd) {
    setProp(chosen, "linux,initrd-start", u64cells(initrd.start));
    setProp(chosen, "linux,initrd-end", u64cells(initrd.end));
  }
  return buildDtb(root, bootCpu, reserved);
}
