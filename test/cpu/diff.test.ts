// Differential execution against qemu-aarch64 (tools/diff): a fixed-seed set of generated
// sequences over every encoding-table entry, compared register by register, plus checks of the
// harness itself (the oracle's view of known outcomes, mismatch detection).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { differences } from "../../tools/diff/compare.ts";
import { DormouseRunner } from "../../tools/diff/dormouse.ts";
import { BRK0, type Case, CODE_ADDR, DATA_ADDR, fillData, SIGALRM, SIGBUS, SIGILL, SIGSEGV, SIGTRAP } from "../../tools/diff/format.ts";
import { accessOf, entries, excluded } from "../../tools/diff/gen.ts";
import { type DiffResult, mismatchReport, runDiff } from "../../tools/diff/harness.ts";
import { checkOracle, runOracle } from "../../tools/diff/oracle.ts";
import { encode } from "../support/toolchain.ts";

const SEED = 20261121;
const COUNT = 20_000;

function plainCase(asm: string[], init: { x?: Record<number, bigint>; sp?: bigint } = {}): Case {
  const x = Array.from({ length: 31 }, (_, i) => BigInt(i) * 0x0101_0101n);
  for (const [n, v] of Object.entries(init.x ?? {})) x[Number(n)] = v;
  const code = [...encode(asm), BRK0];
  return {
    code,
    names: code.map(() => ""),
    x,
    sp: init.sp ?? DATA_ADDR + 0x8000n,
    nzcv: 0,
    fpcr: 0,
    fpsr: 0,
    v: Array.from({ length: 32 }, (_, i) => BigInt(i) * 0x1111n),
    dataSeed: 7,
  };
}

