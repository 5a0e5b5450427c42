// The named-VM scenario with Debian's Linux (npm run e2e:api, and test/daemon/api-e2e.test.ts):
// `dormouse daemon` in a child process, a guest kit VM created, listed, started, deleted with the
// CLI and driven through the API — its console (an HTTP upgrade), pause and resume, suspend-to-RAM
// woken by each source with its reason, the power and sleep buttons seen by the guest as
// KEY_POWER and KEY_SLEEP, a suspended VM saved (no process left) and woken from its file, and
// hibernation on a virtio swap disk across two daemon restarts: a changed board refused, then
// the same board booted and Linux resuming its image. Every event is checked on GET /events.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiClient } from "../../src/cli/api-client.ts";
import type { VmInfo } from "../../src/daemon/schemas.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { daemonProcess, type EventLine, EventStream, tempStateDir, vmConsole } from "./daemon.ts";
import type { GuestConsole } from "./guest-console.ts";
import { repoRoot } from "./toolchain.ts";

/** The checks, in the order of the summary line (wake_reasons is a list, printed apart). */
export const API_CHECKS = [
  "create",
  "list",
  "start",
  "console",
  "pause",
  "resume",
  "suspend",
  "saved",
  "hibernated",
  "hibernate_resume",
  "powerdown",
  "sleep_button",
  "delete",
  "events",
] as const;
export type ApiCheck = (typeof API_CHECKS)[number];

/** The wake sources tried, in order. */
export const WAKE_SOURCES = ["console", "rtc", "power-button", "sleep-button", "request"] as const;

export interface ApiE2eResult {
  ok: Partial<Record<ApiCheck, boolean>>;
  /** The reasons the woken events gave, in order (what the summary prints). */
  wakeReasons: string[];
  failures: string[];
}

const NAME = "e2e";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Check extends Error {}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Check(what);
}

