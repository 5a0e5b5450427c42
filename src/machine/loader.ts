// Loading guest images into guest memory: bare-metal ELF64 (AArch64) executables and flat
// binaries. Errors are plain messages for the command line.

export interface GuestMemory {
  writePhys(pa: bigint, bytes: Uint8Array): void;
}

export interface LoadedImage {
  entry: bigint;
  /** Lowest and highest+1 guest physical addresses written. */
  start: bigint;
  end: bigint;
  kind: "elf" | "binary";
}

export class ImageError extends Error {}

const EM_AARCH64 = 183;
const PT_LOAD = 1;

export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Loads the PT_LOAD segments of an AArch64 ELF64 at their physical addresses. */
export function loadElf(mem: GuestMemory, b: Uint8Array): LoadedImage {
  if (!isElf(b)) throw new ImageError("not an ELF file");
  if (b.length < 64) throw new ImageError("truncated ELF header");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[4] !== 2) throw new ImageError("not a 64-bit ELF file (AArch32 images are not supported)");
  if (b[5] !== 1) throw new ImageError("not a little-endian ELF file");
  const machine = dv.getUint16(18, true);
  if (machine !== EM_AARCH64) throw new ImageError(`ELF machine ${machine} is not AArch64`);
  const entry = dv.getBigUint64(24, true);
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phoff + phnum * phentsize > b.length) throw new ImageError("truncated ELF program headers");
  let start = -1n;
  let end = 0n;
  let loaded = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== PT_LOAD) continue;
    const offset = Number(dv.getBigUint64(p + 8, true));
    const paddr = dv.getBigUint64(p + 24, true);
    const filesz = Number(dv.getBigUint64(p + 32, true));
    const memsz = Number(dv.getBigUint64(p + 40, true));
    if (offset + filesz > b.length) throw new ImageError(`ELF segment ${i} extends past the end of the file`);
    if (memsz < filesz) throw new ImageError(`ELF segment ${i} is smaller in memory than in the file`);
    const seg = new Uint8Array(memsz);
    seg.set(b.subarray(offset, offset + filesz));
    try {
      if (memsz) mem.writePhys(paddr, seg);
    } catch {
      throw new ImageError(`ELF segment ${i} at 0x${paddr.toString(16)} (+${memsz} bytes) is outside guest memory`);
    }
    loaded++;
    if (start < 0n || paddr < start) start = paddr;
    if (paddr + BigInt(memsz) > end) end = paddr + BigInt(memsz);
  }
  if (!loaded) throw new ImageError("the ELF file has no loadable segments");
  return { entry, start, end, kind: "elf" };
}

/**
 * Whether the bytes look like text (ASCII or UTF-8) rather than machine code, a common wrong
 * argument: text has no NULs or other control bytes besides tab, newlines, form feed and escape.
 */
export function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c < 0x20 && c !== 9 && c !== 10 && c !== 12 && c !== 13 && c !== 27) return false;
  }
  return true;
}

/** Loads a flat binary at `addr`; execution starts at its first byte. */
export function loadBinary(mem: GuestMemory, b: Uint8Array, addr: bigint): LoadedImage {
  if (!b.length) throw new ImageError("the image is empty");
  if (looksLikeText(b)) throw new ImageError("this looks like a text file, not a bare-metal image (an ELF or a flat binary)");
  try {
    mem.writePhys(addr, b);
  } catch {
    throw new ImageError(`the image (${b.length} bytes) does not fit in guest memory at 0x${addr.toString(16)}`);
  }
  return { entry: addr, start: addr, end: addr + BigInt(b.length), kind: "binary" };
}
