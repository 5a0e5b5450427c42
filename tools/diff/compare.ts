// Compares our outcome with the oracle's and renders a readable report of a mismatch.
import { disassemble } from "../../src/cpu/disasm/index.ts";
import { type Case, CODE_ADDR, type Outcome, SIGBUS, SIGNAL_NAMES, SIGSEGV } from "./format.ts";

const hex = (v: bigint | number, w = 16) => `0x${v.toString(16).padStart(w, "0")}`;

/**
 * FPCR.Len/Stride (bits 21:20, 18:16) and FPSR.NZCV (bits 31:28) only hold AArch32 FPSCR state:
 * qemu's Cortex-A57 implements AArch32 and keeps them; Dormouse is AArch64-only, where they are RES0.
 */
export const FPCR_AARCH32_ONLY = 0x0037_0000;
export const FPSR_AARCH32_ONLY = 0xf000_0000;

/**
 * qemu-user reports si_addr 0 for a fault at an address at the top of (or beyond) its guest address space
 * (Linux would report the address); there only the signal is compared.
 */
function qemuHidesFault(ref: Outcome, ours: Outcome): boolean {
  return ref.fault === 0n && (ours.fault & 0x00ff_ffff_ffff_ffffn) >= (1n << 47n) - 64n;
}

/** The differences between two outcomes (none: empty). */
export function differences(ref: Outcome, ours: Outcome): string[] {
  const d: string[] = [];
  const refFpcr = (ref.fpcr & ~FPCR_AARCH32_ONLY) >>> 0;
  const refFpsr = (ref.fpsr & ~FPSR_AARCH32_ONLY) >>> 0;
  const sig = (s: number) => SIGNAL_NAMES[s] ?? `signal ${s}`;
  if (ref.sig !== ours.sig) d.push(`end: qemu ${sig(ref.sig)}, ours ${sig(ours.sig)}`);
  if (ref.pc !== ours.pc) d.push(`pc: qemu ${hex(ref.pc)}, ours ${hex(ours.pc)}`);
  if (ref.sig === ours.sig && (ref.sig === SIGSEGV || ref.sig === SIGBUS) && ref.fault !== ours.fault && !qemuHidesFault(ref, ours)) {
    d.push(`fault address: qemu ${hex(ref.fault)}, ours ${hex(ours.fault)}`);
  }
  for (let i = 0; i < 31; i++) if (ref.x[i] !== ours.x[i]) d.push(`x${i}: qemu ${hex(ref.x[i])}, ours ${hex(ours.x[i])}`);
  if (ref.sp !== ours.sp) d.push(`sp: qemu ${hex(ref.sp)}, ours ${hex(ours.sp)}`);
  if (ref.nzcv !== ours.nzcv) d.push(`nzcv: qemu ${hex(ref.nzcv >>> 28, 1)}, ours ${hex(ours.nzcv >>> 28, 1)}`);
  if (refFpsr !== ours.fpsr) d.push(`fpsr: qemu ${hex(refFpsr, 8)}, ours ${hex(ours.fpsr, 8)}`);
  if (refFpcr !== ours.fpcr) d.push(`fpcr: qemu ${hex(refFpcr, 8)}, ours ${hex(ours.fpcr, 8)}`);
  for (let i = 0; i < 32; i++) if (ref.v[i] !== ours.v[i]) d.push(`v${i}: qemu ${hex(ref.v[i], 32)}, ours ${hex(ours.v[i], 32)}`);
  const mem = memDiff(ref.mem, ours.mem);
  if (mem) d.push(mem);
  return d;
}

function memDiff(a: number[], b: number[]): string | null {
  const ma = new Map(a.map((e) => [e >>> 8, e & 0xff]));
  const mb = new Map(b.map((e) => [e >>> 8, e & 0xff]));
  const bad: string[] = [];
  for (const off of new Set([...ma.keys(), ...mb.keys()])) {
    const x = ma.get(off);
    const y = mb.get(off);
    if (x !== y)
      bad.push(
        `+0x${off.toString(16)}: qemu ${x === undefined ? "unchanged" : hex(x, 2)}, ours ${y === undefined ? "unchanged" : hex(y, 2)}`,
      );
  }
  if (!bad.length) return null;
  bad.sort();
  return `data buffer (${bad.length} bytes): ${bad.slice(0, 16).join("; ")}${bad.length > 16 ? "; ..." : ""}`;
}

/** The case's code, one instruction a line, with address, word and disassembly. */
export function listing(c: Case): string {
  return c.code
    .map((w, i) => {
      const pc = CODE_ADDR + BigInt(4 * i);
      return `  ${pc.toString(16)}: ${w.toString(16).padStart(8, "0")}  ${disassemble(w, pc).padEnd(40)} ${c.names[i] ?? ""}`;
    })
    .join("\n");
}

/** The initial state, compactly. */
export function initialState(c: Case): string {
  const xs = c.x.map((v, i) => `x${i}=${hex(v)}`);
  const rows: string[] = [];
  for (let i = 0; i < 31; i += 4) rows.push(`  ${xs.slice(i, i + 4).join(" ")}`);
  rows.push(
    `  sp=${hex(c.sp)} nzcv=${(c.nzcv >>> 28).toString(2).padStart(4, "0")} fpcr=${hex(c.fpcr, 8)} fpsr=${hex(c.fpsr, 8)} data seed=${hex(c.dataSeed, 8)}`,
  );
  for (let i = 0; i < 32; i += 2) rows.push(`  v${i}=${hex(c.v[i], 32)} v${i + 1}=${hex(c.v[i + 1], 32)}`);
  return rows.join("\n");
}

/** An end state: integer registers and flags in full (V registers differ-only in the report). */
export function finalState(o: Outcome): string {
  const xs = o.x.map((v, i) => `x${i}=${hex(v)}`);
  const rows: string[] = [];
  for (let i = 0; i < 31; i += 4) rows.push(`  ${xs.slice(i, i + 4).join(" ")}`);
  rows.push(
    `  sp=${hex(o.sp)} pc=${hex(o.pc)} nzcv=${(o.nzcv >>> 28).toString(2).padStart(4, "0")} fpcr=${hex(o.fpcr, 8)} fpsr=${hex(o.fpsr, 8)}`,
  );
  return rows.join("\n");
}

/** A full report of one mismatching case. */
export function report(title: string, c: Case, ref: Outcome, ours: Outcome): string {
  const diffs = differences(ref, ours);
  return [
    title,
    "code:",
    listing(c),
    "initial state:",
    initialState(c),
    `qemu ended with ${SIGNAL_NAMES[ref.sig] ?? ref.sig} at ${hex(ref.pc)}; ours with ${SIGNAL_NAMES[ours.sig] ?? ours.sig} at ${hex(ours.pc)}${ours.note ? ` (${ours.note})` : ""}`,
    "qemu's end state:",
    finalState(ref),
    "our end state:",
    finalState(ours),
    "differences:",
    ...diffs.map((d) => `  ${d}`),
  ].join("\n");
}
