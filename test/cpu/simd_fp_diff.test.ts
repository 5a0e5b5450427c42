// Differential check of the AdvSIMD floating-point groups (simd_fp_*.decode) against real
// AArch64 semantics: every table entry, with random fields (registers v0..v3, so Vd often aliases
// a source), random FPCR (RMode, FZ, DN, AHP), preset FPSR and biased operands, run by an oracle
// under qemu-aarch64 and by Dormouse; all four vector registers and FPSR must agree bit for bit.
// Encodings objdump rejects (reserved sizes) are skipped here; the unit tests cover their UNDEF.
// Soak runs: SIMD_FP_SEED=<n> SIMD_FP_CASES=<cases per entry, default 12>.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { ExitReason } from "../../src/cpu/cpu.ts";
import { decodeOp } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { disassemble } from "../../src/cpu/disasm/index.ts";
import { loadTables } from "../../tools/gen-decoder.ts";
import { objdumpWords } from "../support/objdump.ts";
import { Rng } from "../support/rng.ts";
import { CODE_BASE, freshCpu } from "../support/snippet.ts";
import { gcc } from "../support/toolchain.ts";

const SEED = Number(process.env.SIMD_FP_SEED ?? 0x5eed);
const PER_ENTRY = Number(process.env.SIMD_FP_CASES ?? 12);

// The oracle copies `stub` into an RWX page, patches the instruction slot for each case and calls it.
const ORACLE_C = `
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
extern char stub_start[], stub_slot[], stub_end[];
typedef struct { uint32_t word, fpcr, fpsr, pad; uint8_t v[64]; } In;
typedef struct { uint8_t v[64]; uint32_t fpsr, pad[3]; } Out;
int main(void) {
  size_t len = (size_t)(stub_end - stub_start);
  uint8_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) return 2;
  memcpy(code, stub_start, len);
  uint32_t *slot = (uint32_t *)(code + (stub_slot - stub_start));
  void (*run)(const void *, void *, uint64_t, uint64_t) = (void (*)(const void *, void *, uint64_t, uint64_t))code;
  In in;
  Out out;
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    *slot = in.word;
    __builtin___clear_cache((char *)code, (char *)code + len);
    memset(&out, 0, sizeof out);
    run(in.v, &out, in.fpcr, in.fpsr);
    fwrite(&out, sizeof out, 1, stdout);
  }
  return 0;
}
`;
const STUB_S = `
  .text
  .globl stub_start, stub_slot, stub_end
stub_start:
  ldp q0, q1, [x0]
  ldp q2, q3, [x0, #32]
  msr fpcr, x2
  msr fpsr, x3
stub_slot:
  nop
  mrs x3, fpsr
  msr fpcr, xzr
  stp q0, q1, [x1]
  stp q2, q3, [x1, #32]
  str w3, [x1, #64]
  ret
stub_end:
`;

interface Case {
  word: number;
  name: string;
  fpcr: number;
  fpsr: number;
  v: bigint[];
}

const M128 = (1n << 128n) - 1n;

/**
 * A biased operand of `w` bits: FP specials, nice values, denormals, integers, random bits; or,
 * when `normal`, only normal values (tiny, huge, few-bit and ordinary ones) as the v128 fast
 * paths need.
 */
function operand(rng: Rng, w: 16 | 32 | 64, normal: boolean, kinds: readonly number[] = [2, 3, 4, 7]): bigint {
  const eb = w === 16 ? 5 : w === 32 ? 8 : 11;
  const fb = w - 1 - eb;
  const bias = (1n << BigInt(eb - 1)) - 1n;
  const emax = (1n << BigInt(eb)) - 1n;
  const sign = BigInt(rng.below(2)) << BigInt(w - 1);
  const frac = () => rng.u64() & ((1n << BigInt(fb)) - 1n);
  const pack = (e: bigint, f: bigint) => sign | (e << BigInt(fb)) | f;
  switch (normal ? rng.pick(kinds) : rng.below(10)) {
    case 0: {
      const specials = [
        pack(0n, 0n), // zero
        pack(emax, 0n), // infinity
        pack(emax, 1n << BigInt(fb - 1)), // default qNaN
        pack(emax, frac() | (1n << BigInt(fb - 1))), // qNaN with payload
        pack(emax, (frac() >> 1n) | 1n), // sNaN
        pack(bias, 0n), // 1.0
        pack(emax - 1n, (1n << BigInt(fb)) - 1n), // max normal
        pack(1n, 0n), // min normal
        pack(bias + 1n, 0n), // 2.0
        pack(bias - 1n, 0n), // 0.5
      ];
      return rng.pick(specials);
    }
    case 1:
      return pack(0n, frac()); // denormal
    case 2:
      return pack(BigInt(rng.below(4)) + 1n, frac()); // tiny normal
    case 3:
      return pack(emax - 1n - BigInt(rng.below(3)), frac()); // huge
    case 4: {
      // a value with few fraction bits: integral or a half-way case
      const e = bias + BigInt(rng.below(Math.min(fb + 4, 40))) - 2n;
      const low = BigInt(Math.max(fb - 1 - rng.below(8), 0));
      return pack(e, frac() & ~((1n << low) - 1n));
    }
    case 5:
      return BigInt.asUintN(w, BigInt(rng.below(200)) - 100n); // small integer
    case 6:
      return rng.u64() & ((1n << BigInt(w)) - 1n); // random bits
    case 10:
      return BigInt(rng.below(1 << Math.min(w - 1, 22))); // small non-negative integer (normal mode only)
    default:
      return pack(bias + BigInt(rng.below(40)) - 20n, frac()); // ordinary value near 1
  }
}

