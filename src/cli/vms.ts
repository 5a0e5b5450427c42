// The named-VM commands of `dormouse`: clients of the daemon's API (src/daemon), which they
// start on demand. `dormouse daemon` runs the daemon in the foreground (systemd's unit does
// that); `dormouse vm-process` is what the daemon runs for each VM (not for users).
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { isVmName } from "../daemon/locate.ts";
import type { VmInfo } from "../daemon/schemas.ts";
import { ensureDaemon } from "./api-client.ts";
import { type Command, parseInteger, parseOptions, parseSize, UsageError } from "./args.ts";
import { VM_COMMAND_NAMES } from "./vm-command-names.ts";
import { isNamedVm, stateDirOf } from "./state-dir.ts";
import { attachConsole } from "./vm-console.ts";

export const VM_USAGE = `named VMs (clients of the daemon, which they start when it is not running):
       dormouse create NAME [--kernel FILE --initrd FILE --append CMDLINE] [--memory SIZE] [--smp N]
                       [--disk FILE[,ro] | --disk new:SIZE]... [--on-suspend honour|save|deny]
       dormouse list [--json]
       dormouse start NAME [--console] [--discard-hibernation] [--memory SIZE] [--smp N] [--append CMDLINE]
       dormouse console NAME                      (Ctrl-] detaches; the VM goes on)
       dormouse pause|resume|wake|powerdown|sleep|reset|kill|save NAME
       dormouse snapshot NAME [FILE]              dormouse restore NAME FILE
       dormouse show NAME                         dormouse delete NAME [--disks]
       dormouse daemon                            (the daemon in the foreground)
  every command takes --state-dir DIR (default $DORMOUSE_STATE_DIR, else $XDG_STATE_HOME/dormouse
  or ~/.local/state/dormouse)`;

const mib = (s: string, what: string) => parseSize(s, what, { min: 1 << 20, max: 2 ** 42, align: 1 << 20 }) / (1 << 20);
const int = (s: string, what: string) => parseInteger(s, what, 1, 64);

