// Bad input to every dormouse command, table-driven: each row runs the built CLI and asserts its
// exit status (2 for usage errors, 1 otherwise), a one-line message saying what is wrong, no
// stack trace, and that no file in the test's directory changed (no temp file left either).
// Every row fails before a guest boots: an image given is a program that powers off at once,
// so a check that does not fire shows as exit status 0.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { repoRoot } from "../support/toolchain.ts";

const cli = join(repoRoot, "bin/dormouse.mjs");
const dir = mkdtempSync(join(tmpdir(), "dormouse-bad-input-"));
after(() => {
  chmodSync(p("locked"), 0o755);
  rmSync(dir, { recursive: true, force: true });
});
const p = (name: string) => join(dir, name);
/** Root reads and writes through file modes. */
const root = process.getuid?.() === 0;

/** A minimal arm64 Image header (enough for the loader; it is never run). */
function image(): Buffer {
  const b = Buffer.alloc(0x10000);
  b.writeBigUInt64LE(0x10000n, 0x10);
  b.writeUInt32LE(0x644d5241, 0x38);
  return b;
}

// A bare-metal program that powers off at once (PSCI SYSTEM_OFF): movz x0, #8; movk x0, #0x8400, lsl 16; hvc #0.
const off = Buffer.alloc(12);
off.writeUInt32LE(0xd2800100, 0);
off.writeUInt32LE(0xf2b08000, 4);
off.writeUInt32LE(0xd4000002, 8);
writeFileSync(p("off.bin"), off);
writeFileSync(p("Image"), image());
writeFileSync(p("notes.txt"), "this is not a kernel\n".repeat(10));
writeFileSync(p("empty"), "");
writeFileSync(p("bad.dtb"), Buffer.alloc(64));
writeFileSync(p("disk.img"), Buffer.alloc(1 << 20, 0x5a));
symlinkSync("disk.img", p("link.img"));
mkdirSync(p("subdir"));
// A file that starts like a snapshot but is not one (its checksum cannot match).
writeFileSync(p("fake.snap"), Buffer.concat([Buffer.from("DORMOUSE-SNAPSHOT\n", "latin1"), Buffer.alloc(200, 0xee)]));
spawnSync("mkfifo", [p("fifo")]);
// Unwritable and unreadable files: file modes for a user; for root (who passes them) a sysfs file
// that refuses writers even to root, and a directory where a readable file is wanted.
writeFileSync(p("ro.img"), Buffer.alloc(1 << 20));
chmodSync(p("ro.img"), 0o444);
writeFileSync(p("secret.bin"), off);
chmodSync(p("secret.bin"), 0o000);
const unwritable = root ? "/sys/kernel/notes" : p("ro.img");
const unreadable = root ? p("subdir") : p("secret.bin");
// A directory nothing can be created in (for root: a path under a regular file).
mkdirSync(p("locked"));
chmodSync(p("locked"), 0o555);
const uncreatable = root ? p("notes.txt/x.snap") : p("locked/x.snap");

/** Every name, mode, size, link target and content under `d`. */
function fingerprint(d: string): string {
  const h = createHash("sha256");
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const f = join(at, name);
      const st = lstatSync(f);
      h.update(`${f}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0`);
      if (st.isSymbolicLink()) h.update(readlinkSync(f));
      else if (st.isDirectory()) {
        if (st.mode & 0o400) walk(f);
      } else if (st.isFile() && st.mode & 0o400) h.update(readFileSync(f));
    }
  };
  walk(d);
  return h.digest("hex");
}

type Row = [args: string[], status: 1 | 2, message: RegExp];

