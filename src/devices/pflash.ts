// A CFI parallel NOR flash bank with the Intel/Sharp command set, as QEMU's pflash_cfi01 is
// wired on the virt board (hw/arm/virt.c virt_flash_create1): 32 bits wide, made of two 16-bit
// chips side by side (a command or status is the 16-bit value twice), 256 KiB sectors,
// manufacturer 0x89 (Intel) device 0x18. Commands are what EDK2's VirtNorFlashDxe and U-Boot's
// cfi_flash send: read array, read status, clear status, read identifier, CFI query, block
// erase, word program, write to buffer, block lock/unlock.
//
// In read-array mode the bank is ROM to the CPU (reads and instruction fetches come straight
// from memory, writes come here as commands); any command takes it out of that mode, and every
// access then comes here until read array again — QEMU's memory_region_rom_device_set_romd.
// The board does the switching (`setIo`) and persists what the device writes (`written`).
import { require, type Static, StateError, Struct, Type, U8, U16, U32, validate } from "../schema/index.ts";
import type { Device } from "./types.ts";

/** The virt board's flash geometry (VIRT_FLASH_SECTOR_SIZE, "width" 4, "device-width" 2). */
export const PFLASH_SECTOR_SIZE = 256 << 10;
const BANK_WIDTH = 4;
const DEVICE_WIDTH = 2;
const IDENT = [0x89, 0x18, 0x00, 0x00] as const;

/** Status register bits (Intel's SR). */
const SR_READY = 0x80;
const SR_ERASE_ERROR = 0x20;
const SR_PROGRAM_ERROR = 0x10;

/** Commands (the low byte of a write). */
const enum Cmd {
  ReadArray = 0x00,
  ProgramAlt = 0x10,
  BlockErase = 0x20,
  BlockEraseAlt = 0x28,
  Program = 0x40,
  ClearStatus = 0x50,
  LockSetup = 0x60,
  ReadStatus = 0x70,
  ReadId = 0x90,
  CfiQuery = 0x98,
  Confirm = 0xd0,
  WriteToBuffer = 0xe8,
  AmdProbe = 0xf0,
  ReadArrayIntel = 0xff,
}

export interface PflashOptions {
  /** The bank's contents: the core's view of its ROM region, which the device reads and programs. */
  storage: Uint8Array;
  /** Program and erase fail (status error bits), as QEMU's read-only drive. */
  readOnly?: boolean;
  /** The bank leaves (true) or re-enters (false) read-array mode: MMIO for every access, or ROM again. */
  setIo(io: boolean): void;
  /** The device changed storage[offset, offset+length): decoded code goes, a backing file is updated. Returns false on an I/O error. */
  written(offset: number, length: number): boolean;
  /** The VM is done: release what backs the bank (a variable store file). */
  close?(): void;
}

/** A buffered write collected between WRITE TO BUFFER and its confirm: offset, size, value. */
type BufferedWrite = [offset: number, size: 1 | 2 | 4, value: number];

/** The command states a bank can be in (what read() answers with). */
const COMMAND_STATES: readonly number[] = [
  Cmd.ReadArray,
  Cmd.ProgramAlt,
  Cmd.BlockErase,
  Cmd.BlockEraseAlt,
  Cmd.Program,
  Cmd.ClearStatus,
  Cmd.LockSetup,
  Cmd.ReadStatus,
  Cmd.ReadId,
  Cmd.CfiQuery,
  Cmd.WriteToBuffer,
];

/** Plain, versioned state of a flash bank's command machine (its contents are the memory's). */
export const PflashStateSchema = Struct({
  version: Type.Literal(1),
  wcycle: Type.Integer({ minimum: 0, maximum: 3 }),
  cmd: U8,
  status: U8,
  counter: U16,
  /** The sector a block erase was set up for. */
  eraseOffset: U32,
  /** The writes collected since WRITE TO BUFFER (at most a 16-bit count of them). */
  buffer: Type.Array(Type.Tuple([U32, Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(4)]), U32]), { maxItems: 0x10000 }),
});
export type PflashState = Static<typeof PflashStateSchema>;

export class PflashStateError extends StateError {}

/** Checks a bank's state for a bank of `size` bytes beyond its schema (a StateError naming the field). */
export function checkPflashState(s: PflashState, size: number, what: string): void {
  require(COMMAND_STATES.includes(s.cmd), `${what}.cmd: 0x${s.cmd.toString(16)} is not a command state`);
  require(s.eraseOffset % PFLASH_SECTOR_SIZE === 0 &&
    s.eraseOffset < size, `${what}.eraseOffset: ${s.eraseOffset} is not a sector of the bank`);
  s.buffer.forEach(([offset, n], i) => require(offset + n <= size, `${what}.buffer[${i}]: a write at ${offset} lies outside the bank`));
}

