// bench:cpu's guest (tools/bench/workload.c, start.S, link.ld) built with the aarch64 cross gcc
// into .cache/bench, rebuilt when a source is newer than the binary.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;
const root = join(here, "../..");

/** Builds (when stale) and returns the workload's ELF and flat binary paths. */
export function buildWorkload(): { elf: string; bin: string } {
  const dir = join(root, ".cache/bench");
  mkdirSync(dir, { recursive: true });
  const elf = join(dir, "workload.elf");
  const bin = join(dir, "workload.bin");
  const srcs = ["start.S", "workload.c", "link.ld"].map((f) => join(here, f));
  const newest = Math.max(...srcs.map((f) => Number(execFileSync("stat", ["-c", "%Y", f], { encoding: "utf8" }))));
  const fresh = existsSync(bin) && Number(execFileSync("stat", ["-c", "%Y", bin], { encoding: "utf8" })) >= newest;
  if (!fresh) {
    execFileSync("aarch64-linux-gnu-gcc", [
      "-O2",
      "-ffreestanding",
      "-nostdlib",
      "-static",
      "-fno-pie",
      "-no-pie",
      "-Wl,--no-warn-rwx-segments",
      "-Wl,--build-id=none",
      "-T",
      srcs[2],
      "-o",
      elf,
      srcs[0],
      srcs[1],
    ]);
    execFileSync("aarch64-linux-gnu-objcopy", ["-O", "binary", elf, bin]);
  }
  return { elf, bin };
}
