// Typed errors of the hypervisor API, named like the errno values KVM returns for the same cases.

export type HvErrno = "EINVAL" | "EEXIST" | "EBUSY" | "ENOENT" | "EINTR" | "ENOEXEC";

/** A request the hypervisor refuses, with KVM's errno for it. */
export class HvError extends Error {
  constructor(
    readonly errno: HvErrno,
    message: string,
  ) {
    super(`${errno}: ${message}`);
    this.name = "HvError";
  }
}
