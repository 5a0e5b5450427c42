// The guest kit: Debian's arm64 kernel and busybox-static, fetched with apt under a private
// configuration, and an initramfs (newc cpio written here) whose /init gives a shell on the
// PL011 console. Versions used are recorded; the cache is reused.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, writeCpio } from "../machine/cpio.ts";
import { AptCache, extractDeb, KitError } from "./apt.ts";

export interface GuestKit {
  kernel: string;
  initramfs: string;
  versions: KitVersions;
}

export interface KitVersions {
  suite: string;
  kernelPackage: string;
  kernelVersion: string;
  busyboxVersion: string;
  fetched: string;
}

/** The initramfs's /init: proc, sys, dev, a tmpfs /tmp, busybox applets, then a login shell. */
export const KIT_INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
mount -t tmpfs tmpfs /tmp
echo "dormouse-kit: shell ready"
exec setsid cttyhack sh
`;

/** Builds the kit's initramfs around a busybox binary. */
export function buildInitramfs(busybox: Uint8Array): Uint8Array {
  return writeCpio([
    { name: "bin", mode: S_IFDIR | 0o755 },
    { name: "dev", mode: S_IFDIR | 0o755 },
    { name: "dev/console", mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
    { name: "bin/busybox", mode: S_IFREG | 0o755, data: busybox },
    { name: "bin/sh", mode: S_IFLNK | 0o777, data: "busybox" },
    { name: "init", mode: S_IFREG | 0o755, data: KIT_INIT },
  ]);
}

function findFile(root: string, test: (name: string) => boolean): string | null {
  if (!existsSync(root)) return null;
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) {
      const r = findFile(p, test);
      if (r) return r;
    } else if (test(e.name)) return p;
  }
  return null;
}

/** Fetches (or reuses) the guest kit in `cacheDir`. `refresh` refetches even when cached. */
export function guestKit(cacheDir: string, opts: { suite?: string; refresh?: boolean; log?: (m: string) => void } = {}): GuestKit {
  const suite = opts.suite ?? "sid";
  const log = opts.log ?? (() => {});
  const kitDir = join(cacheDir, "kit");
  const kernel = join(kitDir, "vmlinuz");
  const initramfs = join(kitDir, "initramfs.cpio");
  const versionsFile = join(kitDir, "versions.json");
  if (!opts.refresh && existsSync(kernel) && existsSync(initramfs) && existsSync(versionsFile)) {
    const versions = JSON.parse(readFileSync(versionsFile, "utf8")) as KitVersions;
    if (versions.suite === suite) return { kernel, initramfs, versions };
  }
  const apt = new AptCache(join(cacheDir, "apt-" + suite), suite);
  log(`updating package lists for ${suite}`);
  apt.update();
  const depends = apt.field("linux-image-arm64", "Depends") ?? "";
  const m = /(linux-image-[^\s,]+-arm64)\b/.exec(depends);
  if (!m) throw new KitError(`no arm64 kernel package in ${suite} (linux-image-arm64 depends on "${depends}")`);
  const kernelPackage = m[1];
  const kernelVersion = apt.field(kernelPackage, "Version") ?? "?";
  const work = join(cacheDir, "extract");
  log(`fetching ${kernelPackage} ${kernelVersion}`);
  extractDeb(apt.download(kernelPackage), join(work, "kernel"));
  const isKernel = (n: string) => n === "vmlinuz" || n.startsWith("vmlinuz-");
  let vmlinuz = findFile(join(work, "kernel"), isKernel);
  if (!vmlinuz) {
    // Since 7.x Debian splits the kernel binary from the (signed) image package.
    const deps = apt.field(kernelPackage, "Depends") ?? "";
    const bin = /(linux-binary-[^\s,]+|linux-image-[^\s,]+-unsigned)\b/.exec(deps);
    if (!bin) throw new KitError(`${kernelPackage} has no kernel binary and no linux-binary dependency`);
    log(`fetching ${bin[1]}`);
    extractDeb(apt.download(bin[1]), join(work, "kernel"));
    vmlinuz = findFile(join(work, "kernel"), isKernel);
    if (!vmlinuz) throw new KitError(`no vmlinuz in ${bin[1]}`);
  }
  const busyboxVersion = apt.field("busybox-static", "Version") ?? "?";
  log(`fetching busybox-static ${busyboxVersion}`);
  extractDeb(apt.download("busybox-static"), join(work, "busybox"));
  const busybox = findFile(join(work, "busybox"), (n) => n === "busybox");
  if (!busybox) throw new KitError("no busybox binary in busybox-static");
  mkdirSync(kitDir, { recursive: true });
  copyFileSync(vmlinuz, kernel);
  writeFileSync(initramfs, buildInitramfs(readFileSync(busybox)));
  const versions: KitVersions = { suite, kernelPackage, kernelVersion, busyboxVersion, fetched: new Date().toISOString() };
  writeFileSync(versionsFile, `${JSON.stringify(versions, null, 2)}\n`);
  return { kernel, initramfs, versions };
}

export { KitError };
