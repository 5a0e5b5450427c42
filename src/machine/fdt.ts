// A flattened device tree (DTB) writer: version 17, as Linux, U-Boot and QEMU read it.

/** A property value: u32 cells, a string, a string list, or raw bytes. */
export type FdtValue = number[] | string | string[] | Uint8Array | null;

export interface FdtNode {
  name: string;
  props: [string, FdtValue][];
  children: FdtNode[];
}

/** Builds a node; `props` in insertion order. */
export function node(name: string, props: Record<string, FdtValue> = {}, children: FdtNode[] = []): FdtNode {
  return { name, props: Object.entries(props), children };
}

/** 64-bit values as two cells (for #address-cells = #size-cells = 2). */
export function u64cells(...values: bigint[]): number[] {
  return values.flatMap((v) => [Number((v >> 32n) & 0xffff_ffffn), Number(v & 0xffff_ffffn)]);
}

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;

function encodeValue(v: FdtValue): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return new TextEncoder().encode(`${v}\0`);
  if (v.length && typeof v[0] === "string") return new TextEncoder().encode((v as string[]).map((s) => `${s}\0`).join(""));
  const b = new Uint8Array(v.length * 4);
  const dv = new DataView(b.buffer);
  (v as number[]).forEach((c, i) => {
    dv.setUint32(i * 4, c >>> 0);
  });
  return b;
}

/** Serialises a tree to DTB bytes. `reserved` are memory reservation entries [address, size]. */
export function buildDtb(root: FdtNode, bootCpu = 0, reserved: [bigint, bigint][] = []): Uint8Array {
  const struct: number[] = [];
  const strings: number[] = [];
  const stringOffsets = new Map<string, number>();
  const pushU32 = (v: number) => struct.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const pushBytes = (b: Uint8Array) => {
    for (const x of b) struct.push(x);
    while (struct.length % 4) struct.push(0);
  };
  const stringOffset = (name: string) => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.length;
      for (const x of new TextEncoder().encode(`${name}\0`)) strings.push(x);
      stringOffsets.set(name, off);
    }
    return off;
  };
  const emit = (n: FdtNode) => {
    pushU32(FDT_BEGIN_NODE);
    pushBytes(new TextEncoder().encode(`${n.name}\0`));
    for (const [name, value] of n.props) {
      const data = encodeValue(value);
      pushU32(FDT_PROP);
      pushU32(data.length);
      pushU32(stringOffset(name));
      pushBytes(data);
    }
    for (const c of n.children) emit(c);
    pushU32(FDT_END_NODE);
  };
  emit(root);
  pushU32(FDT_END);
  const headerSize = 40;
  const rsvOff = headerSize;
  const rsvSize = (reserved.length + 1) * 16;
  const structOff = rsvOff + rsvSize;
  const stringsOff = structOff + struct.length;
  const total = stringsOff + strings.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  [FDT_MAGIC, total, structOff, stringsOff, rsvOff, 17, 16, bootCpu, strings.length, struct.length].forEach((v, i) => {
    dv.setUint32(i * 4, v >>> 0);
  });
  reserved.forEach(([a, s], i) => {
    dv.setBigUint64(rsvOff + i * 16, a);
    dv.setBigUint64(rsvOff + i * 16 + 8, s);
  });
  out.set(struct, structOff);
  out.set(strings, stringsOff);
  return out;
}