/** Runs the scenario; never throws (failures are collected). */
export async function apiE2e(opts: { log?: (m: string) => void } = {}): Promise<ApiE2eResult> {
  const log = opts.log ?? (() => {});
  const r: ApiE2eResult = { ok: {}, wakeReasons: [], failures: [] };
  const stage = async (names: ApiCheck[], fn: () => Promise<void>) => {
    try {
      await fn();
      for (const n of names) r.ok[n] ??= true;
      log(`${names.join(", ")}: ok`);
      return true;
    } catch (e) {
      for (const n of names) r.ok[n] = false;
      r.failures.push(`${names.join(", ")}: ${(e as Error).message}`);
      log(`${names.join(", ")}: FAILED: ${(e as Error).message}`);
      return false;
    }
  };
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"), { log });
  const stateDir = tempStateDir("e2e");
  const swap = join(stateDir, "swap.img");
  writeFileSync(swap, "");
  truncateSync(swap, 128 << 20);
  const cli = (...args: string[]) => {
    const p = spawnSync(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), ...args, "--state-dir", stateDir], {
      encoding: "utf8",
      timeout: 120_000,
    });
    return { status: p.status, out: `${p.stdout}${p.stderr}` };
  };
  let d = await daemonProcess(stateDir);
  let api: ApiClient = d.api;
  let events = await EventStream.open(api.socketPath);
  const all: EventLine[] = [];
  const keep = () => all.push(...events.lines.filter((e) => !all.includes(e)));
  type Attached = { console: GuestConsole; close: () => void };
  let con: Attached | null = null;
  const attach = async () => {
    con?.close();
    con = await vmConsole(api.socketPath, NAME);
    return con.console;
  };
  const info = () => api.call<VmInfo>("GET", `/vms/${NAME}`);
  const act = (body: Record<string, unknown>) => api.call<{ vm: VmInfo }>("POST", `/vms/${NAME}/actions`, body);
  const state = (s: "paused" | "running") => api.call<VmInfo>("PUT", `/vms/${NAME}/state`, { state: s });
  const next = (event: string, ms: number, from: number, pred: (e: EventLine) => boolean = () => true) =>
    events.next((e) => e.vm === NAME && e.event === event && pred(e), ms, event, from);
  /** Restarts the daemon (a new process on the same state directory); the VM's process goes on. */
  const restart = async () => {
    keep();
    events.close();
    con?.close();
    con = null;
    await d.stop();
    d = await daemonProcess(stateDir);
    api = d.api;
    events = await EventStream.open(api.socketPath);
  };
  let sum = "";
  try {
    let c: GuestConsole | null = null;
    const up = await stage(["create", "list", "start", "console"], async () => {
      const created = cli(
        ...["create", NAME, "--kernel", kit.kernel, "--initrd", kit.initramfs, "--memory", "512M", "--smp", "2", "--disk", swap],
        ...["--append", "console=ttyAMA0 quiet no_console_suspend resume=/dev/vda"],
      );
      check(created.status === 0, `dormouse create: ${created.out}`);
      r.ok.create = (await info()).state === "created";
      const listed = cli("list");
      check(listed.status === 0 && new RegExp(`^${NAME}\\s+created\\s`, "m").test(listed.out), `dormouse list: ${listed.out}`);
      r.ok.list = true;
      const from = events.lines.length;
      const started = cli("start", NAME);
      check(started.status === 0 && /running/.test(started.out), `dormouse start: ${started.out}`);
      await next("started", 30_000, from);
      check((await info()).state === "running", "running after start");
      r.ok.start = true;
      c = await attach();
      await c.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
      check(/^hello-42\s*$/m.test(await c.sh("echo hello-$((6*7))")), "the shell answers on the console");
      sum = (await c.sh("dd if=/dev/urandom of=tmp/blob bs=1k count=256 2>/dev/null; md5sum tmp/blob")).match(/[0-9a-f]{32}/)?.[0] ?? "";
      check(sum, "a checksum of the tmpfs file");
    });
    if (!up || !c) return r;
    let g = c as GuestConsole;

    await stage(["pause", "resume"], async () => {
      const from = events.lines.length;
      check((await state("paused")).state === "paused", "paused");
      await next("paused", 10_000, from);
      const at = g.text.length;
      g.send("echo after-$((1+1))-pause\n");
      await sleep(700);
      check(g.text.length === at, "a paused guest runs nothing (not even the echo of what was typed)");
      r.ok.pause = true;
      check((await state("running")).state === "running", "running again");
      await next("resumed", 10_000, from);
      await g.wait(/after-2-pause/, at, 60_000, "the typed line once resumed");
    });

    await stage(["suspend"], async () => {
      await g.sh("echo enabled > /sys/class/tty/ttyAMA0/power/wakeup");
      const wakes: Record<(typeof WAKE_SOURCES)[number], [string, () => Promise<unknown>]> = {
        console: ["", async () => con?.console.send("\n")],
        rtc: ["echo +3 > /sys/class/rtc/rtc0/wakealarm; ", async () => {}],
        "power-button": ["", () => act({ action: "powerdown" })],
        "sleep-button": ["", () => act({ action: "sleep" })],
        request: ["", () => act({ action: "wakeup" })],
      };
      for (const [i, source] of WAKE_SOURCES.entries()) {
        const [before, wake] = wakes[source];
        const from = events.lines.length;
        const at = g.text.length;
        g.send(`${before}echo mem > /sys/power/state; echo "@@$((90+${i}))@@"\n`);
        await next("suspended", 120_000, from);
        await sleep(300);
        check((await info()).state === "suspended", `suspended before the ${source} wake`);
        r.ok.suspend = true;
        await wake();
        const e = await next("woken", 120_000, from);
        r.wakeReasons.push(String(e.reason));
        await g.wait(new RegExp(`@@${90 + i}@@`), at, 120_000, `the shell after the ${source} wake`);
        check((await info()).state === "running", `running after the ${source} wake`);
      }
      check(r.wakeReasons.join(",") === WAKE_SOURCES.join(","), `the wake reasons: ${r.wakeReasons.join(",")}`);
    });

    await stage(["powerdown", "sleep_button"], async () => {
      // struct input_event on arm64: 16 bytes of time, then type EV_KEY (1), the code, value 1 (pressed).
      const press = async (action: "powerdown" | "sleep", code: string, check_: ApiCheck) => {
        await g.sh("rm -f tmp/ev; (dd if=/dev/input/event0 bs=24 count=1 2>/dev/null | od -An -tx1 > tmp/ev) & sleep 0.5");
        await act({ action });
        await sleep(500);
        const od = await g.sh("sleep 0.5; cat tmp/ev");
        check(new RegExp(`01 00 ${code} 00 01 00 00 00`).test(od), `the ${action} key press in the guest (${od.trim()})`);
        r.ok[check_] = true;
      };
      await press("powerdown", "74", "powerdown");
      await press("sleep", "8e", "sleep_button");
    });

    await stage(["saved"], async () => {
      let from = events.lines.length;
      g.send("echo mem > /sys/power/state\n");
      await next("suspended", 120_000, from);
      await act({ action: "save" });
      const v = await info();
      check(v.state === "saved" && v.pid === null, `saved with no process (${v.state}, pid ${v.pid})`);
      const listed = cli("list");
      check(new RegExp(`^${NAME}\\s+saved\\s`, "m").test(listed.out), `dormouse list shows it saved: ${listed.out}`);
      from = events.lines.length;
      const woke = cli("wake", NAME);
      check(woke.status === 0, `dormouse wake: ${woke.out}`);
      await next("restored", 60_000, from);
      const e = await next("woken", 60_000, from);
      check(e.reason === "request", `woken by request (${e.reason})`);
      g = await attach();
      check((await g.sh("md5sum tmp/blob", 120_000)).includes(sum), "the tmpfs file after the save and wake");
    });

    await stage(["hibernated", "hibernate_resume"], async () => {
      const pid = (await info()).pid;
      await restart();
      const v = await info();
      check(v.state === "running" && v.pid === pid, `re-adopted after a daemon restart (${v.state}, pid ${v.pid} was ${pid})`);
      g = await attach();
      // The console stops being a wake source first. Linux leaves a wakeup-armed IRQ as it is when
      // it suspends its devices, so the image it writes has the UART's IRQ "enabled"; the boot
      // kernel that restores it masks every IRQ it suspends (GICv3 is IRQCHIP_MASK_ON_SUSPEND),
      // the UART's too, and the resumed image, whose IRQ was never suspended, never unmasks it:
      // its console would print but take no input (as on hardware).
      const swapped = await g.sh(
        "echo disabled > /sys/class/tty/ttyAMA0/power/wakeup; mkswap /dev/vda >/dev/null; swapon /dev/vda; cat /proc/swaps",
      );
      check(/\/dev\/vda\s+partition/.test(swapped), `swap on the virtio disk (${swapped.trim()})`);
      const from = events.lines.length;
      g.send("echo disk > /sys/power/state\n");
      await next("hibernated", 300_000, from);
      for (let i = 0; i < 100 && (await info()).pid !== null; i++) await sleep(100);
      check((await info()).state === "hibernated", "hibernated (SYSTEM_OFF2), not shut down");
      await restart();
      check((await info()).state === "hibernated", "still hibernated after another daemon restart");
      const refused = await api.raw("POST", `/vms/${NAME}/actions`, JSON.stringify({ action: "start", memoryMiB: 768 }));
      const msg = (refused.body as { error?: string }).error ?? "";
      check(refused.status === 409 && /different board: its memory/.test(msg), `a different board refused (${refused.status} ${msg})`);
      r.ok.hibernated = true;
      const from2 = events.lines.length;
      await act({ action: "start" });
      await next("started", 30_000, from2);
      g = await attach();
      // Input typed while the boot kernel hands over to the restored image is lost: wait for the
      // resumed shell's prompt (the write to /sys/power/state returning) before typing.
      // (A prompt ends no line: it is looked for in the text, not awaited as a line.)
      for (const t0 = Date.now(); !/~ # /.test(g.text); await sleep(200))
        check(Date.now() - t0 < 600_000, `the resumed shell's prompt (console: ${g.text.slice(-300)})`);
      // A fresh boot prints the kit's shell marker; a resumed image does not (its shell was running).
      const out = await g.sh("md5sum tmp/blob; cat /sys/devices/system/cpu/online", 120_000);
      check(!/dormouse-kit: shell ready/.test(g.text), "Linux resumed its image (no fresh boot)");
      check(out.includes(sum), "the tmpfs file came back from the hibernation image");
      check(/^0-1\s*$/m.test(out), "both vCPUs are back");
    });

    await stage(["delete"], async () => {
      const refused = cli("delete", NAME);
      check(refused.status === 1 && /cannot delete a VM that is running/.test(refused.out), `delete refused while running: ${refused.out}`);
      const killed = cli("kill", NAME);
      check(killed.status === 0 && /shutdown/.test(killed.out), `dormouse kill: ${killed.out}`);
      const deleted = cli("delete", NAME);
      check(deleted.status === 0, `dormouse delete: ${deleted.out}`);
      check(!new RegExp(`^${NAME}\\s`, "m").test(cli("list").out), "gone from the list");
      check(existsSync(swap), "the disk given by path is kept");
    });

    await stage(["events"], async () => {
      await sleep(500);
      keep();
      const mine = all.filter((e) => e.vm === NAME);
      check(
        all.every((e) => typeof e.vm === "string" && typeof e.event === "string" && !Number.isNaN(Date.parse(e.timestamp))),
        "every event line has vm, event and timestamp",
      );
      const names = mine.map((e) => e.event);
      for (const want of ["started", "paused", "resumed", "suspended", "woken", "saved", "restored", "hibernated", "shutdown"])
        check(names.includes(want), `a ${want} event (got ${names.join(" ")})`);
      const reasons = mine.filter((e) => e.event === "woken").map((e) => e.reason);
      check(
        WAKE_SOURCES.every((w) => reasons.includes(w)),
        `woken events with every reason (${reasons.join(",")})`,
      );
    });
  } catch (e) {
    r.failures.push(`scenario: ${(e as Error).message}`);
  } finally {
    (con as Attached | null)?.close();
    events.close();
    try {
      const v = await api.call<VmInfo>("GET", `/vms/${NAME}`);
      if (v.pid) await api.raw("POST", `/vms/${NAME}/actions`, JSON.stringify({ action: "kill" }));
    } catch {
      // gone already
    }
    await d.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return r;
}

/** The summary line npm run e2e:api prints. */
export function apiSummary(r: ApiE2eResult): string {
  const ok = (k: ApiCheck) => `${k}=${r.ok[k] ? "ok" : "fail"}`;
  const before = API_CHECKS.slice(0, API_CHECKS.indexOf("saved")).map(ok);
  const after = API_CHECKS.slice(API_CHECKS.indexOf("saved")).map(ok);
  return `api-e2e: ${[...before, `wake_reasons=${r.wakeReasons.join(",") || "none"}`, ...after].join(" ")}`;
}