const K = ["--kernel", p("Image")];
const B = [p("off.bin")];
const rows: Row[] = [
  // No command, unknown commands and options before the command.
  [[], 2, /no command given/],
  [["frobnicate"], 2, /unknown command "frobnicate"/],
  [["help", "frobnicate"], 2, /unknown command "frobnicate"/],
  [["--smp", "2", "run"], 2, /the command comes first, before options such as --smp/],
  // Options parseArgs refuses.
  [["run", "--frob"], 2, /unknown option --frob/],
  [["run", "-x", ...B], 2, /unknown option -x/],
  [["run", "-vq", ...B], 2, /unknown option -q \(in -vq\)/],
  [["run", ...B, "--smp"], 2, /--smp needs a value/],
  [["run", "--memory", "--verbose", ...B], 2, /--memory needs a value/],
  [["run", "--deterministic=yes", ...B], 2, /--deterministic is a flag and takes no value/],
  [["run", "--verbose=1", ...B], 2, /--verbose is a flag/],
  [["run", "a.elf", "b.elf"], 2, /run takes one image, or --kernel/],
  [["run", ...K, ...B], 2, /run takes one image, or --kernel/],
  [["run", ...B, "--initrd", p("notes.txt")], 2, /--initrd and --dtb go with a kernel/],
  [["run", ...B, "--psci-conduit", "svc"], 2, /--psci-conduit is hvc or smc, not "svc"/],
  [["run", ...K, "--on-suspend", "sleep"], 2, /--on-suspend is honour, deny or save=FILE/],
  [["run", ...B, "--on-suspend", "save="], 2, /--on-suspend is honour, deny or save=FILE/],
  [["run", ...B, "--disk", ",ro"], 2, /--disk takes a file name/],
  // Strict numbers.
  [["run", ...B, "--smp", "1e2"], 2, /--smp takes a whole number from 1 to 123, not "1e2"/],
  [["run", ...B, "--smp", "-1"], 2, /--smp needs a value; .*--smp=-1/],
  [["run", ...B, "--smp=-1"], 2, /--smp takes a whole number .*"-1"/],
  [["run", ...B, "--smp", "0"], 2, /--smp takes a whole number .*"0"/],
  [["run", ...B, "--smp", "1.5"], 2, /--smp takes a whole number .*"1\.5"/],
  [["run", ...B, "--smp", "124"], 2, /--smp takes a whole number from 1 to 123/],
  [["run", ...B, "--smp", "0x2"], 2, /--smp takes a whole number .*"0x2"/],
  [["run", ...B, "--smp", " 2"], 2, /--smp takes a whole number .*" 2"/],
  [["run", ...B, "--smp="], 2, /--smp takes a whole number .*""/],
  // Sizes.
  [["run", ...B, "--memory", "0"], 2, /--memory 0 is too small: at least 4M/],
  [["run", ...B, "--memory", "1K"], 2, /--memory 1K is too small/],
  [["run", ...B, "--memory", "3M"], 2, /--memory 3M is too small/],
  [["run", ...B, "--memory", "5M"], 2, /--memory 5M is not a multiple of 2M/],
  [["run", ...B, "--memory", "64G"], 2, /--memory 64G is too large: at most 3840M/],
  [["run", ...B, "--memory", "99999999999999999999"], 2, /--memory takes a size such as 512M or 1G/],
  [["run", ...B, "--memory", "abc"], 2, /--memory takes a size .*"abc"/],
  [["run", ...B, "--memory", "1.5G"], 2, /--memory takes a size .*"1\.5G"/],
  [["run", ...B, "--memory", "512X"], 2, /--memory takes a size .*"512X"/],
  [["run", ...B, "--memory=-1G"], 2, /--memory takes a size .*"-1G"/],
  // Images, kernels, initrds and device trees that cannot be read or are not what they claim.
  [["run", p("no-such.bin")], 1, /cannot read the image .*no-such\.bin: no such file/],
  [["run", p("subdir")], 1, /the image .*subdir is a directory/],
  [["run", "/dev/zero"], 1, /the image \/dev\/zero is not a regular file/],
  [["run", "/dev/null"], 1, /the image \/dev\/null is not a regular file/],
  [["run", p("fifo")], 1, /the image .*fifo is not a regular file/],
  [["run", unreadable], 1, /(permission denied|is a directory)/],
  [["run", "--kernel", p("no-such-Image")], 1, /cannot read the kernel .*no-such-Image/],
  [["run", "--kernel", p("notes.txt")], 1, /looks like a text file, not a kernel/],
  [["run", "--kernel", "/dev/zero"], 1, /the kernel \/dev\/zero is not a regular file/],
  [["run", ...K, "--initrd", p("subdir")], 1, /the initrd .*subdir is a directory/],
  [["run", ...K, "--initrd", "/dev/zero"], 1, /the initrd \/dev\/zero is not a regular file/],
  [["run", ...K, "--dtb", p("bad.dtb")], 1, /device tree.*magic/],
  [["run", ...K, "--dtb", p("no-such.dtb")], 1, /cannot read the device tree .*no-such\.dtb/],
  // Firmware.
  [["run", "--bios", p("no-such.fd")], 1, /cannot open the firmware image .*no-such\.fd: no such file/],
  [["run", "--bios", p("subdir")], 1, /cannot use the firmware image .*subdir: it is a directory$/m],
  [["run", "--bios", "/dev/zero"], 1, /the firmware image \/dev\/zero: not a regular file/],
  [["run", "--bios", p("off.bin"), "--bios-vars", p("no-such.fd")], 1, /cannot open the firmware variable store .*no-such\.fd/],
  [["run", "--bios-vars", p("off.bin"), ...B], 2, /--bios-vars goes with --bios/],
  [["run", "--bios", p("off.bin"), "--append", "x"], 2, /--append with --bios goes with a --kernel for the firmware/],
  [["run", "--bios", p("off.bin"), p("off.bin")], 2, /--bios boots the firmware: no image with it/],
  [["run", "--bios", p("off.bin"), ...K, "--dtb", p("bad.dtb")], 2, /--dtb goes with a kernel, not --bios/],
  [["run", "--bios="], 2, /--bios takes a file name/],
  // Disks.
  [["run", ...B, "--disk", p("no-such.img")], 1, /no-such\.img: no such file/],
  [["run", ...B, "--disk", p("subdir")], 1, /subdir: it is a directory, not a disk image/],
  [["run", ...B, "--disk", "/dev/zero"], 1, /\/dev\/zero: not a regular file/],
  [["run", ...B, "--disk", "/dev/null,ro"], 1, /\/dev\/null: not a regular file/],
  [["run", ...B, "--disk", p("fifo")], 1, /fifo: not a regular file/],
  [["run", ...B, "--disk", unwritable], 1, /(notes|ro\.img) for writing: .*(permission denied|read-only).*attach it read-only/],
  [["run", ...B, "--disk", p("disk.img"), "--disk", p("link.img")], 1, /the disk .*link\.img is given twice \(as .*disk\.img\)/],
  [["run", ...B, "--disk", p("disk.img"), "--disk", p("disk.img,ro")], 1, /the disk .*disk\.img is given twice;/],
  [["run", ...B, "--disk", p("link.img,ro"), "--disk", p("disk.img")], 1, /the disk .*disk\.img is given twice \(as .*link\.img\)/],
  // Snapshot targets: never a directory, a device or a file that is not a snapshot.
  [["run", ...B, "--on-suspend", `save=${p("subdir")}`], 1, /cannot write the snapshot to .*subdir: it is a directory/],
  [["run", ...B, "--on-suspend", `save=${p("notes.txt")}`], 1, /snapshot to .*notes\.txt: that file exists and is not a Dormouse snapshot/],
  [["run", ...B, "--on-suspend", `save=${p("disk.img")}`], 1, /snapshot to .*disk\.img: that file exists and is not a Dormouse snapshot/],
  [["run", ...B, "--on-suspend", `save=${p("empty")}`], 1, /snapshot to .*empty: that file exists and is not a Dormouse snapshot/],
  [["run", ...B, "--on-suspend", "save=/dev/null"], 1, /snapshot to \/dev\/null: it is not a regular file/],
  [
    ["run", ...B, "--on-suspend", `save=${p("no-such-dir/x.snap")}`],
    1,
    /snapshot to .*no-such-dir\/x\.snap: no such directory .*no-such-dir$/m,
  ],
  [["run", ...B, "--on-suspend", `save=${uncreatable}`], 1, /snapshot to .*x\.snap: .*(permission denied|not a directory)/],
  // resume.
  [["resume"], 2, /resume takes exactly one snapshot file/],
  [["resume", p("fake.snap"), p("fake.snap")], 2, /resume takes exactly one snapshot file/],
  [["resume", p("fake.snap"), "--frob"], 2, /unknown option --frob/],
  [["resume", p("fake.snap"), "--smp", "0"], 2, /--smp takes a whole number/],
  [["resume", p("fake.snap"), "--memory", "1T"], 2, /--memory 1T is too large/],
  [["resume", p("fake.snap"), "--on-suspend", "later"], 2, /--on-suspend is honour, deny or save=FILE/],
  [["resume", p("fake.snap"), "--on-suspend", `save=${p("subdir")}`], 1, /cannot write the snapshot to .*subdir: it is a directory/],
  [["resume", p("fake.snap"), "--on-suspend", `save=${p("notes.txt")}`], 1, /not a Dormouse snapshot, so it is not replaced/],
  [["resume", p("no-such.snap")], 1, /cannot read the snapshot .*no-such\.snap: no such file/],
  [["resume", p("subdir")], 1, /the snapshot .*subdir is a directory/],
  [["resume", "/dev/zero"], 1, /the snapshot \/dev\/zero is not a regular file/],
  [["resume", "/dev/null"], 1, /the snapshot \/dev\/null is not a regular file/],
  [["resume", p("fifo")], 1, /the snapshot .*fifo is not a regular file/],
  [["resume", p("notes.txt")], 1, /notes\.txt is not a Dormouse snapshot/],
  [["resume", p("empty")], 1, /empty is not a Dormouse snapshot/],
  [["resume", p("fake.snap")], 1, /fake\.snap .*(corrupt|truncated|checksum)/],
  // guest-kit (all refused before any download).
  [["guest-kit", "sid"], 2, /unexpected argument "sid"/],
  [["guest-kit", "--refresh=yes"], 2, /--refresh is a flag/],
  [["guest-kit", "--suite"], 2, /--suite needs a value/],
  [["guest-kit", "--suite", "../../etc"], 2, /--suite takes a Debian suite name/],
  [["guest-kit", "--mirror", "deb.debian.org"], 2, /--mirror takes an http:\/\/, https:\/\/ or file:\/\/ URL/],
  [["guest-kit", "--cache="], 2, /--cache takes a directory name/],
  [["guest-kit", "--cache", p("notes.txt")], 1, /guest kit cache .*notes\.txt: it is not a directory/],
  [["guest-kit", "--cache", "/dev/null"], 1, /guest kit cache \/dev\/null: it is not a directory/],
  [["guest-kit", "--cache", p("notes.txt/kit")], 1, /guest kit cache .*notes\.txt\/kit: .*not a directory/],
];

