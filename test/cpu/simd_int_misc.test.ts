// AdvSIMD two-register miscellaneous (integer), across lanes and scalar pairwise ADDP: every
// instruction and arrangement on random and edge-case inputs, against reference functions
// written from the Arm pseudocode with unbounded integers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../support/rng.ts";
import { encode } from "../support/toolchain.ts";
import { arrangementOf, isUndefined, lanes, mask, pack, QC, rand128, runWord, satS, satU, scalarBits, sx, ux } from "./simd_int_lanes.ts";

type Lane = [bigint, boolean];
/** Reference for one element: n (Vn) and d (old Vd) unsigned lanes of esize bits. */
type LaneRef = (n: bigint, d: bigint, esize: number) => Lane;

const plain = (v: bigint, e: number): Lane => [ux(v, e), false];
const ones = (c: boolean, e: number): Lane => [c ? mask(e) : 0n, false];
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

function clz(v: bigint, bits: number): bigint {
  let n = 0n;
  for (let i = bits - 1; i >= 0 && !((v >> BigInt(i)) & 1n); i--) n++;
  return n;
}
function popcount(v: bigint): bigint {
  let n = 0n;
  for (; v; v >>= 1n) n += v & 1n;
  return n;
}
function rbit8(v: bigint): bigint {
  let r = 0n;
  for (let i = 0n; i < 8n; i++) if ((v >> i) & 1n) r |= 1n << (7n - i);
  return r;
}

const ELEMENTWISE: Record<string, LaneRef> = {
  suqadd: (n, d, e) => satS(sx(d, e) + n, e),
  usqadd: (n, d, e) => satU(d + sx(n, e), e),
  sqabs: (n, _d, e) => satS(abs(sx(n, e)), e),
  sqneg: (n, _d, e) => satS(-sx(n, e), e),
  abs: (n, _d, e) => plain(abs(sx(n, e)), e),
  neg: (n, _d, e) => plain(-sx(n, e), e),
  cls: (n, _d, e) => plain(clz(ux(n ^ (n >> 1n), e - 1), e - 1), e),
  clz: (n, _d, e) => plain(clz(n, e), e),
  cnt: (n, _d, e) => plain(popcount(n), e),
  not: (n, _d, e) => plain(~n, e),
  rbit: (n, _d, e) => plain(rbit8(n), e),
  cmgt: (n, _d, e) => ones(sx(n, e) > 0n, e),
  cmge: (n, _d, e) => ones(sx(n, e) >= 0n, e),
  cmeq: (n, _d, e) => ones(n === 0n, e),
  cmle: (n, _d, e) => ones(sx(n, e) <= 0n, e),
  cmlt: (n, _d, e) => ones(sx(n, e) < 0n, e),
};
const ZERO_CMP = new Set(["cmgt", "cmge", "cmeq", "cmle", "cmlt"]);
const ALL = ["8b", "16b", "4h", "8h", "2s", "4s", "2d"];
const NO64 = ["8b", "16b", "4h", "8h", "2s", "4s"];
const TRIALS = 12;
const WIDE: Record<string, string> = { "8b": "4h", "16b": "8h", "4h": "2s", "8h": "4s", "2s": "1d", "4s": "2d" };

interface Case {
  line: string;
  /** [expected Vd, expected QC] from Vn and the old Vd. */
  expect: (n: bigint, d: bigint) => [bigint, boolean];
}

function elementwise(m: string, t: string): Case {
  const { esize, q } = arrangementOf(t);
  const count = (64 << q) / esize;
  return {
    line: `${m} v0.${t}, v1.${t}${ZERO_CMP.has(m) ? ", #0" : ""}`,
    expect: (n, d) => {
      const dl = lanes(d, esize, count);
      let qc = false;
      const out = lanes(n, esize, count).map((x, i) => {
        const [r, s] = ELEMENTWISE[m](x, dl[i], esize);
        qc ||= s;
        return r;
      });
      return [pack(out, esize), qc];
    },
  };
}

/** REV16/32/64: reverses the order of the elements in each container. */
function rev(container: number, t: string): Case {
  const { esize, q } = arrangementOf(t);
  const per = container / esize;
  return {
    line: `rev${container} v0.${t}, v1.${t}`,
    expect: (n) => {
      const l = lanes(n, esize, (64 << q) / esize);
      return [
        pack(
          l.map((_, i) => l[i - (i % per) + (per - 1 - (i % per))]),
          esize,
        ),
        false,
      ];
    },
  };
}

