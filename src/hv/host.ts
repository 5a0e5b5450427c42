// What the hypervisor needs from its host, injected so the same VM runs under Node, in a worker or
// in a browser tab: a clock and scheduler, entropy, and the CPU core's compiled wasm module.
// src/host/node/ implements these for Node.

/** Host time and scheduling. */
export interface HostClock {
  /** A monotonic clock in nanoseconds (any origin). */
  monotonicNs(): bigint;
  /** Wall-clock time in milliseconds since the Unix epoch. */
  wallMs(): number;
  /** Calls `fn` after `ms` milliseconds; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  /** Resolves once the host has served its pending events (I/O, timers, signals): how a busy VM stays fair. */
  yield(): Promise<void>;
}

/** A source of random bytes (SMCCC TRNG, virtio-rng). */
export interface Entropy {
  fill(bytes: Uint8Array): void;
}

/** Everything the hypervisor layer takes from its host. */
export interface HvHost {
  clock: HostClock;
  entropy: Entropy;
  /** The CPU core (build/cpu.wasm), compiled; how it is loaded is the host's business. */
  core: WebAssembly.Module;
}
