// Test guests built from test/guests/<name>/ with the cross compiler (cached by content).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gcc, repoRoot } from "./toolchain.ts";

/** Builds a bare-metal guest ELF from test/guests/<name> (start.S, guest.c, link.ld) with extra defines. */
export function buildGuest(name: string, defines: Record<string, string | number> = {}): string {
  const dir = join(repoRoot, "test/guests", name);
  const sources: Record<string, string> = {};
  for (const f of ["start.S", "guest.c", "link.ld"]) sources[f] = readFileSync(join(dir, f), "utf8");
  const args = [
    "-O2",
    "-ffreestanding",
    "-nostdlib",
    "-static",
    "-fno-pie",
    "-no-pie",
    "-mstrict-align",
    "-mgeneral-regs-only",
    "-Wl,--build-id=none",
    "-Wl,--no-warn-rwx-segments",
    "-T",
    "link.ld",
    ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`),
  ];
  return gcc(sources, args, `${name}.elf`);
}
