// Every multi-access load/store form aimed at a device performs each access exactly once, in
// program order, with the right size (the forms and their accesses: mmio-multi-cases.ts). A
// bare-metal guest built at test time runs each form against a device that logs every access,
// on a Vm whose device is served by the VMM through `mmio` exits, by the hypervisor itself
// (no exits), or split between the two (accesses below SPLIT answered in the hypervisor, the
// rest through exits, so a resumed instruction mixes both); interpreted and with every block
// compiled before it runs. The log and the registers each form leaves are checked against
// the expectation; an interrupt raised by the device at an instruction's first access is taken
// after the instruction, and a fault on a later access leaves the earlier ones done once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SystemEventType } from "../../src/hv/constants.ts";
import type { Exit } from "../../src/hv/exits.ts";
import type { Vcpu } from "../../src/hv/vcpu.ts";
import { type MmioDevice, Vm } from "../../src/hv/vm.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { buildGuest } from "../support/baremetal.ts";
import { symbolAddress } from "../support/guests.ts";
import {
  type Access,
  BAD_MARK,
  BASE,
  CASES,
  DEV,
  DEV_SPI,
  devRead,
  expectedAccesses,
  IRQ_MARK,
  MARK,
  type MmioCase,
  NORMAL_VA,
  VI,
  XI,
} from "./mmio-multi-cases.ts";

/** Where each case's registers (x0..x4, x20, q0..q3), ESR, FAR, ELR and interrupt flag go. */
const RESULTS = 0x4010_0000n;
const STRIDE = 0xa0;
/** Split routing: offsets below this are answered in the hypervisor, the rest by exits. */
const SPLIT = 0x108;

/** The base register of a case. */
const baseOf = (c: MmioCase) => c.va ?? DEV + BigInt(c.at ?? BASE);

/** Builds an assembly guest entered at `_start` (0x40000000) from its lines. */
function asmGuest(name: string, lines: string[]) {
  const head = ['#include "bm-asm.h"', '  .section .text.boot, "ax"', "  .globl _start", "_start:"];
  return buildGuest([], { extra: { [name]: `${[...head, ...lines].join("\n")}\n` } });
}

