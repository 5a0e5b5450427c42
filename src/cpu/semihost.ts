// The host side of Arm semihosting (Semihosting for AArch32 and AArch64, v2.0): the guest
// executes HLT #0xF000 at EL1 with the operation in W0 and a parameter in X1; the core stops
// with ExitReason.Semihost (PC already past the HLT) and `Semihosting.handle()` performs the
// call, reading and writing guest memory through the CPU's current translation regime and
// leaving the result in X0. Pure logic: output goes to an injected writer, clocks are injected.
import type { Cpu } from "./cpu.ts";

/** Semihosting operation numbers (W0). */
export enum SemihostOp {
  Open = 0x01,
  Close = 0x02,
  WriteC = 0x03,
  Write0 = 0x04,
  Write = 0x05,
  Read = 0x06,
  ReadC = 0x07,
  IsError = 0x08,
  IsTty = 0x09,
  Seek = 0x0a,
  Flen = 0x0c,
  Clock = 0x10,
  Time = 0x11,
  Errno = 0x13,
  GetCmdline = 0x15,
  HeapInfo = 0x16,
  Exit = 0x18,
  ExitExtended = 0x20,
  Elapsed = 0x30,
  TickFreq = 0x31,
}

/** ADP_Stopped_ApplicationExit: the normal-exit reason of SYS_EXIT. */
export const ADP_STOPPED_APPLICATION_EXIT = 0x20026n;

/** Handles SYS_OPEN(":tt") hands out: the console's input, output and error streams. */
export enum ConsoleHandle {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
}

export type SemihostStream = "stdout" | "stderr";

export interface SemihostOptions {
  /** Receives console output (SYS_WRITEC, SYS_WRITE0 and SYS_WRITE to the console handles). */
  write(stream: SemihostStream, bytes: Uint8Array): void;
  /** Wall-clock time in milliseconds since the Unix epoch (SYS_TIME); default Date.now. */
  now?: () => number;
  /**
   * Monotonic time in nanoseconds since the program started (SYS_CLOCK, SYS_ELAPSED with
   * SYS_TICKFREQ = 1 GHz); default: the process's monotonic clock from construction.
   */
  monotonicNs?: () => bigint;
  /** SYS_HEAPINFO's answer; zeros (meaning "unknown", the C library picks) by default. */
  heapInfo?: { heapBase: bigint; heapLimit: bigint; stackBase: bigint; stackLimit: bigint };
  /** SYS_GET_CMDLINE's answer; empty by default. */
  cmdline?: string;
}

/** What the guest asked for, beyond the call itself. */
export type SemihostResult =
  | { kind: "continue" }
  /** SYS_EXIT / SYS_EXIT_EXTENDED: exit status as QEMU computes it, with the raw reason and subcode. */
  | { kind: "exit"; code: number; reason: bigint; subcode: bigint };

const M64 = (1n << 64n) - 1n;
const MINUS_ONE = M64;
/** Errno values reported by SYS_ERRNO. */
const EBADF = 9n;
const EFAULT = 14n;
const EINVAL = 22n;
const ENOENT = 2n;

/** Semihosting for one Cpu. Enable it in the core with `cpu.setSemihosting(true)`. */
export class Semihosting {
  private errno = 0n;
  private readonly start: bigint;
  private readonly monotonic: () => bigint;

  constructor(
    private readonly cpu: Cpu,
    private readonly opts: SemihostOptions,
  ) {
    this.monotonic = opts.monotonicNs ?? (() => BigInt(Math.round(performance.now() * 1e6)));
    this.start = this.monotonic();
  }

