// npm run build:cli, after the split bundle: `dormouse resume`'s own bundle, build/cli/resume.cjs
// (the whole CLI in one CommonJS file: Node 20 keeps a code cache only for scripts), and V8's code
// cache for it, made by loading it and running `dormouse resume --help` (bin/code-cache.mjs).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
const out = join(root, "build/cli/resume.cjs");
await build({
  entryPoints: [join(root, "src/cli/main.ts")],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  external: ["@node-rs/xxhash"],
  // import.meta.url (finding build/cpu.wasm, bin/dormouse.mjs and @node-rs/xxhash) is the bundle's own URL.
  define: { "import.meta.url": "__dormouse_bundle_url" },
  banner: { js: 'const __dormouse_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
  outfile: out,
});
// A plain Node, as bin/dormouse.mjs runs it (no tsx loader, which would not be there to load the cache).
const { NODE_OPTIONS: _options, ...env } = process.env;
execFileSync(process.execPath, [join(root, "bin/code-cache.mjs"), out], { stdio: "inherit", env });
// Refused, the cache would be dead weight: V8 takes it only in a process whose flags match the
// one that made it (a V8 flag set while it was made, as the core's loader sets one, fails this).
const check = `import { loadCached } from ${JSON.stringify(join(root, "bin/code-cache.mjs"))}; process.stdout.write(String(loadCached(${JSON.stringify(out)}).cacheRejected));`;
const rejected = execFileSync(process.execPath, ["--input-type=module", "-e", check], { env, encoding: "utf8" });
if (rejected !== "false") throw new Error(`V8 refuses the code cache made for ${out}`);
