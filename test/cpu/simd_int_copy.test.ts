// AdvSIMD copy (DUP, INS, UMOV, SMOV), permute (ZIP/UZP/TRN), EXT, TBL/TBX and modified
// immediate (MOVI, MVNI, ORR, BIC) against reference functions; UNDEFINED encodings; the
// CPACR_EL1.FPEN trap.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { opName } from "../../src/cpu/disasm/index.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu } from "../support/snippet.ts";
import { encode } from "../support/toolchain.ts";
import { arrangementOf, isUndefined, lanes, M64, mask, pack, rand64, rand128, runWord, sx, ux } from "./simd_int_lanes.ts";

const TRIALS = 8;
const ELEMS: [string, number][] = [
  ["b", 8],
  ["h", 16],
  ["s", 32],
  ["d", 64],
];
const ALL = ["8b", "16b", "4h", "8h", "2s", "4s", "2d"];

interface Case {
  line: string;
  /** Expected Vd (and x0 when it is the destination) from V0..V5 and x0/x1 on entry. */
  expect: (v: bigint[], x1: bigint) => { v0?: bigint; x0?: bigint };
}

function check(name: string, all: Case[], seed: number): void {
  test(name, () => {
    const rng = new Rng(seed);
    const words = encode(all.map((c) => c.line));
    const bad: string[] = [];
    words.forEach((w, i) => {
      for (let k = 0; k < TRIALS; k++) {
        const v = [0, 1, 2, 3, 4, 5].map(() => rand128(rng));
        // TBL/TBX indices: mostly in or near the table.
        if (k % 2)
          v[5] = pack(
            lanes(v[5], 8).map((x) => x % 72n),
            8,
          );
        const x0 = rand64(rng);
        const x1 = rand64(rng);
        const cpu = runWord(w, { v: { 0: v[0], 1: v[1], 2: v[2], 3: v[3], 4: v[4], 5: v[5] }, x: { 0: x0, 1: x1 } });
        const want = all[i].expect(v, x1);
        const got = { v0: cpu.v(0), x0: cpu.x(0) };
        const wantV0 = want.v0 ?? v[0];
        const wantX0 = want.x0 ?? x0;
        if (got.v0 !== wantV0 || got.x0 !== wantX0) {
          bad.push(
            `${all[i].line} v=${v.map((x) => x.toString(16)).join(",")} x1=${x1.toString(16)}: got v0=${got.v0.toString(16)} x0=${got.x0.toString(16)}, want v0=${wantV0.toString(16)} x0=${wantX0.toString(16)}`,
          );
        }
      }
    });
    assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${words.length * TRIALS} differ`);
  });
}

/** Element i of v with esize bits. */
const el = (v: bigint, esize: number, i: number): bigint => (v >> BigInt(esize * i)) & mask(esize);
/** v with element i replaced. */
const withEl = (v: bigint, esize: number, i: number, x: bigint): bigint =>
  (v & ~(mask(esize) << BigInt(esize * i))) | ((x & mask(esize)) << BigInt(esize * i));

function copyCases(): Case[] {
  const out: Case[] = [];
  for (const t of ALL) {
    const { esize, count } = arrangementOf(t);
    const e = t.replace(/\d+/, "");
    const n = 128 / esize;
    for (const idx of [0, 1, n - 1]) {
      out.push({ line: `dup v0.${t}, v1.${e}[${idx}]`, expect: (v) => ({ v0: pack(Array(count).fill(el(v[1], esize, idx)), esize) }) });
    }
    out.push({
      line: `dup v0.${t}, ${esize === 64 ? "x" : "w"}1`,
      expect: (_v, x1) => ({ v0: pack(Array(count).fill(x1 & mask(esize)), esize) }),
    });
  }
  for (const [e, esize] of ELEMS) {
    const n = 128 / esize;
    const r = esize === 64 ? "x" : "w";
    for (const [di, si] of [
      [0, n - 1],
      [n - 1, 1],
      [1, 0],
    ]) {
      out.push({ line: `mov v0.${e}[${di}], v1.${e}[${si}]`, expect: (v) => ({ v0: withEl(v[0], esize, di, el(v[1], esize, si)) }) });
    }
    out.push({ line: `mov v0.${e}[${n - 1}], ${r}1`, expect: (v, x1) => ({ v0: withEl(v[0], esize, n - 1, x1) }) });
    out.push({ line: `mov ${e}0, v1.${e}[${n - 1}]`, expect: (v) => ({ v0: el(v[1], esize, n - 1) }) });
    out.push({ line: `umov ${r}0, v1.${e}[${n - 2}]`, expect: (v) => ({ x0: el(v[1], esize, n - 2) }) });
    if (esize < 64) out.push({ line: `smov x0, v1.${e}[${n - 1}]`, expect: (v) => ({ x0: ux(sx(el(v[1], esize, n - 1), esize), 64) }) });
    if (esize < 32) out.push({ line: `smov w0, v1.${e}[1]`, expect: (v) => ({ x0: ux(sx(el(v[1], esize, 1), esize), 32) }) });
  }
  return out;
}

function permuteCases(): Case[] {
  const out: Case[] = [];
  for (const t of ALL) {
    const { esize, count } = arrangementOf(t);
    const half = count / 2;
    const op = (m: string, f: (a: bigint[], b: bigint[]) => bigint[]) =>
      out.push({
        line: `${m} v0.${t}, v1.${t}, v2.${t}`,
        expect: (v) => ({ v0: pack(f(lanes(v[1], esize, count), lanes(v[2], esize, count)), esize) }),
      });
    for (const part of [0, 1]) {
      op(`zip${part + 1}`, (a, b) => a.slice(0, half).flatMap((_, p) => [a[part * half + p], b[part * half + p]]));
      op(`uzp${part + 1}`, (a, b) => [...a, ...b].filter((_, i) => i % 2 === part));
      op(`trn${part + 1}`, (a, b) => a.map((_, i) => (i % 2 ? b[i - 1 + part] : a[i + part])));
    }
  }
  for (const [t, imms] of [
    ["8b", [0, 3, 7]],
    ["16b", [0, 1, 8, 15]],
  ] as [string, number[]][]) {
    const bytes = t === "8b" ? 8 : 16;
    for (const imm of imms) {
      out.push({
        line: `ext v0.${t}, v1.${t}, v2.${t}, #${imm}`,
        expect: (v) => {
          const cat = [...lanes(v[1], 8, bytes), ...lanes(v[2], 8, bytes)];
          return { v0: pack(cat.slice(imm, imm + bytes), 8) };
        },
      });
    }
  }
  for (const m of ["tbl", "tbx"]) {
    for (const t of ["8b", "16b"]) {
      const bytes = t === "8b" ? 8 : 16;
      for (let len = 1; len <= 4; len++) {
        const regs = [1, 2, 3, 4].slice(0, len).map((r) => `v${r}.16b`);
        out.push({
          line: `${m} v0.${t}, {${regs.join(", ")}}, v5.${t}`,
          expect: (v) => {
            const table = v.slice(1, 1 + len).flatMap((r) => lanes(r, 8));
            const old = lanes(v[0], 8, bytes);
            const r = lanes(v[5], 8, bytes).map((i, k) => (i < BigInt(table.length) ? table[Number(i)] : m === "tbx" ? old[k] : 0n));
            return { v0: pack(r, 8) };
          },
        });
      }
    }
  }
  // A table wrapping from V31 to V0.
  out.push({
    line: "tbl v0.16b, {v31.16b, v0.16b}, v5.16b",
    expect: (v) => {
      const table = [...lanes(0n, 8), ...lanes(v[0], 8)]; // V31 is zero after reset
      return {
        v0: pack(
          lanes(v[5], 8).map((i) => (i < 32n ? table[Number(i)] : 0n)),
          8,
        ),
      };
    },
  });
  return out;
}

