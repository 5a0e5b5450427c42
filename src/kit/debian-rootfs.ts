// The first stage of a Debian disk image, on the build machine without root: every package
// unpacked with dpkg-deb under fakeroot (files root-owned in fakeroot's records), registered in
// dpkg's database as unpacked (status, info/ with the maintainer scripts, file lists,
// conffiles), the system configuration a Debian installer would write, and the ext4 root made
// from the tree with mke2fs -d in the same fakeroot session. Maintainer scripts run in the
// second stage, inside Dormouse (debian-stage2.ts).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { KitError } from "./apt.ts";
import { readModule } from "./guest-kit.ts";

/**
 * The environment the build's commands run in: mke2fs, mkfs.fat and depmod are in /usr/sbin
 * (/sbin), which is not in a Debian user's PATH, so it is added.
 */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? "/usr/bin:/bin").split(":").filter(Boolean);
  for (const d of ["/usr/sbin", "/sbin"]) if (!path.includes(d)) path.push(d);
  return { ...process.env, ...extra, PATH: path.join(":") };
}

/** The one-line error for a missing build command (installing a package needs root: say so). */
export function missingTool(cmd: string, what: string): KitError {
  const pkg = HOST_PACKAGES[cmd] ?? cmd;
  return new KitError(
    `${cmd} is missing: ${what} needs it (Debian package ${pkg}; installing it needs root: ask an administrator for "apt-get install ${pkg}")`,
  );
}

function run(cmd: string, args: string[], what: string, input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", input, maxBuffer: 1 << 30, stdio: ["pipe", "pipe", "pipe"], env: toolEnv() });
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === "ENOENT") throw missingTool(cmd, what);
    const tail = (err.stderr ?? String(e)).trim().split("\n").slice(-3).join(" / ");
    throw new KitError(`${what} failed: ${tail}`);
  }
}

/** The build machine's commands and the Debian packages that have them. */
export const HOST_PACKAGES: Record<string, string> = {
  fakeroot: "fakeroot",
  "dpkg-deb": "dpkg",
  mke2fs: "e2fsprogs",
  debugfs: "e2fsprogs",
  "mkfs.fat": "dosfstools",
  mmd: "mtools",
  mcopy: "mtools",
  bash: "bash",
  depmod: "kmod",
};

/** Throws the one-line error for the first build command that is not installed (before anything is downloaded). */
export function checkHostTools(): void {
  const path = (toolEnv().PATH ?? "").split(":");
  for (const cmd of Object.keys(HOST_PACKAGES))
    if (!path.some((d) => existsSync(join(d, cmd)))) throw missingTool(cmd, "building a Debian image");
}

/**
 * Unpacks `debs` into `root` (merged /usr: /bin, /sbin and /lib are links into /usr, as
 * Debian's installers make them) and each package's control files into `ctl/<index>`, under
 * fakeroot whose records are kept in `state`. Returns each package's file list (tar's names).
 */
export function unpackPackages(root: string, ctl: string, state: string, debs: string[]): string[][] {
  mkdirSync(root, { recursive: true });
  mkdirSync(ctl, { recursive: true });
  const lists = join(ctl, "lists");
  mkdirSync(lists, { recursive: true });
  const script = `set -eo pipefail
root="$1" ctl="$2"; shift 2
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib"
ln -sfn usr/bin "$root/bin"; ln -sfn usr/sbin "$root/sbin"; ln -sfn usr/lib "$root/lib"
i=0
for deb in "$@"; do
  mkdir -p "$ctl/$i"
  dpkg-deb -e "$deb" "$ctl/$i"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -v --quoting-style=literal --keep-directory-symlink --same-owner --same-permissions -C "$root" -f - > "$ctl/lists/$i"
  i=$((i+1))
done`;
  run("fakeroot", ["-s", state, "--", "bash", "-c", script, "unpack", root, ctl, ...debs], "unpacking the packages under fakeroot");
  return debs.map((_d, i) =>
    readFileSync(join(lists, String(i)), "utf8")
      .split("\n")
      .filter(Boolean),
  );
}

const md5File = (p: string) => createHash("md5").update(readFileSync(p)).digest("hex");

