// SBSA Generic Watchdog: identification as Linux's sbsa_gwdt reads it, explicit refresh, the two
// timeout stages (WS0 interrupt, then WS1 reset), pause/resume while the VM is suspended, and
// save/restore continuing the countdown on another counter.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  GWDT_IIDR,
  GwdtControlReg as C,
  GwdtRefreshReg as R,
  SbsaGwdt,
  SbsaGwdtStateError,
  WCS_EN,
  WCS_WS0,
  WCS_WS1,
  type WatchdogClock,
} from "../../src/devices/sbsa-gwdt.ts";
import { CNTFRQ } from "../../src/hv/timer.ts";
import { nodeHost } from "../../src/host/node/index.ts";

const TICKS_PER_MS = CNTFRQ / 1000n;

/** A system counter and host timers that move only when the test advances them. */
function fakeClock(startTicks = 0n) {
  let ms = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const clock: WatchdogClock = {
    counter: () => startTicks + BigInt(ms) * TICKS_PER_MS,
    after: (delay, fn) => {
      const entry = { at: ms + delay, fn };
      timers.push(entry);
      return () => {
        timers = timers.filter((x) => x !== entry);
      };
    },
  };
  const advance = (by: number) => {
    const end = ms + by;
    for (;;) {
      const due = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((x) => x !== due);
      ms = due.at;
      due.fn();
    }
    ms = end;
  };
  return { clock, advance, pending: () => timers.length };
}

function watchdog(startTicks = 0n) {
  const c = fakeClock(startTicks);
  const ws0 = { level: false };
  let resets = 0;
  const wdt = new SbsaGwdt({ set: (l) => (ws0.level = l) }, () => resets++, c.clock);
  const rd = (off: number) => wdt.control.read(off, 4);
  const wr = (off: number, v: bigint) => wdt.control.write(off, 4, v);
  /** Linux's lo_hi_writeq of WOR (architecture version 1). */
  const setWor = (v: bigint) => {
    wr(C.WOR, v & 0xffff_ffffn);
    wr(C.WORU, v >> 32n);
  };
  const wcv = () => rd(C.WCV) | (rd(C.WCVU) << 32n);
  return { ...c, wdt, ws0, resets: () => resets, rd, wr, setWor, wcv };
}

const MS = (n: number) => BigInt(n) * TICKS_PER_MS;

test("W_IIDR in both frames reports architecture version 1 (Linux then uses a 48-bit WOR); WRR reads zero", () => {
  const { wdt } = watchdog();
  assert.equal(wdt.control.read(C.W_IIDR, 4), BigInt(GWDT_IIDR));
  assert.equal(wdt.refresh.read(R.W_IIDR, 4), BigInt(GWDT_IIDR));
  assert.equal((GWDT_IIDR >> 16) & 0xf, 1, "sbsa_gwdt_get_version");
  assert.equal(GWDT_IIDR & 0xfff, 0x43b, "Arm's JEP106 code");
  assert.equal(wdt.refresh.read(R.WRR, 4), 0n);
});

test("reset state: disabled, WOR and WCV zero, WS0 low, no timer", () => {
  const w = watchdog();
  assert.equal(w.rd(C.WCS), 0n);
  assert.equal(w.rd(C.WOR), 0n);
  assert.equal(w.wcv(), 0n);
  assert.equal(w.pending(), 0);
});

test("WOR is 48 bits, written as two halves or one 64-bit access; each write is an explicit refresh", () => {
  const w = watchdog(MS(5));
  w.setWor(0x1234_8765_4321n);
  assert.equal(w.rd(C.WOR), 0x8765_4321n);
  assert.equal(w.rd(C.WORU), 0x1234n);
  assert.equal(w.wcv(), MS(5) + 0x1234_8765_4321n, "WCV = counter + WOR");
  w.wr(C.WORU, 0xffff_ffffn);
  assert.equal(w.rd(C.WORU), 0xffffn, "bits [63:48] are reserved");
  w.wdt.control.write(C.WOR, 8, 0xabcd_0000_0000_0010n);
  assert.equal(w.wdt.control.read(C.WOR, 8), 0x0000_0000_0010n);
  assert.equal(w.wdt.control.read(C.WCV, 8), MS(5) + 0x10n);
});

test("enabled: WS0 with its interrupt after WOR ticks, then WS1 (the reset signal) after another WOR", () => {
  const w = watchdog();
  w.setWor(MS(1000));
  w.wr(C.WCS, BigInt(WCS_EN));
  assert.equal(w.wcv(), MS(1000));
  w.advance(999);
  assert.equal(w.rd(C.WCS), BigInt(WCS_EN));
  assert.equal(w.ws0.level, false);
  w.advance(1);
  assert.equal(w.rd(C.WCS), BigInt(WCS_EN | WCS_WS0));
  assert.equal(w.ws0.level, true);
  assert.equal(w.wcv(), MS(2000), "timeout refresh: WCV = counter + WOR");
  assert.equal(w.resets(), 0);
  w.advance(999);
  assert.equal(w.resets(), 0);
  w.advance(1);
  assert.equal(w.rd(C.WCS), BigInt(WCS_EN | WCS_WS0 | WCS_WS1));
  assert.equal(w.resets(), 1);
  w.advance(10_000);
  assert.equal(w.resets(), 1, "WS1 is signalled once");
  assert.equal(w.pending(), 0);
});