/** AdvSIMDExpandImm, written from the pseudocode's bit-string form. */
function expandImm(op: number, cmode: number, imm8: number): bigint {
  const b = BigInt(imm8);
  const rep = (x: bigint, bits: number) => {
    let r = 0n;
    for (let i = 0; i < 64; i += bits) r |= x << BigInt(i);
    return r;
  };
  switch (cmode >> 1) {
    case 0:
      return rep(b, 32);
    case 1:
      return rep(b << 8n, 32);
    case 2:
      return rep(b << 16n, 32);
    case 3:
      return rep(b << 24n, 32);
    case 4:
      return rep(b, 16);
    case 5:
      return rep(b << 8n, 16);
    case 6:
      return rep(cmode & 1 ? (b << 16n) | 0xffffn : (b << 8n) | 0xffn, 32);
    default: {
      if (op === 0) return rep(b, 8);
      let r = 0n;
      for (let i = 0; i < 8; i++) r |= ((b >> BigInt(i)) & 1n ? 0xffn : 0n) << BigInt(8 * i);
      return r;
    }
  }
}

test("modified immediate: every op/cmode/Q with random immediates against AdvSIMDExpandImm", () => {
  const rng = new Rng(0x1337);
  let checked = 0;
  for (let q = 0; q < 2; q++) {
    for (let op = 0; op < 2; op++) {
      for (let cmode = 0; cmode < 15; cmode++) {
        if (op === 1 && cmode === 14 && q === 0) continue; // checked below (movi d0)
        for (let k = 0; k < 6; k++) {
          const imm8 = k === 0 ? 0xff : k === 1 ? 0 : rng.below(256);
          const word = (0x0f000400 | (q << 30) | (op << 29) | ((imm8 >> 5) << 16) | (cmode << 12) | ((imm8 & 31) << 5)) >>> 0;
          const old = rand128(rng);
          const cpu = runWord(word, { v: { 0: old } });
          const imm = expandImm(op, cmode, imm8);
          const imm128 = q ? (imm << 64n) | imm : imm;
          const orr = cmode < 12 && cmode & 1;
          let want: bigint;
          if (!orr) want = op === 1 && cmode !== 14 ? ~imm128 & mask(q ? 128 : 64) : imm128;
          else if (op === 0) want = (old | imm128) & mask(q ? 128 : 64);
          else want = old & ~imm128 & mask(q ? 128 : 64);
          assert.equal(cpu.v(0), want, `word ${word.toString(16)} q=${q} op=${op} cmode=${cmode} imm8=${imm8}`);
          checked++;
        }
      }
    }
  }
  const [movi] = encode(["movi d0, #0xff00ff0000ff00ff"]);
  assert.equal(runWord(movi, { v: { 0: rand128(rng) } }).v(0), 0xff00ff0000ff00ffn);
  assert.ok(checked > 300);
});

