// dormouse firmware: fetches (or finds cached) Debian's EDK2 build for QEMU's virt board, the
// firmware --bios takes, and its empty variable store.
import { homedir } from "node:os";
import { join } from "node:path";
import { uefiFirmware } from "../kit/firmware.ts";
import { type Command, parseOptions, UsageError } from "./args.ts";

/** Where `dormouse firmware` keeps the firmware. */
export function defaultFirmwareCache(): string {
  return join(homedir(), ".cache", "dormouse", "firmware");
}

const SYNOPSIS = ["firmware [--cache DIR] [--suite sid|trixie|bookworm] [--mirror URL] [--refresh]"];

function firmware(argv: string[]): number {
  const { values } = parseOptions({
    args: argv,
    options: {
      cache: { type: "string" },
      suite: { type: "string", default: "sid" },
      mirror: { type: "string" },
      refresh: { type: "boolean", default: false },
    },
  });
  if (!/^[a-z][a-z0-9.-]{0,63}$/.test(values.suite) || values.suite.includes(".."))
    throw new UsageError(`--suite takes a Debian suite name such as sid or trixie, not "${values.suite}"`);
  if (values.mirror !== undefined && !/^(https?|file):\/\/[^\s]+$/.test(values.mirror))
    throw new UsageError(`--mirror takes an http://, https:// or file:// URL, not "${values.mirror}"`);
  if (values.cache === "") throw new UsageError("--cache takes a directory name");
  const fw = uefiFirmware(values.cache ?? defaultFirmwareCache(), {
    suite: values.suite,
    mirror: values.mirror,
    refresh: values.refresh,
    log: (m) => process.stderr.write(`firmware: ${m}\n`),
  });
  console.log(
    `firmware: ${fw.code}\nvariables template: ${fw.varsTemplate}\nversion: ${fw.versions.package} ${fw.versions.version} (${fw.versions.suite})`,
  );
  console.log(`run it: cp ${fw.varsTemplate} vars.fd && dormouse run --bios ${fw.code} --bios-vars vars.fd --disk <disk image>`);
  return 0;
}

export const firmwareCommand: Command = {
  name: "firmware",
  synopsis: SYNOPSIS,
  help: `usage: dormouse ${SYNOPSIS[0]}

Fetches Debian's qemu-efi-aarch64 (EDK2 built for QEMU's virt board) with apt (cached in DIR, by
default ~/.cache/dormouse/firmware); prints the firmware image for --bios and the empty variable
store to copy for --bios-vars.

options:
  --cache DIR     where the firmware is kept
  --suite SUITE   the Debian suite to take it from (default sid)
  --mirror URL    the Debian mirror
  --refresh       fetch again even when the cache is complete
  --debug         show the stack of an error`,
  run: firmware,
};
