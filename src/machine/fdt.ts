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

/** A DTB that cannot be read. */
export class FdtError extends Error {}

/** Parses DTB bytes (version 16 or later) into a tree whose property values are raw bytes. */
export function parseDtb(b: Uint8Array): { root: FdtNode; bootCpu: number; reserved: [bigint, bigint][] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 40 || dv.getUint32(0) !== FDT_MAGIC) throw new FdtError("not a flattened device tree (no d00dfeed magic)");
  const [total, structOff, stringsOff, rsvOff, version] = [4, 8, 12, 16, 20].map((o) => dv.getUint32(o));
  if (total > b.length) throw new FdtError(`truncated device tree (${b.length} of ${total} bytes)`);
  if (version < 16) throw new FdtError(`device tree version ${version} is too old (16 or later)`);
  const stringsSize = dv.getUint32(32);
  const structSize = dv.getUint32(36);
  if (structOff + structSize > total || stringsOff + stringsSize > total || rsvOff + 16 > total)
    throw new FdtError("device tree blocks lie outside the file");
  const reserved: [bigint, bigint][] = [];
  for (let o = rsvOff; o + 16 <= total; o += 16) {
    const a = dv.getBigUint64(o);
    const s = dv.getBigUint64(o + 8);
    if (a === 0n && s === 0n) break;
    reserved.push([a, s]);
  }
  const text = new TextDecoder();
  const cstring = (start: number, end: number): [string, number] => {
    const z = b.indexOf(0, start);
    if (z < 0 || z >= end) throw new FdtError("unterminated string in the device tree");
    return [text.decode(b.subarray(start, z)), z + 1];
  };
  const end = structOff + structSize;
  let p = structOff;
  const u32 = () => {
    if (p + 4 > end) throw new FdtError("device tree structure block ends early");
    const v = dv.getUint32(p);
    p += 4;
    return v;
  };
  const stack: FdtNode[] = [];
  let root: FdtNode | null = null;
  for (;;) {
    const tok = u32();
    if (tok === FDT_BEGIN_NODE) {
      const [name, next] = cstring(p, end);
      p = (next + 3) & ~3;
      const n: FdtNode = { name, props: [], children: [] };
      if (stack.length) stack[stack.length - 1].children.push(n);
      else if (root) throw new FdtError("device tree has two roots");
      else root = n;
      stack.push(n);
    } else if (tok === FDT_PROP) {
      const len = u32();
      const nameOff = u32();
      if (!stack.length || p + len > end || nameOff >= stringsSize) throw new FdtError("malformed property in the device tree");
      const [name] = cstring(stringsOff + nameOff, stringsOff + stringsSize);
      stack[stack.length - 1].props.push([name, new Uint8Array(b.subarray(p, p + len))]);
      p = (p + len + 3) & ~3;
    } else if (tok === FDT_END_NODE) {
      if (!stack.pop()) throw new FdtError("unbalanced nodes in the device tree");
    } else if (tok === FDT_END) {
      break;
    } else if (tok !== 4 /* FDT_NOP */) throw new FdtError(`bad token ${tok} in the device tree`);
  }
  if (!root || stack.length) throw new FdtError("the device tree's root node is incomplete");
  return { root, bootCpu: dv.getUint32(28), reserved };
}

/** Sets (or replaces) a property of a node, keeping its position when it exists. */
export function setProp(n: FdtNode, name: string, value: FdtValue): void {
  const i = n.props.findIndex(([k]) => k === name);
  if (i >= 0) n.props[i] = [name, value];
  else n.props.push([name, value]);
}