function addLongPairwise(m: string, t: string): Case {
  const { esize, q } = arrangementOf(t);
  const signed = m[0] === "s";
  const acc = m.includes("adal");
  return {
    line: `${m} v0.${WIDE[t]}, v1.${t}`,
    expect: (n, d) => {
      const l = lanes(n, esize, (64 << q) / esize).map((x) => (signed ? sx(x, esize) : x));
      const dl = lanes(d, 2 * esize);
      const out = [];
      for (let i = 0; i < l.length / 2; i++) out.push(l[2 * i] + l[2 * i + 1] + (acc ? dl[i] : 0n));
      return [pack(out, 2 * esize), false];
    },
  };
}

/** XTN/SQXTN/UQXTN/SQXTUN{2}: narrows Vn's 2*esize elements into one half of Vd. */
function narrow(m: string, t: string, upper: boolean): Case {
  const { esize } = arrangementOf(t);
  const wideT = { 8: "8h", 16: "4s", 32: "2d" }[esize] as string;
  const destT = upper ? { 8: "16b", 16: "8h", 32: "4s" }[esize] : t;
  return {
    line: `${m}${upper ? "2" : ""} v0.${destT}, v1.${wideT}`,
    expect: (n, d) => {
      let qc = false;
      const out = lanes(n, 2 * esize).map((x) => {
        const [r, s] = narrowLane(m, x, esize);
        qc ||= s;
        return r;
      });
      const half = pack(out, esize);
      return [upper ? (half << 64n) | (d & mask(64)) : half, qc];
    },
  };
}

function narrowLane(m: string, x: bigint, esize: number): Lane {
  switch (m) {
    case "xtn":
      return plain(x, esize);
    case "sqxtn":
      return satS(sx(x, 2 * esize), esize);
    case "uqxtn":
      return satU(x, esize);
    default:
      return satU(sx(x, 2 * esize), esize);
  }
}

function shll(t: string, upper: boolean): Case {
  const { esize } = arrangementOf(t);
  const srcT = upper ? { 8: "16b", 16: "8h", 32: "4s" }[esize] : t;
  return {
    line: `shll${upper ? "2" : ""} v0.${{ 8: "8h", 16: "4s", 32: "2d" }[esize]}, v1.${srcT}, #${esize}`,
    expect: (n) => {
      const l = lanes(n, esize).slice(upper ? 64 / esize : 0, upper ? 128 / esize : 64 / esize);
      return [
        pack(
          l.map((x) => x << BigInt(esize)),
          2 * esize,
        ),
        false,
      ];
    },
  };
}

function across(m: string, t: string): Case {
  const { esize, q } = arrangementOf(t);
  const long = m.endsWith("lv");
  const signed = m[0] === "s";
  const rbits = long ? 2 * esize : esize;
  const reg = { 8: "b", 16: "h", 32: "s", 64: "d" }[rbits];
  return {
    line: `${m} ${reg}0, v1.${t}`,
    expect: (n) => {
      const l = lanes(n, esize, (64 << q) / esize).map((x) => (signed ? sx(x, esize) : x));
      let r: bigint;
      if (m.includes("add")) r = l.reduce((s, x) => s + x, 0n);
      else if (m.includes("max")) r = l.reduce((s, x) => (x > s ? x : s));
      else r = l.reduce((s, x) => (x < s ? x : s));
      return [ux(r, rbits), false];
    },
  };
}

function scalar(m: string, r: string): Case {
  const e = scalarBits(r);
  return {
    line: `${m} ${r}0, ${r}1${ZERO_CMP.has(m) ? ", #0" : ""}`,
    expect: (n, d) => ELEMENTWISE[m](n & mask(e), d & mask(e), e),
  };
}

function scalarNarrow(m: string, r: string): Case {
  const e = scalarBits(r);
  const src = { 8: "h", 16: "s", 32: "d" }[e];
  return { line: `${m} ${r}0, ${src}1`, expect: (n) => narrowLane(m, n & mask(2 * e), e) };
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const t of NO64) out.push(rev(64, t));
  for (const t of ["8b", "16b", "4h", "8h"]) out.push(rev(32, t));
  for (const t of ["8b", "16b"]) out.push(rev(16, t));
  for (const m of ["saddlp", "uaddlp", "sadalp", "uadalp"]) for (const t of NO64) out.push(addLongPairwise(m, t));
  for (const m of ["suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg", ...ZERO_CMP]) for (const t of ALL) out.push(elementwise(m, t));
  for (const m of ["cls", "clz"]) for (const t of NO64) out.push(elementwise(m, t));
  for (const m of ["cnt", "not", "rbit"]) for (const t of ["8b", "16b"]) out.push(elementwise(m, t));
  for (const m of ["xtn", "sqxtn", "uqxtn", "sqxtun"])
    for (const t of ["8b", "4h", "2s"]) for (const u of [false, true]) out.push(narrow(m, t, u));
  for (const t of ["8b", "4h", "2s"]) for (const u of [false, true]) out.push(shll(t, u));
  for (const m of ["addv", "saddlv", "uaddlv", "smaxv", "umaxv", "sminv", "uminv"])
    for (const t of ["8b", "16b", "4h", "8h", "4s"]) out.push(across(m, t));
  for (const m of ["suqadd", "usqadd", "sqabs", "sqneg"]) for (const r of ["b", "h", "s", "d"]) out.push(scalar(m, r));
  for (const m of ["abs", "neg", ...ZERO_CMP]) out.push(scalar(m, "d"));
  for (const m of ["sqxtn", "uqxtn", "sqxtun"]) for (const r of ["b", "h", "s"]) out.push(scalarNarrow(m, r));
  out.push({ line: "addp d0, v1.2d", expect: (n) => [ux((n & mask(64)) + (n >> 64n), 64), false] });
  return out;
}

