// `dormouse resume` names either a snapshot file or a named VM: the choice, made without loading
// the named-VM commands (vms.ts loads the daemon's client, node:http and the daemon's schemas),
// which a snapshot resume does not need.
import { existsSync } from "node:fs";
import type { Command } from "./args.ts";
import { isNamedVm } from "./state-dir.ts";

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
