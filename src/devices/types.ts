// What devices are made of: MMIO register windows seen as offsets, interrupt lines handed to
// them (a wake source is simply whoever raises a line), and the one lifecycle every board device
// implements, so the board's device table can drive reset, pause, snapshots and close.

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

/**
 * The lifecycle of a board device, driven in device-table order: a system reset, pause and
 * continue (the VM stops: host-side activity such as timers stops with it), suspend and wake, plain versioned state
 * for snapshots, and release of host resources.
 */
export interface Device {
  /** The device's state after a system reset. */
  reset(): void;
  /**
   * The VM pauses (QMP's `stop`): the VM's clock and its timers stop by themselves; a device
   * stops what else runs on its own.
   */
  stop(): void;
  /** The VM continues (QMP's `cont`): what stop() held continues; wall-clock devices catch up. */
  cont(): void;
  /** The guest suspended the system (SYSTEM_SUSPEND): countdowns that follow guest activity stop. */
  suspend(): void;
  /** The guest woke from suspend. */
  wake(): void;
  /** Plain, versioned state. */
  save(): unknown;
  /**
   * Restores save()'s state (after the GIC and timers, which a device's state may refer to); a
   * StateError naming the field (under `what`, where the state sits in a snapshot) when it is
   * malformed or out of range, before anything changes.
   */
  restore(state: unknown, what?: string): void;
  /** Releases host resources (timers, files) once the VM is done. */
  close(): void;
}

/**
 * Where the guest's console output goes. Bytes are always taken; `write` answers false once
 * the host is full, and the device then holds further output (its FIFO fills, the guest waits)
 * until `onDrain`'s callback says there is room again.
 */
export interface ConsoleSink {
  write(bytes: Uint8Array): boolean;
  /** Registers the callback for "room again" (one per sink). */
  onDrain(fn: () => void): void;
}

/** A sink that never pushes back, over a function taking one byte at a time (tests, tools). */
export function byteSink(fn: (byte: number) => void): ConsoleSink {
  return {
    write(bytes) {
      for (const b of bytes) fn(b);
      return true;
    },
    onDrain() {},
  };
}
