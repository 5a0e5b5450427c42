// Building blocks for conformance guests: A64 assembly snippets assembled at test time, a VM
// set up like the KVM selftests' (vCPUs with PSCI 0.2+, code at 0x4000_0000), and "ucalls":
// guest→host reports through an SMCCC range the filter forwards to the VMM (KVM_EXIT_HYPERCALL).
import { FilterAction, Psci } from "../../src/hv/constants.ts";
import type { Exit } from "../../src/hv/exits.ts";
import type { Vcpu } from "../../src/hv/vcpu.ts";
import { Vm, type VmConfig } from "../../src/hv/vm.ts";
import { assemble } from "../support/toolchain.ts";
import { nodeHost } from "../../src/host/node/index.ts";

export const CODE = 0x4000_0000n;
/** Function IDs 0xBF00_0000.. (Trusted OS owner 63, never serviced in the hypervisor) carry ucalls. */
export const UCALL = 0xbf00_0000;
export const UCALL_DONE = UCALL;
export const UCALL_REPORT = UCALL + 1;
export const MPIDR = 0xc005;

/** Loads a 64-bit constant into a register. */
export function li(reg: string, value: number | bigint): string {
  const v = BigInt.asUintN(64, BigInt(value));
  let s = `movz ${reg}, #${v & 0xffffn}\n`;
  for (let sh = 16n; sh < 64n; sh += 16n) {
    const part = (v >> sh) & 0xffffn;
    if (part) s += `movk ${reg}, #${part}, lsl #${sh}\n`;
  }
  return s;
}

/** An SMCCC call: x0 = fid, x1.. = args, then the conduit instruction. */
export function smccc(fid: number, args: (number | bigint | string)[] = [], conduit = "hvc #0"): string {
  let s = li("x0", fid);
  args.forEach((a, i) => {
    s += typeof a === "string" ? `mov x${i + 1}, ${a}\n` : li(`x${i + 1}`, a);
  });
  return `${s}${conduit}\n`;
}

/** A ucall: reports to the host; x1..x3 are whatever the guest left there. */
export function ucall(n = 0): string {
  return `${li("x0", UCALL + n)}hvc #0\n`;
}

export { Psci };

/** A VM with `n` vCPUs initialised with PSCI 0.2+ and the ucall range forwarded to the host. */
export function makeVm(n: number, config: Partial<VmConfig> = {}, ucalls = true): { vm: Vm; vcpus: Vcpu[] } {
  const vm = new Vm({ host: nodeHost(), ramSize: 16 << 20, clock: "deterministic", ...config });
  const vcpus = Array.from({ length: n }, () => vm.createVcpu());
  for (const v of vcpus) v.init();
  if (ucalls) vm.setSmcccFilter({ base: UCALL, nrFunctions: 16, action: FilterAction.FWD_TO_USER });
  return { vm, vcpus };
}

/** Assembles `source` at `addr` into guest memory. */
export function load(vm: Vm, source: string, addr = CODE): void {
  vm.core.writePhys(addr, assemble(source, Number(addr)));
}

/** Runs until the vCPU ucalls; returns the ucall number, or throws on any other exit. */
export async function runToUcall(v: Vcpu): Promise<number> {
  const e = await v.run();
  if (e.reason === "hypercall" && Number(e.nr) >= UCALL && Number(e.nr) < UCALL + 16) return Number(e.nr) - UCALL;
  throw new Error(`expected a ucall, got ${describe(e)} at pc 0x${v.pc.toString(16)}`);
}

export function describe(e: Exit): string {
  return JSON.stringify(e, (_k, val) => (typeof val === "bigint" ? `0x${val.toString(16)}` : val));
}

/** Sign-extended PSCI/SMCCC return code as x0 holds it. */
export const code = (v: number): bigint => BigInt.asUintN(64, BigInt(v));

/** A conformance scenario: throws (assert) on failure. */
export interface Scenario {
  id: string;
  title: string;
  run(): Promise<void>;
}
