// The state directory: every named VM as a folder, `<dir>/vms/NAME/`, holding vm.json (its spec
// and identity: UUID, disk serials) and state.json (its state, since when, its process, a
// pending RTC alarm, the last error, what a saved or hibernated VM continues from), each
// written atomically (a temporary file, fsync, rename), so a crash never leaves half a record.
// While a VM has a process, that process alone writes its state.json; otherwise the daemon does.
//
//   <dir>/               0700: the daemon's API socket (dormouse.sock, 0600) and its log
//   <dir>/run/           the VM processes' sockets (short names: a unix socket path has ~107 bytes)
//   <dir>/vms/NAME/      vm.json, state.json, console.log, process.log, saved.snap, disks it made
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { apiSocketOf, defaultStateDir, vmDirOf } from "./locate.ts";
import { isVmName, StateRecord, ValidationError, validator, VmRecord } from "./schemas.ts";

export { defaultStateDir };

/** A state directory that cannot be used, or a record that cannot be read. */
export class StoreError extends Error {}

/** The longest unix socket path Linux takes (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/** Writes `text` to `path` atomically: a temporary file beside it, fsync, rename. */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, "w", mode);
  } catch (e) {
    throw new StoreError(`cannot write ${path}: ${code(e)}`);
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw new StoreError(`cannot write ${path}: ${code(e)}`);
  }
  closeSync(fd);
  renameSync(tmp, path);
}

const checkRecord = validator(VmRecord, "vm.json");
const checkState = validator(StateRecord, "state.json");

function readJson<T>(path: string, check: (v: unknown) => T): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new StoreError(`cannot read ${path}: ${code(e)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StoreError(`${path} is not JSON`);
  }
  try {
    return check(value);
  } catch (e) {
    throw new StoreError(`${path}: ${(e as ValidationError).message}`);
  }
}

export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The daemon's API socket. */
  get apiSocket(): string {
    return apiSocketOf(this.dir);
  }

  get runDir(): string {
    return join(this.dir, "run");
  }

  /** Creates the directory (0700) and its folders; a StoreError saying why it cannot. */
  ensure(): void {
    for (const d of [this.dir, join(this.dir, "vms"), this.runDir]) {
      try {
        mkdirSync(d, { recursive: true, mode: 0o700 });
      } catch (e) {
        throw new StoreError(`cannot create the state directory ${d}: ${code(e)}`);
      }
    }
    if (this.apiSocket.length > MAX_SOCKET_PATH || this.vmSocket("00000000-0000-0000-0000-000000000000").length > MAX_SOCKET_PATH)
      throw new StoreError(`the state directory ${this.dir} is too long a path for a unix socket: choose a shorter --state-dir`);
  }

  vmDir(name: string): string {
    return vmDirOf(this.dir, name);
  }

  /** A VM process's socket, named by its UUID (a short path whatever the VM's name). */
  vmSocket(uuid: string): string {
    return join(this.runDir, `${uuid.slice(0, 18)}.sock`);
  }

  /** The names of the recorded VMs (folders with a valid name). */
  names(): string[] {
    try {
      return readdirSync(join(this.dir, "vms")).filter(isVmName).sort();
    } catch (e) {
      if (code(e) === "ENOENT") return [];
      throw new StoreError(`cannot read ${join(this.dir, "vms")}: ${code(e)}`);
    }
  }

  exists(name: string): boolean {
    try {
      readFileSync(join(this.vmDir(name), "vm.json"));
      return true;
    } catch {
      return false;
    }
  }

  readRecord(name: string): VmRecord {
    return readJson(join(this.vmDir(name), "vm.json"), checkRecord);
  }

  readState(name: string): StateRecord {
    return readJson(join(this.vmDir(name), "state.json"), checkState);
  }

  writeRecord(r: VmRecord): void {
    writeFileAtomic(join(this.vmDir(r.name), "vm.json"), `${JSON.stringify(r, null, 2)}\n`);
  }

  writeState(name: string, s: StateRecord): void {
    writeFileAtomic(join(this.vmDir(name), "state.json"), `${JSON.stringify(s)}\n`);
  }

  /** Makes the VM's folder and reserves its vm.json (created exclusively); false when the VM exists already. */
  claim(name: string): boolean {
    try {
      mkdirSync(this.vmDir(name), { recursive: true, mode: 0o700 });
      closeSync(openSync(join(this.vmDir(name), "vm.json"), "wx", 0o600));
      return true;
    } catch (e) {
      if (code(e) === "EEXIST") return false;
      throw new StoreError(`cannot create ${this.vmDir(name)}: ${code(e)}`);
    }
  }

  /**
   * Removes the VM: its records, logs and saved state. Disk images made in its folder (`keep`)
   * stay there unless `disks` is set; disks given by path are never touched.
   */
  remove(name: string, keep: string[], disks: boolean): void {
    const dir = this.vmDir(name);
    if (disks) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    const kept = new Set(keep.map((p) => resolve(p)));
    // vm.json last: a crash midway leaves a VM that is still listed, never records without it.
    const entries = readdirSync(dir).filter((f) => !kept.has(join(dir, f)));
    for (const f of entries.filter((f) => f !== "vm.json")) rmSync(join(dir, f), { recursive: true, force: true });
    rmSync(join(dir, "vm.json"), { force: true });
    if (!kept.size) rmSync(dir, { recursive: true, force: true });
  }
}
