// `dormouse image debian`: a bootable Debian arm64 disk built from Debian's packages without
// root. apt resolves Priority: required plus systemd, udev, logind's D-Bus, initramfs-tools,
// gdb and GRUB against an empty dpkg status and downloads them under a private configuration
// (AptCache); the first stage unpacks them under fakeroot into an ext4 root made with
// mke2fs -d (debian-rootfs.ts); the second configures them inside Dormouse (debian-stage2.ts).
// The disk: GPT with an EFI system partition (Debian's signed GRUB as the removable-media
// loader, a grub.cfg), the root and a swap partition that resume= names. The image, the kernel
// and the initramfs for direct kernel boot are cached under a key of the suite, the size and
// every package version, which are recorded.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { AptCache, KitError, versionGreater } from "./apt.ts";
import {
  checkHostTools,
  hostDepmod,
  makeEsp,
  makeExt4,
  moduleClosure,
  readExt4File,
  registerUnpacked,
  unpackPackages,
  writeSystemConfig,
} from "./debian-rootfs.ts";
import { ROOT_DEVICE, runStage2, STAGE2_PATH, stage2Script } from "./debian-stage2.ts";
import { PART_TYPE, randomUuid, writeGpt, writeSwapHeader } from "./gpt.ts";
import { acquireLock, findFile } from "./guest-kit.ts";

/** Bumped when the image's layout or configuration changes, so older cached images are rebuilt. */
const IMAGE_FORMAT = 4;
const MIB = 1 << 20;

/**
 * What the image installs besides Priority: required: an init system with logind (and the
 * D-Bus it talks over, for the power and sleep keys), udev, the tools a root file system and
 * its modules need, initramfs-tools, gdb, procps, and Debian's signed GRUB for the UEFI leg.
 */
export const IMAGE_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "udev",
  "dbus",
  "libpam-systemd",
  "login",
  "util-linux",
  "e2fsprogs",
  "kmod",
  "initramfs-tools",
  "gdb",
  "procps",
  "grub-efi-arm64-signed",
] as const;

/** Linux calls SYSTEM_OFF2 for hibernation from 6.13 on. */
const KERNEL_MIN = "6.13";

export interface ImageVersions {
  format: number;
  suite: string;
  /** The suite the kernel came from (a backports suite when it has a newer one). */
  kernelSuite: string;
  kernelVersion: string;
  /** The kernel's release (uname -r, the modules directory). */
  kernelRelease: string;
  sizeBytes: number;
  /** Every installed package with its version. */
  packages: Record<string, string>;
  busyboxStatic: string;
  rootUuid: string;
  swapUuid: string;
  espUuid: string;
  /** The kernel command line (grub.cfg has it; give it to --append for direct kernel boot). */
  cmdline: string;
  built: string;
  buildSeconds: number;
}

export interface DebianImage {
  disk: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  versions: ImageVersions;
  /** True when it was built now, false when it came from the cache. */
  built: boolean;
}

export interface DebianImageOptions {
  suite?: string;
  sizeBytes?: number;
  mirror?: string;
  refresh?: boolean;
  log?: (m: string) => void;
}

/** The smallest disk the image fits with its swap. */
export const MIN_IMAGE_BYTES = 2048 * MIB;

/** Partition layout of a disk of `size` bytes: ESP 64 MiB at 1 MiB, the root, swap at the end. */
export function imageLayout(size: number): { esp: [number, number]; root: [number, number]; swap: [number, number] } {
  const swapBytes = Math.min(1024 * MIB, Math.floor(size / 4 / MIB) * MIB);
  const end = Math.floor(size / MIB) * MIB - MIB;
  return { esp: [MIB, 65 * MIB], root: [65 * MIB, end - swapBytes], swap: [end - swapBytes, end] };
}

