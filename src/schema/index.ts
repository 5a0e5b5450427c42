// Schemas for state that crosses a trust boundary (snapshot headers, device and vCPU states):
// TypeBox types that are both the TypeScript type and the runtime check, and one validator that
// turns the first violation into a StateError naming the field ("uart.rx[3]: must be <= 255").
// The only module that imports the schema library: every layer may use it (it is pure data and
// code, no host services).
import Type, { type Static, type TSchema } from "typebox";
import { Compile } from "typebox/compile";
import { Guard } from "typebox/guard";
import { Hashing } from "typebox/system";
import Value from "typebox/value";

export { Type, type Static, type TSchema };

/** A state (or header) that is malformed or out of range; the message names the field. */
export class StateError extends Error {}

/** An integer in [min, max]. */
export const Int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });
export const U8 = Int(0, 0xff);
export const U16 = Int(0, 0xffff);
export const U32 = Int(0, 0xffff_ffff);
/** An unsigned integer with only the bits of `mask` set (mask < 2^32). */
export const Bits = (mask: number) =>
  Type.Refine(
    Int(0, mask >>> 0),
    (v) => (v & ~mask) === 0,
    () => `only bits 0x${mask.toString(16)} may be set`,
  );
/**
 * A bigint in [min, max]. The bounds are checked twice: by the BigInt schema (whose message names
 * the bound) and by a refinement, because typebox's compiler writes bigint bounds as JavaScript
 * numbers (2^64 − 1 becomes 2^64) and would pass a value one above a 64-bit range; the
 * refinement compares bigints, so the compiled check (validate) is exact.
 */
export const BigRange = (min: bigint, max: bigint) =>
  Type.Refine(
    Type.BigInt({ minimum: min, maximum: max } as never),
    (v) => v >= min && v <= max,
    () => `must be >= ${min} and <= ${max}`,
  );
export const U64 = BigRange(0n, (1n << 64n) - 1n);
/** A 64-bit value with only the bits of `mask` set, and every bit of `set` (RES1 bits). */
export const BigBits = (mask: bigint, set = 0n) =>
  Type.Refine(
    U64,
    (v) => (v & ~mask) === 0n && (v & set) === set,
    () =>
      set
        ? `only bits 0x${mask.toString(16)} may be set, and bits 0x${set.toString(16)} must be`
        : `only bits 0x${mask.toString(16)} may be set`,
  );
/** An object with exactly these fields (no others). */
export const Struct = <T extends Record<string, TSchema>>(fields: T) => Type.Object(fields, { additionalProperties: false });
/** Byte values, at most `max` of them. */
export const ByteList = (max: number) => Type.Array(U8, { maxItems: max });

/** `/a/3/b` as `a[3].b`. */
function fieldName(what: string, pointer: string): string {
  let out = what;
  for (const part of pointer.split("/").slice(1)) {
    const p = part.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  }
  return out || "the state";
}

function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? `${v.length} items` : "an object";
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const part of pointer.split("/").slice(1)) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const compiled = new WeakMap<TSchema, { Check(value: unknown): boolean }>();

/**
 * A check generated ahead of time from typebox's compiler (Code) for the schemas whose
 * fingerprint it is: the compiled check's code, made a function of what it refers to outside
 * the schema's text — its externals (each a path to an object in the schema, such as a
 * refinement, or a regular expression) and typebox's Hashing and Guard helpers.
 */
export interface PrecompiledCheck {
  externals: ({ path: (string | number)[] } | { regexp: string; flags: string })[];
  make(external: unknown[], hashing: unknown, guard: unknown): (value: unknown) => boolean;
}

// The CLI's resume bundle defines this (tools/build-cli-resume.ts): checks generated when it is
// built, for the snapshot header's schemas, instead of compiling them in every `dormouse resume`
// (15-20 ms of its start). Elsewhere (the sources, other bundles) it is not defined.
declare const __DORMOUSE_PRECOMPILED__: Record<string, PrecompiledCheck> | undefined;
const precompiled: Record<string, PrecompiledCheck> | undefined =
  typeof __DORMOUSE_PRECOMPILED__ === "undefined" ? undefined : __DORMOUSE_PRECOMPILED__;

/**
 * What a compiled check of `schema` depends on, as a string: every own property (typebox's
 * hidden "~" ones too) of every object in it, in order, with functions (refinements) as "ƒ" —
 * two schemas with the same fingerprint compile to the same code but for their externals.
 */