/** The guest's lines: for each case, mark it, load the initial registers, run the form, dump the registers. */
function guestLines(): string[] {
  const out: string[] = [
    "  MOV64 x9, (3 << 20)",
    "  msr cpacr_el1, x9", // FP/SIMD on at EL1
    "  adr x9, vectors",
    "  msr vbar_el1, x9",
    "  isb",
    `  MOV64 x21, ${DEV}`,
    `  MOV64 x22, ${RESULTS}`,
    // GICv3: SPI DEV_SPI in group 1, priority 0x80, routed to this CPU, enabled; PMR open.
    "  MOV64 x9, 0x08000000",
    "  mov w10, #0x12",
    "  str w10, [x9]", // GICD_CTLR: ARE_NS, EnableGrp1NS
    `  ldr w10, [x9, #${0x80 + 4 * (DEV_SPI >> 5)}]`,
    `  orr w10, w10, #${1 << (DEV_SPI & 31)}`,
    `  str w10, [x9, #${0x80 + 4 * (DEV_SPI >> 5)}]`,
    "  mov w10, #0x80",
    `  str w10, [x9, #${0x400 + (DEV_SPI & ~3)}]`,
    "  add x11, x9, #0x6000",
    `  str xzr, [x11, #${8 * DEV_SPI}]`,
    `  mov w10, #${1 << (DEV_SPI & 31)}`,
    `  str w10, [x9, #${0x100 + 4 * (DEV_SPI >> 5)}]`,
    "  mov x10, #0xff",
    "  msr s3_0_c4_c6_0, x10", // ICC_PMR_EL1
    "  mov x10, #1",
    "  msr s3_0_c12_c12_7, x10", // ICC_IGRPEN1_EL1
    "  isb",
  ];
  let mmuOn = false;
  CASES.forEach((c, k) => {
    out.push(`  // case ${k}: ${c.name}`);
    if (c.mmu && !mmuOn) {
      out.push("  MMU_ON l1");
      mmuOn = true;
    }
    out.push(`  mov w9, #${k + 1}`, `  str w9, [x21, #${MARK}]`, "  bl init_regs");
    out.push(`  MOV64 x20, ${baseOf(c)}`, `  MOV64 x23, ${RESULTS + BigInt(k * STRIDE)}`);
    if (c.irq) out.push("  msr daifclr, #2");
    out.push(`insn_${k}:`, `  ${c.asm}`);
    if (c.irq) {
      // Wait for the interrupt (a bounded number of iterations), then mask it again.
      out.push("  MOV64 x10, 100000", "1: ldr w9, [x23, #136]", "  cbnz w9, 2f", "  subs x10, x10, #1", "  b.ne 1b", "2: msr daifset, #2");
    }
    out.push("  bl dump");
  });
  out.push(
    "poweroff:",
    "  movz x0, #8",
    "  movk x0, #0x8400, lsl #16", // PSCI SYSTEM_OFF
    "  hvc #0",
    "  b .",
    "init_regs:",
    "  adr x9, initial",
    "  ldp x0, x1, [x9]",
    "  ldp x2, x3, [x9, #16]",
    "  ldp x4, x5, [x9, #32]",
    "  ldp q0, q1, [x9, #48]",
    "  ldp q2, q3, [x9, #80]",
    "  ret",
    "dump:",
    "  stp x0, x1, [x23]",
    "  stp x2, x3, [x23, #16]",
    "  stp x4, x20, [x23, #32]",
    "  stp q0, q1, [x23, #48]",
    "  stp q2, q3, [x23, #80]",
    "  ret",
    // A synchronous exception records ESR, FAR and ELR in the case's slot and skips the instruction.
    "sync_handler:",
    "  mrs x9, esr_el1",
    "  str x9, [x23, #112]",
    "  mrs x9, far_el1",
    "  str x9, [x23, #120]",
    "  mrs x9, elr_el1",
    "  str x9, [x23, #128]",
    "  add x9, x9, #4",
    "  msr elr_el1, x9",
    "  eret",
    // The interrupt: acknowledged, reported to the device (which lowers its line), flagged.
    "irq_handler:",
    "  mrs x9, s3_0_c12_c12_0", // ICC_IAR1_EL1
    `  str w9, [x21, #${IRQ_MARK}]`,
    "  msr s3_0_c12_c12_1, x9", // ICC_EOIR1_EL1
    "  mov w9, #1",
    "  str w9, [x23, #136]",
    "  eret",
    "bad:",
    `  str w9, [x21, #${BAD_MARK}]`,
    "  b poweroff",
    "  .balign 16",
    "initial:",
    ...XI.map((x) => `  .quad ${x}`),
    ...VI.flatMap((v) => [`  .quad ${v & ((1n << 64n) - 1n)}`, `  .quad ${v >> 64n}`]),
    "  .balign 0x800",
    "vectors:",
  );
  for (let n = 0; n < 16; n++) {
    out.push("  .balign 0x80");
    if (n === 4) out.push("  b sync_handler");
    else if (n === 5) out.push("  b irq_handler");
    else out.push(`  mov w9, #${0xe0 + n}`, "  b bad");
  }
  // Page tables for the MMU cases: RAM (1 GB block at 0x40000000), the device window as one
  // Device-nGnRnE page with the page after it unmapped, and as two Normal pages at NORMAL_VA.
  const dev = Number(DEV);
  const normal = Number(NORMAL_VA);
  out.push(
    '  .section .data.pagetables, "aw"',
    "  .balign 4096",
    "l1:",
    "  .quad l2 + PTE_TABLE",
    "  .quad 0x40000000 + NORMAL_BLOCK",
    "  .fill 510, 8, 0",
    "l2:",
    `  .fill ${dev >> 21}, 8, 0`,
    "  .quad l3 + PTE_TABLE",
    `  .fill ${(normal >> 21) - (dev >> 21) - 1}, 8, 0`,
    "  .quad l3n + PTE_TABLE",
    `  .fill ${511 - (normal >> 21)}, 8, 0`,
    "l3:",
    `  .quad ${dev} + (PTE_PAGE | PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)`,
    "  .fill 511, 8, 0",
    "l3n:",
    `  .quad ${dev} + NORMAL_PAGE`,
    `  .quad ${dev} + NORMAL_PAGE`,
    "  .fill 510, 8, 0",
  );
  return out;
}

