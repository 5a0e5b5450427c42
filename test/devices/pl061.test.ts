// PL061 GPIO: the address-masked data register, direction, edge and level interrupt detection
// into one combined line, the PrimeCell IDs Linux's amba bus matches, save/restore; and the
// gpio-keys button that drives pin 3 for 100 ms.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GPIO_KEY_PRESS_MS, GpioKey, GpioKeyStateError, type KeyTimer } from "../../src/devices/gpio-key.ts";
import { Pl061, Pl061Error, Pl061Reg } from "../../src/devices/pl061.ts";
import { nodeHost } from "../../src/host/node/index.ts";

/** A PL061 with its interrupt line recorded. */
function gpio() {
  const line = { level: false, changes: 0 };
  const dev = new Pl061({
    set: (l) => {
      if (l !== line.level) line.changes++;
      line.level = l;
    },
  });
  const r = (off: number) => Number(dev.read(off, 1));
  const w = (off: number, v: number) => dev.write(off, 1, BigInt(v));
  return { dev, line, r, w };
}

/** Timers that run only when the test advances time. */
function fakeTimer() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const timer: KeyTimer = {
    after: (ms, fn) => {
      const entry = { at: now + ms, fn };
      timers.push(entry);
      return () => {
        timers = timers.filter((x) => x !== entry);
      };
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((x) => x !== due);
      now = due.at;
      due.fn();
    }
    now = end;
  };
  return { timer, advance, pending: () => timers.length };
}

test("PrimeCell IDs match Linux's pl061 amba_id (0x00041061 under mask 0x000fffff) and the cell ID", () => {
  const { r } = gpio();
  const byte = (off: number) => r(off) & 0xff;
  const periph = byte(0xfe0) | (byte(0xfe4) << 8) | (byte(0xfe8) << 16) | (byte(0xfec) << 24);
  assert.equal(periph & 0x000fffff, 0x00041061);
  const cell = byte(0xff0) | (byte(0xff4) << 8) | (byte(0xff8) << 16) | (byte(0xffc) << 24);
  assert.equal(cell >>> 0, 0xb105f00d);
});

test("reset state: every register zero, all pins inputs, line low", () => {
  const { r, line } = gpio();
  for (const reg of [
    0x3fc,
    Pl061Reg.DIR,
    Pl061Reg.IS,
    Pl061Reg.IBE,
    Pl061Reg.IEV,
    Pl061Reg.IE,
    Pl061Reg.RIS,
    Pl061Reg.MIS,
    Pl061Reg.AFSEL,
  ]) {
    assert.equal(r(reg), 0, `register 0x${reg.toString(16)}`);
  }
  assert.equal(line.level, false);
});

test("GPIODATA: address bits [9:2] mask both reads and writes; only outputs take written values", () => {
  const { dev, r, w } = gpio();
  w(Pl061Reg.DIR, 0x0f); // pins 0..3 outputs, 4..7 inputs
  w(0x3fc, 0xff);
  assert.equal(r(0x3fc), 0x0f, "inputs are not driven by writes");
  w(0x3fc, 0x00);
  w(1 << (2 + 2), 0xff); // only pin 2 selected
  assert.equal(r(0x3fc), 0x04);
  w(0x3fc & ~(1 << (2 + 2)), 0x00); // every pin but 2: pin 2 keeps its value
  assert.equal(r(0x3fc), 0x04);
  dev.setInput(6, true);
  dev.setInput(3, true); // pin 3 is an output: the external level does not show
  assert.equal(r(0x3fc), 0x44);
  assert.equal(r(1 << (6 + 2)), 0x40, "a read through a one-pin mask sees only that pin");
  assert.equal(r(1 << (5 + 2)), 0x00);
  assert.equal(r(0x000), 0x00, "offset 0 masks every pin");
  // Linux's pl061_get_value: readb(base + BIT(offset + 2)), non-zero when high.
  assert.notEqual(r(1 << (6 + 2)), 0);
  w(Pl061Reg.DIR, 0x00);
  assert.equal(r(0x3fc), 0x48, "turned into an input, pin 3 shows its external level");
  assert.equal(dev.levels(), 0x48);
});

test("the control registers are 8 bits wide and read back", () => {
  const { dev, r } = gpio();
  for (const reg of [Pl061Reg.DIR, Pl061Reg.IS, Pl061Reg.IBE, Pl061Reg.IEV, Pl061Reg.IE, Pl061Reg.AFSEL]) {
    dev.write(reg, 4, 0x1a5n);
    assert.equal(r(reg), 0xa5, `register 0x${reg.toString(16)}`);
  }
});

