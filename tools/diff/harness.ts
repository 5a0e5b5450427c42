// The differential harness: generate cases, run them under qemu-aarch64 (in batches, one process
// each) and on Dormouse (in-process), compare, shrink the mismatches, and account coverage.
import { differences, report } from "./compare.ts";
import { DormouseRunner } from "./dormouse.ts";
import { BRK0, type Case, CODE_ADDR, type Outcome, SIGALRM } from "./format.ts";
import { entries, type GenOptions, generate } from "./gen.ts";
import { runOracle } from "./oracle.ts";
import type { JitStats } from "../../src/cpu/jit/jit.ts";

export interface Mismatch {
  index: number;
  case: Case;
  ref: Outcome;
  ours: Outcome;
  /** The smallest variant (instructions removed) that still differs. */
  minimal: { case: Case; ref: Outcome; ours: Outcome };
  /** Whether shrinking was attempted (only the first `shrink` mismatches are shrunk). */
  shrunk: boolean;
}

export interface DiffResult {
  count: number;
  mismatches: Mismatch[];
  /** Entry name → times an instruction of it was reached in a compared case. */
  coverage: Map<string, number>;
  /** Entries of the pool never compared (and why, when known). */
  neverCompared: Map<string, string>;
  /** Signal name → cases that ended with it (oracle side). */
  endings: Map<string, number>;
  /** Group → shrunk mismatching cases whose minimal reproducer holds one of its entries. */
  byGroup: Map<string, number>;
  oracleMs: number;
  oursMs: number;
}

export interface DiffOptions extends GenOptions {
  /** Cases per qemu process. */
  batch?: number;
  /** Mismatches to shrink (the rest are reported as they are). */
  shrink?: number;
}

let runner: DormouseRunner | null = null;
function ours(): DormouseRunner {
  if (!runner) runner = new DormouseRunner();
  return runner;
}

/** The JIT counters of the core the differential runs use (to check what a run exercised). */
export function oursJitStats(): Readonly<JitStats> {
  return { ...ours().cpu.jitStats };
}

function same(ref: Outcome, o: Outcome): boolean {
  return differences(ref, o).length === 0;
}

/** Runs cases on both sides (oracle in batches). */
export function runBoth(cases: Case[], batch = 10_000): { refs: Outcome[]; outs: Outcome[]; oracleMs: number; oursMs: number } {
  const refs: Outcome[] = [];
  let t = performance.now();
  for (let i = 0; i < cases.length; i += batch) refs.push(...runOracle(cases.slice(i, i + batch)));
  const oracleMs = performance.now() - t;
  t = performance.now();
  const r = ours();
  const outs = cases.map((c) => r.run(c));
  const oursMs = performance.now() - t;
  // The oracle's limit is a second of wall-clock time: on a loaded machine a case that finished
  // on our side can be descheduled past it. Such cases are run again (twice at most) before a
  // timeout counts; a case that loops for ever times out every time on both sides.
  for (let attempt = 0; attempt < 2; attempt++) {
    const again = cases.flatMap((_, k) => (refs[k].sig === SIGALRM && outs[k].sig !== SIGALRM ? [k] : []));
    if (!again.length) break;
    const rerun = runOracle(again.map((k) => cases[k]));
    again.forEach((k, i) => (refs[k] = rerun[i]));
  }
  return { refs, outs, oracleMs, oursMs };
}

const NOP = 0xd503_201f;

/**
 * Removes instructions one at a time while the case still differs; where no removal keeps the
 * difference (branch offsets shift), replaces one by NOP instead (its name becomes "", so it
 * counts for no group).
 */
