// System registers and exception state through small programs: each test assembles code at
// 0x40000000 with a vector table whose every entry exits to the host with HVC #(0x100 + n),
// so a test sees which exception was taken and inspects ESR/ELR/SPSR from the host.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Cpu, type CpuCallbacks, ExitReason, HostStatus } from "../../src/cpu/cpu.ts";
import { guestCpu } from "../support/baremetal.ts";
import { assemble } from "../support/toolchain.ts";

const K = {
  SCTLR: 0xc080,
  TCR: 0xc102,
  SP_EL0: 0xc208,
  ESR: 0xc290,
  ELR: 0xc201,
  SPSR: 0xc200,
  PAR: 0xc3a0,
  CNTKCTL: 0xc708,
  TPIDRRO: 0xde83,
};

/** Runs `body` (EL1, MMU off); returns the CPU and the vector taken (-1: the final HVC #0). */
function run(body: string, callbacks: CpuCallbacks = {}, setup?: (cpu: Cpu) => void): { cpu: Cpu; vector: number } {
  const cpu = guestCpu(callbacks);
  setup?.(cpu);
  const vectors = Array.from({ length: 16 }, (_, n) => `.balign 0x80\n  hvc #${0x100 + n}`).join("\n");
  const src = `
  adr x0, vectors
  msr vbar_el1, x0
  isb
  ${body}
  hvc #0
  .balign 0x800
vectors:
  ${vectors}
`;
  cpu.writePhys(0x4000_0000n, assemble(src));
  cpu.pc = 0x4000_0000n;
  const r = cpu.run(10_000);
  assert.equal(r, ExitReason.Hvc, `stopped with ${ExitReason[r]} at 0x${cpu.pc.toString(16)}`);
  const imm = Number(cpu.exitInfo(0));
  return { cpu, vector: imm === 0 ? -1 : imm - 0x100 };
}

/** Code that drops to EL0 at label el0 (EL0 code follows, written by the caller). */
const toEl0 = `
  adr x1, el0
  msr elr_el1, x1
  msr spsr_el1, xzr
  mov x1, #0x8000
  msr sp_el0, x1
  eret
el0:
`;

test("SCTLR_EL1 resets as the Cortex-A57's; RES1 bits stay set, EE/E0E stay clear", () => {
  const { cpu } = run(`
  mov x0, #0x3000000     // EE and E0E
  msr sctlr_el1, x0
  mrs x1, sctlr_el1
`);
  assert.equal(cpu.x(1), 0x30d0_0800n);
  cpu.reset();
  assert.equal(cpu.sysreg(K.SCTLR), 0x30d5_0838n);
});

test("TPIDRRO_EL0: written at EL1, read at EL0, UNDEFINED to write at EL0", () => {
  let { cpu, vector } = run(`
  mov x0, #0x1234
  msr tpidrro_el0, x0
  ${toEl0}
  mrs x2, tpidrro_el0
  svc #0
`);
  assert.equal(vector, 8);
  assert.equal(cpu.x(2), 0x1234n);
  ({ cpu, vector } = run(`${toEl0}\n  msr tpidrro_el0, x0`));
  assert.equal(vector, 8);
  assert.equal(cpu.sysreg(K.ESR) >> 26n, 0n);
});

test("generic timer at EL0 follows CNTKCTL_EL1; the GIC CPU interface is UNDEFINED at EL0", () => {
  const reads: number[] = [];
  const callbacks: CpuCallbacks = {
    sysregRead(key) {
      reads.push(key);
      return 0x5555n;
    },
  };
  // CNTKCTL_EL1 = 0: CNTVCT_EL0 traps to EL1 (EC 0x18, Op0 3 Op2 2 Op1 3 CRn 14 Rt 2 CRm 0, read).
  let { cpu, vector } = run(`${toEl0}\n  mrs x2, cntvct_el0`, callbacks);
  assert.equal(vector, 8);
  assert.equal(cpu.sysreg(K.ESR), (0x18n << 26n) | (1n << 25n) | (3n << 20n) | (2n << 17n) | (3n << 14n) | (14n << 10n) | (2n << 5n) | 1n);
  assert.deepEqual(reads, []);
  // EL0VCTEN: allowed, answered by the host.
  ({ cpu, vector } = run(`mov x0, #2\n  msr cntkctl_el1, x0\n${toEl0}\n  mrs x2, cntvct_el0\n  svc #0`, callbacks));
  assert.equal(vector, 8);
  assert.equal(cpu.x(2), 0x5555n);
  assert.deepEqual(reads, [0xdf02]);
  assert.equal(cpu.sysreg(K.CNTKCTL), 2n);
  // ICC_IAR1_EL1 at EL0: UNDEFINED, the host is not asked.
  ({ cpu, vector } = run(`${toEl0}\n  mrs x2, s3_0_c12_c12_0`, callbacks));
  assert.equal(vector, 8);
  assert.equal(cpu.sysreg(K.ESR), 1n << 25n);
  assert.deepEqual(reads, [0xdf02]);
  // At EL1 the host decides (here: UNDEFINED).
  ({ cpu, vector } = run("mrs x2, s3_0_c12_c12_0", { sysregRead: () => HostStatus.Fault }));
  assert.equal(vector, 4);
});

