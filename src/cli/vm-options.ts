// The options dormouse run and dormouse resume share: the board's vCPUs, RAM and disks, the
// answer to a suspend, and how a command's usage is shown.
import { resolve } from "node:path";
import type { SuspendPolicy } from "../vmm/power.ts";
import type { VmPolicy } from "../vmm/virtual-machine.ts";
import { parseInteger, parseSize, UsageError } from "./args.ts";

/** vCPUs the board has room for (its GICv3 redistributor region). */
export const MAX_CPUS = 123;

/**
 * RAM sizes the board takes: whole 2 MiB blocks (its DTB sits in the last one), at least 4 MiB,
 * and at most what the core's 4 GiB wasm memory holds beside its own 64 MiB and a firmware flash.
 */
export const MEMORY = { min: 4 << 20, max: 3840 * 2 ** 20, align: 2 << 20 };

/** --disk FILE[,ro] values; paths made absolute so a snapshot resumed elsewhere finds the same files. */
export function diskOptions(args: string[]): { path: string; readOnly: boolean }[] {
  return args.map((d) => {
    const ro = d.endsWith(",ro");
    const path = ro ? d.slice(0, -3) : d;
    if (!path) throw new UsageError("--disk takes a file name");
    return { path: resolve(path), readOnly: ro };
  });
}

/** --on-suspend honour|deny|save=FILE (see checkSnapshotTarget for the FILEs taken). */
export function suspendPolicy(arg: string): VmPolicy {
  const onSuspend: string = arg === "honor" ? "honour" : arg;
  if (onSuspend === "honour" || onSuspend === "deny") return { onSuspend: onSuspend as SuspendPolicy };
  if (!onSuspend.startsWith("save=") || onSuspend.length === 5)
    throw new UsageError(`--on-suspend is honour, deny or save=FILE, not "${arg}"`);
  return { onSuspend: "save", snapshotPath: resolve(onSuspend.slice(5)) };
}

export const smp = (value: string) => parseInteger(value, "--smp", 1, MAX_CPUS);
export const memory = (value: string) => parseSize(value, "--memory", MEMORY);

export const synopsis = (lines: string[]) => lines.map((l, i) => `${i ? "       " : "usage: "}dormouse ${l}`).join("\n");