const age = (iso: string) => {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 120) return `${Math.floor(s)} s ago`;
  if (s < 7200) return `${Math.floor(s / 60)} min ago`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} days ago`;
};
const human = (bytes: number) =>
  bytes >= 1 << 30
    ? `${(bytes / 2 ** 30).toFixed(1)}G`
    : bytes >= 1 << 20
      ? `${(bytes / 2 ** 20).toFixed(1)}M`
      : `${Math.ceil(bytes / 1024)}K`;

function table(vms: VmInfo[]): string {
  const rows = [
    ["NAME", "STATE", "SINCE", "MEMORY", "CPUS", "DISK", "ALARM"],
    ...vms.map((v) => [
      v.name,
      v.frozen && v.state !== "frozen" ? `${v.state} (frozen)` : v.state,
      age(v.since),
      `${v.memoryMiB}M`,
      String(v.cpus),
      human(v.diskBytes),
      v.alarm ? v.alarm.replace("T", " ").replace(/\.\d+Z$/, "Z") : "-",
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}

const enc = encodeURIComponent;

async function run(cmd: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: argv,
    allowPositionals: true,
    options: {
      "state-dir": { type: "string" },
      kernel: { type: "string" },
      initrd: { type: "string" },
      dtb: { type: "string" },
      append: { type: "string" },
      memory: { type: "string" },
      smp: { type: "string" },
      disk: { type: "string", multiple: true, default: [] },
      "on-suspend": { type: "string" },
      "no-rng": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      console: { type: "boolean", default: false },
      "discard-hibernation": { type: "boolean", default: false },
      disks: { type: "boolean", default: false },
      name: { type: "string" },
      mode: { type: "string" },
      snapshot: { type: "string" },
      wake: { type: "boolean", default: false },
      noresume: { type: "boolean", default: false },
    },
  });
  const stateDir = stateDirOf(values["state-dir"]);

  if (cmd === "vm-process") {
    if (!values.name || (values.mode !== "boot" && values.mode !== "restore")) throw new UsageError("vm-process is run by the daemon");
    // The daemon, a VM's process and the guest kit are loaded only by the commands that need
    // them: the client commands start without compiling the daemon's schemas or the VMM.
    const { vmProcess } = await import("../daemon/vm-process.ts");
    return vmProcess({
      stateDir,
      name: values.name,
      mode: values.mode,
      snapshot: values.snapshot,
      wake: values.wake,
      noresume: values.noresume,
    });
  }
  if (cmd === "daemon") {
    if (positionals.length) throw new UsageError("daemon takes no arguments but --state-dir");
    const { Daemon } = await import("../daemon/daemon.ts");
    const d = new Daemon({ stateDir, log: (m) => process.stderr.write(`dormouse-daemon: ${m}\n`) });
    await d.start();
    process.stderr.write(`dormouse-daemon: listening on ${d.socketPath}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
    await d.stop();
    process.stderr.write("dormouse-daemon: stopped (the VMs go on)\n");
    return 0;
  }

  const need = (n: number, usage: string) => {
    if (positionals.length !== n) throw new UsageError(`usage: dormouse ${cmd} ${usage}`);
    return positionals;
  };
  const api = await ensureDaemon(stateDir);
  const action = async (name: string, body: Record<string, unknown>) => {
    const r = await api.call<{ vm: VmInfo; path?: string; bytes?: number }>("POST", `/vms/${enc(name)}/actions`, body);
    return r;
  };

  switch (cmd) {
    case "create": {
      const [name] = need(1, "NAME [options]");
      if (!isVmName(name)) throw new UsageError(`"${name}" is not a VM name (letters, digits, '_', '.', '-'; at most 63)`);
      let kernel = values.kernel;
      let initrd = values.initrd;
      if (!kernel) {
        const { guestKit } = await import("../kit/guest-kit.ts");
        const k = guestKit(join(homedir(), ".cache", "dormouse", "guest-kit"), { log: (m) => process.stderr.write(`guest-kit: ${m}\n`) });
        kernel = k.kernel;
        initrd ??= k.initramfs;
      }
      const disks = (values.disk as string[]).map((d) => {
        if (d.startsWith("new:")) return { sizeMiB: mib(d.slice(4), "--disk new:SIZE") };
        const ro = d.endsWith(",ro");
        return { path: resolve(ro ? d.slice(0, -3) : d), ...(ro ? { readOnly: true } : {}) };
      });
      const onSuspend = values["on-suspend"] === "honor" ? "honour" : values["on-suspend"];
      const v = await api.call<VmInfo>("POST", "/vms", {
        name,
        kernel: resolve(kernel),
        ...(initrd ? { initrd: resolve(initrd) } : {}),
        ...(values.dtb ? { dtb: resolve(values.dtb) } : {}),
        ...(values.append !== undefined ? { append: values.append } : {}),
        ...(values.memory ? { memoryMiB: mib(values.memory, "--memory") } : {}),
        ...(values.smp ? { cpus: int(values.smp, "--smp") } : {}),
        ...(disks.length ? { disks } : {}),
        ...(onSuspend ? { onSuspend } : {}),
        ...(values["no-rng"] ? { rng: false } : {}),
      });
      console.log(
        `${v.name}: created (${v.memoryMiB} MiB, ${v.cpus} vCPU${v.cpus > 1 ? "s" : ""}); start it with: dormouse start ${v.name}`,
      );
      return 0;
    }
    case "list": {
      need(0, "[--json]");
      const { vms } = await api.call<{ vms: VmInfo[] }>("GET", "/vms");
      console.log(values.json ? JSON.stringify(vms, null, 2) : table(vms));
      return 0;
    }
    case "show": {
      const [name] = need(1, "NAME");
      console.log(JSON.stringify(await api.call("GET", `/vms/${enc(name)}`), null, 2));
      return 0;
    }
    case "start": {
      const [name] = need(1, "NAME [--console] [--discard-hibernation] [--memory SIZE] [--smp N] [--append CMDLINE]");
      const r = await action(name, {
        action: "start",
        ...(values["discard-hibernation"] ? { discardHibernation: true } : {}),
        ...(values.memory ? { memoryMiB: mib(values.memory, "--memory") } : {}),
        ...(values.smp ? { cpus: int(values.smp, "--smp") } : {}),
        ...(values.append !== undefined ? { append: values.append } : {}),
      });
      console.log(`${name}: ${r.vm.state}`);
      if (values.console) return attachConsole(api.socketPath, name);
      return 0;
    }
    case "console": {
      const [name] = need(1, "NAME");
      return attachConsole(api.socketPath, name);
    }
    case "pause":
    case "resume": {
      const [name] = need(1, "NAME");
      const v = await api.call<VmInfo>("PUT", `/vms/${enc(name)}/state`, { state: cmd === "pause" ? "paused" : "running" });
      console.log(`${name}: ${v.state}`);
      return 0;
    }
    case "wake":
    case "powerdown":
    case "sleep":
    case "reset":
    case "kill":
    case "save": {
      const [name] = need(1, "NAME");
      const r = await action(name, { action: cmd === "wake" ? "wakeup" : cmd });
      console.log(`${name}: ${r.vm.state}${r.path ? ` (${r.path})` : ""}`);
      return 0;
    }
    case "snapshot": {
      if (positionals.length < 1 || positionals.length > 2) throw new UsageError("usage: dormouse snapshot NAME [FILE]");
      const [name, file] = positionals;
      const r = await action(name, { action: "snapshot", ...(file ? { path: resolve(file) } : {}) });
      console.log(`${name}: snapshot ${r.path} (${((r.bytes ?? 0) / 1048576).toFixed(1)} MiB)`);
      return 0;
    }
    case "restore": {
      const [name, file] = need(2, "NAME FILE");
      const r = await action(name, { action: "restore", path: resolve(file) });
      console.log(`${name}: ${r.vm.state}`);
      return 0;
    }
    case "delete": {
      const [name] = need(1, "NAME [--disks]");
      await api.call("DELETE", `/vms/${enc(name)}${values.disks ? "?disks=true" : ""}`);
      console.log(`${name}: deleted`);
      return 0;
    }
  }
  throw new UsageError(`unknown command "${cmd}"`);
}

const SYNOPSIS: Record<string, string> = {
  create:
    "create NAME [--kernel FILE --initrd FILE --append CMDLINE] [--memory SIZE] [--smp N] [--disk FILE[,ro]|new:SIZE]... [--on-suspend honour|save|deny]",
  list: "list [--json]",
  start: "start NAME [--console] [--discard-hibernation] [--memory SIZE] [--smp N] [--append CMDLINE]",
  console: "console NAME",
  pause: "pause|resume|wake|powerdown|sleep|reset|kill|save NAME",
  snapshot: "snapshot NAME [FILE]",
  restore: "restore NAME FILE",
  show: "show NAME",
  delete: "delete NAME [--disks]",
  daemon: "daemon [--state-dir DIR]",
};

/** The named-VM commands (vm-process is the daemon's, for no user). */
export const VM_COMMANDS: Command[] = VM_COMMAND_NAMES.map((name) => ({
  name,
  synopsis: SYNOPSIS[name] ? [SYNOPSIS[name]] : [],
  help: VM_USAGE,
  run: (argv: string[]) => run(name, argv),
}));

/** `dormouse resume NAME`: the named VM resumed (named-resume.ts tells it from a snapshot file). */
export const resumeNamed = (argv: string[]): Promise<number> => run("resume", argv);
