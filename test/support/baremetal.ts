// Bare-metal guests for system-level tests: sources under test/guests (assembly and C) are
// built at test time with the cross toolchain into an ELF linked at QEMU virt's RAM base
// (test/guests/link.ld) and a flat image of it, then run on a Cpu with semihosting until the
// guest exits (SYS_EXIT), or under qemu-system-aarch64 for comparison:
//   qemu-system-aarch64 -M virt -cpu cortex-a57 -nographic -semihosting -kernel <elf>
//
// Guests start at EL1h with DAIF masked and the MMU off, as both machines boot them; they set
// what they depend on (VBAR, SP, NZCV, SCTLR, CPACR) rather than trusting reset values, which
// differ (QEMU starts with Z set). Where QEMU 7.2 departs from the architecture the guests
// have a -DQEMU_REF variant: it does not trap WFE at EL0, swaps Op1/Op2 in the MSR-immediate
// trap syndrome, has no SP alignment checking, and (before 9.0) no alignment faults for Device
// memory with the MMU off. The assembly guests need only branches, data-processing immediate
// and system instructions (stores are DC ZVA, checks are TBZ/TBNZ chains: test/guests/bm-asm.h).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Cpu, type CpuCallbacks, ExitReason } from "../../src/cpu/cpu.ts";
import { decodeOp } from "../../src/cpu/disasm/generated/disasm.gen.ts";
import { Semihosting } from "../../src/cpu/semihost.ts";
import { gcc, repoRoot } from "./toolchain.ts";
import { coreModule } from "../../src/host/node/core.ts";

export const GUEST_DIR = join(repoRoot, "test/guests");
/** Where the image is linked and loaded (QEMU virt's RAM base). */
export const LOAD_ADDR = 0x4000_0000n;
/** RAM given to guests on our Cpu. */
export const GUEST_RAM = 16 << 20;

/** Support files every assembly guest links with (start code and vector table). */
export const ASM_RUNTIME = ["start.S", "vectors.S"];
/** Support files every C guest links with (start code, vectors, C runtime). */
export const C_RUNTIME = ["crt0.S", "bm.c"];

export interface Guest {
  elf: string;
  image: Uint8Array;
  entry: bigint;
}

export interface BuildOptions {
  /** Extra compiler flags (e.g. -DTEST=3). */
  cflags?: string[];
  /** Generated sources (name -> text) compiled with the files. */
  extra?: Record<string, string>;
  /** Generate code without FP/SIMD registers (-mgeneral-regs-only). */
  noFp?: boolean;
  /**
   * C guests: leave the MMU off (crt0.S BM_NO_MMU). Data accesses are then Device memory, where
   * misaligned accesses fault, so the code is compiled with -mstrict-align.
   */
  noMmu?: boolean;
}

/**
 * Builds a guest from files in test/guests (plus every header there): compiled with
 * `aarch64-linux-gnu-gcc -O2 -ffreestanding -nostdlib -static` and linked with link.ld.
 */
export function buildGuest(files: string[], opts: BuildOptions = {}): Guest {
  const sources: Record<string, string> = {};
  for (const f of files) sources[f] = readFileSync(join(GUEST_DIR, f), "utf8");
  Object.assign(sources, opts.extra ?? {});
  for (const f of ["link.ld", "bm-asm.h", "bm.h", "pl011-print.h"]) {
    if (existsSync(join(GUEST_DIR, f))) sources[f] = readFileSync(join(GUEST_DIR, f), "utf8");
  }
  const args = [
    "-O2",
    "-ffreestanding",
    "-nostdlib",
    "-static",
    "-mcpu=cortex-a57",
    "-fno-pie",
    "-no-pie",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-Wall",
    "-Werror",
    "-T",
    "link.ld",
    "-Wl,--build-id=none",
    "-I.",
    "-mno-outline-atomics",
    ...(opts.noFp ? ["-mgeneral-regs-only"] : []),
    ...(opts.noMmu ? ["-DBM_NO_MMU", "-mstrict-align"] : []),
    ...(opts.cflags ?? []),
  ];
  const elf = gcc(sources, args, "guest.elf");
  const bin = `${elf}.bin`;
  if (!existsSync(bin)) execFileSync("aarch64-linux-gnu-objcopy", ["-O", "binary", elf, bin]);
  return { elf, image: new Uint8Array(readFileSync(bin)), entry: LOAD_ADDR };
}

export interface GuestRun {
  /** Exit status (SYS_EXIT subcode for ADP_Stopped_ApplicationExit, else 1), as QEMU's process status. */
  code: number;
  /** Everything the guest printed, in order. */
  console: string;
  stdout: string;
  stderr: string;
  instret: bigint;
  cpu: Cpu;
}

/** Cpus by JIT threshold (-1: the default), reused across guests in one process. */
const shared = new Map<number, Cpu>();

