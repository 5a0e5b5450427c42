// Random shift-by-immediate, three-different and by-element instructions run under
// qemu-aarch64 (the semantic reference) and on our core, comparing Vd and FPSR.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu } from "../support/snippet.ts";
import { encode, gcc } from "../support/toolchain.ts";
import { arr, edgy, sreg } from "./simd_shift_support.ts";

const CASES = 1500;

/** One random instruction of the three classes; returns its text and destination register. */
function randomInsn(rng: Rng): { asm: string; d: number } {
  const d = rng.below(32);
  const n = rng.below(4) === 0 ? d : rng.below(32);
  const m = rng.below(4) === 0 ? d : rng.below(32);
  const q = rng.below(2);
  const two = q ? "2" : "";
  const b = rng.pick([8, 16, 32]);
  const v = (r: number, bits: number, qq: number) => `v${r}.${arr(bits, qq)}`;
  const el = (bits: number) => {
    const r = bits === 16 ? rng.below(16) : rng.below(32);
    return `v${r}.${bits === 16 ? "h" : "s"}[${rng.below(128 / bits)}]`;
  };
  switch (rng.below(10)) {
    case 0: {
      const mn = rng.pick(["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"]);
      const e = rng.pick([8, 16, 32, 64]);
      const qq = e === 64 ? 1 : q;
      return { asm: `${mn} ${v(d, e, qq)}, ${v(n, e, qq)}, #${1 + rng.below(e)}`, d };
    }
    case 1: {
      const mn = rng.pick(["shl", "sli", "sqshl", "uqshl", "sqshlu"]);
      const e = rng.pick([8, 16, 32, 64]);
      const qq = e === 64 ? 1 : q;
      return { asm: `${mn} ${v(d, e, qq)}, ${v(n, e, qq)}, #${rng.below(e)}`, d };
    }
    case 2: {
      const mn = rng.pick(["shrn", "rshrn", "sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"]);
      return { asm: `${mn}${two} ${v(d, b, q)}, ${v(n, 2 * b, 1)}, #${1 + rng.below(b)}`, d };
    }
    case 3: {
      const mn = rng.pick(["sshll", "ushll"]);
      return { asm: `${mn}${two} ${v(d, 2 * b, 1)}, ${v(n, b, q)}, #${rng.below(b)}`, d };
    }
    case 4: {
      const k = rng.below(4);
      if (k === 0) {
        const mn = rng.pick(["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"]);
        return { asm: `${mn} d${d}, d${n}, #${1 + rng.below(64)}`, d };
      }
      if (k === 1) {
        const mn = rng.pick(["shl", "sli"]);
        return { asm: `${mn} d${d}, d${n}, #${rng.below(64)}`, d };
      }
      if (k === 2) {
        const mn = rng.pick(["sqshl", "uqshl", "sqshlu"]);
        const e = rng.pick([8, 16, 32, 64]);
        return { asm: `${mn} ${sreg(e)}${d}, ${sreg(e)}${n}, #${rng.below(e)}`, d };
      }
      const mn = rng.pick(["sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"]);
      return { asm: `${mn} ${sreg(b)}${d}, ${sreg(2 * b)}${n}, #${1 + rng.below(b)}`, d };
    }
    case 5: {
      const mn = rng.pick(["saddl", "uaddl", "ssubl", "usubl", "sabal", "uabal", "sabdl", "uabdl", "smlal", "umlal", "smlsl", "umlsl"]);
      const mn2 = rng.pick([mn, "smull", "umull", "sqdmlal", "sqdmlsl", "sqdmull", "pmull"]);
      const e = mn2.startsWith("sqd") ? rng.pick([16, 32]) : mn2 === "pmull" ? 8 : b;
      return { asm: `${mn2}${two} ${v(d, 2 * e, 1)}, ${v(n, e, q)}, ${v(m, e, q)}`, d };
    }
    case 6: {
      const mn = rng.pick(["saddw", "uaddw", "ssubw", "usubw"]);
      return { asm: `${mn}${two} ${v(d, 2 * b, 1)}, ${v(n, 2 * b, 1)}, ${v(m, b, q)}`, d };
    }
    case 7: {
      const mn = rng.pick(["addhn", "raddhn", "subhn", "rsubhn"]);
      return { asm: `${mn}${two} ${v(d, b, q)}, ${v(n, 2 * b, 1)}, ${v(m, 2 * b, 1)}`, d };
    }
    case 8: {
      const e = rng.pick([16, 32]);
      if (rng.below(2)) {
        const mn = rng.pick(["mul", "mla", "mls", "sqdmulh", "sqrdmulh"]);
        return { asm: `${mn} ${v(d, e, q)}, ${v(n, e, q)}, ${el(e)}`, d };
      }
      const mn = rng.pick(["smull", "umull", "smlal", "umlal", "smlsl", "umlsl", "sqdmull", "sqdmlal", "sqdmlsl"]);
      return { asm: `${mn}${two} ${v(d, 2 * e, 1)}, ${v(n, e, q)}, ${el(e)}`, d };
    }
    default: {
      const e = rng.pick([16, 32]);
      const k = rng.below(3);
      if (k === 0) {
        const mn = rng.pick(["sqdmulh", "sqrdmulh"]);
        return { asm: `${mn} ${sreg(e)}${d}, ${sreg(e)}${n}, ${el(e)}`, d };
      }
      const mn = rng.pick(["sqdmull", "sqdmlal", "sqdmlsl"]);
      if (k === 1) return { asm: `${mn} ${sreg(2 * e)}${d}, ${sreg(e)}${n}, ${el(e)}`, d };
      return { asm: `${mn} ${sreg(2 * e)}${d}, ${sreg(e)}${n}, ${sreg(e)}${m}`, d };
    }
  }
}

