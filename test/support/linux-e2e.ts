// The Linux end-to-end scenario (npm run e2e:linux, and test/linux): Debian's kernel from the guest
// kit boots on two vCPUs with a virtio disk and RNG; CPU hotplug; the devices work from inside
// the guest; suspend-to-RAM in place woken by the console, the RTC alarm and the power button;
// then suspend-to-disk through snapshots resumed by further dormouse processes (woken by the RTC
// alarm and the power button, a signal to the process), and a snapshot whose disk changed refused.
// A tmpfs file's checksum is compared after every wake.
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { guestKit } from "../../src/kit/guest-kit.ts";
import type { VmEvent } from "../../src/vmm/events.ts";
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { DormouseProcess, GuestConsole } from "./guest-console.ts";
import { repoRoot } from "./toolchain.ts";
import { nodeHost } from "../../src/host/node/index.ts";

export interface LinuxE2eResult {
  boot: boolean;
  hotplug: boolean;
  suspendInPlace: boolean;
  suspendToDisk: boolean;
  /** Wake sources that woke the guest, in place and through snapshots. */
  wakeSources: string[];
  /** The tmpfs file's checksum held across every wake (false if it never got checked). */
  checksum: boolean;
  /** Guest-side device checks: disk, rng, watchdog, power button key. */
  devices: Record<string, boolean>;
  /** What went wrong, stage by stage. */
  failures: string[];
}

const APPEND = "console=ttyAMA0 quiet no_console_suspend";
const MIB = 1 << 20;

class Check extends Error {}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Check(what);
}

/** MD5 of bytes, as md5sum prints it. */
export const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