export function schemaFingerprint(schema: TSchema): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "function") out.push("ƒ");
    else if (typeof v === "bigint") out.push(`${v}n`);
    else if (v instanceof RegExp) out.push(`/${v.source}/${v.flags}`);
    else if (Array.isArray(v)) {
      out.push("[");
      for (const x of v) walk(x);
      out.push("]");
    } else if (v !== null && typeof v === "object") {
      out.push("{");
      for (const k of Object.getOwnPropertyNames(v)) {
        out.push(JSON.stringify(k));
        walk((v as Record<string, unknown>)[k]);
      }
      out.push("}");
    } else if (typeof v === "number") out.push(Object.is(v, -0) ? "-0" : String(v));
    else out.push(v === undefined ? "u" : JSON.stringify(v));
  };
  walk(schema);
  return out.join(",");
}

/** The value at `path` in `root`. */
function at(root: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], root);
}

/** A generated check made for `schema` (one of the fingerprint it was generated for); undefined when an external is missing. */
export function precompiledFor(p: PrecompiledCheck, schema: TSchema): ((value: unknown) => boolean) | undefined {
  const external = p.externals.map((e) => ("path" in e ? at(schema, e.path) : new RegExp(e.regexp, e.flags)));
  return external.some((e) => e === undefined) ? undefined : p.make(external, Hashing, Guard);
}

/** The schema's check as generated ahead of time, if it was (precompiled). */
function precompiledCheck(schema: TSchema): { Check(value: unknown): boolean } | undefined {
  const p = precompiled?.[schemaFingerprint(schema)];
  const check = p && precompiledFor(p, schema);
  return check && { Check: check };
}

let recorder: ((schema: TSchema, value: unknown) => void) | null = null;

/** Calls `record` with each schema validate() checks a value against, and the value, until called with null (for tools/precompile-checks.ts). */
export function recordCompiledSchemas(record: ((schema: TSchema, value: unknown) => void) | null): void {
  recorder = record;
}

/**
 * Checks `value` against `schema`; a StateError naming the first bad field of `what` otherwise
 * (the most specific one: a field's own error before its container's). typebox's compiled check
 * first (compiled on a schema's first use, or generated ahead of time for the resume bundle's
 * snapshot header; 10 times faster than the interpreted one cold: a 2-vCPU Linux snapshot's
 * header, vCPU, GIC, timer and device states in ~10 ms instead of ~65), exact for every schema
 * built from this module (BigRange refines its bounds); the interpreted check only when it
 * fails, to name the field.
 */
export function validate<T extends TSchema>(
  schema: T,
  value: unknown,
  what: string,
  Err: new (message: string) => StateError = StateError,
): asserts value is Static<T> {
  recorder?.(schema, value);
  let check = compiled.get(schema);
  if (!check) {
    check = precompiledCheck(schema) ?? Compile(schema);
    compiled.set(schema, check);
  }
  // The interpreted check stays the authority: a value only the compiled one refuses passes.
  if (check.Check(value) || Value.Check(schema, value)) return;
  const errors = Value.Errors(schema, value);
  const unexpected = errors.find((e) => e.keyword === "boolean");
  if (unexpected) throw new Err(`${fieldName(what, unexpected.instancePath)}: unexpected field`);
  const deepest = errors.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a), errors[0]);
  if (!deepest) throw new Err(`${what}: malformed`);
  const missing = deepest.keyword === "required" ? (deepest.params as { requiredProperties?: string[] }).requiredProperties : undefined;
  if (missing?.length) throw new Err(`${fieldName(what, `${deepest.instancePath}/${missing[0]}`)}: missing`);
  const got = valueAt(value, deepest.instancePath);
  const here = errors.filter((e) => e.instancePath === deepest.instancePath && e.keyword === "const");
  const message = here.length
    ? `must be ${here.map((e) => show((e.params as { allowedValue?: unknown }).allowedValue)).join(" or ")}`
    : deepest.message;
  throw new Err(`${fieldName(what, deepest.instancePath)}: ${message} (is ${show(got)})`);
}

/** A StateError unless `ok` (for checks across fields that a schema cannot say). */
export function require(ok: boolean, message: string): asserts ok {
  if (!ok) throw new StateError(message);
}
