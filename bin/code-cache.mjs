// Loading the CLI's resume bundle (build/cli/resume.cjs, one CommonJS file) with V8's code cache
// beside it (resume.cjs.cache): the functions the command runs are deserialised instead of
// parsed and compiled again, which is most of a `dormouse resume` process's start. Node 20's
// ES modules have no code cache (module.enableCompileCache is Node 22's), so this bundle is
// CommonJS, compiled as a vm.Script. A cache V8 refuses (another Node, another bundle) is
// ignored: the script compiles as it would without one.
//
// Run as a program (`node bin/code-cache.mjs build/cli/resume.cjs SNAPSHOT`, by npm run
// build:cli) it writes the cache: the bundle loaded, `dormouse resume SNAPSHOT -v` run until the
// VM is restored and its guest has run a while (every module resume uses loaded, and the
// functions a resume calls compiled: those V8 would otherwise compile lazily in every resume,
// the header's checks, the board's construction, the restore), and V8's code for all that saved.
// Without SNAPSHOT, `dormouse resume --help` is run instead (the modules loaded, little compiled).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
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
  if (!file) throw new Error("usage: node bin/code-cache.mjs BUNDLE.cjs [SNAPSHOT]");
  const snapshot = process.argv[3] && resolve(process.argv[3]);
  const { exports, script } = loadCached(file);
  const [write, writeErr] = [process.stdout.write, process.stderr.write];
  let err = "";
  process.stdout.write = () => true;
  process.stderr.write = (s) => ((err += String(s)), true);
  // What the command printed, should it end this process (main's handler of an uncaught error).
  process.on("exit", (code) => code && writeErr.call(process.stderr, err));
  if (snapshot) {
    // The resumed VM runs until this process exits: its restore reported, its guest runs 200 ms more.
    const restored = new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (/dormouse: restored /.test(err)) resolve(clearInterval(poll));
      }, 5);
      exports.main(["resume", snapshot, "-v"]).then((status) => {
        clearInterval(poll);
        reject(new Error(`dormouse resume ${snapshot} exited with ${status} while the code cache was made: ${err.trim()}`));
      }, reject);
    });
    await restored;
    await new Promise((r) => setTimeout(r, 200));
  } else {
    const status = await exports.main(["resume", "--help"]);
    if (status !== 0) throw new Error(`dormouse resume --help exited with ${status} while the code cache was made`);
  }
  [process.stdout.write, process.stderr.write] = [write, writeErr];
  // V8 takes a cache only in a process whose flags hash as the ones of the process that made it:
  // the flags the core's loader set (src/host/node/core.ts) go back to their defaults first, as
  // a resume loading the cache has not set them yet (npm run build:cli checks that V8 takes it).
  setFlagsFromString("--wasm-lazy-compilation");
  setFlagsFromString("--no-experimental-wasm-branch-hinting");
  const tmp = `${file}.cache.tmp-${process.pid}`;
  writeFileSync(tmp, script.createCachedData());
  renameSync(tmp, `${file}.cache`);
  process.exit(0);
}
