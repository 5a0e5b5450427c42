// GUID partition tables (UEFI spec 2.10 §5.3) and Linux swap headers written into disk image
// files, so a disk is partitioned without root and without a partitioning tool.
import { randomBytes } from "node:crypto";
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";

export const SECTOR = 512;
const ENTRIES = 128;
const ENTRY_SIZE = 128;
/** Sectors the partition entry array takes (128 entries of 128 bytes). */
const TABLE_SECTORS = (ENTRIES * ENTRY_SIZE) / SECTOR;

/** Partition type GUIDs (UEFI spec, the Discoverable Partitions Specification). */
export const PART_TYPE = {
  esp: "c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
  /** Linux root (arm64), as systemd-gpt-auto-generator knows it. */
  rootArm64: "b921b045-1df0-41c3-af44-4c6f280d3fae",
  swap: "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f",
} as const;

export interface Partition {
  type: string;
  /** The partition's own GUID (PARTUUID). */
  guid: string;
  name: string;
  /** First and last byte offset + 1, both multiples of the sector size. */
  start: number;
  end: number;
}

/** A random (version 4) UUID. */
export function randomUuid(): string {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A GUID in its on-disk byte order (the first three fields little-endian). */
export function guidBytes(s: string): Buffer {
  const h = Buffer.from(s.replace(/-/g, ""), "hex");
  if (h.length !== 16) throw new Error(`not a GUID: ${s}`);
  return Buffer.concat([h.subarray(0, 4).reverse(), h.subarray(4, 6).reverse(), h.subarray(6, 8).reverse(), h.subarray(8)]);
}

/** The first usable byte after the primary table (partitions start at or after it). */
export const FIRST_USABLE = (2 + TABLE_SECTORS) * SECTOR;
/** Bytes the backup table takes at the end of the disk. */
export const BACKUP_BYTES = (1 + TABLE_SECTORS) * SECTOR;

/**
 * Writes a protective MBR, the primary and the backup GPT for `partitions` into the image file
 * `path`, `diskBytes` long (the file is extended or cut to that size, sparse).
 */
export function writeGpt(path: string, diskBytes: number, diskGuid: string, partitions: Partition[]): void {
  if (diskBytes % SECTOR) throw new Error("the disk size must be a multiple of 512");
  const sectors = diskBytes / SECTOR;
  const lastUsable = sectors - 1 - TABLE_SECTORS - 1;
  const table = Buffer.alloc(ENTRIES * ENTRY_SIZE);
  partitions.forEach((p, i) => {
    if (p.start % SECTOR || p.end % SECTOR || p.start < FIRST_USABLE || p.end / SECTOR - 1 > lastUsable || p.end <= p.start)
      throw new Error(`partition ${p.name} (${p.start}..${p.end}) does not fit the disk`);
    const o = i * ENTRY_SIZE;
    guidBytes(p.type).copy(table, o);
    guidBytes(p.guid).copy(table, o + 16);
    table.writeBigUInt64LE(BigInt(p.start / SECTOR), o + 32);
    table.writeBigUInt64LE(BigInt(p.end / SECTOR - 1), o + 40);
    Buffer.from(p.name.slice(0, 36), "utf16le").copy(table, o + 56);
  });
  const header = (self: number, other: number, tableAt: number) => {
    const h = Buffer.alloc(SECTOR);
    h.write("EFI PART", 0, "latin1");
    h.writeUInt32LE(0x10000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(self), 24);
    h.writeBigUInt64LE(BigInt(other), 32);
    h.writeBigUInt64LE(BigInt(FIRST_USABLE / SECTOR), 40);
    h.writeBigUInt64LE(BigInt(lastUsable), 48);
    guidBytes(diskGuid).copy(h, 56);
    h.writeBigUInt64LE(BigInt(tableAt), 72);
    h.writeUInt32LE(ENTRIES, 80);
    h.writeUInt32LE(ENTRY_SIZE, 84);
    h.writeUInt32LE(crc32(table), 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  const mbr = Buffer.alloc(SECTOR);
  mbr.writeUInt8(0xee, 446 + 4);
  mbr.writeUInt32LE(1, 446 + 8);
  mbr.writeUInt32LE(Math.min(sectors - 1, 0xffffffff), 446 + 12);
  mbr.writeUInt16LE(0xaa55, 510);
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, diskBytes);
    writeSync(fd, Buffer.concat([mbr, header(1, sectors - 1, 2), table]), 0, 2 * SECTOR + table.length, 0);
    const tail = Buffer.concat([table, header(sectors - 1, 1, sectors - 1 - TABLE_SECTORS)]);
    writeSync(fd, tail, 0, tail.length, diskBytes - tail.length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a Linux swap area header (version 1, "SWAPSPACE2", 4 KiB pages) at `offset` of the
 * image file, for an area `bytes` long, as mkswap does.
 */
export function writeSwapHeader(path: string, offset: number, bytes: number, uuid: string, label = ""): void {
  const page = Buffer.alloc(4096);
  page.writeUInt32LE(1, 1024);
  page.writeUInt32LE(Math.floor(bytes / 4096) - 1, 1028);
  page.writeUInt32LE(0, 1032);
  // The UUID in its textual byte order (util-linux's libuuid layout).
  Buffer.from(uuid.replace(/-/g, ""), "hex").copy(page, 1036);
  Buffer.from(label.slice(0, 16), "latin1").copy(page, 1052);
  page.write("SWAPSPACE2", 4096 - 10, "latin1");
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, page, 0, page.length, offset);
  } finally {
    closeSync(fd);
  }
}
