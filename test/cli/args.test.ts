// The CLI's argument helpers (src/cli/args.ts): any error becomes one line whatever its class,
// parseArgs mistakes are usage errors, numbers and sizes are strict; and an error raised outside
// a command (an unhandled rejection, an exception in a callback) is one line too.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { Failure, formatError, parseInteger, parseOptions, parseSize, UsageError } from "../../src/cli/args.ts";
import { DiskError } from "../../src/devices/virtio/blk.ts";
import { repoRoot } from "../support/toolchain.ts";

test("errors of any class are one line; what only a bug raises is marked internal with a hint", () => {
  class SomeDeviceError extends Error {}
  const cases: [unknown, RegExp, number][] = [
    [new UsageError("--smp takes a whole number"), /^dormouse: --smp takes a whole number \(see --help\)\n$/, 2],
    [new DiskError("cannot attach x: not a regular file"), /^dormouse: cannot attach x: not a regular file\n$/, 1],
    [new SomeDeviceError("GPIO pin 9 does not exist"), /^dormouse: GPIO pin 9 does not exist\n$/, 1],
    [new Error("first line\n  second line\n"), /^dormouse: first line second line\n$/, 1],
    [
      new TypeError("x.y is not a function"),
      /^dormouse: internal error: TypeError: x\.y is not a function \(rerun with --debug for details\)\n$/,
      1,
    ],
    [new RangeError("Maximum call stack size exceeded"), /^dormouse: internal error: RangeError: Maximum call stack/, 1],
    [new WebAssembly.RuntimeError("unreachable"), /^dormouse: internal error: RuntimeError: unreachable/, 1],
    ["a string", /^dormouse: internal error: thrown a string \(rerun/, 1],
    [
      new Failure("vCPU 0: the PL061 has no pin 9", { cause: new SomeDeviceError("no pin 9") }),
      /^dormouse: vCPU 0: the PL061 has no pin 9\n$/,
      1,
    ],
    [new Failure("the VM failed"), /^dormouse: the VM failed\n$/, 1],
    [
      new Failure("vCPU 1: x is not a function", { cause: new TypeError("x is not a function") }),
      /^dormouse: internal error: vCPU 1: x is not a function \(TypeError; rerun with --debug for details\)\n$/,
      1,
    ],
    [undefined, /^dormouse: internal error: thrown undefined/, 1],
    [
      Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write", path: "/x/y" }),
      /^dormouse: write \/x\/y failed: no space left on the device\n$/,
      1,
    ],
  ];
  for (const [e, re, status] of cases) {
    const f = formatError(e, { usageHint: "see --help" });
    assert.match(f.text, re, String(e));
    assert.equal(f.status, status, String(e));
    assert.doesNotMatch(f.text, /\n\s+at /);
  }
  const debug = formatError(new DiskError("outer", { cause: new TypeError("inner") }), { debug: true });
  assert.match(debug.text, /^dormouse: outer\nError: outer\n\s+at [^]*caused by: TypeError: inner\n\s+at /);
});

test("parseArgs mistakes are usage errors naming the option", () => {
  const options = { smp: { type: "string" }, verbose: { type: "boolean", short: "v" } } as const;
  const refused: [string[], RegExp][] = [
    [["--frob"], /^unknown option --frob$/],
    [["-vz"], /^unknown option -z \(in -vz\)$/],
    [["--smp"], /^--smp needs a value$/],
    [["--smp", "-2"], /^--smp needs a value; to give it one starting with "-", write --smp=-2$/],
    [["--verbose=yes"], /^--verbose is a flag and takes no value$/],
    [["file"], /^unexpected argument "file"$/],
  ];
  for (const [args, re] of refused) {
    assert.throws(
      () => parseOptions({ args, options }),
      (e: Error) => e instanceof UsageError && re.test(e.message),
      args.join(" "),
    );
  }
  assert.deepEqual({ ...parseOptions({ args: ["--smp=-2", "-v"], options }).values }, { smp: "-2", verbose: true });
});

test("strict integers and sizes", () => {
  assert.equal(parseInteger("007", "--n", 1, 10), 7);
  for (const bad of ["", "1e1", "0x1", "1.0", "-1", "+1", " 1", "1 ", "11", "0", "١"])
    assert.throws(() => parseInteger(bad, "--n", 1, 10), UsageError, JSON.stringify(bad));
  const limits = { min: 4 << 20, max: 2 ** 32, align: 2 << 20 };
  assert.equal(parseSize("512M", "--memory", limits), 512 << 20);
  assert.equal(parseSize("1GiB", "--memory", limits), 1 << 30);
  assert.equal(parseSize("4g", "--memory", limits), 2 ** 32);
  assert.equal(parseSize("4194304", "--memory", limits), 4 << 20);
  for (const bad of ["", "0", "2M", "5M", "4097M", "1.5G", "-4M", "M", "4 M", "4MM", "1e3M", "99999999999999999G"])
    assert.throws(() => parseSize(bad, "--memory", limits), UsageError, JSON.stringify(bad));
});

test("an unhandled rejection or an exception in a callback after main started is one line, exit 1", () => {
  const bundle = pathToFileURL(join(repoRoot, "build/cli/dormouse.mjs")).href;
  for (const [raise, re] of [
    ["Promise.reject(new TypeError('boom'))", /^dormouse: internal error: TypeError: boom \(rerun with --debug for details\)\n$/],
    ["setTimeout(() => { class Pl061Error extends Error {}; throw new Pl061Error('bad pin'); })", /^dormouse: bad pin\n$/],
  ] as const) {
    const script = `const { main } = await import(${JSON.stringify(bundle)}); await main(["--help"]); ${raise}; setTimeout(() => {}, 5000);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});
