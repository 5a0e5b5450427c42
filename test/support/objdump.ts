// binutils' disassembly of instruction words, the reference for our disassembler.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Normalizes objdump or our text: single spaces, no symbol names or trailing comments. */
export function normalizeAsm(s: string): string {
  return s
    .replace(/\/\/.*$/, "")
    .replace(/<[^>]*>/g, "")
    .replace(/\s+/g, " ")
    .replace(/ ,/g, ",")
    .trim();
}

/** objdump's text for each word, as if placed consecutively from `base`; null where it has none. */
export function objdumpWords(words: number[], base = 0x4000_0000n): (string | null)[] {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-objdump-"));
  try {
    const buf = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => {
      buf.writeUInt32LE(w >>> 0, i * 4);
    });
    const file = join(dir, "w.bin");
    writeFileSync(file, buf);
    const out = execFileSync(
      "aarch64-linux-gnu-objdump",
      ["-D", "-b", "binary", "-m", "aarch64", `--adjust-vma=0x${base.toString(16)}`, file],
      { encoding: "utf8", maxBuffer: 64 << 20 },
    );
    const result: (string | null)[] = words.map(() => null);
    for (const line of out.split("\n")) {
      const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/.exec(line);
      if (!m) continue;
      const idx = Number((BigInt(`0x${m[1]}`) - base) / 4n);
      if (idx < 0 || idx >= words.length) continue;
      const text = normalizeAsm(m[3]);
      result[idx] = text.startsWith(".inst") || text.startsWith("udf") ? null : text;
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