const guest = asmGuest("mmio-multi.S", guestLines());

type Route = "vmm" | "hypervisor" | "split";

/** The test device: logs every access; reads return devRead of the current case (set by MARK writes). */
class LoggingDevice implements MmioDevice {
  readonly log: Access[] = [];
  private epoch = 0;
  private raised = false;
  constructor(private readonly vm: Vm) {}
  private access(a: Access): void {
    this.log.push(a);
    if (a.off === MARK) {
      this.epoch = Number(a.value);
      this.raised = false;
    } else if (a.off === IRQ_MARK) this.vm.setIrqLine(DEV_SPI, false);
    else if (CASES[this.epoch - 1]?.irq && !this.raised) {
      this.raised = true;
      this.vm.setIrqLine(DEV_SPI, true);
    }
  }
  read(off: number, size: number): bigint {
    const value = devRead(this.epoch, off, size);
    this.access({ off, size, write: false, value });
    return value;
  }
  write(off: number, size: number, value: bigint): void {
    this.access({ off, size, write: true, value });
  }
}

/** Runs the vCPU to its SYSTEM_OFF, serving the device's exits; returns the number of exits. */
async function serve(v: Vcpu, dev: LoggingDevice): Promise<number> {
  let exits = 0;
  for (;;) {
    const e: Exit = await v.run();
    if (e.reason === "system_event" && e.type === SystemEventType.SHUTDOWN) return exits;
    assert.equal(e.reason, "mmio", `unexpected exit ${JSON.stringify(e, (_k, x) => (typeof x === "bigint" ? x.toString(16) : x))}`);
    if (e.reason !== "mmio") return exits;
    const off = Number(e.phys - DEV);
    assert.ok(off >= 0 && off < 0x1000, `exit outside the device: 0x${e.phys.toString(16)}`);
    // Bounded: a livelock fails here instead of hanging.
    assert.ok(++exits < 5000, "too many MMIO exits");
    if (e.write) dev.write(off, e.size, e.data);
    else v.completeMmio(dev.read(off, e.size));
  }
}

const show = (a: Access) => `${a.write ? "w" : "r"} 0x${a.off.toString(16)}/${a.size} = 0x${a.value.toString(16)}`;
const u64 = (b: Uint8Array, o: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);