/** A 128-bit register of `w`-bit lanes. */
function register(rng: Rng, w: 16 | 32 | 64, normal: boolean, name: string): bigint {
  let r = 0n;
  // Most normal registers hold only moderate values, so that whole-vector results stay in range;
  // integer-input conversions get small integers, FCVTZU and FSQRT mostly positive values.
  const kinds = /CVTF_asimdmisc/.test(name) ? [5, 10] : rng.below(10) < 7 ? [4, 7] : [2, 3, 4, 7];
  const positive = normal && /^(FCVTZU|FSQRT)_asimdmisc/.test(name) && rng.below(4) !== 0;
  for (let i = 0; i < 128 / w; i++) {
    let x = operand(rng, w, normal, kinds);
    if (positive) x &= (1n << BigInt(w - 1)) - 1n;
    r |= x << BigInt(i * w);
  }
  return r & M128;
}

function fieldOf(word: number, e: ReturnType<typeof loadTables>[number], name: string): number | undefined {
  const f = e.fields.find((x) => x.name === name);
  return f === undefined ? undefined : (word >>> f.pos) & ((1 << f.width) - 1);
}

const FAST =
  /^(FADD|FSUB|FMUL|FMULX|FDIV|FMAX|FMIN|FMAXNM|FMINNM|FCMEQ|FCMGE|FCMGT|FMLA|FMLS|FADDP|FMAXP|FMINP|FMAXNMP|FMINNMP)_asimd(same|elem)$|^(FABS|FNEG|FRINT[NMPZ]|FSQRT|FCVTZ[SU]|[SU]CVTF)_asimdmisc$/;

function makeCases(): Case[] {
  const rng = new Rng(SEED);
  const entries = loadTables();
  const cases: Case[] = [];
  entries.forEach((e, i) => {
    if (!e.group.startsWith("simd_fp")) return;
    // Entries with a v128 fast path get three times the cases, mostly with normal operands.
    const fast = FAST.test(e.name);
    const count = fast ? PER_ENTRY * 3 : PER_ENTRY;
    let made = 0;
    for (let tries = 0; made < count && tries < count * 20; tries++) {
      let w = (rng.u32() & ~e.mask) | e.value;
      for (const f of e.fields) {
        const v = f.name === "Rd" || f.name === "Rn" || f.name === "Rm" ? rng.below(4) : f.name === "M" ? 0 : -1;
        if (v >= 0) w = (w & ~(((1 << f.width) - 1) << f.pos)) | (v << f.pos);
      }
      w >>>= 0;
      if (decodeOp(w) !== i + 1) continue;
      const sz = fieldOf(w, e, "sz") ?? ((fieldOf(w, e, "immh") ?? 0) >= 8 ? 1 : 0);
      let lane: 16 | 32 | 64 = sz ? 64 : 32;
      if (e.name === "FCVTL_asimdmisc") lane = sz ? 32 : 16;
      // One case in three has normal operands, mostly round-to-nearest with FPSR.IXC preset (the fast paths).
      const normal = fast ? rng.below(3) !== 0 : rng.below(3) === 0;
      const rmode = normal && rng.below(4) !== 0 ? 0 : rng.below(4);
      const fpcr =
        (rmode << 22) | (rng.below(4) === 0 ? 1 << 24 : 0) | (rng.below(4) === 0 ? 1 << 25 : 0) | (rng.below(4) === 0 ? 1 << 26 : 0);
      const fpsr = rng.below(4) < (normal ? 3 : 1) ? 0x10 : 0;
      cases.push({
        word: w,
        name: e.name,
        fpcr,
        fpsr,
        v: [0, 1, 2, 3].map(() => register(rng, lane, normal, e.name)),
      });
      made++;
    }
  });
  // Keep only encodings binutils accepts (the reserved ones are UNDEFINED, tested elsewhere).
  const text = objdumpWords(cases.map((c) => c.word));
  return cases.filter((_, i) => text[i] !== null);
}

