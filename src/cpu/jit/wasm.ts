// A minimal WebAssembly binary writer for the JIT: function bodies as byte arrays with typed
// helpers for the instructions the JIT emits, and a module assembler for one shape of module
// (imported memory and helper functions, N exported functions of one type).
// Encodings: WebAssembly Core Specification 2.0, §5 (binary format), and the SIMD proposal.

/** Value types. */
export const enum T {
  I32 = 0x7f,
  I64 = 0x7e,
  V128 = 0x7b,
  Void = 0x40,
}

/** Opcodes used by the JIT (single-byte ones; SIMD ones go through Code.simd). */
export const enum Op {
  Unreachable = 0x00,
  Block = 0x02,
  Loop = 0x03,
  If = 0x04,
  Else = 0x05,
  End = 0x0b,
  Br = 0x0c,
  BrIf = 0x0d,
  BrTable = 0x0e,
  Return = 0x0f,
  Call = 0x10,
  ReturnCall = 0x12,
  ReturnCallIndirect = 0x13,
  Drop = 0x1a,
  Select = 0x1b,
  LocalGet = 0x20,
  LocalSet = 0x21,
  LocalTee = 0x22,
  I32Load = 0x28,
  I64Load = 0x29,
  I32Load8S = 0x2c,
  I32Load8U = 0x2d,
  I32Load16S = 0x2e,
  I32Load16U = 0x2f,
  I64Load8S = 0x30,
  I64Load8U = 0x31,
  I64Load16S = 0x32,
  I64Load16U = 0x33,
  I64Load32S = 0x34,
  I64Load32U = 0x35,
  I32Store = 0x36,
  I64Store = 0x37,
  I32Store8 = 0x3a,
  I32Store16 = 0x3b,
  I64Store8 = 0x3c,
  I64Store16 = 0x3d,
  I64Store32 = 0x3e,
  I32Const = 0x41,
  I64Const = 0x42,
  I32Eqz = 0x45,
  I32Eq = 0x46,
  I32Ne = 0x47,
  I32LtS = 0x48,
  I32LtU = 0x49,
  I32GtS = 0x4a,
  I32GtU = 0x4b,
  I32LeS = 0x4c,
  I32LeU = 0x4d,
  I32GeS = 0x4e,
  I32GeU = 0x4f,
  I64Eqz = 0x50,
  I64Eq = 0x51,
  I64Ne = 0x52,
  I64LtS = 0x53,
  I64LtU = 0x54,
  I64GtS = 0x55,
  I64GtU = 0x56,
  I64LeS = 0x57,
  I64LeU = 0x58,
  I64GeS = 0x59,
  I64GeU = 0x5a,
  I32Clz = 0x67,
  I32Add = 0x6a,
  I32Sub = 0x6b,
  I32Mul = 0x6c,
  I32DivS = 0x6d,
  I32DivU = 0x6e,
  I32And = 0x71,
  I32Or = 0x72,
  I32Xor = 0x73,
  I32Shl = 0x74,
  I32ShrS = 0x75,
  I32ShrU = 0x76,
  I32Rotl = 0x77,
  I32Rotr = 0x78,
  I64Clz = 0x79,
  I64Add = 0x7c,
  I64Sub = 0x7d,
  I64Mul = 0x7e,
  I64DivS = 0x7f,
  I64DivU = 0x80,
  I64And = 0x83,
  I64Or = 0x84,
  I64Xor = 0x85,
  I64Shl = 0x86,
  I64ShrS = 0x87,
  I64ShrU = 0x88,
  I64Rotl = 0x89,
  I64Rotr = 0x8a,
  I32WrapI64 = 0xa7,
  I64ExtendI32S = 0xac,
  I64ExtendI32U = 0xad,
  I32Extend8S = 0xc0,
  I32Extend16S = 0xc1,
  I64Extend8S = 0xc2,
  I64Extend16S = 0xc3,
  I64Extend32S = 0xc4,
}

