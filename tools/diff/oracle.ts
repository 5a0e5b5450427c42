// The reference side: builds the oracle program (at first use, cached under .cache/build) and
// runs batches of cases through it under qemu-aarch64 (one process per batch).
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gcc } from "../../test/support/toolchain.ts";
import { type Case, decodeResults, encodeCases, type Outcome } from "./format.ts";

const srcDir = join(import.meta.dirname, "oracle");
/** The CPU qemu models: the Cortex-A57 (ARMv8.0-A), as Dormouse does. */
export const ORACLE_CPU = "cortex-a57";

let built: string | null = null;

/** Path of the oracle binary, compiled on first use. */
export function oraclePath(): string {
  if (!built) {
    const sources: Record<string, string> = {};
    for (const f of ["oracle.h", "oracle.c", "tramp.S"]) sources[f] = readFileSync(join(srcDir, f), "utf8");
    // Linked far from every address a generated register is likely to hold, so a stray access
    // faults as it does on our side instead of reading the oracle itself.
    built = gcc(sources, ["-static", "-O2", "-Wall", "-Werror", "-Wl,-Ttext-segment=0x5a5a00000000"], "diff-oracle");
  }
  return built;
}

/** Fails with a readable message when qemu-aarch64 is missing. */
export function checkOracle(): void {
  try {
    execFileSync("qemu-aarch64", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error('qemu-aarch64 is missing: run "npm test" (it installs qemu-user) or apt-get install qemu-user');
  }
}

/** Runs cases under qemu-aarch64 and returns their outcomes (in order). */
export function runOracle(cases: Case[]): Outcome[] {
  if (cases.length === 0) return [];
  const bin = oraclePath();
  const input = encodeCases(cases);
  const r = spawnSync("qemu-aarch64", ["-cpu", ORACLE_CPU, bin], { input, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`oracle exited with ${r.status ?? r.signal}: ${r.stderr.toString()}`);
  return decodeResults(r.stdout, cases.length);
}
