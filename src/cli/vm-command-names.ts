// The names of the named-VM commands (vms.ts), apart so that main.ts can tell one without loading them.

/** The named-VM commands, in the order `dormouse --help` lists them (vm-process is the daemon's, for no user). */
export const VM_COMMAND_NAMES = [
  "create",
  "list",
  "start",
  "console",
  "pause",
  "wake",
  "powerdown",
  "sleep",
  "reset",
  "kill",
  "save",
  "snapshot",
  "restore",
  "show",
  "delete",
  "daemon",
  "vm-process",
] as const;
