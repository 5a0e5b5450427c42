// AdvSIMD three same (integer) and scalar three same: every instruction and arrangement on
// random and edge-case inputs, against reference functions written from the Arm pseudocode
// with unbounded integers. (Results were also spot-checked against qemu-aarch64.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../support/rng.ts";
import { encode } from "../support/toolchain.ts";
import { arrangementOf, isUndefined, lanes, mask, pack, QC, rand128, runWord, satS, satU, scalarBits, sx, ux } from "./simd_int_lanes.ts";

type Lane = [bigint, boolean];
/** Reference for one element: unsigned lanes a (Vn), b (Vm), d (old Vd); returns [result, saturated]. */
type LaneRef = (a: bigint, b: bigint, d: bigint, esize: number) => Lane;

const ones = (c: boolean, e: number): Lane => [c ? mask(e) : 0n, false];
const plain = (v: bigint, e: number): Lane => [ux(v, e), false];

/** Shift by register: SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL (Arm pseudocode). */
function shiftRef(unsigned: boolean, round: boolean, saturate: boolean): LaneRef {
  return (a, b, _d, e) => {
    const shift = Number(sx(b, 8));
    const x = unsigned ? a : sx(a, e);
    const rc = round && shift < 0 ? 1n << BigInt(-shift - 1) : 0n;
    const r = shift >= 0 ? (x + rc) << BigInt(shift) : (x + rc) >> BigInt(-shift);
    if (saturate) return unsigned ? satU(r, e) : satS(r, e);
    return plain(r, e);
  };
}

function pmul(a: bigint, b: bigint): bigint {
  let r = 0n;
  for (let i = 0n; i < 8n; i++) if ((b >> i) & 1n) r ^= a << i;
  return r;
}

const REFS: Record<string, LaneRef> = {
  shadd: (a, b, _d, e) => plain((sx(a, e) + sx(b, e)) >> 1n, e),
  uhadd: (a, b, _d, e) => plain((a + b) >> 1n, e),
  srhadd: (a, b, _d, e) => plain((sx(a, e) + sx(b, e) + 1n) >> 1n, e),
  urhadd: (a, b, _d, e) => plain((a + b + 1n) >> 1n, e),
  shsub: (a, b, _d, e) => plain((sx(a, e) - sx(b, e)) >> 1n, e),
  uhsub: (a, b, _d, e) => plain((a - b) >> 1n, e),
  sqadd: (a, b, _d, e) => satS(sx(a, e) + sx(b, e), e),
  uqadd: (a, b, _d, e) => satU(a + b, e),
  sqsub: (a, b, _d, e) => satS(sx(a, e) - sx(b, e), e),
  uqsub: (a, b, _d, e) => satU(a - b, e),
  cmgt: (a, b, _d, e) => ones(sx(a, e) > sx(b, e), e),
  cmhi: (a, b, _d, e) => ones(a > b, e),
  cmge: (a, b, _d, e) => ones(sx(a, e) >= sx(b, e), e),
  cmhs: (a, b, _d, e) => ones(a >= b, e),
  sshl: shiftRef(false, false, false),
  ushl: shiftRef(true, false, false),
  sqshl: shiftRef(false, false, true),
  uqshl: shiftRef(true, false, true),
  srshl: shiftRef(false, true, false),
  urshl: shiftRef(true, true, false),
  sqrshl: shiftRef(false, true, true),
  uqrshl: shiftRef(true, true, true),
  smax: (a, b, _d, e) => plain(sx(a, e) > sx(b, e) ? a : b, e),
  umax: (a, b, _d, e) => plain(a > b ? a : b, e),
  smin: (a, b, _d, e) => plain(sx(a, e) < sx(b, e) ? a : b, e),
  umin: (a, b, _d, e) => plain(a < b ? a : b, e),
  sabd: (a, b, _d, e) => {
    const r = sx(a, e) - sx(b, e);
    return plain(r < 0n ? -r : r, e);
  },
  uabd: (a, b, _d, e) => plain(a > b ? a - b : b - a, e),
  saba: (a, b, d, e) => {
    const r = sx(a, e) - sx(b, e);
    return plain(d + (r < 0n ? -r : r), e);
  },
  uaba: (a, b, d, e) => plain(d + (a > b ? a - b : b - a), e),
  add: (a, b, _d, e) => plain(a + b, e),
  sub: (a, b, _d, e) => plain(a - b, e),
  cmtst: (a, b, _d, e) => ones((a & b) !== 0n, e),
  cmeq: (a, b, _d, e) => ones(a === b, e),
  mla: (a, b, d, e) => plain(d + a * b, e),
  mls: (a, b, d, e) => plain(d - a * b, e),
  mul: (a, b, _d, e) => plain(a * b, e),
  pmul: (a, b, _d, e) => plain(pmul(a, b), e),
  sqdmulh: (a, b, _d, e) => satS((2n * sx(a, e) * sx(b, e)) >> BigInt(e), e),
  sqrdmulh: (a, b, _d, e) => satS((2n * sx(a, e) * sx(b, e) + (1n << BigInt(e - 1))) >> BigInt(e), e),
};
const PAIRWISE: Record<string, string> = { addp: "add", smaxp: "smax", umaxp: "umax", sminp: "smin", uminp: "umin" };
const LOGIC: Record<string, (n: bigint, m: bigint, d: bigint) => bigint> = {
  and: (n, m) => n & m,
  bic: (n, m) => n & ~m,
  orr: (n, m) => n | m,
  orn: (n, m) => n | ~m,
  eor: (n, m) => n ^ m,
  bsl: (n, m, d) => (d & n) | (~d & m),
  bit: (n, m, d) => (n & m) | (d & ~m),
  bif: (n, m, d) => (d & m) | (n & ~m),
};

