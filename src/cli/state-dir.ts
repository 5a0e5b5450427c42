// Where the named VMs live, and whether an operand names one: shared by the named-VM commands
// (vms.ts, host.ts) and by resume's choice between a VM and a snapshot file (named-resume.ts).
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultStateDir, isVmName, vmDirOf } from "../daemon/locate.ts";

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
