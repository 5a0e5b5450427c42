// The control API's data, as TypeBox schemas (JSON Schema): what validates every request body
// and every record read back from the state directory, and what the OpenAPI document
// (openapi.ts, docs/openapi.json) is generated from. Unknown fields are rejected everywhere
// (additionalProperties: false), and a failed check is explained in one line.
import Type, { type Static, type TSchema } from "typebox";
import { Compile } from "typebox/compile";

import { isVmName, VM_NAME_PATTERN } from "./locate.ts";

export { isVmName, VM_NAME_PATTERN };

/** The states of a named VM (design.md, "Control plane"); `frozen` is the host's (issue 12). */
export const VM_STATES = ["created", "running", "paused", "suspended", "saved", "hibernated", "frozen", "shutdown", "error"] as const;
export type NamedVmState = (typeof VM_STATES)[number];

/** The states in which a VM has a live process. */
export const LIVE_STATES: readonly NamedVmState[] = ["running", "paused", "suspended", "frozen"];

const literals = <const T extends string[]>(values: readonly [...T], description: string) => Type.Enum<T>(values, { description });

const Path = Type.String({ minLength: 1, maxLength: 4096, description: "an absolute path on the daemon's host" });

/** A disk of a VM: an existing raw image, or a new one of `sizeMiB` made in the VM's folder. */
export const DiskRequest = Type.Object(
  {
    path: Type.Optional(Path),
    sizeMiB: Type.Optional(Type.Integer({ minimum: 1, maximum: 1 << 22, description: "create a new zero-filled image of this size" })),
    readOnly: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: "exactly one of path and sizeMiB" },
);

export const SuspendPolicy = literals(["honour", "save", "deny"] as const, "the answer to the guest's SYSTEM_SUSPEND");

/** POST /vms. */
export const CreateVmRequest = Type.Object(
  {
    name: Type.String({ pattern: VM_NAME_PATTERN, description: "letters, digits, '_', '.', '-'; at most 63" }),
    kernel: Path,
    initrd: Type.Optional(Path),
    dtb: Type.Optional(Path),
    append: Type.Optional(Type.String({ maxLength: 4096, description: "the kernel command line" })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 4, maximum: 65536, multipleOf: 2 })),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    disks: Type.Optional(Type.Array(DiskRequest, { maxItems: 16 })),
    onSuspend: Type.Optional(SuspendPolicy),
    rng: Type.Optional(Type.Boolean({ description: "a virtio-rng device (default true)" })),
  },
  { additionalProperties: false },
);
export type CreateVmRequest = Static<typeof CreateVmRequest>;

const Disk = Type.Object(
  {
    path: Path,
    readOnly: Type.Boolean(),
    serial: Type.String({ maxLength: 20, description: "the virtio-blk GET_ID string" }),
    owned: Type.Boolean({ description: "made by dormouse in the VM's folder (deleted with the VM when asked)" }),
  },
  { additionalProperties: false },
);

/** A VM's spec as recorded: the board and the image it boots. */
export const VmSpec = Type.Object(
  {
    kernel: Path,
    initrd: Type.Optional(Path),
    dtb: Type.Optional(Path),
    append: Type.String({ maxLength: 4096 }),
    memoryMiB: Type.Integer({ minimum: 4, maximum: 65536, multipleOf: 2 }),
    cpus: Type.Integer({ minimum: 1, maximum: 64 }),
    disks: Type.Array(Disk, { maxItems: 16 }),
    onSuspend: SuspendPolicy,
    rng: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type VmSpec = Static<typeof VmSpec>;

/** vm.json: the spec and the identity. */
export const VmRecord = Type.Object(
  {
    version: Type.Literal(1),
    name: Type.String({ pattern: VM_NAME_PATTERN }),
    uuid: Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }),
    created: Type.String(),
    spec: VmSpec,
  },
  { additionalProperties: false },
);
export type VmRecord = Static<typeof VmRecord>;

const DiskFingerprint = Type.Object(
  { path: Path, size: Type.Number(), mtimeNs: Type.String(), sample: Type.String() },
  { additionalProperties: false },
);

