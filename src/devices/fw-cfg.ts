// QEMU's firmware configuration device (fw_cfg), its MMIO form as the virt board maps it
// (hw/nvram/fw_cfg.c fw_cfg_init_mem_wide: data at +0, 8 bytes wide; selector at +8; DMA
// address at +16; docs/specs/fw_cfg.rst). Firmware built for QEMU reads items from it: EDK2's
// ArmVirtQemu needs the device to be there (its PEI phase looks it up and stops without it),
// and takes a kernel, initrd and command line from it as QEMU's -kernel with -bios passes them.
//
// Items are byte strings selected by a 16-bit key; reads go through the data register (bytes
// in order, as a big-endian device on a little-endian CPU shows them) or DMA: the guest writes
// the address of a FWCfgDmaAccess {be32 control, be32 length, be64 address} and the device
// performs it at once, writing the control word back (0, or the error bit).
import { type Static, StateError, Struct, Type, U16, U32, validate } from "../schema/index.ts";
import type { Device } from "./types.ts";
import type { GuestMemory } from "./virtio/queue.ts";

/** The MMIO window (QEMU virt's VIRT_FW_CFG size). */
export const FW_CFG_WINDOW = 0x18;

/** Item keys (fw_cfg.rst, include/standard-headers/linux/qemu_fw_cfg.h). */
export const FwCfgKey = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  KERNEL_SIZE: 0x08,
  INITRD_SIZE: 0x0b,
  BOOT_MENU: 0x0e,
  KERNEL_DATA: 0x11,
  INITRD_DATA: 0x12,
  CMDLINE_SIZE: 0x14,
  CMDLINE_DATA: 0x15,
  FILE_DIR: 0x19,
} as const;

/** The first key of named files (FW_CFG_FILE_FIRST). */
const FILE_FIRST = 0x20;
/** Keys select with the low 14 bits; 0x4000 asks for write access, 0x8000 architecture-local items. */
const ENTRY_MASK = 0x3fff;
const INVALID = 0xffff;

/** FW_CFG_ID feature bits: the traditional interface and DMA. */
const FEATURE_TRADITIONAL = 1;
const FEATURE_DMA = 2;

/** DMA control bits. */
const DMA_ERROR = 0x01;
const DMA_READ = 0x02;
const DMA_SKIP = 0x04;
const DMA_SELECT = 0x08;
const DMA_WRITE = 0x10;

/** "QEMU CFG", what a read of the DMA register returns. */
const DMA_SIGNATURE = new TextEncoder().encode("QEMU CFG");

export interface FwCfgOptions {
  cpus: number;
  /** A kernel, initrd and command line for the firmware to boot (QEMU's -kernel with -bios). */
  kernel?: Uint8Array;
  initrd?: Uint8Array;
  cmdline?: string;
  /** Named files (FW_CFG_FILE_DIR entries), e.g. "bootorder". */
  files?: Record<string, Uint8Array>;
}

/** Plain, versioned state: the selected item, the read position, the DMA address's high half. */
export const FwCfgStateSchema = Struct({ version: Type.Literal(1), key: U16, offset: U32, dmaHigh: U32 });
export type FwCfgState = Static<typeof FwCfgStateSchema>;

export class FwCfgStateError extends StateError {}

function le(value: number, bytes: number): Uint8Array {
  const b = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) b[i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  return b;
}

function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

export class FwCfg implements Device {
  private readonly items = new Map<number, Uint8Array>();
  private key = INVALID;
  private offset = 0;
  private dmaHigh = 0;

