// The Node host: every service the VM takes from its host (src/hv/host.ts, the board's disks and
// gzip, the VMM's snapshot storage and checksum), implemented with Node's modules. The CLI, tests
// and tools hand nodeHost() to the VM; nothing below src/host imports node:*.
import { createRequire } from "node:module";
import type { VmmHost } from "../../vmm/virtual-machine.ts";
import { imageFiles } from "./block.ts";
import { nodeClock, nodeEntropy } from "./clock.ts";
import { coreModule } from "./core.ts";
import { collectGarbage } from "./gc.ts";
import { nodeSnapshotIo } from "./snapshot.ts";

export { streamSink, type StreamSink } from "./console.ts";
export { nodeClock, nodeEntropy } from "./clock.ts";
export { imageFiles } from "./block.ts";
export { compileCoreModule } from "./core.ts";
export { nodeSnapshotIo } from "./snapshot.ts";

/** node:zlib, loaded when a gzip-compressed kernel is first given (not by a resume: 1-2 ms of its start). */
let zlib: typeof import("node:zlib") | null = null;

/** Node's implementations of every host service (the core is compiled on first use, once per process). */
export function nodeHost(): VmmHost {
  return {
    clock: nodeClock,
    entropy: nodeEntropy,
    core: coreModule(),
    blocks: imageFiles,
    gunzip: (gz) => new Uint8Array((zlib ??= createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib")).gunzipSync(gz)),
    snapshots: nodeSnapshotIo,
    idle: collectGarbage,
  };
}