/** What a hibernated VM must boot on again: the exact board and image, and its disks as they were. */
export const Hibernation = Type.Object(
  {
    board: Type.String({ description: "the board and image (spec, kernel, initrd and dtb hashes), as one canonical string" }),
    disks: Type.Array(DiskFingerprint),
  },
  { additionalProperties: false },
);
export type Hibernation = Static<typeof Hibernation>;

/** state.json: the VM's state, written by its process while one runs, else by the daemon. */
export const StateRecord = Type.Object(
  {
    version: Type.Literal(1),
    state: literals(VM_STATES, "the VM's state"),
    since: Type.String(),
    pid: Type.Optional(Type.Integer()),
    socket: Type.Optional(Type.String()),
    socketIno: Type.Optional(Type.Number()),
    alarm: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    error: Type.Optional(Type.String()),
    /** For `saved`: the snapshot the VM continues from. */
    snapshot: Type.Optional(Type.String()),
    hibernation: Type.Optional(Hibernation),
    /**
     * Held by a host freeze (issue 12): the state it returns to on thaw — "running" for a VM that
     * is `frozen`, "suspended" for a suspended one held with its wake sources waiting for the thaw.
     */
    frozenFrom: Type.Optional(literals(["running", "suspended"] as const, "the state a host thaw returns it to")),
    /** For `saved`: the state its snapshot continues in (running, paused, suspended). */
    savedAs: Type.Optional(literals(["running", "paused", "suspended"] as const, "the state the snapshot continues in")),
  },
  { additionalProperties: false },
);
export type StateRecord = Static<typeof StateRecord>;

/** GET /vms entries and GET /vms/{name}. */
export const VmInfo = Type.Object(
  {
    name: Type.String(),
    uuid: Type.String(),
    state: literals(VM_STATES, "the VM's state"),
    since: Type.String({ description: "ISO 8601: when it entered the state" }),
    memoryMiB: Type.Integer(),
    cpus: Type.Integer(),
    diskBytes: Type.Integer({ description: "space its disk images and saved state take on the host" }),
    alarm: Type.Union([Type.String(), Type.Null()], { description: "the guest's pending RTC alarm (ISO 8601), if any" }),
    pid: Type.Union([Type.Integer(), Type.Null()], { description: "the VM's process, while it has one" }),
    frozen: Type.Boolean({
      description: "held by a host freeze: a frozen VM, or a suspended one whose wake sources take effect on the host's thaw",
    }),
    error: Type.Optional(Type.String()),
    spec: Type.Optional(VmSpec),
  },
  { additionalProperties: false },
);
export type VmInfo = Static<typeof VmInfo>;

export const VmList = Type.Object({ vms: Type.Array(VmInfo) }, { additionalProperties: false });

/** PUT /vms/{name}/state. */
export const StateRequest = Type.Object(
  { state: literals(["paused", "running"] as const, "the state to go to") },
  { additionalProperties: false },
);
export type StateRequest = Static<typeof StateRequest>;

export const ACTIONS = ["start", "powerdown", "sleep", "wakeup", "reset", "kill", "snapshot", "restore", "save"] as const;
export type Action = (typeof ACTIONS)[number];

const bare = <const A extends string>(action: A) => Type.Object({ action: Type.Literal(action) }, { additionalProperties: false });

