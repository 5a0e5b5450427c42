// `dormouse resume` names either a snapshot file or a named VM: the choice, made without loading
// the named-VM commands (vms.ts loads the daemon's client, node:http and the daemon's schemas),
// which a snapshot resume does not need.
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultStateDir, isVmName, vmDirOf } from "../daemon/locate.ts";
import type { Command } from "./args.ts";

/** The state directory: --state-dir, else $DORMOUSE_STATE_DIR, else the XDG default. */
export function stateDirOf(arg: string | undefined): string {
  return resolve(arg ?? process.env.DORMOUSE_STATE_DIR ?? defaultStateDir());
}

/** Whether `dormouse resume ARG` means the named VM ARG (an existing VM, and no file of that name). */
export function isNamedVm(arg: string, stateDirArg?: string): boolean {
  if (!isVmName(arg)) return false;
  if (existsSync(arg) && statSync(arg).isFile()) return false;
  return existsSync(join(vmDirOf(stateDirOf(stateDirArg), arg), "vm.json"));
}

/** `resume NAME` resumes the named VM (a paused one); `resume FILE` is the snapshot resume of `file`. */
export function withNamedResume(file: Command): Command {
  return {
    ...file,
    synopsis: [...file.synopsis, "resume NAME              (a paused named VM)"],
    async run(argv) {
      const dir = argv.indexOf("--state-dir");
      const operands = argv.filter((a, i) => !a.startsWith("-") && (dir < 0 || i !== dir + 1));
      // A file of that name is a snapshot; else an existing VM, or any name when --state-dir is given.
      const one = operands.length === 1 ? operands[0] : null;
      if (one && (isNamedVm(one, dir >= 0 ? argv[dir + 1] : undefined) || (dir >= 0 && !existsSync(one))))
        return (await import("./vms.ts")).resumeNamed(argv);
      return file.run(argv);
    },
  };
}