/** `len` bytes of a file from `offset`. */
export function readAt(path: string, offset: number, len: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(len);
    readSync(fd, b, 0, len, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

/** Runs the whole scenario; never throws (failures are collected). */
export async function linuxE2e(opts: { log?: (m: string) => void } = {}): Promise<LinuxE2eResult> {
  const log = opts.log ?? (() => {});
  const r: LinuxE2eResult = {
    boot: false,
    hotplug: false,
    suspendInPlace: false,
    suspendToDisk: false,
    wakeSources: [],
    checksum: false,
    devices: {},
    failures: [],
  };
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"), { log });
  const dir = mkdtempSync(join(tmpdir(), "dormouse-e2e-"));
  const disk = join(dir, "disk.img");
  // A 16 MiB raw disk whose first MiB the guest must read back exactly.
  const image = Buffer.alloc(16 * MIB);
  for (let i = 0; i < MIB; i += 4) image.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(disk, image);
  let sumsOk = true;
  try {
    await inPlace(kit, disk, r, log, (ok) => {
      sumsOk &&= ok;
    });
    if (r.boot) {
      await throughSnapshots(kit, disk, dir, r, log, (ok) => {
        sumsOk &&= ok;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  r.checksum = sumsOk && r.suspendInPlace && r.suspendToDisk;
  return r;
}

async function stage(r: LinuxE2eResult, name: string, log: (m: string) => void, fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    log(`${name}: ok`);
    return true;
  } catch (e) {
    r.failures.push(`${name}: ${(e as Error).message}`);
    log(`${name}: FAILED: ${(e as Error).message}`);
    return false;
  }
}

async function inPlace(
  kit: { kernel: string; initramfs: string },
  disk: string,
  r: LinuxE2eResult,
  log: (m: string) => void,
  sumChecked: (ok: boolean) => void,
): Promise<void> {
  let con: GuestConsole | null = null;
  const vm = new VirtualMachine(
    {
      board: { cpus: 2, ramSize: 512 * MIB, psciConduit: "hvc", systemSuspend: true, bootargs: APPEND, disks: [{ path: disk }], rng: true },
      image: { kind: "linux", kernel: readFileSync(kit.kernel), initrd: readFileSync(kit.initramfs) },
    },
    nodeHost(),
    { console: (b) => con?.push(String.fromCharCode(b)) },
  );
  con = new GuestConsole((s) => vm.sendConsole(Buffer.from(s, "latin1")));
  const c = con;
  const eventWaiters: { event: VmEvent["event"]; resolve: () => void }[] = [];
  vm.on((e) => {
    for (const w of eventWaiters.splice(0)) {
      if (w.event === e.event) w.resolve();
      else eventWaiters.push(w);
    }
  });
  const nextEvent = (event: VmEvent["event"], ms: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no "${what}" within ${ms / 1000} s; console tail:\n${c.text.slice(-1200)}`)), ms);
      eventWaiters.push({
        event,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  vm.start();
  const finished = vm.finished;
  let sum = "";
  try {
    r.boot = await stage(r, "boot", log, async () => {
      await c.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
      check(/s2idle \[deep\]/.test(await c.sh("cat /sys/power/mem_sleep")), "deep sleep (SYSTEM_SUSPEND) not offered");
      check(/^0-1\s*$/m.test(await c.sh("cat /sys/devices/system/cpu/online")), "both vCPUs online");
    });
    if (!r.boot) return;
    r.hotplug = await stage(r, "hotplug", log, async () => {
      check(/^0\s*$/m.test(await c.sh("echo 0 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online")), "cpu1 off");
      check(/^0-1\s*$/m.test(await c.sh("echo 1 > /sys/devices/system/cpu/cpu1/online; cat /sys/devices/system/cpu/online")), "cpu1 back");
    });
    r.devices.disk = await stage(r, "virtio-blk", log, async () => {
      const first = (await c.sh("head -c 1048576 /dev/vda | md5sum")).match(/[0-9a-f]{32}/)?.[0];
      check(first === md5(readAt(disk, 0, MIB)), `the guest read the disk's first MiB as ${first}`);
      const written = (
        await c.sh(
          "dd if=/dev/urandom of=tmp/w bs=1k count=64 2>/dev/null; dd if=tmp/w of=/dev/vda bs=1k seek=1024 conv=fsync 2>/dev/null; md5sum tmp/w",
        )
      ).match(/[0-9a-f]{32}/)?.[0];
      check(written === md5(readAt(disk, MIB, 64 * 1024)), "what the guest wrote to /dev/vda is in the image file");
    });
    r.devices.rng = await stage(r, "virtio-rng", log, async () => {
      check(/virtio_rng/.test(await c.sh("cat /sys/class/misc/hw_random/rng_current")), "virtio_rng is the current hwrng");
      const a = (await c.sh("head -c 32 /dev/hwrng | md5sum")).match(/[0-9a-f]{32}/)?.[0];
      const b = (await c.sh("head -c 32 /dev/hwrng | md5sum")).match(/[0-9a-f]{32}/)?.[0];
      check(a && b && a !== b, "two reads of /dev/hwrng differ");
    });
    r.devices.watchdog = await stage(r, "sbsa-watchdog", log, async () => {
      check(/SBSA Generic Watchdog/i.test(await c.sh("cat /sys/class/watchdog/watchdog0/identity")), "watchdog0 is the SBSA watchdog");
    });
    r.devices.powerButton = await stage(r, "power-button", log, async () => {
      const ev = (await c.sh("ls /sys/class/input/; cat /sys/class/input/event*/device/name")).trim();
      check(/gpio-keys/i.test(ev), `a gpio-keys input device (${ev})`);
      await c.sh("(dd if=/dev/input/event0 bs=24 count=1 2>/dev/null | od -An -tx1 > tmp/ev) & sleep 0.3");
      vm.pressPowerButton();
      await new Promise((res) => setTimeout(res, 500));
      // struct input_event on arm64: 16 bytes of time, then type EV_KEY (1), code KEY_POWER (116), value 1.
      const od = (await c.sh("cat tmp/ev")).replace(/\s+/g, " ");
      check(/01 00 74 00 01 00 00 00/.test(od), `a KEY_POWER press event (${od.trim()})`);
    });

    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
    r.suspendInPlace = await stage(r, "suspend-to-RAM in place", log, async () => {
      sum = (await c.sh("dd if=/dev/urandom of=tmp/blob bs=1k count=256 2>/dev/null; md5sum tmp/blob")).match(/[0-9a-f]{32}/)?.[0] ?? "";
      check(sum, "checksum of the tmpfs file");
      await c.sh("echo enabled > /sys/class/tty/ttyAMA0/power/wakeup");
      const wakes: [string, string, () => void][] = [
        ["console", "", () => vm.sendConsole(Buffer.from("\n"))],
        ["rtc", "echo +3 > /sys/class/rtc/rtc0/wakealarm; ", () => {}],
        ["power_button", "", () => vm.pressPowerButton()],
      ];
      for (const [source, before, wake] of wakes) {
        const from = c.text.length;
        const suspended = nextEvent("suspended", 120_000, `SYSTEM_SUSPEND before the ${source} wake`);
        const woken = nextEvent("woken", 300_000, `the ${source} wake`);
        c.send(`${before}echo mem > /sys/power/state; echo "@@$((70+${wakes.findIndex((w) => w[0] === source)}))@@"\n`);
        await suspended;
        await sleep(500);
        check(!/@@7\d@@/.test(c.text.slice(from)), `still asleep before the ${source} wake`);
        wake();
        await woken;
        await c.wait(/@@7\d@@/, from, 120_000, `the shell after the ${source} wake`);
        check(/^0-1\s*$/m.test(await c.sh("cat /sys/devices/system/cpu/online")), `cpu1 back after the ${source} wake`);
        const ok = (await c.sh("md5sum tmp/blob")).includes(sum);
        sumChecked(ok);
        check(ok, `tmpfs checksum after the ${source} wake`);
        r.wakeSources.push(source);
      }
      const dmesg = await c.sh("dmesg");
      check(/PM: suspend entry \(deep\)/.test(dmesg) && /PM: suspend exit/.test(dmesg), "dmesg shows deep suspend entry and exit");
      check(!/psci.*(fail|error)/i.test(dmesg), "no PSCI errors in dmesg");
      const rtc = Number(/^(\d{9,11})\s*$/m.exec(await c.sh("cat /sys/class/rtc/rtc0/since_epoch"))?.[1]);
      check(Math.abs(rtc - Date.now() / 1000) < 10, "the RTC shows wall-clock time");
    });
  } finally {
    c.send("poweroff -f\n");
    const outcome = await Promise.race([finished, new Promise((res) => setTimeout(() => res(null), 60_000))]);
    if (outcome !== "shutdown") r.failures.push(`in-place VM ended with ${JSON.stringify(outcome)}`);
    vm.close();
  }
}

async function throughSnapshots(
  kit: { kernel: string; initramfs: string },
  disk: string,
  dir: string,
  r: LinuxE2eResult,
  log: (m: string) => void,
  sumChecked: (ok: boolean) => void,
): Promise<void> {
  const s1 = join(dir, "first.snap");
  const s2 = join(dir, "second.snap");
  const procs: DormouseProcess[] = [];
  const sources: string[] = [];
  try {
    r.suspendToDisk = await stage(r, "suspend-to-disk", log, async () => {
      // 1: boot, suspend with an RTC alarm armed, save, exit.
      const p1 = new DormouseProcess([
        ...["run", "--kernel", kit.kernel, "--initrd", kit.initramfs, "--smp", "2", "--append", APPEND],
        ...["--disk", disk, "--on-suspend", `save=${s1}`, "-v"],
      ]);
      procs.push(p1);
      await p1.console.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
      const sum = (await p1.console.sh("dd if=/dev/urandom of=tmp/blob bs=1k count=256 2>/dev/null; md5sum tmp/blob")).match(
        /[0-9a-f]{32}/,
      )?.[0];
      check(sum, "checksum of the tmpfs file");
      const uptime = async (c: GuestConsole) => Number(/^(\d+\.\d+) /m.exec(await c.sh("cat /proc/uptime"))?.[1]);
      const up1 = await uptime(p1.console);
      p1.console.send(
        "echo enabled > /sys/class/tty/ttyAMA0/power/wakeup; echo +4 > /sys/class/rtc/rtc0/wakealarm; echo mem > /sys/power/state\n",
      );
      check((await p1.end(180_000)) === 0, `the first process exits 0 after saving (${p1.stderr.slice(-300)})`);
      check(/guest suspended to /.test(p1.stderr), "the first process saved the VM");

      // 2: resume in a new process; the RTC alarm wakes it; suspend again and save a second snapshot.
      const p2 = new DormouseProcess(["resume", s1, "--on-suspend", `save=${s2}`, "-v"]);
      procs.push(p2);
      await p2.waitLog(/woken/, 60_000, "the RTC alarm waking the resumed guest");
      sources.push("rtc");
      const sum2 = await p2.console.sh("md5sum tmp/blob; cat /sys/devices/system/cpu/online");
      sumChecked(sum2.includes(sum));
      check(sum2.includes(sum), "tmpfs checksum after the first snapshot");
      check(/^0-1\s*$/m.test(sum2), "cpu1 back after the first snapshot");
      p2.console.send("echo mem > /sys/power/state\n");
      check((await p2.end(180_000)) === 0, `the second process exits 0 after saving (${p2.stderr.slice(-300)})`);

      // 3: resume again; a signal to the process presses the power button, which wakes the guest.
      const p3 = new DormouseProcess(["resume", s2, "-v"]);
      procs.push(p3);
      await p3.waitLog(/waiting for a wake source/, 60_000, "the restore");
      await new Promise((res) => setTimeout(res, 500));
      check(!/woken/.test(p3.stderr), "still asleep before the power button");
      p3.proc.kill("SIGUSR1");
      await p3.waitLog(/woken/, 60_000, "the power button waking the guest");
      sources.push("power_button");
      const out3 = await p3.console.sh("md5sum tmp/blob; cat /sys/devices/system/cpu/online; dmesg | grep -ci 'psci.*\\(fail\\|error\\)'");
      sumChecked(out3.includes(sum));
      check(out3.includes(sum), "tmpfs checksum after the second snapshot");
      check(/^0-1\s*$/m.test(out3), "cpu1 back after the second snapshot");
      check(/^0\s*$/m.test(out3), "no PSCI errors in dmesg");
      // The guest's clocks after two trips through files: its counter continued (no jump back), and
      // the RTC shows the host's wall-clock time.
      const up3 = await uptime(p3.console);
      check(up3 >= up1, `uptime continues across the snapshots (${up1} s, then ${up3} s)`);
      const rtc = Number(/^(\d{9,11})\s*$/m.exec(await p3.console.sh("cat /sys/class/rtc/rtc0/since_epoch"))?.[1]);
      check(Math.abs(rtc - Date.now() / 1000) < 10, `the RTC shows wall-clock time after the snapshots (${rtc})`);
      p3.console.send("poweroff -f\n");
      check((await p3.end(60_000)) === 0, "the third process powers off cleanly");

      // A snapshot whose disk changed since is refused, and left intact.
      const snapBefore = md5(readFileSync(s2));
      // Same size, new content in the middle of the first MiB.
      const fd = openSync(disk, "r+");
      try {
        writeSync(fd, Buffer.from("changed"), 0, 7, 4096);
      } finally {
        closeSync(fd);
      }
      const p4 = new DormouseProcess(["resume", s2]);
      procs.push(p4);
      const code = await p4.end(60_000);
      check(code !== 0 && /disk/i.test(p4.stderr) && /changed/i.test(p4.stderr), `a changed disk refused (${code}: ${p4.stderr.trim()})`);
      check(!/\n\s+at /.test(p4.stderr), "no stack trace");
      check(md5(readFileSync(s2)) === snapBefore, "the snapshot is untouched");
    });
  } finally {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
    for (const s of sources) if (!r.wakeSources.includes(s)) r.wakeSources.push(s);
  }
}

/** The summary line npm run e2e:linux prints. */
export function summaryLine(r: LinuxE2eResult): string {
  const ok = (b: boolean) => (b ? "ok" : "fail");
  return `linux-e2e: boot=${ok(r.boot)} hotplug=${ok(r.hotplug)} suspend_in_place=${ok(r.suspendInPlace)} suspend_to_disk=${ok(
    r.suspendToDisk,
  )} wake_sources=${r.wakeSources.join(",") || "none"} checksum=${ok(r.checksum)}`;
}
