// The dormouse command: dispatches to its subcommands (each in its own file, with its argument
// helpers in args.ts) and turns whatever they throw, or a run raises later, into one line on
// stderr and an exit status: 2 for usage errors, 1 otherwise; --debug adds the stack.
import { type Command, formatError, UsageError } from "./args.ts";
import { firmwareCommand } from "./firmware.ts";
import { hostCommand } from "./host.ts";
import { kitCommand } from "./kit.ts";
import { RUN_DESCRIPTION, resumeCommand, runCommand } from "./run.ts";
import { VM_COMMANDS, withNamedResume } from "./vms.ts";

/** The subcommands, in the order `dormouse --help` lists them. */
const COMMANDS: Command[] = [runCommand, withNamedResume(resumeCommand), kitCommand, firmwareCommand, ...VM_COMMANDS, hostCommand];

function usage(): string {
  const lines = COMMANDS.flatMap((c) => c.synopsis).map((l, i) => `${i ? "       " : "usage: "}dormouse ${l}`);
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
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (name === "--help" || name === "-h" || name === "help") {
      const about = COMMANDS.find((c) => c.name === rest[0]);
      if (rest[0] !== undefined && !about) throw new UsageError(`unknown command "${rest[0]}"`);
      process.stdout.write(`${about?.help ?? usage()}\n`);
      return 0;
    }
    if (!command) {
      if (name?.startsWith("-")) throw new UsageError(`the command comes first, before options such as ${name}`);
      throw new UsageError(name ? `unknown command "${name}"` : "no command given");
    }
    if (flagged(rest, "--help", "-h")) {
      process.stdout.write(`${command.help ?? usage()}\n`);
      return 0;
    }
    return await command.run(rest);
  } catch (e) {
    const hint = command ? `dormouse ${command.name} --help shows its usage` : "dormouse --help shows the usage";
    const { text, status } = formatError(e, { debug, usageHint: hint });
    process.stderr.write(text);
    return status;
  }
}