test("rising-edge interrupt: latched in GPIORIS, gated by GPIOIE into GPIOMIS and the line, cleared by GPIOIC", () => {
  const { dev, r, w, line } = gpio();
  w(Pl061Reg.IEV, 0x08); // pin 3 rising
  dev.setInput(3, true);
  assert.equal(r(Pl061Reg.RIS), 0x08);
  assert.equal(r(Pl061Reg.MIS), 0x00, "masked");
  assert.equal(line.level, false);
  w(Pl061Reg.IE, 0x08);
  assert.equal(r(Pl061Reg.MIS), 0x08);
  assert.equal(line.level, true, "unmasking a latched edge raises the line");
  dev.setInput(3, false);
  assert.equal(r(Pl061Reg.RIS), 0x08, "an edge stays latched after the pin drops");
  w(Pl061Reg.IC, 0x08);
  assert.equal(r(Pl061Reg.RIS), 0x00);
  assert.equal(line.level, false);
  dev.setInput(3, false);
  assert.equal(r(Pl061Reg.RIS), 0x00, "no change, no edge");
});

test("falling-edge interrupt ignores rising edges", () => {
  const { dev, r, w, line } = gpio();
  w(Pl061Reg.IE, 0x01); // pin 0, IEV = 0: falling
  dev.setInput(0, true);
  assert.equal(r(Pl061Reg.RIS), 0x00);
  dev.setInput(0, false);
  assert.equal(r(Pl061Reg.RIS), 0x01);
  assert.equal(line.level, true);
});

test("both-edges interrupt (GPIOIBE) ignores GPIOIEV", () => {
  const { dev, r, w } = gpio();
  w(Pl061Reg.IBE, 0x20);
  w(Pl061Reg.IEV, 0x00);
  w(Pl061Reg.IE, 0x20);
  dev.setInput(5, true);
  assert.equal(r(Pl061Reg.MIS), 0x20);
  w(Pl061Reg.IC, 0x20);
  dev.setInput(5, false);
  assert.equal(r(Pl061Reg.MIS), 0x20);
});

test("level interrupts follow the pin: GPIOIC cannot clear one while the level persists", () => {
  const { dev, r, w, line } = gpio();
  w(Pl061Reg.IS, 0x03); // pins 0 and 1 level-sensitive
  w(Pl061Reg.IEV, 0x01); // pin 0 high, pin 1 low
  assert.equal(r(Pl061Reg.RIS), 0x02, "pin 1 is low: active at once");
  w(Pl061Reg.IE, 0x01);
  assert.equal(line.level, false, "pin 1 masked, pin 0 low");
  dev.setInput(0, true);
  assert.equal(line.level, true);
  w(Pl061Reg.IC, 0x01);
  assert.equal(r(Pl061Reg.RIS) & 1, 1, "still high");
  assert.equal(line.level, true);
  dev.setInput(0, false);
  assert.equal(r(Pl061Reg.RIS) & 1, 0);
  assert.equal(line.level, false);
  dev.setInput(1, true);
  assert.equal(r(Pl061Reg.RIS), 0x00);
});

test("an output pin's transitions are detected too (the detector watches the pad)", () => {
  const { r, w } = gpio();
  w(Pl061Reg.DIR, 0x80);
  w(Pl061Reg.IEV, 0x80);
  w(1 << (7 + 2), 0x80);
  assert.equal(r(Pl061Reg.RIS), 0x80);
});

test("one combined line: it stays high while any pin's interrupt is pending", () => {
  const { dev, w, line } = gpio();
  w(Pl061Reg.IBE, 0xff);
  w(Pl061Reg.IE, 0xff);
  dev.setInput(1, true);
  dev.setInput(2, true);
  w(Pl061Reg.IC, 0x02);
  assert.equal(line.level, true, "pin 2 still pending");
  w(Pl061Reg.IC, 0x04);
  assert.equal(line.level, false);
});

test("Linux's gpio-keys sequence: both edges on pin 3, unmask, press, handler reads GPIOMIS and acks", () => {
  const { dev, r, w, line } = gpio();
  w(Pl061Reg.IE, 0); // pl061_probe: disable irqs
  // pl061_irq_type(IRQ_TYPE_EDGE_BOTH): read-modify-write IS/IBE/IEV with readb/writeb.
  w(Pl061Reg.IS, r(Pl061Reg.IS) & ~0x08);
  w(Pl061Reg.IBE, r(Pl061Reg.IBE) | 0x08);
  w(Pl061Reg.IEV, r(Pl061Reg.IEV));
  w(Pl061Reg.IE, r(Pl061Reg.IE) | 0x08); // unmask
  for (const level of [true, false]) {
    dev.setInput(3, level);
    assert.equal(line.level, true);
    assert.equal(r(Pl061Reg.MIS), 0x08); // pl061_irq_handler
    w(Pl061Reg.IC, 0x08); // pl061_irq_ack
    assert.equal(line.level, false);
    assert.equal(r(1 << (3 + 2)) !== 0, level, "gpio_keys reads the button's state");
  }
});

