// dormouse image debian: builds (or finds cached) a bootable Debian arm64 disk from Debian's
// packages, without root, and copies it to the output file.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { debianImage, MIN_IMAGE_BYTES } from "../kit/debian-image.ts";
import { type Command, parseOptions, parseSize, UsageError } from "./args.ts";
import { makeDirectory } from "./files.ts";

/** Where `dormouse image` keeps built images, their packages and apt's lists. */
export function defaultImageCache(): string {
  return join(homedir(), ".cache", "dormouse", "images");
}

const SYNOPSIS = ["image debian [--suite trixie] [--size 4G] [--cache DIR] [--mirror URL] [--refresh] -o FILE"];

async function image(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      suite: { type: "string", default: "trixie" },
      size: { type: "string", default: "4G" },
      cache: { type: "string" },
      mirror: { type: "string" },
      refresh: { type: "boolean", default: false },
    },
  });
  if (positionals.length === 0) throw new UsageError("image takes the system to build: debian");
  if (positionals[0] !== "debian") throw new UsageError(`image builds only debian, not "${positionals[0]}"`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  if (!/^[a-z][a-z0-9.-]{0,63}$/.test(values.suite) || values.suite.includes(".."))
    throw new UsageError(`--suite takes a Debian suite name such as trixie or sid, not "${values.suite}"`);
  if (values.mirror !== undefined && !/^(https?|file):\/\/[^\s]+$/.test(values.mirror))
    throw new UsageError(`--mirror takes an http://, https:// or file:// URL, not "${values.mirror}"`);
  if (values.cache === "") throw new UsageError("--cache takes a directory name");
  const size = parseSize(values.size, "--size", { min: MIN_IMAGE_BYTES, max: 2 ** 40, align: 1 << 20 });
  if (!values.output) throw new UsageError("-o FILE (the disk image to write) is missing");
  const output = resolve(values.output);
  if (existsSync(output)) throw new UsageError(`${values.output} exists: give a new file name (nothing is overwritten)`);
  if (!existsSync(dirname(output)) || !statSync(dirname(output)).isDirectory())
    throw new UsageError(`cannot write ${values.output}: ${dirname(output)} is not a directory`);
  const cache = values.cache ?? defaultImageCache();
  makeDirectory(cache, "image cache");
  const t0 = Date.now();
  const img = await debianImage(cache, {
    suite: values.suite,
    sizeBytes: size,
    mirror: values.mirror,
    refresh: values.refresh,
    log: (m) => process.stderr.write(`image: ${m}\n`),
  });
  // The disk is sparse: copy it so (a plain copy would write every zero).
  try {
    execFileSync("cp", ["--sparse=always", "--reflink=auto", img.disk, output], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    throw new Error(`cannot copy the image to ${values.output}: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? e}`);
  }
  const v = img.versions;
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`disk: ${output}`);
  console.log(`kernel: ${img.kernel}\ninitrd: ${img.initrd}\ncmdline: ${img.cmdline}`);
  console.log(
    `versions: Debian ${v.suite}, linux ${v.kernelVersion} (${v.kernelSuite}), ${Object.keys(v.packages).length} packages (${join(dirname(img.disk), "versions.json")})`,
  );
  console.log(img.built ? `built in ${seconds} s` : `cached (built ${v.built} in ${v.buildSeconds} s)`);
  console.log(
    `run it: dormouse run --kernel ${img.kernel} --initrd ${img.initrd} --append '${img.cmdline}' --disk ${output} --smp 2 --memory 1G`,
  );
  console.log(`or through UEFI: dormouse firmware, then dormouse run --bios QEMU_EFI.fd --disk ${output} --smp 2 --memory 1G`);
  return 0;
}

export const imageCommand: Command = {
  name: "image",
  synopsis: SYNOPSIS,
  help: `usage: dormouse ${SYNOPSIS[0]}

Builds a bootable Debian arm64 disk image from Debian's packages without root: apt (under a
private configuration) resolves Priority: required with systemd, udev, D-Bus, initramfs-tools,
gdb and GRUB, and the newest kernel of the suite or its backports; the packages are unpacked
under fakeroot into an ext4 root (mke2fs -d) and configured by their maintainer scripts inside
Dormouse. GPT: an EFI system partition with GRUB, the root, a swap partition for hibernation
(resume= is set). The root account has no password; a getty runs on the serial console.
The image is cached in DIR (by default ~/.cache/dormouse/images) under its package versions,
which it records; FILE gets a copy. Prints the kernel, initramfs and command line for direct
kernel boot.

options:
  -o, --output FILE  the disk image to write (must not exist)
  --suite SUITE      the Debian suite (default trixie; its backports give the kernel)
  --size SIZE        the disk's size (default 4G, at least 2G)
  --cache DIR        where images and packages are kept
  --mirror URL       the Debian mirror
  --refresh          build again even when a cached image has the same versions
  --debug            show the stack of an error`,
  run: image,
};
