// Generic timer unit tests: counter, CVAL/TVAL/CTL semantics, EL0 access control, deadlines and
// the deterministic clock, save/restore keeping the virtual counter continuous.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeClock } from "../../src/host/node/clock.ts";
import { CNTFRQ, INSNS_PER_TICK, TimerReg, Timers } from "../../src/hv/timer.ts";

function det() {
  let instret = 0n;
  const t = new Timers("deterministic", () => instret, nodeClock.monotonicNs);
  const v = { id: 0 };
  t.reset(v);
  const advance = (insns: bigint) => {
    instret += insns;
    t.account(v);
  };
  return { t, v, advance };
}

test("deterministic counter follows retired instructions", () => {
  const { t, v, advance } = det();
  assert.equal(t.read(v, TimerReg.CNTVCT_EL0, 1), 0n);
  advance(INSNS_PER_TICK * 100n + 3n);
  assert.equal(t.read(v, TimerReg.CNTPCT_EL0, 1), 100n);
  advance(INSNS_PER_TICK - 3n);
  assert.equal(t.counter(), 101n, "the remainder carries over");
  assert.equal(t.read(v, TimerReg.CNTFRQ_EL0, 1), CNTFRQ);
});

test("virtual timer: CVAL, TVAL, ISTATUS, IMASK and its line", () => {
  const { t, v, advance } = det();
  assert.ok(t.write(v, TimerReg.CNTV_CVAL_EL0, 1, 50n));
  assert.ok(t.write(v, TimerReg.CNTV_CTL_EL0, 1, 1n));
  assert.deepEqual(t.lines(v), [false, false]);
  assert.equal(t.read(v, TimerReg.CNTV_TVAL_EL0, 1), 50n);
  advance(INSNS_PER_TICK * 50n);
  assert.equal(t.read(v, TimerReg.CNTV_CTL_EL0, 1), 5n, "ISTATUS set");
  assert.deepEqual(t.lines(v), [true, false]);
  t.write(v, TimerReg.CNTV_CTL_EL0, 1, 3n);
  assert.deepEqual(t.lines(v), [false, false], "IMASK");
  assert.equal(t.read(v, TimerReg.CNTV_TVAL_EL0, 1), 0n);
  t.write(v, TimerReg.CNTV_TVAL_EL0, 1, 0xffff_fff6n);
  assert.equal(t.read(v, TimerReg.CNTV_CVAL_EL0, 1), 40n, "TVAL is a signed 32-bit offset");
});

test("physical timer and deadlines; sliceBudget ends a slice at the deadline", () => {
  const { t, v } = det();
  t.write(v, TimerReg.CNTP_TVAL_EL0, 1, 1000n);
  t.write(v, TimerReg.CNTP_CTL_EL0, 1, 1n);
  assert.equal(t.nextDeadlineTicks(v), 1000n);
  assert.equal(t.sliceBudget(v, 1 << 30), Number(1000n * INSNS_PER_TICK));
  t.skipTo(1000n);
  assert.deepEqual(t.lines(v), [false, true]);
});

test("EL0 access is governed by CNTKCTL_EL1", () => {
  const { t, v } = det();
  assert.equal(t.read(v, TimerReg.CNTVCT_EL0, 0), null);
  assert.equal(t.read(v, TimerReg.CNTKCTL_EL1, 0), null);
  t.write(v, TimerReg.CNTKCTL_EL1, 1, 2n);
  assert.notEqual(t.read(v, TimerReg.CNTVCT_EL0, 0), null);
  assert.equal(t.read(v, TimerReg.CNTPCT_EL0, 0), null);
  assert.equal(t.write(v, TimerReg.CNTV_CTL_EL0, 0, 1n), false);
  t.write(v, TimerReg.CNTKCTL_EL1, 1, 2n | (1n << 8n));
  assert.equal(t.write(v, TimerReg.CNTV_CTL_EL0, 0, 1n), true);
});

test("host clock advances at CNTFRQ", async () => {
  const t = new Timers("host", () => 0n, nodeClock.monotonicNs);
  const a = t.counter();
  await new Promise((r) => setTimeout(r, 50));
  const ticks = t.counter() - a;
  assert.ok(ticks >= (CNTFRQ * 40n) / 1000n && ticks < CNTFRQ, `${ticks} ticks in 50 ms`);
});

test("save/restore: the virtual counter continues in a new timer", () => {
  const a = det();
  a.advance(INSNS_PER_TICK * 5000n);
  a.t.write(a.v, TimerReg.CNTV_CVAL_EL0, 1, 6000n);
  a.t.write(a.v, TimerReg.CNTV_CTL_EL0, 1, 1n);
  const vct = a.t.read(a.v, TimerReg.CNTVCT_EL0, 1) as bigint;
  const snap = a.t.save();
  const b = det();
  b.t.restore(structuredClone(snap), 1);
  assert.equal(b.t.read(b.v, TimerReg.CNTVCT_EL0, 1), vct, "no jump");
  assert.equal(b.t.read(b.v, TimerReg.CNTV_CVAL_EL0, 1), 6000n);
  b.advance(INSNS_PER_TICK * 1000n);
  assert.deepEqual(b.t.lines(b.v), [true, false], "fires 1000 ticks later, as before");
});
