import { Cpu } from "./src/cpu/cpu.ts";
import { assemble } from "./test/support/toolchain.ts";
const code = assemble(`
  movz x1, #0x100, lsl #16
  mov x3, #0
1: add x2, x2, #3
  eor x3, x2, #0xff
  sub x1, x1, #1
  adds x4, x3, #1
  ubfm x5, x4, #3, #20
  cbnz x1, 1b
  hvc #0
`);
const cpu = new Cpu({ ramSize: 16 << 20 });
cpu.writePhys(0x4000_0000n, code);
cpu.pc = 0x4000_0000n;
const t0 = performance.now();
let r;
do { r = cpu.run(50_000_000); } while (r === 0);
const dt = (performance.now() - t0) / 1000;
console.log("exit", r, "instret", cpu.instret, "s", dt.toFixed(3), "MIPS", (Number(cpu.instret) / dt / 1e6).toFixed(1));
