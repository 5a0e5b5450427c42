// The snapshot header's schema: every field's type and range, composed from the schemas of the
// vCPU, GIC, timer and device states (each module owns its own), and the checks across fields —
// counts that follow from `cpus`, `ramSize` and the attached devices, the disks' identities
// naming exactly the disks the configuration attaches. A header that passes is one this VMM
// could have written; readSnapshot checks it before anything is built.
import { Pl011StateSchema } from "../devices/pl011.ts";
import { Pl031StateSchema } from "../devices/pl031.ts";
import { MAX_VCPUS } from "../hv/constants.ts";
import { checkGicSnapshot, DEFAULT_SPIS, GicSnapshotSchema } from "../hv/gicv3/index.ts";
import { checkTimerSnapshot, TimerSnapshotSchema } from "../hv/timer.ts";
import { checkVcpuSnapshot, VcpuSnapshotSchema } from "../hv/vcpu.ts";
import { BoardDevicesStateSchema, checkDeviceStates } from "../machine/board.ts";
import { Int, require, type Static, Struct, Type, validate } from "../schema/index.ts";

/** The snapshot format this VMM writes and reads (3: the vCPU core's state as named fields; 4: RAM pages as they are, in runs, XXH3-64 checksums). */
export const SNAPSHOT_VERSION = 4;
export const PAGE = 4096;
/** The most RAM a VM has (the core's 4 GiB of wasm memory, less its own 64 MiB). */
export const MAX_RAM = 4096 * 2 ** 20 - 64 * 2 ** 20;
/** The most disks a board attaches (its virtio slots). */
const MAX_DISKS = 32;
const Path = Type.String({ minLength: 1, maxLength: 4096 });

const ConfigSchema = Struct({
  cpus: Int(1, MAX_VCPUS),
  /** RAM in bytes: a multiple of 2 MiB (checked below), 4 MiB up to MAX_RAM. */
  ramSize: Int(4 << 20, MAX_RAM),
  psciConduit: Type.Union([Type.Literal("hvc"), Type.Literal("smc")]),
  clock: Type.Optional(Type.Union([Type.Literal("host"), Type.Literal("deterministic")])),
  systemSuspend: Type.Optional(Type.Boolean()),
  bootargs: Type.Optional(Type.String({ maxLength: 65536 })),
  disks: Type.Optional(
    Type.Array(Struct({ path: Path, readOnly: Type.Optional(Type.Boolean()), serial: Type.Optional(Type.String({ maxLength: 20 })) }), {
      maxItems: MAX_DISKS,
    }),
  ),
  rng: Type.Optional(Type.Boolean()),
  /** Firmware in flash: its image and variable store files. */
  firmware: Type.Optional(Struct({ code: Path, vars: Type.Optional(Path) })),
});

const DiskIdentitySchema = Struct({
  path: Path,
  size: Int(0, Number.MAX_SAFE_INTEGER),
  mtimeNs: Type.String({ pattern: "^[0-9]{1,24}$" }),
  sample: Type.String({ pattern: "^[0-9a-f]{64}$" }),
});

export const HeaderSchema = Struct({
  magic: Type.Literal("dormouse"),
  arch: Type.Literal("aarch64"),
  version: Type.Literal(SNAPSHOT_VERSION),
  created: Type.String({ maxLength: 64 }),
  config: ConfigSchema,
  vcpus: Type.Array(VcpuSnapshotSchema, { minItems: 1, maxItems: MAX_VCPUS }),
  gic: GicSnapshotSchema,
  timers: TimerSnapshotSchema,
  uart: Pl011StateSchema,
  rtc: Pl031StateSchema,
  devices: BoardDevicesStateSchema,
  /** The attached disk images as they were when the VM was saved. */
  disks: Type.Array(DiskIdentitySchema, { maxItems: MAX_DISKS }),
  /** The firmware's image and variable store files (config.firmware) as they were. */
  firmwareFiles: Type.Optional(Type.Array(DiskIdentitySchema, { maxItems: 2 })),
  /** RAM pages saved (the non-zero ones). */
  ramPages: Int(0, MAX_RAM / PAGE),
  /** The VM's state when it was saved: what a restore continues "as saved". */
  runState: Type.Union([Type.Literal("running"), Type.Literal("paused"), Type.Literal("suspended")]),
});
export type Header = Static<typeof HeaderSchema>;

