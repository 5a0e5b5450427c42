// The layering of design.md, checked on every import of src/: cpu -> hv -> machine/devices ->
// vmm -> host -> daemon -> cli (and the guest kit beside the daemon), with src/schema (state
// schemas, the one user of the pure typebox package below the host) beside cpu at the bottom; no
// layer imports a higher one, no import cycles, and nothing below src/host, the kit, the daemon
// and the CLI imports node:* or a package but src/schema's — so the same VM can be hosted by a
// worker, another process or a browser tab.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/toolchain.ts";

const src = join(repoRoot, "src");
const LAYERS: Record<string, number> = {
  schema: 0,
  cpu: 0,
  hv: 1,
  machine: 2,
  devices: 2,
  vmm: 3,
  host: 4,
  kit: 5,
  daemon: 5,
  cli: 6,
  types: 0,
};
/** Layers whose modules may use Node's modules. */
const NODE_ALLOWED = new Set(["host", "kit", "daemon", "cli"]);
/** Pure packages (no host services) and the one layer below the host that may import each: everything else goes through it. */
const PURE_PACKAGES: Record<string, string> = { typebox: "schema" };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(n) ? [p] : [];
  });
}

/** Every import specifier of a module: static imports and exports, and dynamic import(). */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']/g)) out.push(m[1]);
  for (const m of code.matchAll(/(?:^|[\s;])import\s*["']([^"']+)["']/g)) out.push(m[1]);
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]);
  return out;
}

function resolveLocal(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const p of [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")])
    if (existsSync(p) && statSync(p).isFile()) return p;
  return null;
}

const layerOf = (file: string) => relative(src, file).split("/")[0];

function graph(): Map<string, { spec: string; target: string | null }[]> {
  const g = new Map<string, { spec: string; target: string | null }[]>();
  for (const f of files(src)) {
    g.set(
      f,
      specifiers(readFileSync(f, "utf8")).map((spec) => ({ spec, target: spec.startsWith(".") ? resolveLocal(f, spec) : null })),
    );
  }
  return g;
}

test("the import scanner sees static, type-only, re-exported and dynamic imports", () => {
  const text = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    "import {\n  c,\n  d,\n} from './c.ts';",
    'export { e } from "./e.ts";',
    'import "./side-effect.ts";',
    'const m = await import("node:fs");',
    '// import { no } from "./commented.ts";',
  ].join("\n");
  assert.deepEqual(specifiers(text).sort(), ["../b.ts", "./a.ts", "./c.ts", "./e.ts", "./side-effect.ts", "node:fs"].sort());
});

test("every module of src/ is in a known layer, and every local import resolves", () => {
  for (const [f, imports] of graph()) {
    assert.ok(layerOf(f) in LAYERS, `${relative(repoRoot, f)} is in no layer of design.md`);
    for (const i of imports) if (i.spec.startsWith(".")) assert.ok(i.target, `${relative(repoRoot, f)}: ${i.spec} does not resolve`);
  }
});

test("no layer imports a higher one", () => {
  const bad: string[] = [];
  for (const [f, imports] of graph()) {
    for (const { spec, target } of imports) {
      if (!target) continue;
      const [from, to] = [layerOf(f), layerOf(target)];
      if (LAYERS[to] > LAYERS[from]) bad.push(`${relative(src, f)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(bad, []);
});

test("nothing below the host, the kit, the daemon and the CLI imports node:* or a package", () => {
  const bad: string[] = [];
  for (const [f, imports] of graph()) {
    if (NODE_ALLOWED.has(layerOf(f))) continue;
    for (const { spec } of imports) {
      if (spec.startsWith(".")) continue;
      if (PURE_PACKAGES[spec.split("/")[0]] === layerOf(f)) continue;
      bad.push(`${relative(src, f)} imports ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test("no import cycles", () => {
  const g = graph();
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "visiting") {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(" -> "));
      return;
    }
    state.set(f, "visiting");
    for (const { target } of g.get(f) ?? []) if (target) visit(target, [...path, f]);
    state.set(f, "done");
  };
  for (const f of g.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
