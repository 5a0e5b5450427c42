// Helpers shared by the load/store tests (test/cpu/ldst*.test.ts).
import type { Cpu } from "../../src/cpu/cpu.ts";
import { DATA_BASE, runSnippet, type SnippetInit } from "../support/snippet.ts";

export { DATA_BASE };
export const M64 = (1n << 64n) - 1n;

/** ESR_EL1, FAR_EL1, ELR_EL1, SCTLR_EL1 keys for Cpu.sysreg. */
export const ESR = 0xc290;
export const FAR = 0xc300;
export const ELR = 0xc201;
export const SCTLR = 0xc080;

/** Deterministic test data: byte i is (i * 37 + 11) & 0xff. */
export function pattern(n = 512): Uint8Array {
  const d = new Uint8Array(n);
  for (let i = 0; i < n; i++) d[i] = (i * 37 + 11) & 0xff;
  return d;
}

/** Little-endian value of n bytes of d at off. */
export function le(d: Uint8Array, off: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(d[off + i]);
  return v;
}

/** Sign-extends the low `bits` of v to 64 bits (as an unsigned bigint). */
export function sx(v: bigint, bits: number): bigint {
  return BigInt.asUintN(64, BigInt.asIntN(bits, v));
}

/**
 * Runs `body` with an exception vector table whose EL1h synchronous entry does "hvc #1" and
 * whose lower-EL synchronous entry does "hvc #2": `faulted` says whether an exception was
 * taken (ESR/FAR/ELR tell which), `fromEL0` whether it came from EL0.
 */
export function runTrap(body: string, init: SnippetInit = {}): { cpu: Cpu; faulted: boolean; fromEL0: boolean } {
  const src = `
  b 1f
  .balign 2048
vectors:
  .skip 0x200
  hvc #1
  .skip 0x200 - 4
  hvc #2
  .balign 2048
1:
  adr x27, vectors
  msr vbar_el1, x27
${body}
  hvc #0
`;
  const cpu = runSnippet(src, init);
  const imm = cpu.exitInfo(0);
  return { cpu, faulted: imm === 1n || imm === 2n, fromEL0: imm === 2n };
}

/** Exception class of the last exception taken. */
export function ec(cpu: Cpu): number {
  return Number(cpu.sysreg(ESR) >> 26n) & 0x3f;
}

/** Guest bytes at DATA_BASE + off. */
export function mem(cpu: Cpu, off: number, n: number): Uint8Array {
  return cpu.readPhys(DATA_BASE + BigInt(off), n);
}

/** Offset from DATA_BASE of the level-1 translation table that `MMU_ON` installs. */
export const TABLE_OFF = 0x2_0000;

/**
 * Data for runSnippet with a level-1 table at DATA_BASE + TABLE_OFF (39-bit VAs, 4 KB granule):
 * VA 0x4000_0000 → PA 0x4000_0000 (1 GB, Normal, EL1 only) and VA 0x8000_0000 → PA
 * 0x4000_0000 (Normal, EL0 and EL1 read/write, execute-never). `data` goes at DATA_BASE.
 */
export function mmuData(data: Uint8Array): Uint8Array {
  const d = new Uint8Array(TABLE_OFF + 0x1000);
  d.set(data);
  const dv = new DataView(d.buffer);
  const block = (ap: bigint, xn: bigint) => 0x4000_0000n | (1n << 10n) | (3n << 8n) | (ap << 6n) | xn | 1n;
  dv.setBigUint64(TABLE_OFF + 8, block(0n, 0n), true);
  dv.setBigUint64(TABLE_OFF + 16, block(1n, 3n << 53n), true);
  return d;
}

/** Assembly that turns the MMU on with mmuData's tables (clobbers x9, x10). */
export const MMU_ON = `
  mov x9, #0xff
  msr mair_el1, x9
  mov x9, #25
  orr x9, x9, #0x800000  // EPD1: no TTBR1 walks
  msr tcr_el1, x9
  add x9, x28, #${TABLE_OFF >> 12}, lsl #12
  msr ttbr0_el1, x9
  isb
  mrs x10, sctlr_el1
  orr x10, x10, #1
  msr sctlr_el1, x10
  isb
`;
