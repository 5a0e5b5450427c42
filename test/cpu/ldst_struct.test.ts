// AdvSIMD structure loads and stores (src/cpu/decode/ldst_struct.decode) against a model of
// the Arm ARM pseudocode: random LD1-LD4/ST1-ST4 (multiple), single-lane and LD1R-LD4R
// instructions, with and without post-index, run in one snippet; each load's registers and
// base are dumped with STR Q/STR X, each store writes its own 64-byte slot.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../support/rng.ts";
import { freshCpu, runSnippet } from "../support/snippet.ts";
import { assemble } from "../support/toolchain.ts";
import { DATA_BASE, ec, mem, pattern, runTrap } from "./ldst-util.ts";

const D = pattern();
const DUMP = 0x1_0000; // dumps of loads, from DATA_BASE
const SLOTS = 0x4000; // store slots, from DATA_BASE
const RM_VALUE = 40n; // x19, the register post-index

type Kind = "mult" | "single" | "repl";
interface Case {
  word: number;
  L: number;
  regs: number[];
  off: number; // base offset: loads from DATA_BASE, stores from their slot
}

const MULT: Record<number, [number, number]> = { 0: [1, 4], 2: [4, 1], 4: [1, 3], 6: [3, 1], 7: [1, 1], 8: [1, 2], 10: [2, 1] };

/** The model: V registers as bytes, memory as the test data plus the store slots. */
class Model {
  v: Uint8Array[] = Array.from({ length: 32 }, (_, i) => new Uint8Array(16).fill(0x40 + i));
  m = new Uint8Array(0x2_0000);
  constructor() {
    this.m.set(D);
  }
  /** Executes one instruction word with base address offset `base` (into m); returns the writeback offset. */
  exec(w: number, base: number): number {
    const Q = (w >>> 30) & 1;
    const L = (w >>> 22) & 1;
    const post = (w >>> 23) & 1;
    const Rm = (w >>> 16) & 31;
    const t = w & 31;
    const single = (w >>> 24) & 1;
    let total = 0;
    let offs = 0;
    const acc = (reg: number, byte: number, n: number) => {
      for (let i = 0; i < n; i++) {
        if (L) this.v[reg][byte + i] = this.m[base + offs + i];
        else this.m[base + offs + i] = this.v[reg][byte + i];
      }
      offs += n;
    };
    if (!single) {
      const opcode = (w >>> 12) & 15;
      const size = (w >>> 10) & 3;
      const [rpt, selem] = MULT[opcode];
      const eb = 1 << size;
      const elements = (8 << Q) / eb;
      for (let r = 0; r < rpt; r++) for (let e = 0; e < elements; e++) for (let s = 0; s < selem; s++) acc((t + r + s) % 32, e * eb, eb);
      if (L && !Q) for (let j = 0; j < rpt * selem; j++) this.v[(t + j) % 32].fill(0, 8);
      total = offs;
    } else {
      const R = (w >>> 21) & 1;
      const opcode = (w >>> 13) & 7;
      const S = (w >>> 12) & 1;
      const size = (w >>> 10) & 3;
      const selem = (opcode & 1) * 2 + R + 1;
      let scale = opcode >> 1;
      if (scale === 3) {
        const eb = 1 << size;
        for (let s = 0; s < selem; s++) {
          const reg = (t + s) % 32;
          for (let b = 0; b < 16; b++) this.v[reg][b] = b < 8 << Q ? this.m[base + s * eb + (b % eb)] : 0;
        }
        total = selem * eb;
      } else {
        let index: number;
        if (scale === 0) index = (Q << 3) | (S << 2) | size;
        else if (scale === 1) index = (Q << 2) | (S << 1) | (size >> 1);
        else if (size & 1) {
          index = Q;
          scale = 3;
        } else index = (Q << 1) | S;
        const eb = 1 << scale;
        for (let s = 0; s < selem; s++) acc((t + s) % 32, index * eb, eb);
        total = offs;
      }
    }
    return post ? base + (Rm === 31 ? total : Number(RM_VALUE)) : base;
  }
}

