// The Dormouse daemon: the named VMs of one state directory behind the control API (HTTP/1.1 +
// JSON on a unix socket, openapi.ts). It keeps every VM's record and state in memory (so `list`
// answers at once with thousands of VMs), runs each VM in a process of its own (supervisor.ts)
// and relays their events to GET /events. It holds no VM state a restart would lose: the state
// directory and the VM processes have it all, and a new daemon re-adopts the live processes.
//
// A VM's states, as the API shows them (design.md, "Control plane"):
//   created ─start─▶ running ⇄ paused (PUT state); running ─SYSTEM_SUSPEND─▶ suspended ─wake─▶ running
//   suspended ─(on-suspend save, or action save)─▶ saved ─start|wakeup─▶ running
//   running ─SYSTEM_OFF2─▶ hibernated ─start (same board and disks)─▶ running (Linux resumes its image)
//   running ─poweroff | kill─▶ shutdown ─start─▶ running;  a failure ─▶ error ─start─▶ running
//   running ─host freeze─▶ frozen ─host thaw─▶ running; a suspended VM is held by a host freeze
//   (still suspended, `frozen` in its info) and wakes on the thaw if a wake source fired meanwhile;
//   a saved VM with an RTC alarm pending is restored when the alarm is due (host.ts, issue 12).
import { randomUUID } from "node:crypto";
import { chmodSync, closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readSync, rmSync, statSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { isAbsolute, join } from "node:path";
import type { Duplex } from "node:stream";
import { checkHibernation, FingerprintError } from "./fingerprint.ts";
import { currentBootId, HostControl, type HostVm } from "./host.ts";
import { ApiError, createApiServer, refuseUpgrade, type ApiRequest, type ApiResponse, type Route } from "./http.ts";
import { openApiDocument, ROUTES, type OperationId } from "./openapi.ts";
import { readLines, sendLine } from "./protocol.ts";
import {
  type ActionRequest,
  CreateVmRequest,
  HostActionRequest,
  isVmName,
  LIVE_STATES,
  type NamedVmState,
  parseAction,
  type StateRecord,
  StateRequest,
  validator,
  type VmInfo,
  type VmRecord,
  type VmSpec,
} from "./schemas.ts";
import { StateStore, StoreError } from "./store.ts";
import { adopt, alive, connectUnix, dormouseCommand, spawnVmProcess, type SpawnMode, VmLink } from "./supervisor.ts";

export interface DaemonOptions {
  stateDir: string;
  /** Largest request body (default 64 KiB). */
  bodyLimit?: number;
  /** How to run `dormouse` for the VM processes (default: this checkout's bin/dormouse.mjs). */
  command?: string[];
  log?: (m: string) => void;
  /** The host's boot (default: the kernel's boot_id): a save-all of another boot is restored at start. */
  bootId?: string | null;
}

interface Entry {
  record: VmRecord;
  state: StateRecord;
  link: VmLink | null;
  /** Serialises the VM's operations (two starts never race). */
  queue: Promise<unknown>;
  /** Settles once the last link's end has been recorded. */
  closing?: Promise<void>;
}

/** An event line of GET /events. */
type EventLine = Record<string, unknown> & { vm: string; event: string; timestamp: string };

const checkCreate = validator(CreateVmRequest, "the request");
const checkState = validator(StateRequest, "the request");
const checkHostAction = validator(HostActionRequest, "the request");

const now = () => new Date().toISOString();

/** Space a file takes on the host (allocated blocks: a sparse image counts what it holds). */
function used(path: string): number {
  try {
    const st = statSync(path);
    return st.blocks * 512;
  } catch {
    return 0;
  }
}

export class Daemon {
  readonly store: StateStore;
  private readonly vms = new Map<string, Entry>();
  private server: Server | null = null;
  private readonly watchers = new Set<{ res: ServerResponse; vm: string | null }>();
  private readonly command: string[];
  private readonly log: (m: string) => void;
  private stopped = false;
  /** The host's freeze, thaw, save-all and restore-all, and the alarms of saved VMs. */
  readonly host: HostControl;
  /** The restore-all a start on a new boot of the host runs (null: none). */
  bootRestore: Promise<unknown> | null = null;

  constructor(readonly options: DaemonOptions) {
    this.store = new StateStore(options.stateDir);
    this.command = options.command ?? dormouseCommand();
    this.log = options.log ?? (() => {});
    this.host = new HostControl(
      this.store.dir,
      {
        vms: () => [...this.vms].map(([n, e]) => this.hostVm(n, e)),
        vm: (n) => {
          const e = this.vms.get(n);
          return e ? this.hostVm(n, e) : null;
        },
        exclusive: (n, fn) => {
          const e = this.vms.get(n);
          if (!e) return Promise.reject(new ApiError(404, `no VM named "${n}"`));
          return this.exclusive(e, async () => {
            await this.settled(e);
            if (this.vms.get(n) !== e) throw new ApiError(404, `no VM named "${n}"`);
            return fn(this.hostVm(n, e));
          });
        },
        freezeVm: (n) => this.hostCommand(n, "freeze"),
        thawVm: (n) => this.hostCommand(n, "thaw"),
        saveVm: async (n) => {
          const e = this.entry(n);
          await this.act(n, e, { action: "save" });
          return this.hostVm(n, e);
        },
        restoreVm: async (n) => {
          const e = this.entry(n);
          if (e.state.state !== "saved" || !e.state.snapshot) throw new ApiError(409, `cannot restore a VM that is ${e.state.state}`);
          await this.launch(n, e, { mode: "restore", snapshot: e.state.snapshot });
          return this.hostVm(n, e);
        },
        log: (m) => this.log(m),
        event: (vm, event, fields) => this.broadcast({ vm, event, timestamp: now(), ...fields }),
      },
      options.bootId === undefined ? currentBootId() : options.bootId,
    );
  }

  private hostVm(name: string, e: Entry): HostVm {
    const s = e.state;
    return {
      name,
      state: s.state,
      frozenFrom: s.frozenFrom ?? null,
      alarm: s.alarm ?? null,
      ...(s.savedAs ? { savedAs: s.savedAs } : {}),
    };
  }

  /** Freeze or thaw in the VM's process; the entry follows its answer. */
  private async hostCommand(name: string, cmd: "freeze" | "thaw"): Promise<HostVm> {
    const e = this.entry(name);
    const link = e.link;
    const r = await this.command_(e, { cmd });
    const held = r.frozenFrom === "running" || r.frozenFrom === "suspended" ? r.frozenFrom : undefined;
    if (link?.current(r)) e.state = { ...e.state, frozenFrom: held };
    return this.hostVm(name, e);
  }

  get socketPath(): string {
    return this.store.apiSocket;
  }

  /** Loads every VM, re-adopts the live processes, and listens on the API socket. */
  async start(): Promise<void> {
    this.store.ensure();
    chmodSync(this.store.dir, 0o700);
    // One daemon per state directory: a socket someone answers on is another daemon's.
    if (existsSync(this.socketPath)) {
      const other = await connectUnix(this.socketPath, 1000).then(
        (s) => (s.destroy(), true),
        () => false,
      );
      if (other) throw new StoreError(`a daemon is already serving ${this.socketPath}`);
      rmSync(this.socketPath, { force: true });
    }
    this.host.load();
    await this.load();
    this.host.armAlarms();
    const routes = this.routes();
    this.server = createApiServer(routes, {
      bodyLimit: this.options.bodyLimit ?? 64 << 10,
      onUpgrade: (req, socket, head) => void this.upgrade(req, socket, head),
      log: this.log,
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // The socket is made 0600 by the umask at bind time: no moment where others could connect.
      const umask = process.umask(0o177);
      server.listen(this.socketPath, () => {
        process.umask(umask);
        resolve();
      });
    });
    chmodSync(this.socketPath, 0o600);
    this.log(`serving ${this.vms.size} VMs on ${this.socketPath}`);
    this.bootRestore = this.host.restoreAfterBoot();
  }

  /** Stops serving; the VM processes go on (a new daemon re-adopts them). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.host.close();
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    for (const e of this.vms.values()) e.link?.close();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  // ---- VMs in memory --------------------------------------------------------------------------

  private async load(): Promise<void> {
    const adoptions: Promise<void>[] = [];
    for (const name of this.store.names()) {
      let record: VmRecord;
      try {
        record = this.store.readRecord(name);
      } catch (e) {
        // A folder without a record (disks kept by a delete) is not a VM; an unreadable record is logged.
        if (!/ENOENT|is not JSON/.test((e as Error).message) || existsSync(join(this.store.vmDir(name), "state.json")))
          this.log(`skipping ${name}: ${(e as Error).message}`);
        continue;
      }
      let state: StateRecord;
      try {
        state = this.store.readState(name);
      } catch (e) {
        state = { version: 1, state: "error", since: now(), error: `its state record is unreadable: ${(e as Error).message}` };
      }
      const entry: Entry = { record, state, link: null, queue: Promise.resolve() };
      this.vms.set(name, entry);
      if (state.pid) adoptions.push(this.readopt(name, entry));
    }
    await Promise.all(adoptions);
  }

  /** After a restart: reconnects to a VM process the record names, or records that it is gone. */
  private async readopt(name: string, e: Entry): Promise<void> {
    const found = await adopt(e.state, e.record.uuid);
    if (found) {
      this.attach(name, e, found.link);
      await found.link.subscribe((ev) => this.onEvent(name, e, ev), false);
      const s = await found.link.request({ cmd: "status" }, 5000);
      const held = s.frozenFrom === "running" || s.frozenFrom === "suspended" ? s.frozenFrom : undefined;
      if (found.link.current(s))
        e.state = {
          ...e.state,
          state: s.state as NamedVmState,
          since: String(s.since),
          alarm: (s.alarm as string | null) ?? null,
          frozenFrom: held,
        };
      this.log(`re-adopted ${name} (pid ${e.state.pid}, ${e.state.state})`);
      return;
    }
    // The process is gone: its last record stands if it was final, else the VM failed meanwhile.
    const fresh = this.reread(name, e);
    if (fresh.pid && LIVE_STATES.includes(fresh.state)) this.failed(name, e, "the VM's process ended while the daemon was not running");
    else if (fresh.pid) {
      e.state = { ...fresh, pid: undefined, socket: undefined, socketIno: undefined };
      this.store.writeState(name, e.state);
    }
  }

  private reread(name: string, e: Entry): StateRecord {
    try {
      e.state = this.store.readState(name);
    } catch (err) {
      e.state = { version: 1, state: "error", since: now(), error: (err as Error).message };
    }
    return e.state;
  }

  private failed(name: string, e: Entry, message: string): void {
    e.state = { version: 1, state: "error", since: now(), alarm: null, error: message };
    this.store.writeState(name, e.state);
    this.broadcast({ vm: name, event: "error", timestamp: now(), message });
  }

  /** Takes over a link: events update the entry; when it closes the final record is read back. */
  private attach(name: string, e: Entry, link: VmLink): void {
    e.link = link;
    link.onAlarm = (alarm) => {
      if (e.link === link) e.state = { ...e.state, alarm };
    };
    e.closing = link.closed.then(async () => {
      // A daemon that stops closes its links: the VM processes go on.
      if (e.link !== link || this.stopped) return;
      const pid = e.state.pid;
      let s = this.reread(name, e);
      // Still recorded as live by the process that just went away: it died (crash, OOM, killed),
      // or it hangs without its socket (then it is ended). A dead child may take a moment to be reaped.
      if (s.pid === pid && LIVE_STATES.includes(s.state)) {
        for (let i = 0; i < 40 && pid && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
        s = this.reread(name, e);
        if (s.pid === pid && LIVE_STATES.includes(s.state)) {
          if (pid && alive(pid)) process.kill(pid, "SIGKILL");
          if (this.vms.get(name) === e) this.failed(name, e, `the VM's process ended unexpectedly (pid ${pid})`);
        }
      }
      if (e.link === link) e.link = null;
      // A VM saved with an RTC alarm pending is woken when it is due.
      this.host.armAlarms();
    });
  }

  private onEvent(name: string, e: Entry, ev: Record<string, unknown> & { event: string; timestamp: string }): void {
    this.broadcast({ ...ev, vm: name });
    // The process's state.json is the truth; the in-memory copy follows its events.
    const next = stateAfter(ev, e.state.state);
    if (next && next !== e.state.state) e.state = { ...e.state, state: next, since: ev.timestamp };
    if (ev.event === "error" && typeof ev.message === "string") e.state = { ...e.state, error: ev.message };
    if (next === "saved" && typeof ev.path === "string") e.state = { ...e.state, snapshot: ev.path };
    if (ev.event === "frozen" && (ev.from === "running" || ev.from === "suspended")) e.state = { ...e.state, frozenFrom: ev.from };
    if (ev.event === "thawed") e.state = { ...e.state, frozenFrom: undefined };
  }

  private broadcast(line: EventLine): void {
    const { vm, event, timestamp, ...fields } = line;
    const text = `${JSON.stringify({ vm, event, timestamp, ...fields })}\n`;
    for (const w of this.watchers) {
      if (w.vm && w.vm !== line.vm) continue;
      // A watcher that does not read is dropped rather than buffered without bound.
      if (w.res.writableLength > 1 << 20) {
        w.res.destroy();
        this.watchers.delete(w);
      } else w.res.write(text);
    }
  }

  private entry(name: string): Entry {
    const e = isVmName(name) ? this.vms.get(name) : undefined;
    if (!e) throw new ApiError(404, `no VM named "${name}"`);
    return e;
  }

  /** A VM whose process is ending (its state final already): waits until that end is recorded. */
  private async settled(e: Entry): Promise<void> {
    if (e.link && !LIVE_STATES.includes(e.state.state)) await e.closing;
  }

  private exclusive<T>(e: Entry, op: () => Promise<T>): Promise<T> {
    const run = e.queue.then(op);
    e.queue = run.catch(() => {});
    return run;
  }

  private info(name: string, e: Entry, withSpec = false): VmInfo {
    const s = e.state;
    const spec = e.record.spec;
    let disk = spec.disks.reduce((a, d) => a + used(d.path), 0);
    if (s.state === "saved" && s.snapshot) disk += used(s.snapshot);
    return {
      name,
      uuid: e.record.uuid,
      state: s.state,
      since: s.since,
      memoryMiB: spec.memoryMiB,
      cpus: spec.cpus,
      diskBytes: disk,
      alarm: s.alarm ?? null,
      pid: e.link && s.pid && LIVE_STATES.includes(s.state) ? s.pid : null,
      frozen: s.frozenFrom !== undefined,
      ...(s.state === "error" && s.error ? { error: s.error } : {}),
      ...(withSpec ? { spec } : {}),
    };
  }

  // ---- Routes ---------------------------------------------------------------------------------

  private routes(): Route[] {
    const handlers: Record<OperationId, (r: ApiRequest) => Promise<ApiResponse> | ApiResponse> = {
      listVms: () => ({ status: 200, body: { vms: [...this.vms].map(([n, e]) => this.info(n, e)) } }),
      createVm: (r) => this.create(r.body),
      getVm: (r) => ({ status: 200, body: this.info(r.params.name, this.entry(r.params.name), true) }),
      deleteVm: (r) => this.remove(r.params.name, r.query),
      putVmState: (r) => this.putState(r.params.name, r.body),
      vmAction: (r) => this.action(r.params.name, r.body),
      vmConsole: (r) => this.consoleText(r.params.name),
      events: (r) => this.events(r),
      getHost: () => ({ status: 200, body: this.host.info() }),
      hostAction: async (r) => {
        if (r.body === undefined) throw new ApiError(400, "the request has no JSON body");
        return { status: 200, body: await this.host.act(checkHostAction(r.body).action) };
      },
      openapi: () => ({ status: 200, body: openApiDocument() }),
    };
    return ROUTES.map((d) => ({ method: d.method, path: d.path, handler: handlers[d.id] }));
  }

  private async create(body: unknown): Promise<ApiResponse> {
    if (body === undefined) throw new ApiError(400, "the request has no JSON body");
    const req = checkCreate(body);
    const files: [string, string | undefined][] = [
      ["kernel", req.kernel],
      ["initrd", req.initrd],
      ["dtb", req.dtb],
    ];
    for (const [what, p] of files) {
      if (p === undefined) continue;
      if (!isAbsolute(p)) throw new ApiError(400, `the ${what} path must be absolute: ${p}`);
      let st;
      try {
        st = statSync(p);
      } catch (e) {
        throw new ApiError(
          400,
          `cannot use ${p} as the ${what}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as NodeJS.ErrnoException).code}`,
        );
      }
      if (!st.isFile()) throw new ApiError(400, `cannot use ${p} as the ${what}: not a regular file`);
    }
    const disks = req.disks ?? [];
    for (const [i, d] of disks.entries()) {
      if ((d.path === undefined) === (d.sizeMiB === undefined))
        throw new ApiError(400, `disks[${i}] takes exactly one of path and sizeMiB`);
      if (d.path !== undefined) {
        if (!isAbsolute(d.path)) throw new ApiError(400, `the disk path must be absolute: ${d.path}`);
        let st;
        try {
          st = statSync(d.path);
        } catch {
          throw new ApiError(400, `the disk ${d.path} does not exist (give sizeMiB to make a new one)`);
        }
        if (!st.isFile()) throw new ApiError(400, `the disk ${d.path} is not a regular file`);
      }
    }
    if (this.vms.has(req.name) || !this.store.claim(req.name)) throw new ApiError(409, `a VM named "${req.name}" exists already`);
    const uuid = randomUUID();
    const dir = this.store.vmDir(req.name);
    try {
      const spec: VmSpec = {
        kernel: req.kernel,
        ...(req.initrd ? { initrd: req.initrd } : {}),
        ...(req.dtb ? { dtb: req.dtb } : {}),
        append: req.append ?? "console=ttyAMA0",
        memoryMiB: req.memoryMiB ?? 512,
        cpus: req.cpus ?? 1,
        disks: disks.map((d, i) => {
          const serial = `dm${uuid.slice(0, 8)}-${i}`;
          if (d.path !== undefined) return { path: d.path, readOnly: d.readOnly ?? false, serial, owned: false };
          const path = join(dir, `disk${i}-${uuid.slice(0, 8)}.img`);
          const fd = openSync(path, "wx", 0o600);
          try {
            ftruncateSync(fd, (d.sizeMiB as number) * 1048576);
          } finally {
            closeSync(fd);
          }
          return { path, readOnly: d.readOnly ?? false, serial, owned: true };
        }),
        onSuspend: req.onSuspend ?? "honour",
        rng: req.rng ?? true,
      };
      const record: VmRecord = { version: 1, name: req.name, uuid, created: now(), spec };
      const state: StateRecord = { version: 1, state: "created", since: record.created, alarm: null };
      this.store.writeState(req.name, state);
      this.store.writeRecord(record);
      const e: Entry = { record, state, link: null, queue: Promise.resolve() };
      this.vms.set(req.name, e);
      return { status: 201, body: this.info(req.name, e) };
    } catch (err) {
      this.store.remove(req.name, [], true);
      throw err instanceof ApiError ? err : new ApiError(500, `cannot record the VM: ${(err as Error).message}`);
    }
  }

  private async remove(name: string, query: URLSearchParams): Promise<ApiResponse> {
    const e = this.entry(name);
    for (const k of query.keys()) if (k !== "disks") throw new ApiError(400, `unknown query parameter "${k}"`);
    const disks = query.get("disks");
    if (disks !== null && disks !== "true" && disks !== "false") throw new ApiError(400, 'disks is "true" or "false"');
    return this.exclusive(e, async () => {
      await this.settled(e);
      if (this.vms.get(name) !== e) throw new ApiError(404, `no VM named "${name}"`);
      if (LIVE_STATES.includes(e.state.state) || e.link)
        throw new ApiError(409, `cannot delete a VM that is ${e.state.state}: kill it first (or power it off)`);
      this.vms.delete(name);
      this.host.armAlarms();
      const owned = e.record.spec.disks.filter((d) => d.owned).map((d) => d.path);
      this.store.remove(name, owned, disks === "true");
      return { status: 204 };
    });
  }

  private async putState(name: string, body: unknown): Promise<ApiResponse> {
    const e = this.entry(name);
    if (body === undefined) throw new ApiError(400, "the request has no JSON body");
    const { state } = checkState(body);
    return this.exclusive(e, async () => {
      await this.settled(e);
      const cur = e.state.state;
      if (cur !== state) {
        if (state === "paused" && cur === "running") await this.command_(e, { cmd: "pause" });
        else if (state === "running" && cur === "paused") {
          this.host.refuseWhileFrozen("resume a VM");
          await this.command_(e, { cmd: "resume" });
        } else {
          const hint =
            cur === "suspended" || cur === "saved"
              ? " (wake it with the wakeup action)"
              : cur === "created" || cur === "shutdown"
                ? " (start it)"
                : "";
          throw new ApiError(409, `cannot ${state === "paused" ? "pause" : "resume"} a VM that is ${cur}${hint}`);
        }
      }
      return { status: 200, body: this.info(name, e) };
    });
  }

  /** A command to the VM's process; 409 naming the state when it has none. */
  private async command_(e: Entry, c: Parameters<VmLink["request"]>[0], what: string = c.cmd): Promise<Record<string, unknown>> {
    if (!e.link) throw new ApiError(409, `cannot ${what} a VM that is ${e.state.state}`);
    const link = e.link;
    const r = await link.request(c);
    // An event read after the reply (the guest moved on meanwhile) is newer than the state it carries.
    if (typeof r.state === "string" && link.current(r)) e.state = { ...e.state, state: r.state as NamedVmState };
    return r;
  }

  private async action(name: string, body: unknown): Promise<ApiResponse> {
    const e = this.entry(name);
    if (body === undefined) throw new ApiError(400, "the request has no JSON body");
    const a = parseAction(body);
    return this.exclusive(e, async () => {
      await this.settled(e);
      const result = await this.act(name, e, a);
      return { status: 200, body: { vm: this.info(name, e), ...result } };
    });
  }

  private async act(name: string, e: Entry, a: ActionRequest): Promise<Record<string, unknown>> {
    const state = e.state.state;
    const pick = (r: Record<string, unknown>) => ({
      ...(typeof r.path === "string" ? { path: r.path } : {}),
      ...(typeof r.bytes === "number" ? { bytes: r.bytes } : {}),
      ...(typeof r.seconds === "number" ? { seconds: r.seconds } : {}),
    });
    switch (a.action) {
      case "start":
        await this.startVm(name, e, a);
        return {};
      case "restore": {
        if (!["created", "shutdown", "error"].includes(state))
          throw new ApiError(409, `cannot restore into a VM that is ${state} (only created, shut down or failed VMs)`);
        if (!isAbsolute(a.path)) throw new ApiError(400, `the snapshot path must be absolute: ${a.path}`);
        if (!existsSync(a.path)) throw new ApiError(400, `no snapshot at ${a.path}`);
        this.host.refuseWhileFrozen("restore a VM");
        await this.launch(name, e, { mode: "restore", snapshot: a.path });
        return {};
      }
      case "wakeup":
        if (state === "saved") {
          await this.startVm(name, e, { action: "start" });
          return {};
        }
        await this.command_(e, { cmd: "wakeup" }, "wake up");
        return {};
      case "powerdown":
        await this.command_(e, { cmd: "powerdown" }, "press the power button of");
        return {};
      case "sleep":
        await this.command_(e, { cmd: "sleep" }, "press the sleep button of");
        return {};
      case "reset":
        await this.command_(e, { cmd: "reset" });
        return {};
      case "kill": {
        const link = e.link;
        const pid = e.state.pid;
        await this.command_(e, { cmd: "kill" });
        await this.ended(e, link, pid);
        return {};
      }
      case "snapshot": {
        const path = a.path ?? join(this.store.vmDir(name), "snapshots", `${now().replace(/[:.]/g, "-")}.snap`);
        if (!isAbsolute(path)) throw new ApiError(400, `the snapshot path must be absolute: ${path}`);
        if (a.path === undefined) mkdirSync(join(this.store.vmDir(name), "snapshots"), { recursive: true, mode: 0o700 });
        return pick(await this.command_(e, { cmd: "snapshot", path }));
      }
      case "save": {
        const link = e.link;
        const pid = e.state.pid;
        const r = await this.command_(e, { cmd: "save" });
        await this.ended(e, link, pid);
        return pick(r);
      }
    }
  }

  /** Waits for a VM process to end after a kill or save (SIGKILL after 30 s), then for its final record to be read. */
  private async ended(e: Entry, link: VmLink | null, pid: number | undefined): Promise<void> {
    if (!link) return;
    const t = setTimeout(() => {
      if (pid && alive(pid)) process.kill(pid, "SIGKILL");
    }, 30_000);
    await link.closed;
    clearTimeout(t);
    await e.closing;
  }

  private async startVm(name: string, e: Entry, a: Extract<ActionRequest, { action: "start" }>): Promise<void> {
    const state = e.state.state;
    this.host.refuseWhileFrozen(state === "saved" ? "wake a saved VM" : "start a VM");
    const spec: VmSpec = {
      ...e.record.spec,
      ...(a.memoryMiB !== undefined ? { memoryMiB: a.memoryMiB } : {}),
      ...(a.cpus !== undefined ? { cpus: a.cpus } : {}),
      ...(a.append !== undefined ? { append: a.append } : {}),
    };
    const changed = JSON.stringify(spec) !== JSON.stringify(e.record.spec);
    let mode: SpawnMode;
    if (state === "saved") {
      if (changed) throw new ApiError(409, "cannot start a saved VM with a different board: it continues on the board it was saved from");
      if (!e.state.snapshot) throw new ApiError(409, "the saved VM's snapshot is not recorded");
      mode = { mode: "restore", snapshot: e.state.snapshot, wake: true };
    } else if (state === "hibernated") {
      if (a.discardHibernation) mode = { mode: "boot", noresume: true };
      else {
        if (!e.state.hibernation) throw new ApiError(409, "the hibernated VM's board is not recorded: start it with --discard-hibernation");
        try {
          checkHibernation(e.state.hibernation, spec);
        } catch (err) {
          if (err instanceof FingerprintError) throw new ApiError(409, `cannot start ${name}: ${err.message}`);
          throw err;
        }
        mode = { mode: "boot" };
      }
    } else if (state === "created" || state === "shutdown" || state === "error") mode = { mode: "boot" };
    else throw new ApiError(409, `cannot start a VM that is ${state}`);
    if (changed) {
      e.record = { ...e.record, spec };
      this.store.writeRecord(e.record);
    }
    await this.launch(name, e, mode);
  }

  /** Starts the VM's process, subscribes to its events, and tells it to go. */
  private async launch(name: string, e: Entry, mode: SpawnMode): Promise<void> {
    if (e.link) throw new ApiError(409, `cannot start a VM that is ${e.state.state}`);
    const { pid, link } = await spawnVmProcess(this.store, name, mode, this.command);
    e.state = { ...e.state, pid };
    this.attach(name, e, link);
    await link.subscribe((ev) => this.onEvent(name, e, ev), true);
    try {
      const r = await link.request({ cmd: "go" });
      // A guest that suspends (or powers off) at once has its event read before this line runs.
      if (link.current(r))
        e.state = { ...e.state, state: r.state as NamedVmState, since: String(r.since), alarm: (r.alarm as string | null) ?? null };
      this.host.armAlarms();
    } catch (err) {
      await link.closed;
      await e.closing;
      throw err instanceof ApiError && err.status >= 500 ? new ApiError(400, `cannot start ${name}: ${err.message}`) : err;
    }
  }

  // ---- Streams ----------------------------------------------------------------------------

  private events(r: ApiRequest): ApiResponse {
    for (const k of r.query.keys()) if (k !== "vm") throw new ApiError(400, `unknown query parameter "${k}"`);
    const vm = r.query.get("vm");
    if (vm !== null) this.entry(vm);
    r.res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
    r.res.flushHeaders();
    const w = { res: r.res, vm };
    this.watchers.add(w);
    r.raw.socket.setTimeout(0);
    r.res.on("close", () => this.watchers.delete(w));
    return "stream";
  }

  private consoleText(name: string): ApiResponse {
    this.entry(name);
    const path = join(this.store.vmDir(name), "console.log");
    let text = "";
    try {
      const fd = openSync(path, "r");
      try {
        const size = statSync(path).size;
        const n = Math.min(size, 64 << 10);
        const buf = Buffer.alloc(n);
        readSync(fd, buf, 0, n, size - n);
        text = buf.toString("latin1");
      } finally {
        closeSync(fd);
      }
    } catch {
      // no output yet
    }
    return { status: 200, text };
  }

  /** GET /vms/{name}/console with Connection: Upgrade: the console's bytes both ways. */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const m = /^\/vms\/([^/?]+)\/console(?:\?.*)?$/.exec(req.url ?? "");
    if (!m) return refuseUpgrade(socket, 404, "only /vms/{name}/console is an upgrade");
    if (req.method !== "GET") return refuseUpgrade(socket, 405, "the console upgrade is a GET");
    let name: string;
    try {
      name = decodeURIComponent(m[1]);
    } catch {
      return refuseUpgrade(socket, 400, "the path's name is not valid percent-encoding");
    }
    const e = isVmName(name) ? this.vms.get(name) : undefined;
    if (!e) return refuseUpgrade(socket, 404, `no VM named "${name}"`);
    if (!e.link) return refuseUpgrade(socket, 409, `the VM is ${e.state.state}: its console is there while it has a process`);
    let vm;
    try {
      vm = await connectUnix(this.store.vmSocket(e.record.uuid), 5000);
    } catch {
      return refuseUpgrade(socket, 409, "the VM's process does not answer");
    }
    vm.on("error", () => socket.destroy());
    socket.on("error", () => vm.destroy());
    sendLine(vm, { id: 1, cmd: "console" });
    const stop = readLines(vm, (msg) => {
      const rest = stop();
      if (!(msg as { ok?: boolean })?.ok) {
        vm.destroy();
        return refuseUpgrade(socket, 409, "the VM's console is not available");
      }
      socket.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: console\r\nconnection: Upgrade\r\n\r\n");
      if (rest.length) socket.write(rest);
      if (head.length) vm.write(head);
      vm.pipe(socket);
      socket.pipe(vm);
      socket.on("close", () => vm.destroy());
      vm.on("close", () => socket.destroy());
    });
  }
}

/** The state an event leaves a VM in (null: unchanged). */
function stateAfter(ev: { event: string; state?: unknown; from?: unknown; to?: unknown }, cur: NamedVmState): NamedVmState | null {
  switch (ev.event) {
    case "started":
    case "resumed":
    case "woken":
    case "reset":
      return "running";
    case "paused":
      return "paused";
    case "suspended":
      return "suspended";
    case "restored":
      return typeof ev.state === "string" ? (ev.state as NamedVmState) : null;
    case "saved":
      return ev.state === "suspended" && cur === "suspended" ? "saved" : null;
    case "hibernated":
      return "hibernated";
    case "frozen":
      return ev.from === "running" ? "frozen" : null;
    case "thawed":
      return typeof ev.to === "string" ? (ev.to as NamedVmState) : null;
    case "shutdown":
      return "shutdown";
    case "error":
      return "error";
    default:
      return null;
  }
}
