// PL031 RTC: wall-clock counter, load register, match alarm on its interrupt line, save/restore.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Pl031, type RtcClock } from "../../src/devices/pl031.ts";

/** A controllable clock: time moves only when the test advances it. */
function fakeClock(start: number) {
  let t = start;
  let timers: { at: number; fn: () => void }[] = [];
  const clock: RtcClock = {
    now: () => t,
    after: (ms, fn) => {
      const entry = { at: t + ms / 1000, fn };
      timers.push(entry);
      return () => {
        timers = timers.filter((x) => x !== entry);
      };
    },
  };
  const advance = (s: number) => {
    t += s;
    for (const x of timers.filter((x) => x.at <= t + 1e-9)) {
      timers = timers.filter((y) => y !== x);
      x.fn();
    }
  };
  return { clock, advance };
}

test("counter follows the wall clock; RTCLR moves it; ID registers", () => {
  const { clock, advance } = fakeClock(1_700_000_000.25);
  const rtc = new Pl031({ set() {} }, clock);
  assert.equal(rtc.read(0, 4), 1_700_000_000n);
  rtc.write(8, 4, 1000n);
  assert.equal(rtc.read(0, 4), 1000n);
  advance(2);
  assert.equal(rtc.read(0, 4), 1002n);
  assert.equal(rtc.read(0xfe0, 4), 0x31n);
  assert.equal(rtc.read(0xc, 4), 1n, "started");
});

test("the match register raises the interrupt when the counter reaches it", () => {
  const { clock, advance } = fakeClock(500.5);
  const levels: boolean[] = [];
  const rtc = new Pl031({ set: (l) => levels.push(l) }, clock);
  rtc.write(0x10, 4, 1n);
  rtc.write(4, 4, 503n);
  advance(2);
  assert.equal(rtc.read(0x14, 4), 0n, "not yet");
  advance(1);
  assert.equal(rtc.read(0x14, 4), 1n);
  assert.equal(levels.at(-1), true);
  rtc.write(0x1c, 4, 1n);
  assert.equal(levels.at(-1), false, "RTCICR clears it");
  rtc.write(0x10, 4, 0n);
  rtc.write(4, 4, 504n);
  advance(1);
  assert.equal(rtc.read(0x14, 4), 1n, "raw status without the mask");
  assert.equal(rtc.read(0x18, 4), 0n);
  assert.equal(levels.at(-1), false);
});

test("save/restore keeps the offset from wall-clock time and a pending alarm", () => {
  const a = fakeClock(10_000);
  const rtc = new Pl031({ set() {} }, a.clock);
  rtc.write(8, 4, 42n);
  rtc.write(0x10, 4, 1n);
  rtc.write(4, 4, 52n);
  const s = rtc.save();
  const b = fakeClock(10_005);
  const levels: boolean[] = [];
  const rtc2 = new Pl031({ set: (l) => levels.push(l) }, b.clock);
  rtc2.restore(structuredClone(s));
  assert.equal(rtc2.read(0, 4), 47n, "the guest's clock kept running with the host's");
  b.advance(5);
  assert.equal(levels.at(-1), true);
});

test("an alarm the wall clock passed while the VM was paused or saved fires on its return; a past MR written does not", () => {
  const a = fakeClock(1_700_000_000.5);
  const levels: boolean[] = [];
  const rtc = new Pl031({ set: (l) => levels.push(l) }, a.clock);
  rtc.write(0x010, 4, 1n); // IMSC
  rtc.write(0x004, 4, 1_699_999_990n); // MR in the past: as QEMU, no match until the counter wraps
  a.advance(5);
  assert.equal(rtc.read(0x014, 4), 0n, "a past match does not fire");
  rtc.write(0x004, 4, 1_700_000_010n); // 5 s ahead
  rtc.stop(); // paused for 20 s: the VM's clock (and the fake timers) stand still
  const b = fakeClock(1_700_000_007.5);
  const saved = rtc.save();
  const restored = new Pl031({ set: (l) => levels.push(l) }, b.clock);
  restored.restore(structuredClone(saved));
  assert.equal(restored.read(0x014, 4), 0n, "saved before the match, restored before it too");
  // The same state restored after the match time: it fires at once.
  const c = fakeClock(1_700_000_030.5);
  const late = new Pl031({ set: (l) => levels.push(l) }, c.clock);
  late.restore(structuredClone({ ...saved, count: 1_700_000_005 }));
  assert.equal(late.read(0x014, 4), 1n, "the match passed while it was saved");
  assert.equal(levels.at(-1), true);
  // Paused across the match: cont() delivers it.
  const d = fakeClock(1_700_000_000.5);
  let level = false;
  const p = new Pl031({ set: (l) => (level = l) }, d.clock);
  p.write(0x010, 4, 1n);
  p.write(0x004, 4, 1_700_000_003n);
  p.stop();
  // While paused the wall clock moves on; the VM's timers do not (nothing is advanced here).
  const moved = fakeClock(1_700_000_009.5);
  Object.assign(d.clock, { now: moved.clock.now });
  p.cont();
  assert.equal(level, true, "the alarm due during the pause fires when the VM continues");
});

test("the pending alarm in wall-clock seconds, live and from a saved state (what a host wakes a saved VM by)", () => {
  const { clock, advance } = fakeClock(1_800_000_000.5);
  const rtc = new Pl031({ set() {} }, clock);
  assert.equal(rtc.pendingAlarm(), null, "nothing armed");
  rtc.write(8, 4, 1000n); // the guest's clock is set far from the wall clock: the alarm is still in wall time
  rtc.write(4, 4, 1060n);
  assert.equal(rtc.pendingAlarm(), null, "armed, but its interrupt is masked");
  rtc.write(0x10, 4, 1n);
  assert.equal(rtc.pendingAlarm(), 1_800_000_060);
  const saved = rtc.save();
  assert.equal(Pl031.alarmOf(saved), 1_800_000_060, "from the counter saved with it");
  assert.equal(Pl031.alarmOf(saved, 1_800_000_010.9), 1_800_000_070, "from the time it was saved at");
  advance(60);
  assert.equal(rtc.read(0x18, 4), 1n, "it fired");
  assert.equal(rtc.pendingAlarm(), null, "raised already");
  rtc.write(0x1c, 4, 1n);
  assert.equal(rtc.pendingAlarm(), null, "the match is behind the counter now");
});
