// Disassembly helpers for the data-processing groups (dp_imm, dp_reg), objdump style.
import { ext, w, x } from "./fmt.ts";

/**
 * The extended-register operand of ADD/ADDS/SUB/SUBS (extended register): "Wm, sxtb #2".
 * UXTW (32-bit) or UXTX (64-bit) prints as "lsl" (omitted when the amount is 0) when the
 * instruction involves SP (`spForm`: Rd or Rn is 31 for ADD/SUB, Rn is 31 for ADDS/SUBS).
 */
export const dpExtOperand = (sf: number, Rm: number, option: number, imm3: number, spForm: boolean): string => {
  const reg = sf && (option & 3) === 3 ? x(Rm) : w(Rm);
  if (spForm && option === (sf ? 3 : 2)) return imm3 ? `${reg}, lsl #${imm3}` : reg;
  return imm3 ? `${reg}, ${ext(option)} #${imm3}` : `${reg}, ${ext(option)}`;
};
