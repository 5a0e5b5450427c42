// Runs small A64 snippets on a bare Cpu for unit tests: code at 0x40000000 (EL1, MMU off),
// stopping at the first HVC (the snippet's end marker) or after `budget` instructions.
import { Cpu, type CpuCallbacks, ExitReason } from "../../src/cpu/cpu.ts";
import { assemble } from "./toolchain.ts";
import { coreModule } from "../../src/host/node/core.ts";

export const CODE_BASE = 0x4000_0000n;
/** A scratch data area snippets may use (x28 points here on entry unless set). */
export const DATA_BASE = 0x4010_0000n;

export interface SnippetInit {
  x?: Record<number, bigint>;
  v?: Record<number, bigint>;
  nzcv?: number;
  fpcr?: number;
  sp?: bigint;
  data?: Uint8Array;
}

let shared: Cpu | null = null;

/** A fresh (reset) CPU with 4 MiB of RAM at 0x40000000; FP/SIMD enabled at EL1. */
export function freshCpu(callbacks: CpuCallbacks = {}): Cpu {
  if (!shared) shared = new Cpu({ module: coreModule(), ramSize: 4 << 20 });
  const cpu = shared;
  cpu.setCallbacks(callbacks);
  cpu.reset();
  cpu.ram.fill(0);
  cpu.flushCaches();
  cpu.setSysreg(0xc082, 3n << 20n); // CPACR_EL1.FPEN = 0b11
  return cpu;
}

/** Assembles `source` (append "hvc #0" yourself or rely on the one added), runs it, returns the CPU. */
export function runSnippet(source: string, init: SnippetInit = {}, budget = 100_000): Cpu {
  const cpu = freshCpu();
  const code = assemble(`${source}\n  hvc #0\n`);
  cpu.writePhys(CODE_BASE, code);
  if (init.data) cpu.writePhys(DATA_BASE, init.data);
  cpu.setX(28, DATA_BASE);
  for (const [n, val] of Object.entries(init.x ?? {})) cpu.setX(Number(n), val);
  for (const [n, val] of Object.entries(init.v ?? {})) cpu.setV(Number(n), val);
  if (init.nzcv !== undefined) cpu.nzcv = init.nzcv;
  if (init.fpcr !== undefined) cpu.fpcr = init.fpcr;
  cpu.sp = init.sp ?? DATA_BASE + 0x8_0000n;
  cpu.pc = CODE_BASE;
  const r = cpu.run(budget);
  if (r !== ExitReason.Hvc) {
    throw new Error(
      `snippet stopped with exit ${r} at pc 0x${cpu.pc.toString(16)} (undef count ${cpu.undefCount}, ESR 0x${cpu.sysreg(0xc290).toString(16)})`,
    );
  }
  return cpu;
}
