// The host side of semihosting (src/cpu/semihost.ts), driven directly: registers and parameter
// blocks set up in guest memory (MMU off), then Semihosting.handle().
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Cpu } from "../../src/cpu/cpu.ts";
import { Semihosting, type SemihostStream } from "../../src/cpu/semihost.ts";
import { guestCpu } from "../support/baremetal.ts";

const BLOCK = 0x4000_1000n;
const BUF = 0x4000_2000n;
const M64 = (1n << 64n) - 1n;

function setup(opts: Partial<ConstructorParameters<typeof Semihosting>[1]> = {}) {
  const cpu = guestCpu();
  const out: { stream: SemihostStream; text: string }[] = [];
  const semi = new Semihosting(cpu, {
    write(stream, bytes) {
      out.push({ stream, text: new TextDecoder().decode(bytes) });
    },
    ...opts,
  });
  return { cpu, semi, out };
}

function words(cpu: Cpu, pa: bigint, values: bigint[]): void {
  const b = new Uint8Array(8 * values.length);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => {
    dv.setBigUint64(8 * i, v & M64, true);
  });
  cpu.writePhys(pa, b);
}

function call(cpu: Cpu, semi: Semihosting, op: number, arg: bigint) {
  cpu.setX(0, BigInt(op));
  cpu.setX(1, arg);
  return semi.handle();
}

test("SYS_WRITEC and SYS_WRITE0 print to stdout", () => {
  const { cpu, semi, out } = setup();
  cpu.writePhys(BUF, new TextEncoder().encode("hi there\0junk"));
  assert.deepEqual(call(cpu, semi, 0x03, BUF), { kind: "continue" });
  assert.deepEqual(call(cpu, semi, 0x04, BUF), { kind: "continue" });
  assert.deepEqual(out, [
    { stream: "stdout", text: "h" },
    { stream: "stdout", text: "hi there" },
  ]);
});

test("SYS_WRITE0 reads a string across a page boundary", () => {
  const { cpu, semi, out } = setup();
  cpu.writePhys(BUF - 3n, new TextEncoder().encode("abcdef\0"));
  call(cpu, semi, 0x04, BUF - 3n);
  assert.equal(out[0].text, "abcdef");
});

test("SYS_OPEN(:tt) hands out console handles; SYS_WRITE goes to stdout or stderr", () => {
  const { cpu, semi, out } = setup();
  cpu.writePhys(BUF, new TextEncoder().encode(":tt\0"));
  const handles: bigint[] = [];
  for (const mode of [0n, 4n, 8n]) {
    words(cpu, BLOCK, [BUF, mode, 3n]);
    call(cpu, semi, 0x01, BLOCK);
    handles.push(cpu.x(0));
  }
  assert.deepEqual(handles, [0n, 1n, 2n]);
  cpu.writePhys(BUF + 0x100n, new TextEncoder().encode("out!err!"));
  words(cpu, BLOCK, [handles[1], BUF + 0x100n, 4n]);
  call(cpu, semi, 0x05, BLOCK);
  assert.equal(cpu.x(0), 0n); // bytes not written
  words(cpu, BLOCK, [handles[2], BUF + 0x104n, 4n]);
  call(cpu, semi, 0x05, BLOCK);
  assert.deepEqual(out, [
    { stream: "stdout", text: "out!" },
    { stream: "stderr", text: "err!" },
  ]);
  // Unknown files fail with -1 (ENOENT via SYS_ERRNO); writes to a bad handle write nothing.
  cpu.writePhys(BUF, new TextEncoder().encode("/etc/passwd\0"));
  words(cpu, BLOCK, [BUF, 0n, 11n]);
  call(cpu, semi, 0x01, BLOCK);
  assert.equal(cpu.x(0), M64);
  call(cpu, semi, 0x13, 0n);
  assert.equal(cpu.x(0), 2n);
  words(cpu, BLOCK, [7n, BUF, 5n]);
  call(cpu, semi, 0x05, BLOCK);
  assert.equal(cpu.x(0), 5n);
  // ISTTY of the console.
  words(cpu, BLOCK, [handles[1]]);
  call(cpu, semi, 0x09, BLOCK);
  assert.equal(cpu.x(0), 1n);
});

test("SYS_EXIT and SYS_EXIT_EXTENDED: the subcode of ADP_Stopped_ApplicationExit, else 1", () => {
  const { cpu, semi } = setup();
  words(cpu, BLOCK, [0x20026n, 42n]);
  assert.deepEqual(call(cpu, semi, 0x18, BLOCK), { kind: "exit", code: 42, reason: 0x20026n, subcode: 42n });
  assert.deepEqual(call(cpu, semi, 0x20, BLOCK), { kind: "exit", code: 42, reason: 0x20026n, subcode: 42n });
  words(cpu, BLOCK, [0x20023n, 0n]); // ADP_Stopped_RunTimeErrorUnknown
  assert.equal((call(cpu, semi, 0x18, BLOCK) as { code: number }).code, 1);
});

test("SYS_CLOCK, SYS_TIME, SYS_ELAPSED, SYS_TICKFREQ, SYS_HEAPINFO", () => {
  let ns = 0n;
  const { cpu, semi } = setup({
    now: () => 1_700_000_000_123,
    monotonicNs: () => ns,
    heapInfo: { heapBase: 0x4100_0000n, heapLimit: 0x4200_0000n, stackBase: 0x4300_0000n, stackLimit: 0x4200_0000n },
  });
  ns = 2_500_000_000n;
  call(cpu, semi, 0x10, 0n);
  assert.equal(cpu.x(0), 250n); // centiseconds
  call(cpu, semi, 0x11, 0n);
  assert.equal(cpu.x(0), 1_700_000_000n);
  call(cpu, semi, 0x30, BLOCK);
  assert.equal(cpu.x(0), 0n);
  assert.equal(new DataView(cpu.readPhys(BLOCK, 8).buffer).getBigUint64(0, true), 2_500_000_000n);
  call(cpu, semi, 0x31, 0n);
  assert.equal(cpu.x(0), 1_000_000_000n);
  words(cpu, BLOCK, [BUF]);
  call(cpu, semi, 0x16, BLOCK);
  assert.equal(cpu.x(0), 0n);
  const dv = new DataView(cpu.readPhys(BUF, 32).buffer);
  assert.deepEqual(
    [0, 8, 16, 24].map((o) => dv.getBigUint64(o, true)),
    [0x4100_0000n, 0x4200_0000n, 0x4300_0000n, 0x4200_0000n],
  );
});

test("unknown operations return -1", () => {
  const { cpu, semi } = setup();
  call(cpu, semi, 0x99, 0n);
  assert.equal(cpu.x(0), M64);
});
