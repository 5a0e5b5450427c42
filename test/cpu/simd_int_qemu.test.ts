// Random AdvSIMD integer and data-movement instructions (three same, two-register misc, across
// lanes, copy, permute, EXT, TBL/TBX, modified immediate; vector and scalar forms) run under
// qemu-aarch64 (the semantic reference) and on our core, with random registers (aliasing
// included) and edge-leaning inputs, comparing the destination and FPSR.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu } from "../support/snippet.ts";
import { encode, gcc } from "../support/toolchain.ts";
import { rand64 } from "./simd_int_lanes.ts";

const CASES = 1500;
/** Bytes of input per case: V0..V31, then X0..X15. */
const IN = 32 * 16 + 16 * 8;
/** Bytes of output per case: Vd (or Xd), FPSR, padding. */
const OUT = 32;

const ALL = ["8b", "16b", "4h", "8h", "2s", "4s", "2d"];
const NO64 = ["8b", "16b", "4h", "8h", "2s", "4s"];
const WIDE: Record<string, string> = { "8b": "4h", "16b": "8h", "4h": "2s", "8h": "4s", "2s": "1d", "4s": "2d" };
const ELEM: Record<string, [string, number]> = { b: ["b", 16], h: ["h", 8], s: ["s", 4], d: ["d", 2] };

interface Insn {
  asm: string;
  /** Destination: a vector register, or a general register (UMOV/SMOV). */
  d: number;
  general?: boolean;
}