/** The CFI query table of one 16-bit chip of the bank (QEMU's pflash_cfi01_fill_cfi_table). */
function cfiTable(bankSize: number): Uint8Array {
  const t = new Uint8Array(0x52);
  const devices = BANK_WIDTH / DEVICE_WIDTH;
  const blocks = bankSize / PFLASH_SECTOR_SIZE;
  const sectorPerDevice = PFLASH_SECTOR_SIZE / devices;
  const deviceLen = sectorPerDevice * blocks;
  t.set([0x51, 0x52, 0x59], 0x10); // "QRY"
  t.set([0x01, 0x00, 0x31, 0x00], 0x13); // Intel command set, extended table at 0x31
  t.set([0x45, 0x55, 0x00, 0x00], 0x1b); // Vcc min/max, no Vpp
  t.set([0x07, 0x07, 0x0a, 0x00, 0x04, 0x04, 0x04, 0x00], 0x1f); // timeouts
  t[0x27] = Math.log2(deviceLen);
  t[0x28] = 0x02; // x8/x16 interface
  t[0x2a] = 0x0b; // 2 KiB write buffer per chip
  t[0x2c] = 0x01; // one erase block region
  t[0x2d] = (blocks - 1) & 0xff;
  t[0x2e] = (blocks - 1) >> 8;
  t[0x2f] = (sectorPerDevice >> 8) & 0xff;
  t[0x30] = sectorPerDevice >> 16;
  t.set([0x50, 0x52, 0x49, 0x31, 0x30], 0x31); // "PRI" 1.0
  t[0x3f] = 0x01;
  return t;
}

export class Pflash implements Device {
  private wcycle = 0;
  private cmd: number = Cmd.ReadArray;
  private status = SR_READY;
  private counter = 0;
  private eraseOffset = 0;
  private buffer: BufferedWrite[] = [];
  /** What the board was last told: MMIO for every access (out of read-array mode). */
  private io = false;
  private readonly cfi: Uint8Array;
  readonly size: number;

  constructor(private readonly o: PflashOptions) {
    this.size = o.storage.length;
    if (this.size === 0 || this.size % PFLASH_SECTOR_SIZE) throw new Error("a flash bank is a whole number of 256 KiB sectors");
    this.cfi = cfiTable(this.size);
  }

  /** Whether the bank is in read-array mode (ROM to the CPU). */
  get readArray(): boolean {
    return this.wcycle === 0 && this.cmd === Cmd.ReadArray;
  }

  read(offset: number, size: number): bigint {
    if (size === 8) return BigInt(this.read32(offset, 4)) | (BigInt(this.read32(offset + 4, 4)) << 32n);
    return BigInt(this.read32(offset, size));
  }

  write(offset: number, size: number, value: bigint): void {
    // Wider than the bank: two accesses, low half first (QEMU's access_with_adjusted_size).
    if (size === 8) {
      this.write32(offset, 4, Number(value & 0xffff_ffffn));
      this.write32(offset + 4, 4, Number(value >> 32n));
    } else this.write32(offset, size, Number(value & 0xffff_ffffn));
    this.syncMode();
  }

  /** Tells the board when the bank enters or leaves read-array mode. */
  private syncMode(): void {
    const io = !this.readArray;
    if (io === this.io) return;
    this.io = io;
    this.o.setIo(io);
  }

  /** A replicated 16-bit chip value: the same answer from both chips of the bank. */
  private static both(v: number): number {
    return ((v & 0xffff) | ((v & 0xffff) << 16)) >>> 0;
  }

  private mask(v: number, size: number): number {
    return size >= 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
  }

  private read32(offset: number, size: number): number {
    if (offset < 0 || offset + size > this.size) return 0;
    switch (this.cmd) {
      case Cmd.ReadArray:
        return this.dataRead(offset, size);
      case Cmd.ProgramAlt:
      case Cmd.BlockErase:
      case Cmd.BlockEraseAlt:
      case Cmd.Program:
      case Cmd.ClearStatus:
      case Cmd.LockSetup:
      case Cmd.ReadStatus:
      case Cmd.WriteToBuffer:
        return this.mask(size > DEVICE_WIDTH ? Pflash.both(this.status) : this.status, size);
      case Cmd.ReadId: {
        // Addresses count 16-bit chip words on a 32-bit bus: word n is at byte 4n. Word 0 is the
        // manufacturer, word 1 the device; others (block lock status at 2) read 0: unlocked.
        const word = (offset >> 2) & 0xff;
        return this.mask(word < 2 ? Pflash.both(IDENT[word]) : 0, size);
      }
      case Cmd.CfiQuery: {
        const word = offset >> 2;
        return this.mask(word < this.cfi.length ? Pflash.both(this.cfi[word]) : 0, size);
      }
      default:
        // Not reachable: write32 and restore only set the commands above.
        return this.dataRead(offset, size);
    }
  }

  private dataRead(offset: number, size: number): number {
    const s = this.o.storage;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | s[offset + i];
    return v >>> 0;
  }

  private dataWrite(offset: number, size: number, value: number): boolean {
    const s = this.o.storage;
    for (let i = 0; i < size; i++) s[offset + i] = (value >>> (8 * i)) & 0xff;
    return this.o.written(offset, size);
  }

