// What devices are made of: MMIO register windows seen as offsets, and interrupt lines handed
// to them (a wake source is simply whoever raises a line).

/** A device's MMIO window; offsets are relative to its base. */
export interface BusDevice {
  read(offset: number, size: number): bigint;
  write(offset: number, size: number, value: bigint): void;
}

/** An interrupt line into the interrupt controller. */
export interface IrqLine {
  set(level: boolean): void;
}

/** A line that goes nowhere (for devices used without an interrupt controller). */
export const NO_IRQ: IrqLine = { set() {} };

/** A host timer: calls `fn` after `ms` milliseconds; returns a cancel function (devices' clocks use it). */
export function hostAfter(ms: number, fn: () => void): () => void {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}
