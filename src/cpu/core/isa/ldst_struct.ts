// AdvSIMD load/store structures: LD1-LD4/ST1-ST4 (multiple structures), single lanes and
// LD1R-LD4R (Arm ARM C4.1.66). Handlers take the fields of src/cpu/decode/ldst_struct.decode.
//
// Loads gather everything into a scratch area first and write the registers only when no
// access faulted; stores may be partly done when a later access faults (the instruction is
// restarted). Each element is its own access, so Device-memory alignment is per element;
// LD1/ST1 of 8-byte-aligned data use 64-bit accesses (little-endian: the same bytes) when
// the elements are 64-bit or the TLB already maps the range as fast-path RAM (where the
// access size cannot be observed; MMIO sees element-sized accesses).
import { fpCheck, undefinedInstruction } from "../exceptions";
import { read64, write64 } from "../memory";
import { ctl, getX, getXSP, setXSP, vAddr } from "../state";
import { tlbCur } from "../tlb";
import { readScaled, spAligned, writeScaled } from "./ldst_common";

/** Up to four loaded registers (16 bytes each). */
const scratch: usize = memory.data(64);

// @ts-ignore: decorator
@inline function multRpt(opcode: u32): u32 {
  // LD1/ST1 with 4, 3, 1, 2 registers; LD4/LD3/LD2: one repetition. 0 = unallocated.
  switch (opcode) {
    case 0:
    case 4:
    case 7:
    case 8:
      return 1;
    case 2:
      return 4;
    case 6:
      return 3;
    case 10:
      return 2;
    default:
      return 0;
  }
}

// @ts-ignore: decorator
@inline function multSelem(opcode: u32): u32 {
  return opcode == 0 ? 4 : opcode == 4 ? 3 : opcode == 8 ? 2 : 1;
}

/** True when the current TLB has fast-path (RAM) entries for both ends of [va, va + len). */
// @ts-ignore: decorator
@inline function fastRange(va: u64, len: u32, write: bool): bool {
  const end = va + <u64>(len - 1);
  const off: usize = write ? 8 : 0;
  return (
    load<u64>(tlbCur + ((<usize>(va >>> 12) & 1023) << 6) + off) == (va & ~(<u64>0xfff)) &&
    load<u64>(tlbCur + ((<usize>(end >>> 12) & 1023) << 6) + off) == (end & ~(<u64>0xfff))
  );
}

