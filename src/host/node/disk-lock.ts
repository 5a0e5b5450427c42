// Disk image locks: two VMs can never have the same image open read-write, nor one read-write
// while another reads it (QEMU's image locking, which takes OFD byte-range locks on the image;
// Node has no fcntl locks, so the locks are files in one directory per user instead).
//
// A lock is a file named `<dev>-<ino>.<rw|ro>.<pid>.<n>` holding the owner's pid, its start time
// and the image's path, created exclusively before the conflicting ones are looked for: of two
// processes racing for the same image both may fail, never both succeed. A lock whose process
// has died (checked with its start time, so a reused pid is not mistaken for the owner) is stale
// and removed by whoever finds it. Locks of this process are known in memory, so two VMs in one
// process are refused as two processes would be.
import { readdirSync, readFileSync, unlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { DiskError } from "../../devices/virtio/blk.ts";

/** Where the locks are: $DORMOUSE_LOCK_DIR, else $XDG_RUNTIME_DIR/dormouse/locks, else a per-user directory in the temp dir. */
export function lockDir(): string {
  const env = process.env;
  if (env.DORMOUSE_LOCK_DIR) return env.DORMOUSE_LOCK_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "dormouse", "locks");
  return join(tmpdir(), `dormouse-${userInfo().uid}`, "locks");
}

/** A process's start time (clock ticks since boot, /proc/PID/stat field 22), or null without /proc. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number, start: string): boolean {
  const now = startTime(pid);
  if (now !== null) return now === start;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const self = { pid: process.pid, start: startTime(process.pid) ?? "?" };
/** This process's locks that are held (their file names). */
const held = new Set<string>();
let serial = 0;

/**
 * Locks the image `path` (device `dev`, inode `ino`): shared for reading, exclusive for writing.
 * Returns the function that releases it; a DiskError naming the holder when another VM has it.
 */
export function lockImage(path: string, dev: bigint, ino: bigint, readOnly: boolean): () => void {
  const dir = lockDir();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new DiskError(`cannot lock ${path}: cannot create the lock directory ${dir}: ${(e as Error).message}`);
  }
  const key = `${dev}-${ino}`;
  const mine = `${key}.${readOnly ? "ro" : "rw"}.${self.pid}.${serial++}`;
  try {
    writeFileSync(join(dir, mine), `${self.pid} ${self.start} ${path}\n`, { flag: "wx", mode: 0o600 });
  } catch (e) {
    throw new DiskError(`cannot lock ${path} in ${dir}: ${(e as Error).message}`);
  }
  held.add(mine);
  const release = () => {
    if (!held.delete(mine)) return;
    try {
      unlinkSync(join(dir, mine));
    } catch {
      // Already gone (someone cleaned the directory): nothing is held either way.
    }
  };
  try {
    for (const name of readdirSync(dir)) {
      if (name === mine || !name.startsWith(`${key}.`)) continue;
      const [, mode, pidText] = name.split(".");
      const pid = Number(pidText);
      let live: boolean;
      let holder = `pid ${pid}`;
      if (pid === self.pid) live = held.has(name);
      else {
        let content = "";
        try {
          content = readFileSync(join(dir, name), "utf8");
        } catch {
          continue; // released meanwhile
        }
        const [, start, ...rest] = content.trim().split(" ");
        live = start !== undefined && alive(pid, start);
        if (rest.length) holder += ` (as ${rest.join(" ")})`;
        if (!live)
          try {
            unlinkSync(join(dir, name));
          } catch {
            // Another process removed the stale lock first.
          }
      }
      if (live && (!readOnly || mode === "rw")) {
        const how = mode === "rw" ? "read-write" : "read-only";
        const by = pid === self.pid ? "another VM of this process" : `another VM, ${holder}`;
        throw new DiskError(`the disk image ${path} is in use: ${by} has it open ${how}`);
      }
    }
  } catch (e) {
    release();
    throw e instanceof DiskError ? e : new DiskError(`cannot lock ${path}: ${(e as Error).message}`);
  }
  return release;
}
