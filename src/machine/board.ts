// The virt board: a Vm with RAM at 0x4000_0000, the GICv3, and one device table — PL011
// console, PL031 RTC, PL061 GPIO with the gpio-keys power button, SBSA watchdog, virtio-mmio
// transports — from which the bus, the device tree, snapshot order, reset, pause, suspend and
// close are all driven; a device tree, and the guest image. The VMM (src/vmm) runs it.
import { FW_CFG_WINDOW, FwCfg, FwCfgStateSchema } from "../devices/fw-cfg.ts";
import { GpioKey, GpioKeyStateSchema } from "../devices/gpio-key.ts";
import { checkPflashState, Pflash, PflashStateSchema } from "../devices/pflash.ts";
import { Pl011, type Pl011State, Pl011StateSchema } from "../devices/pl011.ts";
import { Pl031, type Pl031State, Pl031StateSchema } from "../devices/pl031.ts";
import { Pl061, Pl061Reg, Pl061StateSchema } from "../devices/pl061.ts";
import { GWDT_WINDOW, SbsaGwdt, SbsaGwdtStateSchema } from "../devices/sbsa-gwdt.ts";
import type { BusDevice, ConsoleSink, Device, IrqLine } from "../devices/types.ts";
import {
  type BlockBackend,
  type BlockBackends,
  DiskError,
  type DiskOptions,
  VirtioBlk,
  VirtioBlkStateSchema,
} from "../devices/virtio/blk.ts";
import { VirtioMmio, type VirtioMmioState, VirtioMmioStateSchema } from "../devices/virtio/mmio.ts";
import { ramMemory } from "../devices/virtio/queue.ts";
import { VirtioRng, VirtioRngStateSchema } from "../devices/virtio/rng.ts";
import { require, type Static, Struct, Type, validate } from "../schema/index.ts";
import { MAX_VCPUS } from "../hv/constants.ts";
import { PPI_PHYS_TIMER, PPI_VIRT_TIMER } from "../hv/gicv3/index.ts";
import type { HvHost } from "../hv/host.ts";
import type { ClockMode } from "../hv/timer.ts";
import type { Vcpu } from "../hv/vcpu.ts";
import { Vm } from "../hv/vm.ts";
import { MmioBus } from "./bus.ts";
import { buildDtb, type FdtNode, parseDtb, setProp, u64cells } from "./fdt.ts";
import { type Gunzip, isLinuxImage, loadInitrd, loadLinuxImage, maybeGunzip } from "./linux.ts";
import { ImageError, isElf, type LoadedImage, loadBinary, loadElf, looksLikeText } from "./loader.ts";
import {
  flashNode,
  fwCfgNode,
  gpioKeysNode,
  gpioNode,
  POWER_BUTTON_PIN,
  rtcNode,
  SLEEP_BUTTON_PIN,
  VIRT,
  virtDtb,
  virtioNode,
  watchdogNode,
} from "./virt.ts";

/** What the board takes from its host: the hypervisor's services, disk images, and gzip for compressed kernels. */
export interface BoardHost extends HvHost {
  blocks: BlockBackends;
  gunzip: Gunzip;
}

/**
 * Firmware in the board's flash, as QEMU's `-bios FILE` (bank 0) and `-drive
 * if=pflash,unit=1,file=VARS` (bank 1) give it: the boot vCPU starts at 0, in the firmware, and
 * the device tree is at the start of RAM.
 */
export interface FirmwareOptions {
  /** The firmware image (at most 64 MiB, e.g. EDK2's QEMU_EFI.fd), copied into bank 0, read-only to the guest. */
  code: string;
  /**
   * A variable store image (at most 64 MiB, e.g. a copy of AAVMF_VARS.fd) for bank 1, written
   * back as the guest programs the flash. Without one, bank 1 starts empty and nothing is kept.
   */
  vars?: string;
}

