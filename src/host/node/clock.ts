// Host time, scheduling and entropy for Node.
import { randomFillSync } from "node:crypto";
import type { Entropy, HostClock } from "../../hv/host.ts";

/** process.hrtime, Date, setTimeout and setImmediate (which runs after pending I/O: console input, signals). */
export const nodeClock: HostClock = {
  monotonicNs: () => process.hrtime.bigint(),
  wallMs: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  yield: () => new Promise((resolve) => setImmediate(resolve)),
};

/** The operating system's CSPRNG. */
export const nodeEntropy: Entropy = { fill: (bytes) => randomFillSync(bytes) };
