// Cross-toolchain helpers for tests: assemble or compile aarch64 code at test time, cached by
// content hash under .cache/build.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "../..");
const cacheDir = join(repoRoot, ".cache/build");

function need(tool: string): void {
  try {
    execFileSync("which", [tool], { stdio: "ignore" });
  } catch {
    throw new Error(`${tool} is missing: run "npm test" (it installs the cross toolchain) or apt-get install the package`);
  }
}

function cached(key: string, ext: string, make: (out: string) => void): string {
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `${createHash("sha256").update(key).digest("hex").slice(0, 24)}${ext}`);
  if (!existsSync(out)) {
    const tmp = `${out}.tmp${process.pid}`;
    make(tmp);
    execFileSync("mv", [tmp, out]);
  }
  return out;
}

/** Assembles A64 source into a flat binary placed at `base` (default 0x40000000). */
export function assemble(source: string, base = 0x4000_0000): Uint8Array {
  need("aarch64-linux-gnu-as");
  const file = cached(`asm:${base}:${source}`, ".bin", (out) => {
    const dir = `${out}.d`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "a.s"), `.global _start\n_start:\n${source}\n`);
    execFileSync("aarch64-linux-gnu-as", ["-o", join(dir, "a.o"), join(dir, "a.s")]);
    execFileSync("aarch64-linux-gnu-ld", ["-Ttext", `0x${base.toString(16)}`, "-o", join(dir, "a.elf"), join(dir, "a.o")]);
    execFileSync("aarch64-linux-gnu-objcopy", ["-O", "binary", join(dir, "a.elf"), out]);
  });
  return new Uint8Array(readFileSync(file));
}

/** Encodes A64 instructions (one per line) to their words. */
export function encode(lines: string[]): number[] {
  const bin = assemble(`${lines.join("\n")}\n`);
  const words: number[] = [];
  for (let i = 0; i < bin.length; i += 4) words.push((bin[i] | (bin[i + 1] << 8) | (bin[i + 2] << 16) | (bin[i + 3] << 24)) >>> 0);
  return words;
}

/** Compiles C/assembly sources with aarch64-linux-gnu-gcc; returns the output path. */
export function gcc(sources: Record<string, string>, args: string[], outName = "a.out"): string {
  need("aarch64-linux-gnu-gcc");
  const key = `gcc:${args.join(" ")}:${JSON.stringify(sources)}`;
  return cached(key, `-${outName}`, (out) => {
    const dir = `${out}.d`;
    mkdirSync(dir, { recursive: true });
    const files = Object.entries(sources).map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    execFileSync("aarch64-linux-gnu-gcc", [...args, "-o", out, ...files.filter((f) => !f.endsWith(".h") && !f.endsWith(".ld"))], {
      cwd: dir,
    });
  });
}
