// GICv3 unit tests: distributor/redistributor registers, CPU interface acknowledge/EOI/priority
// logic, SGIs, routing, and state save/restore.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IccReg } from "../../src/hv/gicv3/cpu-interface.ts";
import { checkGicSnapshot, GICD_BASE, GICR_BASE, Gicv3, INTID_SPURIOUS } from "../../src/hv/gicv3/index.ts";

function gic(cpus = 2) {
  const g = new Gicv3({ spis: 64 });
  for (let i = 0; i < cpus; i++) g.addCpu(i, BigInt(i));
  const changes: number[] = [];
  g.state.onChange = (c) => changes.push(c);
  const d = (off: number, v?: number, size = 4) =>
    v === undefined ? g.mmio(GICD_BASE + BigInt(off), size, false, 0n) : g.mmio(GICD_BASE + BigInt(off), size, true, BigInt(v));
  const r = (cpu: number, off: number, v?: number) => {
    const a = GICR_BASE + BigInt(cpu * 0x20000 + off);
    return v === undefined ? g.mmio(a, 4, false, 0n) : g.mmio(a, 4, true, BigInt(v));
  };
  const icc = (cpu: number, key: number, v?: bigint) =>
    v === undefined ? g.cpuInterface.read(cpu, key) : g.cpuInterface.write(cpu, key, v);
  /** Linux-like setup: distributor group 1 on, CPU interfaces on with PMR 0xf0. */
  const enable = () => {
    d(0, 2);
    for (let c = 0; c < cpus; c++) {
      r(c, 0x14, 0);
      icc(c, IccReg.PMR, 0xf0n);
      icc(c, IccReg.IGRPEN1, 1n);
    }
  };
  return { g, d, r, icc, enable, changes };
}