test("FPCR/FPSR accesses take the FP access trap when CPACR_EL1.FPEN disables FP", () => {
  const { cpu, vector } = run("msr cpacr_el1, xzr\n  isb\n  mrs x0, fpcr");
  assert.equal(vector, 4);
  assert.equal(cpu.sysreg(K.ESR), (0x07n << 26n) | (1n << 25n) | (1n << 24n) | (0xen << 20n));
});

test("the host reads and writes SP_EL0 whether or not it is the live stack pointer", () => {
  const { cpu } = run("mov x0, #0x4000\n  msr sp_el0, x0\n  msr spsel, #0\n  mov x0, #0x5000\n  mov sp, x0");
  assert.equal(cpu.sysreg(K.SP_EL0), 0x5000n);
  cpu.setSysreg(K.SP_EL0, 0x6000n);
  assert.equal(cpu.sp, 0x6000n);
  cpu.pstate = 0x3c5; // back on SP_EL1: the bank holds the value
  assert.equal(cpu.sysreg(K.SP_EL0), 0x6000n);
});

test("a legal exception return with SPSR.IL set takes an Illegal Execution state exception", () => {
  const { cpu, vector } = run(`
  mov x0, #0x3c5
  orr x0, x0, #(1 << 20)
  msr spsr_el1, x0
  adr x0, target
  msr elr_el1, x0
  eret
target:
  nop
`);
  assert.equal(vector, 4);
  assert.equal(cpu.sysreg(K.ESR), (0x0en << 26n) | (1n << 25n));
  assert.equal(cpu.sysreg(K.SPSR), 0x1003c5n);
  assert.equal(cpu.sysreg(K.ELR), 0x4000_0000n + 4n * 9n); // "target", not executed
  assert.equal(cpu.pstate & (1 << 20), 0); // IL clear in the handler
});

test("TCR_EL1.IPS bounds output addresses: Address size faults at the level of the descriptor", () => {
  // A level-1 table at 0x40010000: entry 1 maps the code (identity), entry 2 VA 2 GB onto PA 4 GB.
  const prog = (ips: number) => `
  movz x0, #0x4001, lsl #16
  msr ttbr0_el1, x0
  movz x0, #25
  movk x0, #0x80, lsl #16    // EPD1
  movk x0, #${ips}, lsl #32
  msr tcr_el1, x0
  mov x0, #0xff00
  msr mair_el1, x0
  isb
  mrs x0, sctlr_el1
  orr x0, x0, #1
  msr sctlr_el1, x0
  isb
  movz x2, #0x8000, lsl #16
  at s1e1r, x2
  mrs x3, par_el1
  mrs x0, sctlr_el1
  and x0, x0, #~1
  msr sctlr_el1, x0
  isb
`;
  const table = (cpu: Cpu) => {
    const d = new Uint8Array(16);
    new DataView(d.buffer).setBigUint64(0, 0x4000_0000n | 0x405n, true); // AF, AttrIndx 1, block
    new DataView(d.buffer).setBigUint64(8, 0x1_0000_0000n | 0x405n, true);
    cpu.writePhys(0x4001_0008n, d);
  };
  let { cpu, vector } = run(prog(0), {}, table); // 32-bit IPS: Address size fault, level 1
  assert.equal(vector, -1, `ESR 0x${cpu.sysreg(K.ESR).toString(16)} ELR 0x${cpu.sysreg(K.ELR).toString(16)}`);
  assert.equal(cpu.x(3), (1n << 11n) | (0x01n << 1n) | 1n);
  ({ cpu } = run(prog(2), {}, table)); // 40 bits: translates
  assert.equal(cpu.x(3) & 0x0000_ffff_ffff_f001n, 0x1_0000_0000n);
});
