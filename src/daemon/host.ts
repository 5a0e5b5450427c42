// The host's side of the daemon (issue 12): every VM frozen around a host suspend and thawed
// after it, every VM saved before a host hibernation and restored after it, and saved VMs woken
// on their own RTC alarms although no process runs them.
//
//   freeze       each running VM is frozen (its disks flushed, vCPUs held, devices quiesced: its
//                watchdog and counter stop), each suspended one held (its wake sources take effect
//                on thaw), a paused one's disks flushed; saved, hibernated, shut-down VMs untouched.
//                While the host is frozen, nothing starts a VM (start, restore, resume, alarms wait).
//   thaw         the frozen ones run again; a held suspended one whose wake source fired meanwhile
//                (its RTC alarm passed, console input came) wakes with that reason, the rest sleep on.
//   save-all     every VM with a process (running, paused, suspended, frozen) is saved to its folder
//                and its process ends; the VMs and their states are recorded in host.json.
//   restore-all  each VM the last save-all saved comes back in the state it had (a suspended one
//                stays suspended, a frozen or running one runs, a paused one stays paused). A daemon
//                that starts on another boot of the host than the save-all's does this by itself.
//
// The host's state is host.json in the state directory (written atomically), so a daemon restart
// keeps a frozen host frozen and a pending restore pending.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "./http.ts";
import { type HostAction, type HostInfo, HostRecord, type HostVmResult, type NamedVmState, validator } from "./schemas.ts";
import { StoreError, writeFileAtomic } from "./store.ts";

/** A VM as the host sees it. */
export interface HostVm {
  name: string;
  state: NamedVmState;
  frozenFrom: "running" | "suspended" | null;
  /** The pending RTC alarm (ISO 8601), if any. */
  alarm: string | null;
  /** For a saved VM: the state its snapshot continues in. */
  savedAs?: "running" | "paused" | "suspended";
}

/** What the host acts through: the daemon's VMs. */
export interface HostSubject {
  vms(): HostVm[];
  vm(name: string): HostVm | null;
  /**
   * Runs `fn` on the VM as it is then, serialised with the VM's other operations (a start in
   * progress finishes first, and its end is recorded): the operations below are called in it.
   */
  exclusive<T>(name: string, fn: (v: HostVm) => Promise<T>): Promise<T>;
  /** Freezes a running or suspended VM, flushes a paused one's disks; answers its state after. */
  freezeVm(name: string): Promise<HostVm>;
  thawVm(name: string): Promise<HostVm>;
  /** Saves a VM with a process to its folder (its process ends). */
  saveVm(name: string): Promise<HostVm>;
  /** Restores a saved VM from its snapshot in the state it was saved in (no wake request). */
  restoreVm(name: string): Promise<HostVm>;
  log(message: string): void;
  /** An event of a VM for GET /events (the daemon's own: alarm, alarm-failed). */
  event(vm: string, event: string, fields: Record<string, unknown>): void;
}

/** The host's boot: /proc/sys/kernel/random/boot_id (null where there is none). */
export function currentBootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim() || null;
  } catch {
    return null;
  }
}

const checkRecord = validator(HostRecord, "host.json");
const now = () => new Date().toISOString();
/** The longest a timer waits before the alarms are looked at again (wall-clock time may jump, e.g. across a host suspend). */
const ALARM_RECHECK_MS = 60_000;

