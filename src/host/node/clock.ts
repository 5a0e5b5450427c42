// Host time, scheduling and entropy for Node.
import { createRequire } from "node:module";
import type { Entropy, HostClock } from "../../hv/host.ts";

/** node:crypto, loaded when the guest first asks for entropy (not by every command, nor before a resumed guest runs: 3 ms). */
let crypto: typeof import("node:crypto") | null = null;

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
export const nodeEntropy: Entropy = {
  fill: (bytes) => (crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto")).randomFillSync(bytes),
};
