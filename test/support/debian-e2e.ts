// The Debian end-to-end scenario (npm run e2e:debian, and test/linux/debian-e2e.test.ts in npm
// test): the disk `dormouse image debian` builds (cached outside the clone), booted on 2 vCPUs,
// in three boots. 1: direct kernel boot to the login prompt, root logs in; gdb inside the guest
// stops on a hardware watchpoint and single-steps; `systemctl suspend` reaches SYSTEM_SUSPEND
// and a console key wakes it (the image makes the console a wake source); the sleep button
// suspends it through logind, a key wakes it; a tmpfs file's checksum is taken and `systemctl
// hibernate` reaches SYSTEM_OFF2 (the image's sleep hook takes the console off the wake sources
// first). 2: the next boot resumes the image (the checksum reads back the same, the console is a
// wake source again); `systemctl reboot`; the power button powers it off through logind. 3: the
// same disk through EDK2 (--bios) and GRUB to the login prompt; `systemctl poweroff`.
import { execFileSync } from "node:child_process";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultFirmwareCache } from "../../src/cli/firmware.ts";
import { defaultImageCache } from "../../src/cli/image.ts";
import { nodeHost } from "../../src/host/node/index.ts";
import { type DebianImage, debianImage, imageLayout } from "../../src/kit/debian-image.ts";
import { uefiFirmware } from "../../src/kit/firmware.ts";
import type { VmEvent } from "../../src/vmm/events.ts";
import { type VmImage, VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { GuestConsole } from "./guest-console.ts";
import { gcc } from "./toolchain.ts";

export const LEGS = ["boot", "login", "suspend", "hibernate", "poweroff", "reboot", "power_button", "sleep_button", "gdb", "efi"] as const;
export type Leg = (typeof LEGS)[number];

export interface DebianE2eResult {
  legs: Record<Leg, boolean>;
  /** Seconds from start to the login prompt, per boot (direct, after reboot, UEFI). */
  loginSeconds: Record<string, number>;
  failures: string[];
}

/** The line npm run e2e:debian prints. */
export function summaryLine(r: DebianE2eResult): string {
  return `debian-e2e: ${LEGS.map((l) => `${l}=${r.legs[l] ? "ok" : "fail"}`).join(" ")}`;
}

const MIN = 60_000;
const MIB = 1 << 20;
const LOGIN = /login: $/m;
const PROMPT = /root@dormouse:[^\n]*# $/;

/** What the guest says about the sleep key when logind did not suspend on it. */
const SLEEP_KEY_DIAGNOSIS =
  "journalctl -b -u systemd-logind --no-pager | tail -n 12; grep -A8 gpio-keys /proc/bus/input/devices; for e in /dev/input/event*; do udevadm info $e | grep -E 'DEVNAME|TAGS|ID_INPUT'; done";

/** A program for gdb in the guest: a store to a global it watches, code it single-steps. */
/** Where the program goes on the guest's disk (written there by debugfs before the boot; base-files ships /var/tmp). */
const GDB_TARGET_PATH = "/var/tmp/gdbtarget";
const GDB_TARGET = `volatile int counter;
int main(void) {
  for (int i = 0; i < 3; i++) counter += 1;
  return 0;
}
`;

/** Text without ANSI/VT100 control sequences. */
const stripEscapes = (s: string) => s.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").replace(/\r/g, "");

/** A VM on the image's disk with its console and events. */
class Guest {
  readonly vm: VirtualMachine;
  readonly con: GuestConsole;
  readonly events: VmEvent[] = [];
  private waiters: (() => void)[] = [];
  private pending = "";
  readonly t0 = Date.now();

  private flush(): void {
    const s = this.pending;
    this.pending = "";
    this.con.push(s);
    // DORMOUSE_E2E_CONSOLE=FILE: every boot's console appended to FILE as it comes (to watch a leg that hangs).
    if (process.env.DORMOUSE_E2E_CONSOLE) appendFileSync(process.env.DORMOUSE_E2E_CONSOLE, s, "latin1");
  }

  constructor(disk: string, image: VmImage, bootargs: string | undefined, firmware?: { code: string; vars: string }) {
    let con: GuestConsole | undefined;
    this.vm = new VirtualMachine(
      {
        board: {
          cpus: 2,
          ramSize: 1024 * MIB,
          psciConduit: "hvc",
          systemSuspend: true,
          bootargs,
          disks: [{ path: disk }],
          rng: true,
          ...(firmware ? { firmware } : {}),
        },
        image,
      },
      nodeHost(),
      {
        console: (b) => {
          // Handed on in chunks: every push looks for the awaited text in all output since it was awaited.
          if (this.pending === "") setImmediate(() => this.flush());
          this.pending += String.fromCharCode(b);
        },
      },
    );
    con = new GuestConsole((s) => this.vm.sendConsole(Buffer.from(s, "latin1")), true);
    this.con = con;
    this.vm.on((e) => {
      this.events.push(e);
      for (const w of this.waiters.splice(0)) w();
    });
    this.vm.start();
  }

  /** Waits for an event named `name` after the first `from` events; returns its index. */
  event(name: VmEvent["event"], from: number, ms: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${name}" event within ${ms / 1000} s; console tail:\n${this.con.text.slice(-1500)}`)),
        ms,
      );
      const look = () => {
        const i = this.events.findIndex((e, j) => j >= from && e.event === name);
        if (i >= 0) {
          clearTimeout(timer);
          resolve(i);
        } else this.waiters.push(look);
      };
      look();
    });
  }

  /** Waits for a "woken" event after event `from` and checks why the guest woke. */
  async woken(from: number, reason: string): Promise<void> {
    const i = await this.event("woken", from, MIN);
    const e = this.events[i] as Extract<VmEvent, { event: "woken" }>;
    if (e.reason !== reason) throw new Error(`woken by ${e.reason} (intid ${e.intid}), not the ${reason}`);
  }

  /** Logs in as root at the login prompt (which must be showing after `from`); waits for the shell. */
  async login(from: number): Promise<void> {
    await this.con.wait(LOGIN, from, 10 * MIN, "the login prompt");
    const at = this.con.text.length;
    this.con.send("root\n");
    await this.con.wait(PROMPT, at, 3 * MIN, "root's shell prompt");
  }

  /** Presses Enter every few seconds until the shell's prompt shows (after a resume, typed input may be lost). */
  async prompt(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.con.text.length;
      this.con.send("\n");
      try {
        await this.con.wait(PROMPT, at, 5000, "a prompt");
        // Enters typed earlier (and a wake-up key) may still bring prompts: let them all come first.
        await this.quiet(1500);
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  }

  /** Waits until the guest has printed nothing for `ms`. */
  async quiet(ms: number): Promise<void> {
    for (let n = -1; n !== this.con.text.length;) {
      n = this.con.text.length;
      await new Promise((r) => setTimeout(r, ms));
    }
  }

  /**
   * Runs a shell command and returns its output without bash's terminal escapes (bracketed
   * paste) nor the echo of the typed line (a prompt printed late can come before that echo).
   */
  async sh(cmd: string, ms?: number): Promise<string> {
    const lines = stripEscapes(await this.con.sh(cmd, ms)).split("\n");
    let echo = lines.length - 1;
    while (echo >= 0 && !lines[echo].includes('"@@$((')) echo--;
    return lines
      .slice(echo + 1)
      .join("\n")
      .trim();
  }

  /** Waits until logind has finished `n` suspend operations (a sleep key while one runs is ignored). */
  async suspendsFinished(n: number): Promise<void> {
    const deadline = Date.now() + 2 * MIN;
    for (;;) {
      const done = Number(await this.sh(`journalctl -b -u systemd-logind --no-pager | grep -c "Operation 'suspend' finished"`));
      if (done >= n) return;
      if (Date.now() > deadline) throw new Error(`logind finished ${done} suspend operations, not ${n}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  async end(): Promise<void> {
    if (!["shutdown", "hibernated", "error", "saved"].includes(this.vm.state)) await this.vm.stop().catch(() => {});
    this.vm.close();
  }
}

/** Runs the scenario; never throws (failures are collected). */
export async function debianE2e(
  opts: { log?: (m: string) => void; image?: DebianImage; boots?: readonly number[] } = {},
): Promise<DebianE2eResult> {
  // Only some of the boots (to work on one leg; the others stay "fail"): boot 2 needs boot 1's hibernation.
  const boots = opts.boots ?? [1, 2, 3];
  const log = opts.log ?? (() => {});
  const legs = Object.fromEntries(LEGS.map((l) => [l, false])) as Record<Leg, boolean>;
  const r: DebianE2eResult = { legs, loginSeconds: {}, failures: [] };
  const dir = mkdtempSync(join(tmpdir(), "dormouse-debian-"));
  const guests: Guest[] = [];
  const leg = async (name: string, fn: () => Promise<void>) => {
    const t = Date.now();
    try {
      await fn();
      log(`${name}: ok (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    } catch (e) {
      r.failures.push(`${name}: ${(e as Error).message}`);
      log(`${name}: FAILED ${(e as Error).message.split("\n")[0]}`);
    }
  };
  try {
    // Building the image on first use takes minutes: that is always said (npm test shows a test
    // file's stderr as it comes), whether or not the caller logs the legs.
    const imageLog = opts.log ?? ((m: string) => process.stderr.write(`debian-e2e: image: ${m}\n`));
    const img = opts.image ?? (await debianImage(defaultImageCache(), { log: imageLog }));
    const disk = join(dir, "disk.img");
    execFileSync("cp", ["--sparse=always", img.disk, disk]);
    // gdb's target goes into root's home on the disk (debugfs writes the ext4 without mounting it).
    const target = gcc({ "gdbtarget.c": GDB_TARGET }, ["-static", "-g", "-O0"], "gdbtarget");
    const rootAt = imageLayout(img.versions.sizeBytes).root[0];
    execFileSync("debugfs", ["-w", "-R", `write ${target} ${GDB_TARGET_PATH}`, `${disk}?offset=${rootAt}`], { stdio: "ignore" });
    const kernel = { kind: "linux" as const, kernel: readFileSync(img.kernel), initrd: readFileSync(img.initrd) };
    const append = `${img.cmdline} no_console_suspend`;

    let checksum = "";
    // Boot 1: direct kernel boot.
    if (boots.includes(1)) {
      const a = new Guest(disk, kernel, append);
      guests.push(a);
      await leg("boot", async () => {
        await a.con.wait(LOGIN, 0, 10 * MIN, "the login prompt");
        r.loginSeconds.direct = (Date.now() - a.t0) / 1000;
        legs.boot = true;
      });
      await leg("login", async () => {
        await a.login(0);
        legs.login = (await a.sh("id -u")) === "0";
        if (!legs.login) throw new Error("the shell is not root's");
      });
      await leg("gdb", async () => {
        const out = await a.sh(
          `chmod +x ${GDB_TARGET_PATH}; gdb -q -batch -ex 'break main' -ex run -ex 'watch counter' -ex continue -ex 'p/x $pc' -ex stepi -ex 'p/x $pc' ${GDB_TARGET_PATH} 2>&1`,
          5 * MIN,
        );
        const hw = /Hardware watchpoint \d+: counter[\s\S]*Old value = 0\s+New value = 1/.test(out);
        const pcs = [...out.matchAll(/^\$\d+ = (0x[0-9a-f]+)/gm)].map((m) => m[1]);
        if (!hw) throw new Error(`gdb did not stop on a hardware watchpoint:\n${out.slice(-1500)}`);
        if (pcs.length !== 2 || pcs[0] === pcs[1]) throw new Error(`stepi did not move the pc (${pcs.join(", ")}):\n${out.slice(-1500)}`);
        legs.gdb = true;
      });
      await leg("suspend", async () => {
        // The image makes the console a wake source (Linux's default is "disabled"): nothing is set by hand.
        const wakeup = await a.sh("cat /sys/class/tty/ttyAMA0/power/wakeup");
        if (wakeup !== "enabled") throw new Error(`the image left the console's wakeup ${JSON.stringify(wakeup)}, not enabled`);
        const from = a.events.length;
        a.con.send("systemctl suspend\n");
        const s = await a.event("suspended", from, 3 * MIN);
        a.con.send("\n");
        await a.woken(s, "console");
        await a.prompt(2 * MIN);
        if ((await a.sh("echo back")) !== "back") throw new Error("no shell after the wake-up");
        await a.suspendsFinished(1);
        legs.suspend = true;
      });
      await leg("sleep_button", async () => {
        const from = a.events.length;
        a.vm.pressSleepButton();
        let s: number;
        try {
          s = await a.event("suspended", from, 3 * MIN);
        } catch (e) {
          throw new Error(`${(e as Error).message.split(";")[0]}; logind and the input devices:\n${await a.sh(SLEEP_KEY_DIAGNOSIS)}`);
        }
        a.con.send("\n");
        await a.woken(s, "console");
        await a.prompt(2 * MIN);
        await a.suspendsFinished(2);
        legs.sleep_button = true;
      });
      await leg("hibernate (boot 1)", async () => {
        // The image's systemd-sleep hook takes the console off the wake sources before the
        // hibernation (it would resume with its IRQ masked: README) and back on after it.
        checksum = await a.sh("head -c 4194304 /dev/urandom > /dev/shm/kept; sha256sum /dev/shm/kept | cut -c1-64");
        if (!/^[0-9a-f]{64}$/.test(checksum)) throw new Error(`no checksum: ${checksum}`);
        const from = a.events.length;
        a.con.send("systemctl hibernate\n");
        await a.event("hibernated", from, 10 * MIN);
      });
      await a.end();
    }

    // Boot 2: resumes the hibernation image, reboots, powers off by the power button.
    if (checksum) {
      const b = new Guest(disk, kernel, append);
      guests.push(b);
      await leg("hibernate (boot 2)", async () => {
        // Nothing is typed until the image has resumed: a key while the boot kernel hands over
        // is a wakeup event that aborts the restore (syscore_suspend's -EBUSY: "Failed to load
        // image, recovering", then a fresh boot), and one in the image before its devices
        // resumed left it in a soft lockup (create_image, in softirqs on the IRQ stack) once in
        // eight tries with Enter typed every 150 ms (the other seven aborted).
        const m = await b.con.wait(/PM: hibernation: (hibernation exit|resume failed.*)/, 0, 10 * MIN, "the image's resume");
        if (m[1] !== "hibernation exit") throw new Error(`the boot kernel did not resume the image: ${m[0]}`);
        await b.prompt(2 * MIN);
        const again = await b.sh("sha256sum /dev/shm/kept | cut -c1-64");
        if (again !== checksum) throw new Error(`the file's checksum after resume is ${again}, before ${checksum}`);
        // The sleep hook's post step (it may still be running) makes the console a wake source again.
        const w = "/sys/class/tty/ttyAMA0/power/wakeup";
        const wakeup = await b.sh(`for i in $(seq 60); do [ "$(cat ${w})" = enabled ] && break; sleep 1; done; cat ${w}`, 2 * MIN);
        if (wakeup !== "enabled") throw new Error(`after the resume the console's wakeup is ${JSON.stringify(wakeup)}, not enabled`);
        legs.hibernate = true;
      });
      await leg("reboot", async () => {
        const from = b.events.length;
        const at = b.con.text.length;
        b.con.send("systemctl reboot\n");
        await b.event("reset", from, 5 * MIN);
        const t = Date.now();
        await b.login(at);
        r.loginSeconds.reboot = (Date.now() - t) / 1000;
        legs.reboot = true;
      });
      await leg("power_button", async () => {
        const from = b.events.length;
        b.vm.pressPowerButton();
        const i = await b.event("shutdown", from, 5 * MIN);
        const e = b.events[i] as Extract<VmEvent, { event: "shutdown" }>;
        if (e.reason !== "guest") throw new Error(`shutdown by ${e.reason}`);
        legs.power_button = true;
      });
      await b.end();
    }

    // Boot 3: through EDK2 and GRUB.
    if (boots.includes(3)) {
      const fw = uefiFirmware(defaultFirmwareCache(), { log });
      const vars = join(dir, "vars.fd");
      copyFileSync(fw.varsTemplate, vars);
      const c = new Guest(disk, { kind: "firmware" }, undefined, { code: fw.code, vars });
      guests.push(c);
      await leg("efi", async () => {
        await c.login(0);
        r.loginSeconds.efi = (Date.now() - c.t0) / 1000;
        legs.efi = true;
      });
      await leg("poweroff", async () => {
        const from = c.events.length;
        c.con.send("systemctl poweroff\n");
        const i = await c.event("shutdown", from, 5 * MIN);
        const e = c.events[i] as Extract<VmEvent, { event: "shutdown" }>;
        if (e.reason !== "guest") throw new Error(`shutdown by ${e.reason}`);
        legs.poweroff = true;
      });
    }
  } catch (e) {
    r.failures.push(`setup: ${(e as Error).message}`);
  } finally {
    for (const g of guests) await g.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}