/** Runs the CLI with HOME in the test directory's unusable corner: a row that reached the guest kit would fail differently. */
function dormouse(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    input: "",
    env: { ...process.env, HOME: p("notes.txt") },
  });
}

test(`${rows.length} bad inputs: exit status, one line naming the problem, no stack, no file changed`, () => {
  assert.ok(rows.length >= 40);
  const failures: string[] = [];
  for (const [args, status, message] of rows) {
    const before = fingerprint(dir);
    const r = dormouse(args);
    const what = `dormouse ${args.join(" ")}`;
    const lines = r.stderr.split("\n").filter(Boolean);
    const problems = [
      r.signal !== null && `killed by ${r.signal}`,
      r.status !== status && `exit status ${r.status}, not ${status}`,
      !message.test(r.stderr) && `message does not match ${message}`,
      /\n\s+at .*:\d+/.test(r.stderr) && "a stack trace",
      (lines.length !== 1 || !lines[0].startsWith("dormouse: ")) && "not one line starting with dormouse:",
      fingerprint(dir) !== before && "a file in the test directory changed",
    ].filter(Boolean);
    if (problems.length) failures.push(`${what}: ${problems.join(", ")}\n    stderr: ${JSON.stringify(r.stderr)}`);
  }
  assert.equal(failures.length, 0, `\n${failures.join("\n")}`);
  // The file refusing writers outside the test directory was not written either.
  if (root) assert.equal(readFileSync("/sys/kernel/notes").length > 0, true);
});

