// Register-bank helpers shared by the GICD and GICR frames: the bit-per-interrupt and
// byte-per-interrupt register families, over a lookup from INTID to interrupt state.
import type { IrqState } from "./gic.ts";

export type IrqLookup = (intid: number) => IrqState | null;

/** Reads a 1-bit-per-interrupt register word (32 interrupts from `first`). */
export function readBits(lookup: IrqLookup, first: number, get: (s: IrqState) => boolean): number {
  let v = 0;
  for (let i = 0; i < 32; i++) {
    const s = lookup(first + i);
    if (s && get(s)) v |= 1 << i;
  }
  return v >>> 0;
}

/** Applies a set- or clear-style write to a 1-bit-per-interrupt register word. */
export function writeBits(lookup: IrqLookup, first: number, value: number, apply: (s: IrqState, bit: boolean) => void): void {
  for (let i = 0; i < 32; i++) {
    const s = lookup(first + i);
    if (s) apply(s, ((value >>> i) & 1) === 1);
  }
}

/** Reads `size` bytes of priorities starting at INTID `first`. */
export function readPriorities(lookup: IrqLookup, first: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v |= (lookup(first + i)?.priority ?? 0) << (8 * i);
  return v >>> 0;
}

/** Writes `size` bytes of priorities (the low 5 bits are RAZ/WI: 32 priority levels). */
export function writePriorities(lookup: IrqLookup, first: number, size: number, value: number): void {
  for (let i = 0; i < size; i++) {
    const s = lookup(first + i);
    if (s) s.priority = (value >>> (8 * i)) & 0xf8;
  }
}

/** ICFGR: two bits per interrupt, bit 1 = edge. SGIs are always edge (read-only). */
export function readConfig(lookup: IrqLookup, first: number): number {
  let v = 0;
  for (let i = 0; i < 16; i++) if (lookup(first + i)?.edge) v |= 2 << (2 * i);
  return v >>> 0;
}

export function writeConfig(lookup: IrqLookup, first: number, value: number): void {
  for (let i = 0; i < 16; i++) {
    const intid = first + i;
    const s = lookup(intid);
    if (s && intid >= 16) s.edge = ((value >>> (2 * i + 1)) & 1) === 1;
  }
}

/** GICD/GICR_PIDR2: ArchRev = 3 (GICv3). */
export const PIDR2_GICV3 = 0x3b;
/** GICD_IIDR / GICR_IIDR: implementer 0x43B (Arm), as KVM reports. */
export const IIDR = 0x0300_043b;