test("setInput rejects a pin the chip does not have", () => {
  const { dev } = gpio();
  assert.throws(() => dev.setInput(8, true), Pl061Error);
  assert.throws(() => dev.setInput(-1, true), Pl061Error);
  assert.throws(() => dev.setInput(1.5, true), Pl061Error);
});

test("reset clears the registers but keeps externally driven inputs", () => {
  const { dev, r, w, line } = gpio();
  w(Pl061Reg.IBE, 0xff);
  w(Pl061Reg.IE, 0xff);
  dev.setInput(4, true);
  assert.equal(line.level, true);
  dev.reset();
  assert.equal(line.level, false);
  assert.equal(r(Pl061Reg.RIS), 0);
  assert.equal(r(0x3fc), 0x10);
});

test("save/restore round-trips registers, pin levels, a latched edge and the line", () => {
  const a = gpio();
  a.w(Pl061Reg.DIR, 0x0f);
  a.w(0x3fc, 0x05);
  a.w(Pl061Reg.IS, 0x40);
  a.w(Pl061Reg.IEV, 0x48);
  a.w(Pl061Reg.IBE, 0x10);
  a.w(Pl061Reg.IE, 0x18);
  a.w(Pl061Reg.AFSEL, 0x80);
  a.dev.setInput(4, true);
  a.dev.setInput(6, true);
  const s = structuredClone(a.dev.save());
  const b = gpio();
  b.dev.restore(s);
  assert.equal(b.line.level, true, "the pending edge raises the restored line");
  for (const reg of [
    0x3fc,
    Pl061Reg.DIR,
    Pl061Reg.IS,
    Pl061Reg.IBE,
    Pl061Reg.IEV,
    Pl061Reg.IE,
    Pl061Reg.RIS,
    Pl061Reg.MIS,
    Pl061Reg.AFSEL,
  ]) {
    assert.equal(b.r(reg), a.r(reg), `register 0x${reg.toString(16)}`);
  }
  assert.deepEqual(b.dev.save(), s);
  b.dev.setInput(4, false);
  assert.equal(b.r(Pl061Reg.RIS) & 0x10, 0x10, "edge detection continues from the restored levels");
  assert.throws(() => b.dev.restore({ ...s, version: 2 } as never), Pl061Error);
});

test("gpio key: a press holds the line high for 100 ms; a second press while held extends it", () => {
  const t = fakeTimer();
  const levels: boolean[] = [];
  const key = new GpioKey((l) => levels.push(l), t.timer);
  key.press();
  assert.deepEqual(levels, [true]);
  assert.equal(key.isPressed, true);
  t.advance(GPIO_KEY_PRESS_MS - 1);
  assert.deepEqual(levels, [true]);
  key.press();
  t.advance(GPIO_KEY_PRESS_MS - 1);
  assert.deepEqual(levels, [true, true], "the release moved with the second press");
  t.advance(1);
  assert.deepEqual(levels, [true, true, false]);
  assert.equal(key.isPressed, false);
  assert.equal(t.pending(), 0);
});

test("gpio key on PL061 pin 3: one press is two edges, the press and the release", () => {
  const t = fakeTimer();
  const g = gpio();
  const key = new GpioKey((l) => g.dev.setInput(3, l), t.timer);
  g.w(Pl061Reg.IBE, 0x08);
  g.w(Pl061Reg.IE, 0x08);
  key.press();
  assert.equal(g.line.level, true);
  assert.notEqual(g.r(1 << (3 + 2)), 0);
  g.w(Pl061Reg.IC, 0x08);
  t.advance(GPIO_KEY_PRESS_MS);
  assert.equal(g.line.level, true, "the release is an edge too");
  assert.equal(g.r(1 << (3 + 2)), 0);
  assert.equal(g.line.changes, 3);
});

test("gpio key save/restore: a key saved while held is released after a full press time; close cancels", () => {
  const t = fakeTimer();
  const key = new GpioKey(() => {}, t.timer);
  key.press();
  const s = structuredClone(key.save());
  key.close();
  assert.equal(t.pending(), 0);
  const levels: boolean[] = [];
  const t2 = fakeTimer();
  const key2 = new GpioKey((l) => levels.push(l), t2.timer);
  key2.restore(s);
  assert.deepEqual(levels, [true]);
  t2.advance(GPIO_KEY_PRESS_MS);
  assert.deepEqual(levels, [true, false]);
  assert.throws(() => key2.restore({ version: 9 } as never), GpioKeyStateError);
});