test("random shift/long/element instructions match qemu-aarch64", () => {
  const rng = new Rng(0x9e3);
  const cases = Array.from({ length: CASES }, () => randomInsn(rng));
  // Inputs: all 32 vector registers per case, lanes leaning to edge values.
  const inputs = new DataView(new ArrayBuffer(CASES * 512));
  for (let c = 0; c < CASES; c++) {
    const bits = rng.pick([8, 16, 32, 64]);
    for (let r = 0; r < 64; r++) inputs.setBigUint64(c * 512 + r * 8, edgy(rng, bits), true);
  }
  const body = cases
    .map(
      (c) =>
        `  ld1 {v0.2d-v3.2d}, [x19], #64\n  ld1 {v4.2d-v7.2d}, [x19], #64\n  ld1 {v8.2d-v11.2d}, [x19], #64\n  ld1 {v12.2d-v15.2d}, [x19], #64\n` +
        `  ld1 {v16.2d-v19.2d}, [x19], #64\n  ld1 {v20.2d-v23.2d}, [x19], #64\n  ld1 {v24.2d-v27.2d}, [x19], #64\n  ld1 {v28.2d-v31.2d}, [x19], #64\n` +
        `  msr fpsr, xzr\n  ${c.asm}\n  mrs x1, fpsr\n  str q${c.d}, [x20], #16\n  str x1, [x20], #16\n`,
    )
    .join("");
  const bytes = Array.from(new Uint8Array(inputs.buffer));
  const src =
    `.data\n.balign 16\ninputs:\n${chunk(bytes, 64)
      .map((l) => `  .byte ${l.join(",")}`)
      .join("\n")}\n` +
    `.bss\n.balign 16\noutputs: .skip ${CASES * 32}\n.text\n.globl _start\n_start:\n  adrp x19, inputs\n  add x19, x19, :lo12:inputs\n` +
    `  adrp x20, outputs\n  add x20, x20, :lo12:outputs\n${body}` +
    `  mov x0, #1\n  adrp x1, outputs\n  add x1, x1, :lo12:outputs\n  ldr x2, =${CASES * 32}\n  mov x8, #64\n  svc #0\n` +
    `  mov x0, #0\n  mov x8, #93\n  svc #0\n`;
  const exe = gcc({ "t.s": src }, ["-nostdlib", "-static"], "simdx-qemu");
  const out = execFileSync("qemu-aarch64", [exe], { maxBuffer: 1 << 24 });
  assert.equal(out.length, CASES * 32);
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
      const lo = inputs.getBigUint64(k * 512 + r * 16, true);
      const hi = inputs.getBigUint64(k * 512 + r * 16 + 8, true);
      cpu.setV(r, (hi << 64n) | lo);
    }
    cpu.fpsr = 0;
    dv.setUint32(0, words[k], true);
    cpu.writePhys(CODE_BASE, code);
    cpu.flushCaches();
    cpu.pc = CODE_BASE;
    const exit = cpu.run(10);
    const want = (qv.getBigUint64(k * 32 + 8, true) << 64n) | qv.getBigUint64(k * 32, true);
    const wantFpsr = qv.getUint32(k * 32 + 16, true);
    if (wantFpsr) qcCount++;
    if (exit !== ExitReason.Hvc) bad.push(`${c.asm}: exit ${exit}`);
    else if (cpu.v(c.d) !== want || cpu.fpsr !== wantFpsr) {
      bad.push(
        `${c.asm}: ours ${cpu.v(c.d).toString(16)} fpsr ${cpu.fpsr.toString(16)}, qemu ${want.toString(16)} fpsr ${wantFpsr.toString(16)}`,
      );
    }
  });
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${CASES} differ`);
  assert.ok(qcCount > CASES / 20, `only ${qcCount} cases saturate`);
});

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
