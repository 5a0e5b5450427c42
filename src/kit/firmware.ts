// UEFI firmware for the virt board: Debian's qemu-efi-aarch64 (EDK2's ArmVirtQemu build),
// fetched with apt under a private configuration like the guest kit, cached, its version
// recorded. QEMU_EFI.fd is what QEMU's -bios takes; AAVMF_VARS.fd is the empty variable store
// to copy for --bios-vars.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AptCache, extractDeb, KitError } from "./apt.ts";
import { withLock } from "./guest-kit.ts";

export const FIRMWARE_PACKAGE = "qemu-efi-aarch64";

export interface UefiFirmware {
  /** The firmware image for --bios (QEMU_EFI.fd). */
  code: string;
  /** The package's empty variable store (AAVMF_VARS.fd, 64 MiB): copy it for --bios-vars. */
  varsTemplate: string;
  versions: FirmwareVersions;
}

export interface FirmwareVersions {
  suite: string;
  package: string;
  version: string;
  fetched: string;
}

/** Fetches (or reuses) Debian's EDK2 build for QEMU's virt board in `cacheDir`. */
export function uefiFirmware(
  cacheArg: string,
  opts: { suite?: string; refresh?: boolean; mirror?: string; log?: (m: string) => void } = {},
): UefiFirmware {
  // apt takes relative Dir:: paths as relative to its root directory, not to the working directory.
  const cacheDir = resolve(cacheArg);
  const suite = opts.suite ?? "sid";
  const log = opts.log ?? (() => {});
  const dir = join(cacheDir, suite);
  const code = join(dir, "QEMU_EFI.fd");
  const varsTemplate = join(dir, "AAVMF_VARS.fd");
  const versionsFile = join(dir, "versions.json");
  const cached = (): UefiFirmware | null => {
    if (opts.refresh || !existsSync(code) || !existsSync(varsTemplate) || !existsSync(versionsFile)) return null;
    const versions = JSON.parse(readFileSync(versionsFile, "utf8")) as FirmwareVersions;
    return versions.suite === suite ? { code, varsTemplate, versions } : null;
  };
  const have = cached();
  if (have) return have;
  return withLock(join(cacheDir, `.lock-${suite}`), log, () => {
    const now = cached();
    if (now) return now;
    const apt = new AptCache(join(cacheDir, `apt-${suite}`), suite, opts.mirror);
    log(`updating package lists for ${suite}`);
    apt.update();
    const version = apt.field(FIRMWARE_PACKAGE, "Version");
    if (!version) throw new KitError(`package ${FIRMWARE_PACKAGE} not found in ${suite}`);
    log(`fetching ${FIRMWARE_PACKAGE} ${version}`);
    const work = join(cacheDir, `extract-${suite}`);
    rmSync(work, { recursive: true, force: true });
    extractDeb(apt.download(FIRMWARE_PACKAGE), work);
    const from = {
      code: join(work, "usr/share/qemu-efi-aarch64/QEMU_EFI.fd"),
      vars: join(work, "usr/share/AAVMF/AAVMF_VARS.fd"),
    };
    for (const f of Object.values(from))
      if (!existsSync(f)) throw new KitError(`${FIRMWARE_PACKAGE} ${version} has no ${f.slice(work.length + 1)}`);
    mkdirSync(dir, { recursive: true });
    const tmp = (p: string) => `${p}.tmp-${process.pid}`;
    copyFileSync(from.code, tmp(code));
    renameSync(tmp(code), code);
    copyFileSync(from.vars, tmp(varsTemplate));
    renameSync(tmp(varsTemplate), varsTemplate);
    rmSync(work, { recursive: true, force: true });
    const versions: FirmwareVersions = { suite, package: FIRMWARE_PACKAGE, version, fetched: new Date().toISOString() };
    writeFileSync(tmp(versionsFile), `${JSON.stringify(versions, null, 2)}\n`);
    renameSync(tmp(versionsFile), versionsFile);
    return { code, varsTemplate, versions };
  });
}
