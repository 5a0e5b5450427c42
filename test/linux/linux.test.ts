// Debian's arm64 Linux, unmodified, on Dormouse: the guest kit's kernel and initramfs boot on two
// vCPUs; CPU hotplug; suspend-to-RAM through PSCI SYSTEM_SUSPEND, woken by console input and by
// the RTC alarm, with the secondary brought back and a tmpfs file's checksum intact; and
// suspend-to-disk, resumed by a second dormouse process. The kit is fetched from
// Debian's archive with apt at test time and cached under .cache/guest-kit.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { VirtBoard } from "../../src/machine/board.ts";
import { Vmm } from "../../src/vmm/vmm.ts";
import { repoRoot } from "../support/toolchain.ts";

// Guest-side files are named relative to the shell's working directory (/), so tmp/blob is on the
// kit's tmpfs /tmp.

/** The guest's console: everything it printed, and waiting for text to appear. */
class Console {
  text = "";
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];

  push(byte: number): void {
    this.text += String.fromCharCode(byte);
    if (byte === 10) this.check();
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      const m = w.re.exec(this.text.slice(w.from));
      if (m) w.resolve(m);
      return !m;
    });
  }

  wait(re: RegExp, from: number, ms: number, what: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; console tail:\n${this.text.slice(-1500)}`)), ms);
      this.waiters.push({
        re,
        from,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      this.check();
    });
  }
}

test(
  "Linux: boot on 2 vCPUs, CPU hotplug, suspend-to-RAM woken by the console and by the RTC alarm, tmpfs checksum intact",
  { timeout: 900_000 },
  async () => {
    const kit = guestKit(join(repoRoot, ".cache/guest-kit"));
    const con = new Console();
    const board = new VirtBoard({
      cpus: 2,
      ramSize: 512 << 20,
      psciConduit: "hvc",
      systemSuspend: true,
      bootargs: "console=ttyAMA0 quiet no_console_suspend",
      output: (b) => con.push(b),
    });
    board.loadLinux(readFileSync(kit.kernel), readFileSync(kit.initramfs));
    board.boot();
    const events: string[] = [];
    let onSuspended = () => {};
    const vmm = new Vmm(board, {
      onSuspend: "honour",
      log: (m) => {
        events.push(m);
        if (m.includes("suspended")) onSuspended();
      },
    });
    const finished = vmm.run();
    let n = 0;
    /** Runs a shell command and returns its output (the marker is computed by the shell, so the echo of the typed line cannot match). */
    const sh = async (cmd: string, ms = 120_000): Promise<string> => {
      const k = ++n;
      const from = con.text.length;
      board.uart.receive(Buffer.from(`${cmd}; echo "@@$((${k}+1000))@@"\n`));
      await con.wait(new RegExp(`@@${k + 1000}@@`), from, ms, cmd);
      const out = con.text.slice(from);
      return out.slice(out.indexOf("\n") + 1, out.lastIndexOf(`@@${k + 1000}@@`));
    };

    await con.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
    assert.match(await sh("cat /sys/power/mem_sleep"), /s2idle \[deep\]/, "SYSTEM_SUSPEND offered: deep sleep is the default");
    assert.match(await sh("cat /sys/devices/system/cpu/online"), /^0-1\s*$/m);
    assert.match(await sh("echo 0 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online"), /^0\s*$/m);
    assert.match(await sh("echo 1 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online"), /^0-1\s*$/m);
    const sum = (await sh("dd if=/dev/urandom of=tmp/blob bs=1k count=256 2>/dev/null; md5sum tmp/blob")).match(/[0-9a-f]{32}/)?.[0];
    assert.ok(sum, "checksum of the tmpfs file");

    // Bounded: a suspend the guest aborts fails with its console output instead of hanging.
    const suspended = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the guest did not reach SYSTEM_SUSPEND within 120 s; console tail:\n${con.text.slice(-1500)}`)),
        120_000,
      );
      onSuspended = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const before = con.text.length;
    board.uart.receive(
      Buffer.from(`echo enabled > /sys/class/tty/ttyAMA0/power/wakeup; echo mem > /sys/power/state; echo "@@$((7+7))@@"\n`),
    );
    await suspended;
    // The guest is suspended: the host process is idle until the wake source (a key) arrives.
    await new Promise((r) => setTimeout(r, 500));
    assert.doesNotMatch(con.text.slice(before), /@@14@@/, "still asleep");
    board.uart.receive(Buffer.from("\n"));
    await con.wait(/@@14@@/, before, 300_000, "the resume");
    assert.ok(events.some((e) => e.includes("woken")));

    assert.match(await sh("cat /sys/devices/system/cpu/online"), /^0-1\s*$/m, "the secondary came back with CPU_ON");
    assert.ok((await sh("md5sum tmp/blob")).includes(sum as string), "tmpfs contents survived");
    const dmesg = await sh("dmesg");
    assert.match(dmesg, /PM: suspend entry \(deep\)/);
    assert.match(dmesg, /PM: suspend exit/);
    assert.doesNotMatch(dmesg, /psci.*(fail|error)/i);

    // A second wake source: the PL031 alarm (Linux's wakealarm) while the console stays quiet.
    const woken = events.length;
    const t0 = Date.now();
    const rtcOut = await sh(
      "echo +3 > /sys/class/rtc/rtc0/wakealarm; echo mem > /sys/power/state; cat /sys/devices/system/cpu/online",
      300_000,
    );
    assert.ok(
      events.slice(woken).some((e) => e.includes("suspended")) && events.slice(woken).some((e) => e.includes("woken")),
      "suspended and woken again",
    );
    assert.ok(Date.now() - t0 >= 2000, "slept until the alarm");
    assert.match(rtcOut, /^0-1\s*$/m);
    assert.ok((await sh("md5sum tmp/blob")).includes(sum as string));
    // Kernel messages may interleave on the console: take the epoch-sized number from the output.
    const rtcOut2 = await sh("cat /sys/class/rtc/rtc0/since_epoch");
    const rtcSeconds = Number(/^(\d{9,11})\s*$/m.exec(rtcOut2)?.[1]);
    assert.ok(Math.abs(rtcSeconds - Date.now() / 1000) < 10, `the RTC shows wall-clock time (${JSON.stringify(rtcOut2)})`);
    board.uart.receive(Buffer.from("poweroff -f\n"));
    assert.deepEqual(await finished, { kind: "poweroff" });
    board.close();
  },
);

