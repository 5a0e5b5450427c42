// A busy guest never starves the host (issue 9): a guest spinning on a UART register still
// receives every byte typed at it and the process still serves SIGUSR1; a guest printing as fast
// as it can through a pipe nobody reads for a while is held by the PL011's full FIFO (bounded
// memory, measured as peak RSS) and every byte reaches the reader once it reads.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildGuest } from "../support/guests.ts";
import { repoRoot } from "../support/toolchain.ts";

const cli = join(repoRoot, "bin/dormouse.mjs");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fnv1a(b: Uint8Array): number {
  let h = 2166136261;
  for (const c of b) h = Math.imul(h ^ c, 16777619) >>> 0;
  return h;
}

/** A kilobyte count from /proc/<pid>/status (VmRSS, VmHWM), or null once the process is gone. */
function procStatusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function waitText(get: () => string, re: RegExp, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (re.test(get())) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - t0 > ms) {
        clearInterval(poll);
        reject(new Error(`timed out waiting for ${what}: ${get().slice(-500)}`));
      }
    }, 20);
  });
}

test("a guest polling the UART in a tight loop receives every byte typed, and SIGUSR1 is served meanwhile", async () => {
  const N = 3000;
  const input = Buffer.alloc(N);
  for (let i = 0; i < N; i++) input[i] = 0x20 + ((i * 7919) % 95); // printable: no ^D among them
  const p = spawn(process.execPath, [cli, "run", buildGuest("console", { VARIANT: 0, EXPECT: N }), "-v"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString("latin1")));
  p.stderr.on("data", (d: Buffer) => (err += d.toString("latin1")));
  const exited = new Promise<number | null>((r) => p.on("close", r));
  try {
    await waitText(() => out, /console guest: ready\n/, 60_000, "the guest");
    // The guest spins on FR.RXFE: a signal must still be handled.
    p.kill("SIGUSR1");
    await waitText(() => err, /power button pressed \(SIGUSR1\)/, 10_000, "SIGUSR1 handled while the guest spins");
    // In three pieces, the first far larger than the 16-byte receive FIFO.
    p.stdin.write(input.subarray(0, 2000));
    await sleep(300);
    p.stdin.write(input.subarray(2000, 2990));
    await sleep(300);
    p.stdin.end(input.subarray(2990));
    assert.equal(await exited, 0, err);
    assert.match(out, new RegExp(`got ${N} bytes, fnv1a 0x${fnv1a(input).toString(16).padStart(16, "0")}\\n`));
  } finally {
    if (p.exitCode === null) p.kill("SIGKILL");
  }
});

test("output through a pipe read late and slowly arrives complete, the guest held with bounded memory", { timeout: 300_000 }, async () => {
  const COUNT = 3_000_001;
  const p = spawn(process.execPath, [cli, "run", buildGuest("console", { VARIANT: 1, COUNT }), "-v"], { stdio: ["pipe", "pipe", "pipe"] });
  const chunks: Buffer[] = [];
  let err = "";
  p.stderr.on("data", (d: Buffer) => (err += d.toString("latin1")));
  const exited = new Promise<number | null>((r) => p.on("close", r));
  let peakKb = 0;
  const pid = p.pid as number;
  const sample = setInterval(() => {
    peakKb = Math.max(peakKb, procStatusKb(pid, "VmHWM") ?? 0);
  }, 50);
  try {
    // Nobody reads for 3 s after the guest started: the pipe and the console sink fill, and the guest must wait.
    p.stdout.pause();
    await waitText(() => err, /dormouse: started/, 60_000, "the start");
    await sleep(3000);
    const heldKb = procStatusKb(pid, "VmRSS");
    p.kill("SIGUSR1");
    await waitText(() => err, /power button pressed \(SIGUSR1\)/, 10_000, "SIGUSR1 handled while the output is held");
    // Then a slow reader: 64 KiB at a time, 5 ms apart.
    p.stdout.on("data", (d: Buffer) => {
      chunks.push(d);
      p.stdout.pause();
      setTimeout(() => p.stdout.resume(), 5);
    });
    p.stdout.resume();
    assert.equal(await exited, 0, err);
    const out = Buffer.concat(chunks);
    assert.equal(out.length, COUNT, "every byte arrived");
    let bad = -1;
    for (let i = 0; i < COUNT && bad < 0; i++) if (out[i] !== (i % 64 === 63 ? 0x0a : 0x30 + ((i % 64) % 43))) bad = i;
    assert.equal(bad, -1, `the output is intact (first wrong byte at ${bad})`);
    assert.ok(heldKb !== null && heldKb < 300 * 1024, `RSS while held: ${heldKb} kB`);
    assert.ok(peakKb > 0 && peakKb < 300 * 1024, `peak RSS ${peakKb} kB`);
  } finally {
    clearInterval(sample);
    if (p.exitCode === null) p.kill("SIGKILL");
  }
});
