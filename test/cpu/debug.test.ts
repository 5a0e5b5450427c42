// Self-hosted debug: breakpoints, watchpoints and software step (src/cpu/core/debug.ts).
// The bare-metal guest test/guests/debug.c (with debug-progs.S) runs on our core interpreted, with every block
// compiled before it runs, and with hot blocks compiled, and under qemu-system-aarch64 (the
// reference, which implements these exceptions in TCG): the same console each time, and the
// guest's own checks pass. The tests below it drive the core directly for what QEMU cannot
// show: debug state across saveState/restoreState, an interrupt or a WFI or HVC exit while
// stepping, and a debug-register write switching run loops in the middle of run().
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cpu, ExitReason } from "../../src/cpu/cpu.ts";
import { buildGuest, C_RUNTIME, missingInstructions, runGuest, runGuestQemu } from "../support/baremetal.ts";
import { assemble } from "../support/toolchain.ts";
import { coreModule } from "../../src/host/node/core.ts";

const CODE = 0x4000_0000n;
const DATA = 0x4010_0000n;
const VBAR = 0x4000_0800n;
const K = {
  ELR: 0xc201,
  ESR: 0xc290,
  FAR: 0xc300,
  SPSR: 0xc200,
  VBAR: 0xc600,
  AA64DFR0: 0xc028,
  MDSCR: 0x8012,
  OSLAR: 0x8084,
  OSLSR: 0x808c,
  BVR0: 0x8004,
  BCR0: 0x8005,
  WVR0: 0x8006,
  WCR0: 0x8007,
  BVR6: 0x8034,
} as const;
const MDSCR_SS = 1n;
const MDSCR_KDE = 1n << 13n;
const MDSCR_MDE = 1n << 15n;
const PSTATE_SS = 1 << 21;
/** Vector offsets: current EL with SPx (sync, IRQ), lower EL (sync, IRQ). */
const VEC_CUR_SYNC = 0x200n;
const VEC_LOWER_SYNC = 0x400n;

/** Vector table at VBAR: each entry reports itself with HVC #(offset / 0x80). */
const VECTORS = Array.from({ length: 16 }, (_, i) => `.org ${0x800 + i * 0x80}\n  hvc #${i}`).join("\n");

/** A core with `source` at CODE (EL1h, DAIF masked) and the HVC-reporting vectors. */
function boot(source: string, jitThreshold = 0): Cpu {
  const cpu = new Cpu({ module: coreModule(), ramSize: 4 << 20, jitThreshold });
  cpu.writePhys(CODE, assemble(`${source}\n${VECTORS}\n`));
  cpu.setSysreg(K.VBAR, VBAR);
  cpu.setX(28, DATA);
  cpu.sp = DATA + 0x8_0000n;
  cpu.pc = CODE;
  return cpu;
}

/** ESR_EL1 for an exception class and ISS (IL set). */
const esr = (ec: number, iss: number) => (BigInt(ec) << 26n) | (1n << 25n) | BigInt(iss);

