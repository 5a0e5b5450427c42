// Guest physical memory regions backed by wasm memory (RAM and ROM). Everything else in the
// physical address space is MMIO and goes to the host.
import { GUEST_BASE } from "./layout";

/** Region flag: writable RAM. */
export const REGION_RAM: u32 = 1;
/** Region flag: read/execute-only ROM (writes go to the host as MMIO, as flash commands do). */
export const REGION_ROM: u32 = 2;

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

/** Removes every region. */
export function clearRegions(): void {
  nRegions = 0;
}

/** Wasm address backing physical address pa, or 0 when pa is not RAM/ROM (then it is MMIO). */
export function paToHost(pa: u64): usize {
  for (let i = 0; i < nRegions; i++) {
    const off = pa - rBase[i];
    if (pa >= rBase[i] && off < rSize[i]) {
      foundFlags = rFlags[i];
      return <usize>(<u64>rHost[i] + off);
    }
  }
  return 0;
}