/**
 * HeaderSchema with the vCPU, GIC, timer and device states left to the checks of the modules
 * that own them (each validates its state against its own schema, then across fields): checking
 * them here too validated most of a header twice (30-40 ms of a cold `dormouse resume`).
 */
const HeaderFieldsSchema = Struct({
  ...HeaderSchema.properties,
  vcpus: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_VCPUS }),
  gic: Type.Unknown(),
  timers: Type.Unknown(),
  uart: Type.Unknown(),
  rtc: Type.Unknown(),
  devices: Type.Unknown(),
});

/** A header with its own fields checked (checkHeaderFields), the vCPU, GIC, timer and device states not yet. */
export type HeaderFields = Omit<Header, "vcpus" | "gic" | "timers" | "uart" | "rtc" | "devices"> & {
  vcpus: unknown[];
  gic: unknown;
  timers: unknown;
  uart: unknown;
  rtc: unknown;
  devices: unknown;
};

/**
 * Checks a decoded header: the schema (a StateError naming the first bad field), then what the
 * fields say of each other.
 */
export function checkHeader(h: unknown): asserts h is Header {
  checkHeaderFields(h);
  checkHeaderStates(h);
}

/**
 * The header's own fields (a StateError naming the first bad one) and what they say of each
 * other: the board configuration, the disks' and firmware files' identities, the page count —
 * all a board is built and its files opened from. The states it carries are checkHeaderStates'.
 */
export function checkHeaderFields(h: unknown): asserts h is HeaderFields {
  // The version first: an older snapshot's other fields are not this version's.
  const version = (h as { version?: unknown } | null)?.version;
  if (typeof version === "number" && version !== SNAPSHOT_VERSION)
    require(false, `snapshot version ${version}; this Dormouse reads version ${SNAPSHOT_VERSION}`);
  validate(HeaderFieldsSchema, h, "");
  const header = h as unknown as HeaderFields;
  const { config } = header;
  require(config.ramSize % (2 << 20) === 0, `config.ramSize: ${config.ramSize} is not a multiple of 2 MiB`);
  require(header.ramPages <= config.ramSize / PAGE, `ramPages: ${header.ramPages} pages saved of ${config.ramSize / PAGE}`);
  require(header.vcpus.length === config.cpus, `vcpus: state of ${header.vcpus.length} vCPUs, the board has ${config.cpus}`);
  const disks = config.disks ?? [];
  const paths = new Set(disks.map((d) => d.path));
  require(paths.size === disks.length, "config.disks: the same image is attached twice");
  require(header.disks.length === disks.length, `disks: identities of ${header.disks.length} images, the board attaches ${disks.length}`);
  header.disks.forEach((d, i) =>
    require(d.path === disks[i].path, `disks[${i}].path: the identity is of ${d.path}, the board attaches ${disks[i].path}`),
  );
  const fw = config.firmware ? [config.firmware.code, ...(config.firmware.vars !== undefined ? [config.firmware.vars] : [])] : [];
  const ids = header.firmwareFiles ?? [];
  require(ids.length === fw.length, `firmwareFiles: identities of ${ids.length} files, the board's firmware has ${fw.length}`);
  ids.forEach((d, i) => require(d.path === fw[i], `firmwareFiles[${i}].path: the identity is of ${d.path}, the firmware uses ${fw[i]}`));
}

/**
 * The states a header (checked by checkHeaderFields) carries: the vCPUs', the GIC's, the
 * timers' and the devices', each by the module that owns it, against the board its
 * configuration describes.
 */
export function checkHeaderStates(h: HeaderFields): asserts h is Header {
  const { config } = h;
  h.vcpus.forEach((v, i) => {
    checkVcpuSnapshot(v, `vcpus[${i}]`);
    require(v.id === i, `vcpus[${i}].id: ${v.id}`);
  });
  checkGicSnapshot(h.gic, config.cpus, DEFAULT_SPIS);
  checkTimerSnapshot(h.timers, config.cpus);
  checkDeviceStates(h as unknown as Header, config);
}