describe("self-hosted debug", () => {
  test("the debug guest: interpreted, every block compiled, hot blocks compiled, and QEMU agree", () => {
    const guest = buildGuest([...C_RUNTIME, "debug.c", "debug-progs.S"]);
    assert.deepEqual(missingInstructions(guest), [], "instructions the decoder does not know");
    const qemu = runGuestQemu(buildGuest([...C_RUNTIME, "debug.c", "debug-progs.S"], { cflags: ["-DQEMU_REF"] }));
    assert.equal(qemu.code, 0, `under QEMU: exit status ${qemu.code} names the failed check in debug.c\n${qemu.console}`);
    assert.match(qemu.console, /^debug: start\n[^]*\ndebug: ok\n$/);
    // Hot blocks compiled: 1000 executions make some of this guest's blocks hot (the default, 10,000, none).
    for (const jitThreshold of [0, 1, 1000]) {
      const r = runGuest(guest, { budget: 20_000_000, jitThreshold });
      assert.equal(r.console, qemu.console, `jitThreshold ${jitThreshold}: the console differs from QEMU's`);
      assert.equal(r.code, 0, `jitThreshold ${jitThreshold}: exit status ${r.code} names the failed check in debug.c`);
      if (jitThreshold) {
        assert.equal(r.cpu.jitStats.errors, 0);
        assert.ok(r.cpu.jitStats.compiled > 0, `jitThreshold ${jitThreshold}: blocks were compiled`);
      }
    }
  });

  test("ID_AA64DFR0_EL1 says what is implemented; the OS lock is open after reset, as KVM resets it", () => {
    const cpu = new Cpu({ module: coreModule(), ramSize: 1 << 20, jitThreshold: 0 });
    assert.equal(cpu.sysreg(K.AA64DFR0), 0x1030_5006n, "DebugVer 6, BRPs 5, WRPs 3, CTX_CMPs 1, no PMU");
    assert.equal(cpu.sysreg(K.OSLSR), 0x8n, "OSLM 0b10, OSLK 0");
    cpu.setSysreg(K.OSLAR, 1n);
    assert.equal(cpu.sysreg(K.OSLSR), 0xan);
    assert.throws(() => cpu.sysreg(K.BVR6), /no system register/, "breakpoint 6 is not implemented");
    cpu.setSysreg(K.MDSCR, (1n << 64n) - 1n);
    assert.equal(cpu.sysreg(K.MDSCR), 0x00e0_f001n, "SS, TDCC, KDE, HDE, MDE, TDA, INTdis");
    cpu.setSysreg(K.WVR0, 0x4000_0007n);
    assert.equal(cpu.sysreg(K.WVR0), 0x4000_0004n, "DBGWVR[1:0] are RES0");
  });

  test("debug registers written by the host, saved and restored into another core, take effect", () => {
    const source = `
      msr daifclr, #8
      mov x1, #5
      str x1, [x28, #8]
    bp:
      hvc #0x77
    `;
    const a = boot(source);
    a.setSysreg(K.MDSCR, MDSCR_MDE | MDSCR_KDE);
    a.setSysreg(K.WVR0, DATA + 8n);
    a.setSysreg(K.WCR0, 1n | (3n << 1n) | (2n << 3n) | (0xffn << 5n)); // E, EL0+EL1, store, 8 bytes
    a.setSysreg(K.BVR0, CODE + 12n);
    a.setSysreg(K.BCR0, 1n | (1n << 1n)); // E, EL1
    const b = boot(source);
    b.restoreState(a.saveState());
    assert.equal(b.run(1000), ExitReason.Hvc);
    assert.equal(b.pc, VBAR + VEC_CUR_SYNC + 4n, "the synchronous vector ran");
    assert.equal(b.sysreg(K.ESR), esr(0x35, 0x62), "a watchpoint on a store");
    assert.equal(b.sysreg(K.FAR), DATA + 8n);
    assert.equal(b.sysreg(K.ELR), CODE + 8n);
    b.setSysreg(K.WCR0, 0n);
    b.pc = b.sysreg(K.ELR);
    b.pstate = Number(b.sysreg(K.SPSR));
    assert.equal(b.run(1000), ExitReason.Hvc);
    assert.equal(b.sysreg(K.ESR), esr(0x31, 0x22), "then the breakpoint");
    assert.equal(b.sysreg(K.ELR), CODE + 12n);
    assert.equal(b.readPhys(DATA + 8n, 1)[0], 5, "the store was made once the watchpoint was gone");
  });

  test("with a breakpoint set, blocks that cannot hit it still run compiled", () => {
    const cpu = boot(
      `
      msr daifclr, #8
      mov x0, #500
    1:
      add x5, x5, #3
      subs x0, x0, #1
      b.ne 1b
      nop
      hvc #0
    `,
      1,
    );
    cpu.setSysreg(K.MDSCR, MDSCR_MDE | MDSCR_KDE);
    cpu.setSysreg(K.BVR0, CODE + 20n);
    cpu.setSysreg(K.BCR0, 1n | (1n << 1n));
    assert.equal(cpu.run(10_000), ExitReason.Hvc);
    assert.equal(cpu.sysreg(K.ESR), esr(0x31, 0x22), "the breakpoint on the NOP");
    assert.equal(cpu.sysreg(K.ELR), CODE + 20n);
    assert.equal(cpu.x(5), 1500n);
    assert.ok(cpu.jitStats.compiled > 0, "the loop was compiled and run");
    assert.equal(cpu.jitStats.errors, 0);
  });

  test("while stepping, a pending interrupt is taken before the stepped instruction (SPSR.SS = 1)", () => {
    const cpu = boot("  mov x0, #1\n  mov x0, #2\n");
    cpu.setSysreg(K.MDSCR, MDSCR_SS);
    cpu.pstate = PSTATE_SS; // EL0t, DAIF clear: active-not-pending
    cpu.setIrqLines(1);
    assert.equal(cpu.run(100), ExitReason.Hvc);
    assert.equal(cpu.exitInfo(0), 9n, "the lower-EL IRQ vector");
    assert.equal(cpu.sysreg(K.ELR), CODE);
    assert.equal(BigInt(cpu.sysreg(K.SPSR)) & BigInt(PSTATE_SS), BigInt(PSTATE_SS));
    cpu.setIrqLines(0);
    cpu.pc = CODE;
    cpu.pstate = PSTATE_SS;
    assert.equal(cpu.run(100), ExitReason.Hvc);
    assert.equal(cpu.exitInfo(0), 8n, "the lower-EL synchronous vector");
    assert.equal(cpu.sysreg(K.ESR), esr(0x32, (1 << 24) | 0x22));
    assert.equal(cpu.sysreg(K.ELR), CODE + 4n);
    assert.equal(cpu.x(0), 1n);
  });

  test("a stepped WFI completes without waiting; a stepped HVC exits with its step exception taken", () => {
    const wfi = boot("  wfi\n  nop\n");
    wfi.setSysreg(K.MDSCR, MDSCR_SS);
    wfi.pstate = PSTATE_SS; // EL0t
    assert.equal(wfi.run(100), ExitReason.Hvc, "no WFI exit");
    assert.equal(wfi.exitInfo(0), 8n);
    assert.equal(wfi.sysreg(K.ESR), esr(0x32, (1 << 24) | 0x22));
    assert.equal(wfi.sysreg(K.ELR), CODE + 4n);

    const hvc = boot("  hvc #0x42\n  nop\n");
    hvc.setSysreg(K.MDSCR, MDSCR_SS | MDSCR_KDE);
    hvc.pstate = 0x5 | PSTATE_SS; // EL1h, D clear: EL1 steps itself
    assert.equal(hvc.run(100), ExitReason.Hvc);
    assert.equal(hvc.exitInfo(0), 0x42n, "the guest's HVC reaches the host");
    assert.equal(hvc.pc, VBAR + VEC_CUR_SYNC, "and the step exception that follows it is taken");
    assert.equal(hvc.sysreg(K.ESR), esr(0x33, (1 << 24) | 0x22));
    assert.equal(hvc.sysreg(K.ELR), CODE + 4n);
    assert.equal(hvc.run(100), ExitReason.Hvc);
    assert.equal(hvc.exitInfo(0), 4n, "the current-EL synchronous vector runs next");
  });

  test("a debug-register write switches run loops within one run(), interpreted and compiled alike", () => {
    const source = `
      mov x0, #300
    1:
      add x5, x5, #1
      subs x0, x0, #1
      b.ne 1b
      msr dbgbcr0_el1, x3
      isb
      msr daifclr, #8
      add x6, x5, #1
    target:
      add x7, x5, #2
      hvc #0
    `;
    const runs = [0, 1].map((jitThreshold) => {
      const cpu = boot(source, jitThreshold);
      cpu.setSysreg(K.MDSCR, MDSCR_MDE | MDSCR_KDE);
      cpu.setSysreg(K.BVR0, CODE + 32n);
      cpu.setX(3, 1n | (1n << 1n));
      assert.equal(cpu.run(10_000), ExitReason.Hvc);
      return {
        vector: cpu.exitInfo(0),
        esr: cpu.sysreg(K.ESR),
        elr: cpu.sysreg(K.ELR),
        x6: cpu.x(6),
        x7: cpu.x(7),
        instret: cpu.instret,
        compiled: cpu.jitStats.compiled,
      };
    });
    assert.equal(runs[0].vector, 4n, "the breakpoint's vector");
    assert.equal(runs[0].esr, esr(0x31, 0x22));
    assert.equal(runs[0].elr, CODE + 32n);
    assert.equal(runs[0].x6, 301n);
    assert.equal(runs[0].x7, 0n, "the breakpointed instruction did not run");
    assert.equal(runs[0].instret, 1n + 900n + 4n + 1n, "every instruction before the breakpoint, then the vector's HVC");
    assert.ok(runs[1].compiled > 0);
    assert.deepEqual({ ...runs[1], compiled: 0 }, { ...runs[0], compiled: 0 });
  });
});