export class HostControl {
  private record: HostRecord = { version: 1, frozen: false, since: null, lastAction: null };
  /** Host actions run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private alarmTimer: ReturnType<typeof setTimeout> | null = null;
  /** Saved VMs whose alarm wake failed, with that alarm (not retried until the alarm changes). */
  private readonly alarmFailed = new Map<string, string>();
  /** Alarm wakes in progress. */
  private readonly waking = new Set<string>();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly subject: HostSubject,
    private readonly bootId: string | null = currentBootId(),
  ) {}

  private get path(): string {
    return join(this.dir, "host.json");
  }

  /** Reads host.json (none yet: a host that never acted). */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch {
      return;
    }
    try {
      this.record = checkRecord(JSON.parse(text));
    } catch (e) {
      // An unreadable record is reported, and the host starts from a clean one (VMs say what they are).
      this.subject.log(`ignoring ${this.path}: ${(e as Error).message}`);
    }
  }

  private save(): void {
    try {
      writeFileAtomic(this.path, `${JSON.stringify(this.record)}\n`);
    } catch (e) {
      throw new ApiError(500, e instanceof StoreError ? e.message : `cannot write ${this.path}: ${(e as Error).message}`);
    }
  }

  /** Whether the host holds its VMs frozen. */
  get frozen(): boolean {
    return this.record.frozen;
  }

  /** Refuses what would run a guest while the host is frozen (409). */
  refuseWhileFrozen(what: string): void {
    if (this.record.frozen) throw new ApiError(409, `cannot ${what} while the host is frozen (since ${this.record.since}): thaw it first`);
  }

  /** Whether a daemon starting now should restore what a save-all on another boot saved. */
  get restorePending(): boolean {
    const last = this.record.lastAction;
    return last?.action === "save-all" && !last.restored && !!last.bootId && !!this.bootId && last.bootId !== this.bootId;
  }

  info(): HostInfo {
    const vms = this.subject.vms();
    const states: Record<string, number> = {};
    for (const v of vms) states[v.state] = (states[v.state] ?? 0) + 1;
    const alarms = this.savedAlarms();
    return {
      frozen: this.record.frozen,
      since: this.record.since,
      lastAction: this.record.lastAction,
      vms: vms.length,
      states,
      held: vms.filter((v) => v.frozenFrom !== null).length,
      alarms: alarms.length,
      nextAlarm: alarms.length ? new Date(Math.min(...alarms.map((a) => a.at))).toISOString() : null,
    };
  }

  /** POST /host/actions. */
  act(action: HostAction): Promise<{ host: HostInfo; vms: HostVmResult[]; ms: number }> {
    const run = this.queue.then(async () => {
      const t0 = performance.now();
      const vms = await this.run(action);
      const ms = performance.now() - t0;
      this.subject.log(`host ${action}: ${vms.length} VMs in ${ms.toFixed(0)} ms${vms.some((v) => v.error) ? " (some failed)" : ""}`);
      return { host: this.info(), vms, ms };
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(action: HostAction): Promise<HostVmResult[]> {
    switch (action) {
      case "freeze": {
        if (this.record.frozen) throw new ApiError(409, `the host is frozen already (since ${this.record.since})`);
        // Recorded first: from now on nothing starts a VM, and a daemon restart keeps the host frozen.
        const since = now();
        this.record = { ...this.record, frozen: true, since, lastAction: { action, at: since } };
        this.save();
        this.stopAlarms();
        return this.each(
          (v) => ["running", "suspended", "paused"].includes(v.state) && v.frozenFrom === null,
          (n) => this.subject.freezeVm(n),
        );
      }
      case "thaw": {
        if (!this.record.frozen) throw new ApiError(409, "the host is not frozen");
        const results = await this.each(
          (v) => v.frozenFrom !== null,
          (n) => this.subject.thawVm(n),
        );
        this.record = { ...this.record, frozen: false, since: null, lastAction: { action, at: now() } };
        this.save();
        this.armAlarms();
        return results;
      }
      case "save-all": {
        const results = await this.each(
          (v) => ["running", "paused", "suspended", "frozen"].includes(v.state),
          (n) => this.subject.saveVm(n),
        );
        const saved = results.filter((r) => r.to === "saved" && !r.error).map((r) => ({ name: r.name, from: r.from }));
        // Nothing is held once every VM is saved; one that could not be saved stays as it was.
        const frozen = this.record.frozen && this.subject.vms().some((v) => v.frozenFrom !== null);
        this.record = {
          version: 1,
          frozen,
          since: frozen ? this.record.since : null,
          lastAction: { action, at: now(), bootId: this.bootId, vms: saved },
        };
        this.save();
        this.armAlarms();
        return results;
      }
      case "restore-all": {
        this.refuseWhileFrozen("restore the VMs");
        const last = this.record.lastAction;
        if (last?.action !== "save-all" || last.restored)
          throw new ApiError(409, "there is nothing to restore: the host's last action was not a save-all");
        const names = new Set((last.vms ?? []).map((v) => v.name));
        const results = await this.each(
          (v) => names.has(v.name) && v.state === "saved",
          (n) => this.subject.restoreVm(n),
        );
        // Those no longer saved (deleted, started meanwhile) are reported as they are.
        for (const { name } of last.vms ?? []) {
          if (results.some((r) => r.name === name)) continue;
          const v = this.subject.vm(name);
          results.push({
            name,
            from: v?.state ?? "saved",
            to: v?.state ?? "saved",
            frozen: false,
            ms: 0,
            error: v ? `not restored: it is ${v.state} now` : "not restored: the VM was deleted",
          });
        }
        this.record = { ...this.record, lastAction: { ...last, restored: now() } };
        this.save();
        this.armAlarms();
        return results;
      }
    }
  }

  /**
   * Runs `op` on every VM `pick` selects, all at once (each VM is its own process); one's failure
   * stops none of the others. Each VM is picked as it is once its operations in progress are done.
   */
  private async each(pick: (v: HostVm) => boolean, op: (name: string) => Promise<HostVm>): Promise<HostVmResult[]> {
    const results = await Promise.all(
      this.subject.vms().map((listed) =>
        this.subject
          .exclusive(listed.name, async (v): Promise<HostVmResult | null> => {
            if (!pick(v)) return null;
            const t0 = performance.now();
            try {
              const after = await op(v.name);
              return { name: v.name, from: v.state, to: after.state, frozen: after.frozenFrom !== null, ms: performance.now() - t0 };
            } catch (e) {
              const after = this.subject.vm(v.name);
              return {
                name: v.name,
                from: v.state,
                to: after?.state ?? v.state,
                frozen: (after?.frozenFrom ?? null) !== null,
                ms: performance.now() - t0,
                error: (e as Error).message,
              };
            }
          })
          // A VM deleted meanwhile is not the host's concern.
          .catch(() => null),
      ),
    );
    return results.filter((r): r is HostVmResult => r !== null);
  }

  /** A daemon's start on another boot than the last save-all's: restore-all (null when there is nothing to do). */
  restoreAfterBoot(): Promise<HostVmResult[]> | null {
    if (!this.restorePending) return null;
    this.subject.log("the host booted since the last save-all: restoring its VMs");
    return this.act("restore-all").then(
      (r) => r.vms,
      (e) => {
        this.subject.log(`restore-all after the boot failed: ${(e as Error).message}`);
        return [];
      },
    );
  }

  // ---- Alarms of saved VMs -------------------------------------------------------------------

  /** Saved VMs whose guest has an RTC alarm pending (a paused one is not woken by one). */
  private savedAlarms(): { name: string; alarm: string; at: number }[] {
    const out: { name: string; alarm: string; at: number }[] = [];
    for (const v of this.subject.vms()) {
      if (v.state !== "saved" || !v.alarm || v.savedAs === "paused") continue;
      const at = Date.parse(v.alarm);
      if (Number.isFinite(at)) out.push({ name: v.name, alarm: v.alarm, at });
    }
    return out;
  }

  /**
   * Looks at the saved VMs' alarms: restores each that is due (its PL031 then fires at once, so
   * the guest wakes with reason rtc) and sets one timer for the next. Called whenever a VM's
   * state may have changed, after a thaw, and at least once a minute while alarms are pending.
   */
  armAlarms(): void {
    if (this.closed) return;
    this.stopAlarms();
    if (this.record.frozen) return;
    const alarms = this.savedAlarms();
    for (const [name, alarm] of this.alarmFailed)
      if (!alarms.some((a) => a.name === name && a.alarm === alarm)) this.alarmFailed.delete(name);
    const t = Date.now();
    let next = Infinity;
    for (const a of alarms) {
      if (this.alarmFailed.has(a.name) || this.waking.has(a.name)) continue;
      if (a.at <= t) void this.wakeOnAlarm(a.name, a.alarm);
      else next = Math.min(next, a.at);
    }
    if (next === Infinity) return;
    this.alarmTimer = setTimeout(() => this.armAlarms(), Math.min(next - t, ALARM_RECHECK_MS));
    this.alarmTimer.unref?.();
  }

  private stopAlarms(): void {
    if (this.alarmTimer) clearTimeout(this.alarmTimer);
    this.alarmTimer = null;
  }

  /** Restores a saved VM whose alarm is due (between host actions, never while the host is frozen). */
  private async wakeOnAlarm(name: string, alarm: string): Promise<void> {
    this.waking.add(name);
    const run = this.queue.then(() =>
      this.subject.exclusive(name, async (v) => {
        if (this.record.frozen || this.closed || v.state !== "saved" || v.alarm !== alarm) return;
        this.subject.log(`${name}: its RTC alarm (${alarm}) is due: restoring it`);
        this.subject.event(name, "alarm", { alarm });
        await this.subject.restoreVm(name);
      }),
    );
    this.queue = run.catch(() => {});
    try {
      await run;
    } catch (e) {
      this.alarmFailed.set(name, alarm);
      const message = `waking ${name} on its RTC alarm failed: ${(e as Error).message}`;
      this.subject.log(message);
      this.subject.event(name, "alarm-failed", { alarm, message });
    } finally {
      this.waking.delete(name);
    }
  }

  close(): void {
    this.closed = true;
    this.stopAlarms();
  }
}