/** A random valid structure instruction: kind, L, post-index (none, #imm, x19), Rt. */
function randomCase(rng: Rng, kind: Kind, L: number): { word: number; regs: number[]; align: number } {
  const Q = rng.below(2);
  const t = rng.below(32);
  const postSel = rng.below(3);
  const Rn = L ? 20 : 21;
  const post = postSel > 0 ? 1 : 0;
  const Rm = postSel === 2 ? 19 : post ? 31 : 0;
  let word: number;
  let n: number;
  let align: number;
  if (kind === "mult") {
    const opcode = rng.pick([0, 2, 4, 6, 7, 8, 10]);
    const [rpt, selem] = MULT[opcode];
    let size = rng.below(4);
    if (size === 3 && Q === 0 && selem !== 1) size = 2;
    word = (Q << 30) | (0b0011000 << 23) | (post << 23) | (L << 22) | (Rm << 16) | (opcode << 12) | (size << 10) | (Rn << 5) | t;
    n = rpt * selem;
    align = 1 << size;
  } else if (kind === "repl") {
    const R = rng.below(2);
    const o0 = rng.below(2);
    const size = rng.below(4);
    word =
      (Q << 30) | (0b0011010 << 23) | (post << 23) | (1 << 22) | (R << 21) | (Rm << 16) | ((6 | o0) << 13) | (size << 10) | (Rn << 5) | t;
    n = o0 * 2 + R + 1;
    align = 1 << size;
  } else {
    const R = rng.below(2);
    const scale = rng.below(4); // 3 = D
    const o0 = rng.below(2);
    const S = scale === 3 ? 0 : rng.below(2);
    const size = scale === 0 ? rng.below(4) : scale === 1 ? rng.below(2) * 2 : scale === 2 ? 0 : 1;
    const opcode = (Math.min(scale, 2) << 1) | o0;
    word =
      (Q << 30) |
      (0b0011010 << 23) |
      (post << 23) |
      (L << 22) |
      (R << 21) |
      (Rm << 16) |
      (opcode << 13) |
      (S << 12) |
      (size << 10) |
      (Rn << 5) |
      t;
    n = o0 * 2 + R + 1;
    align = 1 << scale;
  }
  const regs: number[] = [];
  for (let i = 0; i < n; i++) regs.push((t + i) % 32);
  return { word: word >>> 0, regs, align };
}

function runCases(kinds: Kind[], count: number, seed: number): void {
  const rng = new Rng(seed);
  const model = new Model();
  const cases: Case[] = [];
  let src = `  mov x19, #${RM_VALUE}\n  add x26, x28, #${DUMP}\n`;
  for (let i = 0; i < count; i++) {
    const L = rng.below(2);
    const kind = rng.pick(kinds);
    if (kind === "repl" && !L) continue;
    const c = randomCase(rng, kind, L);
    // Device memory: elements must be aligned; sometimes aligned only to the element size.
    const off = L
      ? rng.below(2)
        ? rng.below(32) * 8
        : rng.below(256 / c.align) * c.align
      : SLOTS + cases.length * 128 + (rng.below(2) ? 0 : c.align);
    cases.push({ word: c.word, L, regs: c.regs, off });
    // (only immediate adds: the shifted-register group may not be there yet)
    const rn = `x${L ? 20 : 21}`;
    src += `  add ${rn}, x28, #${off >> 12}, lsl #12\n  add ${rn}, ${rn}, #${off & 0xfff}\n`;
    src += `  .inst 0x${c.word.toString(16)}\n`;
    if (L) {
      for (const r of c.regs) src += `  str q${r}, [x26], #16\n`;
      src += "  str x20, [x26], #8\n";
    } else {
      src += "  str x21, [x26], #8\n";
    }
  }
  const init: Record<number, bigint> = {};
  for (let i = 0; i < 32; i++) init[i] = BigInt(`0x${Buffer.from(model.v[i]).reverse().toString("hex")}`);
  const cpu = runSnippet(src, { data: D, v: init });
  // Replay on the model, building the expected dump.
  const dump: number[] = [];
  const u64 = (v: number) => {
    let b = BigInt(v) + DATA_BASE;
    for (let i = 0; i < 8; i++) {
      dump.push(Number(b & 0xffn));
      b >>= 8n;
    }
  };
  for (const c of cases) {
    const wb = model.exec(c.word, c.off);
    if (c.L) for (const r of c.regs) dump.push(...model.v[r]);
    u64(wb);
  }
  const got = mem(cpu, DUMP, dump.length);
  let pos = 0;
  for (const c of cases) {
    const len = c.L ? c.regs.length * 16 + 8 : 8;
    assert.deepEqual(
      [...got.subarray(pos, pos + len)],
      dump.slice(pos, pos + len),
      `0x${c.word.toString(16)} (${c.L ? "load" : "store"} at +${c.off})`,
    );
    pos += len;
  }
  const slots = SLOTS + cases.length * 128 + 64;
  assert.deepEqual([...mem(cpu, SLOTS, slots - SLOTS)], [...model.m.subarray(SLOTS, slots)], "stored bytes");
  for (let i = 0; i < 32; i++) {
    assert.equal(cpu.v(i), BigInt(`0x${Buffer.from(model.v[i]).reverse().toString("hex")}`), `v${i} at the end`);
  }
}

