// JIT emitters for the AdvSIMD load/store multiple structures LD1-LD4/ST1-ST4, with and without
// post-index (Arm ARM C4.1.66), mirroring `multiple` in src/cpu/core/isa/ldst_struct.ts. The
// whole transfer (at most 64 bytes) goes through BlockCompiler.access: when the TLB's fast
// path covers it, the memory is moved in 16- and 8-byte pieces and LD2-LD4/ST2-ST4 interleave
// the elements with i8x16.shuffle; anything else (a miss, MMIO, a page crossing, a misaligned
// SP, an unallocated form) runs the instruction in the interpreter, element by element.
import { type BlockCompiler, type Emitter, L_ADDR, L_HA, L_V0 } from "./compiler.ts";
import { fld } from "./emit-int.ts";
import { Op, SimdOp } from "./wasm.ts";

/** [registers repeated (rpt), elements per structure (selem)] by opcode; absent: unallocated. */
const MULT: Record<number, [number, number]> = { 0: [1, 4], 2: [4, 1], 4: [1, 3], 6: [3, 1], 7: [1, 1], 8: [1, 2], 10: [2, 1] };

/** A byte of a gather: which source vector (an index into the sources), which byte of it. */
type Lane = [src: number, byte: number];

/**
 * Pushes the v128 whose byte i is `lanes[i]` of the source vectors (v128 locals `srcs`, at most
 * four): one shuffle when two sources hold every byte, otherwise two (or one) shuffles of the
 * first pair and of the rest, and a third that merges them.
 */
function gather(b: BlockCompiler, srcs: number[], lanes: Lane[]): void {
  const c = b.c;
  const used = [...new Set(lanes.map((l) => l[0]))].sort((x, y) => x - y);
  const pick = (pair: number[], ls: Lane[]): number[] => ls.map(([s, y]) => (s === pair[0] ? y : s === pair[1] ? 16 + y : 0));
  if (used.length <= 2) {
    const pair = [used[0], used[1] ?? used[0]];
    const idx = pick(pair, lanes);
    if (used.length === 1 && idx.every((y, i) => y === i)) {
      c.get(srcs[pair[0]]);
      return;
    }
    c.get(srcs[pair[0]]).get(srcs[pair[1]]).shuffle(idx);
    return;
  }
  const first = used.slice(0, 2);
  const rest = used.slice(2);
  c.get(srcs[first[0]]).get(srcs[first[1]]).shuffle(pick(first, lanes));
  if (rest.length === 1) {
    c.get(srcs[rest[0]]);
    c.shuffle(lanes.map(([s, y], i) => (first.includes(s) ? i : 16 + y)));
  } else {
    c.get(srcs[rest[0]]).get(srcs[rest[1]]).shuffle(pick(rest, lanes));
    c.shuffle(lanes.map(([s], i) => (first.includes(s) ? i : 16 + i)));
  }
}

/** LD1-LD4/ST1-ST4 (multiple structures); `post`: the post-index form (Rm = 31: by the size). */
function multiple(b: BlockCompiler, w: number, post: boolean): boolean {
  const Q = fld(w, 30, 1);
  const load = fld(w, 22, 1) === 1;
  const opcode = fld(w, 12, 4);
  const size = fld(w, 10, 2);
  const Rn = fld(w, 5, 5);
  const Rm = fld(w, 16, 5);
  const Rt = fld(w, 0, 5);
  const m = MULT[opcode];
  if (!m) return false;
  const [rpt, selem] = m;
  if (size === 3 && Q === 0 && selem !== 1) return false;
  const c = b.c;
  const regBytes = 8 << Q;
  const nregs = rpt * selem;
  const total = nregs * regBytes;
  const eb = 1 << size;
  const vreg = (j: number): number => (Rt + j) & 31;
  /** Memory pieces of 16 bytes (the last one 8 when the total is not a multiple of 16). */
  const pieces = Math.ceil(total / 16);
  const pieceBytes = (k: number): number => Math.min(16, total - 16 * k);
  b.fp();
  b.xsp(Rn);
  c.set(L_ADDR);
  b.access(total, !load, Rn === 31, post ? [Rn, Rm] : [Rn], () => {
    if (selem === 1) {
      // LD1/ST1: register j's bytes are memory [j * regBytes, (j + 1) * regBytes).
      for (let j = 0; j < nregs; j++) {
        const off = j * regBytes;
        c.get(L_HA);
        if (load) {
          c.simdMem(Q ? SimdOp.V128Load : SimdOp.V128Load64Zero, off);
          b.setV(vreg(j));
        } else if (Q) {
          b.v(vreg(j));
          c.simdMem(SimdOp.V128Store, off);
        } else {
          b.vElem(vreg(j), 3, 0);
          c.mem(Op.I64Store, off);
        }
      }
    } else if (load) {
      // Memory byte (e * selem + s) * eb + y is byte e * eb + y of register s.
      const srcs = Array.from({ length: pieces }, (_, k) => L_V0 + k);
      for (let k = 0; k < pieces; k++) {
        c.get(L_HA);
        c.simdMem(pieceBytes(k) === 16 ? SimdOp.V128Load : SimdOp.V128Load64Zero, 16 * k).set(srcs[k]);
      }
      for (let s = 0; s < selem; s++) {
        const lanes: Lane[] = [];
        for (let i = 0; i < 16; i++) {
          const mb = i < regBytes ? (Math.floor(i / eb) * selem + s) * eb + (i % eb) : 0;
          lanes.push([mb >> 4, mb & 15]);
        }
        gather(b, srcs, lanes);
        b.setVQ(vreg(s), Q);
      }
    } else {
      const srcs = Array.from({ length: selem }, (_, s) => L_V0 + s);
      for (let s = 0; s < selem; s++) b.v(vreg(s)).c.set(srcs[s]);
      for (let k = 0; k < pieces; k++) {
        const lanes: Lane[] = [];
        for (let i = 0; i < 16; i++) {
          const mb = 16 * k + (i < pieceBytes(k) ? i : 0);
          const q = Math.floor(mb / eb);
          lanes.push([q % selem, Math.floor(q / selem) * eb + (mb % eb)]);
        }
        c.get(L_HA);
        gather(b, srcs, lanes);
        if (pieceBytes(k) === 16) c.simdMem(SimdOp.V128Store, 16 * k);
        else {
          c.simd(SimdOp.I64x2ExtractLane);
          c.b.push(0); // lane 0
          c.mem(Op.I64Store, 16 * k);
        }
      }
    }
    if (post) {
      c.get(L_ADDR);
      if (Rm === 31) c.i64(BigInt(total));
      else b.x(Rm);
      c.op(Op.I64Add);
      b.setXSP(Rn);
    }
  });
  return true;
}

/** Structure load/store emitters by op name. */
export const STRUCT_EMITTERS: [string[], Emitter][] = [
  [["LDn_mult", "STn_mult"], (b, w) => multiple(b, w, false)],
  [["LDn_mult_post", "STn_mult_post"], (b, w) => multiple(b, w, true)],
];
