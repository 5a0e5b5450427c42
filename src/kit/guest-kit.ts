// The guest kit: Debian's arm64 kernel and busybox-static, fetched with apt under a private
// configuration, and an initramfs (newc cpio written here) whose /init gives a shell on the
// PL011 console. Versions used are recorded; the cache is reused.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, writeCpio } from "../machine/cpio.ts";
import { AptCache, extractDeb, extractDebFiles, KitError } from "./apt.ts";

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
  /** The package the modules came from, and the modules in the initramfs (load order). */
  modulesPackage: string;
  modules: string[];
  /** Bumped when the kit's layout changes, so older caches are rebuilt. */
  format: number;
  fetched: string;
}

const KIT_FORMAT = 4;

/**
 * Drivers Debian builds as modules that the virt board's devices need, in load order: the
 * virtio-mmio transport, virtio-blk, virtio-rng, the gpio-keys power button (and evdev, so its
 * KEY_POWER shows in /dev/input), the SBSA watchdog.
 * None has dependencies (their modinfo `depends=` is empty).
 */
export const KIT_MODULES = ["virtio_mmio", "virtio_blk", "virtio-rng", "gpio_keys", "evdev", "sbsa_gwdt"] as const;

/**
 * The initramfs's /init: proc, sys, dev, a tmpfs /tmp, busybox applets, the modules, a resume
 * from hibernation when the command line names a resume= device, then a shell.
 */
export const KIT_INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
mount -t tmpfs tmpfs /tmp
for m in ${KIT_MODULES.join(" ")}; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
# Resume from hibernation (resume=/dev/vdX): the disk appears only once virtio_blk is loaded, after
# the kernel's own attempt, so tell it here, as initramfs-tools does. No image: boot goes on.
for arg in $(cat /proc/cmdline); do
  case "$arg" in
  resume=/dev/*) [ -f "/sys/class/block/\${arg#resume=/dev/}/dev" ] && cat "/sys/class/block/\${arg#resume=/dev/}/dev" > /sys/power/resume ;;
  esac
done
echo "dormouse-kit: shell ready"
exec setsid cttyhack sh
`;

/**
 * Builds the kit's initramfs around a busybox binary and the modules (name → .ko bytes); `init`
 * replaces the kit's /init (KIT_INIT).
 */
export function buildInitramfs(busybox: Uint8Array, modules: ReadonlyMap<string, Uint8Array> = new Map(), init = KIT_INIT): Uint8Array {
  const mods = [...modules].map(([name, data]) => ({ name: `lib/modules/${name}.ko`, mode: S_IFREG | 0o644, data }));
  return writeCpio([
    { name: "bin", mode: S_IFDIR | 0o755 },
    { name: "lib", mode: S_IFDIR | 0o755 },
    { name: "lib/modules", mode: S_IFDIR | 0o755 },
    ...mods,
    { name: "dev", mode: S_IFDIR | 0o755 },
    { name: "dev/console", mode: S_IFCHR | 0o600, rdevMajor: 5, rdevMinor: 1 },
    { name: "bin/busybox", mode: S_IFREG | 0o755, data: busybox },
    { name: "bin/sh", mode: S_IFLNK | 0o777, data: "busybox" },
    { name: "init", mode: S_IFREG | 0o755, data: init },
  ]);
}