/** POST /vms/{name}/actions: which fields each action takes. */
export const ActionRequest = Type.Union(
  [
    Type.Object(
      {
        action: Type.Literal("start"),
        discardHibernation: Type.Optional(Type.Boolean({ description: "boot a hibernated VM fresh (Linux is told noresume)" })),
        memoryMiB: Type.Optional(Type.Integer({ minimum: 4, maximum: 65536, multipleOf: 2 })),
        cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
        append: Type.Optional(Type.String({ maxLength: 4096 })),
      },
      { additionalProperties: false, description: "boot (created, shutdown, error), boot the hibernated board, or continue a saved VM" },
    ),
    Type.Object(
      { action: Type.Literal("snapshot"), path: Type.Optional(Path) },
      { additionalProperties: false, description: "write a snapshot of a running or paused VM (it goes on)" },
    ),
    Type.Object(
      { action: Type.Literal("restore"), path: Path },
      { additionalProperties: false, description: "continue a VM from a snapshot file (it must not be running)" },
    ),
    bare("powerdown"),
    bare("sleep"),
    bare("wakeup"),
    bare("reset"),
    bare("kill"),
    bare("save"),
  ],
  {
    description:
      "powerdown: the power button; sleep: the sleep button; wakeup: wake a suspended or saved VM; save: save the VM to its folder and end its process",
  },
);
export type ActionRequest = Static<typeof ActionRequest>;