describe("differential harness", () => {
  before(() => checkOracle());

  test("the oracle reports ends, faults and state as Linux delivers them", () => {
    const cases = [
      plainCase(["add x0, x1, #5", "movz x2, #0x1234, lsl #16"]),
      plainCase([".inst 0x00000000"]),
      plainCase(["ldr x3, [x1]"], { x: { 1: 0x8n } }),
      plainCase(["str x3, [x1, #8]"], { x: { 1: DATA_ADDR + 0x100n, 3: 0x1122_3344_5566_7788n } }),
      plainCase(["ldxr x3, [x1]"], { x: { 1: DATA_ADDR + 0x101n } }),
      plainCase(["b ."]),
      plainCase(["mov x1, sp", "fmov d0, #1.0", "fmov d1, #3.0", "fdiv d2, d0, d1"]),
    ];
    const [add, udf, segv, str, bus, loop, fp] = runOracle(cases);
    assert.equal(add.sig, SIGTRAP);
    assert.equal(add.pc, CODE_ADDR + 8n);
    assert.equal(add.x[0], 0x0101_0101n + 5n);
    assert.equal(add.x[2], 0x1234_0000n);
    assert.equal(udf.sig, SIGILL);
    assert.equal(udf.pc, CODE_ADDR);
    assert.equal(segv.sig, SIGSEGV);
    assert.equal(segv.fault, 0x8n);
    assert.equal(str.sig, SIGTRAP);
    assert.deepEqual(
      str.mem.map((e) => [e >>> 8, e & 0xff]),
      [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
        .map((b, i) => [0x108 + i, b])
        .filter(([off, b]) => {
          const init = new Uint32Array(0x10000 / 4);
          fillData(7, init);
          return ((init[off >>> 2] >>> (8 * (off & 3))) & 0xff) !== b;
        }),
    );
    assert.equal(bus.sig, SIGBUS);
    assert.equal(bus.fault, DATA_ADDR + 0x101n);
    assert.equal(loop.sig, SIGALRM);
    assert.equal(fp.sig, SIGTRAP);
    assert.equal(fp.x[1], DATA_ADDR + 0x8000n);
    assert.equal(fp.v[2], 0x3fd5_5555_5555_5555n);
    assert.equal(fp.fpsr & 0x10, 0x10, "FPSR.IXC after an inexact division");
  });

  test("Dormouse's EL0 runner maps exceptions to the same signals", () => {
    const r = new DormouseRunner();
    r.budget = 1000;
    const brk = r.run(plainCase(["movz x2, #0x1234, lsl #16"]));
    assert.equal(brk.sig, SIGTRAP, brk.note);
    assert.equal(brk.pc, CODE_ADDR + 4n);
    assert.equal(brk.x[2], 0x1234_0000n);
    assert.equal(brk.sp, DATA_ADDR + 0x8000n);
    const udf = r.run(plainCase([".inst 0x00000000"]));
    assert.equal(udf.sig, SIGILL, udf.note);
    assert.equal(udf.pc, CODE_ADDR);
    const abort = r.run(plainCase(["br x1"], { x: { 1: 0x4000n } }));
    assert.equal(abort.sig, SIGSEGV, abort.note);
    assert.equal(abort.fault, 0x4000n);
    const misaligned = r.run(plainCase(["br x1"], { x: { 1: CODE_ADDR + 2n } }));
    assert.equal(misaligned.sig, SIGBUS, misaligned.note);
    const loop = r.run(plainCase(["b ."]));
    assert.equal(loop.sig, SIGALRM);
  });

  test("load/store addressing is decoded for the address fix-ups", () => {
    const cases: [string, bigint, number][] = [
      ["ldr x0, [x1, #8]", 8n, -1],
      ["ldr q0, [x1, #32]", 32n, -1],
      ["ldrb w0, [x1, #4095]", 4095n, -1],
      ["ldur x0, [x1, #-3]", -3n, -1],
      ["str x0, [x1], #16", 0n, -1],
      ["str x0, [x1, #-16]!", -16n, -1],
      ["ldp q0, q1, [x2, #-32]", -32n, -1],
      ["stp w0, w1, [x2, #8]", 8n, -1],
      ["ldp x0, x1, [x2], #16", 0n, -1],
      ["ldr w0, [x1, w2, sxtw #2]", 0n, 2],
      ["ldr x0, [x1, x2]", 0n, 0],
      ["ld1 {v0.16b}, [x0]", 0n, -1],
      ["ldxr x0, [x1]", 0n, -1],
    ];
    for (const [asm, offset, shift] of cases) {
      const a = accessOf(encode([asm])[0]);
      assert.equal(a.offset, offset, asm);
      assert.equal(a.rmPos >= 0 ? a.rmShift : -1, shift, asm);
    }
    assert.ok(accessOf(encode(["ldxr x0, [x1]"])[0]).exclusive);
    assert.ok(accessOf(encode(["stxr w2, x0, [x1]"])[0]).store);
    assert.ok(accessOf(encode(["ldr x0, ."])[0]).literal);
    assert.ok(accessOf(encode(["ldp x0, x1, [x2]"])[0]).pair);
    for (const asm of [
      "svc #0",
      "hvc #1",
      "brk #2",
      "hlt #3",
      "wfi",
      "wfe",
      "mrs x0, tpidr_el0",
      "mrs x0, cntvct_el0",
      "mrs x0, midr_el1",
    ]) {
      assert.ok(excluded(encode([asm])[0]), `${asm} must not be generated`);
    }
    for (const asm of ["nop", "mrs x0, nzcv", "msr fpcr, x1", "dc zva, x2", "add x0, x1, #1"]) {
      assert.equal(excluded(encode([asm])[0]), null, `${asm} may be generated`);
    }
  });

  test("a difference in any compared register, flag or byte is reported", () => {
    const r = new DormouseRunner();
    const base = r.run(plainCase(["add x0, x1, #5"]));
    const clone = () => structuredClone(base);
    assert.deepEqual(differences(base, clone()), []);
    const cases: [string, (o: typeof base) => void][] = [
      [
        "x17",
        (o) => {
          o.x[17] ^= 1n;
        },
      ],
      [
        "sp",
        (o) => {
          o.sp += 16n;
        },
      ],
      [
        "nzcv",
        (o) => {
          o.nzcv = 0x4000_0000;
        },
      ],
      [
        "fpsr",
        (o) => {
          o.fpsr = 1;
        },
      ],
      [
        "fpcr",
        (o) => {
          o.fpcr = 1 << 24;
        },
      ],
      [
        "v31",
        (o) => {
          o.v[31] ^= 1n << 127n;
        },
      ],
      [
        "data buffer",
        (o) => {
          o.mem.push((0x20 << 8) | 1);
        },
      ],
      [
        "end",
        (o) => {
          o.sig = SIGILL;
        },
      ],
      [
        "pc",
        (o) => {
          o.pc += 4n;
        },
      ],
    ];
    for (const [what, mutate] of cases) {
      const o = clone();
      mutate(o);
      assert.ok(
        differences(base, o).some((d) => d.startsWith(what)),
        `${what} difference not reported`,
      );
    }
  });
});

describe(`differential execution: ${COUNT} sequences (seed ${SEED})`, () => {
  let result: DiffResult;
  before(() => {
    checkOracle();
    result = runDiff({ seed: SEED, count: COUNT, shrink: 60 });
  });

  test("every table entry is compared (except the exception-generating ones)", () => {
    assert.equal(result.count, COUNT);
    const missing = [...result.neverCompared].filter(([, why]) => !why.startsWith("exception generation"));
    assert.deepEqual(missing, [], "entries never compared");
  });

  const groupOf = new Map(entries().map((e) => [e.name, e.group]));
  for (const group of [...new Set(entries().map((e) => e.group))]) {
    test(`no mismatch in sequences involving ${group}`, () => {
      // Attributed by the minimal reproducers; the mismatches past the shrinking limit are in the
      // overall test below.
      const mine = result.mismatches.filter((m) => m.shrunk && m.minimal.case.names.some((n) => groupOf.get(n) === group));
      const sub = { ...result, mismatches: mine };
      assert.ok(mine.length === 0, `${mine.length} mismatching cases involve ${group}:\n\n${mismatchReport(sub, SEED, 5)}`);
    });
  }

  test("no mismatch at all", () => {
    assert.ok(
      result.mismatches.length === 0,
      `${result.mismatches.length} of ${COUNT} cases differ:\n\n${mismatchReport(result, SEED, 3)}`,
    );
  });
});