export function findFile(root: string, test: (name: string) => boolean): string | null {
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

/** A module file's bytes, decompressed (Debian ships .ko.xz since 6.x; .ko, .ko.gz and .ko.zst too). */
export function readModule(path: string): Uint8Array {
  const tool = path.endsWith(".xz") ? "xz" : path.endsWith(".zst") ? "zstd" : null;
  if (path.endsWith(".gz")) return gunzipSync(readFileSync(path));
  if (!tool) return readFileSync(path);
  try {
    return execFileSync(tool, ["-dc", path], { maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw new KitError(`${tool} is missing: it is needed to decompress ${basename(path)}`);
    throw new KitError(`${tool} -dc ${path} failed: ${err.stderr?.toString().trim() ?? e}`);
  }
}

/** Module names as the kernel sees them: '-' and '_' are the same. */
const modKey = (n: string) => n.replace(/-/g, "_");

/**
 * Extracts KIT_MODULES from a modules package (or an image package that holds its own modules);
 * a module absent from the package must be built in (listed in modules.builtin).
 */
function fetchModules(deb: string, work: string, pkg: string): Map<string, Uint8Array> {
  const dir = join(work, "modules");
  rmSync(dir, { recursive: true, force: true });
  const suffixes = KIT_MODULES.flatMap((m) => [".ko", ".ko.xz", ".ko.zst", ".ko.gz"].map((x) => `/${m}${x}`));
  const files = extractDebFiles(deb, dir, [...suffixes, "/modules.builtin"]);
  const builtin = files.find((f) => f.endsWith("/modules.builtin"));
  const builtinNames = new Set(
    builtin
      ? readFileSync(join(dir, builtin), "utf8")
          .split("\n")
          .map((l) => modKey(basename(l).replace(/\.ko$/, "")))
      : [],
  );
  const out = new Map<string, Uint8Array>();
  for (const m of KIT_MODULES) {
    const f = files.find((x) => basename(x).startsWith(`${m}.ko`));
    if (f) out.set(m, readModule(join(dir, f)));
    else if (!builtinNames.has(modKey(m))) throw new KitError(`module ${m} is neither in ${pkg} nor built into its kernel`);
  }
  return out;
}

/** Fetches (or reuses) the guest kit in `cacheDir`. `refresh` refetches even when cached. */
export function guestKit(
  cacheArg: string,
  opts: { suite?: string; refresh?: boolean; mirror?: string; log?: (m: string) => void } = {},
): GuestKit {
  // apt takes relative Dir:: paths as relative to its root directory, not to the working directory.
  const cacheDir = resolve(cacheArg);
  const suite = opts.suite ?? "sid";
  const log = opts.log ?? (() => {});
  const kitDir = join(cacheDir, suite === "sid" ? "kit" : `kit-${suite}`);
  const kernel = join(kitDir, "vmlinuz");
  const initramfs = join(kitDir, "initramfs.cpio");
  const versionsFile = join(kitDir, "versions.json");
  const cached = (): GuestKit | null => {
    if (opts.refresh || !existsSync(kernel) || !existsSync(initramfs) || !existsSync(versionsFile)) return null;
    const versions = JSON.parse(readFileSync(versionsFile, "utf8")) as KitVersions;
    return versions.suite === suite && versions.format === KIT_FORMAT ? { kernel, initramfs, versions } : null;
  };
  const have = cached();
  if (have) return have;
  // Several processes (parallel test files) may want the kit at once: one fetches, the others
  // wait for it and then find it cached.
  return withLock(join(cacheDir, `.lock-${suite}`), log, () => {
    const now = cached();
    if (now) return now;
    return fetchKit(cacheDir, suite, kitDir, opts.mirror, log);
  });
}

/** Waits for and holds a lock file (holding this process's pid; a dead holder's lock is taken over). */
export function withLock<T>(lock: string, log: (m: string) => void, fn: () => T): T {
  const release = acquireLock(lock, log);
  try {
    return fn();
  } finally {
    release();
  }
}

/** Waits for and takes a lock file as withLock does; returns its release. */
export function acquireLock(lock: string, log: (m: string) => void): () => void {
  mkdirSync(dirname(lock), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 20 * 60_000;
  let told = false;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new KitError(`cannot create ${lock}: ${(e as Error).message}`);
    }
    const holder = Number(readFileSync(lock, "utf8").trim() || "0");
    let alive = holder > 0;
    try {
      if (alive) process.kill(holder, 0);
    } catch {
      alive = false;
    }
    if (!alive) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new KitError(`timed out waiting for process ${holder} to finish fetching the guest kit (${lock})`);
    if (!told) log(`waiting for process ${holder}, which is fetching the guest kit`);
    told = true;
    Atomics.wait(sleeper, 0, 0, 250);
  }
  return () => rmSync(lock, { force: true });
}

/** Fetches the kit's packages and writes the kit (each file written whole, then renamed). */
function fetchKit(cacheDir: string, suite: string, kitDir: string, mirror: string | undefined, log: (m: string) => void): GuestKit {
  const kernel = join(kitDir, "vmlinuz");
  const initramfs = join(kitDir, "initramfs.cpio");
  const versionsFile = join(kitDir, "versions.json");
  const apt = new AptCache(join(cacheDir, `apt-${suite}`), suite, mirror);
  log(`updating package lists for ${suite}`);
  apt.update();
  const depends = apt.field("linux-image-arm64", "Depends") ?? "";
  const m = /(linux-image-[^\s,]+-arm64)\b/.exec(depends);
  if (!m) throw new KitError(`no arm64 kernel package in ${suite} (linux-image-arm64 depends on "${depends}")`);
  const kernelPackage = m[1];
  const kernelVersion = apt.field(kernelPackage, "Version") ?? "?";
  const work = join(cacheDir, `extract-${suite}`);
  rmSync(work, { recursive: true, force: true });
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
  // Since 7.x the modules are a package of their own; before, the image package held them.
  const modulesPackage = /(linux-modules-[^\s,]+)\b/.exec(apt.field(kernelPackage, "Depends") ?? "")?.[1] ?? kernelPackage;
  log(`fetching the modules from ${modulesPackage}`);
  const modules = fetchModules(apt.download(modulesPackage), work, modulesPackage);
  const busyboxVersion = apt.field("busybox-static", "Version") ?? "?";
  log(`fetching busybox-static ${busyboxVersion}`);
  extractDeb(apt.download("busybox-static"), join(work, "busybox"));
  const busybox = findFile(join(work, "busybox"), (n) => n === "busybox");
  if (!busybox) throw new KitError("no busybox binary in busybox-static");
  mkdirSync(kitDir, { recursive: true });
  const tmp = (p: string) => `${p}.tmp-${process.pid}`;
  copyFileSync(vmlinuz, tmp(kernel));
  renameSync(tmp(kernel), kernel);
  writeFileSync(tmp(initramfs), buildInitramfs(readFileSync(busybox), modules));
  renameSync(tmp(initramfs), initramfs);
  const versions: KitVersions = {
    suite,
    kernelPackage,
    kernelVersion,
    busyboxVersion,
    modulesPackage,
    modules: [...modules.keys()],
    format: KIT_FORMAT,
    fetched: new Date().toISOString(),
  };
  writeFileSync(tmp(versionsFile), `${JSON.stringify(versions, null, 2)}\n`);
  renameSync(tmp(versionsFile), versionsFile);
  return { kernel, initramfs, versions };
}

export { KitError };
