// UEFI test material built at test time: the UEFI Shell taken out of the firmware image itself
// (its firmware volumes, PI spec vol. 3: FFS files and sections, LZMA-compressed sections
// decompressed with xz), and a GPT disk with a FAT EFI system partition (mkfs.fat, mtools).
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PART_TYPE, writeGpt } from "../../src/kit/gpt.ts";

/** gUefiShellFileGuid (ShellPkg), the FFS file of the UEFI Shell application. */
const SHELL_FILE = "7c04a583-9e3e-4f1c-ad65-e05268d0b4d1";
/** gLzmaCustomDecompressGuid: a GUID-defined section of LZMA ("lzma alone") data. */
const LZMA_SECTION = "ee4e5898-3914-4259-9d6e-dc7bd79403cf";

function guidAt(b: Uint8Array, o: number): string {
  const h = Buffer.from(b.subarray(o, o + 16));
  const le = (s: number, n: number) =>
    Buffer.from(h.subarray(s, s + n))
      .reverse()
      .toString("hex");
  return `${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${h.subarray(8, 10).toString("hex")}-${h.subarray(10, 16).toString("hex")}`;
}

const u24 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const u32 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** The firmware volumes in `b` ("_FVH" signatures at offset 40 of each header). */
function* volumes(b: Uint8Array): Generator<Uint8Array> {
  for (let o = 0; o + 0x48 <= b.length; o += 8) {
    if (u32(b, o + 40) !== 0x4856465f) continue;
    const len = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(o + 32, true));
    if (len < 0x48 || o + len > b.length) continue;
    yield b.subarray(o, o + len);
    o += len - 8;
  }
}

/** The FFS files of a volume: name and body (after the file header). */
function* files(fv: Uint8Array): Generator<{ name: string; body: Uint8Array }> {
  const dv = new DataView(fv.buffer, fv.byteOffset, fv.length);
  let o = dv.getUint16(0x30, true);
  const ext = dv.getUint16(0x34, true);
  if (ext) o = ext + dv.getUint32(ext + 16, true);
  o = (o + 7) & ~7;
  while (o + 24 <= fv.length) {
    let size = u24(fv, o + 20);
    let header = 24;
    if (fv[o + 19] & 0x01) {
      // FFS_ATTRIB_LARGE_FILE: a 64-bit size follows the header.
      size = Number(dv.getBigUint64(o + 24, true));
      header = 32;
    }
    if (size === 0xffffff || size < header || o + size > fv.length) return;
    yield { name: guidAt(fv, o), body: fv.subarray(o + header, o + size) };
    o = (o + size + 7) & ~7;
  }
}

/** The sections of a file body, LZMA-compressed ones opened (a volume image is section type 0x17). */
function* sections(body: Uint8Array): Generator<{ type: number; data: Uint8Array }> {
  let o = 0;
  while (o + 4 <= body.length) {
    let size = u24(body, o);
    const type = body[o + 3];
    let header = 4;
    if (size === 0xffffff) {
      size = u32(body, o + 4);
      header = 8;
    }
    if (size < header || o + size > body.length) return;
    const data = body.subarray(o + header, o + size);
    if (type === 0x02) {
      // GUID-defined: only LZMA occurs in EDK2's builds for QEMU.
      const dataOffset = new DataView(body.buffer, body.byteOffset).getUint16(o + header + 16, true);
      if (guidAt(body, o + header) === LZMA_SECTION) {
        const raw = execFileSync("xz", ["--format=lzma", "-dc"], { input: body.subarray(o + dataOffset, o + size), maxBuffer: 256 << 20 });
        yield* sections(new Uint8Array(raw));
      }
    } else yield { type, data };
    o = (o + size + 3) & ~3;
  }
}

/** Every FFS file of the firmware image, in nested volumes too. */
function* allFiles(b: Uint8Array): Generator<{ name: string; body: Uint8Array }> {
  for (const fv of volumes(b)) {
    for (const f of files(fv)) {
      yield f;
      for (const s of sections(f.body)) if (s.type === 0x17) yield* allFiles(s.data);
    }
  }
}

/** The UEFI Shell application (a PE32 image) inside an EDK2 firmware image such as QEMU_EFI.fd. */
export function extractShell(firmware: Uint8Array): Uint8Array {
  for (const f of allFiles(firmware)) {
    if (f.name !== SHELL_FILE) continue;
    for (const s of sections(f.body)) if (s.type === 0x10) return new Uint8Array(s.data);
  }
  throw new Error("no UEFI Shell in the firmware image");
}

const MIB = 1 << 20;

/**
 * Writes a GPT disk image at `path` whose one partition is a FAT EFI system partition holding
 * `files` (paths with "/", e.g. "EFI/BOOT/BOOTAA64.EFI"), sized to fit them.
 */
export function buildEspDisk(path: string, files: Record<string, Uint8Array | string>): void {
  const total = Object.values(files).reduce((n, d) => n + d.length, 0);
  const espBytes = Math.ceil((total * 1.1 + 8 * MIB) / MIB) * MIB;
  const work = mkdtempSync(join(tmpdir(), "dormouse-esp-"));
  try {
    const fat = join(work, "esp.img");
    execFileSync("mkfs.fat", ["-C", "-n", "ESP", fat, String(espBytes / 1024)], { stdio: ["ignore", "ignore", "pipe"] });
    const dirs = new Set<string>();
    for (const name of Object.keys(files)) for (let d = dirname(name); d !== "."; d = dirname(d)) dirs.add(d);
    for (const d of [...dirs].sort()) execFileSync("mmd", ["-i", fat, `::/${d}`]);
    for (const [name, data] of Object.entries(files)) {
      const local = join(work, "file");
      writeFileSync(local, data);
      execFileSync("mcopy", ["-i", fat, local, `::/${name}`]);
    }
    const diskBytes = MIB + espBytes + MIB;
    writeFileSync(path, "");
    writeGpt(path, diskBytes, "4b1f3c2a-8d7e-4f60-b5a9-0c1d2e3f4a5b", [
      { type: PART_TYPE.esp, guid: "9d2f8a4e-1c6b-4e0a-9a52-5f0b6c1e2d3f", name: "ESP", start: MIB, end: MIB + espBytes },
    ]);
    const fd = openSync(path, "r+");
    try {
      const data = readFileSync(fat);
      writeSync(fd, data, 0, data.length, MIB);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
