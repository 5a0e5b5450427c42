// Guest physical memory regions backed by wasm memory (RAM and ROM). Everything else in the
// physical address space is MMIO and goes to the host.
import { GUEST_BASE } from "./layout";

/** Region flag: writable RAM. */
export const REGION_RAM: u32 = 1;
/** Region flag: read/execute-only ROM (writes go to the host as MMIO, as flash commands do). */
export const REGION_ROM: u32 = 2;
/**
 * Region flag: every access goes to the host as MMIO, instruction fetches fault (a ROM device
 * out of its read-array mode: a flash chip answering status or query reads, QEMU's romd off).
 */
export const REGION_IO: u32 = 4;

const MAX_REGIONS: i32 = 8;
const rBase = new StaticArray<u64>(MAX_REGIONS);
const rSize = new StaticArray<u64>(MAX_REGIONS);
const rHost = new StaticArray<u32>(MAX_REGIONS);
const rFlags = new StaticArray<u32>(MAX_REGIONS);
let nRegions: i32 = 0;

/** Flags of the region found by the last successful paToHost(). */
export let foundFlags: u32 = 0;

/** Adds a region [base, base+size) backed at wasm address `host`; false if it overlaps or no slot is left. */
export function addRegion(base: u64, size: u64, host: u32, flags: u32): bool {
  if (nRegions >= MAX_REGIONS || size == 0 || host < <u32>GUEST_BASE) return false;
  for (let i = 0; i < nRegions; i++) {
    if (base < rBase[i] + rSize[i] && rBase[i] < base + size) return false;
  }
  rBase[nRegions] = base;
  rSize[nRegions] = size;
  rHost[nRegions] = host;
  rFlags[nRegions] = flags;
  nRegions++;
  return true;
}

/** Sets or clears REGION_IO on the region starting at `base`; false when there is none. */
export function setRegionIo(base: u64, io: bool): bool {
  for (let i = 0; i < nRegions; i++) {
    if (rBase[i] == base) {
      rFlags[i] = io ? rFlags[i] | REGION_IO : rFlags[i] & ~REGION_IO;
      return true;
    }
  }
  return false;
}

/** Removes every region. */
export function clearRegions(): void {
  nRegions = 0;
}

/** Wasm address backing physical address pa whatever the region's mode (REGION_IO too), or 0. */
export function paToBacking(pa: u64): usize {
  for (let i = 0; i < nRegions; i++) {
    const off = pa - rBase[i];
    if (pa >= rBase[i] && off < rSize[i]) return <usize>(<u64>rHost[i] + off);
  }
  return 0;
}

/** Wasm address backing physical address pa, or 0 when pa is not RAM/ROM (then it is MMIO). */
export function paToHost(pa: u64): usize {
  for (let i = 0; i < nRegions; i++) {
    const off = pa - rBase[i];
    if (pa >= rBase[i] && off < rSize[i]) {
      if (rFlags[i] & REGION_IO) return 0;
      foundFlags = rFlags[i];
      return <usize>(<u64>rHost[i] + off);
    }
  }
  return 0;
}
