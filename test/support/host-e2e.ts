// The host scenario (npm run e2e:host, and test/daemon/host-e2e.test.ts): a daemon with VMs in
// mixed states — running (one with a disk, one with its SBSA watchdog armed), paused, suspended
// with no wake source, suspended with an RTC alarm, saved — taken through a host suspend and a
// host hibernation by the systemd-sleep hook `dormouse host install-hooks` writes, run as
// systemd-sleep would run it (`pre suspend`, `post suspend`, `pre hibernate`), then a daemon
// starting on a new boot of the host, and a saved VM woken by the daemon when its guest's RTC
// alarm is due. Bare-metal guests (test/guests) keep it fast; Debian's Linux (the guest kit) is
// woken from its saved state by its own alarm.
//
//   freeze            the running VMs frozen (nothing runs), the suspended ones held, the paused
//                     one paused, the saved one untouched; nothing starts while the host is frozen
//   thaw              the frozen VMs run on from where they were
//   suspended_stay    the suspended VM with no wake source is still suspended after the thaw
//   wake_while_frozen the suspended VM whose RTC alarm passed while frozen wakes on the thaw (rtc)
//   watchdog_paused   frozen for longer than twice its watchdog's timeout, that VM was not reset
//   save_all          every VM with a process saved (none left), the rest untouched
//   restore_all       a daemon on a new boot brings each back as it was: running, paused, suspended
//   alarm_wake_saved  a VM saved when it suspended, with no process, woken when its alarm is due
//                     (re-armed by a restarted daemon from its records) — a bare-metal guest, and
//                     Debian's Linux (the guest kit) after `echo +N > /sys/class/rtc/rtc0/wakealarm;
//                     echo mem > /sys/power/state`; `wake` wakes a saved VM on request
//   disk_lock         a second VM on a running VM's disk image is refused
import { execFile } from "node:child_process";
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ApiClient } from "../../src/cli/api-client.ts";
import { Daemon } from "../../src/daemon/daemon.ts";
import type { HostInfo, VmInfo } from "../../src/daemon/schemas.ts";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { EventStream, inProcessDaemon, tempStateDir, vmConsole } from "./daemon.ts";
import { buildGuest } from "./guests.ts";
import { repoRoot } from "./toolchain.ts";

/** The checks, in the order of the summary line. */
export const HOST_CHECKS = [
  "freeze",
  "thaw",
  "suspended_stay",
  "wake_while_frozen",
  "watchdog_paused",
  "save_all",
  "restore_all",
  "alarm_wake_saved",
  "disk_lock",
] as const;
export type HostCheck = (typeof HOST_CHECKS)[number];

export interface HostResult {
  ok: Partial<Record<HostCheck, boolean>>;
  failures: string[];
  figures: Record<string, number>;
}

/** `host-e2e: freeze=ok thaw=ok ...` */
export function hostSummary(r: HostResult): string {
  return `host-e2e: ${HOST_CHECKS.map((c) => `${c}=${r.ok[c] === true ? "ok" : "FAIL"}`).join(" ")}`;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

class Check extends Error {}
function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Check(what);
}

/** How long the host stays frozen: past the alarmed VM's alarm and over twice the watchdog's timeout. */
const FROZEN_MS = 4500;
/** The watchdog VM's timeout (WS0; a second one resets it). */
const WDT_MS = 1000;
/** The alarmed VM's alarm, seconds after it arms it: comes while the host is frozen. */
const ALARM_FROZEN = 3;
/** The saved VM's alarm: comes after it was saved and the daemon restarted. */
const ALARM_SAVED = 10;
/** The Linux VM's alarm (seconds after `echo mem`): it is saved and its process gone meanwhile. */
const LINUX_ALARM = 15;
const LINUX_APPEND = "console=ttyAMA0 quiet no_console_suspend";