function multiple(L: u32, Q: u32, opcode: u32, size: u32, Rn: u32, Rm: u32, Rt: u32, wback: bool): void {
  const rpt = multRpt(opcode);
  const selem = multSelem(opcode);
  if (rpt == 0 || (size == 3 && Q == 0 && selem != 1)) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn);
  const nregs = rpt * selem;
  const regBytes: u32 = 8 << Q;
  const total: u32 = nregs * regBytes;
  if (selem == 1 && (<u32>address & 7) == 0 && (size == 3 || fastRange(address, total, L == 0))) {
    // LD1/ST1: register j's bytes are memory [j * regBytes, (j + 1) * regBytes).
    if (L) {
      for (let j: u32 = 0; j < nregs; j++) {
        const p = scratch + (<usize>j << 4);
        const a = address + <u64>(j * regBytes);
        store<u64>(p, read64(a));
        if (ctl) return;
        if (Q) {
          store<u64>(p, read64(a + 8), 8);
          if (ctl) return;
        } else {
          store<u64>(p, 0, 8);
        }
      }
    } else {
      for (let j: u32 = 0; j < nregs; j++) {
        const v = vAddr((Rt + j) & 31);
        const a = address + <u64>(j * regBytes);
        write64(a, load<u64>(v));
        if (ctl) return;
        if (Q) {
          write64(a + 8, load<u64>(v, 8));
          if (ctl) return;
        }
      }
    }
  } else {
    const ebytes: u32 = 1 << size;
    const elements: u32 = regBytes >> size;
    let offs: u64 = 0;
    if (L) {
      for (let j: u32 = 0; j < nregs; j++) store<u64>(scratch + (<usize>j << 4), 0, 8);
      for (let r: u32 = 0; r < rpt; r++) {
        for (let e: u32 = 0; e < elements; e++) {
          for (let s: u32 = 0; s < selem; s++) {
            const d = readScaled(address + offs, size);
            if (ctl) return;
            const p = scratch + (<usize>(r + s) << 4) + <usize>(e * ebytes);
            if (size == 3) store<u64>(p, d);
            else if (size == 2) store<u32>(p, <u32>d);
            else if (size == 1) store<u16>(p, <u16>d);
            else store<u8>(p, <u8>d);
            offs += ebytes;
          }
        }
      }
    } else {
      for (let r: u32 = 0; r < rpt; r++) {
        for (let e: u32 = 0; e < elements; e++) {
          for (let s: u32 = 0; s < selem; s++) {
            const p = vAddr((Rt + r + s) & 31) + <usize>(e * ebytes);
            const d: u64 = size == 3 ? load<u64>(p) : size == 2 ? <u64>load<u32>(p) : size == 1 ? <u64>load<u16>(p) : <u64>load<u8>(p);
            writeScaled(address + offs, size, d);
            if (ctl) return;
            offs += ebytes;
          }
        }
      }
    }
  }
  if (L) {
    for (let j: u32 = 0; j < nregs; j++) {
      const p = scratch + (<usize>j << 4);
      const v = vAddr((Rt + j) & 31);
      store<u64>(v, load<u64>(p));
      store<u64>(v, load<u64>(p, 8), 8);
    }
  }
  if (wback) setXSP(Rn, address + (Rm == 31 ? <u64>total : getX(Rm)));
}

export function STn_mult(Q: u32, opcode: u32, size: u32, Rn: u32, Rt: u32): void {
  multiple(0, Q, opcode, size, Rn, 31, Rt, false);
}
export function LDn_mult(Q: u32, opcode: u32, size: u32, Rn: u32, Rt: u32): void {
  multiple(1, Q, opcode, size, Rn, 31, Rt, false);
}
export function STn_mult_post(Q: u32, Rm: u32, opcode: u32, size: u32, Rn: u32, Rt: u32): void {
  multiple(0, Q, opcode, size, Rn, Rm, Rt, true);
}
export function LDn_mult_post(Q: u32, Rm: u32, opcode: u32, size: u32, Rn: u32, Rt: u32): void {
  multiple(1, Q, opcode, size, Rn, Rm, Rt, true);
}

// ---- Single structures and replicate ----------------------------------------------------------

/** LD1R-LD4R: each element is replicated to every lane; Q = 0 clears the upper half. */
function replicate(Q: u32, R: u32, o0: u32, S: u32, size: u32, Rn: u32, Rm: u32, Rt: u32, wback: bool): void {
  if (S) {
    undefinedInstruction();
    return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn);
  const selem: u32 = o0 * 2 + R + 1;
  const ebytes: u32 = 1 << size;
  for (let s: u32 = 0; s < selem; s++) {
    const d = readScaled(address + <u64>(s * ebytes), size);
    if (ctl) return;
    store<u64>(scratch + (<usize>s << 3), d);
  }
  // Replication factor for one 64-bit half: 0x01..01 times the element.
  const mul: u64 = size == 0 ? 0x0101010101010101 : size == 1 ? 0x0001000100010001 : size == 2 ? 0x0000000100000001 : 1;
  for (let s: u32 = 0; s < selem; s++) {
    const half = load<u64>(scratch + (<usize>s << 3)) * mul;
    const v = vAddr((Rt + s) & 31);
    store<u64>(v, half);
    store<u64>(v, Q ? half : 0, 8);
  }
  if (wback) setXSP(Rn, address + (Rm == 31 ? <u64>(selem * ebytes) : getX(Rm)));
}

