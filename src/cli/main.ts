// The dormouse command: dispatches to its subcommands (each in its own file, with its argument
// helpers in args.ts) and turns whatever they throw, or a run raises later, into one line on
// stderr and an exit status: 2 for usage errors, 1 otherwise; --debug adds the stack.
import { existsSync } from "node:fs";
import { type Command, formatError, UsageError } from "./args.ts";
import { VM_COMMAND_NAMES } from "./vm-command-names.ts";

/**
 * The subcommands by module, in the order `dormouse --help` lists them. A module is loaded only
 * when one of its commands runs: `dormouse list` and the other clients of the daemon load
 * neither the VMM nor the daemon (the CLI bundle is split along these imports).
 */
const MODULES: { names: readonly string[]; load: () => Promise<Command[]> }[] = [
  { names: ["run"], load: async () => [(await import("./run.ts")).runCommand] },
  {
    names: ["resume"],
    load: async () => {
      const [{ resumeCommand }, { withNamedResume }] = await Promise.all([import("./resume.ts"), import("./named-resume.ts")]);
      return [withNamedResume(resumeCommand)];
    },
  },
  { names: ["guest-kit"], load: async () => [(await import("./kit.ts")).kitCommand] },
  { names: ["firmware"], load: async () => [(await import("./firmware.ts")).firmwareCommand] },
  { names: ["image"], load: async () => [(await import("./image.ts")).imageCommand] },
  { names: VM_COMMAND_NAMES, load: async () => (await import("./vms.ts")).VM_COMMANDS },
  { names: ["host"], load: async () => [(await import("./host.ts")).hostCommand] },
];

/** The command called `name`, loaded (undefined: there is none). */
async function command(name: string | undefined): Promise<Command | undefined> {
  const m = MODULES.find((x) => name !== undefined && x.names.includes(name));
  return m ? (await m.load()).find((c) => c.name === name) : undefined;
}

/** Every command (for the usage), loaded. */
async function allCommands(): Promise<Command[]> {
  return (await Promise.all(MODULES.map((m) => m.load()))).flat();
}

async function usage(): Promise<string> {
  const [commands, { RUN_DESCRIPTION }] = await Promise.all([allCommands(), import("./run.ts")]);
  const lines = commands.flatMap((c) => c.synopsis).map((l, i) => `${i ? "       " : "usage: "}dormouse ${l}`);
  return `${lines.join("\n")}\n\n${RUN_DESCRIPTION}\n\n\`dormouse <command> --help\` shows one command's usage.`;
}

/** Arguments before a "--" (after it everything is an operand). */
function flagged(argv: string[], ...flags: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => flags.includes(a));
}

let debug = false;

/** An error raised outside a command's own promise (an unhandled rejection, an exception in a callback). */
function fatal(e: unknown): never {
  if (process.stdin.isTTY) process.stdin.setRawMode?.(false);
  process.stderr.write(formatError(e, { debug }).text);
  process.exit(1);
}

function ignoreEarlySignal(): void {}

/** Runs `dormouse <argv>`; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  // --debug may stand anywhere before "--"; the commands never see it.
  debug = flagged(argv, "--debug");
  const end = argv.indexOf("--");
  const args = debug ? argv.filter((a, i) => a !== "--debug" || (end >= 0 && i > end)) : argv;
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  // Node's own SIGUSR1 action starts its inspector on 127.0.0.1:9229: a wake request that comes
  // before a VM is attached (the process still starting) is ignored instead.
  process.on("SIGUSR1", ignoreEarlySignal);
  const [name, ...rest] = args;
  let cmd: Command | undefined;
  try {
    if (name === "--help" || name === "-h" || name === "help") {
      const about = await command(rest[0]);
      if (rest[0] !== undefined && !about) throw new UsageError(`unknown command "${rest[0]}"`);
      process.stdout.write(`${about?.help ?? (await usage())}\n`);
      return 0;
    }
    // dormouse resume FILE: the core starts compiling on V8's threads while the VMM's modules
    // load and the snapshot is read (resume awaits the same compilation; a missing core is
    // reported there). Not for a named VM (the daemon runs it), nor for --help. (The flags the
    // core's loader sets would make V8 refuse a code cache made after them: bin/code-cache.mjs,
    // which makes it from a resume, sets them back first.)
    if (name === "resume" && !flagged(rest, "--help", "-h") && rest.some((a) => !a.startsWith("-") && existsSync(a)))
      void import("../host/node/core.ts").then((m) => m.compileCoreModule().catch(() => null));
    cmd = await command(name);
    if (!cmd) {
      if (name?.startsWith("-")) throw new UsageError(`the command comes first, before options such as ${name}`);
      throw new UsageError(name ? `unknown command "${name}"` : "no command given");
    }
    if (flagged(rest, "--help", "-h")) {
      process.stdout.write(`${cmd.help ?? (await usage())}\n`);
      return 0;
    }
    return await cmd.run(rest);
  } catch (e) {
    const hint = cmd ? `dormouse ${cmd.name} --help shows its usage` : "dormouse --help shows the usage";
    const { text, status } = formatError(e, { debug, usageHint: hint });
    process.stderr.write(text);
    return status;
  }
}