/** SIMD opcodes (after the 0xfd prefix, LEB128-encoded). */
export const enum SimdOp {
  V128Load = 0x00,
  V128Load8Splat = 0x07,
  V128Load16Splat = 0x08,
  V128Load32Splat = 0x09,
  V128Load64Splat = 0x0a,
  V128Store = 0x0b,
  V128Const = 0x0c,
  I8x16Shuffle = 0x0d,
  I8x16Splat = 0x0f,
  I16x8Splat = 0x10,
  I32x4Splat = 0x11,
  I64x2Splat = 0x12,
  I8x16Eq = 0x23,
  I8x16GeU = 0x2c,
  I16x8Eq = 0x2d,
  I16x8GeU = 0x36,
  I32x4Eq = 0x37,
  I32x4GeU = 0x40,
  I64x2GeS = 0xdb,
  I8x16MinU = 0x77,
  I8x16MaxU = 0x79,
  I16x8MinU = 0x97,
  I16x8MaxU = 0x99,
  I32x4MinU = 0xb7,
  I32x4MaxU = 0xb9,
  I8x16ExtractLaneU = 0x16,
  I8x16ReplaceLane = 0x17,
  I16x8ExtractLaneU = 0x19,
  I16x8ReplaceLane = 0x1a,
  I32x4ExtractLane = 0x1b,
  I32x4ReplaceLane = 0x1c,
  I64x2ExtractLane = 0x1d,
  I64x2ReplaceLane = 0x1e,
  V128Load64Zero = 0x5d,
  V128Bitselect = 0x52,
  F32x4Eq = 0x41,
  F64x2Eq = 0x47,
  F64x2Lt = 0x49,
  F64x2Gt = 0x4a,
  V128Not = 0x4d,
  V128And = 0x4e,
  V128AndNot = 0x4f,
  V128Or = 0x50,
  V128Xor = 0x51,
  I32x4AllTrue = 0xa3,
  I64x2AllTrue = 0xc3,
  F32x4Lt = 0x43,
  F32x4Gt = 0x44,
  F32x4Ne = 0x42,
  F64x2Ne = 0x48,
  I64x2Eq = 0xd6,
  I16x8ExtendLowI8x16S = 0x87,
  I16x8ExtendHighI8x16S = 0x88,
  I16x8ExtendLowI8x16U = 0x89,
  I16x8ExtendHighI8x16U = 0x8a,
  I32x4ExtendLowI16x8S = 0xa7,
  I32x4ExtendHighI16x8S = 0xa8,
  I32x4ExtendLowI16x8U = 0xa9,
  I32x4ExtendHighI16x8U = 0xaa,
  I64x2ExtendLowI32x4S = 0xc7,
  I64x2ExtendHighI32x4S = 0xc8,
  I64x2ExtendLowI32x4U = 0xc9,
  I64x2ExtendHighI32x4U = 0xca,
  F32x4Abs = 0xe0,
  F32x4Add = 0xe4,
  F32x4Sub = 0xe5,
  F32x4Mul = 0xe6,
  F32x4Div = 0xe7,
  F64x2Abs = 0xec,
  F64x2Add = 0xf0,
  F64x2Sub = 0xf1,
  F64x2Mul = 0xf2,
  F64x2Div = 0xf3,
  I8x16Shl = 0x6b,
  I8x16ShrS = 0x6c,
  I8x16ShrU = 0x6d,
  I8x16Add = 0x6e,
  I8x16Sub = 0x71,
  I16x8Shl = 0x8b,
  I16x8ShrS = 0x8c,
  I16x8ShrU = 0x8d,
  I16x8Add = 0x8e,
  I16x8Sub = 0x91,
  I32x4Shl = 0xab,
  I32x4ShrS = 0xac,
  I32x4ShrU = 0xad,
  I32x4Add = 0xae,
  I32x4Sub = 0xb1,
  I64x2Shl = 0xcb,
  I64x2ShrS = 0xcc,
  I64x2ShrU = 0xcd,
  I64x2Add = 0xce,
  I64x2Sub = 0xd1,
}

type SplatOp = SimdOp.V128Load8Splat | SimdOp.V128Load16Splat | SimdOp.V128Load32Splat | SimdOp.V128Load64Splat | SimdOp.V128Load64Zero;
const SPLAT_ALIGN: Partial<Record<SimdOp, number>> = {
  [SimdOp.V128Load8Splat]: 0,
  [SimdOp.V128Load16Splat]: 1,
  [SimdOp.V128Load32Splat]: 2,
  [SimdOp.V128Load64Splat]: 3,
  [SimdOp.V128Load64Zero]: 3,
};

/**
 * A growable byte buffer: function bodies and modules are built in these rather than in number
 * arrays (each byte of a module was pushed into five of them, a third of the JIT's compile time).
 */
export class Bytes {
  buf = new Uint8Array(256);
  length = 0;