/** One lane of 1-4 registers; the other lanes (and the upper half) are kept. */
function single(L: u32, Q: u32, R: u32, opcode: u32, S: u32, size: u32, Rn: u32, Rm: u32, Rt: u32, wback: bool): void {
  let scale = opcode >> 1;
  const selem: u32 = (opcode & 1) * 2 + R + 1;
  let index: u32 = 0;
  switch (scale) {
    case 0:
      index = (Q << 3) | (S << 2) | size;
      break;
    case 1:
      if (size & 1) {
        undefinedInstruction();
        return;
      }
      index = (Q << 2) | (S << 1) | (size >> 1);
      break;
    case 2:
      if (size & 2 || (size & 1 && S)) {
        undefinedInstruction();
        return;
      }
      if (size & 1) {
        index = Q;
        scale = 3;
      } else {
        index = (Q << 1) | S;
      }
      break;
    default:
      // opcode 11x is LD1R-LD4R (its own entry) for loads, unallocated for stores.
      undefinedInstruction();
      return;
  }
  if (!fpCheck()) return;
  if (Rn == 31 && !spAligned()) return;
  const address = getXSP(Rn);
  const ebytes: u32 = 1 << scale;
  const lane = <usize>(index << scale);
  if (L) {
    for (let s: u32 = 0; s < selem; s++) {
      const d = readScaled(address + <u64>(s * ebytes), scale);
      if (ctl) return;
      store<u64>(scratch + (<usize>s << 3), d);
    }
    for (let s: u32 = 0; s < selem; s++) {
      const p = vAddr((Rt + s) & 31) + lane;
      const d = load<u64>(scratch + (<usize>s << 3));
      if (scale == 3) store<u64>(p, d);
      else if (scale == 2) store<u32>(p, <u32>d);
      else if (scale == 1) store<u16>(p, <u16>d);
      else store<u8>(p, <u8>d);
    }
  } else {
    for (let s: u32 = 0; s < selem; s++) {
      const p = vAddr((Rt + s) & 31) + lane;
      const d: u64 = scale == 3 ? load<u64>(p) : scale == 2 ? <u64>load<u32>(p) : scale == 1 ? <u64>load<u16>(p) : <u64>load<u8>(p);
      writeScaled(address + <u64>(s * ebytes), scale, d);
      if (ctl) return;
    }
  }
  if (wback) setXSP(Rn, address + (Rm == 31 ? <u64>(selem * ebytes) : getX(Rm)));
}

export function LDnR(Q: u32, R: u32, o0: u32, S: u32, size: u32, Rn: u32, Rt: u32): void {
  replicate(Q, R, o0, S, size, Rn, 31, Rt, false);
}
export function LDnR_post(Q: u32, R: u32, Rm: u32, o0: u32, S: u32, size: u32, Rn: u32, Rt: u32): void {
  replicate(Q, R, o0, S, size, Rn, Rm, Rt, true);
}
export function STn_single(Q: u32, R: u32, opcode: u32, S: u32, size: u32, Rn: u32, Rt: u32): void {
  single(0, Q, R, opcode, S, size, Rn, 31, Rt, false);
}
export function LDn_single(Q: u32, R: u32, opcode: u32, S: u32, size: u32, Rn: u32, Rt: u32): void {
  single(1, Q, R, opcode, S, size, Rn, 31, Rt, false);
}
export function STn_single_post(Q: u32, R: u32, Rm: u32, opcode: u32, S: u32, size: u32, Rn: u32, Rt: u32): void {
  single(0, Q, R, opcode, S, size, Rn, Rm, Rt, true);
}
export function LDn_single_post(Q: u32, R: u32, Rm: u32, opcode: u32, S: u32, size: u32, Rn: u32, Rt: u32): void {
  single(1, Q, R, opcode, S, size, Rn, Rm, Rt, true);
}
