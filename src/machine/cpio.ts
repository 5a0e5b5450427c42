// A newc ("070701") cpio archive writer, the format of Linux initramfs images.

export interface CpioEntry {
  /** Path inside the archive, without a leading slash. */
  name: string;
  /** File type and permission bits (e.g. 0o100755 for an executable, 0o040755 for a directory). */
  mode: number;
  /** File contents, or a symlink's target. */
  data?: Uint8Array | string;
  /** Device numbers for character/block device nodes. */
  rdevMajor?: number;
  rdevMinor?: number;
}

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, "0");

/** Serialises entries (in order) plus the TRAILER!!! record. */
export function writeCpio(entries: CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
    const pad = (4 - (size % 4)) % 4;
    if (pad) {
      parts.push(new Uint8Array(pad));
      size += pad;
    }
  };
  const enc = new TextEncoder();
  let ino = 1;
  for (const e of [...entries, { name: "TRAILER!!!", mode: 0 }] as CpioEntry[]) {
    const data = typeof e.data === "string" ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    const name = enc.encode(`${e.name}\0`);
    const isDir = (e.mode & 0o170000) === S_IFDIR;
    const header =
      "070701" +
      hex8(e.name === "TRAILER!!!" ? 0 : ino++) +
      hex8(e.mode) +
      hex8(0) + // uid
      hex8(0) + // gid
      hex8(isDir ? 2 : 1) + // nlink
      hex8(0) + // mtime
      hex8(data.length) +
      hex8(0) + // devmajor
      hex8(0) + // devminor
      hex8(e.rdevMajor ?? 0) +
      hex8(e.rdevMinor ?? 0) +
      hex8(name.length) +
      hex8(0); // check
    const head = new Uint8Array(header.length + name.length);
    head.set(enc.encode(header));
    head.set(name, header.length);
    push(head);
    if (data.length) push(data);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