test("LD1-LD4/ST1-ST4 multiple structures, all arrangements, post-index", () => {
  runCases(["mult"], 160, 1);
});

test("single-lane LD1-LD4/ST1-ST4, all element sizes and lanes, post-index", () => {
  runCases(["single"], 160, 2);
});

test("LD1R-LD4R replicate, all sizes, post-index", () => {
  runCases(["repl"], 120, 3);
});

test("a mixed sequence of structure loads and stores", () => {
  runCases(["mult", "single", "repl"], 200, 4);
});

test("unallocated structure encodings are UNDEFINED", () => {
  const words = [
    0x0c401000, // multiple, opcode 0001
    0x0c405000, // opcode 0101
    0x0c409000, // opcode 1001
    0x0c40b000, // opcode 1011
    0x0c40f000, // opcode 1111
    0x0c400c00, // LD4 .1d (size 3, Q 0)
    0x0c408c00, // LD2 .1d
    0x0cdf8c00, // LD2 .1d post-index
    0x0d40c000 | (1 << 12), // LD1R with S = 1
    0x0d00c000, // ST1 with opcode 110 (no store-replicate)
    0x0d404400, // LD1 H lane with size<0> = 1
    0x0d408800, // LD1 S lane with size<1> = 1
    0x0d409400, // LD1 D lane with S = 1
  ];
  for (const word of words) {
    const { cpu, faulted } = runTrap(`  .inst 0x${word.toString(16)}`, { v: { 0: 0x1234n } });
    assert.ok(faulted, word.toString(16));
    assert.equal(ec(cpu), 0, word.toString(16));
    assert.equal(cpu.v(0), 0x1234n);
  }
});

test("a structure load that faults part-way writes no register and no base", () => {
  const end = 0x4000_0000n + (4n << 20n);
  for (const [insn, base] of [
    ["ld1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x1], #64", end - 48n],
    ["ld4 {v0.4s, v1.4s, v2.4s, v3.4s}, [x1], x2", end - 60n],
    ["ld3 {v0.h, v1.h, v2.h}[5], [x1], #6", end - 4n],
    ["ld2r {v0.2d, v1.2d}, [x1]", end - 8n],
  ] as const) {
    const { cpu, faulted } = runTrap(`  ${insn}`, { x: { 1: base, 2: 8n }, v: { 0: 0x1111n, 1: 0x2222n, 2: 0x3333n, 3: 0x4444n } });
    assert.ok(faulted, insn);
    assert.equal(ec(cpu), 0x25, insn);
    assert.deepEqual([cpu.v(0), cpu.v(1), cpu.v(2), cpu.v(3)], [0x1111n, 0x2222n, 0x3333n, 0x4444n], insn);
    assert.equal(cpu.x(1), base, insn);
  }
});

test("structure instructions trap when FP is disabled (CPACR_EL1.FPEN)", () => {
  const { cpu, faulted } = runTrap("  msr cpacr_el1, xzr\n  isb\n  ld1 {v0.16b}, [x28]", { v: { 0: 5n } });
  assert.ok(faulted);
  assert.equal(ec(cpu), 0x07);
  assert.equal(cpu.v(0), 5n);
});

test("structure accesses to MMIO are element-sized", () => {
  const reads: string[] = [];
  const writes: string[] = [];
  const cpu = freshCpu({
    mmioRead: (pa, size) => {
      reads.push(`${pa.toString(16)}/${size}`);
      return pa & 0xffn;
    },
    mmioWrite: (pa, size, value) => {
      writes.push(`${pa.toString(16)}/${size}=${value.toString(16)}`);
      return 0;
    },
  });
  cpu.writePhys(0x4000_0000n, assemble("  ld1 {v0.8h}, [x1]\n  st1 {v1.4s}, [x1]\n  ld1r {v2.2s}, [x1]\n  hvc #0\n"));
  cpu.setX(1, 0x0900_0010n);
  cpu.setV(1, 0x44444444_33333333_22222222_11111111n);
  cpu.pc = 0x4000_0000n;
  assert.equal(cpu.run(100), 3);
  assert.deepEqual(
    reads.slice(0, 8),
    [0, 2, 4, 6, 8, 10, 12, 14].map((o) => `${(0x0900_0010 + o).toString(16)}/2`),
  );
  assert.equal(cpu.v(0), 0x001e_001c_001a_0018_0016_0014_0012_0010n);
  assert.deepEqual(
    writes,
    [0, 4, 8, 12].map((o, i) => `${(0x0900_0010 + o).toString(16)}/4=${`${i + 1}`.repeat(8)}`),
  );
  assert.deepEqual(reads.slice(8), ["9000010/4"]);
  assert.equal(cpu.v(2), 0x10_0000_0010n);
});
