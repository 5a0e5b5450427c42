// Node system errors in words, for one-line messages (the CLI's and the host's own).

/** Why a file cannot be used, in words, from a Node system error. */
export function fileProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOTDIR: "a component of the path is not a directory",
    EISDIR: "it is a directory",
    EEXIST: "it already exists",
    ENOSPC: "no space left on the device",
    EDQUOT: "over the disk quota",
    EMFILE: "too many open files",
    EIO: "input/output error",
    ELOOP: "too many symbolic links",
    ENAMETOOLONG: "the name is too long",
    ETXTBSY: "the file is busy",
    EBUSY: "the file is busy",
    ENXIO: "no such device",
    ENODEV: "no such device",
  };
  return (code && known[code]) ?? (e instanceof Error ? e.message.split("\n")[0].trim() : String(e));
}
