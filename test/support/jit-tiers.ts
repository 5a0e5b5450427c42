// The JIT tier against the interpreter (test/cpu/jit*.test.ts): the same guest code run with
// every block compiled before its first execution (jitThreshold 1) and with none compiled (0).
import assert from "node:assert/strict";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { coreModule } from "../../src/host/node/core.ts";
import { assemble } from "./toolchain.ts";

export const CODE = 0x4000_0000n;
export const DATA = 0x4010_0000n;
export const VBAR = 0x4000_0800n;
const K_ELR = 0xc201;
const K_ESR = 0xc290;
const K_VBAR = 0xc600;
const K_SCTLR = 0xc080;
const K_TTBR0 = 0xc100;
const K_TCR = 0xc102;
const K_MAIR = 0xc510;

/** Vector table at VBAR: each entry reports itself with HVC #(offset / 0x80). */
const VECTORS = Array.from({ length: 16 }, (_, i) => `.org ${0x800 + i * 0x80}\n  hvc #${i}`).join("\n");

/** Where `mmu` puts its level-1 table (outside the DATA page that state() compares). */
const TABLE = DATA + 0x1_0000n;

/**
 * A CPU at EL1h running `source` from CODE, the vectors at VBAR, FP/SIMD enabled, x28 = DATA.
 * With `mmu`, stage 1 is on with RAM identity-mapped as Normal memory (one 1 GiB block, EL1
 * only): with the MMU off every data access is Device memory, which compiled code always hands
 * to the interpreter, so only then do the JIT's inline TLB fast paths run.
 */
export function boot(jitThreshold: number, source: string, mmu = false): Cpu {
  const cpu = new Cpu({ module: coreModule(), ramSize: 4 << 20, jitThreshold });
  cpu.writePhys(CODE, assemble(`${source}\n${VECTORS}\n`));
  cpu.setSysreg(K_VBAR, VBAR);
  cpu.setSysreg(0xc082, 3n << 20n); // CPACR_EL1.FPEN: FP/SIMD at EL1
  cpu.setX(28, DATA);
  cpu.sp = DATA + 0x8_0000n;
  cpu.pc = CODE;
  if (mmu) {
    const table = new Uint8Array(4096);
    // Entry 1 (VA 0x4000_0000): a block, AF, inner shareable, AttrIndx 0, AP = EL1 read/write.
    new DataView(table.buffer).setBigUint64(8, 0x4000_0000n | (1n << 10n) | (3n << 8n) | 1n, true);
    cpu.writePhys(TABLE, table);
    cpu.setSysreg(K_MAIR, 0xffn);
    // T0SZ 25 (a 39-bit VA, walks start at level 1), 4K granule, write-back inner shareable walks, no TTBR1 walks.
    cpu.setSysreg(K_TCR, 25n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 23n));
    cpu.setSysreg(K_TTBR0, TABLE);
    cpu.setSysreg(K_SCTLR, cpu.sysreg(K_SCTLR) | 1n);
  }
  return cpu;
}

/** The architectural state both tiers must agree on. */
export function state(cpu: Cpu) {
  return {
    x: Array.from({ length: 31 }, (_, i) => cpu.x(i)),
    sp: cpu.sp,
    pc: cpu.pc,
    nzcv: cpu.nzcv,
    instret: cpu.instret,
    elr: cpu.sysreg(K_ELR),
    esr: cpu.sysreg(K_ESR),
    data: Buffer.from(cpu.readPhys(DATA, 4096)).toString("hex"),
  };
}

/** Runs the source on both tiers until HVC; returns both states and the JIT's CPU. */
export function both(source: string, budget = 1_000_000, mmu = false) {
  const out = [0, 1].map((th) => {
    const cpu = boot(th, source, mmu);
    const r = cpu.run(budget);
    assert.equal(r, ExitReason.Hvc, `threshold ${th}: exit ${r} at 0x${cpu.pc.toString(16)}`);
    return { cpu, s: state(cpu) };
  });
  assert.equal(out[1].cpu.jitStats.errors, 0, String((out[1].cpu as unknown as { jit: { lastError: unknown } }).jit.lastError));
  assert.ok(out[1].cpu.jitStats.compiled > 0);
  return { interp: out[0].s, jit: out[1].s, cpu: out[1].cpu };
}