test("virt board: PL061 at 0x09030000 on SPI 7; pressPowerButton raises the line through pin 3", async () => {
  const { VirtBoard } = await import("../../src/machine/board.ts");
  const { VIRT } = await import("../../src/machine/virt.ts");
  const board = new VirtBoard({
    host: nodeHost(),
    cpus: 1,
    ramSize: 4 << 20,
    psciConduit: "hvc",
    clock: "deterministic",
    output: () => {},
  });
  try {
    const base = VIRT.gpioBase;
    assert.equal(board.bus.read(base + 0xfe0n, 4), 0x61n);
    board.bus.write(base + BigInt(Pl061Reg.IBE), 1, 0x08n);
    board.bus.write(base + BigInt(Pl061Reg.IE), 1, 0x08n);
    const spi = () => board.vm.gic.state.spis[VIRT.gpioSpi];
    assert.equal(spi().level, false);
    board.pressPowerButton();
    assert.equal(spi().level, true);
    assert.equal(board.bus.read(base + BigInt(1 << (3 + 2)), 1), 0x08n);
    board.bus.write(base + BigInt(Pl061Reg.IC), 1, 0x08n);
    assert.equal(spi().level, false);
    assert.equal(board.saveDevices().powerButton.pressed, true);
  } finally {
    board.close();
  }
});

test("device tree: the PL061 node, and gpio-keys' power button on its pin 3 as a wake-up source", async () => {
  const { gpioKeysNode, gpioNode } = await import("../../src/machine/virt.ts");
  const gpioProps = Object.fromEntries(gpioNode().props);
  assert.deepEqual(gpioProps.compatible, ["arm,pl061", "arm,primecell"]);
  assert.deepEqual(gpioProps.reg, [0, 0x0903_0000, 0, 0x1000]);
  assert.deepEqual(gpioProps.interrupts, [0, 7, 4]);
  assert.equal(gpioProps["gpio-controller"], null);
  assert.deepEqual(gpioProps["#gpio-cells"], [2]);
  const phandle = (gpioProps.phandle as number[])[0];
  const keys = gpioKeysNode();
  assert.deepEqual(Object.fromEntries(keys.props), { compatible: "gpio-keys" });
  const power = Object.fromEntries(keys.children[0].props);
  assert.deepEqual(power, {
    gpios: [phandle, 3, 0],
    "linux,code": [116],
    label: "GPIO Key Poweroff",
    "wakeup-source": null,
  });
  const sleep = Object.fromEntries(keys.children[1].props);
  assert.deepEqual(sleep, {
    gpios: [phandle, 4, 0],
    "linux,code": [142],
    label: "GPIO Key Sleep",
    "wakeup-source": null,
  });
});

test("virt board: pressSleepButton raises the PL061 line through pin 4; a wake-up by it is reported as the sleep button", async () => {
  const { VirtBoard } = await import("../../src/machine/board.ts");
  const { VIRT } = await import("../../src/machine/virt.ts");
  const board = new VirtBoard({
    host: nodeHost(),
    cpus: 1,
    ramSize: 4 << 20,
    psciConduit: "hvc",
    clock: "deterministic",
    output: () => {},
  });
  try {
    const base = VIRT.gpioBase;
    board.bus.write(base + BigInt(Pl061Reg.IBE), 1, 0x18n);
    board.bus.write(base + BigInt(Pl061Reg.IE), 1, 0x18n);
    const spi = () => board.vm.gic.state.spis[VIRT.gpioSpi];
    board.pressSleepButton();
    assert.equal(spi().level, true);
    assert.equal(board.bus.read(base + BigInt(Pl061Reg.MIS), 1), 0x10n);
    assert.equal(board.wakeReason(32 + VIRT.gpioSpi), "sleep-button");
    assert.equal(board.saveDevices().sleepButton?.pressed, true);
    board.bus.write(base + BigInt(Pl061Reg.IC), 1, 0x10n);
    board.pressPowerButton();
    assert.equal(board.wakeReason(32 + VIRT.gpioSpi), "power-button");
    // A snapshot from before the sleep button restores with the key up.
    const { sleepButton: _s, ...older } = board.saveDevices();
    board.restoreDevices(older);
    assert.equal(board.sleepButton.isPressed, false);
  } finally {
    board.close();
  }
});