export interface BoardConfig {
  /** Host services (src/host/node/ under Node). */
  host: BoardHost;
  cpus: number;
  /** RAM in bytes (multiple of 2 MiB). */
  ramSize: number;
  psciConduit: "hvc" | "smc";
  clock?: ClockMode;
  systemSuspend?: boolean;
  /** Console output: a sink that can push back, or a function taking each byte. */
  output: ConsoleSink | ((byte: number) => void);
  /** Kernel command line for the device tree's /chosen node. */
  bootargs?: string;
  /** Raw disk images as virtio-blk devices, in virtio-mmio slots 0, 1, ... (Linux: vda, vdb, ...). */
  disks?: DiskOptions[];
  /** A virtio-rng device, in the slot after the disks. */
  rng?: boolean;
  /** Flash banks with firmware (and its variables) at 0 (loadFirmware boots it). */
  firmware?: FirmwareOptions;
  /** The SBSA watchdog's WS1 signal (second timeout): the VMM turns it into a system reset. Read when it fires. */
  onWatchdogReset?: () => void;
  /** The SBSA watchdog's WS0 signal (first timeout, an interrupt to the guest). Read when it fires. */
  onWatchdogInterrupt?: () => void;
}

/** Where a device's state goes in a snapshot (the snapshot format's fields, kept as they were). */
type SnapshotSlot = "uart" | "rtc" | "gpio" | "powerButton" | "sleepButton" | "watchdog" | "virtio" | "flash" | "fwCfg";

/** One row of the board's device table. */
export interface DeviceEntry {
  name: string;
  /** Its MMIO window, or null for a device off the bus (the power button drives a GPIO pin). */
  base: bigint | null;
  size: bigint;
  /** The GIC INTID it raises, or null. */
  irq: number | null;
  device: Device;
  /** Its MMIO window when the device is on the bus. */
  mmio?: BusDevice;
  /**
   * Its accesses leave the vCPU's slice for the VMM as `mmio` exits (handled by the bus)
   * instead of being answered by the hypervisor within the slice (Vm.addMmioDevice): for the
   * flash banks, whose commands change the core's memory map (setRomIo) mid-instruction.
   */
  exits?: boolean;
  /** What a wake-up by its interrupt is reported as (default: its name), or a function telling it. */
  wakeReason?: string | (() => string);
  /** Its device-tree node (the PL011's is placed by virtDtb, which points stdout-path at it). */
  fdt?: FdtNode;
  snapshot: SnapshotSlot;
}

/** virtio-mmio transports on the virt board (QEMU's NUM_VIRTIO_TRANSPORTS). */
const VIRTIO_SLOTS = 32;

/** Plain, versioned state of the board's GPIO, power button and watchdog (for the snapshot header). */
export const BoardDevicesStateSchema = Struct({
  version: Type.Literal(1),
  gpio: Pl061StateSchema,
  powerButton: GpioKeyStateSchema,
  /** The sleep button (absent in states from before it: the key is up). */
  sleepButton: Type.Optional(GpioKeyStateSchema),
  watchdog: SbsaGwdtStateSchema,
  /** The virtio-mmio transports (and their devices), by slot. */
  virtio: Type.Array(VirtioMmioStateSchema, { maxItems: VIRTIO_SLOTS }),
  /** The flash banks' command state, bank 0 first (with firmware only). */
  flash: Type.Optional(Type.Array(PflashStateSchema, { minItems: 2, maxItems: 2 })),
  /** The fw_cfg device (with firmware only). */
  fwCfg: Type.Optional(FwCfgStateSchema),
});
export type BoardDevicesState = Omit<Static<typeof BoardDevicesStateSchema>, "virtio"> & { virtio: VirtioMmioState[] };

/**
 * Checks every device's state for a board of `config` (a StateError naming the field): each
 * state against its device's schema, one virtio transport per disk (block) and the RNG (entropy),
 * each disk's state naming the image and mode the configuration attaches.
 */
export function checkDeviceStates(s: DeviceStates, config: Pick<BoardConfig, "disks" | "rng" | "firmware">): void {
  validate(Pl011StateSchema, s.uart, "uart");
  validate(Pl031StateSchema, s.rtc, "rtc");
  validate(BoardDevicesStateSchema, s.devices, "devices");
  const fw = config.firmware !== undefined;
  require((s.devices.flash !== undefined) === fw, `devices.flash: ${fw ? "missing, the board has flash" : "the board has no flash"}`);
  require((s.devices.fwCfg !== undefined) === fw, `devices.fwCfg: ${fw ? "missing, the board has fw_cfg" : "the board has no fw_cfg"}`);
  s.devices.flash?.forEach((f, i) => checkPflashState(f, Number(VIRT.flashBankSize), `devices.flash[${i}]`));
  const disks = config.disks ?? [];
  const want = [...disks.map(() => 2), ...(config.rng ? [4] : [])];
  const virtio = s.devices.virtio;
  require(virtio.length === want.length, `devices.virtio: ${virtio.length} virtio devices, the board has ${want.length}`);
  virtio.forEach((v, i) => {
    const what = `devices.virtio[${i}]`;
    require(v.deviceId === want[i], `${what}.deviceId: ${v.deviceId}, the board's device in slot ${i} is ${want[i]}`);
    require(v.queues.length === 1, `${what}.queues: ${v.queues.length} queues, the device has 1`);
    if (v.deviceId === 4) validate(VirtioRngStateSchema, v.device, `${what}.device`);
    else {
      validate(VirtioBlkStateSchema, v.device, `${what}.device`);
      const d = disks[i];
      require(v.device.path === d.path &&
        v.device.readOnly ===
          (d.readOnly ??
            false), `${what}.device.path: the disk's state is for ${v.device.path}${v.device.readOnly ? ",ro" : ""}, the board attaches ${d.path}${d.readOnly ? ",ro" : ""}`);
    }
  });
}

