#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --no-memory-reducer
// The dormouse command: runs the bundle `npm run build` writes (fast start: a resumed VM is
// running within a second), or the TypeScript sources through tsx when the bundle is missing
// or older than the sources. The first line is how every process that runs dormouse starts
// (src/daemon/locate.ts): without NODE_ENV_UNSET (NODE_EXTRA_CA_CERTS, a certificate bundle Node
// parses at startup for TLS, which Dormouse never uses) and with NODE_FLAGS: V8's memory reducer
// off, whose memory-reducing GCs (up to 80 ms of CPU on five threads, 100 s after the last full
// GC) came tens of seconds into a suspended guest's sleep; the VM collects its garbage itself as
// the guest goes to sleep (src/host/node/gc.ts). Only the command line can say it: the reducer is
// made with the heap, and NODE_OPTIONS refuses the flag.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "build/cli/dormouse.mjs");

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    // Concatenated, not path.join: this runs for every file under src/ at every start (5 ms less).
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let main;
if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(join(root, "src"))) {
  // `resume` from its CommonJS bundle and V8's code cache (bin/code-cache.mjs): a resumed VM
  // runs sooner; everything else from the split bundle, which loads only what a command needs.
  const resume = join(root, "build/cli/resume.cjs");
  if (process.argv[2] === "resume" && existsSync(resume)) ({ main } = (await import("./code-cache.mjs")).loadCached(resume).exports);
  else ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../src/cli/main.ts"));
}
process.exitCode = await main(process.argv.slice(2));
process.exit();
