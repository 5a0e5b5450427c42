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
 * Runs `body` with an exception vector table whose EL1h synchronous entry does "hvc #1":
 * `faulted` says whether an exception was taken (ESR/FAR/ELR tell which).
 */
export function runTrap(body: string, init: SnippetInit = {}): { cpu: Cpu; faulted: boolean } {
  const src = `
  b 1f
  .balign 2048
vectors:
  .skip 0x200
  hvc #1
  .balign 2048
1:
  adr x27, vectors
  msr vbar_el1, x27
${body}
  hvc #0
`;
  const cpu = runSnippet(src, init);
  return { cpu, faulted: cpu.exitInfo(0) === 1n };
}

/** Exception class of the last exception taken. */
export function ec(cpu: Cpu): number {
  return Number(cpu.sysreg(ESR) >> 26n) & 0x3f;
}

/** Guest bytes at DATA_BASE + off. */
export function mem(cpu: Cpu, off: number, n: number): Uint8Array {
  return cpu.readPhys(DATA_BASE + BigInt(off), n);
}