  /** Performs the call the core stopped for (after ExitReason.Semihost). */
  handle(): SemihostResult {
    const op = Number(this.cpu.x(0) & 0xffffffffn);
    const arg = this.cpu.x(1);
    let ret: bigint;
    switch (op) {
      case SemihostOp.WriteC: {
        const b = this.cpu.readVirt(arg, 1);
        if (b) this.opts.write("stdout", b);
        return { kind: "continue" }; // X0 is corrupted by the call; leave it
      }
      case SemihostOp.Write0: {
        const s = this.readString(arg);
        if (s) this.opts.write("stdout", s);
        return { kind: "continue" };
      }
      case SemihostOp.Write:
        ret = this.sysWrite(arg);
        break;
      case SemihostOp.Open:
        ret = this.sysOpen(arg);
        break;
      case SemihostOp.Close: {
        const h = this.field(arg, 0);
        ret = h !== null && this.isConsole(h) ? 0n : this.fail(EBADF);
        break;
      }
      case SemihostOp.Read: {
        // The console has no input: report end of file (every byte left unread).
        const h = this.field(arg, 0);
        const len = this.field(arg, 2);
        ret = h === null || len === null ? this.fail(EFAULT) : this.isConsole(h) ? len : this.fail(EBADF);
        break;
      }
      case SemihostOp.ReadC:
        ret = MINUS_ONE;
        break;
      case SemihostOp.IsError: {
        const status = this.field(arg, 0);
        ret = status !== null && status >> 63n ? 1n : 0n;
        break;
      }
      case SemihostOp.IsTty: {
        const h = this.field(arg, 0);
        if (h !== null && this.isConsole(h)) ret = 1n;
        else {
          this.fail(EBADF);
          ret = 0n;
        }
        break;
      }
      case SemihostOp.Seek:
      case SemihostOp.Flen:
        ret = this.fail(EBADF);
        break;
      case SemihostOp.Clock:
        ret = (this.monotonic() - this.start) / 10_000_000n; // centiseconds
        break;
      case SemihostOp.Time:
        ret = BigInt(Math.floor((this.opts.now ?? Date.now)() / 1000));
        break;
      case SemihostOp.Errno:
        ret = this.errno;
        break;
      case SemihostOp.GetCmdline:
        ret = this.sysGetCmdline(arg);
        break;
      case SemihostOp.HeapInfo: {
        const block = this.readU64(arg);
        const h = this.opts.heapInfo ?? { heapBase: 0n, heapLimit: 0n, stackBase: 0n, stackLimit: 0n };
        const ok = block !== null && this.writeU64s(block, [h.heapBase, h.heapLimit, h.stackBase, h.stackLimit]);
        ret = ok ? 0n : this.fail(EFAULT);
        break;
      }
      case SemihostOp.Elapsed:
        ret = this.writeU64s(arg, [this.monotonic() - this.start]) ? 0n : this.fail(EFAULT);
        break;
      case SemihostOp.TickFreq:
        ret = 1_000_000_000n;
        break;
      case SemihostOp.Exit:
      case SemihostOp.ExitExtended: {
        // AArch64 passes a parameter block {reason, subcode}; QEMU's exit status is the subcode
        // for ADP_Stopped_ApplicationExit and 1 for any other reason.
        const reason = this.field(arg, 0) ?? 0n;
        const subcode = this.field(arg, 1) ?? 0n;
        const code = reason === ADP_STOPPED_APPLICATION_EXIT ? Number(subcode & 0xffffffffn) | 0 : 1;
        return { kind: "exit", code, reason, subcode };
      }
      default:
        ret = this.fail(EINVAL);
        break;
    }
    this.cpu.setX(0, ret & M64);
    return { kind: "continue" };
  }

  private fail(errno: bigint): bigint {
    this.errno = errno;
    return MINUS_ONE;
  }

  private isConsole(h: bigint): boolean {
    return h === BigInt(ConsoleHandle.Stdin) || h === BigInt(ConsoleHandle.Stdout) || h === BigInt(ConsoleHandle.Stderr);
  }

