// The Node host's idle hook (VmmHost.idle): a full garbage collection when the VM goes to sleep.
//
// Why: a suspended VM's process allocates nothing, yet V8's memory reducer (which wakes every
// 8 s) starts a memory-reducing major GC -- incremental marking on the main thread plus
// concurrent marking on V8's four worker threads, 25-80 ms of CPU in all -- 100 s after the last
// full GC or once the allocation rate looks low: 27-90 s into a booted Linux guest's sleep, a
// burst of up to 0.7% of a core in a 10 s window of bench:idle. So the processes that run VMs
// start with the reducer off (NODE_FLAGS, src/daemon/locate.ts: only node's command line can say
// it, the reducer is made with the heap), and the garbage it would have collected is collected
// here, once, while the process is awake anyway: the sleeping process keeps a small heap and
// nothing runs until a wake source fires.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null = null;

/** Runs V8's full (mark-compact) collection now, on this thread. */
export function collectGarbage(): void {
  if (!gc) {
    // With --expose-gc, contexts created afterwards have a global gc() (this process's main
    // context was made without it). The flag adds that function and nothing else.
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}
