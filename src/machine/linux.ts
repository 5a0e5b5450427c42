// The arm64 Linux boot protocol (Documentation/arch/arm64/booting.rst): the Image header, its
// placement (a 2 MiB-aligned base plus text_offset), gzip-compressed Images, and the initrd.
import { type GuestMemory, ImageError } from "./loader.ts";

const ARM64_MAGIC = 0x644d_5241; // "ARM\x64" at offset 0x38

export interface LinuxImage {
  /** Where the kernel starts executing (its first byte). */
  entry: bigint;
  /** End of the memory the kernel claims (image_size from the header). */
  end: bigint;
}

/** Whether bytes are an arm64 Linux Image (possibly gzip-compressed). */
export function isLinuxImage(b: Uint8Array): boolean {
  return b.length >= 64 && new DataView(b.buffer, b.byteOffset).getUint32(0x38, true) === ARM64_MAGIC;
}

/** Decompresses gzip data (the host's: src/host/node/ uses zlib); throws on corrupt input. */
export type Gunzip = (gz: Uint8Array) => Uint8Array;

/** Decompresses a gzip'd Image with `gunzip`; other bytes are returned unchanged. */
export function maybeGunzip(b: Uint8Array, gunzip: Gunzip): Uint8Array {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      return gunzip(b);
    } catch (e) {
      throw new ImageError(`the kernel looks gzip-compressed but does not decompress: ${(e as Error).message}`);
    }
  }
  return b;
}

/** Loads an arm64 Image at the first 2 MiB-aligned base of RAM plus its text_offset. */
export function loadLinuxImage(mem: GuestMemory, raw: Uint8Array, ramBase: bigint, ramSize: bigint, gunzip: Gunzip): LinuxImage {
  const b = maybeGunzip(raw, gunzip);
  if (!isLinuxImage(b)) throw new ImageError("not an arm64 Linux Image (no ARM\\x64 magic at offset 0x38)");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const textOffset = dv.getBigUint64(0x08, true);
  let imageSize = dv.getBigUint64(0x10, true);
  const flags = dv.getBigUint64(0x18, true);
  if ((flags & 1n) !== 0n) throw new ImageError("the kernel is big-endian; this CPU is little-endian only");
  // image_size 0 means a pre-3.17 kernel: text_offset 0x80000 and the file size as the size.
  if (imageSize === 0n) imageSize = BigInt(b.length);
  const base = (ramBase + 0x1f_ffffn) & ~0x1f_ffffn;
  const entry = base + textOffset;
  if (entry + imageSize > ramBase + ramSize)
    throw new ImageError(`the kernel needs ${imageSize} bytes at 0x${entry.toString(16)}: give the guest more memory`);
  mem.writePhys(entry, b);
  return { entry, end: entry + imageSize };
}

/**
 * Places the initrd after the kernel (as QEMU does: 128 MiB into RAM, or half of a smaller
 * RAM, but never over the kernel), below the device tree at `limit`.
 */
export function loadInitrd(
  mem: GuestMemory,
  initrd: Uint8Array,
  ramBase: bigint,
  ramSize: bigint,
  kernelEnd: bigint,
  limit: bigint,
): { start: bigint; end: bigint } {
  let start = ramBase + (ramSize < 256n << 20n ? ramSize / 2n : 128n << 20n);
  if (start < kernelEnd) start = (kernelEnd + 0x1f_ffffn) & ~0x1f_ffffn;
  const end = start + BigInt(initrd.length);
  if (end > limit) throw new ImageError(`the initrd (${initrd.length} bytes) does not fit in guest memory: give the guest more memory`);
  mem.writePhys(start, initrd);
  return { start, end };
}