/** Every device's state, as the snapshot header holds it. */
export interface DeviceStates {
  uart: Pl011State;
  rtc: Pl031State;
  devices: BoardDevicesState;
}

/** GIC INTID of SPI n. */
const spiIntid = (n: number) => 32 + n;
/** Where QEMU loads a raw -kernel image (not ELF, not a Linux Image): KERNEL64_LOAD_ADDR into RAM. */
export const RAW_KERNEL_OFFSET = 0x8_0000n;
const MIB2 = 0x20_0000n;
const alignUp = (v: bigint, a: bigint) => (v + a - 1n) & ~(a - 1n);

export class VirtBoard {
  readonly vm: Vm;
  readonly vcpus: Vcpu[];
  readonly bus = new MmioBus();
  /** The device table, in the order reset, snapshots and stop run (cont and close run it backwards). */
  readonly devices: DeviceEntry[] = [];
  readonly uart: Pl011;
  readonly rtc: Pl031;
  /** The virtio-blk devices, in config.disks order. */
  readonly disks: VirtioBlk[] = [];
  /** The virtio-mmio transports, by slot. */
  readonly virtio: VirtioMmio[] = [];
  readonly gpio: Pl061;
  /** The gpio-keys power button on PL061 pin 3. */
  readonly powerButton: GpioKey;
  /** The gpio-keys sleep button (KEY_SLEEP) on PL061 pin 4. */
  readonly sleepButton: GpioKey;
  readonly watchdog: SbsaGwdt;
  /** The flash banks (firmware, variables) when the board has firmware. */
  readonly flash: Pflash[] = [];
  /** QEMU's fw_cfg, when the board has firmware. */
  fwCfg: FwCfg | null = null;
  private image: { reload: () => LoadedImage; loaded: LoadedImage } | null = null;
  private dtbAddr = 0n;
  /** The boot vCPU's x0: the device tree's address, or 0 for firmware (which finds it at the start of RAM). */
  private bootX0: () => bigint = () => this.dtbAddr;
  private externalDtb: Uint8Array | null = null;