/** Runs the whole scenario; never throws (failures are collected). */
export async function hostE2e(opts: { log?: (m: string) => void } = {}): Promise<HostResult> {
  const log = opts.log ?? (() => {});
  const r: HostResult = { ok: {}, failures: [], figures: {} };
  const stage = async (names: HostCheck[], fn: () => Promise<void>) => {
    try {
      await fn();
      for (const n of names) r.ok[n] ??= true;
      log(`${names.join(", ")}: ok`);
    } catch (e) {
      for (const n of names) if (r.ok[n] !== true) r.ok[n] = false;
      r.failures.push(`${names.join(", ")}: ${(e as Error).message}`);
      log(`${names.join(", ")}: FAILED: ${(e as Error).message}`);
    }
  };

  const ticker = buildGuest("console", { VARIANT: 3, TICK: 2000000 });
  const watchdog = buildGuest("console", { VARIANT: 4, TICK: 2000000, WDT_MS });
  const idler = buildGuest("console", { VARIANT: 5, TICK_MS: 200 });
  const sleeper = buildGuest("suspend", { VARIANT: 3 });
  const alarmed = buildGuest("suspend", { VARIANT: 4, ALARM: ALARM_FROZEN });
  const waker = buildGuest("suspend", { VARIANT: 4, ALARM: ALARM_SAVED });

  const kit = guestKit(join(repoRoot, ".cache/guest-kit"), { log });
  const stateDir = tempStateDir("host");
  const disk = join(stateDir, "ticker.img");
  writeFileSync(disk, Buffer.alloc(1 << 20));
  let { daemon, api } = await inProcessDaemon(stateDir);
  let events = await EventStream.open(daemon.socketPath);
  const restart = async (bootId?: string) => {
    events.close();
    await daemon.stop();
    daemon = new Daemon({ stateDir, ...(bootId ? { bootId } : {}) });
    await daemon.start();
    api = new ApiClient(daemon.socketPath);
    events = await EventStream.open(daemon.socketPath);
  };

  const info = (name: string) => api.call<VmInfo>("GET", `/vms/${name}`);
  const act = (name: string, body: Record<string, unknown>) => api.raw("POST", `/vms/${name}/actions`, body);
  const create = (name: string, body: Record<string, unknown>) => api.call<VmInfo>("POST", "/vms", { name, memoryMiB: 32, ...body });
  const consoleText = async (name: string) => (await api.raw("GET", `/vms/${name}/console`)).text;
  const ticks = async (name: string) => [...(await consoleText(name)).matchAll(/^tick (\d+) \d+$/gm)].map((m) => Number(m[1]));
  const lastTick = async (name: string) => Math.max(-1, ...(await ticks(name)));
  const until = async (what: string, ms: number, cond: () => Promise<boolean>) => {
    const t0 = Date.now();
    while (!(await cond())) {
      if (Date.now() - t0 > ms) throw new Check(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const stateOf = async (name: string, want: string, ms = 30_000) =>
    until(`${name} to be ${want}`, ms, async () => (await info(name)).state === want);
  const eventsOf = (vm: string, from = 0) => events.lines.slice(from).filter((e) => e.vm === vm);

  // The hook, as install-hooks writes it, run as systemd-sleep runs it (here as this user). The
  // daemon answers in this process: the commands run asynchronously.
  const hookDir = join(stateDir, "system-sleep");
  const run = (cmd: string, args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(cmd, args, { encoding: "utf8" }, (err, stdout, stderr) =>
        err ? reject(new Check(`${cmd} ${args.join(" ")}: ${stderr.trim() || err.message}`)) : resolve(stdout),
      ),
    );
  const cli = (args: string[]) => run(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), ...args]);
  let hook = "";
  const sleepHook = async (phase: "pre" | "post", what: string) => {
    const t0 = performance.now();
    const out = await run("sh", [hook, phase, what]);
    const ms = performance.now() - t0;
    r.figures[`hook_${phase}_${what}_ms`] = ms;
    log(`hook ${phase} ${what}: ${out.trim().split("\n").pop()} (${ms.toFixed(0)} ms)`);
    return out;
  };

  const tickAtFreeze: Record<string, number> = {};
  let frozenAt = 0;
  try {
    hook = (await cli(["host", "install-hooks", "--dir", hookDir, "--state-dir", stateDir])).match(/^wrote (\S+):/)?.[1] ?? "";
    check(hook && existsSync(hook), "install-hooks wrote the hook");

    await create("ticker", { kernel: ticker, disks: [{ path: disk }] });
    await create("watchdog", { kernel: watchdog });
    await create("idler", { kernel: idler });
    await create("sleeper", { kernel: sleeper, cpus: 2 });
    await create("alarmed", { kernel: alarmed, cpus: 2 });
    await create("saved", { kernel: sleeper, cpus: 2, onSuspend: "save" });
    await create("thief", { kernel: ticker, disks: [{ path: disk }] });
    for (const n of ["ticker", "watchdog", "idler", "sleeper", "saved"]) {
      const a = await act(n, { action: "start" });
      check(a.status === 200, `start ${n}: ${a.text}`);
    }
    await stateOf("sleeper", "suspended");
    await stateOf("saved", "saved");
    await until("ticks of the running VMs", 60_000, async () => (await lastTick("ticker")) >= 1 && (await lastTick("watchdog")) >= 1);
    check(/watchdog armed/.test(await consoleText("watchdog")), "the watchdog guest armed its watchdog");
    await until("the idler's ticks", 30_000, async () => (await lastTick("idler")) >= 1);
    check((await api.raw("PUT", "/vms/idler/state", { state: "paused" })).status === 200, "pause the idler");

    await stage(["disk_lock"], async () => {
      const a = await act("thief", { action: "start" });
      check(a.status >= 400, `a second VM on the running VM's disk started (${a.status})`);
      check(/is in use: another VM/.test(a.text), `refused for the lock: ${a.text}`);
      check((await info("thief")).pid === null, "the refused VM has no process");
      check((await info("ticker")).state === "running", "the first VM runs on");
    });

    // The alarmed VM suspends with its RTC alarm ALARM_FROZEN s ahead; the host freezes right after.
    const fromStart = events.lines.length;
    check((await act("alarmed", { action: "start" })).status === 200, "start alarmed");
    await stateOf("alarmed", "suspended");
    const armed = await info("alarmed");
    await until("the alarmed VM's alarm in its record", 5000, async () => (await info("alarmed")).alarm !== null);

    await stage(["freeze"], async () => {
      const fromFreeze = events.lines.length;
      for (const n of ["ticker", "watchdog"]) tickAtFreeze[n] = await lastTick(n);
      const savedSnap = statSync(join(stateDir, "vms/saved/saved.snap")).mtimeMs;
      const out = await sleepHook("pre", "suspend");
      frozenAt = Date.now();
      check(/freeze done for 5 VMs/.test(out), `the hook froze 5 VMs: ${out.trim()}`);
      const host = await api.call<HostInfo>("GET", "/host");
      check(host.frozen && host.since && host.held === 4, `GET /host: ${JSON.stringify(host)}`);
      const want: Record<string, [string, boolean]> = {
        ticker: ["frozen", true],
        watchdog: ["frozen", true],
        idler: ["paused", false],
        sleeper: ["suspended", true],
        alarmed: ["suspended", true],
        saved: ["saved", false],
      };
      for (const [n, [state, frozen]] of Object.entries(want)) {
        const v = await info(n);
        check(
          v.state === state && v.frozen === frozen,
          `${n} is ${v.state}${v.frozen ? " (frozen)" : ""}, not ${state}${frozen ? " (frozen)" : ""}`,
        );
      }
      const frozenEvents = events.lines.slice(fromFreeze).filter((e) => e.event === "frozen");
      check(frozenEvents.length === 4, `frozen events: ${JSON.stringify(frozenEvents)}`);
      check(frozenEvents.find((e) => e.vm === "ticker")?.flushed === 1, "the ticker's disk was flushed");
      const text = await consoleText("ticker");
      await sleep(1000);
      check((await consoleText("ticker")) === text, "nothing runs in a frozen VM");
      check(statSync(join(stateDir, "vms/saved/saved.snap")).mtimeMs === savedSnap, "the saved VM was untouched");
      const refused = await act("thief", { action: "start" });
      check(refused.status === 409 && /host is frozen/.test(refused.text), `a start while frozen: ${refused.status} ${refused.text}`);
      const again = await api.raw("POST", "/host/actions", { action: "freeze" });
      check(again.status === 409, `freezing a frozen host: ${again.status}`);
    });

    const alarmAt = armed.alarm ? Date.parse(armed.alarm) : 0;
    await sleep(Math.max(FROZEN_MS - (Date.now() - frozenAt), alarmAt + 1500 - Date.now(), 0));
    r.figures.frozen_s = (Date.now() - frozenAt) / 1000;
    const held = await info("alarmed");
    const fromThaw = events.lines.length;
    await sleepHook("post", "suspend");

    await stage(["thaw"], async () => {
      check(!(await api.call<HostInfo>("GET", "/host")).frozen, "the host is not frozen");
      for (const n of ["ticker", "watchdog"]) {
        const v = await info(n);
        check(v.state === "running" && !v.frozen, `${n} is ${v.state} after the thaw`);
      }
      await until("ticks after the thaw", 30_000, async () => (await lastTick("ticker")) > tickAtFreeze.ticker);
      const t = await ticks("ticker");
      check(
        t.every((x, i) => i === 0 || x === t[i - 1] + 1),
        "the ticker's ticks run on in sequence (it was not restarted)",
      );
      check((await info("idler")).state === "paused", "the paused VM stays paused");
      const again = await api.raw("POST", "/host/actions", { action: "thaw" });
      check(again.status === 409 && /not frozen/.test(again.text), `thawing a host that is not frozen: ${again.status}`);
    });

    await stage(["wake_while_frozen"], async () => {
      check(held.state === "suspended" && held.frozen, `the alarmed VM while frozen, past its alarm: ${held.state}`);
      const woken = await events.next((e) => e.vm === "alarmed" && e.event === "woken", 30_000, "woken", fromThaw);
      const order = eventsOf("alarmed", fromStart).map((e) => e.event);
      check(
        order.indexOf("frozen") < order.indexOf("thawed") && order.indexOf("thawed") < order.indexOf("woken"),
        `held until the thaw, woken after it: ${order.join(", ")}`,
      );
      const at = (event: string) => Date.parse(eventsOf("alarmed", fromStart).find((e) => e.event === event)?.timestamp ?? "");
      check(at("frozen") < alarmAt && alarmAt < at("thawed"), "its alarm came while the host was frozen");
      check(woken.reason === "rtc", `woken by ${String(woken.reason)}, not the RTC`);
      await stateOf("alarmed", "shutdown");
      check(/resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact/.test(await consoleText("alarmed")), "the guest resumed intact");
    });

    await sleep(1500);
    await stage(["suspended_stay"], async () => {
      const v = await info("sleeper");
      check(v.state === "suspended" && !v.frozen, `the sleeper is ${v.state} after the thaw`);
      check(!eventsOf("sleeper").some((e) => e.event === "woken"), "it did not wake");
      check(
        eventsOf("sleeper").some((e) => e.event === "thawed" && e.to === "suspended"),
        "thawed back to suspended",
      );
    });

    await stage(["watchdog_paused"], async () => {
      const ev = eventsOf("watchdog");
      check(
        !ev.some((e) => e.event === "watchdog" || e.event === "reset"),
        `watchdog events: ${JSON.stringify(ev.filter((e) => e.event === "watchdog" || e.event === "reset"))}`,
      );
      check(r.figures.frozen_s * 1000 > 2 * WDT_MS, "frozen for longer than the watchdog's timeout");
      check((await info("watchdog")).state === "running", "the watchdog VM runs");
      await until("the watchdog VM's ticks after the thaw", 30_000, async () => (await lastTick("watchdog")) > tickAtFreeze.watchdog);
      const t = await ticks("watchdog");
      check(
        t.every((x, i) => i === 0 || x === t[i - 1] + 1),
        "its ticks run on in sequence (it was not reset)",
      );
    });

    const before: Record<string, number> = {};
    await stage(["save_all"], async () => {
      for (const n of ["ticker", "watchdog"]) before[n] = await lastTick(n);
      const out = await sleepHook("pre", "hibernate");
      check(/save-all done for 4 VMs/.test(out), `the hook saved 4 VMs: ${out.trim()}`);
      for (const n of ["ticker", "watchdog", "idler", "sleeper", "saved"]) {
        const v = await info(n);
        check(v.state === "saved" && v.pid === null, `${n} is ${v.state} (pid ${v.pid}) after save-all`);
        check(existsSync(join(stateDir, `vms/${n}/saved.snap`)), `${n}'s snapshot`);
      }
      check((await info("alarmed")).state === "shutdown", "a shut-down VM is untouched");
      const host = await api.call<HostInfo>("GET", "/host");
      const saved = Object.fromEntries((host.lastAction?.vms ?? []).map((v) => [v.name, v.from]));
      check(
        host.lastAction?.action === "save-all" &&
          saved.ticker === "running" &&
          saved.watchdog === "running" &&
          saved.idler === "paused" &&
          saved.sleeper === "suspended" &&
          !("saved" in saved),
        `host.json: ${JSON.stringify(host.lastAction)}`,
      );
    });

    // A VM saved when it suspends, with its alarm ALARM_SAVED s ahead: woken by the daemon later.
    await create("waker", { kernel: waker, cpus: 2, onSuspend: "save" });
    check((await act("waker", { action: "start" })).status === 200, "start waker");
    await stateOf("waker", "saved");
    const waker0 = await info("waker");
    // And Debian's Linux (the guest kit), booting meanwhile: the same with its own RTC alarm.
    await create("linux", { kernel: kit.kernel, initrd: kit.initramfs, memoryMiB: 256, append: LINUX_APPEND, onSuspend: "save" });
    check((await act("linux", { action: "start" })).status === 200, "start linux");

    // The host boots again: a daemon started on the new boot restores what the save-all saved.
    await stage(["restore_all"], async () => {
      await restart("e2e-next-boot");
      const t0 = performance.now();
      await daemon.bootRestore;
      r.figures.restore_all_ms = performance.now() - t0;
      const want: Record<string, string> = {
        ticker: "running",
        watchdog: "running",
        idler: "paused",
        sleeper: "suspended",
        saved: "saved",
      };
      for (const [n, state] of Object.entries(want)) {
        const v = await info(n);
        check(v.state === state, `${n} is ${v.state} after restore-all, not ${state}`);
      }
      await until("the ticker's ticks after the restore", 30_000, async () => (await lastTick("ticker")) > before.ticker);
      const t = await ticks("ticker");
      check(
        t.every((x, i) => i === 0 || x === t[i - 1] + 1),
        "the ticker runs on from where it was saved",
      );
      const host = await api.call<HostInfo>("GET", "/host");
      check(host.lastAction?.restored, "host.json records the restore");
      const again = await api.raw("POST", "/host/actions", { action: "restore-all" });
      check(again.status === 409, `a second restore-all: ${again.status}`);
      check(!eventsOf("sleeper").some((e) => e.event === "woken"), "the suspended VM stays suspended");
    });

    await stage(["alarm_wake_saved"], async () => {
      check(waker0.pid === null && waker0.alarm, `the saved VM records its alarm and has no process: ${JSON.stringify(waker0)}`);
      const listed = await api.call<{ vms: VmInfo[] }>("GET", "/vms");
      check(listed.vms.find((v) => v.name === "waker")?.alarm === waker0.alarm, "the list shows the pending alarm");
      const shown = (waker0.alarm as string).replace("T", " ").replace(/\.\d+Z$/, "Z");
      check(new RegExp(`^waker +saved .*${shown}$`, "m").test(await cli(["list", "--state-dir", stateDir])), "dormouse list shows it");
      const host = await api.call<HostInfo>("GET", "/host");
      check(host.alarms >= 1 && host.nextAlarm, `GET /host counts it: ${JSON.stringify(host)}`);
      // The daemon was restarted since it was saved: the alarm is re-armed from its record.
      const due = Date.parse(waker0.alarm as string);
      check(due > Date.now(), "the alarm is still ahead");
      // (The event stream was reopened by the restart: its lines are this daemon's.)
      const from = 0;
      const woken = await events.next((e) => e.vm === "waker" && e.event === "woken", ALARM_SAVED * 1000 + 30_000, "woken", from);
      r.figures.alarm_late_ms = Date.parse(woken.timestamp) - due;
      check(woken.reason === "rtc", `woken by ${String(woken.reason)}`);
      check(
        eventsOf("waker", from).some((e) => e.event === "alarm"),
        "the daemon restored it for its alarm",
      );
      check(Date.parse(woken.timestamp) >= due - 1000, "not before its alarm");
      await stateOf("waker", "shutdown");
      check(/resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact/.test(await consoleText("waker")), "the guest resumed intact");
      // And on request: `dormouse wake` restores a saved VM and wakes it.
      const f2 = events.lines.length;
      const out = await cli(["wake", "saved", "--state-dir", stateDir]);
      // The state when the daemon answered: running, or shutdown already (the guest powers off
      // as soon as it has checked its RAM, and may be done before the answer is written).
      check(/^saved: (running|shutdown)$/m.test(out), `dormouse wake: ${out.trim()}`);
      const w = await events.next((e) => e.vm === "saved" && e.event === "woken", 30_000, "woken", f2);
      check(w.reason === "request", `woken by ${String(w.reason)}`);
      await stateOf("saved", "shutdown");
      check(
        /resumed: context 0x000000005a5a1234 ok, EL1h ok, ram intact/.test(await consoleText("saved")),
        "the woken guest resumed intact",
      );

      // Linux: `echo +N > wakealarm; echo mem > /sys/power/state` with the save policy; its
      // process ends, and the daemon restores it when the alarm is due: woken by the RTC, its
      // shell answers.
      let con = await vmConsole(daemon.socketPath, "linux");
      try {
        await con.console.wait(/dormouse-kit: shell ready/, 0, 600_000, "Linux's shell");
        const marker = `${Date.now()}`;
        await con.console.sh(`echo ${marker} > tmp/marker`);
        const fl = events.lines.length;
        con.console.send(`echo +${LINUX_ALARM} > /sys/class/rtc/rtc0/wakealarm; echo mem > /sys/power/state\n`);
        await events.next((e) => e.vm === "linux" && e.event === "saved", 300_000, "Linux saved", fl);
        await stateOf("linux", "saved");
        const saved = await info("linux");
        check(saved.pid === null && saved.alarm, `saved Linux records its alarm, with no process: ${JSON.stringify(saved)}`);
        con.close();
        const wl = await events.next((e) => e.vm === "linux" && e.event === "woken", LINUX_ALARM * 1000 + 120_000, "Linux woken", fl);
        check(wl.reason === "rtc", `Linux woken by ${String(wl.reason)}`);
        r.figures.linux_alarm_late_ms = Date.parse(wl.timestamp) - Date.parse(saved.alarm as string);
        check(Date.parse(wl.timestamp) >= Date.parse(saved.alarm as string) - 1000, "Linux not woken before its alarm");
        check(
          eventsOf("linux", fl).some((e) => e.event === "alarm"),
          "the daemon restored Linux for its alarm",
        );
        con = await vmConsole(daemon.socketPath, "linux");
        check((await con.console.sh("cat tmp/marker", 120_000)).includes(marker), "Linux's shell answers, its tmpfs intact");
      } finally {
        con.close();
      }
    });
  } catch (e) {
    r.failures.push(`setup: ${(e as Error).message}`);
    log(`FAILED: ${(e as Error).stack}`);
  } finally {
    try {
      for (const v of (await api.call<{ vms: VmInfo[] }>("GET", "/vms")).vms) if (v.pid) await act(v.name, { action: "kill" });
    } catch {
      // the daemon is gone
    }
    events.close();
    await daemon.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
  for (const c of HOST_CHECKS) r.ok[c] ??= false;
  return r;
}