const ALL = ["8b", "16b", "4h", "8h", "2s", "4s", "2d"];
const NO64 = ["8b", "16b", "4h", "8h", "2s", "4s"];
const VECTOR: [string, string[]][] = [
  ...["sqadd", "uqadd", "sqsub", "uqsub", "cmgt", "cmhi", "cmge", "cmhs", "cmtst", "cmeq", "add", "sub", "addp"].map(
    (m): [string, string[]] => [m, ALL],
  ),
  ...["sshl", "ushl", "sqshl", "uqshl", "srshl", "urshl", "sqrshl", "uqrshl"].map((m): [string, string[]] => [m, ALL]),
  ...["shadd", "uhadd", "srhadd", "urhadd", "shsub", "uhsub", "smax", "umax", "smin", "umin", "sabd", "uabd", "saba", "uaba"].map(
    (m): [string, string[]] => [m, NO64],
  ),
  ...["mla", "mls", "mul", "smaxp", "umaxp", "sminp", "uminp"].map((m): [string, string[]] => [m, NO64]),
  ["pmul", ["8b", "16b"]],
  ["sqdmulh", ["4h", "8h", "2s", "4s"]],
  ["sqrdmulh", ["4h", "8h", "2s", "4s"]],
  ...Object.keys(LOGIC).map((m): [string, string[]] => [m, ["8b", "16b"]]),
];
const SCALAR: [string, string[]][] = [
  ...["sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl", "sqrshl", "uqrshl"].map((m): [string, string[]] => [m, ["b", "h", "s", "d"]]),
  ...["cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "srshl", "urshl", "add", "sub", "cmtst", "cmeq"].map((m): [string, string[]] => [
    m,
    ["d"],
  ]),
  ["sqdmulh", ["h", "s"]],
  ["sqrdmulh", ["h", "s"]],
];
const TRIALS = 12;

/** Expected [Vd, QC] of a vector three-same instruction. */
function expectVector(m: string, t: string, n: bigint, mm: bigint, d: bigint): [bigint, boolean] {
  const { esize, q } = arrangementOf(t);
  const bits = q ? 128 : 64;
  const count = bits / esize;
  if (LOGIC[m]) return [LOGIC[m](n, mm, d) & mask(bits), false];
  const a = lanes(n, esize, count);
  const b = lanes(mm, esize, count);
  const dl = lanes(d, esize, count);
  let qc = false;
  let out: bigint[];
  if (PAIRWISE[m]) {
    const cat = [...a, ...b];
    const ref = REFS[PAIRWISE[m]];
    out = a.map((_, i) => ref(cat[2 * i], cat[2 * i + 1], 0n, esize)[0]);
  } else {
    out = a.map((x, i) => {
      const [r, s] = REFS[m](x, b[i], dl[i], esize);
      qc ||= s;
      return r;
    });
  }
  return [pack(out, esize), qc];
}

