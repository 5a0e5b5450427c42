// dormouse guest-kit: fetches (or finds cached) Debian's arm64 kernel and a busybox initramfs.
import { homedir } from "node:os";
import { join } from "node:path";
import { guestKit } from "../kit/guest-kit.ts";
import { type Command, parseOptions, UsageError } from "./args.ts";
import { makeDirectory } from "./files.ts";

/** Where `dormouse guest-kit` and a bare `dormouse run` keep the kit. */
export function defaultKitCache(): string {
  return join(homedir(), ".cache", "dormouse", "guest-kit");
}

const SYNOPSIS = ["guest-kit [--cache DIR] [--suite sid|trixie-backports|bookworm] [--mirror URL] [--refresh]"];

function kit(argv: string[]): number {
  const { values } = parseOptions({
    args: argv,
    options: {
      cache: { type: "string" },
      suite: { type: "string", default: "sid" },
      mirror: { type: "string" },
      refresh: { type: "boolean", default: false },
    },
  });
  // The suite names files in the cache and goes into apt's sources line.
  if (!/^[a-z][a-z0-9.-]{0,63}$/.test(values.suite) || values.suite.includes(".."))
    throw new UsageError(`--suite takes a Debian suite name such as sid or trixie-backports, not "${values.suite}"`);
  if (values.mirror !== undefined && !/^(https?|file):\/\/[^\s]+$/.test(values.mirror))
    throw new UsageError(`--mirror takes an http://, https:// or file:// URL, not "${values.mirror}"`);
  if (values.cache === "") throw new UsageError("--cache takes a directory name");
  const cache = values.cache ?? defaultKitCache();
  makeDirectory(cache, "guest kit cache");
  const k = guestKit(cache, {
    suite: values.suite,
    mirror: values.mirror,
    refresh: values.refresh,
    log: (m) => process.stderr.write(`guest-kit: ${m}\n`),
  });
  console.log(
    `kernel: ${k.kernel}\ninitramfs: ${k.initramfs}\nversions: ${k.versions.kernelPackage} ${k.versions.kernelVersion}, busybox ${k.versions.busyboxVersion} (${k.versions.suite})`,
  );
  console.log(`run it: dormouse run --kernel ${k.kernel} --initrd ${k.initramfs} --smp 2`);
  return 0;
}

export const kitCommand: Command = {
  name: "guest-kit",
  synopsis: SYNOPSIS,
  help: `usage: dormouse ${SYNOPSIS[0]}

Fetches Debian's arm64 kernel and its modules with apt and builds a busybox initramfs for it
(cached in DIR, by default ~/.cache/dormouse/guest-kit); prints the kernel and initramfs paths.

options:
  --cache DIR     where the kit is kept
  --suite SUITE   the Debian suite to take the kernel from (default sid)
  --mirror URL    the Debian mirror
  --refresh       fetch again even when the cache is complete
  --debug         show the stack of an error`,
  run: kit,
};
