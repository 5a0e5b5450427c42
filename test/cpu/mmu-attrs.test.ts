// Hierarchical table attributes and walk controls, with tables written by the host: APTable
// (no EL0 access, read-only), UXNTable and PXNTable on table descriptors, the implicit PXN of
// EL0-writable memory, TTBR1 walks and TCR_EL1.EPD1. Checked with AT (PAR_EL1) and with
// instruction fetches at EL1 and EL0.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { guestCpu } from "../support/baremetal.ts";
import { assemble } from "../support/toolchain.ts";

const K = { SCTLR: 0xc080, TTBR0: 0xc100, TTBR1: 0xc101, TCR: 0xc102, MAIR: 0xc510 };
const GB = 0x4000_0000n;
const L1 = 0x4001_0000n;
const L2 = (n: number) => 0x4001_1000n + BigInt(n) * 0x1000n;
const L1_HI = 0x4001_8000n;
const AF = 1n << 10n;
const NORMAL = (1n << 2n) | (3n << 8n) | AF;
const AP_EL0 = 1n << 6n;
const AP_RO = 1n << 7n;

function q(cpu: Cpu, pa: bigint, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  cpu.writePhys(pa, b);
}

/** Sets up the tables: VA n GB (n = 2..5) goes through a level 2 table with the given table bits onto the code. */
function setup(cpu: Cpu, tcrExtra = 0n): void {
  q(cpu, L1 + 8n, GB | NORMAL | 1n); // the code, identity, EL1 read/write
  const tableBits = [1n << 61n, 1n << 62n, 1n << 60n, 1n << 59n]; // APTable[0], APTable[1], UXNTable, PXNTable
  tableBits.forEach((bits, i) => {
    q(cpu, L1 + 8n * BigInt(2 + i), L2(i) | bits | 3n);
    q(cpu, L2(i), GB | NORMAL | AP_EL0 | AP_RO | 1n); // EL0 and EL1 read-only, executable
  });
  q(cpu, L2(4), GB | NORMAL | AP_EL0 | 1n); // EL0 writable: never executable at EL1
  q(cpu, L1 + 8n * 6n, L2(4) | 3n);
  q(cpu, L1_HI, GB | NORMAL | 1n); // TTBR1: 0xffffff8000000000 -> 1 GB block at the code
  cpu.setSysreg(K.MAIR, 0xff00n);
  cpu.setSysreg(K.TCR, 25n | (25n << 16n) | (2n << 30n) | (2n << 32n) | tcrExtra);
  cpu.setSysreg(K.TTBR0, L1);
  cpu.setSysreg(K.TTBR1, L1_HI);
  cpu.setSysreg(K.SCTLR, cpu.sysreg(K.SCTLR) | 1n);
}

/** Runs code (at EL1, MMU on) that ends with HVC #0; faults record ESR in x19 and resume at x26. */
function run(body: string, tcrExtra = 0n): Cpu {
  const cpu = guestCpu();
  cpu.writePhys(
    GB,
    assemble(`
  adr x0, vectors
  msr vbar_el1, x0
  mov x0, #0x8000
  msr sp_el0, x0
  isb
  ${body}
  hvc #0
f:
  mov x0, #42
  ret
el0_f:
  mov x0, #43
  svc #0
  .balign 0x800
vectors:
  .rept 16
  .balign 0x80
  mrs x19, esr_el1
  mov x9, #0x3c5
  msr spsr_el1, x9
  msr elr_el1, x26
  eret
  .endr
`),
  );
  setup(cpu, tcrExtra);
  cpu.pc = GB;
  assert.equal(cpu.run(10_000), ExitReason.Hvc);
  return cpu;
}

const PAR_FAULT = (fst: bigint) => (1n << 11n) | (fst << 1n) | 1n;
/** Loads n GB into x1. */
const gbToX1 = (n: number) => `movz x1, #${n}\n  lsl x1, x1, #30`;
const at = (op: string, gb: number, reg: number) => `${gbToX1(gb)}\n  at ${op}, x1\n  mrs x${reg}, par_el1`;

test("APTable: [0] removes EL0 access, [1] makes read-only (permission faults at level 2)", () => {
  const cpu = run([at("s1e0r", 2, 10), at("s1e1r", 2, 11), at("s1e1w", 3, 12), at("s1e0r", 3, 13), at("s1e0w", 3, 14)].join("\n  "));
  assert.equal(cpu.x(10), PAR_FAULT(0x0en));
  assert.equal(cpu.x(11) & 1n, 0n);
  assert.equal(cpu.x(12), PAR_FAULT(0x0en));
  assert.equal(cpu.x(13) & 1n, 0n);
  assert.equal(cpu.x(14), PAR_FAULT(0x0en));
});

/** Calls f through VA gb GB at EL1 (x20 = result or 0, x19 = ESR on a fault). */
const callEl1 = (gb: number) => `
  mov x19, #0
  mov x0, #0
  adr x1, f
  movz x3, #${gb}
  bfi x1, x3, #30, #34 // the same offset in the gigabyte at gb GB
  adr x26, 1f
  blr x1
1:
  add x20, x0, #0`;
/** Runs el0_f through VA gb GB at EL0 (x0 = 43 after its SVC, x19 = ESR of what came back). */
const callEl0 = (gb: number) => `
  mov x0, #0
  adr x1, el0_f
  movz x3, #${gb}
  bfi x1, x3, #30, #34 // the same offset in the gigabyte at gb GB
  msr elr_el1, x1
  msr spsr_el1, xzr
  adr x26, 1f
  eret
1:`;

test("UXNTable stops EL0 fetches only; PXNTable stops EL1 fetches only", () => {
  let cpu = run(callEl1(4)); // UXNTable: EL1 runs it
  assert.equal(cpu.x(20), 42n);
  cpu = run(callEl0(4)); // ... EL0 takes a permission fault at level 2 (EC 0x20)
  assert.equal(cpu.x(19), (0x20n << 26n) | (1n << 25n) | 0x0en);
  cpu = run(callEl1(5)); // PXNTable: EL1 takes an instruction abort (EC 0x21)
  assert.equal(cpu.x(19), (0x21n << 26n) | (1n << 25n) | 0x0en);
  cpu = run(callEl0(5)); // ... EL0 runs it and comes back with SVC
  assert.equal(cpu.x(0), 43n);
  assert.equal(cpu.x(19) >> 26n, 0x15n);
});

test("memory writable at EL0 is never executable at EL1", () => {
  const cpu = run(callEl1(6));
  assert.equal(cpu.x(19), (0x21n << 26n) | (1n << 25n) | 0x0en);
});

test("TTBR1 walks for the upper range, and TCR_EL1.EPD1 disables them", () => {
  const body = "movz x1, #0xff80, lsl #32\n  movk x1, #0xffff, lsl #48\n  at s1e1r, x1\n  mrs x10, par_el1";
  let cpu = run(body);
  assert.equal(cpu.x(10) & 0x0000_ffff_ffff_f001n, GB);
  cpu = run(body, 1n << 23n);
  assert.equal(cpu.x(10), PAR_FAULT(0x04n));
});
