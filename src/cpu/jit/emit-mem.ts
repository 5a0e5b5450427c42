// JIT emitters for loads and stores of general and SIMD&FP registers (Arm ARM C4.1.66),
// mirroring src/cpu/core/isa/ldst.ts, ldst_reg.ts, ldst_pair.ts and ldst_fp.ts. The access
// itself goes through BlockCompiler.access: a TLB fast-path hit is done inline, anything else
// (miss, MMIO, code page, page crossing, misaligned SP) runs the instruction in the interpreter.
import { type BlockCompiler, type Emitter, L_ADDR, L_HA, L_T1 } from "./compiler.ts";
import { fld, sext } from "./emit-int.ts";
import { Op, SimdOp } from "./wasm.ts";

const LOAD_U = [Op.I64Load8U, Op.I64Load16U, Op.I64Load32U, Op.I64Load];
const LOAD_S = [Op.I64Load8S, Op.I64Load16S, Op.I64Load32S];
const STORE = [Op.I64Store8, Op.I64Store16, Op.I64Store32, Op.I64Store];

type Mode = "uimm" | "simm" | "idx" | "reg" | "lit" | "pair" | "pairidx";

/**
 * Computes the address of a load/store into L_ADDR (and, for the indexed forms, the
 * written-back base into L_T1); false when the encoding is one the interpreter must refuse.
 */
function address(b: BlockCompiler, w: number, mode: Mode, scale: number): boolean {
  const c = b.c;
  const Rn = fld(w, 5, 5);
  switch (mode) {
    case "uimm":
      b.xsp(Rn);
      c.i64(BigInt(fld(w, 10, 12) << scale)).op(Op.I64Add);
      break;
    case "simm":
      b.xsp(Rn);
      c.i64(BigInt(sext(fld(w, 12, 9), 9))).op(Op.I64Add);
      break;
    case "idx":
    case "pairidx": {
      const pre = mode === "idx" ? fld(w, 11, 1) : fld(w, 24, 1);
      const off = mode === "idx" ? sext(fld(w, 12, 9), 9) : sext(fld(w, 15, 7), 7) * (1 << scale);
      b.xsp(Rn);
      c.i64(BigInt(off)).op(Op.I64Add).set(L_T1);
      if (pre) c.get(L_T1);
      else b.xsp(Rn);
      break;
    }
    case "pair":
      b.xsp(Rn);
      c.i64(BigInt(sext(fld(w, 15, 7), 7) * (1 << scale))).op(Op.I64Add);
      break;
    case "reg": {
      const option = fld(w, 13, 3);
      if (!(option & 2)) return false;
      b.xsp(Rn);
      b.x(fld(w, 16, 5));
      if (option === 2) c.i64(0xffffffffn).op(Op.I64And);
      else if (option === 6) c.op(Op.I64Extend32S);
      if (fld(w, 12, 1) && scale) c.i64(BigInt(scale)).op(Op.I64Shl);
      c.op(Op.I64Add);
      break;
    }
    case "lit":
      b.pcPlus(sext(fld(w, 5, 19), 19) * 4);
      break;
  }
  c.set(L_ADDR);
  return true;
}

function modeOf(name: string): Mode {
  if (name.endsWith("_imm")) return "uimm";
  if (name.endsWith("_idx")) return "idx";
  if (name.endsWith("_reg")) return "reg";
  if (name.endsWith("_lit")) return "lit";
  return "simm";
}

/** Writes back the indexed base (L_T1) into Rn. */
function writeback(b: BlockCompiler, w: number, mode: Mode): void {
  if (mode === "idx" || mode === "pairidx") {
    b.c.get(L_T1);
    b.setXSP(fld(w, 5, 5));
  }
}

/** Every general register a load/store names (Rt, Rt2, Rn, Rm): what its slow path may touch. */
const named4 = (w: number): number[] => [fld(w, 0, 5), fld(w, 10, 5), fld(w, 5, 5), fld(w, 16, 5)];

