// Shared harness for the AdvSIMD shift/long/element unit tests: assembles every case's
// instruction in one batch, runs each word on one CPU with random vector registers, and
// compares Vd and FPSR.QC with a BigInt reference written from the Arm pseudocode.
import assert from "node:assert/strict";
import type { Cpu } from "../../src/cpu/cpu.ts";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu } from "../support/snippet.ts";
import { encode } from "../support/toolchain.ts";

export const QC = 1 << 27;

/** Reference-side saturation tracking (the QC bit the instruction should set). */
export const ref = { qc: false };

export const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
export const uN = (x: bigint, bits: number): bigint => BigInt.asUintN(bits, x);
export const sN = (x: bigint, bits: number): bigint => BigInt.asIntN(bits, x);

/** SignedSatQ: clamps to `bits` bits, noting saturation in ref.qc. */
export function satS(x: bigint, bits: number): bigint {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  if (x > max) {
    ref.qc = true;
    return max;
  }
  if (x < min) {
    ref.qc = true;
    return min;
  }
  return x;
}

/** UnsignedSatQ: clamps to [0, 2^bits - 1], noting saturation in ref.qc. */
export function satU(x: bigint, bits: number): bigint {
  const max = mask(bits);
  if (x > max) {
    ref.qc = true;
    return max;
  }
  if (x < 0n) {
    ref.qc = true;
    return 0n;
  }
  return x;
}

/** Lane i (unsigned) of a 128-bit value. */
export const lane = (v: bigint, bits: number, i: number): bigint => (v >> BigInt(bits * i)) & mask(bits);

/** Packs lanes (taken modulo 2^bits) into a value. */
export function pack(ls: bigint[], bits: number): bigint {
  let r = 0n;
  ls.forEach((x, i) => {
    r |= uN(x, bits) << BigInt(bits * i);
  });
  return r;
}

/** Arrangement name of esize bits in a 64- or 128-bit vector. */
export const arr = (bits: number, q: number): string => `${((q ? 128 : 64) / bits) | 0}${{ 8: "b", 16: "h", 32: "s", 64: "d" }[bits]}`;
/** Scalar register letter of esize bits. */
export const sreg = (bits: number): string => ({ 8: "b", 16: "h", 32: "s", 64: "d" })[bits] as string;

/** A test case: one instruction and its reference (register values in, expected Vd out). */
export interface Case {
  asm: string;
  d: number;
  /** Expected Vd from the initial vector registers; sets ref.qc on saturation. */
  expect: (v: bigint[]) => bigint;
}

/** Random 64-bit value whose lanes of `bits` lean to the edges (0, ±1, min, max). */
export function edgy(rng: Rng, bits: number): bigint {
  const edges = [0n, 1n, mask(bits), mask(bits) >> 1n, 1n << BigInt(bits - 1), (1n << BigInt(bits - 1)) + 1n, 2n];
  let r = 0n;
  for (let i = 0; i < 64; i += bits) {
    const x = rng.below(3) === 0 ? rng.pick(edges) : rng.u64() & mask(bits);
    r |= x << BigInt(i);
  }
  return r;
}

let cpu: Cpu | null = null;

/** Runs each case `rounds` times with random registers; returns the number of runs. */
export function runCases(cases: Case[], seed: number, rounds = 4, bitsHint = 16): number {
  const words = encode(cases.map((c) => c.asm));
  assert.equal(words.length, cases.length);
  if (!cpu) cpu = freshCpu();
  const c = cpu;
  const rng = new Rng(seed);
  const code = new Uint8Array(8);
  const dv = new DataView(code.buffer);
  dv.setUint32(4, 0xd4000002, true); // hvc #0
  let runs = 0;
  const bad: string[] = [];
  cases.forEach((tc, k) => {
    dv.setUint32(0, words[k], true);
    c.writePhys(CODE_BASE, code);
    c.flushCaches();
    for (let r = 0; r < rounds; r++) {
      const vals: bigint[] = [];
      const bits = rng.pick([8, 16, 32, 64, bitsHint]);
      for (let i = 0; i < 32; i++) {
        const v = (edgy(rng, bits) << 64n) | edgy(rng, bits);
        vals.push(v);
        c.setV(i, v);
      }
      const fpsr0 = r & 1 ? QC : 0;
      c.fpsr = fpsr0;
      c.pc = CODE_BASE;
      ref.qc = false;
      const want = uN(tc.expect(vals), 128);
      const wantQC = ref.qc || fpsr0 !== 0;
      const undef = c.undefCount;
      const exit = c.run(10);
      runs++;
      if (exit !== ExitReason.Hvc || c.undefCount !== undef) {
        bad.push(`${tc.asm}: did not execute (exit ${exit}, undef ${c.undefCount - undef})`);
        return;
      }
      const got = c.v(tc.d);
      const gotQC = (c.fpsr & QC) !== 0;
      if (got !== want || gotQC !== wantQC) {
        const ins = vals.map((v, i) => `v${i}=${v.toString(16)}`).join(" ");
        bad.push(`${tc.asm}: got ${got.toString(16)} qc=${gotQC}, want ${want.toString(16)} qc=${wantQC} (${ins.slice(0, 600)})`);
      }
    }
  });
  assert.deepEqual(bad.slice(0, 8), [], `${bad.length} of ${runs} runs differ`);
  return runs;
}

/** Picks three register numbers; sometimes Vd aliases a source (narrow "2" and long forms care). */
export function regs(rng: Rng, mMax = 31): { d: number; n: number; m: number } {
  const n = rng.below(32);
  const m = rng.below(mMax + 1);
  const k = rng.below(6);
  const d = k === 0 ? n : k === 1 ? m : rng.below(32);
  return { d, n, m };
}
