// Board-level test guests (test/guests/<name>/start.S and guest.c), built through the shared
// bare-metal builder (test/support/baremetal.ts) and linked at the start of RAM.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildGuest as buildBareMetal, GUEST_DIR } from "./baremetal.ts";

/** Builds test/guests/<name> with -D defines; returns the ELF path. */
export function buildGuest(name: string, defines: Record<string, string | number> = {}): string {
  const extra: Record<string, string> = {};
  for (const f of ["start.S", "guest.c"]) {
    const p = join(GUEST_DIR, name, f);
    if (existsSync(p)) extra[`${name}-${f}`] = readFileSync(p, "utf8");
  }
  // No MMU in these guests: strict alignment, and no FP registers in the C code.
  const cflags = Object.entries(defines).map(([k, v]) => `-D${k}=${v}`);
  return buildBareMetal([], { extra, cflags, noFp: true, noMmu: true }).elf;
}

/** The address of a symbol in an ELF (for asserting where the guest resumes). */
export function symbolAddress(elf: string, symbol: string): bigint {
  const out = execFileSync("aarch64-linux-gnu-nm", [elf], { encoding: "utf8" });
  const m = new RegExp(`^([0-9a-f]+) \\w ${symbol}$`, "m").exec(out);
  if (!m) throw new Error(`no symbol ${symbol} in ${elf}`);
  return BigInt(`0x${m[1]}`);
}