/** LDR/STR/LDUR/STUR (and byte, halfword, signed forms) of a general register. */
function single(b: BlockCompiler, w: number, name: string): boolean {
  const mode = modeOf(name);
  const Rt = fld(w, 0, 5);
  let size: number;
  let opc: number;
  if (mode === "lit") {
    const o = w >>> 30;
    if (o === 3) return true; // PRFM (literal)
    size = o === 0 ? 2 : o === 1 ? 3 : 2;
    opc = o === 2 ? 2 : 1;
  } else {
    size = w >>> 30;
    opc = fld(w, 22, 2);
    if (size === 3 && opc === 2) return mode !== "reg"; // PRFM/PRFUM: no access
    if ((size === 2 && opc === 3) || (size === 3 && opc === 3)) return false;
  }
  if (!address(b, w, mode, size)) return false;
  const c = b.c;
  const Rn = fld(w, 5, 5);
  const spCheck = mode !== "lit" && Rn === 31;
  if (opc === 0) {
    b.access(1 << size, true, spCheck, named4(w), () => {
      c.get(L_HA);
      b.x(Rt);
      c.mem(STORE[size], 0);
      writeback(b, w, mode);
    });
    return true;
  }
  b.access(1 << size, false, spCheck, named4(w), () => {
    c.get(L_HA);
    c.mem(opc === 1 ? LOAD_U[size] : LOAD_S[size], 0);
    if (opc === 3) c.i64(0xffffffffn).op(Op.I64And);
    b.setX(Rt);
    writeback(b, w, mode);
  });
  return true;
}

/** LDP/STP/LDPSW/LDNP/STNP of general registers. */
function pair(b: BlockCompiler, w: number, name: string): boolean {
  const sf = w >>> 31;
  const load = fld(w, 22, 1);
  const signed = name.startsWith("LDPSW");
  const scale = signed ? 2 : 2 + sf;
  const mode: Mode = name.endsWith("_idx") ? "pairidx" : "pair";
  const Rt = fld(w, 0, 5);
  const Rt2 = fld(w, 10, 5);
  const Rn = fld(w, 5, 5);
  address(b, w, mode, scale);
  const c = b.c;
  const sz = 1 << scale;
  if (!load) {
    b.access(2 * sz, true, Rn === 31, named4(w), () => {
      c.get(L_HA);
      b.x(Rt);
      c.mem(STORE[scale], 0);
      c.get(L_HA);
      b.x(Rt2);
      c.mem(STORE[scale], sz);
      writeback(b, w, mode);
    });
    return true;
  }
  const op = signed ? Op.I64Load32S : LOAD_U[scale];
  b.access(2 * sz, false, Rn === 31, named4(w), () => {
    c.get(L_HA).mem(op, sz);
    b.setX(Rt2);
    c.get(L_HA).mem(op, 0);
    b.setX(Rt);
    writeback(b, w, mode);
  });
  return true;
}

/** Copies `1 << scale` bytes from wasm address L_HA + off into Vt, clearing the rest of Vt. */
function loadV(b: BlockCompiler, t: number, scale: number, off: number): void {
  const c = b.c;
  if (scale === 4) {
    c.get(L_HA).simdMem(SimdOp.V128Load, off);
    b.setV(t);
    return;
  }
  c.get(L_HA).mem(LOAD_U[scale], off);
  b.setVLow(t);
}

/** Stores the low `1 << scale` bytes of Vt at wasm address L_HA + off. */
function storeV(b: BlockCompiler, t: number, scale: number, off: number): void {
  const c = b.c;
  c.get(L_HA);
  if (scale === 4) {
    b.v(t);
    c.simdMem(SimdOp.V128Store, off);
    return;
  }
  b.vElem(t, 3, 0);
  c.mem(STORE[scale], off);
}

/** LDR/STR/LDUR/STUR of a SIMD&FP register (not literal). */
function fpSingle(b: BlockCompiler, w: number, name: string): boolean {
  const scale = (fld(w, 23, 1) << 2) | (w >>> 30);
  if (scale > 4) return false;
  const mode = modeOf(name);
  if (mode === "lit") return false;
  if (!address(b, w, mode, scale)) return false;
  b.fp();
  const Rt = fld(w, 0, 5);
  const load = fld(w, 22, 1);
  b.access(1 << scale, !load, fld(w, 5, 5) === 31, named4(w), () => {
    if (load) loadV(b, Rt, scale, 0);
    else storeV(b, Rt, scale, 0);
    writeback(b, w, mode);
  });
  return true;
}