export const ActionResult = Type.Object(
  {
    vm: VmInfo,
    path: Type.Optional(Type.String()),
    bytes: Type.Optional(Type.Integer()),
    seconds: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

/** What POST /host/actions does to every VM (issue 12). */
export const HOST_ACTIONS = ["freeze", "thaw", "save-all", "restore-all"] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];

/** POST /host/actions. */
export const HostActionRequest = Type.Object(
  {
    action: literals(
      HOST_ACTIONS,
      "freeze: hold every running and suspended VM for a host suspend (disks flushed); thaw: continue them; save-all: save every VM with a process to its folder (a host hibernation); restore-all: bring back each VM the last save-all saved, in the state it had",
    ),
  },
  { additionalProperties: false },
);
export type HostActionRequest = Static<typeof HostActionRequest>;

/** A VM the last save-all saved, and the state it was in. */
const SavedByHost = Type.Object(
  { name: Type.String({ pattern: VM_NAME_PATTERN }), from: literals(VM_STATES, "its state when it was saved") },
  { additionalProperties: false },
);

/** The host's last action, as recorded. */
const LastHostAction = Type.Object(
  {
    action: literals(HOST_ACTIONS, "the action"),
    at: Type.String({ description: "ISO 8601: when it was done" }),
    /** For save-all: the host's boot (a daemon starting on another boot restores the VMs). */
    bootId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    /** For save-all: the VMs it saved. */
    vms: Type.Optional(Type.Array(SavedByHost)),
    /** For save-all: when restore-all brought them back (absent: not yet). */
    restored: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** host.json in the state directory: whether the host holds its VMs frozen, and its last action. */
export const HostRecord = Type.Object(
  {
    version: Type.Literal(1),
    frozen: Type.Boolean(),
    /** For a frozen host: since when. */
    since: Type.Union([Type.String(), Type.Null()]),
    lastAction: Type.Union([LastHostAction, Type.Null()]),
  },
  { additionalProperties: false },
);
export type HostRecord = Static<typeof HostRecord>;

/** GET /host. */
export const HostInfo = Type.Object(
  {
    frozen: Type.Boolean({ description: "the host holds its VMs for a suspend (thaw continues them)" }),
    since: Type.Union([Type.String(), Type.Null()], { description: "ISO 8601: since when it is frozen" }),
    lastAction: Type.Union([LastHostAction, Type.Null()]),
    vms: Type.Integer({ description: "how many VMs there are" }),
    states: Type.Record(Type.String(), Type.Integer(), { description: "how many VMs are in each state" }),
    held: Type.Integer({ description: "VMs held by the freeze (frozen ones and suspended ones frozen)" }),
    alarms: Type.Integer({ description: "saved VMs with a pending RTC alarm: the daemon restores each when it is due" }),
    nextAlarm: Type.Union([Type.String(), Type.Null()], { description: "ISO 8601: the earliest of them" }),
  },
  { additionalProperties: false },
);
export type HostInfo = Static<typeof HostInfo>;

/** What a host action did to one VM. */
export const HostVmResult = Type.Object(
  {
    name: Type.String(),
    from: literals(VM_STATES, "its state before"),
    to: literals(VM_STATES, "its state after"),
    frozen: Type.Boolean(),
    ms: Type.Number({ description: "how long it took for this VM" }),
    error: Type.Optional(Type.String({ description: "why it failed for this VM (the others went on)" })),
  },
  { additionalProperties: false },
);
export type HostVmResult = Static<typeof HostVmResult>;

/** POST /host/actions's answer. */
export const HostActionResult = Type.Object(
  {
    host: HostInfo,
    vms: Type.Array(HostVmResult, { description: "every VM the action concerned" }),
    ms: Type.Number({ description: "how long the whole action took" }),
  },
  { additionalProperties: false },
);
export type HostActionResult = Static<typeof HostActionResult>;

/** A line of GET /events: a VM's event (src/vmm/events.ts) with the VM's name. */
export const EventLine = Type.Object(
  {
    vm: Type.String(),
    event: Type.String(),
    timestamp: Type.String(),
  },
  { additionalProperties: true, description: "plus the event's fields: woken {reason, intid, vcpu, pc}, saved {path, bytes}, ..." },
);

export const ErrorBody = Type.Object({ error: Type.String() }, { additionalProperties: false });

/** A value that failed its schema: the message says what and where, in one line. */
export class ValidationError extends Error {}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

const field = (pointer: string) =>
  pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((a, p) => (/^\d+$/.test(p) ? `${a}[${p}]` : a ? `${a}.${p}` : p), "");

/** One line for the most telling of a check's errors. */
function explain(errors: SchemaError[], what: string): string {
  const useful = errors.filter((e) => e.keyword !== "boolean");
  const unknown = useful.find((e) => e.keyword === "additionalProperties");
  if (unknown) {
    const at = field(unknown.instancePath);
    const names = (unknown.params.additionalProperties as string[]) ?? [];
    return `unknown field "${at ? `${at}.` : ""}${names[0]}" in ${what}`;
  }
  const e = useful.find((x) => x.keyword !== "anyOf") ?? useful[0];
  if (!e) return `${what} is not valid`;
  if (e.keyword === "required") {
    const at = field(e.instancePath);
    const names = (e.params.requiredProperties as string[]) ?? [];
    return `${what} lacks the field "${at ? `${at}.` : ""}${names[0]}"`;
  }
  const at = field(e.instancePath);
  if (e.keyword === "enum") return `${at ? `"${at}"` : what} must be one of ${(e.params.allowedValues as string[]).join(", ")}`;
  const choices = useful.filter((x) => x.keyword === "const" && x.instancePath === e.instancePath).map((x) => x.params.allowedValue);
  if (choices.length > 1) return `${at ? `"${at}"` : what} must be one of ${choices.join(", ")}`;
  return `${at ? `"${at}"` : what} ${e.message}`;
}

/**
 * A compiled check of `schema`: returns the value typed, or throws a ValidationError. Compiled on
 * first use: every command of the CLI loads these modules (compiling them all cost 15-30 ms of
 * each `dormouse resume`'s start), few commands check anything with them.
 */
export function validator<T extends TSchema>(schema: T, what: string): (value: unknown) => Static<T> {
  let compiled: { Check(value: unknown): boolean; Errors(value: unknown): Iterable<unknown> } | undefined;
  return (value) => {
    const check = (compiled ??= Compile(schema));
    if (check.Check(value)) return value as Static<T>;
    throw new ValidationError(explain([...check.Errors(value)] as SchemaError[], what));
  };
}

/** The `action` field alone, so that an unknown action is named as such (not as a mismatch of every variant). */
const ActionName = Type.Object({ action: literals(ACTIONS, "the action") });
const checkActionName = validator(ActionName, "the request");
const actionVariants = new Map(
  (ActionRequest.anyOf as TSchema[]).map((s) => [
    (s as { properties: { action: { const: string } } }).properties.action.const,
    validator(s, "the request"),
  ]),
);

/** POST /vms/{name}/actions: the action named first, then the fields that action takes. */
export function parseAction(value: unknown): ActionRequest {
  const { action } = checkActionName(value);
  return (actionVariants.get(action) as (v: unknown) => ActionRequest)(value);
}