test("a write to WRR refreshes: the deadline moves and WS0 clears", () => {
  const w = watchdog();
  w.setWor(MS(100));
  w.wr(C.WCS, BigInt(WCS_EN));
  for (let i = 0; i < 10; i++) {
    w.advance(90);
    w.wdt.refresh.write(R.WRR, 4, 0n); // sbsa_gwdt_keepalive
  }
  assert.equal(w.rd(C.WCS), BigInt(WCS_EN), "kept alive for 900 ms with a 100 ms WOR");
  assert.equal(w.wcv(), MS(1000));
  w.advance(100);
  assert.equal(w.ws0.level, true);
  w.advance(50);
  w.wdt.refresh.write(R.WRR, 4, 0n);
  assert.equal(w.rd(C.WCS), BigInt(WCS_EN), "refresh clears WS0");
  assert.equal(w.ws0.level, false);
  assert.equal(w.wcv(), MS(1150));
  w.advance(100);
  assert.equal(w.ws0.level, true, "the next timeout is WS0 again, not WS1");
  assert.equal(w.resets(), 0);
  w.advance(100);
  assert.equal(w.resets(), 1);
});

test("disabled: no timeouts; WCS = 0 stops a running watchdog (Linux's stop and suspend)", () => {
  const w = watchdog();
  w.setWor(MS(10));
  w.advance(100);
  assert.equal(w.rd(C.WCS), 0n);
  w.wr(C.WCS, BigInt(WCS_EN));
  w.advance(10);
  assert.equal(w.ws0.level, true);
  w.wr(C.WCS, 0n);
  assert.equal(w.ws0.level, false, "a WCS write is an explicit refresh");
  assert.equal(w.pending(), 0);
  w.advance(1000);
  assert.equal(w.resets(), 0);
  w.wr(C.WCS, 0xffn);
  assert.equal(w.rd(C.WCS), BigInt(WCS_EN), "WS0/WS1 are not writable");
});

test("a guest write to WCV moves the deadline without a refresh", () => {
  const w = watchdog();
  w.setWor(MS(1000));
  w.wr(C.WCS, BigInt(WCS_EN));
  w.wr(C.WCV, MS(30));
  w.wr(C.WCVU, 0n);
  w.advance(30);
  assert.equal(w.ws0.level, true);
  w.wdt.control.write(C.WCV, 8, MS(40));
  w.advance(10);
  assert.equal(w.resets(), 1);
});

test("pause keeps the ticks left; resume shifts the deadline by the time spent paused", () => {
  const w = watchdog();
  w.setWor(MS(1000));
  w.wr(C.WCS, BigInt(WCS_EN));
  w.advance(400);
  w.wdt.pause();
  assert.equal(w.pending(), 0, "no host timer while paused");
  w.advance(60_000);
  assert.equal(w.rd(C.WCS), BigInt(WCS_EN), "nothing expires while the VM is suspended");
  assert.equal(w.wcv(), MS(60_400 + 600), "WCV reads where the deadline would be if resumed now");
  w.wdt.resume();
  assert.equal(w.wcv(), MS(61_000));
  w.advance(599);
  assert.equal(w.ws0.level, false);
  w.advance(1);
  assert.equal(w.ws0.level, true);
  w.wdt.pause();
  w.wdt.pause(); // idempotent
  w.advance(5000);
  w.wdt.resume();
  w.wdt.resume();
  w.advance(999);
  assert.equal(w.resets(), 0);
  w.advance(1);
  assert.equal(w.resets(), 1);
});

test("a refresh while paused restarts the countdown from WOR at resume", () => {
  const w = watchdog();
  w.setWor(MS(100));
  w.wr(C.WCS, BigInt(WCS_EN));
  w.advance(90);
  w.wdt.pause();
  w.wdt.refresh.write(R.WRR, 4, 0n);
  w.advance(1000);
  w.wdt.resume();
  w.advance(99);
  assert.equal(w.ws0.level, false);
  w.advance(1);
  assert.equal(w.ws0.level, true);
});

test("an overdue deadline fires at once on resume", () => {
  const w = watchdog();
  w.setWor(MS(100));
  w.wr(C.WCS, BigInt(WCS_EN));
  w.wr(C.WCV, 0n); // already in the past
  w.wdt.pause();
  w.wdt.resume();
  w.advance(0);
  assert.equal(w.ws0.level, true);
});

