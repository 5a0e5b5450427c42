// The VMM's MMIO bus: non-overlapping ranges, each a device that sees offsets.
import type { BusDevice } from "../devices/types.ts";

interface Mapping {
  base: bigint;
  size: bigint;
  end: bigint;
  name: string;
  dev: BusDevice;
}

export class MmioBus {
  private maps: Mapping[] = [];

  /** Maps a device at [base, base+size); throws if the range overlaps another. */
  map(base: bigint, size: bigint, name: string, dev: BusDevice): void {
    const clash = this.maps.find((m) => base < m.base + m.size && m.base < base + size);
    if (clash) throw new Error(`${name} at 0x${base.toString(16)} overlaps ${clash.name} at 0x${clash.base.toString(16)}`);
    this.maps.push({ base, size, end: base + size, name, dev });
    this.maps.sort((a, b) => (a.base < b.base ? -1 : 1));
  }

  private find(addr: bigint): Mapping | undefined {
    for (const m of this.maps) if (addr >= m.base && addr < m.end) return m;
    return undefined;
  }

  /** Reads; unmapped addresses read as zero (as QEMU's unassigned memory on virt does not fault). */
  read(addr: bigint, size: number): bigint {
    const m = this.find(addr);
    return m ? m.dev.read(Number(addr - m.base), size) : 0n;
  }

  /** Writes; writes to unmapped addresses are ignored. Returns false when nothing is mapped there. */
  write(addr: bigint, size: number, value: bigint): boolean {
    const m = this.find(addr);
    if (!m) return false;
    m.dev.write(Number(addr - m.base), size, value);
    return true;
  }

  /** Whether a device is mapped at addr. */
  has(addr: bigint): boolean {
    return this.find(addr) !== undefined;
  }
}
