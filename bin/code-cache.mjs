// Loading the CLI's resume bundle (build/cli/resume.cjs, one CommonJS file) with V8's code cache
// beside it (resume.cjs.cache): the functions the command runs are deserialised instead of
// parsed and compiled again, which is most of a `dormouse resume` process's start. Node 20's
// ES modules have no code cache (module.enableCompileCache is Node 22's), so this bundle is
// CommonJS, compiled as a vm.Script. A cache V8 refuses (another Node, another bundle) is
// ignored: the script compiles as it would without one.
//
// Run as a program (`node bin/code-cache.mjs build/cli/resume.cjs`, by npm run build:cli) it
// writes the cache: the bundle loaded, `dormouse resume --help` run (which loads every module
// resume uses), and V8's code for all that saved.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";

/** The bundle's exports (its compiled script kept for createCachedData). */
export function loadCached(file) {
  const cacheFile = `${file}.cache`;
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  const script = new Script(Module.wrap(readFileSync(file, "utf8")), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script, cacheRejected: cachedData !== undefined && script.cachedDataRejected === true };
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const file = process.argv[2] && resolve(process.argv[2]);
  if (!file) throw new Error("usage: node bin/code-cache.mjs BUNDLE.cjs");
  const { exports, script } = loadCached(file);
  const write = process.stdout.write;
  process.stdout.write = () => true;
  const status = await exports.main(["resume", "--help"]);
  process.stdout.write = write;
  if (status !== 0) throw new Error(`dormouse resume --help exited with ${status} while the code cache was made`);
  const tmp = `${file}.cache.tmp-${process.pid}`;
  writeFileSync(tmp, script.createCachedData());
  renameSync(tmp, `${file}.cache`);
  process.exit(0);
}
