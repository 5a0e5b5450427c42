// `dormouse list` and the other clients of the daemon start light: what they load — main.ts's
// static imports and those of vms.ts, the module main.ts loads for them, followed through
// every static import that is not type-only — holds no part of the VMM, the CPU core, the
// board, the daemon's server or its schemas (TypeBox), which the CLI loads only for the
// commands that need them (dynamic imports, split into chunks of their own by the bundle).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/toolchain.ts";

/** The specifiers a module imports statically for its values (type-only imports are erased). */
function staticImports(file: string): string[] {
  const code = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[\s;])(import|export)\s+(type\s)?[^'"`;]*?from\s*["']([^"']+)["']/g)) if (!m[2]) out.push(m[3]);
  return out;
}

/** Every module `entries` load before any dynamic import: files of src/, and packages by name. */
function loaded(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const f = todo.pop() as string;
    if (seen.has(f)) continue;
    seen.add(f);
    if (!f.endsWith(".ts")) continue;
    for (const s of staticImports(f)) {
      if (s.startsWith("node:")) continue;
      if (!s.startsWith(".")) todo.push(s);
      else {
        const p = resolve(dirname(f), s);
        todo.push(existsSync(p) ? p : `${p}.ts`);
      }
    }
  }
  return seen;
}

test("the client commands load no part of the VMM, the core, the board, the daemon's server or its schemas", () => {
  const cli = join(repoRoot, "src/cli");
  const mods = [...loaded([join(cli, "main.ts"), join(cli, "vms.ts")])].map((f) => (f.startsWith("/") ? relative(repoRoot, f) : f));
  assert.ok(mods.includes("src/cli/api-client.ts") && mods.includes("src/daemon/locate.ts"), mods.join(" "));
  const heavy = mods.filter(
    (m) =>
      /^src\/(cpu|hv|machine|devices|vmm|kit|schema)\//.test(m) ||
      (m.startsWith("src/host/") && m !== "src/host/node/errno.ts") ||
      (m.startsWith("src/daemon/") && m !== "src/daemon/locate.ts") ||
      m.startsWith("typebox"),
  );
  assert.deepEqual(heavy, [], `loaded by dormouse list: ${mods.join(" ")}`);
});
