// Fast exits on one thread: SMCCC calls the hypervisor answers are handled inside the core's run
// (no slice ends), a vCPU woken by another one (an SGI to a vCPU waiting in WFI) runs before its
// waker's slice ends, and a vCPU spinning on YIELD or WFE gives the thread to one that wants it.
// Counted in guest instructions or loop iterations (deterministic clock), never in time.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitReason, HostStatus } from "../../src/cpu/cpu.ts";
import { SystemEventType } from "../../src/hv/constants.ts";
import type { Exit } from "../../src/hv/exits.ts";
import type { Vcpu } from "../../src/hv/vcpu.ts";
import { Vm } from "../../src/hv/vm.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { guestCpu } from "../support/baremetal.ts";
import { assemble } from "../support/toolchain.ts";

const CODE = 0x4000_0000n;
const DATA = 0x4010_0000;
const li = (reg: string, v: number) => `movz ${reg}, #${v & 0xffff}\n movk ${reg}, #${(v >>> 16) & 0xffff}, lsl #16\n`;
const SYSTEM_OFF = `${li("x0", 0x8400_0008)}\n hvc #0\n`;

test("an HVC the host answers keeps the core running; without the callout it ends run()", () => {
  const code = assemble(`
    mov x5, #0
  1:mov x0, #7
    hvc #0
    add x5, x5, x0
    cmp x5, #420
    b.lo 1b
    hvc #1
  `);
  let calls = 0;
  const cpu = guestCpu({
    hypercall: (conduit, imm16) => {
      calls++;
      if (imm16 !== 0) return HostStatus.Exit;
      assert.equal(conduit, "hvc");
      cpu.setX(0, 42n);
      return HostStatus.Ok;
    },
  });
  cpu.writePhys(CODE, code);
  cpu.pc = CODE;
  const before = cpu.instret;
  assert.equal(cpu.run(100_000), ExitReason.Hvc);
  assert.equal(cpu.instret - before, 52n, "every instruction retired counted, the HVCs answered inside the run too");
  assert.equal(cpu.exitInfo(0), 1n, "only hvc #1 ends the run");
  assert.equal(cpu.x(5), 420n);
  assert.equal(calls, 11);
  assert.equal(cpu.pc, CODE + BigInt(code.length), "PC past the last HVC");

  const plain = guestCpu({});
  plain.writePhys(CODE, code);
  plain.pc = CODE;
  assert.equal(plain.run(100_000), ExitReason.Hvc);
  assert.equal(plain.exitInfo(0), 0n);
  assert.equal(plain.pc, CODE + 12n);
});

/** Runs every vCPU as the VMM does until one powers the VM off; returns the first vCPU's exit. */
async function runAll(vcpus: Vcpu[]): Promise<Exit> {
  let off: Exit | null = null;
  await Promise.all(
    vcpus.map(async (v) => {
      while (!off) {
        const e = await v.run();
        if (e.reason === "intr") continue;
        if (e.reason === "system_event" && e.type === SystemEventType.SHUTDOWN) {
          off = e;
          for (const o of vcpus) o.kick();
          return;
        }
        throw new Error(`unexpected exit ${e.reason}`);
      }
    }),
  );
  return off as unknown as Exit;
}

test("an SGI to a vCPU waiting in WFI runs it before the sender's slice ends", async () => {
  const IPIS = 2000;
  const vm = new Vm({ host: nodeHost(), ramSize: 16 << 20, clock: "deterministic" });
  const [a, b] = [vm.createVcpu(), vm.createVcpu()];
  a.init();
  b.init();
  const sre = "mrs x0, icc_sre_el1\n orr x0, x0, #1\n msr icc_sre_el1, x0\n isb\n";
  const code = assemble(`
    // vCPU 0: the distributor on, then IPIS SGIs to vCPU 1, counting the spins until each is answered.
    ${sre}
    ${li("x1", 0x0800_0000)}
    mov w0, #0x13
    str w0, [x1]
    ${li("x1", DATA)}
  1:ldr w0, [x1]
    cbz w0, 1b
    mov x19, #${IPIS}
    mov x20, #0
    ${li("x3", 0x0100_0002)}
  2:ldr w4, [x1, #4]
    msr icc_sgi1r_el1, x3
    isb
  3:add x20, x20, #1
    ldr w0, [x1, #4]
    cmp w0, w4
    b.eq 3b
    subs x19, x19, #1
    b.ne 2b
    ${SYSTEM_OFF}
    .balign 0x400
  secondary:
    // vCPU 1: redistributor awake, SGI 1 enabled, then WFI / acknowledge / count.
    ${sre}
    ${li("x1", 0x080c_0014)}
    str wzr, [x1]
    ${li("x1", 0x080d_0000)}
    mov w0, #2
    str w0, [x1, #0x80]
    str w0, [x1, #0x100]
    mov x0, #0xff
    msr icc_pmr_el1, x0
    mov x0, #1
    msr icc_igrpen1_el1, x0
    isb
    ${li("x1", DATA)}
    mov w0, #1
    str w0, [x1]
  4:wfi
    mrs x0, icc_iar1_el1
    cmp x0, #1023
    b.eq 4b
    msr icc_eoir1_el1, x0
    ldr w2, [x1, #4]
    add w2, w2, #1
    str w2, [x1, #4]
    b 4b
  `);
  vm.core.writePhys(CODE, code);
  a.pc = CODE;
  b.pc = CODE + 0x400n;
  const exit = await runAll([a, b]);
  assert.equal(exit.reason, "system_event");
  const done = new DataView(vm.core.readPhys(BigInt(DATA) + 4n, 4).buffer).getUint32(0, true);
  assert.equal(done, IPIS, "every SGI answered");
  // Before, the sender spun out its slice (200,000 instructions, some 66,000 spins) every time.
  const spins = Number(a.x(20)) / IPIS;
  assert.ok(spins < 200, `the sender spun ${spins} times per SGI`);
});

for (const hint of ["yield", "wfe"]) {
  test(`a vCPU spinning on ${hint.toUpperCase()} gives the thread to a vCPU waiting for the host`, async () => {
    const vm = new Vm({ host: nodeHost(), ramSize: 16 << 20, clock: "deterministic" });
    const [a, b] = [vm.createVcpu(), vm.createVcpu()];
    a.init();
    b.init();
    const code = assemble(`
      // vCPU 0: some 4 M instructions (about 20 slices), then the flag, then power off.
      ${li("x19", 2_000_000)}
    1:subs x19, x19, #1
      b.ne 1b
      ${li("x1", DATA)}
      mov w0, #1
      str w0, [x1]
    2:ldr w0, [x1, #4]
      cbz w0, 2b
      ${SYSTEM_OFF}
      .balign 0x400
  secondary:
      // vCPU 1: spins on the hint until the flag is set, counting, then acknowledges.
      ${li("x1", DATA)}
      mov x20, #0
    3:${hint}
      add x20, x20, #1
      ldr w0, [x1]
      cbz w0, 3b
      str w0, [x1, #4]
    4:wfi
      b 4b
    `);
    vm.core.writePhys(CODE, code);
    a.pc = CODE;
    b.pc = CODE + 0x400n;
    await runAll([a, b]);
    // Without giving way it spins out every slice it gets (some 50,000 iterations each).
    const spins = Number(b.x(20));
    assert.ok(spins < 2_000, `the spinning vCPU went round ${spins} times`);
  });
}