test("three same (vector): every instruction and arrangement against the reference", () => {
  const rng = new Rng(0x5a3e);
  const lines: string[] = [];
  const what: [string, string][] = [];
  for (const [m, ts] of VECTOR) {
    for (const t of ts) {
      lines.push(`${m} v0.${t}, v1.${t}, v2.${t}`);
      what.push([m, t]);
    }
  }
  const words = encode(lines);
  const bad: string[] = [];
  words.forEach((w, i) => {
    const [m, t] = what[i];
    for (let k = 0; k < TRIALS; k++) {
      const n = rand128(rng);
      // Shift counts: mostly in-range amounts so the shifted paths are exercised.
      const mm =
        m.includes("sh") && k % 2
          ? pack(
              lanes(rand128(rng), 8).map((x) => ux(sx(x, 8) % 70n, 8)),
              8,
            )
          : rand128(rng);
      const d = rand128(rng);
      const cpu = runWord(w, { v: { 0: d, 1: n, 2: mm } });
      const [want, qc] = expectVector(m, t, n, mm, d);
      const got = cpu.v(0);
      const gotQc = (cpu.fpsr & QC) !== 0;
      if (got !== want || gotQc !== qc) {
        bad.push(
          `${lines[i]} n=${n.toString(16)} m=${mm.toString(16)} d=${d.toString(16)}: got ${got.toString(16)} qc=${gotQc}, want ${want.toString(16)} qc=${qc}`,
        );
      }
    }
  });
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${words.length * TRIALS} differ`);
});

test("three same (scalar): every instruction and size against the reference", () => {
  const rng = new Rng(0x5ca1);
  const lines: string[] = [];
  const what: [string, string][] = [];
  for (const [m, rs] of SCALAR) {
    for (const r of rs) {
      lines.push(`${m} ${r}0, ${r}1, ${r}2`);
      what.push([m, r]);
    }
  }
  const words = encode(lines);
  const bad: string[] = [];
  words.forEach((w, i) => {
    const [m, r] = what[i];
    const e = scalarBits(r);
    for (let k = 0; k < TRIALS; k++) {
      const n = rand128(rng);
      const mm = rand128(rng);
      const d = rand128(rng);
      const cpu = runWord(w, { v: { 0: d, 1: n, 2: mm } });
      const [want, qc] = REFS[m](n & mask(e), mm & mask(e), d & mask(e), e);
      const gotQc = (cpu.fpsr & QC) !== 0;
      if (cpu.v(0) !== want || gotQc !== qc)
        bad.push(`${lines[i]} n=${n.toString(16)} m=${mm.toString(16)}: got ${cpu.v(0).toString(16)}, want ${want.toString(16)}`);
    }
  });
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${words.length * TRIALS} differ`);
});

test("three same: QC is sticky and only set by saturation", () => {
  const [sqadd] = encode(["sqadd v0.16b, v1.16b, v2.16b"]);
  // No saturation: QC stays as it was (clear or set).
  assert.equal(runWord(sqadd, { v: { 1: 1n, 2: 2n } }).fpsr & QC, 0);
  assert.equal(runWord(sqadd, { v: { 1: 1n, 2: 2n }, fpsr: QC }).fpsr & QC, QC);
  // 0x7f + 1 saturates in lane 15 only.
  const cpu = runWord(sqadd, { v: { 1: 0x7fn << 120n, 2: 1n << 120n } });
  assert.equal(cpu.v(0), 0x7fn << 120n);
  assert.equal(cpu.fpsr & QC, QC);
  // A 64-bit form ignores lanes in the upper half for QC (they are not operated on).
  const [sq8b] = encode(["uqadd v0.8b, v1.8b, v2.8b"]);
  assert.equal(runWord(sq8b, { v: { 1: 0xffn << 120n, 2: 0xffn << 120n } }).fpsr & QC, 0);
});

test("three same: reserved sizes are UNDEFINED", () => {
  const ADD = 0x0e208400; // add v0.8b, v0.8b, v0.8b
  assert.equal(isUndefined(ADD | (3 << 22)), true, "add .1d (size 3, Q 0)");
  assert.equal(isUndefined(ADD | (3 << 22) | (1 << 30)), false, "add .2d");
  const SHADD = 0x0e200400;
  assert.equal(isUndefined(SHADD | (3 << 22) | (1 << 30)), true, "shadd .2d");
  const PMUL = 0x2e209c00;
  assert.equal(isUndefined(PMUL | (1 << 22)), true, "pmul .4h");
  const SQDMULH = 0x0e20b400;
  assert.equal(isUndefined(SQDMULH), true, "sqdmulh .8b");
  const ADD_SCALAR = 0x5e208400; // add b0, b0, b0 is unallocated; add d0 is size 3
  assert.equal(isUndefined(ADD_SCALAR), true, "add (scalar) b");
  assert.equal(isUndefined(ADD_SCALAR | (3 << 22)), false, "add d0, d0, d0");
});