describe("GICv3", () => {
  test("identification registers", () => {
    const { d, r } = gic(2);
    assert.equal(d(0xffe8), 0x3bn, "GICD_PIDR2 ArchRev 3");
    assert.equal(Number(d(0x4)) & 0x1f, (64 + 32) / 32 - 1, "ITLinesNumber");
    assert.equal(d(0x0), 0x50n, "ARE and DS read as one");
    assert.equal(r(0, 0x8), 0x000n, "GICR_TYPER of vCPU 0: not last");
    assert.equal(r(1, 0x8), 0x110n, "vCPU 1: processor number 1, Last");
    assert.equal(r(1, 0xc), 1n, "affinity in the upper word");
    assert.equal(r(0, 0x14), 6n, "redistributor asleep until woken");
    r(0, 0x14, 0);
    assert.equal(r(0, 0x14), 0n);
  });

  test("an SPI: enable, priority, level line, acknowledge, EOI", () => {
    const { g, d, icc, enable } = gic(2);
    enable();
    const intid = 33;
    d(0x80 + 4, 1 << 1); // group 1
    d(0x400 + intid, 0xa0, 1); // priority (byte access)
    assert.equal(d(0x400 + 32), 0xa000n, "priority read back through the word");
    d(0x100 + 4, 1 << 1); // enable
    assert.equal(g.lines(0), 0);
    g.setSpi(intid, true);
    assert.equal(g.lines(0), 1, "IRQ to vCPU 0 (routed to affinity 0)");
    assert.equal(g.lines(1), 0);
    assert.equal(icc(0, IccReg.HPPIR1), BigInt(intid));
    assert.equal(icc(0, IccReg.IAR1), BigInt(intid));
    assert.equal(g.lines(0), 0, "active: not signalled again");
    assert.equal(icc(0, IccReg.RPR), 0xa0n);
    assert.equal(icc(0, IccReg.IAR1), BigInt(INTID_SPURIOUS));
    icc(0, IccReg.EOIR1, BigInt(intid));
    assert.equal(g.lines(0), 1, "level still high: pending again after EOI");
    g.setSpi(intid, false);
    assert.equal(g.lines(0), 0);
  });

  test("priority mask, preemption and group enables", () => {
    const { g, d, icc, enable } = gic(1);
    enable();
    d(0x80 + 4, 0b11);
    d(0x400 + 32, 0x80, 1);
    d(0x400 + 33, 0x40, 1);
    d(0x100 + 4, 0b11);
    icc(0, IccReg.PMR, 0x80n);
    g.setSpi(32, true);
    assert.equal(g.lines(0), 0, "priority 0x80 is not below PMR 0x80");
    icc(0, IccReg.PMR, 0xf0n);
    assert.equal(icc(0, IccReg.IAR1), 32n);
    g.setSpi(33, true);
    assert.equal(g.lines(0), 1, "0x40 preempts a running 0x80");
    assert.equal(icc(0, IccReg.IAR1), 33n);
    icc(0, IccReg.EOIR1, 33n);
    icc(0, IccReg.EOIR1, 32n);
    icc(0, IccReg.IGRPEN1, 0n);
    assert.equal(g.lines(0), 0, "group 1 disabled at the CPU interface");
  });

  test("edge-triggered SPIs latch; ISPENDR/ICPENDR; EOImode 1 splits priority drop and deactivation", () => {
    const { g, d, icc, enable } = gic(1);
    enable();
    d(0xc00 + 8, 2 << 2); // INTID 33 edge (ICFGR2 bits 3:2)
    d(0x80 + 4, 0b10);
    d(0x100 + 4, 0b10);
    g.setSpi(33, true);
    g.setSpi(33, false);
    assert.equal(g.lines(0), 1, "edge latched");
    d(0x280 + 4, 0b10);
    assert.equal(g.lines(0), 0, "ICPENDR cleared it");
    d(0x200 + 4, 0b10);
    assert.equal(icc(0, IccReg.IAR1), 33n);
    icc(0, IccReg.CTLR, 2n);
    icc(0, IccReg.EOIR1, 33n);
    assert.equal(d(0x300 + 4), 0b10n, "still active after the priority drop");
    icc(0, IccReg.DIR, 33n);
    assert.equal(d(0x300 + 4), 0n);
  });

  test("SGIs through ICC_SGI1R_EL1: target list and IRM", () => {
    const { g, r, icc, enable } = gic(3);
    enable();
    for (let c = 0; c < 3; c++) {
      r(c, 0x10080, 0xffff);
      r(c, 0x10100, 1 << 5);
    }
    icc(0, IccReg.SGI1R, (5n << 24n) | 0b110n);
    assert.deepEqual([g.lines(0), g.lines(1), g.lines(2)], [0, 1, 1]);
    assert.equal(icc(1, IccReg.IAR1), 5n);
    icc(1, IccReg.EOIR1, 5n);
    icc(2, IccReg.IAR1);
    icc(2, IccReg.EOIR1, 5n);
    icc(2, IccReg.SGI1R, (5n << 24n) | (1n << 40n));
    assert.deepEqual([g.lines(0), g.lines(1), g.lines(2)], [1, 1, 0], "IRM: everyone but the sender");
  });

  test("IROUTER moves an SPI to another vCPU; PPIs are banked", () => {
    const { g, d, r, enable } = gic(2);
    enable();
    d(0x80 + 4, 1);
    d(0x100 + 4, 1);
    d(0x6000 + 32 * 8, 1, 8);
    assert.equal(d(0x6000 + 32 * 8, undefined, 8), 1n);
    g.setSpi(32, true);
    assert.deepEqual([g.lines(0), g.lines(1)], [0, 1]);
    r(0, 0x10080, 1 << 27);
    r(0, 0x10100, 1 << 27);
    g.setPpi(0, 27, true);
    assert.equal(g.pendingFor(0), true);
    assert.equal(r(1, 0x10100), 0n, "vCPU 1's PPI 27 is separate");
  });

  test("wake-up ignores the CPU interface's group enable, as Linux disables it before suspending", () => {
    const { g, d, icc, enable } = gic(1);
    enable();
    d(0x80 + 4, 1);
    d(0x100 + 4, 1);
    d(0x400 + 32, 0xa0, 1);
    icc(0, IccReg.IGRPEN1, 0n); // Linux's CPU_PM_ENTER with GICD_CTLR.DS = 1
    g.setSpi(32, true);
    assert.equal(g.lines(0), 0, "no IRQ is signalled to the PE");
    assert.equal(g.pendingFor(0), true, "but the vCPU wakes");
    icc(0, IccReg.PMR, 0x80n);
    assert.equal(g.pendingFor(0), false, "priority must still be below PMR");
    icc(0, IccReg.PMR, 0xf0n);
    d(0, 0);
    assert.equal(g.pendingFor(0), false, "and the distributor group enabled");
  });

  test("a vCPU warm reset keeps its redistributor's PPI setup; a system reset clears everything", () => {
    const { g, r, icc, enable } = gic(1);
    enable();
    r(0, 0x10080, 1 << 27);
    r(0, 0x10100, 1 << 27);
    g.resetCpuInterface(0);
    assert.equal(r(0, 0x10100), BigInt(1 << 27), "PPI 27 still enabled after a CPU_ON-style reset");
    assert.equal(icc(0, IccReg.PMR), 0n, "the CPU interface was reset");
    g.reset();
    assert.equal(r(0, 0x10100), 0n);
  });

  test("save/restore round trip", () => {
    const a = gic(2);
    a.enable();
    a.d(0x80 + 4, 1);
    a.d(0x100 + 4, 1);
    a.d(0x400 + 32, 0x60, 1);
    a.g.setSpi(32, true);
    a.icc(0, IccReg.IAR1);
    const snap = a.g.save();
    const b = gic(2);
    b.g.restore(structuredClone(snap));
    assert.deepEqual(b.g.save(), snap);
    assert.equal(b.icc(0, IccReg.RPR), 0x60n, "active priority survives");
    assert.throws(() => gic(3).g.restore(snap), /gic.private: state of 2 redistributors, this VM has 3 vCPUs/);
  });

  test("a state out of range is refused naming the field (the compiled check, then the interpreted one for the message)", () => {
    const snap = gic(2).g.save();
    const bad = (edit: (s: typeof snap) => void, message: RegExp) => {
      const s = structuredClone(snap);
      edit(s);
      assert.throws(() => checkGicSnapshot(s, 2, 64), message);
    };
    // IROUTER is a 64-bit field the compiler bounds only as a double: 2^64 and beyond, and bits
    // outside the mask, are refused all the same.
    bad((s) => (s.spis[3].route = 1n << 64n), /gic.spis\[3\].route/);
    bad((s) => (s.spis[3].route = (1n << 64n) - 1n), /gic.spis\[3\].route/);
    bad((s) => (s.spis[3].route = -1n), /gic.spis\[3\].route/);
    bad((s) => ((s.spis[3] as { route: unknown }).route = 5), /gic.spis\[3\].route/);
    bad((s) => (s.spis[0].priority = 0xf9), /gic.spis\[0\].priority/);
    bad((s) => ((s.private[1][4] as Record<string, unknown>).extra = 1), /gic.private\[1\]\[4\].extra: unexpected field/);
    bad((s) => s.cpus[0].activePrio.push(0x80, 0x80), /activePrio\[1\]: not below/);
    checkGicSnapshot(structuredClone(snap), 2, 64);
  });
});