/**
 * A reset Cpu with GUEST_RAM at 0x40000000 (reused across guests in one process), with the
 * given JIT threshold (CpuConfig.jitThreshold) or the default one.
 */
export function guestCpu(callbacks: CpuCallbacks = {}, jitThreshold?: number): Cpu {
  const key = jitThreshold ?? -1;
  let cpu = shared.get(key);
  if (!cpu) {
    cpu = new Cpu({ module: coreModule(), ramSize: GUEST_RAM, jitThreshold });
    shared.set(key, cpu);
  }
  cpu.setCallbacks(callbacks);
  cpu.reset();
  cpu.ram.fill(0);
  cpu.flushCaches();
  return cpu;
}

export interface RunOptions {
  /** Instructions before giving up (default 50 M). */
  budget?: number;
  callbacks?: CpuCallbacks;
  /** CpuConfig.jitThreshold of the Cpu (default: the environment's, see Cpu). */
  jitThreshold?: number;
  /** Handles any other exit (WFI, HVC, ...); returns false to fail the run. */
  onExit?: (reason: ExitReason, cpu: Cpu) => boolean;
}

/** Runs a guest on our Cpu to its SYS_EXIT; throws on any other stop. */
export function runGuest(guest: Guest, opts: RunOptions = {}): GuestRun {
  const cpu = guestCpu(opts.callbacks, opts.jitThreshold);
  cpu.writePhys(LOAD_ADDR, guest.image);
  cpu.pc = guest.entry;
  cpu.setSemihosting(true);
  let stdout = "";
  let stderr = "";
  let console = "";
  const dec = new TextDecoder();
  const semi = new Semihosting(cpu, {
    write(stream, bytes) {
      const s = dec.decode(bytes);
      console += s;
      if (stream === "stdout") stdout += s;
      else stderr += s;
    },
  });
  let left = opts.budget ?? 50_000_000;
  while (left > 0) {
    const before = cpu.instret;
    const chunk = Math.min(left, 1_000_000);
    const r = cpu.run(chunk);
    // A budget exit used every step (faulting ones included); other exits at least what retired.
    left -= r === ExitReason.Budget ? chunk : Math.max(1, Number(cpu.instret - before));
    if (r === ExitReason.Budget) continue;
    if (r === ExitReason.Semihost) {
      const res = semi.handle();
      if (res.kind === "exit") return { code: res.code, console, stdout, stderr, instret: cpu.instret, cpu };
      continue;
    }
    if (opts.onExit?.(r, cpu)) continue;
    throw new Error(`guest stopped with exit ${ExitReason[r]} at pc 0x${cpu.pc.toString(16)}${describe(cpu)}\n${console}`);
  }
  throw new Error(`guest did not exit within its budget (pc 0x${cpu.pc.toString(16)}${describe(cpu)})\n${console}`);
}

/**
 * Mnemonics in the guest's code that our decoder does not know (a guest test asserts there are
 * none). Deliberately undefined words (UDF) are not counted.
 */
export function missingInstructions(guest: Guest): string[] {
  const text = execFileSync("aarch64-linux-gnu-objdump", ["-d", guest.elf], { encoding: "utf8", maxBuffer: 64 << 20 });
  const missing = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s+(\S+)/.exec(line);
    if (!m || m[2] === "udf" || m[2].startsWith(".")) continue;
    if (decodeOp(Number.parseInt(m[1], 16)) === 0) missing.add(m[2]);
  }
  return [...missing].sort();
}

function describe(cpu: Cpu): string {
  const u = cpu.lastUndef;
  return `, ESR 0x${cpu.sysreg(0xc290).toString(16)}, ELR 0x${cpu.sysreg(0xc201).toString(16)}, ${cpu.undefCount} undefined (last 0x${u.word.toString(16)} at 0x${u.pc.toString(16)})`;
}

/**
 * Runs a guest's ELF under qemu-system-aarch64 (virt, cortex-a57, semihosting). QEMU prints
 * the semihosting console (SYS_WRITEC, SYS_WRITE0) and ":tt" opened for append on stderr,
 * ":tt" opened for writing on stdout.
 */
export function runGuestQemu(guest: Guest, timeoutMs = 20_000): { code: number; console: string; stdout: string; stderr: string } {
  const r = spawnSync(
    "qemu-system-aarch64",
    ["-M", "virt", "-cpu", "cortex-a57", "-m", "128M", "-nographic", "-nic", "none", "-semihosting", "-kernel", guest.elf],
    {
      encoding: "utf8",
      timeout: timeoutMs,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  if (r.error) throw r.error;
  if (r.status === null) throw new Error(`qemu-system-aarch64 did not finish: ${r.signal}`);
  return { code: r.status, console: r.stderr + r.stdout, stdout: r.stdout, stderr: r.stderr };
}