  constructor(readonly config: BoardConfig) {
    if (!Number.isInteger(config.cpus) || config.cpus < 1 || config.cpus > MAX_VCPUS)
      throw new Error(`--smp takes 1 to ${MAX_VCPUS} vCPUs`);
    if (config.ramSize < 4 << 20 || config.ramSize % (2 << 20)) throw new Error("memory must be a multiple of 2 MiB, at least 4 MiB");
    const bank = Number(VIRT.flashBankSize);
    const roms = config.firmware
      ? [
          { base: VIRT.flashBase, size: bank },
          { base: VIRT.flashBase + VIRT.flashBankSize, size: bank },
        ]
      : undefined;
    this.vm = new Vm({ host: config.host, ramSize: config.ramSize, ramBase: VIRT.ramBase, clock: config.clock, roms });
    if (config.systemSuspend) this.vm.enableCapability("systemSuspend");
    this.vcpus = Array.from({ length: config.cpus }, () => this.vm.createVcpu());
    const clock = this.vm.clock;
    const after = (ms: number, fn: () => void) => clock.after(ms, fn);
    this.uart = new Pl011(this.spi(VIRT.uartSpi), config.output);
    this.add({
      name: "pl011",
      base: VIRT.uartBase,
      size: 0x1000n,
      irq: spiIntid(VIRT.uartSpi),
      device: this.uart,
      wakeReason: "console",
      snapshot: "uart",
    });
    this.rtc = new Pl031(this.spi(VIRT.rtcSpi), { now: () => clock.now(), after });
    this.add({
      name: "pl031",
      base: VIRT.rtcBase,
      size: 0x1000n,
      irq: spiIntid(VIRT.rtcSpi),
      device: this.rtc,
      wakeReason: "rtc",
      fdt: rtcNode(),
      snapshot: "rtc",
    });
    this.gpio = new Pl061(this.spi(VIRT.gpioSpi));
    // The PL061's inputs are the power and sleep buttons: its interrupt is the pressed button's.
    this.add({
      name: "pl061",
      base: VIRT.gpioBase,
      size: 0x1000n,
      irq: spiIntid(VIRT.gpioSpi),
      device: this.gpio,
      wakeReason: () => {
        const pending = Number(this.gpio.read(Pl061Reg.MIS, 4));
        return pending & (1 << SLEEP_BUTTON_PIN) && !(pending & (1 << POWER_BUTTON_PIN)) ? "sleep-button" : "power-button";
      },
      fdt: gpioNode(),
      snapshot: "gpio",
    });
    this.powerButton = new GpioKey((level) => this.gpio.setInput(POWER_BUTTON_PIN, level), { after });
    this.add({
      name: "power-button",
      base: null,
      size: 0n,
      irq: null,
      device: this.powerButton,
      fdt: gpioKeysNode(),
      snapshot: "powerButton",
    });
    this.sleepButton = new GpioKey((level) => this.gpio.setInput(SLEEP_BUTTON_PIN, level), { after });
    this.add({
      name: "sleep-button",
      base: null,
      size: 0n,
      irq: null,
      device: this.sleepButton,
      snapshot: "sleepButton",
    });
    const ws0 = this.spi(VIRT.watchdogSpi);
    this.watchdog = new SbsaGwdt(
      {
        set: (level) => {
          ws0.set(level);
          if (level) this.config.onWatchdogInterrupt?.();
        },
      },
      () => this.config.onWatchdogReset?.(),
      { counter: () => clock.counter(), after },
    );
    this.add({
      name: "sbsa-gwdt",
      base: VIRT.watchdogRefreshBase,
      size: BigInt(GWDT_WINDOW),
      irq: spiIntid(VIRT.watchdogSpi),
      device: this.watchdog,
      wakeReason: "watchdog",
      fdt: watchdogNode(),
      snapshot: "watchdog",
    });
    try {
      this.attachVirtio();
      if (config.firmware) this.attachFlash(config.firmware);
    } catch (e) {
      for (const d of this.devices) d.device.close();
      throw e;
    }
  }

  /**
   * The two flash banks: the firmware copied into bank 0 (read-only), the variable store into
   * bank 1 (each programmed byte written back to its file); the rest of a bank reads as zero,
   * as QEMU's flash past a shorter image.
   */
  private attachFlash(fw: FirmwareOptions): void {
    const bank = Number(VIRT.flashBankSize);
    const fill = (path: string, readOnly: boolean, into: Uint8Array, what: string): BlockBackend => {
      let b: BlockBackend;
      try {
        b = this.config.host.blocks.open(path, readOnly);
      } catch (e) {
        // The host's words are about disks: say what the file was meant to be.
        if (!(e instanceof DiskError)) throw e;
        const m = e.message
          .replace(/disk image /g, `${what} `)
          .replace(", not a disk image", "")
          .replace(" (attach it read-only to use it anyway)", "");
        throw new DiskError(m.replace(/^cannot attach /, `cannot use the ${what} `).replace(/^cannot open (?!the )/, "cannot open the "));
      }
      try {
        if (b.size === 0n) throw new ImageError(`the ${what} ${path} is empty`);
        if (b.size > BigInt(bank)) throw new ImageError(`the ${what} ${path} is larger than the 64 MiB flash bank (${b.size} bytes)`);
        let at = 0;
        while (at < Number(b.size)) {
          const n = b.read(into.subarray(at, Number(b.size)), at);
          if (n <= 0) break;
          at += n;
        }
      } catch (e) {
        b.close();
        throw e;
      }
      return b;
    };
    const core = this.vm.core;
    const code = fill(fw.code, true, core.roms[0], "firmware image");
    code.close();
    const vars = fw.vars ? fill(fw.vars, false, core.roms[1], "firmware variable store") : null;
    [0, 1].forEach((i) => {
      const base = VIRT.flashBase + BigInt(i) * VIRT.flashBankSize;
      const backing = i === 1 ? vars : null;
      const storage = core.roms[i];
      const flash = new Pflash({
        storage,
        readOnly: i === 0,
        setIo: (io) => core.setRomIo(i, io),
        written: (offset, length) => {
          core.notifyWritten(base + BigInt(offset), length);
          if (!backing) return true;
          try {
            return backing.write(storage.subarray(offset, offset + length), offset) === length;
          } catch {
            return false;
          }
        },
        close: () => {
          if (!backing) return;
          try {
            backing.flush();
          } finally {
            backing.close();
          }
        },
      });
      this.flash.push(flash);
      this.add({
        name: `pflash${i}`,
        base,
        size: VIRT.flashBankSize,
        irq: null,
        device: flash,
        fdt: i === 0 ? flashNode() : undefined,
        snapshot: "flash",
        exits: true,
      });
    });
    const mem = ramMemory(
      VIRT.ramBase,
      () => this.vm.core.ram,
      (gpa, len) => this.vm.core.notifyWritten(gpa, len),
    );
    this.fwCfg = new FwCfg(mem, { cpus: this.config.cpus });
    this.add({
      name: "fw-cfg",
      base: VIRT.fwCfgBase,
      size: BigInt(FW_CFG_WINDOW),
      irq: null,
      device: this.fwCfg,
      fdt: fwCfgNode(BigInt(FW_CFG_WINDOW)),
      snapshot: "fwCfg",
    });
  }