test("Linux: suspend-to-disk, resumed by a second dormouse process and woken by the console", { timeout: 900_000 }, async () => {
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"));
  const dir = mkdtempSync(join(tmpdir(), "dormouse-linux-"));
  const snap = join(dir, "linux.snap");
  const cli = join(repoRoot, "bin/dormouse.mjs");
  const run = (args: string[], input: string, ready: RegExp) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      let sent = false;
      const maybeSend = () => {
        if (!sent && ready.test(out + err)) {
          sent = true;
          p.stdin.write(input);
        }
      };
      p.stdout.on("data", (d) => {
        out += d;
        maybeSend();
      });
      p.stderr.on("data", (d) => {
        err += d;
        maybeSend();
      });
      p.on("close", (code) => resolve({ code, out, err }));
    });
  const first = await run(
    [
      "run",
      "--kernel",
      kit.kernel,
      "--initrd",
      kit.initramfs,
      "--smp",
      "2",
      "--append",
      "console=ttyAMA0 quiet",
      "--on-suspend",
      `save=${snap}`,
    ],
    "dd if=/dev/urandom of=tmp/blob bs=1k count=256 2>/dev/null; md5sum tmp/blob; echo enabled > /sys/class/tty/ttyAMA0/power/wakeup; echo mem > /sys/power/state\n",
    /dormouse-kit: shell ready/,
  );
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /guest suspended to /);
  const sum = /([0-9a-f]{32}) {2}tmp\/blob/.exec(first.out)?.[1];
  assert.ok(sum, first.out.slice(-500));
  const second = await run(
    ["resume", snap, "-v"],
    "\necho RESUMED-$((40+2)); md5sum tmp/blob; cat /sys/devices/system/cpu/online; poweroff -f\n",
    /waiting for a wake source/,
  );
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /RESUMED-42/);
  assert.ok(second.out.includes(`${sum}  tmp/blob`), "tmpfs contents survived the trip through the file");
  assert.match(second.out, /^0-1\s*$/m, "the secondary came back");
});