  push(x: number): void {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = x;
  }
  /** Appends the bytes of `o`. */
  pushAll(o: Bytes): void {
    this.pushArray(o.buf.subarray(0, o.length));
  }
  pushArray(a: Uint8Array | readonly number[]): void {
    if (this.length + a.length > this.buf.length) this.grow(a.length);
    this.buf.set(a, this.length);
    this.length += a.length;
  }
  /** The bytes written (a view of the buffer). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
}

function uleb(out: Bytes, v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function slebBig(out: Bytes, v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function sleb32(out: Bytes, v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** natural alignment (log2) of each memory access opcode. */
const ALIGN: Record<number, number> = {
  [Op.I32Load]: 2,
  [Op.I64Load]: 3,
  [Op.I32Load8S]: 0,
  [Op.I32Load8U]: 0,
  [Op.I32Load16S]: 1,
  [Op.I32Load16U]: 1,
  [Op.I64Load8S]: 0,
  [Op.I64Load8U]: 0,
  [Op.I64Load16S]: 1,
  [Op.I64Load16U]: 1,
  [Op.I64Load32S]: 2,
  [Op.I64Load32U]: 2,
  [Op.I32Store]: 2,
  [Op.I64Store]: 3,
  [Op.I32Store8]: 0,
  [Op.I32Store16]: 1,
  [Op.I64Store8]: 0,
  [Op.I64Store16]: 1,
  [Op.I64Store32]: 2,
};

/** A function body under construction. */
export class Code {
  readonly b = new Bytes();
  /**
   * Branch hints (the branch-hinting proposal's metadata.code.branch_hint section): the offset
   * in `b` of an `if` or `br_if` and 1 when it is likely taken (`if`: its then-arm), 0 when not.
   * V8 compiles an unlikely arm out of line, its register spills included.
   */
  readonly hints: [number, 0 | 1][] = [];