test("two-register misc, across lanes, scalar pairwise: every form against the reference", () => {
  const rng = new Rng(0x3715c);
  const all = cases();
  const words = encode(all.map((c) => c.line));
  const bad: string[] = [];
  words.forEach((w, i) => {
    for (let k = 0; k < TRIALS; k++) {
      const n = rand128(rng);
      const d = rand128(rng);
      const cpu = runWord(w, { v: { 0: d, 1: n } });
      const [want, qc] = all[i].expect(n, d);
      const gotQc = (cpu.fpsr & QC) !== 0;
      if (cpu.v(0) !== want || gotQc !== qc) {
        bad.push(
          `${all[i].line} n=${n.toString(16)} d=${d.toString(16)}: got ${cpu.v(0).toString(16)} qc=${gotQc}, want ${want.toString(16)} qc=${qc}`,
        );
      }
    }
  });
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${words.length * TRIALS} differ`);
});

test("two-register misc: saturation edge cases set QC", () => {
  const [sqabs, sqneg, sqxtn, suqadd] = encode(["sqabs v0.2d, v1.2d", "sqneg s0, s1", "sqxtn2 v0.4s, v1.2d", "suqadd d0, d1"]);
  let cpu = runWord(sqabs, { v: { 1: (1n << 63n) | (5n << 64n) } });
  assert.equal(cpu.v(0), (mask(63) | (5n << 64n)) & mask(128));
  assert.equal(cpu.fpsr & QC, QC);
  cpu = runWord(sqneg, { v: { 1: 0x80000000n } });
  assert.equal(cpu.v(0), 0x7fffffffn);
  assert.equal(cpu.fpsr & QC, QC);
  // sqxtn2 keeps the low half of Vd.
  cpu = runWord(sqxtn, { v: { 0: 0x1234n, 1: (1n << 40n) | (3n << 64n) } });
  assert.equal(cpu.v(0), (0x7fffffffn << 64n) | (3n << 96n) | 0x1234n);
  assert.equal(cpu.fpsr & QC, QC);
  // suqadd: signed Vd + unsigned Vn, 64-bit.
  cpu = runWord(suqadd, { v: { 0: 1n, 1: mask(64) } });
  assert.equal(cpu.v(0), mask(63));
  assert.equal(cpu.fpsr & QC, QC);
  cpu = runWord(suqadd, { v: { 0: mask(64), 1: mask(64) } }); // -1 + (2^64 - 1) = 2^64 - 2 saturates
  assert.equal(cpu.v(0), mask(63));
  cpu = runWord(suqadd, { v: { 0: 1n << 63n, 1: mask(63) } }); // MIN + MAX = -1
  assert.equal(cpu.v(0), mask(64));
  assert.equal(cpu.fpsr & QC, 0);
});

test("two-register misc and across lanes: reserved sizes are UNDEFINED", () => {
  const ADDV = 0x0e31b800; // addv b0, v0.8b
  assert.equal(isUndefined(ADDV | (2 << 22)), true, "addv s0, v0.2s");
  assert.equal(isUndefined(ADDV | (2 << 22) | (1 << 30)), false, "addv s0, v0.4s");
  assert.equal(isUndefined(ADDV | (3 << 22) | (1 << 30)), true, "addv d0, v0.2d");
  const CNT = 0x0e205800;
  assert.equal(isUndefined(CNT | (1 << 22)), true, "cnt .4h");
  const REV32 = 0x2e200800;
  assert.equal(isUndefined(REV32 | (2 << 22)), true, "rev32 .2s");
  const XTN = 0x0e212800;
  assert.equal(isUndefined(XTN | (3 << 22)), true, "xtn size 3");
  const ABS_SCALAR = 0x5e20b800; // abs b0, b0: unallocated
  assert.equal(isUndefined(ABS_SCALAR), true, "abs b0");
  assert.equal(isUndefined(ABS_SCALAR | (3 << 22)), false, "abs d0");
  const ADDP_SCALAR = 0x5e31b800; // addp with size 0
  assert.equal(isUndefined(ADDP_SCALAR), true, "addp size 0");
});