test("save/restore: a watchdog restored on another counter continues from where it stopped", () => {
  const a = watchdog(MS(1_000_000));
  a.setWor(MS(1000));
  a.wr(C.WCS, BigInt(WCS_EN));
  a.advance(1000);
  assert.equal(a.ws0.level, true);
  a.advance(300); // 700 ms left to WS1
  a.wdt.pause();
  a.advance(5000);
  const s = structuredClone(a.wdt.save());
  assert.equal(s.remaining, MS(700));
  assert.equal(s.paused, true);
  a.wdt.close();

  const b = watchdog(MS(7)); // a new process: its counter started elsewhere
  b.wdt.restore(s);
  assert.equal(b.rd(C.WCS), BigInt(WCS_EN | WCS_WS0));
  assert.equal(b.ws0.level, true, "WS0 is asserted again");
  assert.equal(b.rd(C.WOR), MS(1000));
  assert.equal(b.pending(), 0, "still paused, as saved");
  b.advance(10_000);
  b.wdt.resume();
  b.advance(699);
  assert.equal(b.resets(), 0);
  b.advance(1);
  assert.equal(b.resets(), 1);
  assert.deepEqual(a.wdt.save().wor, b.wdt.save().wor);
});

test("save/restore of a running (not paused) watchdog keeps counting on restore", () => {
  const a = watchdog(MS(50));
  a.setWor(MS(200));
  a.wr(C.WCS, BigInt(WCS_EN));
  a.advance(150);
  const s = a.wdt.save();
  assert.deepEqual(s, { version: 1, wcs: WCS_EN, wor: MS(200), remaining: MS(50), paused: false });
  const b = watchdog(MS(123_456));
  b.wdt.restore(structuredClone(s));
  assert.equal(b.wcv(), MS(123_456 + 50));
  b.advance(50);
  assert.equal(b.ws0.level, true);
  assert.throws(() => b.wdt.restore({ ...s, version: 2 } as never), SbsaGwdtStateError);
  assert.throws(() => b.wdt.restore({ ...s, wor: 5 } as never), SbsaGwdtStateError);
});

test("reset() disables the watchdog and cancels its timer", () => {
  const w = watchdog();
  w.setWor(MS(10));
  w.wr(C.WCS, BigInt(WCS_EN));
  w.advance(10);
  w.wdt.reset();
  assert.equal(w.ws0.level, false);
  assert.equal(w.rd(C.WCS), 0n);
  assert.equal(w.pending(), 0);
  w.advance(1000);
  assert.equal(w.resets(), 0);
});

test("Linux's get_timeleft arithmetic sees the remaining time (single-stage mode)", () => {
  const w = watchdog(MS(3));
  w.setWor((CNTFRQ / 2n) * 30n); // sbsa_gwdt_set_timeout(30) with action=0: WOR = clk/2 * timeout
  w.wr(C.WCS, BigInt(WCS_EN));
  w.advance(10_000);
  const ws0 = (w.rd(C.WCS) & BigInt(WCS_WS0)) !== 0n;
  const left = (ws0 ? 0n : w.rd(C.WOR) | (w.rd(C.WORU) << 32n)) + w.wcv() - (MS(3) + MS(10_000));
  assert.equal(left / CNTFRQ, 20n);
});

test("virt board: the frames at 0x090D0000 (control) and 0x090C0000 (refresh), counting the VM's counter", async () => {
  const { VirtBoard } = await import("../../src/machine/board.ts");
  const { VIRT } = await import("../../src/machine/virt.ts");
  let resets = 0;
  const board = new VirtBoard({
    host: nodeHost(),
    cpus: 1,
    ramSize: 4 << 20,
    psciConduit: "hvc",
    clock: "deterministic",
    output: () => {},
    onWatchdogReset: () => resets++,
  });
  try {
    const ctl = VIRT.watchdogControlBase;
    assert.equal(board.bus.read(ctl + BigInt(C.W_IIDR), 4), BigInt(GWDT_IIDR));
    assert.equal(board.bus.read(VIRT.watchdogRefreshBase + BigInt(R.W_IIDR), 4), BigInt(GWDT_IIDR));
    board.bus.write(ctl + BigInt(C.WOR), 4, 1000n);
    board.bus.write(ctl + BigInt(C.WCS), 4, 1n);
    const now = board.vm.timers.counter();
    assert.equal(board.bus.read(ctl + BigInt(C.WCV), 4), now + 1000n);
    board.suspendDevices();
    assert.equal(board.watchdog.isPaused, true);
    const s = board.saveDevices();
    assert.equal(s.watchdog.remaining, 1000n);
    board.wakeDevices();
    assert.equal(board.watchdog.isPaused, false);
    assert.equal(resets, 0);
  } finally {
    board.close();
  }
});

test("device tree: reg lists the control frame first (Linux's platform resource 0), then the refresh frame", async () => {
  const { watchdogNode } = await import("../../src/machine/virt.ts");
  const props = Object.fromEntries(watchdogNode().props);
  assert.equal(props.compatible, "arm,sbsa-gwdt");
  assert.deepEqual(props.reg, [0, 0x090d_0000, 0, 0x1000, 0, 0x090c_0000, 0, 0x1000]);
  assert.deepEqual(props.interrupts, [0, 10, 4]);
  assert.deepEqual(props["timeout-sec"], [30]);
});
