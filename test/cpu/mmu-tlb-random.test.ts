// Randomised TLB coherence: the host rewrites translation tables (as a guest's stores would),
// the guest performs the invalidation the architecture requires (TLBI VAAE1 of each changed
// page, TLBI VMALLE1 when a table is replaced) or switches TTBR0, and then stores with DC ZVA
// at random addresses. Every store must land where a fresh table walk (Cpu.translate) says,
// or fault exactly when the walk does: nothing stale may survive the invalidation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { guestCpu } from "../support/baremetal.ts";
import { Rng } from "../support/rng.ts";
import { assemble } from "../support/toolchain.ts";

const K = { SCTLR: 0xc080, TTBR0: 0xc100, TCR: 0xc102, MAIR: 0xc510, ESR: 0xc290, FAR: 0xc300 };
const L1 = [0x4020_0000n, 0x4020_1000n];
const L2 = [0x4020_2000n, 0x4020_3000n];
const L3 = [0x4030_0000n, 0x4030_1000n, 0x4030_2000n, 0x4030_3000n];
const PAGE_POOL = 0x4040_0000n; // 512 pages
const BLOCK_POOL = 0x4080_0000n; // 4 blocks of 2 MB
const REGION = 0x4100_0000n; // L2 entries 8..15
const PAGE = 0x403n | (1n << 10n) | (1n << 2n) | (3n << 8n); // valid page, AF, Normal, inner shareable
const BLOCK = 0x401n | (1n << 10n) | (1n << 2n) | (3n << 8n);

const GUEST = `
  adr x0, vectors
  msr vbar_el1, x0
  isb
loop:
  hvc #1
  tbnz x1, #0, 1f
  tbnz x1, #1, 2f
  tbnz x1, #2, 3f
  tbnz x1, #3, 4f
  b loop
1:
  dc zva, x2
  b loop
2:
  dsb ishst
  tlbi vaae1, x2
  dsb ish
  isb
  b loop
3:
  dsb ishst
  tlbi vmalle1
  dsb ish
  isb
  b loop
4:
  msr ttbr0_el1, x2
  isb
  b loop
  .balign 0x800
vectors:
  .rept 16
  .balign 0x80
  hvc #2
  mrs x9, elr_el1
  add x9, x9, #4
  msr elr_el1, x9
  eret
  .endr
`;

test("no stale translation survives TLB maintenance (random table edits, 3000 steps)", () => {
  const cpu = guestCpu();
  const rng = new Rng(0x71b);
  const q = (pa: bigint, v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    cpu.writePhys(pa, b);
  };
  cpu.writePhys(0x4000_0000n, assemble(GUEST));
  for (let t = 0; t < 2; t++) {
    q(L1[t] + 8n, L2[t] | 3n);
    q(L2[t], 0x4000_0000n | BLOCK); // the code, identity
  }
  cpu.setSysreg(K.MAIR, 0xff00n);
  cpu.setSysreg(K.TCR, 25n | (1n << 23n) | (2n << 32n));
  cpu.setSysreg(K.TTBR0, L1[0]);
  cpu.setSysreg(K.SCTLR, cpu.sysreg(K.SCTLR) | 1n);
  cpu.pc = 0x4000_0000n;
  let active = 0;

  /** Runs the guest to its next request (HVC #1); returns the fault it reported, if any. */
  const step = (op: number, arg: bigint): { esr: bigint; far: bigint } | null => {
    cpu.setX(1, BigInt(op));
    cpu.setX(2, arg);
    let fault: { esr: bigint; far: bigint } | null = null;
    for (;;) {
      assert.equal(cpu.run(1000), ExitReason.Hvc);
      if (cpu.exitInfo(0) === 1n) return fault;
      fault = { esr: cpu.sysreg(K.ESR), far: cpu.sysreg(K.FAR) };
    }
  };
  step(0, 0n); // to the first request

  const randomLeaf = (): bigint => {
    const r = rng.below(8);
    if (r === 0) return 0n;
    const pa = PAGE_POOL + BigInt(rng.below(512)) * 0x1000n;
    return r === 1 ? pa | (PAGE & ~(1n << 10n)) : pa | PAGE; // AF clear now and then
  };
  const randomL2 = (): bigint => {
    const r = rng.below(6);
    if (r === 0) return 0n;
    if (r <= 2) return (BLOCK_POOL + BigInt(rng.below(4)) * 0x20_0000n) | BLOCK;
    return L3[rng.below(4)] | 3n;
  };
  // A few pages per 2 MB, so cached translations are used again after the tables change.
  const hot = [0, 1, 2, 3, 255, 256, 510, 511];
  const hotPage = () => hot[rng.below(hot.length)];
  let checked = 0;
  let faults = 0;
  for (let i = 0; i < 3000; i++) {
    const what = rng.below(10);
    if (what < 5) {
      // Rewrite one page descriptor; invalidate every VA that reaches it.
      const t = rng.below(4);
      const idx = hotPage();
      q(L3[t] + BigInt(idx) * 8n, randomLeaf());
      for (let s = 0; s < 2; s++) {
        for (let e = 8; e < 16; e++) {
          const d = new DataView(cpu.readPhys(L2[s] + BigInt(e) * 8n, 8).buffer).getBigUint64(0, true);
          if (d === (L3[t] | 3n)) step(2, (REGION + BigInt(e - 8) * 0x20_0000n + BigInt(idx) * 0x1000n) >> 12n);
        }
      }
    } else if (what < 8) {
      // Replace a level 2 entry: blocks go with a TLBI of any address in them; tables need all.
      const s = rng.below(2);
      const e = 8 + rng.below(8);
      const old = new DataView(cpu.readPhys(L2[s] + BigInt(e) * 8n, 8).buffer).getBigUint64(0, true);
      const next = randomL2();
      q(L2[s] + BigInt(e) * 8n, next);
      if ((old & 3n) === 3n || (next & 3n) === 3n) step(4, 0n);
      else step(2, (REGION + BigInt(e - 8) * 0x20_0000n + BigInt(hotPage()) * 0x1000n) >> 12n);
    } else if (what === 8 && rng.below(4) === 0) {
      active ^= 1;
      step(8, L1[active]);
    }
    // A store at a random address of the region.
    const va = REGION + BigInt(rng.below(8)) * 0x20_0000n + BigInt(hotPage()) * 0x1000n + BigInt(rng.below(64)) * 64n;
    const pa = cpu.translate(va);
    if (pa !== null) cpu.writePhys(pa, new Uint8Array(64).fill(0xa5));
    const fault = step(1, va);
    if (pa === null) {
      assert.ok(fault, `DC ZVA at 0x${va.toString(16)} should fault (step ${i})`);
      assert.equal(fault.far, va);
      faults++;
    } else {
      assert.equal(fault, null, `DC ZVA at 0x${va.toString(16)} faulted (ESR 0x${fault?.esr.toString(16)}), step ${i}`);
      assert.ok(
        cpu.readPhys(pa, 64).every((b) => b === 0),
        `DC ZVA at 0x${va.toString(16)} missed PA 0x${pa.toString(16)} (step ${i})`,
      );
      checked++;
    }
  }
  assert.ok(checked > 500 && faults > 200, `${checked} stores, ${faults} faults`);
});