function shrink(items: { case: Case; ref: Outcome; ours: Outcome }[]): { case: Case; ref: Outcome; ours: Outcome }[] {
  const best = items.slice();
  for (let round = 0; round < 24; round++) {
    const variants: { owner: number; c: Case }[] = [];
    best.forEach((b, owner) => {
      const n = b.case.code.length - 1;
      for (let j = 0; j < n; j++) {
        const code = b.case.code.filter((_, k) => k !== j);
        const names = b.case.names.filter((_, k) => k !== j);
        variants.push({ owner, c: { ...b.case, code, names } });
      }
      for (let j = 0; j < n; j++) {
        if (b.case.code[j] === NOP) continue;
        const code = b.case.code.map((w, k) => (k === j ? NOP : w));
        const names = b.case.names.map((nm, k) => (k === j ? "" : nm));
        variants.push({ owner, c: { ...b.case, code, names } });
      }
    });
    if (!variants.length) break;
    const { refs, outs } = runBoth(variants.map((v) => v.c));
    const improved = new Set<number>();
    variants.forEach((v, k) => {
      if (improved.has(v.owner) || same(refs[k], outs[k])) return;
      best[v.owner] = { case: v.c, ref: refs[k], ours: outs[k] };
      improved.add(v.owner);
    });
    if (!improved.size) break;
  }
  return best;
}

/** Index of the instruction a case ended at (for coverage: everything up to it was reached). */
function reached(c: Case, ref: Outcome): number {
  const k = Number((ref.pc - CODE_ADDR) / 4n);
  return ref.pc >= CODE_ADDR && k < c.code.length ? k : c.code.length - 1;
}

/** Generates and compares cases. */
export function runDiff(opts: DiffOptions): DiffResult {
  const r = ours();
  const gen = generate({ ...opts, isUndefined: opts.isUndefined ?? ((w) => r.isUndefined(w)) });
  const { cases } = gen;
  const { refs, outs, oracleMs, oursMs } = runBoth(cases, opts.batch);
  const coverage = new Map<string, number>();
  const endings = new Map<string, number>();
  const bad: number[] = [];
  cases.forEach((c, k) => {
    const end = reached(c, refs[k]);
    for (let i = 0; i <= end; i++) if (c.names[i] && c.names[i][0] !== "(") coverage.set(c.names[i], (coverage.get(c.names[i]) ?? 0) + 1);
    const e =
      refs[k].sig === 5
        ? "end (BRK)"
        : (({ 4: "SIGILL", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV", 14: "timeout" } as Record<number, string>)[refs[k].sig] ??
          `signal ${refs[k].sig}`);
    endings.set(e, (endings.get(e) ?? 0) + 1);
    if (!same(refs[k], outs[k])) bad.push(k);
  });
  const nShrink = Math.min(bad.length, opts.shrink ?? 50);
  const minimal = shrink(bad.slice(0, nShrink).map((k) => ({ case: cases[k], ref: refs[k], ours: outs[k] })));
  const mismatches: Mismatch[] = bad.map((k, i) => ({
    index: k,
    case: cases[k],
    ref: refs[k],
    ours: outs[k],
    minimal: minimal[i] ?? { case: cases[k], ref: refs[k], ours: outs[k] },
    shrunk: i < nShrink,
  }));
  const groupOf = new Map(entries().map((e) => [e.name, e.group]));
  const byGroup = new Map<string, number>();
  for (const m of mismatches.filter((x) => x.shrunk)) {
    for (const g of new Set(m.minimal.case.names.filter((n) => n).map((n) => groupOf.get(n) ?? n)))
      byGroup.set(g, (byGroup.get(g) ?? 0) + 1);
  }
  const neverCompared = new Map<string, string>();
  for (const e of gen.pool) {
    if (!coverage.has(e.name)) neverCompared.set(e.name, gen.unusable.get(e.name) ?? "not reached");
  }
  return { count: cases.length, mismatches, coverage, neverCompared, endings, byGroup, oracleMs, oursMs };
}

/** Readable reports of the first `limit` mismatches (minimal reproducers first). */
export function mismatchReport(r: DiffResult, seed: number, limit = 10): string {
  return r.mismatches
    .slice(0, limit)
    .map((m) => {
      const shrunk = m.minimal.case.code.length < m.case.code.length;
      return report(
        `mismatch in case ${m.index} of seed ${seed}${shrunk ? ` (shrunk from ${m.case.code.length - 1} to ${m.minimal.case.code.length - 1} instructions)` : ""}`,
        m.minimal.case,
        m.minimal.ref,
        m.minimal.ours,
      );
    })
    .join("\n\n");
}

export { BRK0 };
