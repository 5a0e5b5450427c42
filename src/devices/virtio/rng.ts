// virtio-rng, the entropy device (virtio 1.x §5.4): fills every device-writable buffer it is
// given with random bytes from the host.
import { type Static, Struct, Type, validate } from "../../schema/index.ts";
import type { VirtioDevice } from "./mmio.ts";
import type { DescriptorChain } from "./queue.ts";

/** The most a single request gets; the driver asks again for more (Linux asks for tens of bytes). */
export const MAX_RNG_REQUEST = 1 << 20;
const CHUNK = 1 << 16;

/** Plain, versioned virtio-rng state (it has none beyond its queue). */
export const VirtioRngStateSchema = Struct({ version: Type.Literal(1) });
export type VirtioRngState = Static<typeof VirtioRngStateSchema>;

export class VirtioRng implements VirtioDevice {
  readonly deviceId = 4;
  readonly features = 0n;
  readonly queueSizes = [64];

  /** `fill`: the entropy source (the host's CSPRNG on the board, injected). */
  constructor(private readonly fill: (bytes: Uint8Array) => void) {}

  config(): Uint8Array {
    return new Uint8Array(0);
  }

  process(_queue: number, chain: DescriptorChain): number {
    let n = 0;
    for (const s of chain.writable) {
      const b = s.bytes.subarray(0, MAX_RNG_REQUEST - n);
      for (let at = 0; at < b.length; at += CHUNK) this.fill(b.subarray(at, at + CHUNK));
      n += b.length;
      if (n >= MAX_RNG_REQUEST) break;
    }
    return n;
  }

  save(): VirtioRngState {
    return { version: 1 };
  }

  restore(s: unknown, what = "virtio-rng"): void {
    validate(VirtioRngStateSchema, s, what);
  }
}