/** One random instruction of this group. */
function randomInsn(rng: Rng): Insn {
  const d = rng.below(32);
  const n = rng.below(4) === 0 ? d : rng.below(32);
  const m = rng.below(4) === 0 ? d : rng.below(32);
  const v = (r: number, t: string) => `v${r}.${t}`;
  const same = (mn: string, t: string) => ({ asm: `${mn} ${v(d, t)}, ${v(n, t)}, ${v(m, t)}`, d });
  const esz = (t: string) => t.replace(/\d+/, "");
  switch (rng.below(12)) {
    case 0:
    case 1: {
      const t = rng.pick(ALL);
      const mns = ["sqadd", "uqadd", "sqsub", "uqsub", "cmgt", "cmhi", "cmge", "cmhs", "cmtst", "cmeq", "add", "sub", "addp"];
      return same(rng.pick([...mns, "sshl", "ushl", "sqshl", "uqshl", "srshl", "urshl", "sqrshl", "uqrshl"]), t);
    }
    case 2: {
      const t = rng.pick(NO64);
      const mns = ["shadd", "uhadd", "srhadd", "urhadd", "shsub", "uhsub", "smax", "umax", "smin", "umin", "sabd", "uabd"];
      return same(rng.pick([...mns, "saba", "uaba", "mla", "mls", "mul", "smaxp", "umaxp", "sminp", "uminp"]), t);
    }
    case 3: {
      const k = rng.below(3);
      if (k === 0) return same(rng.pick(["sqdmulh", "sqrdmulh"]), rng.pick(["4h", "8h", "2s", "4s"]));
      if (k === 1) return same(rng.pick(["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"]), rng.pick(["8b", "16b"]));
      return same("pmul", rng.pick(["8b", "16b"]));
    }
    case 4: {
      const r = rng.pick(["b", "h", "s", "d"]);
      const mns = ["sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl", "sqrshl", "uqrshl"];
      const dOnly = ["cmgt", "cmhi", "cmge", "cmhs", "sshl", "ushl", "srshl", "urshl", "add", "sub", "cmtst", "cmeq"];
      if (rng.below(3) === 0) {
        const h = rng.pick(["h", "s"]);
        return { asm: `${rng.pick(["sqdmulh", "sqrdmulh"])} ${h}${d}, ${h}${n}, ${h}${m}`, d };
      }
      const mn = rng.pick([...mns, ...dOnly]);
      const rr = dOnly.includes(mn) ? "d" : r;
      return { asm: `${mn} ${rr}${d}, ${rr}${n}, ${rr}${m}`, d };
    }
    case 5: {
      const t = rng.pick(ALL);
      const mn = rng.pick(["suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg", "cmgt", "cmge", "cmeq", "cmle", "cmlt"]);
      return { asm: `${mn} ${v(d, t)}, ${v(n, t)}${mn.startsWith("cm") ? ", #0" : ""}`, d };
    }
    case 6: {
      const k = rng.below(5);
      if (k === 0) {
        const t = rng.pick(NO64);
        return { asm: `${rng.pick(["saddlp", "uaddlp", "sadalp", "uadalp"])} ${v(d, WIDE[t])}, ${v(n, t)}`, d };
      }
      if (k === 1) {
        const t = rng.pick(NO64);
        return { asm: `${rng.pick(["cls", "clz"])} ${v(d, t)}, ${v(n, t)}`, d };
      }
      if (k === 2) {
        const t = rng.pick(["8b", "16b"]);
        return { asm: `${rng.pick(["cnt", "not", "rbit", "rev16", "rev32", "rev64"])} ${v(d, t)}, ${v(n, t)}`, d };
      }
      if (k === 3) {
        const t = rng.pick(["4h", "8h"]);
        return { asm: `${rng.pick(["rev32", "rev64"])} ${v(d, t)}, ${v(n, t)}`, d };
      }
      const t = rng.pick(["2s", "4s"]);
      return { asm: `rev64 ${v(d, t)}, ${v(n, t)}`, d };
    }
    case 7: {
      const [nt, wt, nt2, sh] = rng.pick([
        ["8b", "8h", "16b", 8],
        ["4h", "4s", "8h", 16],
        ["2s", "2d", "4s", 32],
      ] as [string, string, string, number][]);
      const up = rng.below(2) === 1;
      if (rng.below(4) === 0) return { asm: `shll${up ? "2" : ""} ${v(d, wt)}, ${v(n, up ? nt2 : nt)}, #${sh}`, d };
      const mn = rng.pick(["xtn", "sqxtn", "uqxtn", "sqxtun"]);
      if (rng.below(3) === 0 && mn !== "xtn") {
        const [a, b] = rng.pick([
          ["b", "h"],
          ["h", "s"],
          ["s", "d"],
        ]);
        return { asm: `${mn} ${a}${d}, ${b}${n}`, d };
      }
      return { asm: `${mn}${up ? "2" : ""} ${v(d, up ? nt2 : nt)}, ${v(n, wt)}`, d };
    }
    case 8: {
      const [t, r] = rng.pick([
        ["8b", "b"],
        ["16b", "b"],
        ["4h", "h"],
        ["8h", "h"],
        ["4s", "s"],
      ]);
      const mn = rng.pick(["addv", "saddlv", "uaddlv", "smaxv", "umaxv", "sminv", "uminv"]);
      const rr = mn.endsWith("lv") ? { b: "h", h: "s", s: "d" }[r] : r;
      if (rng.below(8) === 0) return { asm: `addp d${d}, ${v(n, "2d")}`, d };
      return { asm: `${mn} ${rr}${d}, ${v(n, t)}`, d };
    }
    case 9: {
      const [e, count] = ELEM[rng.pick(["b", "h", "s", "d"])];
      const i = rng.below(count);
      const j = rng.below(count);
      const x = e === "d" ? "x" : "w";
      const g = rng.below(16);
      const t = rng.pick(ALL.filter((a) => esz(a) === e));
      switch (rng.below(6)) {
        case 0:
          return { asm: `dup ${v(d, t)}, v${n}.${e}[${i}]`, d };
        case 1:
          return { asm: `dup ${v(d, t)}, ${x}${g}`, d };
        case 2:
          return { asm: `mov v${d}.${e}[${i}], v${n}.${e}[${j}]`, d };
        case 3:
          return { asm: `mov v${d}.${e}[${i}], ${x}${g}`, d };
        case 4:
          return { asm: `mov ${e}${d}, v${n}.${e}[${i}]`, d };
        default: {
          const gd = rng.below(16);
          if (e !== "d" && rng.below(2))
            return { asm: `smov ${e === "s" ? "x" : rng.pick(["w", "x"])}${gd}, v${n}.${e}[${i}]`, d: gd, general: true };
          return { asm: `umov ${x}${gd}, v${n}.${e}[${i}]`, d: gd, general: true };
        }
      }
    }
    case 10: {
      const k = rng.below(4);
      if (k < 2) return same(rng.pick(["zip1", "zip2", "uzp1", "uzp2", "trn1", "trn2"]), rng.pick(ALL));
      if (k === 2) {
        const q = rng.below(2);
        return { asm: `ext ${v(d, q ? "16b" : "8b")}, ${v(n, q ? "16b" : "8b")}, ${v(m, q ? "16b" : "8b")}, #${rng.below(q ? 16 : 8)}`, d };
      }
      const t = rng.pick(["8b", "16b"]);
      const len = 1 + rng.below(4);
      const list = Array.from({ length: len }, (_, i) => `v${(n + i) % 32}.16b`).join(", ");
      return { asm: `${rng.pick(["tbl", "tbx"])} ${v(d, t)}, {${list}}, ${v(m, t)}`, d };
    }
    default: {
      // Modified immediate as a raw word (op, cmode, Q, abc:defgh random; FMOV's cmode 1111 excluded).
      const op = rng.below(2);
      const cmode = rng.below(15);
      const q = rng.below(2);
      const imm8 = rng.below(256);
      const word = (0x0f000400 | (q << 30) | (op << 29) | ((imm8 >> 5) << 16) | (cmode << 12) | ((imm8 & 31) << 5) | d) >>> 0;
      return { asm: `.inst 0x${word.toString(16)}`, d };
    }
  }
}

