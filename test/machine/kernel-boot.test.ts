// How a bare-metal image is handed its command line, as QEMU's -kernel does it (hw/arm/boot.c):
// a raw image (not ELF, not a Linux Image) is loaded and entered at RAM + 0x80000 with x0 = the
// device tree, which sits at the first 2 MiB boundary after the initrd area; an ELF gets the
// device tree at the start of RAM when it leaves room there; --append lands in
// /chosen/bootargs, and nothing does without it. test/guests/bootargs prints what it was given,
// under Dormouse and under qemu-system-aarch64: the lines must be the same.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { GUEST_DIR } from "../support/baremetal.ts";
import { gcc, repoRoot } from "../support/toolchain.ts";

/** Builds the guest linked at `base`; returns its ELF and flat image paths. */
function build(base: number): { elf: string; bin: string } {
  const sources = {
    "start.S": readFileSync(join(GUEST_DIR, "bootargs/start.S"), "utf8"),
    "guest.c": readFileSync(join(GUEST_DIR, "bootargs/guest.c"), "utf8"),
    "link.ld": `ENTRY(_start)
SECTIONS {
  . = 0x${base.toString(16)};
  .text : { KEEP(*(.text.boot)) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.*) }
  .bss (NOLOAD) : { *(.bss .bss.* COMMON) }
  /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
}
`,
  };
  const flags = ["-O2", "-ffreestanding", "-nostdlib", "-static", "-fno-pie", "-no-pie", "-mgeneral-regs-only", "-mstrict-align"];
  const elf = gcc(sources, [...flags, "-T", "link.ld", "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments"], "bootargs.elf");
  const bin = `${elf}.bin`;
  execFileSync("aarch64-linux-gnu-objcopy", ["-O", "binary", elf, bin]);
  return { elf, bin };
}

function dormouse(args: string[]): string {
  const r = spawnSync(process.execPath, [join(repoRoot, "bin/dormouse.mjs"), "run", "--memory", "128M", ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function qemu(args: string[]): string {
  const r = spawnSync(
    "qemu-system-aarch64",
    ["-M", "virt", "-cpu", "cortex-a57", "-m", "128M", "-nographic", "-nic", "none", "-monitor", "none", "-serial", "stdio", ...args],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\r/g, "");
}

test("a raw --kernel runs at RAM + 0x80000 with x0 = a device tree after the initrd area, --append in /chosen/bootargs, as on QEMU", () => {
  const { bin } = build(0x4008_0000);
  const cases: [string[], string][] = [
    [["--append", "hello raw kernel"], 'entry=0x40080000 dtb=0x44000000 bootargs="hello raw kernel"'],
    [[], "entry=0x40080000 dtb=0x44000000 bootargs=none"],
  ];
  for (const [append, expected] of cases) {
    const ours = dormouse(["--kernel", bin, ...append]);
    assert.equal(ours, `bootargs guest: ${expected}\n`);
    assert.equal(qemu(["-kernel", bin, ...append]), ours);
  }
  // With an initrd: at RAM + min(RAM/2, 128 MiB), the device tree at the next 2 MiB boundary after it.
  const initrd = join(GUEST_DIR, "..", "..", ".cache", "build", "bootargs-initrd.img");
  writeFileSync(initrd, new Uint8Array(3 << 20).fill(0x5a));
  const ours = dormouse(["--kernel", bin, "--initrd", initrd, "--append", "with initrd"]);
  assert.equal(ours, 'bootargs guest: entry=0x40080000 dtb=0x44400000 bootargs="with initrd" initrd=0x44000000-0x44300000\n');
  assert.equal(qemu(["-kernel", bin, "-initrd", initrd, "-append", "with initrd"]), ours);
});

test("an ELF kernel or bare-metal image above the start of RAM finds its device tree there, with --append, as on QEMU", () => {
  const { elf } = build(0x4020_0000);
  const expected = 'bootargs guest: entry=0x40200000 dtb=0x40000000 bootargs="hello elf"\n';
  assert.equal(dormouse(["--kernel", elf, "--append", "hello elf"]), expected);
  assert.equal(dormouse([elf, "--append", "hello elf"]), expected, "a bare-metal image gets --append too");
  assert.equal(qemu(["-kernel", elf, "-append", "hello elf"]), expected);
  assert.equal(dormouse([elf]), "bootargs guest: entry=0x40200000 dtb=0x40000000 bootargs=none\n");
});
