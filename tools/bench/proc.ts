// What the benchmarks read about the processes they measure: a process's CPU time from /proc,
// and whether `dormouse` will run the CLI bundle (bin/dormouse.mjs runs the sources through tsx
// when the bundle is older than them: a loader thread and seconds of transpiling that no user's
// VM has).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The CPU time of every thread of a process so far, in seconds (schedstat: nanoseconds on the CPU); 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const t of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "latin1").split(" ")[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns / 1e9;
}

/** The newest modification time of a file under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** True when the CLI bundle under `root` exists and is newer than every source file. */
export function bundleIsCurrent(root: string): boolean {
  const bundle = statSync(join(root, "build/cli/dormouse.mjs"), { throwIfNoEntry: false });
  return bundle !== undefined && bundle.mtimeMs >= newest(join(root, "src"));
}
