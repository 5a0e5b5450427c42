// One named VM in a process of its own (`dormouse vm-process`, started detached by the daemon's
// supervisor): a VM's crash or out-of-memory ends only this process, and it outlives the daemon,
// which re-adopts it through its socket. The process builds the VM object from the VM's record
// — booted from its spec, or restored from a snapshot — and serves the protocol of protocol.ts:
// commands, the VM's events (replayed to a subscriber that asks, so none is lost between the
// start and the daemon's subscription), and the serial console (a backlog of recent output,
// console.log in the VM's folder, any number of attached clients). Its state.json is rewritten on
// every event; when the VM reaches a final state (shutdown, hibernated, saved, error) the
// process records it (a hibernated VM with the fingerprint of its board and disks) and exits.
import { closeSync, type FSWatcher, fstatSync, openSync, readFileSync, renameSync, rmSync, statSync, watch, writeSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { nodeHost } from "../host/node/index.ts";
import { isLinuxImage, maybeGunzip } from "../machine/linux.ts";
import type { VmEvent } from "../vmm/events.ts";
import { FINAL_STATES, type SavedRunState, VmStateError } from "../vmm/events.ts";
import { checkDisks, readSnapshot } from "../vmm/snapshot.ts";
import { VirtualMachine, type VmmHost } from "../vmm/virtual-machine.ts";
import { hibernationOf } from "./fingerprint.ts";
import { readLines, sendLine, type VmCommand, type VmStatus } from "./protocol.ts";
import type { NamedVmState, StateRecord, VmRecord } from "./schemas.ts";
import { StateStore } from "./store.ts";

/** How the process starts its VM. */
export interface VmProcessOptions {
  stateDir: string;
  name: string;
  /** boot: from the spec (a fresh boot, or a hibernated VM's board); restore: from `snapshot`. */
  mode: "boot" | "restore";
  snapshot?: string;
  /** After a restore: a paused VM is resumed and a suspended one woken (a saved VM's start). */
  wake?: boolean;
  /** Boot with `noresume` added to the command line (a hibernated VM started fresh). */
  noresume?: boolean;
}

/** Console output kept for a client that attaches. */
const BACKLOG = 64 << 10;
/** console.log is moved to console.log.1 past this size. */
const CONSOLE_LOG_MAX = 8 << 20;
/** Events kept for a subscriber that asks for a replay. */
const KEPT_EVENTS = 256;
/** A console client that has not read this much output is disconnected (the guest is never held for one). */
const CLIENT_LAG = 4 << 20;

/** The serial console's output: a backlog, console.log, and the attached clients. */
class ConsoleHub {
  private backlog: Buffer[] = [];
  private backlogBytes = 0;
  private fd: number;
  private logBytes: number;
  readonly clients = new Set<Socket>();

  constructor(private readonly logPath: string) {
    this.fd = openSync(logPath, "a", 0o600);
    this.logBytes = fstatSync(this.fd).size;
  }

  write(bytes: Uint8Array): boolean {
    const b = Buffer.from(bytes);
    this.backlog.push(b);
    this.backlogBytes += b.length;
    while (this.backlogBytes - this.backlog[0].length >= BACKLOG) this.backlogBytes -= (this.backlog.shift() as Buffer).length;
    try {
      if (this.logBytes + b.length > CONSOLE_LOG_MAX) {
        closeSync(this.fd);
        renameSync(this.logPath, `${this.logPath}.1`);
        this.fd = openSync(this.logPath, "a", 0o600);
        this.logBytes = 0;
      }
      writeSync(this.fd, b);
      this.logBytes += b.length;
    } catch {
      // A full disk loses console.log lines, never the VM.
    }
    for (const c of this.clients) {
      if (c.writableLength > CLIENT_LAG) c.destroy();
      else c.write(b);
    }
    return true;
  }

  /** The recent output, for a client attaching now. */
  recent(): Buffer {
    const all = Buffer.concat(this.backlog);
    return all.subarray(Math.max(0, all.length - BACKLOG));
  }

  onDrain(): void {}

  close(): void {
    for (const c of this.clients) c.end();
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
  }
}

/** The states a VM never leaves (its process then records it and exits). */
const final_: readonly string[] = FINAL_STATES;

/** The guest's pending RTC alarm (the PL031's armed match), as an ISO time. */
function pendingAlarm(vm: VirtualMachine): string | null {
  const at = vm.board.rtc.pendingAlarm();
  return at === null ? null : new Date(at * 1000).toISOString();
}

/** The error status a failed command is answered with. */
function statusOf(e: unknown): number {
  if (e instanceof VmStateError) return 409;
  const name = (e as Error)?.constructor?.name ?? "";
  return ["SnapshotError", "DiskError", "ImageError", "HvError"].includes(name) ? 400 : 500;
}

/** Builds the VM this process runs: from the spec, or from a snapshot (its disks checked). */
function buildVm(record: VmRecord, o: VmProcessOptions, host: VmmHost, hub: ConsoleHub, savedPath: string) {
  const spec = record.spec;
  const policy = { onSuspend: spec.onSuspend, snapshotPath: savedPath };
  const board = {
    cpus: spec.cpus,
    ramSize: spec.memoryMiB << 20,
    bootargs: o.noresume ? `${spec.append} noresume` : spec.append,
    psciConduit: "hvc" as const,
    clock: "host" as const,
    systemSuspend: true,
    disks: spec.disks.map((d) => ({ path: d.path, readOnly: d.readOnly, serial: d.serial })),
    rng: spec.rng,
  };
  if (o.mode === "restore") {
    const path = o.snapshot as string;
    const snap = readSnapshot(path, host.snapshots);
    checkDisks(snap, (p) => host.blocks.identify(p));
    const vm = new VirtualMachine({ board: snap.header.config }, host, { policy, console: hub });
    return { vm, go: () => vm.restore(snap, path, { into: "saved" }) };
  }
  const read = (p: string) => {
    try {
      return readFileSync(p);
    } catch (e) {
      throw new Error(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  };
  // A Linux Image (plain or gzip'd), else a bare-metal ELF or flat binary (test guests).
  const kernel = read(spec.kernel);
  const image = isLinuxImage(maybeGunzip(kernel, host.gunzip))
    ? {
        kind: "linux" as const,
        kernel,
        initrd: spec.initrd ? read(spec.initrd) : undefined,
        dtb: spec.dtb ? read(spec.dtb) : undefined,
      }
    : { kind: "binary" as const, bytes: kernel };
  const vm = new VirtualMachine({ board, image }, host, { policy, console: hub });
  return {
    vm,
    go: async () => {
      vm.start();
    },
  };
}

/** Runs the VM process; resolves with its exit code once the VM has ended and been recorded. */
export async function vmProcess(o: VmProcessOptions): Promise<number> {
  const store = new StateStore(o.stateDir);
  const record = store.readRecord(o.name);
  const dir = store.vmDir(o.name);
  const savedPath = join(dir, "saved.snap");
  const socketPath = store.vmSocket(record.uuid);
  const before = store.readState(o.name);
  let state: NamedVmState = before.state;
  let since = before.since;
  let alarm: string | null = before.alarm ?? null;
  let lastError: string | undefined;
  let snapshotPath: string | undefined = before.snapshot;
  let savedAs: SavedRunState | undefined = before.savedAs;
  let socketIno = 0;
  /** A save that ends the process (the save action): the stop after it is not a shutdown. */
  let savingAway = false;
  /** The VM's folder is gone (its state directory deleted): the VM ends with nothing to record. */
  let orphaned = false;
  let started = false;
  const host = nodeHost();
  const hub = new ConsoleHub(join(dir, "console.log"));
  const events: VmEvent[] = [];
  const subscribers = new Set<Socket>();

  /** Held by a host freeze: the state a thaw returns the VM to. */
  const frozenFrom = (): "running" | "suspended" | null =>
    vm?.frozen && !final_.includes(vm.state) ? (vm.state === "frozen" ? "running" : "suspended") : null;
  const stateRecord = (final: boolean): StateRecord => {
    const held = final ? null : frozenFrom();
    return {
      version: 1,
      state,
      since,
      ...(final ? {} : { pid: process.pid, socket: socketPath, socketIno }),
      alarm,
      ...(lastError ? { error: lastError } : {}),
      ...(state === "saved" && snapshotPath ? { snapshot: snapshotPath, ...(savedAs ? { savedAs } : {}) } : {}),
      ...(held ? { frozenFrom: held } : {}),
    };
  };
  const record_ = (final = false) => {
    if (!orphaned) store.writeState(o.name, stateRecord(final));
  };
  const setState = (s: NamedVmState) => {
    if (s !== state) since = new Date().toISOString();
    state = s;
  };

  let built: ReturnType<typeof buildVm> | null = null;
  let buildError: unknown = null;
  try {
    built = buildVm(record, o, host, hub, savedPath);
  } catch (e) {
    buildError = e;
  }
  const vm = built?.vm ?? null;

  let ended!: () => void;
  const done = new Promise<void>((r) => {
    ended = r;
  });

  if (vm) {
    vm.on((e) => {
      if (savingAway && e.event === "shutdown") return;
      if (e.event === "error") lastError = e.message;
      if (e.event === "saved" && (e.state === "suspended" || savingAway)) {
        snapshotPath = e.path;
        savedAs = e.state;
      }
      setState(vm.state);
      const was = alarm;
      if (vm.state !== "created") alarm = pendingAlarm(vm);
      events.push(e);
      if (events.length > KEPT_EVENTS) events.shift();
      for (const s of subscribers) sendLine(s, { event: e });
      if (alarm !== was) for (const s of subscribers) sendLine(s, { alarm });
      if (!final_.includes(vm.state)) record_();
    });
    void vm.finished.then(async (final) => {
      setState(savingAway ? "saved" : final);
      vm.close();
      if (orphaned) return ended();
      try {
        if (final === "hibernated") {
          const h = hibernationOf(record.spec);
          store.writeState(o.name, { ...stateRecord(true), hibernation: h });
        } else record_(true);
      } catch (e) {
        lastError = `recording the final state failed: ${(e as Error).message}`;
        state = "error";
        record_(true);
      }
      ended();
    });
  }

  // The alarm is the guest's to change while it runs: looked at once a second then, recorded when
  // it moves (a suspended, paused or frozen guest changes nothing: its process sleeps undisturbed).
  const alarmTimer = setInterval(() => {
    if (!vm || !started || vm.state !== "running") return;
    const a = pendingAlarm(vm);
    if (a !== alarm) {
      alarm = a;
      record_();
      for (const s of subscribers) sendLine(s, { alarm });
    }
  }, 1000);

  // A VM whose folder is deleted under it (its state directory removed, or another VM of its
  // name made there since) has no daemon that could ever find it again: it ends rather than run
  // on as an orphan. Watched (inotify) and looked at every 10 s as well; gone twice, a second apart.
  const ours = () => {
    try {
      return store.readRecord(o.name).uuid === record.uuid;
    } catch {
      return false;
    }
  };
  let looking = false;
  const look = () => {
    if (orphaned || looking || ours()) return;
    looking = true;
    setTimeout(() => {
      looking = false;
      if (orphaned || ours()) return;
      orphaned = true;
      process.stderr.write(`dormouse vm-process: ${dir} is gone (its state directory was deleted): the VM ends\n`);
      if (vm && !final_.includes(vm.state)) void vm.stop().catch(() => ended());
      else ended();
    }, 1000);
  };
  const lookTimer = setInterval(look, 10_000);
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, look);
    watcher.on("error", look);
  } catch {
    // no inotify here: the timer looks
  }

  const status = (): VmStatus => ({ uuid: record.uuid, pid: process.pid, state, since, alarm, frozenFrom: frozenFrom() });

  const run = async (c: Exclude<VmCommand, { cmd: "subscribe" } | { cmd: "console" }>): Promise<Record<string, unknown> | undefined> => {
    if (c.cmd === "status") return { ...status() };
    if (c.cmd === "go") {
      if (!built) {
        setTimeout(ended, 100);
        throw buildError;
      }
      if (started) throw new VmStateError("start", vm?.state ?? "created");
      started = true;
      await built.go();
      if (o.wake && vm) {
        if (vm.state === "paused") await vm.resume();
        else if (vm.state === "suspended") {
          // The reply says "running" once the guest is woken (its vCPU resumes at its entry).
          const woken = new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 5000);
            const off = vm.on(() => {
              if (vm.state === "suspended") return;
              clearTimeout(t);
              off();
              resolve();
            });
          });
          vm.wakeup();
          await woken;
        }
      }
      // The VM's own saved state is spent once it runs again (its disks move on from it).
      if (o.mode === "restore" && o.snapshot === savedPath) {
        rmSync(savedPath, { force: true });
        snapshotPath = undefined;
      }
      return { ...status() };
    }
    if (!vm || !started) throw new VmStateError(c.cmd, "created");
    switch (c.cmd) {
      case "pause":
        await vm.pause();
        return;
      case "resume":
        await vm.resume();
        return;
      case "powerdown":
        vm.pressPowerButton();
        return;
      case "sleep":
        vm.pressSleepButton();
        return;
      case "wakeup":
        vm.wakeup();
        return;
      case "reset":
        await vm.reset();
        return;
      case "kill":
        await vm.stop();
        return;
      case "snapshot": {
        const r = vm.state === "paused" ? await vm.save(c.path, { as: "paused" }) : await vm.snapshot(c.path);
        return { path: c.path, ...r };
      }
      case "freeze": {
        // A paused VM is held already: only what it wrote is made durable (it stays paused).
        if (vm.state === "paused") return { ...status(), flushed: vm.board.flushDisks() };
        await vm.freeze();
        record_();
        return { ...status() };
      }
      case "thaw":
        if (vm.frozen) await vm.thaw();
        record_();
        return { ...status() };
      case "save": {
        if (vm.state === "frozen") {
          // Frozen with the host: saved as it is (it continues running once restored).
          savingAway = true;
          const r = await vm.save(savedPath);
          return { path: savedPath, ...r };
        }
        if (vm.state === "suspended") {
          const r = await vm.save(savedPath);
          return { path: savedPath, ...r };
        }
        if (vm.state !== "running" && vm.state !== "paused") throw new VmStateError("save", vm.state);
        const wasRunning = vm.state === "running";
        if (wasRunning) await vm.pause();
        savingAway = true;
        try {
          const r = await vm.save(savedPath, { as: wasRunning ? "running" : "paused" });
          snapshotPath = savedPath;
          await vm.stop();
          return { path: savedPath, ...r };
        } catch (e) {
          savingAway = false;
          if (wasRunning) await vm.resume();
          throw e;
        }
      }
    }
  };

  const serve = (conn: Socket) => {
    conn.on("error", () => {});
    let first = true;
    const stop = readLines(conn, (msg) => {
      const m = msg as { id?: unknown; cmd?: unknown } & Record<string, unknown>;
      const id = typeof m?.id === "number" ? m.id : 0;
      if (first && m?.cmd === "console") {
        first = false;
        const rest = stop();
        sendLine(conn, { id, ok: true });
        conn.write(hub.recent());
        hub.clients.add(conn);
        if (rest.length && vm) vm.sendConsole(rest);
        conn.on("data", (d: Buffer) => vm?.sendConsole(d));
        conn.on("close", () => hub.clients.delete(conn));
        return;
      }
      first = false;
      if (m?.cmd === "subscribe") {
        subscribers.add(conn);
        conn.on("close", () => subscribers.delete(conn));
        sendLine(conn, { id, ok: true });
        if (m.replay === true) for (const e of events) sendLine(conn, { event: e });
        return;
      }
      const known = [
        "status",
        "go",
        "pause",
        "resume",
        "powerdown",
        "sleep",
        "wakeup",
        "reset",
        "kill",
        "snapshot",
        "save",
        "freeze",
        "thaw",
      ];
      if (typeof m?.cmd !== "string" || !known.includes(m.cmd) || (m.cmd === "snapshot" && typeof m.path !== "string")) {
        sendLine(conn, { id, ok: false, status: 400, error: "unknown command" });
        return;
      }
      const reply = run(m as unknown as Exclude<VmCommand, { cmd: "subscribe" } | { cmd: "console" }>).then(
        (result) => sendLine(conn, { id, ok: true, result }),
        (e) => sendLine(conn, { id, ok: false, status: statusOf(e), error: (e as Error)?.message ?? String(e) }),
      );
      inflight.add(reply);
      void reply.finally(() => inflight.delete(reply));
    });
  };

  /** Replies not sent yet (a kill's or save's, answered once the VM has ended). */
  const inflight = new Set<Promise<void>>();
  const server: Server = createServer(serve);
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  socketIno = statSync(socketPath).ino;
  record_();
  // The supervisor waits for this line on the process's stdout (then never reads it again).
  process.stdout.on("error", () => {});
  process.stdout.write("ready\n");

  // Nobody asked it to start within a minute (the daemon went away meanwhile): give up. A VM that
  // cannot be built is reported to the `go` that asks for it, then the process ends.
  setTimeout(() => {
    if (started) return;
    if (vm) void vm.stop().finally(ended);
    else ended();
  }, 60_000).unref();
  await done;
  await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, 10_000))]);
  clearInterval(alarmTimer);
  clearInterval(lookTimer);
  watcher?.close();
  hub.close();
  // Subscribers get every event before the connection ends (end() flushes what is written).
  for (const s of subscribers) s.end();
  server.close();
  rmSync(socketPath, { force: true });
  if (orphaned) return 1;
  if (!vm) {
    // Restore the state it had (a failed start changes nothing), without the process.
    store.writeState(o.name, { ...before, pid: undefined, socket: undefined, socketIno: undefined });
    return 1;
  }
  return state === "error" ? 1 : 0;
}
