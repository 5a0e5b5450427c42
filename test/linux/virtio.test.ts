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
import { VirtualMachine } from "../../src/vmm/virtual-machine.ts";
import { GuestConsole } from "../support/guest-console.ts";
import { repoRoot } from "../support/toolchain.ts";
import { nodeHost } from "../../src/host/node/index.ts";

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

  const con = new GuestConsole((t) => vm.sendConsole(Buffer.from(t, "latin1")));
  const vm = new VirtualMachine(
    {
      board: {
        cpus: 2,
        ramSize: 512 << 20,
        psciConduit: "hvc",
        bootargs: "console=ttyAMA0 quiet",
        disks: [{ path: disk }, { path: ro, readOnly: true }],
        rng: true,
      },
      image: { kind: "linux", kernel: readFileSync(kit.kernel), initrd: readFileSync(kit.initramfs) },
    },
    nodeHost(),
    { console: (b) => con.push(String.fromCharCode(b)) },
  );
  const sh = (cmd: string) => con.sh(cmd, 300_000);
  try {
    vm.start();
    await con.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");

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
    const rng = /rng:([0-9a-f]{64})\b/.exec(
      await sh(`echo "rng:$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \\n')"`),
    );
    assert.ok(rng, "32 bytes from /dev/hwrng");
    assert.ok(new Set(rng[1].match(/../g)).size > 8, `random bytes: ${rng[1]}`);
    assert.doesNotMatch(await sh("dmesg"), /virtio.*(error|fail|needs reset)|I\/O error/i);

    vm.sendConsole(Buffer.from("poweroff -f\n"));
    assert.equal(await vm.finished, "shutdown");
  } finally {
    // A failed check must not leave the vCPUs running (the test process would never exit).
    vm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