test("--debug shows the stack; the same error without it is one line", () => {
  const plain = dormouse(["run", p("off.bin"), "--smp", "0"]);
  const debug = dormouse(["run", p("off.bin"), "--smp", "0", "--debug"]);
  assert.equal(plain.status, 2);
  assert.equal(debug.status, 2);
  assert.equal(plain.stderr.split("\n").filter(Boolean).length, 1);
  assert.ok(debug.stderr.startsWith(plain.stderr), debug.stderr);
  assert.match(debug.stderr, /UsageError: --smp takes a whole number[^]*\n\s+at parseInteger/);
  // After "--" it is an operand, not the flag (and run takes one image).
  const operand = dormouse(["run", p("off.bin"), "--", "--debug"]);
  assert.equal(operand.status, 2);
  assert.match(operand.stderr, /^dormouse: run takes one image, or --kernel/);
});

test("the checks refuse only what they should: an earlier snapshot may be replaced, a disk shared read-only", () => {
  const before = fingerprint(dir);
  const r = dormouse([
    "run",
    p("off.bin"),
    "--on-suspend",
    `save=${p("fake.snap")}`,
    "--disk",
    p("disk.img,ro"),
    "--disk",
    p("link.img,ro"),
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fingerprint(dir), before, "the guest powered off without suspending: nothing written");
  const help = dormouse(["run", "--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: dormouse run/);
});