function isComplete(dir: string, key: string): boolean {
  const vf = join(dir, "versions.json");
  if (!["disk.img", "vmlinuz", "initrd.img"].every((f) => existsSync(join(dir, f))) || !existsSync(vf)) return false;
  const v = JSON.parse(readFileSync(vf, "utf8")) as ImageVersions & { key?: string };
  return v.format === IMAGE_FORMAT && v.key === key;
}

function cachedImage(dir: string, built: boolean): DebianImage {
  const versions = JSON.parse(readFileSync(join(dir, "versions.json"), "utf8")) as ImageVersions;
  return {
    disk: join(dir, "disk.img"),
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initrd.img"),
    cmdline: versions.cmdline,
    versions,
    built,
  };
}

/** The newest cached complete image of a suite and size (for when the archive cannot be reached). */
function newestCached(cacheDir: string, suite: string, sizeBytes: number): DebianImage | null {
  if (!existsSync(cacheDir)) return null;
  const found = readdirSync(cacheDir)
    .filter((d) => d.startsWith(`${suite}-`) && !d.includes(".tmp"))
    .map((d) => join(cacheDir, d))
    .filter((d) => existsSync(join(d, "versions.json")) && existsSync(join(d, "disk.img")))
    .map((d) => cachedImage(d, false))
    .filter((i) => i.versions.format === IMAGE_FORMAT && i.versions.sizeBytes === sizeBytes && i.versions.suite === suite)
    .sort((a, b) => (a.versions.built < b.versions.built ? 1 : -1));
  return found[0] ?? null;
}

/** Suites whose packages the image may take, the suite's backports first tried (stable suites have them). */
function openArchive(cacheDir: string, suite: string, mirror: string | undefined, log: (m: string) => void): AptCache {
  const hasBackports = !["sid", "unstable", "experimental"].includes(suite) && !suite.endsWith("-backports");
  if (hasBackports) {
    const apt = new AptCache(join(cacheDir, `apt-${suite}`), suite, mirror, { extraSuites: [`${suite}-backports`], emptyStatus: true });
    try {
      log(`updating package lists for ${suite} and ${suite}-backports`);
      apt.update();
      return apt;
    } catch (e) {
      if (/cannot reach/.test((e as Error).message)) throw e;
      log(`no ${suite}-backports (${(e as Error).message}); the kernel comes from ${suite}`);
    }
  }
  const apt = new AptCache(join(cacheDir, `apt-${suite}`), suite, mirror, { emptyStatus: true });
  log(`updating package lists for ${suite}`);
  apt.update();
  return apt;
}