async function runAll(route: Route, jitThreshold: number): Promise<void> {
  const vm = new Vm({ host: nodeHost(), ramSize: 16 << 20, clock: "deterministic", jitThreshold });
  const v = vm.createVcpu();
  v.init();
  const dev = new LoggingDevice(vm);
  if (route === "hypervisor") vm.addMmioDevice(DEV, 0x1000n, dev);
  if (route === "split") vm.addMmioDevice(DEV, BigInt(SPLIT), dev);
  vm.core.writePhys(0x4000_0000n, guest.image);
  v.pc = guest.entry;
  const exits = await serve(v, dev);

  assert.deepEqual(dev.log.filter((a) => a.off === BAD_MARK).map(show), [], "an unexpected exception (0xe0 + vector entry)");
  const perCase: Access[][] = CASES.map(() => []);
  let k = -1;
  for (const a of dev.log) {
    if (a.off === MARK) k = Number(a.value) - 1;
    else perCase[k].push(a);
  }
  CASES.forEach((c, i) => {
    const want = expectedAccesses(c, i + 1);
    if (c.irq) want.push({ off: IRQ_MARK, size: 4, write: true, value: BigInt(DEV_SPI) });
    assert.deepEqual(perCase[i].map(show), want.map(show), `${c.name}: the device's accesses`);

    const rd = want.filter((a) => !a.write).map((a) => a.value);
    const r = c.regs?.(rd) ?? {};
    const slot = vm.core.readPhys(RESULTS + BigInt(i * STRIDE), STRIDE);
    const got = {
      x: [0, 1, 2, 3, 4].map((n) => u64(slot, 8 * n)),
      x20: u64(slot, 40),
      v: [0, 1, 2, 3].map((n) => u64(slot, 48 + 16 * n) | (u64(slot, 56 + 16 * n) << 64n)),
      esr: u64(slot, 112),
      far: u64(slot, 120),
      elr: u64(slot, 128),
      irq: u64(slot, 136),
    };
    const expect = {
      x: [0, 1, 2, 3, 4].map((n) => r.x?.[n] ?? XI[n]),
      x20: r.x20 ?? baseOf(c),
      v: [0, 1, 2, 3].map((n) => r.v?.[n] ?? VI[n]),
      // A data abort from the current EL, translation fault at level 3, FAR the first unmapped byte.
      esr: c.abort ? (0x25n << 26n) | (1n << 25n) | (c.abort.write ? 1n << 6n : 0n) | 0x07n : 0n,
      far: c.abort ? DEV + 0x1000n : 0n,
      elr: c.abort ? symbolAddress(guest.elf, `insn_${i}`) : 0n,
      irq: c.irq ? 1n : 0n,
    };
    assert.deepEqual(got, expect, `${c.name}: registers`);
  });
  const viaExits = dev.log.filter((a) => route === "vmm" || (route === "split" && a.off >= SPLIT)).length;
  assert.equal(exits, viaExits, "one exit per access the VMM serves");
  if (jitThreshold === 1) assert.ok(vm.core.jitStats.compiled > 0, "blocks were compiled");
}

for (const jitThreshold of [0, 1]) {
  for (const route of ["vmm", "hypervisor", "split"] as const) {
    test(`multi-access forms on a device served by the ${route}, ${jitThreshold ? "every block compiled" : "interpreted"}`, () =>
      runAll(route, jitThreshold));
  }
}

// ---- The exit protocol around a stopped instruction ----------------------------------------

/** A vCPU at code that runs `body` (x20 = DEV + BASE) and powers off, with a logging device behind exits. */
function small(body: string) {
  const vm = new Vm({ host: nodeHost(), ramSize: 16 << 20, clock: "deterministic" });
  const v = vm.createVcpu();
  v.init();
  const g = asmGuest("mmio-small.S", [
    `  MOV64 x20, ${DEV + BigInt(BASE)}`,
    body,
    "  movz x0, #8",
    "  movk x0, #0x8400, lsl #16",
    "  hvc #0",
    "  b .",
  ]);
  vm.core.writePhys(0x4000_0000n, g.image);
  v.pc = g.entry;
  return { vm, v, dev: new LoggingDevice(vm) };
}