check("copy: DUP, INS (mov), UMOV, SMOV, scalar DUP against the reference", copyCases(), 0xc0b1);
check("permute, EXT, TBL/TBX against the reference", permuteCases(), 0x9e7);

test("copy and permute: reserved encodings are UNDEFINED", () => {
  const DUP_ELEM = 0x0e000400; // dup with imm5 = 0
  assert.equal(isUndefined(DUP_ELEM), true, "dup imm5=0");
  assert.equal(isUndefined(DUP_ELEM | (8 << 16)), true, "dup v.1d, v.d[0]");
  assert.equal(isUndefined(DUP_ELEM | (8 << 16) | (1 << 30)), false, "dup v.2d, v.d[0]");
  const UMOV = 0x0e003c00;
  assert.equal(isUndefined(UMOV | (8 << 16)), true, "umov w0, v.d[0]");
  assert.equal(isUndefined(UMOV | (1 << 16) | (1 << 30)), true, "umov x0, v.b[0]");
  const SMOV = 0x0e002c00;
  assert.equal(isUndefined(SMOV | (4 << 16)), true, "smov w0, v.s[0]");
  assert.equal(isUndefined(SMOV | (4 << 16) | (1 << 30)), false, "smov x0, v.s[0]");
  assert.equal(isUndefined(0x0e001c00 | (1 << 16)), true, "ins with Q = 0");
  assert.equal(isUndefined(0x0ec03800), true, "zip1 .1d");
  assert.equal(isUndefined(0x2e004000), true, "ext .8b #8");
  // FMOV (vector, immediate) encodings (cmode 1111) belong to the FP tables, never to these.
  for (const w of [0x0f00f400, 0x4f00f400, 0x2f00f400, 0x6f00f400]) {
    assert.ok(!["MOVI_asimdimm", "MVNI_asimdimm", "ORR_asimdimm", "BIC_asimdimm"].includes(opName(w)), `${w.toString(16)}: ${opName(w)}`);
  }
});

test("an AdvSIMD integer instruction traps when CPACR_EL1.FPEN disables FP/SIMD", () => {
  const [add] = encode(["add v0.4s, v1.4s, v2.4s"]);
  const cpu = freshCpu();
  cpu.setSysreg(0xc082, 0n); // CPACR_EL1.FPEN = 0
  cpu.setSysreg(0xc600, 0x4020_0000n); // VBAR_EL1
  const code = new Uint8Array(8);
  const dv = new DataView(code.buffer);
  dv.setUint32(0, add, true);
  dv.setUint32(4, 0xd4000002, true); // hvc #0 (not reached)
  cpu.writePhys(CODE_BASE, code);
  // The vector for a synchronous exception from the current EL with SP_ELx (VBAR + 0x200): hvc #0.
  const vec = new Uint8Array(4);
  new DataView(vec.buffer).setUint32(0, 0xd4000002, true);
  cpu.writePhys(0x4020_0200n, vec);
  cpu.setV(0, 0x1234n);
  cpu.setV(1, M64);
  cpu.pc = CODE_BASE;
  assert.equal(cpu.run(10), ExitReason.Hvc);
  assert.equal(Number(cpu.sysreg(0xc290) >> 26n) & 0x3f, 0x07, "ESR_EL1.EC = FP/SIMD access");
  assert.equal(cpu.sysreg(0xc201), CODE_BASE, "ELR_EL1 = the trapped instruction");
  assert.equal(cpu.v(0), 0x1234n, "Vd unchanged");
});