/** Builds (or finds cached) the Debian image in `cacheArg`. */
export async function debianImage(cacheArg: string, opts: DebianImageOptions = {}): Promise<DebianImage> {
  const cacheDir = resolve(cacheArg);
  const suite = opts.suite ?? "trixie";
  const sizeBytes = opts.sizeBytes ?? 4096 * MIB;
  const log = opts.log ?? (() => {});
  if (sizeBytes < MIN_IMAGE_BYTES) throw new KitError(`a Debian image needs at least ${MIN_IMAGE_BYTES / MIB} MiB`);
  mkdirSync(cacheDir, { recursive: true });
  const t0 = Date.now();
  let apt: AptCache;
  try {
    apt = openArchive(cacheDir, suite, opts.mirror, log);
  } catch (e) {
    const old = !opts.refresh && /cannot reach/.test((e as Error).message) ? newestCached(cacheDir, suite, sizeBytes) : null;
    if (!old) throw e;
    log(`${(e as Error).message}; using the cached image built ${old.versions.built}`);
    return old;
  }
  const kernels = apt.versions("linux-image-arm64");
  if (kernels.length === 0) throw new KitError(`no linux-image-arm64 in ${suite}`);
  const kernel = kernels[0];
  if (!versionGreater(kernel.version, KERNEL_MIN))
    log(`warning: the newest kernel is ${kernel.version}: Linux before ${KERNEL_MIN} never calls SYSTEM_OFF2 to hibernate`);
  const required = apt.packagesOfPriority("required");
  log(
    `resolving ${required.length} required packages, ${IMAGE_PACKAGES.join(" ")} and linux-image-arm64 ${kernel.version} (${kernel.suite})`,
  );
  const packages = apt.resolve([...required, ...IMAGE_PACKAGES, `linux-image-arm64/${kernel.suite}`], suite);
  const busyboxVersion = apt.field("busybox-static", "Version");
  if (!busyboxVersion) throw new KitError(`no busybox-static in ${suite}`);
  const key = createHash("sha256")
    .update(JSON.stringify({ format: IMAGE_FORMAT, suite, sizeBytes, packages, busyboxVersion }))
    .digest("hex")
    .slice(0, 16);
  const dir = join(cacheDir, `${suite}-${key}`);
  if (!opts.refresh && isComplete(dir, key)) return cachedImage(dir, false);
  const release = acquireLock(join(cacheDir, `.lock-${suite}-${key}`), log);
  try {
    if (!opts.refresh && isComplete(dir, key)) return cachedImage(dir, false);
    checkHostTools();
    log(`no cached ${suite} image has these versions: building one in ${dir} (about 10 minutes on 2 cores; later runs reuse it)`);
    log(`downloading ${packages.length} packages`);
    const debs = apt.downloadExact(packages);
    const [busyboxDeb] = apt.downloadExact([{ name: "busybox-static", version: busyboxVersion }]);
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const versions = await build(work, {
      suite,
      kernelSuite: kernel.suite,
      kernelVersion: kernel.version,
      sizeBytes,
      packages,
      debs,
      busyboxDeb,
      busyboxVersion,
      log,
    });
    versions.buildSeconds = Math.round((Date.now() - t0) / 1000);
    writeFileSync(join(work, "versions.json"), `${JSON.stringify({ ...versions, key }, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    return cachedImage(dir, true);
  } finally {
    release();
  }
}

interface BuildPlan {
  suite: string;
  kernelSuite: string;
  kernelVersion: string;
  sizeBytes: number;
  packages: { name: string; version: string }[];
  debs: string[];
  busyboxDeb: string;
  busyboxVersion: string;
  log: (m: string) => void;
}

/** Writes disk.img, vmlinuz and initrd.img into `work`; returns what versions.json records (but the time). */
async function build(work: string, p: BuildPlan): Promise<ImageVersions> {
  const root = join(work, "root");
  const ctl = join(work, "control");
  const state = join(work, "fakeroot.state");
  const disk = join(work, "disk.img");
  p.log(`unpacking ${p.debs.length} packages under fakeroot`);
  const lists = unpackPackages(root, ctl, state, p.debs);
  registerUnpacked(root, ctl, lists);
  const releases = readdirSync(join(root, "usr/lib/modules"));
  if (releases.length !== 1) throw new KitError(`expected one kernel in the image, found ${releases.join(", ") || "none"}`);
  const kernelRelease = releases[0];
  const kernelInRoot = [`usr/lib/modules/${kernelRelease}/vmlinuz`, `boot/vmlinuz-${kernelRelease}`].find((f) => existsSync(join(root, f)));
  if (!kernelInRoot) throw new KitError(`no kernel binary for ${kernelRelease} in the unpacked packages`);
  copyFileSync(join(root, kernelInRoot), join(work, "vmlinuz"));
  const grubEfiPath = join(root, "usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed");
  if (!existsSync(grubEfiPath)) throw new KitError("grub-efi-arm64-signed has no grubaa64.efi.signed");
  const grubEfi = readFileSync(grubEfiPath);
  const rootUuid = randomUuid();
  const swapUuid = randomUuid();
  const espId = randomBytes(4).toString("hex").toUpperCase();
  const espUuid = `${espId.slice(0, 4)}-${espId.slice(4)}`;
  const cmdline = `root=UUID=${rootUuid} rw console=ttyAMA0 resume=UUID=${swapUuid}`;
  p.log(`depmod for ${kernelRelease} (on this machine)`);
  const depmodFiles = hostDepmod(root, kernelRelease);
  const owned = writeSystemConfig(root, { hostname: "dormouse", rootUuid, espUuid, swapUuid, kernelVersion: kernelRelease });
  owned.push(...depmodFiles);
  writeFileSync(join(root, STAGE2_PATH), stage2Script(kernelRelease), { mode: 0o755 });
  owned.push(STAGE2_PATH);
  const modules = moduleClosure(join(root, "usr/lib/modules", kernelRelease), ["virtio_mmio", "virtio_blk", "ext4"]);
  const busyboxDir = join(work, "busybox");
  execFileSync("dpkg-deb", ["-x", p.busyboxDeb, busyboxDir]);
  const busybox = findFile(busyboxDir, (n) => n === "busybox");
  if (!busybox) throw new KitError("no busybox binary in busybox-static");

  const layout = imageLayout(p.sizeBytes);
  writeFileSync(disk, "");
  writeGpt(disk, p.sizeBytes, randomUuid(), [
    { type: PART_TYPE.esp, guid: randomUuid(), name: "EFI system partition", start: layout.esp[0], end: layout.esp[1] },
    { type: PART_TYPE.rootArm64, guid: randomUuid(), name: "root", start: layout.root[0], end: layout.root[1] },
    { type: PART_TYPE.swap, guid: randomUuid(), name: "swap", start: layout.swap[0], end: layout.swap[1] },
  ]);
  p.log(`making the ext4 root (${(layout.root[1] - layout.root[0]) / MIB} MiB) with mke2fs -d`);
  makeExt4(root, state, disk, layout.root[0], layout.root[1] - layout.root[0], rootUuid, owned);
  writeSwapHeader(disk, layout.swap[0], layout.swap[1] - layout.swap[0], swapUuid, "swap");
  rmSync(root, { recursive: true, force: true });

  p.log(`second stage: configuring the packages inside Dormouse (root ${ROOT_DEVICE}; console in ${join(work, "stage2.log")})`);
  await runStage2({
    kernel: join(work, "vmlinuz"),
    disk,
    busybox: readFileSync(busybox),
    modules,
    logFile: join(work, "stage2.log"),
    log: p.log,
  });
  readExt4File(disk, layout.root[0], `/boot/initrd.img-${kernelRelease}`, join(work, "initrd.img"));

  // Debian's signed GRUB looks for its grub.cfg in /EFI/debian of the partition it started from.
  const grubCfg = `set timeout=0
search --no-floppy --fs-uuid --set=root ${rootUuid}
linux /${kernelInRoot} ${cmdline}
initrd /boot/initrd.img-${kernelRelease}
boot
`;
  const esp = join(work, "esp.img");
  makeEsp(
    esp,
    layout.esp[1] - layout.esp[0],
    espId,
    {
      "EFI/BOOT/BOOTAA64.EFI": grubEfi,
      "EFI/BOOT/grub.cfg": grubCfg,
      "EFI/debian/grub.cfg": grubCfg,
    },
    work,
  );
  const fd = openSync(disk, "r+");
  try {
    const bytes = readFileSync(esp);
    writeSync(fd, bytes, 0, bytes.length, layout.esp[0]);
  } finally {
    closeSync(fd);
  }
  for (const d of [ctl, busyboxDir, esp, state]) rmSync(d, { recursive: true, force: true });
  return {
    format: IMAGE_FORMAT,
    suite: p.suite,
    kernelSuite: p.kernelSuite,
    kernelVersion: p.kernelVersion,
    kernelRelease,
    sizeBytes: p.sizeBytes,
    packages: Object.fromEntries(p.packages.map((x) => [x.name, x.version])),
    busyboxStatic: p.busyboxVersion,
    rootUuid,
    swapUuid,
    espUuid,
    cmdline,
    built: new Date().toISOString(),
    buildSeconds: 0,
  };
}