  private sysOpen(block: bigint): bigint {
    const name = this.field(block, 0);
    const mode = this.field(block, 1);
    const len = this.field(block, 2);
    if (name === null || mode === null || len === null || len > 4096n) return this.fail(EFAULT);
    const bytes = this.cpu.readVirt(name, Number(len));
    if (!bytes) return this.fail(EFAULT);
    if (new TextDecoder().decode(bytes) !== ":tt") return this.fail(ENOENT);
    // Modes 0-3 ("r" variants) read the console, 4-7 ("w") write stdout, 8-11 ("a") stderr.
    if (mode < 4n) return BigInt(ConsoleHandle.Stdin);
    if (mode < 8n) return BigInt(ConsoleHandle.Stdout);
    if (mode < 12n) return BigInt(ConsoleHandle.Stderr);
    return this.fail(EINVAL);
  }

  /** SYS_WRITE: returns the number of bytes not written. */
  private sysWrite(block: bigint): bigint {
    const h = this.field(block, 0);
    const buf = this.field(block, 1);
    const len = this.field(block, 2);
    if (h === null || buf === null || len === null) return this.fail(EFAULT);
    if (h !== BigInt(ConsoleHandle.Stdout) && h !== BigInt(ConsoleHandle.Stderr)) {
      this.fail(EBADF);
      return len;
    }
    if (len === 0n) return 0n;
    if (len > 1n << 24n) {
      this.fail(EINVAL);
      return len;
    }
    const bytes = this.cpu.readVirt(buf, Number(len));
    if (!bytes) {
      this.fail(EFAULT);
      return len;
    }
    this.opts.write(h === BigInt(ConsoleHandle.Stdout) ? "stdout" : "stderr", bytes);
    return 0n;
  }

  private sysGetCmdline(block: bigint): bigint {
    const buf = this.field(block, 0);
    const size = this.field(block, 1);
    if (buf === null || size === null) return this.fail(EFAULT);
    const text = new TextEncoder().encode(this.opts.cmdline ?? "");
    if (BigInt(text.length) + 1n > size) return this.fail(EINVAL);
    const out = new Uint8Array(text.length + 1);
    out.set(text);
    if (!this.writeVirt(buf, out) || !this.writeU64s(block + 8n, [BigInt(text.length)])) return this.fail(EFAULT);
    return 0n;
  }

  /** Field i (64-bit) of a parameter block, or null when unmapped. */
  private field(block: bigint, i: number): bigint | null {
    return this.readU64(block + BigInt(8 * i));
  }

  private readU64(va: bigint): bigint | null {
    const b = this.cpu.readVirt(va, 8);
    return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : null;
  }

  private writeU64s(va: bigint, values: bigint[]): boolean {
    const buf = new Uint8Array(8 * values.length);
    const dv = new DataView(buf.buffer);
    values.forEach((v, i) => {
      dv.setBigUint64(8 * i, v & M64, true);
    });
    return this.writeVirt(va, buf);
  }

  /** Writes guest virtual memory page by page; false (nothing more written) on an unmapped page. */
  private writeVirt(va: bigint, bytes: Uint8Array): boolean {
    let done = 0;
    while (done < bytes.length) {
      const a = va + BigInt(done);
      const pa = this.cpu.translate(a);
      if (pa === null) return false;
      const chunk = Math.min(bytes.length - done, 4096 - Number(a & 0xfffn));
      try {
        this.cpu.writePhys(pa, bytes.subarray(done, done + chunk));
      } catch {
        return false;
      }
      done += chunk;
    }
    return true;
  }

  /** A NUL-terminated string (without the NUL), read a page at a time; null when unmapped. */
  private readString(va: bigint, max = 1 << 20): Uint8Array | null {
    const parts: Uint8Array[] = [];
    let total = 0;
    let a = va;
    while (total < max) {
      const chunk = 4096 - Number(a & 0xfffn);
      const b = this.cpu.readVirt(a, chunk);
      if (!b) return total ? concat(parts, total) : null;
      const nul = b.indexOf(0);
      if (nul >= 0) {
        parts.push(b.subarray(0, nul));
        return concat(parts, total + nul);
      }
      parts.push(b);
      total += chunk;
      a += BigInt(chunk);
    }
    return concat(parts, total);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p.subarray(0, total - o), o);
    o += p.length;
    if (o >= total) break;
  }
  return out;
}
