// A push button on a GPIO input, as QEMU's gpio_key: a press raises the line and releases it
// 100 ms later. The virt board wires one to PL061 pin 3 as the gpio-keys power button (KEY_POWER),
// which Linux also uses as a wake-up source from suspend.
import { type Static, StateError, Struct, Type, validate } from "../schema/index.ts";
import type { Device } from "./types.ts";

/** Time for the key's release (the VM's clock on the board), injected so tests can drive it (a subset of pl031's RtcClock). */
export interface KeyTimer {
  /** Calls `fn` after `ms` milliseconds; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

/** How long a press holds the line high (QEMU hw/gpio/gpio_key.c). */
export const GPIO_KEY_PRESS_MS = 100;

/** Plain, versioned key state: whether the line is held (a restored press is released in full time). */
export const GpioKeyStateSchema = Struct({ version: Type.Literal(1), pressed: Type.Boolean() });
export type GpioKeyState = Static<typeof GpioKeyStateSchema>;

export class GpioKeyStateError extends StateError {}

export class GpioKey implements Device {
  private pressed = false;
  private cancel: (() => void) | null = null;

  /** `line` drives the GPIO input (e.g. `(l) => pl061.setInput(3, l)`). */
  constructor(
    private readonly line: (level: boolean) => void,
    private readonly timer: KeyTimer,
  ) {}

  /** Presses the key: the line goes high now and low GPIO_KEY_PRESS_MS later (a press while held extends it). */
  press(): void {
    this.pressed = true;
    this.line(true);
    this.armRelease();
  }

  /** Whether the key is held down. */
  get isPressed(): boolean {
    return this.pressed;
  }

  private armRelease(): void {
    this.cancel?.();
    this.cancel = this.timer.after(GPIO_KEY_PRESS_MS, () => {
      this.cancel = null;
      this.pressed = false;
      this.line(false);
    });
  }

  /** System reset: the key is up. */
  reset(): void {
    this.close();
    if (this.pressed) this.line(false);
    this.pressed = false;
  }

  stop(): void {}

  cont(): void {}

  suspend(): void {}

  wake(): void {}

  save(): GpioKeyState {
    return { version: 1, pressed: this.pressed };
  }

  restore(state: unknown, what = "devices.powerButton"): void {
    validate(GpioKeyStateSchema, state, what, GpioKeyStateError);
    this.close();
    this.pressed = state.pressed;
    this.line(this.pressed);
    if (this.pressed) this.armRelease();
  }

  /** Cancels a pending release (the VM is going away). */
  close(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
