// Debian's Linux drives the virtio devices: the guest kit's virtio_mmio, virtio_blk and virtio-rng
// modules probe the board's transports; /dev/vda reads the image, writes reach the host file,
// the read-only /dev/vdb refuses writes, and /dev/hwrng gives bytes.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { guestKit } from "../../src/kit/guest-kit.ts";
import { VirtBoard } from "../../src/machine/board.ts";
import { Vmm } from "../../src/vmm/vmm.ts";
import { repoRoot } from "../support/toolchain.ts";

const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

test("Linux: virtio-blk read/write and read-only, virtio-rng, on virtio-mmio", { timeout: 900_000 }, async () => {
  const kit = guestKit(join(repoRoot, ".cache/guest-kit"));
  const dir = mkdtempSync(join(tmpdir(), "dormouse-virtio-linux-"));
  const disk = join(dir, "disk.img");
  const ro = join(dir, "ro.img");
  const image = Buffer.alloc(8 << 20);
  for (let i = 0; i < image.length; i += 512) image.write(`sector ${i / 512}\n`, i);
  writeFileSync(disk, image);
  writeFileSync(ro, Buffer.alloc(1 << 20, 0x5a));

  let text = "";
  let waiter: { re: RegExp; from: number; resolve: () => void } | null = null;
  const board = new VirtBoard({
    cpus: 2,
    ramSize: 512 << 20,
    psciConduit: "hvc",
    bootargs: "console=ttyAMA0 quiet",
    output: (b) => {
      text += String.fromCharCode(b);
      if (b === 10 && waiter && waiter.re.test(text.slice(waiter.from))) waiter.resolve();
    },
    disks: [{ path: disk }, { path: ro, readOnly: true }],
    rng: true,
  });
  const wait = (re: RegExp, from: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; console tail:\n${text.slice(-1500)}`)), 600_000);
      waiter = {
        re,
        from,
        resolve: () => {
          clearTimeout(timer);
          waiter = null;
          resolve();
        },
      };
    });
  let n = 0;
  /** Runs a shell command and returns its output (the marker is computed by the shell, so the typed line cannot match). */
  const sh = async (cmd: string): Promise<string> => {
    const k = ++n + 1000;
    const from = text.length;
    const done = wait(new RegExp(`@@${k + 1}@@`), from, cmd);
    board.uart.receive(Buffer.from(`${cmd}; echo "@@$((${k}+1))@@"\n`));
    await done;
    const out = text.slice(from);
    return out.slice(out.indexOf("\n") + 1, out.lastIndexOf(`@@${k + 1}@@`));
  };
  try {
    board.loadLinux(readFileSync(kit.kernel), readFileSync(kit.initramfs));
    board.boot();
    const finished = new Vmm(board, { onSuspend: "honour" }).run();
    await wait(/dormouse-kit: shell ready/, 0, "the shell");

    assert.match(await sh("cat /sys/block/vda/size /sys/block/vdb/size /sys/block/vdb/ro"), /^16384\s+2048\s+1\s*$/m, "slot 0 is vda");
    assert.ok((await sh("md5sum /dev/vda")).includes(`${md5(image)}  /dev/vda`), "the whole image reads back");
    assert.match(await sh("dd if=/dev/vda bs=512 skip=1234 count=1 2>/dev/null | head -n 1"), /^sector 1234\s*$/m);

    const written = await sh(
      "dd if=/dev/urandom of=tmp/blob bs=1k count=1024 2>/dev/null; md5sum tmp/blob; dd if=tmp/blob of=/dev/vda bs=64k seek=16 conv=fsync 2>/dev/null; echo rc=$?",
    );
    const sum = /([0-9a-f]{32}) {2}tmp\/blob/.exec(written)?.[1];
    assert.ok(sum, written);
    assert.match(written, /rc=0/);
    assert.equal(md5(readFileSync(disk).subarray(16 << 16, (16 << 16) + (1 << 20))), sum, "the write reached the host file");
    assert.ok(
      (await sh("echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=64k skip=16 count=16 2>/dev/null | md5sum")).includes(sum as string),
      "and reads back from the device",
    );

    assert.match(await sh("dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null; echo rc=$?"), /rc=1/);
    assert.ok(
      readFileSync(ro).every((b) => b === 0x5a),
      "the read-only image is untouched",
    );

    assert.match(await sh("cat /sys/class/misc/hw_random/rng_current"), /virtio_rng/);
    const hex = (await sh("dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1")).match(/\b[0-9a-f]{2}\b/g) ?? [];
    assert.equal(hex.length, 32);
    assert.ok(new Set(hex).size > 8, `random bytes: ${hex.join(" ")}`);
    assert.doesNotMatch(await sh("dmesg"), /virtio.*(error|fail|needs reset)|I\/O error/i);

    board.uart.receive(Buffer.from("poweroff -f\n"));
    assert.deepEqual(await finished, { kind: "poweroff" });
  } finally {
    board.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