  /**
   * Adds a row to the device table and maps its window on the bus; unless it asks for exits, the
   * hypervisor answers its accesses within the vCPU's slice (an exit round trip per access costs
   * several times the access: `npm run bench:exits`).
   */
  private add(e: DeviceEntry): void {
    if (e.base !== null) {
      const mmio = e.mmio ?? (e.device as unknown as BusDevice);
      this.bus.map(e.base, e.size, e.name, mmio);
      if (!e.exits) this.vm.addMmioDevice(e.base, e.size, mmio);
    }
    this.devices.push(e);
  }

  /** Opens the disks (DiskError if one cannot be used) and maps the virtio devices in slots 0, 1, ... */
  private attachVirtio(): void {
    const { disks = [], rng = false, host } = this.config;
    if (disks.length + (rng ? 1 : 0) > VIRTIO_SLOTS) throw new Error(`at most ${VIRTIO_SLOTS} virtio devices`);
    try {
      for (const d of disks) this.disks.push(new VirtioBlk(d, host.blocks));
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
    const devices = [...this.disks, ...(rng ? [new VirtioRng((b) => host.entropy.fill(b))] : [])];
    devices.forEach((dev, n) => {
      const t = new VirtioMmio(dev, mem, this.spi(VIRT.virtioSpi + n));
      const name = `virtio-mmio@${n}`;
      this.add({
        name,
        base: VIRT.virtioBase + BigInt(n) * VIRT.virtioStride,
        size: VIRT.virtioStride,
        irq: spiIntid(VIRT.virtioSpi + n),
        device: t,
        wakeReason: dev instanceof VirtioBlk ? `virtio-blk@${n}` : `virtio-rng@${n}`,
        fdt: virtioNode(n),
        snapshot: "virtio",
      });
      this.virtio.push(t);
    });
  }

  /** The interrupt line of SPI n (INTID 32 + n). */
  spi(n: number): IrqLine {
    return { set: (level) => this.vm.setIrqLine(spiIntid(n), level) };
  }

  /**
   * What woke a vCPU whose interrupt `intid` is pending: the device's wake reason ("console",
   * "rtc", "power-button"...), "timer" for the generic timers, else `intid <n>`.
   */
  wakeReason(intid: number): string {
    const e = this.devices.find((d) => d.irq === intid);
    if (e) return typeof e.wakeReason === "function" ? e.wakeReason() : (e.wakeReason ?? e.name);
    if (intid === PPI_VIRT_TIMER || intid === PPI_PHYS_TIMER) return "timer";
    return `intid ${intid}`;
  }

  /** The top-of-RAM device tree address: 2 MiB aligned, 2 MiB below the end (clear of image and initrd). */
  private get dtbTop(): bigint {
    return (VIRT.ramBase + BigInt(this.config.ramSize) - MIB2) & ~(MIB2 - 1n);
  }

  private get ramEnd(): bigint {
    return VIRT.ramBase + BigInt(this.config.ramSize);
  }

  /** The device tree for this board (or the user's, with /chosen set). */
  private buildDtb(initrd?: { start: bigint; end: bigint }): Uint8Array {
    const dtb = this.externalDtb
      ? withChosen(this.externalDtb, this.config.bootargs, initrd)
      : virtDtb({
          cpus: this.config.cpus,
          ramSize: BigInt(this.config.ramSize),
          psciConduit: this.config.psciConduit,
          bootargs: this.config.bootargs,
          initrd,
          devices: this.devices.flatMap((d) => (d.fdt ? [d.fdt] : [])),
        });
    if (dtb.length > 2 << 20) throw new ImageError("the device tree is larger than 2 MiB (the arm64 boot protocol's limit)");
    return dtb;
  }

  /** Writes the device tree at `addr`; it must end by `limit`. */
  private writeDtbAt(dtb: Uint8Array, addr: bigint, limit = this.ramEnd): void {
    if (addr + BigInt(dtb.length) > limit) throw new ImageError("the image leaves no room for the device tree: give the guest more memory");
    this.dtbAddr = addr;
    this.vm.core.writePhys(addr, dtb);
  }

  /**
   * Where an ELF's device tree goes: as QEMU's arm_load_elf, at the start of RAM when the image
   * leaves room below itself (a guest built for QEMU looks there); otherwise at the top of RAM.
   */
  private placeElfDtb(dtb: Uint8Array, loaded: LoadedImage): void {
    const size = BigInt(dtb.length);
    const below = loaded.start >= VIRT.ramBase + size || loaded.end <= VIRT.ramBase;
    if (below) return this.writeDtbAt(dtb, VIRT.ramBase);
    if (this.dtbTop < loaded.end) throw new ImageError("the image leaves no room for the device tree: give the guest more memory");
    this.writeDtbAt(dtb, this.dtbTop);
  }

  private setExternalDtb(dtb?: Uint8Array): void {
    if (!dtb) return;
    try {
      parseDtb(dtb);
    } catch (e) {
      throw new ImageError(`the device tree: ${(e as Error).message}`);
    }
    this.externalDtb = dtb;
  }

  /**
   * Loads a bare-metal ELF or flat binary (flat binaries at the start of RAM) and the device
   * tree: for an ELF at the start of RAM when it fits below the image (as QEMU), otherwise (and
   * for flat binaries) at the top of RAM. The boot vCPU gets its address in x0.
   */
  load(bytes: Uint8Array): LoadedImage {
    const load = () => {
      const mem = this.vm.core;
      if (isElf(bytes)) {
        const loaded = loadElf(mem, bytes);
        this.placeElfDtb(this.buildDtb(), loaded);
        return loaded;
      }
      const loaded = loadBinary(mem, bytes, VIRT.ramBase);
      if (this.dtbTop < loaded.end) throw new ImageError("the image leaves no room for the device tree: give the guest more memory");
      this.writeDtbAt(this.buildDtb(), this.dtbTop);
      return loaded;
    };
    this.image = { reload: load, loaded: load() };
    this.bootX0 = () => this.dtbAddr;
    return this.image.loaded;
  }

  /**
   * Loads a kernel as QEMU's -kernel does (hw/arm/boot.c), with an optional initrd and the
   * device tree (the board's own, or `dtb` as QEMU's -dtb, with /chosen's bootargs and initrd
   * range set); the boot vCPU gets the device tree's address in x0:
   * - an arm64 Linux Image (optionally gzip'd) at a 2 MiB-aligned base plus its text_offset,
   *   the initrd after it, the device tree at the top of RAM;
   * - an ELF at its physical addresses, the device tree as for load();
   * - anything else is a raw image, loaded and entered at RAM + 0x80000 (KERNEL64_LOAD_ADDR),
   *   the initrd at RAM + min(RAM/2, 128 MiB) (or after the image), the device tree at the next
   *   2 MiB boundary after the initrd.
   */
  loadKernel(kernel: Uint8Array, initrd?: Uint8Array, dtb?: Uint8Array): LoadedImage {
    this.setExternalDtb(dtb);
    const unpacked = maybeGunzip(kernel, this.config.host.gunzip);
    const mem = this.vm.core;
    const ramSize = BigInt(this.config.ramSize);
    let load: () => LoadedImage;
    if (isLinuxImage(unpacked)) {
      load = () => {
        const k = loadLinuxImage(mem, unpacked, VIRT.ramBase, ramSize, this.config.host.gunzip);
        const rd = initrd ? loadInitrd(mem, initrd, VIRT.ramBase, ramSize, k.end, this.dtbTop) : undefined;
        if (this.dtbTop < k.end) throw new ImageError("the kernel leaves no room for the device tree: give the guest more memory");
        this.writeDtbAt(this.buildDtb(rd), this.dtbTop);
        return { entry: k.entry, start: k.entry, end: rd?.end ?? k.end, kind: "binary" as const };
      };
    } else if (isElf(kernel)) {
      if (initrd) throw new ImageError("an ELF kernel takes no initrd (QEMU loads one only for Linux and raw images)");
      load = () => {
        const loaded = loadElf(mem, kernel);
        this.placeElfDtb(this.buildDtb(), loaded);
        return loaded;
      };
    } else {
      if (looksLikeText(kernel))
        throw new ImageError("this looks like a text file, not a kernel (an arm64 Linux Image, an ELF or a raw image)");
      load = () => {
        const entry = VIRT.ramBase + RAW_KERNEL_OFFSET;
        if (entry + BigInt(kernel.length) > this.ramEnd)
          throw new ImageError(`the kernel (${kernel.length} bytes) does not fit in guest memory at 0x${entry.toString(16)}`);
        const k = loadBinary(mem, kernel, entry);
        let start = VIRT.ramBase + (ramSize / 2n < 128n << 20n ? ramSize / 2n : 128n << 20n);
        if (start < k.end) start = k.end;
        start = alignUp(start, 0x1000n);
        let rd: { start: bigint; end: bigint } | undefined;
        if (initrd) {
          rd = { start, end: start + BigInt(initrd.length) };
          if (rd.end > this.ramEnd)
            throw new ImageError(`the initrd (${initrd.length} bytes) does not fit in guest memory: give the guest more memory`);
          mem.writePhys(start, initrd);
        }
        this.writeDtbAt(this.buildDtb(rd), alignUp(rd?.end ?? start, MIB2));
        return { ...k, end: rd?.end ?? k.end };
      };
    }
    this.image = { reload: load, loaded: load() };
    this.bootX0 = () => this.dtbAddr;
    return this.image.loaded;
  }

  /** Whether the board has an image to boot (and so can be reset); not when it was built to restore a snapshot of a guest booted from an image. */
  get bootable(): boolean {
    return this.image !== null;
  }

  /**
   * Boots the firmware in flash (BoardConfig.firmware), as QEMU's virt with -bios: the device
   * tree at the start of RAM for the firmware to find, the boot vCPU at the flash's first word
   * (the reset vector) with every register zero. A system reset writes the device tree again;
   * the flash keeps what the firmware programmed. A kernel, initrd and command line go to the
   * firmware through fw_cfg, as QEMU's -kernel with -bios (EDK2 boots them); a board restored
   * from a snapshot has none (its firmware took them already).
   */
  loadFirmware(opts: { restored?: boolean; kernel?: Uint8Array; initrd?: Uint8Array; cmdline?: string } = {}): LoadedImage {
    if (!this.config.firmware || !this.fwCfg) throw new Error("the board has no firmware (BoardConfig.firmware)");
    if ((opts.initrd || opts.cmdline !== undefined) && !opts.kernel)
      throw new ImageError("an initrd or command line for the firmware goes with a kernel");
    // QEMU decompresses a gzip'd arm64 kernel before handing it over (load_image_to_fw_cfg).
    this.fwCfg.setKernel({ ...opts, kernel: opts.kernel && maybeGunzip(opts.kernel, this.config.host.gunzip) });
    const loaded: LoadedImage = { entry: VIRT.flashBase, start: VIRT.flashBase, end: VIRT.flashBase + VIRT.flashBankSize, kind: "binary" };
    const load = () => {
      this.writeDtbAt(this.buildDtb(), VIRT.ramBase);
      return loaded;
    };
    // A board a snapshot is restored into takes its RAM from the snapshot: only a later system
    // reset writes the device tree (the firmware itself is in flash, not RAM).
    this.image = { reload: load, loaded: opts.restored ? loaded : load() };
    this.bootX0 = () => 0n;
    return this.image.loaded;
  }

  /** The files the firmware flash was loaded from (the image, then the variable store), for a snapshot to identify. */
  get firmwareFiles(): string[] {
    const fw = this.config.firmware;
    return fw ? [fw.code, ...(fw.vars ? [fw.vars] : [])] : [];
  }

  /** Puts every vCPU in its boot state: the boot vCPU at the entry (x0 = the DTB, 0 for firmware), the others off. */
  boot(): void {
    if (!this.image) throw new Error("no image loaded");
    this.vcpus.forEach((v, i) => {
      v.init({ powerOff: i !== 0 });
    });
    const boot = this.vcpus[0];
    boot.pc = this.image.loaded.entry;
    boot.setX(0, this.bootX0());
  }

  /** Presses the power button (PL061 pin 3 high for 100 ms): KEY_POWER in the guest, and a wake-up from suspend. */
  pressPowerButton(): void {
    this.powerButton.press();
  }

  /** Presses the sleep button (PL061 pin 4 high for 100 ms): KEY_SLEEP in the guest, and a wake-up from suspend. */
  pressSleepButton(): void {
    this.sleepButton.press();
  }

  /** The guest suspended the system: devices whose countdowns follow guest activity stop (the watchdog's). */
  suspendDevices(): void {
    for (const d of this.devices) d.device.suspend();
  }

  /** The guest woke: what suspendDevices() stopped continues from where it stopped. */
  wakeDevices(): void {
    for (const d of [...this.devices].reverse()) d.device.wake();
  }

  /**
   * Quiesces a board whose vCPUs have stopped (a pause): devices, then the GIC (nothing in it
   * runs on its own: only devices and vCPUs change it), then the vCPUs' time — the counter and
   * every timer on it stop.
   */
  pause(): void {
    for (const d of this.devices) d.device.stop();
    this.vm.timers.freeze();
    this.vm.clock.pause();
  }

  /** Reverses pause(): the vCPUs' time, the GIC, then the devices (in reverse table order). */
  resume(): void {
    this.vm.timers.thaw();
    this.vm.clock.resume();
    for (const d of [...this.devices].reverse()) d.device.cont();
  }

  /** Makes what the guest wrote to its disks durable; returns how many disks were flushed. */
  flushDisks(): number {
    let n = 0;
    for (const d of this.disks) if (d.sync()) n++;
    return n;
  }

  /** Every device's state, in table order, for a snapshot. */
  saveState(): DeviceStates {
    const top: Record<string, unknown> = {};
    const board: Record<string, unknown> = { version: 1 };
    const virtio: unknown[] = [];
    const flash: unknown[] = [];
    for (const d of this.devices) {
      const s = d.device.save();
      if (d.snapshot === "uart" || d.snapshot === "rtc") top[d.snapshot] = s;
      else if (d.snapshot === "virtio") virtio.push(s);
      else if (d.snapshot === "flash") flash.push(s);
      else board[d.snapshot] = s;
    }
    return { ...top, devices: { ...board, virtio, ...(flash.length ? { flash } : {}) } } as unknown as DeviceStates;
  }

  /** The GPIO, power button, watchdog and virtio state (saveState()'s `devices`). */
  saveDevices(): BoardDevicesState {
    return this.saveState().devices;
  }

  /**
   * Restores saveState()'s state in table order; after the GIC and timers, since the watchdog
   * counts from the restored counter.
   */
  restoreState(s: DeviceStates): void {
    // Every state is checked before any device changes.
    checkDeviceStates(s, this.config);
    const b = s.devices;
    let slot = 0;
    let bank = 0;
    for (const d of this.devices) {
      if (d.snapshot === "uart" || d.snapshot === "rtc") d.device.restore(s[d.snapshot]);
      else if (d.snapshot === "virtio") {
        (d.device as VirtioMmio).restore(b.virtio[slot], `devices.virtio[${slot}]`);
        slot++;
      } else if (d.snapshot === "flash") {
        d.device.restore(b.flash?.[bank], `devices.flash[${bank}]`);
        bank++;
      } else if (d.snapshot === "sleepButton" && b.sleepButton === undefined) d.device.reset();
      else d.device.restore(b[d.snapshot], `devices.${d.snapshot}`);
    }
  }

  /** Restores saveDevices()'s state (the console and RTC keep theirs). */
  restoreDevices(b: BoardDevicesState): void {
    const { uart, rtc } = this.saveState();
    this.restoreState({ uart, rtc, devices: b });
  }

  /** Releases host resources (device timers, the disk images) once the VM is done. */
  close(): void {
    for (const d of [...this.devices].reverse()) d.device.close();
    this.vm.clock.close();
  }

  /** System reset: every device to its reset state, the image reloaded, and boot again. */
  reset(): void {
    if (!this.image) throw new Error("no image loaded");
    this.vm.gic.reset();
    for (const d of this.devices) d.device.reset();
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
