import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { GuestConsole } from "../test/support/guest-console.ts";
import { nodeHost } from "../src/host/node/index.ts";
import { VirtualMachine } from "../src/vmm/virtual-machine.ts";
const k = "/work/wt-vm/.cache/guest-kit/kit/";
const dir = mkdtempSync("/tmp/vmt/hib-");
const swap = dir + "/swap.img";
writeFileSync(swap, "");
truncateSync(swap, 128 << 20);
const t0 = Date.now();
let con: GuestConsole | null = null;
const vm = new VirtualMachine(
  {
    board: { cpus: 2, ramSize: 512 << 20, psciConduit: "hvc", systemSuspend: true, bootargs: "console=ttyAMA0 no_console_suspend", disks: [{ path: swap }], rng: true },
    image: { kind: "linux", kernel: readFileSync(k + "vmlinuz"), initrd: readFileSync(k + "initramfs.cpio") },
  },
  nodeHost(),
  { console: (b) => con?.push(String.fromCharCode(b)) },
);
con = new GuestConsole((s) => vm.sendConsole(Buffer.from(s, "latin1")));
const c = con;
vm.on((e) => console.log("event", JSON.stringify(e)));
vm.start();
await c.wait(/dormouse-kit: shell ready/, 0, 600_000, "the shell");
console.log("shell", (Date.now() - t0) / 1000);
await c.sh("mkswap /dev/vda >/dev/null; swapon /dev/vda; cat /proc/swaps");
const from = c.text.length;
c.send("echo disk > /sys/power/state\n");
let last = -1;
const tick = setInterval(() => {
  const b = vm.board;
  if (c.text.length === last) {
    console.log("STUCK?", (Date.now() - t0) / 1000);
    for (const v of b.vcpus) {
      const s: any = v;
      console.log(" vcpu", v.id, "mp", v.getMpState(), "wfi", s.inWfi, "mmio", JSON.stringify(s.mmio, (_k, x) => (typeof x === "bigint" ? x.toString(16) : x)), "kicked", s.kicked, "budget", s.budget, "pc", v.pc.toString(16));
    }
    const u: any = b.uart;
    console.log(" uart blocked", u.blocked, "tx", u.tx.length, "lcr", u.lcr.toString(16), "ris", u.ris.toString(16), "imsc", u.imsc.toString(16));
    console.log(" deadlines", (b.vm.clock as any).deadlines.map((d: any) => d.ticks - b.vm.timers.counter()), "gic pending", b.vcpus.map((v) => b.vm.gic.wakingIntid(v.id)));
    const vmAny: any = vm;
    console.log(" holds", vmAny.holds, "parked", vmAny.parked, "state", vm.state);
  }
  last = c.text.length;
  console.log((Date.now() - t0) / 1000, JSON.stringify(c.text.slice(from).split("\n").slice(-2).join(" | ")));
}, 20000);
console.log("final", await vm.finished, (Date.now() - t0) / 1000);
clearInterval(tick);
