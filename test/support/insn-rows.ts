// Table-driven single-instruction tests: each row is one instruction (assembly text or a raw
// word), its inputs and its expected outputs. The whole table is assembled with one call to the
// assembler, then every row runs on a fresh CPU (EL1, MMU off) up to the HVC placed after it.
import assert from "node:assert/strict";
import { type Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { CODE_BASE, DATA_BASE, freshCpu } from "./snippet.ts";
import { encode } from "./toolchain.ts";

export interface Row {
  /** One instruction in GNU as syntax (or give `word`). */
  asm?: string;
  /** A raw instruction word, for encodings the assembler refuses. */
  word?: number;
  /** Initial general registers (others are 0). */
  x?: Record<number, bigint>;
  /** Initial SP (default: the snippet stack, DATA_BASE + 0x80000). */
  sp?: bigint;
  /** Initial flags as letters, upper case set: "nZCv". */
  nzcv?: string;
  /** Initial flags as a 4-bit value (N = bit 3), alternative to `nzcv`. */
  nzcvBits?: number;
  /** Expected registers after the instruction (number = Xn; "sp"). */
  want?: Partial<Record<number | "sp", bigint>>;
  /** Expected flags as letters, upper case set. */
  flags?: string;
  /** The instruction must take an UNDEFINED exception. */
  undef?: boolean;
  /** Extra checks on the CPU after the instruction. */
  check?: (cpu: Cpu) => void;
}

const HVC0 = 0xd4000002;

/** "nZCv" → NZCV bits 31..28. */
export function parseFlags(s: string): number {
  if (!/^[nN][zZ][cC][vV]$/.test(s)) throw new Error(`bad flags "${s}"`);
  let v = 0;
  for (let i = 0; i < 4; i++) if (s[i] === s[i].toUpperCase()) v |= 8 >> i;
  return (v << 28) >>> 0;
}

/** NZCV bits 31..28 → "nZCv". */
export function showFlags(nzcv: number): string {
  return [..."NZCV"].map((ch, i) => ((nzcv >>> (31 - i)) & 1 ? ch : ch.toLowerCase())).join("");
}

/** Runs one instruction word from the given state; returns the CPU and the run's exit reason. */
export function execWord(word: number, row: Row = {}): { cpu: Cpu; exit: ExitReason } {
  const cpu = freshCpu();
  const code = new Uint8Array(8);
  const dv = new DataView(code.buffer);
  dv.setUint32(0, word >>> 0, true);
  dv.setUint32(4, HVC0, true);
  cpu.writePhys(CODE_BASE, code);
  for (const [n, v] of Object.entries(row.x ?? {})) cpu.setX(Number(n), v);
  if (row.nzcv !== undefined) cpu.nzcv = parseFlags(row.nzcv);
  if (row.nzcvBits !== undefined) cpu.nzcv = (row.nzcvBits << 28) >>> 0;
  cpu.sp = row.sp ?? DATA_BASE + 0x8_0000n;
  cpu.pc = CODE_BASE;
  const exit = cpu.run(row.undef ? 1 : 10);
  return { cpu, exit };
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/**
 * Runs every row and fails once with the list of all mismatches. `prelude` is assembled before
 * the rows (directives such as ".arch armv8-a+crc").
 */
export function runRows(rows: Row[], prelude = ""): void {
  const texts = rows.filter((r) => r.word === undefined).map((r) => r.asm as string);
  const words = texts.length ? encode([prelude, ...texts]) : [];
  assert.equal(words.length, texts.length, "every assembly row must be exactly one instruction");
  let k = 0;
  const bad: string[] = [];
  for (const row of rows) {
    const word = row.word ?? words[k++];
    const name = row.asm ?? `.inst 0x${word.toString(16).padStart(8, "0")}`;
    const inputs = Object.entries(row.x ?? {})
      .map(([n, v]) => `x${n}=${hex(v)}`)
      .join(" ");
    const where = `${name} [${inputs}${row.nzcv ? ` ${row.nzcv}` : ""}${row.sp !== undefined ? ` sp=${hex(row.sp)}` : ""}]`;
    const { cpu, exit } = execWord(word, row);
    if (row.undef) {
      if (cpu.undefCount !== 1) bad.push(`${where}: not UNDEFINED`);
      continue;
    }
    if (exit !== ExitReason.Hvc || cpu.pc !== CODE_BASE + 8n) {
      bad.push(`${where}: stopped with exit ${exit} at 0x${cpu.pc.toString(16)} (undef count ${cpu.undefCount})`);
      continue;
    }
    for (const [key, v] of Object.entries(row.want ?? {})) {
      const got = key === "sp" ? cpu.sp : cpu.x(Number(key));
      if (got !== v) bad.push(`${where}: ${key === "sp" ? "sp" : `x${key}`} = ${hex(got)}, want ${hex(v as bigint)}`);
    }
    if (row.flags !== undefined && cpu.nzcv !== parseFlags(row.flags)) {
      bad.push(`${where}: flags ${showFlags(cpu.nzcv)}, want ${row.flags}`);
    }
    try {
      row.check?.(cpu);
    } catch (e) {
      bad.push(`${where}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(bad, [], `${bad.length} of ${rows.length} rows failed`);
}
