// Code written by the guest runs as soon as the writing vCPU's stores are done, whichever store
// writes it: decoded blocks are checked against their page's code generation, which every store
// to a code page bumps (TLB write protection of code pages, in the interpreter's and the JIT's
// fast paths alike). So IC IALLU need not drop decoded or compiled code that memory still
// matches, and does not: only memory changed behind the core's back (sys-icache.test.ts) makes
// it drop any. Two vCPUs share the core, as on the board: vCPU 0 runs a function until it is
// decoded (and compiled), vCPU 1 rewrites it and vCPU 0 calls it again.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { boot, CODE } from "../support/jit-tiers.ts";
import { encode } from "../support/toolchain.ts";

/** The rewritten function: at a page start, so that a store can cross into it from the page before. */
const F = CODE + 0x1000n;
const WRITER = CODE + 0x400n;
const OLD = encode(["mov x0, #1", "ret", "nop", "nop"]);
const NEW = encode(["mov x0, #2", "ret", "nop", "nop"]);
const dword = (lo: number, hi: number) => BigInt(lo) | (BigInt(hi) << 32n);

/** vCPU 0 calls f (x21) three times, reports at `hvc #1`, then calls it once more and reports at `hvc #2`. */
const program = (store: string, maintenance: string) => `
  mov x19, #3
1:
  blr x21
  subs x19, x19, #1
  b.ne 1b
  add x20, x0, #0
  hvc #1
  blr x21
  hvc #2
.org 0x400
  ${store}
  ${maintenance}
  dsb ish
  isb
  hvc #3
`;

/**
 * Each store kind writes f's first instruction as NEW has it (x1 = f; x2, x3, v0 hold NEW's
 * words, x4 its first word shifted into the upper half) and leaves the rest as it was; DC ZVA
 * zeroes f, whose first word is then UDF #0. `mmu`: only with the MMU on (with it off every data
 * access is Device memory, where a misaligned one faults).
 */
const STORES: { name: string; asm: string; mmu?: boolean; zeroes?: boolean }[] = [
  { name: "STRB", asm: "strb w2, [x1]" },
  { name: "STR (32-bit)", asm: "str w2, [x1]" },
  { name: "STR (64-bit)", asm: "str x5, [x1]" },
  { name: "STP (32-bit pair)", asm: "stp w2, w3, [x1]" },
  { name: "STLR (release)", asm: "stlr w2, [x1]" },
  { name: "STXR (exclusive)", asm: "2:\n  ldxr w6, [x1]\n  stxr w7, w2, [x1]\n  cbnz w7, 2b" },
  { name: "STR (128-bit SIMD&FP)", asm: "str q0, [x1]" },
  { name: "ST1 (structure)", asm: "st1 {v0.16b}, [x1]" },
  { name: "STUR crossing into the page", asm: "stur x4, [x1, #-4]", mmu: true },
  { name: "DC ZVA", asm: "dc zva, x1", zeroes: true },
];

/** Runs vCPU 0 to `hvc #n`; the exit's immediate must be n. */
function runTo(cpu: Cpu, n: number, who: string): void {
  const r = cpu.run(100_000);
  assert.equal(r, ExitReason.Hvc, `${who}: exit ${r} at 0x${cpu.pc.toString(16)}`);
  assert.equal(cpu.exitInfo(0), BigInt(n), `${who}: hvc #${cpu.exitInfo(0)} at 0x${cpu.pc.toString(16)}`);
}

/**
 * vCPU 0 runs f until its blocks are decoded (compiled with jitThreshold 1), vCPU 1 (the same
 * core with vCPU 0's context set aside, as the board switches them) runs `store` and
 * `maintenance`, then vCPU 0 calls f again: returns the core and vCPU 0's state then.
 */
function rewriteFromOtherVcpu(jitThreshold: number, mmu: boolean, store: string, maintenance: string) {
  const cpu = boot(jitThreshold, program(store, maintenance), mmu);
  cpu.writePhys(F, new Uint8Array(new Uint32Array(OLD).buffer));
  cpu.setX(21, F);
  runTo(cpu, 1, "vCPU 0 before");
  assert.equal(cpu.x(20), 1n);
  const compiledBefore = cpu.jitStats.compiled;
  const vcpu0 = cpu.saveContext();
  cpu.pc = WRITER;
  cpu.setX(1, F);
  cpu.setX(2, BigInt(NEW[0]));
  cpu.setX(3, BigInt(NEW[1]));
  cpu.setX(4, BigInt(NEW[0]) << 32n);
  cpu.setX(5, dword(NEW[0], NEW[1]));
  cpu.setV(0, dword(NEW[0], NEW[1]) | (dword(NEW[2], NEW[3]) << 64n));
  runTo(cpu, 3, "vCPU 1");
  cpu.restoreContext(vcpu0);
  const r = cpu.run(100_000);
  return { cpu, r, compiledBefore };
}

describe("code written by another vCPU's stores", () => {
  for (const jitThreshold of [0, 1])
    for (const mmu of [false, true])
      for (const maintenance of ["ic iallu", "ic ialluis", ""])
        for (const s of STORES) {
          if (s.mmu && !mmu) continue;
          const how = `${jitThreshold ? "compiled" : "interpreted"}, MMU ${mmu ? "on" : "off"}, ${maintenance || "no IC maintenance"}`;
          test(`${s.name} (${how})`, () => {
            const { cpu, r } = rewriteFromOtherVcpu(jitThreshold, mmu, s.asm, maintenance);
            assert.equal(r, ExitReason.Hvc, `exit ${r} at 0x${cpu.pc.toString(16)}`);
            if (s.zeroes) {
              // The zeroed f is UDF #0: the synchronous exception from the current EL (VBAR + 0x200).
              assert.equal(cpu.exitInfo(0), 4n);
              assert.equal(cpu.sysreg(0xc290) >> 26n, 0n, "ESR_EL1.EC: unknown reason (UNDEFINED)");
            } else {
              assert.equal(cpu.exitInfo(0), 2n);
              assert.equal(cpu.x(0), 2n, "f runs as rewritten");
            }
            assert.equal(cpu.jitStats.errors, 0);
          });
        }
});

describe("IC IALLU", () => {
  for (const maintenance of ["ic iallu", "ic ialluis"])
    test(`${maintenance} keeps the code compiled from memory it did not change`, () => {
      // vCPU 1 stores to a data page (x28), not to code: vCPU 0 compiles no more blocks than
      // after an IC IVAU of that data page, which leaves vCPU 1's blocks the same shape (the JIT
      // compiles a block when first entered, jitThreshold 1).
      const runs = [maintenance, "ic ivau, x28"].map((m) => rewriteFromOtherVcpu(1, true, "str w2, [x28]", m));
      for (const { cpu, r } of runs) {
        assert.equal(r, ExitReason.Hvc);
        assert.equal(cpu.exitInfo(0), 2n);
        assert.equal(cpu.x(0), 1n, "f is unchanged");
        assert.equal(cpu.jitStats.errors, 0);
      }
      assert.ok(runs[0].compiledBefore > 0);
      assert.equal(runs[0].cpu.jitStats.compiled, runs[1].cpu.jitStats.compiled, "blocks compiled again after IC IALLU");
    });
});
