// Loads the CPU core's wasm (build/cpu.wasm) for Node, once per process.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";

let compiled: WebAssembly.Module | null = null;

/**
 * Path of the core's wasm file (built by `npm run build`): build/cpu.wasm of the checkout this
 * module is in, found upward from here (the sources are in src/host/node, the CLI bundle in build/cli).
 */
export function wasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "build/cpu.wasm");
    if (existsSync(p) && existsSync(join(dir, "package.json"))) return p;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), "../../../build/cpu.wasm");
}

/** The core's wasm, with V8 set up to compile it (an Error saying how to build it when build/cpu.wasm is missing). */
function coreBytes(): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(wasmPath());
  } catch {
    throw new Error(`the CPU core is not built (${wasmPath()} missing): run "npm run build"`);
  }
  // V8 compiles wasm functions lazily by default, and for every module compiled so it posts
  // delayed tasks that report compile times seconds to a minute later: with the JIT's
  // thousands of small modules a suspended VM's process woke 50-100 times a second for a
  // minute after the guest went to sleep. Compiled at once (Liftoff, then tiered up as
  // before), no such tasks exist. Set before the first module is compiled.
  setFlagsFromString("--no-wasm-lazy-compilation");
  // The JIT's modules carry branch hints (src/cpu/jit/wasm.ts: a load or store's TLB hit is
  // likely, its interpreter fallback not): with them TurboFan compiles the unlikely arms out of
  // line with their register spills, which made bench:cpu's compiled code ~9% faster.
  setFlagsFromString("--experimental-wasm-branch-hinting");
  return bytes;
}

/** The compiled core (an Error saying how to build it when build/cpu.wasm is missing). */
export function coreModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(coreBytes());
  return compiled;
}

let compiling: Promise<WebAssembly.Module> | null = null;

/**
 * Compiles the core on V8's background threads, for a caller with other work to do meanwhile
 * (dormouse resume reads and checks the snapshot): coreModule() returns it once this resolves.
 */
export function compileCoreModule(): Promise<WebAssembly.Module> {
  compiling ??= (async () => {
    if (!compiled) {
      const m = await WebAssembly.compile(coreBytes());
      compiled ??= m;
    }
    return compiled;
  })();
  return compiling;
}
