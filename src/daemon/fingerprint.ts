// A hibernated VM's board, kept so that it boots again on exactly that board (memory, vCPUs,
// device tree inputs, kernel, initrd, command line) with its disks as they were: Linux resumes
// its image only on the machine that wrote it, and a disk changed since would be corrupted by
// the resumed kernel's idea of it. Checked before a hibernated VM boots; a mismatch is refused.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { imageIdentity } from "../host/node/block.ts";
import type { Hibernation, VmSpec } from "./schemas.ts";

/** A hibernated VM that must not boot as asked: the message says what differs. */
export class FingerprintError extends Error {}

const sha256 = (path: string | undefined) => (path ? createHash("sha256").update(readFileSync(path)).digest("hex") : null);

/** The board a spec describes, as plain fields (file contents by hash). */
function board(spec: VmSpec): Record<string, unknown> {
  return {
    memoryMiB: spec.memoryMiB,
    cpus: spec.cpus,
    append: spec.append,
    kernel: spec.kernel,
    kernelSha256: sha256(spec.kernel),
    initrd: spec.initrd ?? null,
    initrdSha256: sha256(spec.initrd),
    dtb: spec.dtb ?? null,
    dtbSha256: sha256(spec.dtb),
    disks: spec.disks.map((d) => `${d.path}${d.readOnly ? ",ro" : ""} serial=${d.serial}`),
    rng: spec.rng,
  };
}

/** The fingerprint of a VM that just hibernated (its disks closed). */
export function hibernationOf(spec: VmSpec): Hibernation {
  return {
    board: JSON.stringify(board(spec)),
    disks: spec.disks.map((d) => {
      const id = imageIdentity(d.path);
      return { path: id.path, size: id.size, mtimeNs: id.mtimeNs, sample: id.sample };
    }),
  };
}

const NAMES: Record<string, string> = {
  memoryMiB: "memory (MiB)",
  cpus: "vCPUs",
  append: "kernel command line",
  kernel: "kernel",
  kernelSha256: "kernel's content",
  initrd: "initrd",
  initrdSha256: "initrd's content",
  dtb: "device tree file",
  dtbSha256: "device tree's content",
  disks: "disks",
  rng: "virtio-rng device",
};

/** Refuses to boot `spec` for a VM that hibernated on the board `h` (a FingerprintError saying why). */
export function checkHibernation(h: Hibernation, spec: VmSpec): void {
  const hint = "start it with --discard-hibernation to boot it fresh";
  let was: Record<string, unknown>;
  try {
    was = JSON.parse(h.board) as Record<string, unknown>;
  } catch {
    throw new FingerprintError(`the VM's hibernation record is unreadable: ${hint}`);
  }
  let now: Record<string, unknown>;
  try {
    now = board(spec);
  } catch (e) {
    throw new FingerprintError(
      `cannot read the VM's image (${(e as NodeJS.ErrnoException).code ?? e}): its hibernated board cannot be rebuilt`,
    );
  }
  for (const k of Object.keys(NAMES)) {
    const [a, b] = [JSON.stringify(was[k]), JSON.stringify(now[k])];
    if (a !== b) {
      const shown = k.endsWith("Sha256") ? "" : ` (${a} → ${b})`;
      throw new FingerprintError(
        `the VM hibernated on a different board: its ${NAMES[k]} changed${shown}, and Linux resumes only on the board it hibernated on; ${hint}`,
      );
    }
  }
  for (const d of h.disks) {
    let id: ReturnType<typeof imageIdentity>;
    try {
      id = imageIdentity(d.path);
    } catch (e) {
      throw new FingerprintError(`${(e as Error).message}: the VM hibernated onto it`);
    }
    const what = [
      id.size !== d.size && `size ${d.size} → ${id.size}`,
      id.mtimeNs !== d.mtimeNs && "modification time",
      id.sample !== d.sample && "content",
    ].filter(Boolean);
    if (what.length)
      throw new FingerprintError(
        `the disk ${d.path} changed since the VM hibernated onto it (${what.join(", ")}): refusing to resume it; ${hint}`,
      );
  }
}
