// dormouse resume: a VM saved by dormouse run --on-suspend save=FILE restored from its snapshot on
// the Node host, with its console attached (console.ts). Apart from run.ts: a resume loads none
// of what booting needs (image loaders, the guest kit and the child processes it runs).
import { compileCoreModule, imageFiles, nodeHost, nodeSnapshotIo, streamSink } from "../host/node/index.ts";
import { checkDisks, checkWhileLoading, SnapshotError, stageSnapshot } from "../vmm/snapshot.ts";
import { VirtualMachine } from "../vmm/virtual-machine.ts";
import { type Command, formatSize, parseOptions, UsageError } from "./args.ts";
import { attach, report } from "./console.ts";
import { checkDistinctDisks, checkSnapshotSource, checkSnapshotTarget } from "./files.ts";
import { diskOptions, memory, smp, suspendPolicy, synopsis } from "./vm-options.ts";

const RESUME_SYNOPSIS = ["resume <snapshot> [--on-suspend honour|deny|save=FILE] [--smp N] [--memory SIZE] [--disk FILE]... [-v]"];

/** dormouse resume <snapshot>: restores a VM saved by --on-suspend save=FILE and waits for a wake source. */
async function resume(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: argv,
    allowPositionals: true,
    options: {
      verbose: { type: "boolean", short: "v", default: false },
      "on-suspend": { type: "string", default: "honour" },
      smp: { type: "string" },
      memory: { type: "string" },
      disk: { type: "string", multiple: true },
    },
  });
  if (positionals.length !== 1) throw new UsageError("resume takes exactly one snapshot file");
  const policy = suspendPolicy(values["on-suspend"]);
  const cpus = values.smp === undefined ? undefined : smp(values.smp);
  const ramSize = values.memory === undefined ? undefined : memory(values.memory);
  const disks = values.disk === undefined ? undefined : diskOptions(values.disk);
  if (policy.snapshotPath) checkSnapshotTarget(policy.snapshotPath);
  const log = values.verbose ? (m: string) => process.stderr.write(`dormouse: ${m}\n`) : undefined;
  // The core compiles on V8's threads while the snapshot is read and checked (a missing core is
  // reported by nodeHost() below, as for every command).
  const core = compileCoreModule().catch(() => null);
  const path = positionals[0];
  checkSnapshotSource(path);
  const staged = stageSnapshot(path, nodeSnapshotIo);
  // The board comes from the snapshot; options given here must describe the same board.
  const saved = staged.header.config;
  const differs = (what: string, was: unknown, now: unknown) => {
    throw new SnapshotError(`the snapshot's board has ${what} ${was}, not ${now}: a suspended VM resumes on the board it was saved from`);
  };
  if (cpus !== undefined && cpus !== saved.cpus) differs("--smp", saved.cpus, cpus);
  if (ramSize !== undefined && ramSize !== saved.ramSize) differs("--memory", formatSize(saved.ramSize), values.memory);
  if (disks !== undefined) {
    const fmt = (ds: { path: string; readOnly?: boolean }[]) => ds.map((d) => `${d.path}${d.readOnly ? ",ro" : ""}`).join(" ") || "none";
    if (fmt(disks) !== fmt(saved.disks ?? [])) differs("--disk", fmt(saved.disks ?? []), fmt(disks));
  }
  checkDistinctDisks(saved.disks ?? []);
  checkDisks(staged, (p) => imageFiles.identify(p));
  await core;
  const host = nodeHost();
  const out = streamSink(process.stdout);
  const vm = new VirtualMachine({ board: saved }, host, { policy, console: out });
  const failed = report(vm, log);
  // A bad state ends the command before anything runs.
  try {
    const snap = await checkWhileLoading(staged, vm.board.vm.core.ram);
    // Input typed meanwhile waits in stdin's pipe, and in the PL011 once attached.
    await vm.restore(snap, path, { into: "saved" });
  } catch (e) {
    vm.close();
    throw e;
  }
  return attach(host, vm, out, failed, log);
}

export const resumeCommand: Command = {
  name: "resume",
  synopsis: RESUME_SYNOPSIS,
  help: `${synopsis(RESUME_SYNOPSIS)}

Restores a VM saved by run --on-suspend save=FILE (a suspended VM waits for a wake source).
--smp, --memory and --disk, when given, must describe the board the snapshot was saved from.

options:
  --on-suspend honour|deny|save=FILE   answer to the guest's next SYSTEM_SUSPEND (default honour)
  -v, --verbose                        report power events on stderr
  --debug                              show the stack of an error`,
  run: resume,
};
