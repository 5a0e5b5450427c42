// Builds the AArch64 oracle (run under qemu-aarch64) and the AssemblyScript test entry, and
// runs batches of cases through both. Missing tools are reported as errors, never skipped.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../../..");

export interface Case {
  op: number;
  fpcr: number;
  a: bigint;
  b: bigint;
  c: bigint;
}

export interface Result {
  r: bigint;
  fpsr: number;
}

function need(cmd: string, args: string[], what: string): void {
  const p = spawnSync(cmd, args, { encoding: "utf8" });
  if (p.error || p.status !== 0) {
    throw new Error(`softfloat tests need ${what} (\`${cmd}\`), which is missing or broken: ${p.error?.message ?? p.stderr}`);
  }
}

export class Harness {
  private dir = mkdtempSync(join(tmpdir(), "softfloat-"));
  private oracle = join(this.dir, "oracle");
  private exports!: { runBatch: (inPtr: number, n: number, outPtr: number) => void };
  private mem!: WebAssembly.Memory;

  async build(): Promise<void> {
    need("aarch64-linux-gnu-gcc", ["--version"], "the AArch64 cross compiler");
    need("qemu-aarch64", ["--version"], "qemu user-mode emulation");
    execFileSync("aarch64-linux-gnu-gcc", ["-O1", "-static", "-o", this.oracle, join(HERE, "oracle.c")], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    const wasm = join(this.dir, "entry.wasm");
    const asc = join(ROOT, "node_modules", ".bin", "asc");
    execFileSync(
      asc,
      [
        join(HERE, "entry.ts"),
        "--runtime",
        "stub",
        "--importMemory",
        "--memoryBase",
        "1048576",
        "--enable",
        "simd",
        "-O3",
        "--initialMemory",
        "256",
        "-o",
        wasm,
      ],
      { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
    );
    this.mem = new WebAssembly.Memory({ initial: 256 });
    const mod = await WebAssembly.compile(readFileSync(wasm));
    const inst = await WebAssembly.instantiate(mod, {
      env: {
        memory: this.mem,
        abort: () => {
          throw new Error("wasm abort");
        },
      },
    });
    this.exports = inst.exports as unknown as typeof this.exports;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  static encode(cases: Case[]): Buffer {
    const buf = Buffer.alloc(cases.length * 32);
    cases.forEach((k, i) => {
      const o = i * 32;
      buf.writeUInt32LE(k.op, o);
      buf.writeUInt32LE(k.fpcr, o + 4);
      buf.writeBigUInt64LE(k.a, o + 8);
      buf.writeBigUInt64LE(k.b, o + 16);
      buf.writeBigUInt64LE(k.c, o + 24);
    });
    return buf;
  }

  static decode(buf: Buffer, n: number): Result[] {
    const out: Result[] = [];
    for (let i = 0; i < n; i++) out.push({ r: buf.readBigUInt64LE(i * 16), fpsr: buf.readUInt32LE(i * 16 + 8) });
    return out;
  }

  /** Real Arm results (qemu-aarch64 running the oracle). */
  runOracle(input: Buffer, n: number): Result[] {
    const p = spawnSync("qemu-aarch64", [this.oracle], { input, maxBuffer: 1 << 30 });
    if (p.error || p.status !== 0) throw new Error(`oracle failed: ${p.error?.message ?? p.stderr.toString()}`);
    if (p.stdout.length !== n * 16) throw new Error(`oracle wrote ${p.stdout.length} bytes for ${n} cases`);
    return Harness.decode(p.stdout, n);
  }

  /** Library results, in chunks through wasm memory above 4 MiB. */
  runWasm(input: Buffer, n: number): Result[] {
    const IN = 4 << 20;
    const OUT = 10 << 20;
    const CHUNK = (6 << 20) / 32;
    const out = Buffer.alloc(n * 16);
    for (let s = 0; s < n; s += CHUNK) {
      const m = Math.min(CHUNK, n - s);
      new Uint8Array(this.mem.buffer, IN, m * 32).set(input.subarray(s * 32, (s + m) * 32));
      this.exports.runBatch(IN, m, OUT);
      out.set(new Uint8Array(this.mem.buffer, OUT, m * 16), s * 16);
    }
    return Harness.decode(out, n);
  }

  /** Mean nanoseconds per case of the library alone (inputs preloaded; for benchmarks). */
  timeWasm(input: Buffer, n: number, reps: number): number {
    const IN = 4 << 20;
    const OUT = 10 << 20;
    if (n * 32 > OUT - IN) throw new Error("batch too large");
    new Uint8Array(this.mem.buffer, IN, n * 32).set(input.subarray(0, n * 32));
    this.exports.runBatch(IN, n, OUT);
    const t = performance.now();
    for (let k = 0; k < reps; k++) this.exports.runBatch(IN, n, OUT);
    return ((performance.now() - t) * 1e6) / (reps * n);
  }
}
