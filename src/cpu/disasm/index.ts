// The A64 disassembler, generated from the encoding tables.
import { decodeOp, formatOp, OP_NAMES } from "./generated/disasm.gen.js";

/** Disassembles one instruction word at pc, objdump style; unallocated words print as ".inst". */
export function disassemble(word: number, pc = 0n): string {
  const op = decodeOp(word >>> 0);
  const text = op ? formatOp(op, word >>> 0, pc) : null;
  return text ?? `.inst 0x${(word >>> 0).toString(16).padStart(8, "0")} ; undefined`;
}

/** The encoding-table entry name of an instruction word ("UNALLOCATED" when none). */
export function opName(word: number): string {
  return OP_NAMES[decodeOp(word >>> 0)];
}