/** LDP/STP/LDNP/STNP of SIMD&FP registers. */
function fpPair(b: BlockCompiler, w: number, name: string): boolean {
  const opc = w >>> 30;
  if (opc === 3) return false;
  const scale = 2 + opc;
  const mode: Mode = name.endsWith("_idx") ? "pairidx" : "pair";
  const load = fld(w, 22, 1);
  const Rt = fld(w, 0, 5);
  const Rt2 = fld(w, 10, 5);
  address(b, w, mode, scale);
  b.fp();
  const sz = 1 << scale;
  b.access(2 * sz, !load, fld(w, 5, 5) === 31, named4(w), () => {
    if (load) {
      // Both elements are read before either register is written (Rt == Rt2 keeps the first).
      if (Rt === Rt2) {
        loadV(b, Rt, scale, 0);
      } else {
        loadV(b, Rt2, scale, sz);
        loadV(b, Rt, scale, 0);
      }
    } else {
      storeV(b, Rt, scale, 0);
      storeV(b, Rt2, scale, sz);
    }
    writeback(b, w, mode);
  });
  return true;
}

const SPLAT = [SimdOp.V128Load8Splat, SimdOp.V128Load16Splat, SimdOp.V128Load32Splat, SimdOp.V128Load64Splat] as const;

/** LD1R (one register; the LD2R-LD4R forms go to the interpreter), with or without post-index. */
function ld1r(b: BlockCompiler, w: number, post: boolean): boolean {
  const Q = fld(w, 30, 1);
  const R = fld(w, 21, 1);
  const o0 = fld(w, 13, 1);
  const S = fld(w, 12, 1);
  const size = fld(w, 10, 2);
  const Rn = fld(w, 5, 5);
  const Rm = fld(w, 16, 5);
  const Rt = fld(w, 0, 5);
  if (S || R || o0) return false;
  const c = b.c;
  b.fp();
  b.xsp(Rn);
  c.set(L_ADDR);
  b.access(1 << size, false, Rn === 31, post ? [Rn, Rm] : [Rn], () => {
    c.get(L_HA).simdMem(SPLAT[size], 0);
    b.setVQ(Rt, Q);
    if (post) {
      c.get(L_ADDR);
      if (Rm === 31) c.i64(BigInt(1 << size));
      else b.x(Rm);
      c.op(Op.I64Add);
      b.setXSP(Rn);
    }
  });
  return true;
}

const named =
  (f: (b: BlockCompiler, w: number, name: string) => boolean, name: string): Emitter =>
  (b, w) =>
    f(b, w, name);

const SINGLE = [
  ...["STRB", "LDRB", "LDRSB", "STRH", "LDRH", "LDRSH", "STR", "LDR", "LDRSW"].flatMap((n) => [`${n}_imm`, `${n}_idx`, `${n}_reg`]),
  "PRFM_imm",
  "PRFUM",
  ...["STURB", "LDURB", "LDURSB", "STURH", "LDURH", "LDURSH", "STUR", "LDUR", "LDURSW"],
  "LDR_lit",
  "LDRSW_lit",
  "PRFM_lit",
];
const PAIR = ["STP", "LDP", "STP_idx", "LDP_idx", "LDPSW", "LDPSW_idx", "STNP", "LDNP"];
const FP_SINGLE = ["STR_fp_imm", "LDR_fp_imm", "STR_fp_idx", "LDR_fp_idx", "STUR_fp", "LDUR_fp", "STR_fp_reg", "LDR_fp_reg"];
const FP_PAIR = ["STP_fp", "LDP_fp", "STP_fp_idx", "LDP_fp_idx", "STNP_fp", "LDNP_fp"];

/** Load/store emitters by op name. */
export const MEM_EMITTERS: [string[], Emitter][] = [
  ...SINGLE.map((n): [string[], Emitter] => [[n], named(single, n)]),
  ...PAIR.map((n): [string[], Emitter] => [[n], named(pair, n)]),
  ...FP_SINGLE.map((n): [string[], Emitter] => [[n], named(fpSingle, n)]),
  ...FP_PAIR.map((n): [string[], Emitter] => [[n], named(fpPair, n)]),
  [["LDnR"], (b, w) => ld1r(b, w, false)],
  [["LDnR_post"], (b, w) => ld1r(b, w, true)],
];
