// Argument helpers for the dormouse command's subcommands: option parsing whose mistakes are
// usage errors, strict numbers and sizes, and the formatter that turns any error into the one
// line the user sees (the stack only with --debug).
import { type ParseArgsConfig, parseArgs } from "node:util";

/** A mistake in the command line: printed as one line with a pointer to --help, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

import { fileProblem } from "../host/node/errno.ts";

export { fileProblem };

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * parseArgs, strict, with its TypeErrors (unknown option, missing value, a value given to a flag,
 * a positional argument where none is allowed) turned into UsageErrors naming the option.
 */
export function parseOptions<T extends ParseArgsConfig & { args: string[] }>(
  config: T,
): ReturnType<typeof parseArgs<T & { strict: true }>> {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (e) {
    throw parseError(e, config.args, config.options ?? {});
  }
}

function parseError(e: unknown, argv: string[], options: Options): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (!code?.startsWith("ERR_PARSE_ARGS_")) return e;
  const message = (e as Error).message;
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
  // "--smp", "--smp <value>", "-v, --verbose": the long name.
  const name = quoted.replace(/ <value>$/, "").replace(/^-[^-], /, "");
  const option = (n: string) => {
    const long = n.replace(/^--?/, "");
    return Object.hasOwn(options, long) ? options[long] : Object.values(options).find((o) => `-${o.short}` === n);
  };
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      // A bundle of short flags reports only the unknown letter: show the argument it came from.
      const arg = name.startsWith("--") ? undefined : argv.find((a) => /^-[^-]/.test(a) && a.includes(name.slice(1)) && a !== name);
      return new UsageError(`unknown option ${name}${arg ? ` (in ${arg})` : ""}`);
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(message)) return new UsageError(`${name} is a flag and takes no value`);
      if (/ambiguous/.test(message)) {
        const spec = option(name);
        const at = argv.findIndex((a) => a === name || (spec !== undefined && option(a) === spec));
        const next = at < 0 ? "" : (argv[at + 1] ?? "");
        if (!/^-[0-9.]/.test(next)) return new UsageError(`${name} needs a value`);
        return new UsageError(`${name} needs a value; to give it one starting with "-", write ${name}=${next}`);
      }
      if (option(name)?.type === "string") return new UsageError(`${name} needs a value`);
      return new UsageError(oneLine(message));
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return new UsageError(`unexpected argument "${quoted}"`);
    default:
      return new UsageError(oneLine(message));
  }
}

/** A whole decimal number from `min` to `max` ("1e2", "0x10", "1.5", "-1", " 2" are not). */
export function parseInteger(value: string, option: string, min: number, max: number): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min} to ${max}`;
  const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${option} takes a whole number from ${range}, not "${value}"`);
  return n;
}

const UNITS: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes as a short size: 512M, 1G, 4K, 100. */
export function formatSize(n: number): string {
  for (const u of ["T", "G", "M", "K"]) if (n >= UNITS[u] && n % UNITS[u] === 0) return `${n / UNITS[u]}${u}`;
  return `${n}`;
}

/** Limits a size option is checked against. */
export interface SizeLimits {
  min: number;
  max: number;
  /** The size must be a multiple of this. */
  align?: number;
}

/** A size in bytes: a whole number with an optional K, M, G or T (binary units; "MiB", "MB" read the same). */
export function parseSize(value: string, option: string, limits: SizeLimits): number {
  const m = /^([0-9]{1,15})([KMGT]?)(?:i?B)?$/i.exec(value);
  if (!m) throw new UsageError(`${option} takes a size such as 512M or 1G, not "${value}"`);
  const n = Number(m[1]) * UNITS[m[2].toUpperCase()];
  if (n < limits.min) throw new UsageError(`${option} ${value} is too small: at least ${formatSize(limits.min)}`);
  if (n > limits.max) throw new UsageError(`${option} ${value} is too large: at most ${formatSize(limits.max)}`);
  if (limits.align && n % limits.align) throw new UsageError(`${option} ${value} is not a multiple of ${formatSize(limits.align)}`);
  return n;
}

/** An error that reports another (its cause) in words of its own, e.g. the message a failed VM gave: internal when its cause is. */
export class Failure extends Error {
  override name = "Failure";
}

/** Errors that only a bug can raise: JavaScript's own error classes and wasm traps. */
function internal(e: unknown): boolean {
  if (e instanceof Failure) return e.cause !== undefined && internal(e.cause);
  if (!(e instanceof Error)) return true;
  const builtin = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError] as unknown[];
  const wasm = [WebAssembly.RuntimeError, WebAssembly.CompileError, WebAssembly.LinkError] as unknown[];
  return builtin.includes(e.constructor) || wasm.includes(e.constructor) || e.name === "AssertionError";
}

/** An error from a system call (Node's fs, net, child_process): its code, call and path tell what went wrong. */
function systemError(e: unknown): e is NodeJS.ErrnoException & { dest?: string } {
  const x = e as NodeJS.ErrnoException;
  return e instanceof Error && typeof x.code === "string" && /^E[A-Z0-9]+$/.test(x.code) && typeof x.syscall === "string";
}

function oneLine(s: string): string {
  return s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" ");
}

/** The text and exit status for an error reaching the top of a command. */
export interface FormattedError {
  text: string;
  status: 1 | 2;
}

/**
 * Any thrown value as one line, "dormouse: <message>": usage errors (status 2) with `usageHint`,
 * deliberate errors of any class below the CLI (status 1) as their message, and what can only be a
 * bug (a TypeError, a wasm trap, a thrown non-Error) marked internal with a hint to rerun with
 * --debug. With `debug` the stack (and causes) follow the line.
 */
export function formatError(e: unknown, options: { debug?: boolean; usageHint?: string } = {}): FormattedError {
  const usage = e instanceof UsageError;
  const message = e instanceof Error ? oneLine(e.message) || e.name : oneLine(String(e));
  let line: string;
  if (usage) line = `dormouse: ${message}${options.usageHint ? ` (${options.usageHint})` : ""}`;
  else if (internal(e)) {
    const rerun = options.debug ? "" : "rerun with --debug for details";
    if (e instanceof Failure) {
      const cause = e.cause instanceof Error ? e.cause.name : "thrown";
      line = `dormouse: internal error: ${message} (${[cause, rerun].filter(Boolean).join("; ")})`;
    } else line = `dormouse: internal error: ${e instanceof Error ? `${e.name}: ` : "thrown "}${message}${rerun && ` (${rerun})`}`;
  } else if (systemError(e))
    line = `dormouse: ${e.syscall}${e.path ? ` ${e.path}` : ""}${e.dest ? ` → ${e.dest}` : ""} failed: ${fileProblem(e)}`;
  else line = `dormouse: ${message}`;
  let text = `${line}\n`;
  if (options.debug) {
    for (let c: unknown = e, depth = 0; c !== undefined && depth < 8; c = (c as Error).cause, depth++) {
      if (c instanceof Error && c.stack) text += `${depth ? "caused by: " : ""}${c.stack}\n`;
      else if (depth) text += `caused by: ${String(c)}\n`;
    }
  }
  return { text, status: usage ? 2 : 1 };
}

/** A subcommand of dormouse: main.ts dispatches to it by name and reports what it throws. */
export interface Command {
  name: string;
  /** Its lines of the synopsis in `dormouse --help` (without the leading "dormouse "). */
  synopsis: string[];
  /** What `dormouse <name> --help` prints (the full usage when absent). */
  help?: string;
  /** Runs it with the arguments after its name; resolves to the exit status. */
  run(argv: string[]): Promise<number> | number;
}