test("a kick after an MMIO exit completes the instruction first; save waits for it", async () => {
  const { v, dev } = small("  mov x0, #0x11\n  mov x1, #0x22\n  stp x0, x1, [x20]\nafter:");
  const first = await v.run();
  assert.deepEqual(first, { reason: "mmio", phys: DEV + BigInt(BASE), size: 8, write: true, data: 0x11n });
  dev.write(BASE, 8, 0x11n);
  assert.throws(() => v.save(), { errno: "EBUSY" });
  v.kick();
  // The STP's second access comes before the kick is honoured (as KVM_RUN completes MMIO first).
  assert.deepEqual(await v.run(), { reason: "mmio", phys: DEV + BigInt(BASE + 8), size: 8, write: true, data: 0x22n });
  dev.write(BASE + 8, 8, 0x22n);
  assert.deepEqual(await v.run(), { reason: "intr" });
  assert.equal(v.pc, 0x4000_0000n + 4n * 7n, "the STP retired");
  assert.doesNotThrow(() => v.save());
  assert.deepEqual(await v.run(), { reason: "system_event", type: SystemEventType.SHUTDOWN, ndata: 1, data: [0n] });
  assert.deepEqual(dev.log.map(show), ["w 0x100/8 = 0x11", "w 0x108/8 = 0x22"]);
});

test("a stopped instruction's record is never replayed into another instruction", async () => {
  // Two identical LDPs: the VMM moves the PC from the first, stopped at its second read, to the
  // second; its reads must both reach the device.
  const { v, dev } = small("first:\n  ldp x2, x3, [x20]\n  b .\nsecond:\n  ldp x2, x3, [x20]\n  mov x10, x2\n  mov x11, x3");
  const reads: number[] = [];
  while (reads.length < 8) {
    const e = await v.run();
    if (e.reason !== "mmio") break;
    reads.push(Number(e.phys - DEV));
    v.completeMmio(dev.read(Number(e.phys - DEV), e.size));
    if (reads.length === 2) v.pc += 8n; // `second`
  }
  assert.deepEqual(reads, [BASE, BASE + 8, BASE, BASE + 8]);
  assert.equal(v.x(10), devRead(0, BASE, 8));
  assert.equal(v.x(11), devRead(0, BASE + 8, 8));
});

test("completeMmio without an access handed out is EINVAL", async () => {
  const { v } = small("  nop");
  assert.throws(() => v.completeMmio(0n), { errno: "EINVAL" });
  assert.equal((await v.run()).reason, "system_event");
  assert.throws(() => v.completeMmio(0n), { errno: "EINVAL" });
});

test("two vCPUs stopped in the middle of their STPs resume each their own instruction", async () => {
  const vm = new Vm({ host: nodeHost(), ramSize: 16 << 20, clock: "deterministic" });
  const dev = new LoggingDevice(vm);
  const vcpus = [0, 1].map((i) => {
    const v = vm.createVcpu();
    v.init();
    const code = 0x4000_0000n + BigInt(i) * 0x1000n;
    const at = DEV + BigInt(BASE + 0x100 * i);
    const g = asmGuest(`mmio-two-${i}.S`, [
      `  MOV64 x20, ${at}`,
      `  mov x0, #${0x10 + i}`,
      `  mov x1, #${0x20 + i}`,
      "  stp x0, x1, [x20]",
      "  str w0, [x20, #16]",
      "  b .",
    ]);
    // Each image is linked at 0x40000000: the second runs from a copy one page up (position-independent code).
    vm.core.writePhys(code, g.image.subarray(0, 0x100));
    v.pc = code;
    return v;
  });
  const seen: string[] = [];
  for (let round = 0; round < 3; round++) {
    for (const [i, v] of vcpus.entries()) {
      const e = await v.run();
      assert.equal(e.reason, "mmio");
      if (e.reason !== "mmio") return;
      seen.push(`${i}: w 0x${(e.phys - DEV).toString(16)}/${e.size} = 0x${e.data.toString(16)}`);
      dev.write(Number(e.phys - DEV), e.size, e.data);
    }
  }
  assert.deepEqual(seen, [
    "0: w 0x100/8 = 0x10",
    "1: w 0x200/8 = 0x11",
    "0: w 0x108/8 = 0x20",
    "1: w 0x208/8 = 0x21",
    "0: w 0x110/4 = 0x10",
    "1: w 0x210/4 = 0x11",
  ]);
});