  constructor(
    private readonly mem: GuestMemory,
    o: FwCfgOptions,
  ) {
    this.items.set(FwCfgKey.SIGNATURE, new TextEncoder().encode("QEMU"));
    this.items.set(FwCfgKey.ID, le(FEATURE_TRADITIONAL | FEATURE_DMA, 4));
    this.items.set(FwCfgKey.UUID, new Uint8Array(16));
    this.items.set(FwCfgKey.NOGRAPHIC, le(1, 2));
    this.items.set(FwCfgKey.NB_CPUS, le(o.cpus, 2));
    this.items.set(FwCfgKey.BOOT_MENU, le(0, 2));
    this.setKernel(o);
    // The file directory: be32 count, then {be32 size, be16 key, be16 reserved, name[56]} each.
    const files = Object.entries(o.files ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    const dir = new Uint8Array(4 + 64 * files.length);
    const dv = new DataView(dir.buffer);
    dv.setUint32(0, files.length);
    files.forEach(([name, data], i) => {
      const name8 = new TextEncoder().encode(name);
      if (name8.length > 55) throw new Error(`fw_cfg file name "${name}" is longer than 55 bytes`);
      dv.setUint32(4 + 64 * i, data.length);
      dv.setUint16(8 + 64 * i, FILE_FIRST + i);
      dir.set(name8, 12 + 64 * i);
      this.items.set(FILE_FIRST + i, data);
    });
    this.items.set(FwCfgKey.FILE_DIR, dir);
  }

  /**
   * The kernel, initrd and command line items (QEMU's -kernel, -initrd, -append with -bios), or
   * none of them: their size items read 0 then, which firmware takes as "no kernel".
   */
  setKernel(o: Pick<FwCfgOptions, "kernel" | "initrd" | "cmdline">): void {
    const keys = [
      FwCfgKey.KERNEL_SIZE,
      FwCfgKey.KERNEL_DATA,
      FwCfgKey.INITRD_SIZE,
      FwCfgKey.INITRD_DATA,
      FwCfgKey.CMDLINE_SIZE,
      FwCfgKey.CMDLINE_DATA,
    ];
    for (const k of keys) this.items.delete(k);
    if (o.kernel) {
      this.items.set(FwCfgKey.KERNEL_SIZE, le(o.kernel.length, 4));
      this.items.set(FwCfgKey.KERNEL_DATA, o.kernel);
    }
    if (o.initrd) {
      this.items.set(FwCfgKey.INITRD_SIZE, le(o.initrd.length, 4));
      this.items.set(FwCfgKey.INITRD_DATA, o.initrd);
    }
    if (o.cmdline !== undefined) {
      const text = new TextEncoder().encode(`${o.cmdline}\0`);
      this.items.set(FwCfgKey.CMDLINE_SIZE, le(text.length, 4));
      this.items.set(FwCfgKey.CMDLINE_DATA, text);
    }
  }

  private get item(): Uint8Array | undefined {
    // No architecture-local items (key bit 15) on this board.
    return this.key === INVALID || this.key & 0x8000 ? undefined : this.items.get(this.key & ENTRY_MASK);
  }

  private select(key: number): void {
    this.key = key;
    this.offset = 0;
  }

  read(offset: number, size: number): bigint {
    if (offset >= 0 && offset < 8 && offset + size <= 8) {
      // Data: the item's next bytes in order (zeros past its end), as the guest sees memory.
      const item = this.item;
      let v = 0n;
      for (let i = 0; i < size; i++) {
        const b = item && this.offset < item.length ? item[this.offset++] : 0;
        v |= BigInt(b) << BigInt(8 * i);
      }
      return v;
    }
    if (offset >= 16 && offset + size <= 24) {
      let v = 0n;
      for (let i = 0; i < size; i++) v |= BigInt(DMA_SIGNATURE[offset - 16 + i]) << BigInt(8 * i);
      return v;
    }
    return 0n;
  }

  write(offset: number, size: number, value: bigint): void {
    if (offset === 8 && size === 2) return this.select(bswap16(Number(value & 0xffffn)));
    // The DMA address, big-endian: in one 64-bit write, or the high half then the low half.
    if (offset === 16 && size === 8) {
      const v = Number(value & 0xffff_ffffn);
      const h = Number(value >> 32n);
      return this.dma((BigInt(bswap32(v)) << 32n) | BigInt(bswap32(h)));
    }
    if (offset === 16 && size === 4) {
      this.dmaHigh = bswap32(Number(value & 0xffff_ffffn));
      return;
    }
    if (offset === 20 && size === 4) {
      const addr = (BigInt(this.dmaHigh) << 32n) | BigInt(bswap32(Number(value & 0xffff_ffffn)));
      this.dmaHigh = 0;
      return this.dma(addr);
    }
    // Data writes are ignored (QEMU 2.4 and later), as are other widths.
  }

  /** Performs the FWCfgDmaAccess at `addr` (fw_cfg_dma_transfer) and writes its control word back. */
  private dma(addr: bigint): void {
    const access = this.mem.view(addr, 16);
    if (!access) return;
    const dv = new DataView(access.buffer, access.byteOffset, 16);
    let control = dv.getUint32(0);
    let length = dv.getUint32(4);
    let target = dv.getBigUint64(8);
    if (control & DMA_SELECT) this.select(control >>> 16);
    const read = (control & DMA_READ) !== 0;
    const write = !read && (control & DMA_WRITE) !== 0;
    if (!read && !write && !(control & DMA_SKIP)) length = 0;
    control = 0;
    while (length > 0 && !(control & DMA_ERROR)) {
      const item = this.item;
      let len: number;
      if (!item || this.offset >= item.length) {
        len = length;
        if (read) {
          const v = this.mem.view(target, len);
          if (v) {
            v.fill(0);
            this.mem.written(target, len);
          } else control |= DMA_ERROR;
        }
        // No item is writable.
        if (write) control |= DMA_ERROR;
      } else {
        len = Math.min(length, item.length - this.offset);
        if (read) {
          const v = this.mem.view(target, len);
          if (v) {
            v.set(item.subarray(this.offset, this.offset + len));
            this.mem.written(target, len);
          } else control |= DMA_ERROR;
        }
        if (write) control |= DMA_ERROR;
        this.offset += len;
      }
      target += BigInt(len);
      length -= len;
    }
    dv.setUint32(0, control);
    this.mem.written(addr, 4);
  }

  // ---- Device lifecycle ------------------------------------------------------------------

  reset(): void {
    this.key = INVALID;
    this.offset = 0;
    this.dmaHigh = 0;
  }
  stop(): void {}
  cont(): void {}
  suspend(): void {}
  wake(): void {}
  close(): void {}

  save(): FwCfgState {
    return { version: 1, key: this.key, offset: this.offset, dmaHigh: this.dmaHigh };
  }

  restore(state: unknown, what = "devices.fwCfg"): void {
    validate(FwCfgStateSchema, state, what, FwCfgStateError);
    this.key = state.key;
    this.offset = state.offset;
    this.dmaHigh = state.dmaHigh;
  }
}