/**
 * dpkg's database for packages unpacked but not configured (what `dpkg --unpack` leaves): the
 * status file, and in info/ each package's maintainer scripts, md5sums, conffiles and file list.
 */
export function registerUnpacked(root: string, ctl: string, lists: string[][]): string[] {
  const dpkg = join(root, "var/lib/dpkg");
  const info = join(dpkg, "info");
  for (const d of [info, join(dpkg, "updates"), join(dpkg, "triggers"), join(dpkg, "alternatives"), join(root, "etc/alternatives")])
    mkdirSync(d, { recursive: true });
  const records: string[] = [];
  const names: string[] = [];
  lists.forEach((files, i) => {
    const dir = join(ctl, String(i));
    const control = readFileSync(join(dir, "control"), "utf8").trimEnd();
    const field = (n: string) => new RegExp(`^${n}: (.*)$`, "m").exec(control)?.[1]?.trim();
    const pkg = field("Package");
    if (!pkg) throw new KitError(`a package's control file has no Package field (${dir})`);
    names.push(pkg);
    // Multi-Arch: same packages keep their files under pkg:arch.
    const key = field("Multi-Arch") === "same" ? `${pkg}:${field("Architecture")}` : pkg;
    let conffiles = "";
    for (const f of readdirSync(dir)) {
      if (f === "control") continue;
      const to = join(info, `${key}.${f}`);
      copyFileSync(join(dir, f), to);
      if (["preinst", "postinst", "prerm", "postrm", "config"].includes(f)) chmodSync(to, 0o755);
      if (f === "conffiles") {
        for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
          // Lines with flags (remove-on-upgrade) name files the package does not ship.
          const path = line.trim();
          if (!path.startsWith("/")) continue;
          const onDisk = join(root, path);
          const sum = existsSync(onDisk) && lstatSync(onDisk).isFile() ? md5File(onDisk) : "newconffile";
          conffiles += `\n ${path} ${sum}`;
        }
      }
    }
    const paths = files.map((f) => (f === "./" ? "/." : f.replace(/^\.\//, "/").replace(/\/$/, "")));
    writeFileSync(join(info, `${key}.list`), `${paths.join("\n")}\n`);
    const [first, ...rest] = control.split("\n");
    const record = [first, "Status: install ok unpacked", ...rest].join("\n") + (conffiles ? `\nConffiles:${conffiles}` : "");
    records.push(record);
  });
  writeFileSync(join(dpkg, "status"), `${records.join("\n\n")}\n\n`);
  for (const f of ["available", "diversions", "statoverride"]) if (!existsSync(join(dpkg, f))) writeFileSync(join(dpkg, f), "");
  return names;
}

export interface SystemConfig {
  hostname: string;
  rootUuid: string;
  espUuid: string;
  swapUuid: string;
  kernelVersion: string;
}

/** udev: the console (the virt board's PL011) is a wake source. */
const CONSOLE_WAKEUP_RULE = 'ACTION=="add", SUBSYSTEM=="tty", KERNEL=="ttyAMA0", ATTR{power/wakeup}="enabled"';
/** systemd-sleep's hooks (run with pre|post and the sleep's kind). */
const SLEEP_HOOK_DIR = "usr/lib/systemd/system-sleep";
/** The hook that takes the console off the wake sources around a hibernation. */
const CONSOLE_WAKEUP_HOOK = `#!/bin/sh
# Written by dormouse image debian: the console stops being a wake source before a hibernation
# (an image saved with the UART's interrupt armed for wakeup resumes with it masked) and is one
# again after it (the udev rule 60-dormouse-console-wakeup.rules makes it one at boot).
w=/sys/class/tty/ttyAMA0/power/wakeup
[ -w "$w" ] || exit 0
case "$1/$2" in
pre/hibernate | pre/hybrid-sleep | pre/suspend-then-hibernate) echo disabled >"$w" ;;
post/hibernate | post/hybrid-sleep | post/suspend-then-hibernate) echo enabled >"$w" ;;
esac
exit 0
`;

/** Text files a Debian installer writes (fstab, hostname, hosts, initramfs-tools' resume device and modules), and the console's wake-up settings. */
export function writeSystemConfig(root: string, c: SystemConfig): string[] {
  const files: Record<string, string> = {
    "etc/fstab": `# <file system> <mount point> <type> <options> <dump> <pass>
UUID=${c.rootUuid} / ext4 errors=remount-ro 0 1
UUID=${c.espUuid} /boot/efi vfat umask=0077,noauto,nofail 0 2
UUID=${c.swapUuid} none swap sw 0 0
`,
    "etc/hostname": `${c.hostname}\n`,
    "etc/hosts": `127.0.0.1\tlocalhost\n127.0.1.1\t${c.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    "etc/initramfs-tools/conf.d/resume": `RESUME=UUID=${c.swapUuid}\n`,
    // The initramfs holds the virt board's disk, its transport and the root's file system (with
    // what they depend on, as initramfs-tools resolves it), not most of the kernel's drivers:
    // a small initramfs is quicker to build in the second stage and to unpack at every boot.
    "etc/initramfs-tools/modules": "virtio_mmio\nvirtio_blk\next4\n",
    "etc/initramfs-tools/conf.d/dormouse": "MODULES=list\n",
    // An emulated machine's udev can take longer than the default 90 s to announce the console
    // and the swap partition; the serial getty and swap wait for them rather than fail.
    "etc/systemd/system.conf.d/dormouse.conf": "[Manager]\nDefaultDeviceTimeoutSec=600s\n",
    // A key typed on the console wakes the system from suspend: Linux makes no serial port a
    // wake source by default. Before hibernation the console stops being one, and is one again
    // after: an image saved with the UART's interrupt armed for wakeup resumes with it masked
    // (the restoring kernel masks it, the image never unmasks it) and the console takes no input.
    "etc/udev/rules.d/60-dormouse-console-wakeup.rules": `${CONSOLE_WAKEUP_RULE}\n`,
    [`${SLEEP_HOOK_DIR}/dormouse-console-wakeup`]: CONSOLE_WAKEUP_HOOK,
    // Nothing starts services while the second stage configures the packages.
    "usr/sbin/policy-rc.d": "#!/bin/sh\nexit 101\n",
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, ".."), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  chmodSync(join(root, "usr/sbin/policy-rc.d"), 0o755);
  chmodSync(join(root, SLEEP_HOOK_DIR, "dormouse-console-wakeup"), 0o755);
  mkdirSync(join(root, "boot/efi"), { recursive: true });
  // systemd's package has no system-sleep folder: it is made here, so it is made root's too.
  return [...Object.keys(files), SLEEP_HOOK_DIR, "boot/efi", "var/lib/dpkg", "etc/alternatives"];
}

/**
 * Makes the ext4 root file system from `root` at `offset` of the disk image, `bytes` long, in
 * the fakeroot session of `state`: the files written outside it (`ownedByRoot`, relative to
 * `root`) are made root's first.
 */
export function makeExt4(
  root: string,
  state: string,
  disk: string,
  offset: number,
  bytes: number,
  uuid: string,
  ownedByRoot: string[],
): void {
  const script = `set -e
root="$1"; shift
cd "$root"
chown -R 0:0 "$@"
cd /
mke2fs -q -F -t ext4 -L root -U "$MKE2FS_UUID" -E "offset=$MKE2FS_OFFSET" -d "$root" "$MKE2FS_DISK" "$MKE2FS_BLOCKS"`;
  try {
    execFileSync("fakeroot", ["-i", state, "-s", state, "--", "bash", "-c", script, "mkfs", root, ...ownedByRoot], {
      stdio: ["ignore", "pipe", "pipe"],
      env: toolEnv({
        MKE2FS_UUID: uuid,
        MKE2FS_OFFSET: String(offset),
        MKE2FS_DISK: disk,
        MKE2FS_BLOCKS: `${Math.floor(bytes / 1024)}k`,
      }),
    });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw missingTool("fakeroot", "building a disk image");
    throw new KitError(`mke2fs -d (the root file system) failed: ${err.stderr?.toString().trim().split("\n").slice(-3).join(" / ") ?? e}`);
  }
}

/** Copies a file out of the ext4 file system at `offset` of a disk image (debugfs, no mount). */
export function readExt4File(disk: string, offset: number, path: string, to: string): void {
  run("debugfs", ["-R", `dump -p ${path} ${to}`, `${disk}?offset=${offset}`], `reading ${path} from the disk image`);
  if (!existsSync(to) || lstatSync(to).size === 0) throw new KitError(`${path} is not in the disk image's root file system`);
}

/** Makes a FAT EFI system partition image holding `files` (paths with "/"), `bytes` long. */
export function makeEsp(image: string, bytes: number, uuid: string, files: Record<string, Uint8Array | string>, work: string): void {
  // A FAT volume ID is 32 bits, shown as XXXX-XXXX.
  run("mkfs.fat", ["-C", "-F", "32", "-n", "ESP", "-i", uuid.replace("-", ""), image, String(Math.floor(bytes / 1024))], "mkfs.fat");
  const dirs = new Set<string>();
  for (const name of Object.keys(files)) for (let d = join(name, ".."); d !== "."; d = join(d, "..")) dirs.add(d);
  for (const d of [...dirs].sort()) run("mmd", ["-i", image, `::/${d}`], "mmd");
  const local = join(work, "esp-file");
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(local, data);
    run("mcopy", ["-i", image, local, `::/${name}`], "mcopy");
  }
  rmSync(local, { force: true });
}

/**
 * Runs depmod for the kernel `release` unpacked in `root` on the build machine (Debian's kmod
 * reads a foreign tree with -b; the modules are arm64 ELF, compressed with xz), which the
 * emulated second stage took about 7 minutes for over the kernel's ~4,500 modules. Checks that
 * every module got a modules.dep line; returns the files it wrote, relative to `root` (not in
 * fakeroot's records: the caller makes them root's).
 */
export function hostDepmod(root: string, release: string): string[] {
  const rel = `usr/lib/modules/${release}`;
  const dir = join(root, rel);
  const before = new Set(readdirSync(dir));
  // Older kmod looks under <root>/lib/modules; the merged-/usr tree has /lib -> usr/lib.
  run("depmod", ["-b", root, "-a", release], "making the modules' dependency lists (modules.dep)");
  const modules = countModules(dir);
  const lines = readFileSync(join(dir, "modules.dep"), "utf8")
    .split("\n")
    .filter((l) => l.includes(":")).length;
  if (lines !== modules)
    throw new KitError(`depmod listed ${lines} of the kernel's ${modules} modules in modules.dep (does this depmod read .ko.xz files?)`);
  return readdirSync(dir)
    .filter((f) => !before.has(f))
    .map((f) => `${rel}/${f}`);
}

function countModules(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countModules(join(dir, e.name));
    else if (/\.ko(\.xz|\.zst|\.gz)?$/.test(e.name)) n++;
  }
  return n;
}

/** A kernel module's dependencies, from its .modinfo section ("depends=a,b"). */
export function moduleDepends(ko: Uint8Array): string[] {
  const text = Buffer.from(ko).toString("latin1");
  const m = /\0depends=([^\0]*)\0/.exec(text);
  return m ? m[1].split(",").filter(Boolean) : [];
}

/**
 * The modules `names` need from the tree under `moduleDir`, dependencies first (name → bytes,
 * decompressed); a name with no file must be built in.
 */
export function moduleClosure(moduleDir: string, names: string[]): Map<string, Uint8Array> {
  const index = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const m = /^(.*)\.ko(\.xz|\.zst|\.gz)?$/.exec(e.name);
        if (m) index.set(m[1].replace(/-/g, "_"), p);
      }
    }
  };
  walk(moduleDir);
  const builtin = new Set(
    existsSync(join(moduleDir, "modules.builtin"))
      ? readFileSync(join(moduleDir, "modules.builtin"), "utf8")
          .split("\n")
          .map((l) => basename(l).replace(/\.ko$/, "").replace(/-/g, "_"))
      : [],
  );
  const out = new Map<string, Uint8Array>();
  const visit = (name: string, from: string) => {
    const key = name.replace(/-/g, "_");
    if (out.has(key)) return;
    const file = index.get(key);
    if (!file) {
      if (builtin.has(key)) return;
      throw new KitError(`module ${name} (needed by ${from}) is neither in ${moduleDir} nor built in`);
    }
    const ko = readModule(file);
    for (const d of moduleDepends(ko)) visit(d, name);
    out.set(key, ko);
  };
  for (const n of names) visit(n, "the image");
  return out;
}