function runOracle(cases: Case[]): { v: bigint[]; fpsr: number }[] {
  const exe = gcc({ "oracle.c": ORACLE_C, "stub.S": STUB_S }, ["-O1", "-static"], "simd-fp-oracle");
  const input = Buffer.alloc(cases.length * 80);
  cases.forEach((c, i) => {
    const o = i * 80;
    input.writeUInt32LE(c.word, o);
    input.writeUInt32LE(c.fpcr, o + 4);
    input.writeUInt32LE(c.fpsr, o + 8);
    c.v.forEach((r, k) => {
      input.writeBigUInt64LE(r & ((1n << 64n) - 1n), o + 16 + 16 * k);
      input.writeBigUInt64LE(r >> 64n, o + 24 + 16 * k);
    });
  });
  const p = spawnSync("qemu-aarch64", [exe], { input, maxBuffer: 1 << 28 });
  if (p.error || p.status !== 0) throw new Error(`oracle failed: ${p.error?.message ?? p.stderr.toString()}`);
  assert.equal(p.stdout.length, cases.length * 80, "oracle output size");
  return cases.map((_, i) => {
    const o = i * 80;
    const v = [0, 1, 2, 3].map((k) => (p.stdout.readBigUInt64LE(o + 8 + 16 * k) << 64n) | p.stdout.readBigUInt64LE(o + 16 * k));
    return { v, fpsr: p.stdout.readUInt32LE(o + 64) };
  });
}

function runDormouse(cases: Case[]): { v: bigint[]; fpsr: number }[] {
  const cpu = freshCpu();
  // Each case's word at its own address, followed by HVC #0 (0xd4000002).
  const code = Buffer.alloc(cases.length * 8);
  cases.forEach((c, i) => {
    code.writeUInt32LE(c.word, i * 8);
    code.writeUInt32LE(0xd4000002, i * 8 + 4);
  });
  cpu.writePhys(CODE_BASE, code);
  return cases.map((c, i) => {
    c.v.forEach((r, k) => {
      cpu.setV(k, r);
    });
    cpu.fpcr = c.fpcr;
    cpu.fpsr = c.fpsr;
    cpu.pc = CODE_BASE + BigInt(i * 8);
    const r = cpu.run(4);
    assert.equal(r, ExitReason.Hvc, `${c.name} ${c.word.toString(16)} did not run to its HVC (undef count ${cpu.undefCount})`);
    return { v: [0, 1, 2, 3].map((k) => cpu.v(k)), fpsr: cpu.fpsr };
  });
}

test("AdvSIMD FP instructions match qemu-aarch64 (vector registers and FPSR)", () => {
  const cases = makeCases();
  const names = new Set(cases.map((c) => c.name));
  const entries = loadTables().filter((e) => e.group.startsWith("simd_fp"));
  assert.deepEqual(
    entries.filter((e) => !names.has(e.name)).map((e) => e.name),
    [],
    "every entry has cases",
  );
  const ref = runOracle(cases);
  const ours = runDormouse(cases);
  const bad: string[] = [];
  const hex = (v: bigint) => v.toString(16).padStart(32, "0");
  cases.forEach((c, i) => {
    const a = ours[i];
    const b = ref[i];
    const same = a.fpsr === b.fpsr && a.v.every((x, k) => x === b.v[k]);
    if (same) return;
    const diff = a.v
      .map((x, k) => (x === b.v[k] ? "" : ` v${k}: ours ${hex(x)} ref ${hex(b.v[k])}`))
      .filter((s) => s)
      .join(";");
    bad.push(
      `${disassemble(c.word, 0n)} [${c.word.toString(16)}] fpcr ${c.fpcr.toString(16)} fpsr_in ${c.fpsr.toString(16)} in ${c.v.map(hex).join(" ")}:${diff}${a.fpsr === b.fpsr ? "" : ` fpsr ours ${a.fpsr.toString(16)} ref ${b.fpsr.toString(16)}`}`,
    );
  });
  assert.ok(cases.length >= 500, `only ${cases.length} cases`);
  // Not vacuous: every cumulative flag is raised by some case, and most cases change Vd.
  const raised = ref.reduce((acc, r, i) => acc | (r.fpsr & ~cases[i].fpsr), 0);
  assert.equal(raised & 0x9f, 0x9f, `flags raised: ${raised.toString(16)}`);
  const changed = ref.filter((r, i) => r.v.some((x, k) => x !== cases[i].v[k])).length;
  assert.ok(changed > cases.length * 0.9, `only ${changed} of ${cases.length} cases change a register`);
  if (process.env.SIMD_FP_DUMP) console.log(bad.map((b) => b.split(" [")[0]).join("\n"));
  assert.deepEqual(bad.slice(0, 15), [], `${bad.length} of ${cases.length} cases differ`);
});