  private write32(offset: number, size: number, value: number): void {
    if (offset < 0 || offset + size > this.size) return;
    const cmd = value & 0xff;
    switch (this.wcycle) {
      case 0:
        switch (cmd) {
          case Cmd.ReadArray:
          case Cmd.AmdProbe:
          case Cmd.ReadArrayIntel:
            return this.readArrayMode();
          case Cmd.ClearStatus:
            this.status = 0;
            return this.readArrayMode();
          case Cmd.ReadStatus:
          case Cmd.ReadId:
            this.cmd = cmd;
            return;
          case Cmd.BlockErase:
          case Cmd.BlockEraseAlt:
            this.eraseOffset = offset - (offset % PFLASH_SECTOR_SIZE);
            this.status |= SR_READY;
            break;
          case Cmd.WriteToBuffer:
            this.buffer = [];
            this.status |= SR_READY;
            break;
          case Cmd.ProgramAlt:
          case Cmd.Program:
          case Cmd.LockSetup:
          case Cmd.CfiQuery:
            break;
          default:
            return this.readArrayMode();
        }
        this.wcycle = 1;
        this.cmd = cmd;
        return;
      case 1:
        switch (this.cmd) {
          case Cmd.ProgramAlt:
          case Cmd.Program:
            if (this.o.readOnly || !this.dataWrite(offset, size, value)) this.status |= SR_PROGRAM_ERROR;
            this.status |= SR_READY;
            this.wcycle = 0;
            return;
          case Cmd.BlockErase:
          case Cmd.BlockEraseAlt:
            if (cmd !== Cmd.Confirm) return this.readArrayMode();
            this.erase();
            this.wcycle = 0;
            return;
          case Cmd.WriteToBuffer:
            // The word count minus one, as each 16-bit chip sees it.
            this.counter = value & 0xffff;
            this.wcycle = 2;
            return;
          case Cmd.LockSetup:
            if (cmd === Cmd.Confirm || cmd === 0x01) {
              // Lock and unlock are accepted; blocks never lock (lock status reads 0).
              this.wcycle = 0;
              this.status |= SR_READY;
              return;
            }
            return this.readArrayMode();
          case Cmd.CfiQuery:
            if (cmd === Cmd.ReadArrayIntel) return this.readArrayMode();
            return;
          default:
            return this.readArrayMode();
        }
      case 2:
        // The data, programmed only once confirmed (QEMU writes it at once; the chip does not).
        this.buffer.push([offset, size as 1 | 2 | 4, value]);
        if (this.counter === 0) this.wcycle = 3;
        else this.counter--;
        this.status |= SR_READY;
        return;
      case 3:
        if (cmd !== Cmd.Confirm) return this.readArrayMode();
        this.programBuffer();
        this.wcycle = 0;
        this.status |= SR_READY;
        return;
      default:
        return this.readArrayMode();
    }
  }

  private erase(): void {
    this.status |= SR_READY;
    if (this.o.readOnly) {
      this.status |= SR_ERASE_ERROR;
      return;
    }
    this.o.storage.fill(0xff, this.eraseOffset, this.eraseOffset + PFLASH_SECTOR_SIZE);
    if (!this.o.written(this.eraseOffset, PFLASH_SECTOR_SIZE)) this.status |= SR_ERASE_ERROR;
  }

  private programBuffer(): void {
    const writes = this.buffer;
    this.buffer = [];
    if (this.o.readOnly) {
      this.status |= SR_PROGRAM_ERROR;
      return;
    }
    for (const [offset, size, value] of writes) {
      if (!this.dataWrite(offset, size, value)) this.status |= SR_PROGRAM_ERROR;
    }
  }

  private readArrayMode(): void {
    this.wcycle = 0;
    this.cmd = Cmd.ReadArray;
    this.buffer = [];
  }

  // ---- Device lifecycle ------------------------------------------------------------------

  reset(): void {
    this.readArrayMode();
    this.status = SR_READY;
    this.counter = 0;
    this.syncMode();
  }
  stop(): void {}
  cont(): void {}
  suspend(): void {}
  wake(): void {}
  close(): void {
    this.o.close?.();
  }

  save(): PflashState {
    return {
      version: 1,
      wcycle: this.wcycle,
      cmd: this.cmd,
      status: this.status,
      counter: this.counter,
      eraseOffset: this.eraseOffset,
      buffer: this.buffer.map((w) => [...w] as BufferedWrite),
    };
  }

  restore(state: unknown, what = "devices.flash"): void {
    validate(PflashStateSchema, state, what, PflashStateError);
    checkPflashState(state, this.size, what);
    this.wcycle = state.wcycle;
    this.cmd = state.cmd;
    this.status = state.status;
    this.counter = state.counter;
    this.eraseOffset = state.eraseOffset;
    this.buffer = state.buffer.map((w) => [...w] as BufferedWrite);
    this.syncMode();
  }
}