  op(...ops: Op[]): this {
    for (const o of ops) this.b.push(o);
    return this;
  }
  i32(v: number): this {
    this.b.push(Op.I32Const);
    sleb32(this.b, v);
    return this;
  }
  i64(v: bigint): this {
    this.b.push(Op.I64Const);
    if (v >= -0x8000_0000n && v < 0x8000_0000n) sleb32(this.b, Number(v));
    else slebBig(this.b, BigInt.asIntN(64, v));
    return this;
  }
  get(i: number): this {
    this.b.push(Op.LocalGet);
    uleb(this.b, i);
    return this;
  }
  set(i: number): this {
    this.b.push(Op.LocalSet);
    uleb(this.b, i);
    return this;
  }
  tee(i: number): this {
    this.b.push(Op.LocalTee);
    uleb(this.b, i);
    return this;
  }
  /** A load or store with a constant offset; alignment hint is the natural one (unaligned is allowed). */
  mem(o: Op, offset: number): this {
    this.b.push(o);
    uleb(this.b, ALIGN[o]);
    uleb(this.b, offset >>> 0);
    return this;
  }
  simd(...ops: SimdOp[]): this {
    for (const o of ops) {
      this.b.push(0xfd);
      uleb(this.b, o);
    }
    return this;
  }
  /** A lane instruction (extract_lane, replace_lane) with its lane index. */
  lane(o: SimdOp, i: number): this {
    this.simd(o);
    this.b.push(i);
    return this;
  }
  /** v128.const from two 64-bit halves (low, high). */
  v128(lo: bigint, hi: bigint): this {
    this.simd(SimdOp.V128Const);
    for (const h of [lo, hi]) for (let i = 0n; i < 64n; i += 8n) this.b.push(Number((BigInt.asUintN(64, h) >> i) & 0xffn));
    return this;
  }
  /** i8x16.shuffle with 16 lane indices (0-15: the first operand's bytes, 16-31: the second's). */
  shuffle(lanes: number[]): this {
    this.simd(SimdOp.I8x16Shuffle);
    for (const l of lanes) this.b.push(l);
    return this;
  }
  /** A v128 load, store or load-and-splat (the alignment hint: the access's natural one). */
  simdMem(o: SimdOp.V128Load | SimdOp.V128Store | SplatOp, offset: number): this {
    this.simd(o);
    uleb(this.b, SPLAT_ALIGN[o] ?? 4);
    uleb(this.b, offset >>> 0);
    return this;
  }
  block(t: T = T.Void): this {
    this.b.push(Op.Block);
    this.b.push(t);
    return this;
  }
  if(t: T = T.Void, hint?: 0 | 1): this {
    if (hint !== undefined) this.hints.push([this.b.length, hint]);
    this.b.push(Op.If);
    this.b.push(t);
    return this;
  }
  else(): this {
    this.b.push(Op.Else);
    return this;
  }
  end(): this {
    this.b.push(Op.End);
    return this;
  }
  br(depth: number): this {
    this.b.push(Op.Br);
    uleb(this.b, depth);
    return this;
  }
  brIf(depth: number, hint?: 0 | 1): this {
    if (hint !== undefined) this.hints.push([this.b.length, hint]);
    this.b.push(Op.BrIf);
    uleb(this.b, depth);
    return this;
  }
  /** br_table: branches to depths[i] for the i32 i on the stack, to `dflt` when out of range. */
  brTable(depths: number[], dflt: number): this {
    this.b.push(Op.BrTable);
    uleb(this.b, depths.length);
    for (const d of depths) uleb(this.b, d);
    uleb(this.b, dflt);
    return this;
  }
  /** Appends another body's code (and its hints). */
  append(o: Code): this {
    const base = this.b.length;
    this.b.pushAll(o.b);
    for (const [p, h] of o.hints) this.hints.push([base + p, h]);
    return this;
  }
  call(f: number): this {
    this.b.push(Op.Call);
    uleb(this.b, f);
    return this;
  }
  /** Tail-calls function f. */
  returnCall(f: number): this {
    this.b.push(Op.ReturnCall);
    uleb(this.b, f);
    return this;
  }
  /** Tail-calls the function at the table index on the stack (type `type`, table 0). */
  returnCallIndirect(type: number): this {
    this.b.push(Op.ReturnCallIndirect);
    uleb(this.b, type);
    uleb(this.b, 0);
    return this;
  }
}

/** A function of the module: its body and its locals after the parameters, as [count, type] runs. */
export interface FuncDef {
  locals: [number, T][];
  body: Code;
}

function section(out: Bytes, id: number, content: Bytes): void {
  out.push(id);
  uleb(out, content.length);
  out.pushAll(content);
}

function name(out: Bytes, s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/** A function type: parameter and result types. */
export interface FuncType {
  params: T[];
  results: T[];
}

/**
 * Assembles a module importing memory "c.m", with `table` function table "c.t", and functions "c.<name>", defining `funcs` (all of
 * type `types[0]`) exported as "f0", "f1", ….
 */
export function assembleModule(types: FuncType[], imports: { name: string; type: number }[], funcs: FuncDef[], table = false): Uint8Array {
  const out = new Bytes();
  out.pushArray([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const ty = new Bytes();
  uleb(ty, types.length);
  for (const t of types) {
    ty.push(0x60);
    uleb(ty, t.params.length);
    ty.pushArray(t.params);
    uleb(ty, t.results.length);
    ty.pushArray(t.results);
  }
  section(out, 1, ty);
  const im = new Bytes();
  uleb(im, imports.length + (table ? 2 : 1));
  name(im, "c");
  name(im, "m");
  im.pushArray([0x02, 0x00, 0x00]); // memory, limits: min 0, no max
  if (table) {
    name(im, "c");
    name(im, "t");
    im.pushArray([0x01, 0x70, 0x00, 0x00]); // funcref table, limits: min 0, no max
  }
  for (const f of imports) {
    name(im, "c");
    name(im, f.name);
    im.push(0x00);
    uleb(im, f.type);
  }
  section(out, 2, im);
  const fs = new Bytes();
  uleb(fs, funcs.length);
  for (let i = 0; i < funcs.length; i++) uleb(fs, 0);
  section(out, 3, fs);
  const ex = new Bytes();
  uleb(ex, funcs.length);
  funcs.forEach((_, i) => {
    name(ex, `f${i}`);
    ex.push(0x00);
    uleb(ex, imports.length + i);
  });
  section(out, 7, ex);
  const code = new Bytes();
  uleb(code, funcs.length);
  const hinted = new Bytes();
  let nHinted = 0;
  const head = new Bytes();
  for (const [i, f] of funcs.entries()) {
    // The body: its local declarations, its code, End.
    head.length = 0;
    uleb(head, f.locals.length);
    for (const [n, t] of f.locals) {
      uleb(head, n);
      head.push(t);
    }
    if (f.body.hints.length) {
      // Offsets from the start of the body (its local declarations), in increasing order.
      nHinted++;
      uleb(hinted, imports.length + i);
      uleb(hinted, f.body.hints.length);
      for (const [p, h] of f.body.hints) {
        uleb(hinted, head.length + p);
        hinted.push(1);
        hinted.push(h);
      }
    }
    uleb(code, head.length + f.body.b.length + 1);
    code.pushAll(head);
    code.pushAll(f.body.b);
    code.push(Op.End);
  }
  if (nHinted) {
    // Before the code section, as the proposal requires.
    const bh = new Bytes();
    name(bh, "metadata.code.branch_hint");
    uleb(bh, nHinted);
    bh.pushAll(hinted);
    section(out, 0, bh);
  }
  section(out, 10, code);
  return out.bytes();
}