test("random AdvSIMD integer instructions match qemu-aarch64", () => {
  const rng = new Rng(0x51d1);
  const cases = Array.from({ length: CASES }, () => randomInsn(rng));
  const inputs = new DataView(new ArrayBuffer(CASES * IN));
  for (let c = 0; c < CASES; c++) {
    for (let r = 0; r < IN / 8; r++) {
      let x = rand64(rng);
      // TBL/TBX indices and shift counts: often small.
      if (rng.below(4) === 0) x &= 0x3f3f3f3f3f3f3f3fn;
      inputs.setBigUint64(c * IN + r * 8, x, true);
    }
  }
  const load =
    "  ld1 {v0.2d-v3.2d}, [x19], #64\n  ld1 {v4.2d-v7.2d}, [x19], #64\n  ld1 {v8.2d-v11.2d}, [x19], #64\n  ld1 {v12.2d-v15.2d}, [x19], #64\n" +
    "  ld1 {v16.2d-v19.2d}, [x19], #64\n  ld1 {v20.2d-v23.2d}, [x19], #64\n  ld1 {v24.2d-v27.2d}, [x19], #64\n  ld1 {v28.2d-v31.2d}, [x19], #64\n" +
    "  ldp x0, x1, [x19], #16\n  ldp x2, x3, [x19], #16\n  ldp x4, x5, [x19], #16\n  ldp x6, x7, [x19], #16\n" +
    "  ldp x8, x9, [x19], #16\n  ldp x10, x11, [x19], #16\n  ldp x12, x13, [x19], #16\n  ldp x14, x15, [x19], #16\n";
  const body = cases
    .map(
      (c) =>
        `${load}  msr fpsr, xzr\n  ${c.asm}\n  mrs x21, fpsr\n` +
        (c.general ? `  str x${c.d}, [x20], #16\n` : `  str q${c.d}, [x20], #16\n`) +
        "  str x21, [x20], #16\n",
    )
    .join("");
  const bytes = new Uint8Array(inputs.buffer);
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 64) lines.push(`  .byte ${Array.from(bytes.subarray(i, i + 64)).join(",")}`);
  const src =
    `.data\n.balign 16\ninputs:\n${lines.join("\n")}\n` +
    `.bss\n.balign 16\noutputs: .skip ${CASES * OUT}\n.text\n.globl _start\n_start:\n  adrp x19, inputs\n  add x19, x19, :lo12:inputs\n` +
    `  adrp x20, outputs\n  add x20, x20, :lo12:outputs\n${body}` +
    `  mov x0, #1\n  adrp x1, outputs\n  add x1, x1, :lo12:outputs\n  ldr x2, =${CASES * OUT}\n  mov x8, #64\n  svc #0\n` +
    "  mov x0, #0\n  mov x8, #93\n  svc #0\n";
  const exe = gcc({ "t.s": src }, ["-nostdlib", "-static"], "simdint-qemu");
  const out = execFileSync("qemu-aarch64", [exe], { maxBuffer: 1 << 24 });
  assert.equal(out.length, CASES * OUT);
  const qv = new DataView(out.buffer, out.byteOffset, out.length);

  const words = encode(cases.map((c) => c.asm));
  const cpu = freshCpu();
  const code = new Uint8Array(8);
  const dv = new DataView(code.buffer);
  dv.setUint32(4, 0xd4000002, true);
  const bad: string[] = [];
  let qcCount = 0;
  cases.forEach((c, k) => {
    for (let r = 0; r < 32; r++) {
      const lo = inputs.getBigUint64(k * IN + r * 16, true);
      const hi = inputs.getBigUint64(k * IN + r * 16 + 8, true);
      cpu.setV(r, (hi << 64n) | lo);
    }
    for (let r = 0; r < 16; r++) cpu.setX(r, inputs.getBigUint64(k * IN + 512 + r * 8, true));
    cpu.fpsr = 0;
    dv.setUint32(0, words[k], true);
    cpu.writePhys(CODE_BASE, code);
    cpu.flushCaches();
    cpu.pc = CODE_BASE;
    const exit = cpu.run(10);
    const lo = qv.getBigUint64(k * OUT, true);
    const want = c.general ? lo : (qv.getBigUint64(k * OUT + 8, true) << 64n) | lo;
    const wantFpsr = qv.getUint32(k * OUT + 16, true);
    if (wantFpsr) qcCount++;
    const got = c.general ? cpu.x(c.d) : cpu.v(c.d);
    if (exit !== ExitReason.Hvc) bad.push(`${c.asm}: exit ${exit}`);
    else if (got !== want || cpu.fpsr !== wantFpsr) {
      bad.push(`${c.asm}: ours ${got.toString(16)} fpsr ${cpu.fpsr.toString(16)}, qemu ${want.toString(16)} fpsr ${wantFpsr.toString(16)}`);
    }
  });
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${CASES} differ`);
  assert.ok(qcCount > CASES / 40, `only ${qcCount} cases saturate`);
});
