// The QEMU `virt` board's memory map and interrupt numbers, and its device tree, so guests
// built for QEMU's virt machine run unmodified (design.md, "The board").
import { buildDtb, type FdtNode, node, u64cells } from "./fdt.ts";

export const VIRT = {
  /** Two flash banks (QEMU's VIRT_FLASH split in halves): firmware code, then its variables. */
  flashBase: 0x0000_0000n,
  flashSize: 0x0800_0000n,
  flashBankSize: 0x0400_0000n,
  gicdBase: 0x0800_0000n,
  gicdSize: 0x1_0000n,
  gicrBase: 0x080a_0000n,
  gicrSize: 0xf6_0000n,
  uartBase: 0x0900_0000n,
  rtcBase: 0x0901_0000n,
  fwCfgBase: 0x0902_0000n,
  gpioBase: 0x0903_0000n,
  /** SBSA watchdog frames, where QEMU's virt has nothing. */
  watchdogRefreshBase: 0x090c_0000n,
  watchdogControlBase: 0x090d_0000n,
  virtioBase: 0x0a00_0000n,
  virtioStride: 0x200n,
  ramBase: 0x4000_0000n,
  /** SPI numbers (GIC INTID = 32 + SPI). */
  uartSpi: 1,
  rtcSpi: 2,
  gpioSpi: 7,
  watchdogSpi: 10,
  virtioSpi: 16,
} as const;

const GIC_SPI = 0;
const GIC_PPI = 1;
const IRQ_LEVEL_HIGH = 4;
const IRQ_EDGE_RISING = 1;

export interface VirtDtbOptions {
  cpus: number;
  ramSize: bigint;
  psciConduit: "hvc" | "smc";
  bootargs?: string;
  initrd?: { start: bigint; end: bigint };
  /** Extra device nodes (virtio-mmio, RTC, GPIO...), placed under the root. */
  devices?: FdtNode[];
  /** Include the PL011 console (default true). */
  uart?: boolean;
}

const GIC_PHANDLE = 0x8001;
const CLK_PHANDLE = 0x8000;
const GPIO_PHANDLE = 0x8004; // QEMU's choice for the PL061
/** The PL061 pin the power button drives, and its key (linux,code KEY_POWER). */
export const POWER_BUTTON_PIN = 3;
const KEY_POWER = 116;
/** The PL061 pin the sleep button drives (the next free one; QEMU's virt has no sleep key), and its key KEY_SLEEP. */
export const SLEEP_BUTTON_PIN = 4;
const KEY_SLEEP = 142;

/** A node for a virtio-mmio transport in slot n. */
export function virtioNode(n: number): FdtNode {
  const base = VIRT.virtioBase + BigInt(n) * VIRT.virtioStride;
  return node(`virtio_mmio@${base.toString(16)}`, {
    "dma-coherent": null,
    interrupts: [GIC_SPI, VIRT.virtioSpi + n, IRQ_EDGE_RISING],
    reg: u64cells(base, VIRT.virtioStride),
    compatible: "virtio,mmio",
  });
}

/** The flash banks' node: both banks in one, as QEMU's virt_flash_fdt without a secure world. */
export function flashNode(): FdtNode {
  return node(`flash@${VIRT.flashBase.toString(16)}`, {
    "bank-width": [4],
    reg: u64cells(VIRT.flashBase, VIRT.flashBankSize, VIRT.flashBase + VIRT.flashBankSize, VIRT.flashBankSize),
    compatible: "cfi-flash",
  });
}

/** The fw_cfg device's node (QEMU's create_fw_cfg). */
export function fwCfgNode(size: bigint): FdtNode {
  return node(`fw-cfg@${VIRT.fwCfgBase.toString(16)}`, {
    "dma-coherent": null,
    reg: u64cells(VIRT.fwCfgBase, size),
    compatible: "qemu,fw-cfg-mmio",
  });
}

/**
 * PSCI function IDs in the /psci node, for PSCI 0.1 clients (later ones ask PSCI_VERSION and use
 * the standard IDs): QEMU's QEMU_PSCI_0_2_FN64_CPU_SUSPEND, FN_CPU_OFF, FN64_CPU_ON, FN64_MIGRATE.
 */
const PSCI_0_1_IDS = { cpu_suspend: 0xc400_0001, cpu_off: 0x8400_0002, cpu_on: 0xc400_0003, migrate: 0xc400_0005 };

/**
 * The /psci node as QEMU's virt builds it for PSCI 1.x (fdt_add_psci_node): every version's
 * compatible string from 1.0 down to 0.1, the conduit, and the 0.1 function IDs.
 */
export function psciNode(conduit: "hvc" | "smc"): FdtNode {
  return node("psci", {
    migrate: [PSCI_0_1_IDS.migrate],
    cpu_on: [PSCI_0_1_IDS.cpu_on],
    cpu_off: [PSCI_0_1_IDS.cpu_off],
    cpu_suspend: [PSCI_0_1_IDS.cpu_suspend],
    method: conduit,
    compatible: ["arm,psci-1.0", "arm,psci-0.2", "arm,psci"],
  });
}

/** The PL031 real-time clock's node. */
export function rtcNode(): FdtNode {
  return node(`pl031@${VIRT.rtcBase.toString(16)}`, {
    compatible: ["arm,pl031", "arm,primecell"],
    reg: u64cells(VIRT.rtcBase, 0x1000n),
    interrupts: [GIC_SPI, VIRT.rtcSpi, IRQ_LEVEL_HIGH],
    clocks: [CLK_PHANDLE],
    "clock-names": "apb_pclk",
  });
}

/** The PL061 GPIO controller's node (QEMU's, plus interrupt-controller so GPIO lines can be interrupts in the tree). */
export function gpioNode(): FdtNode {
  return node(`pl061@${VIRT.gpioBase.toString(16)}`, {
    compatible: ["arm,pl061", "arm,primecell"],
    reg: u64cells(VIRT.gpioBase, 0x1000n),
    interrupts: [GIC_SPI, VIRT.gpioSpi, IRQ_LEVEL_HIGH],
    "#gpio-cells": [2],
    "gpio-controller": null,
    "#interrupt-cells": [2],
    "interrupt-controller": null,
    clocks: [CLK_PHANDLE],
    "clock-names": "apb_pclk",
    phandle: [GPIO_PHANDLE],
  });
}

/**
 * The gpio-keys node: the power button on PL061 pin 3, active high, as QEMU's virt, and a sleep
 * button on pin 4 (KEY_SLEEP: logind suspends on it, as on an ACPI sleep button); both with
 * wakeup-source, so Linux's gpio_keys arms them as wake-up interrupts while suspended.
 */
export function gpioKeysNode(): FdtNode {
  return node("gpio-keys", { compatible: "gpio-keys" }, [
    node("poweroff", {
      gpios: [GPIO_PHANDLE, POWER_BUTTON_PIN, 0],
      "linux,code": [KEY_POWER],
      label: "GPIO Key Poweroff",
      "wakeup-source": null,
    }),
    node("sleep", {
      gpios: [GPIO_PHANDLE, SLEEP_BUTTON_PIN, 0],
      "linux,code": [KEY_SLEEP],
      label: "GPIO Key Sleep",
      "wakeup-source": null,
    }),
  ]);
}

/**
 * The SBSA generic watchdog's node. Linux's sbsa_gwdt_probe maps reg index 0 as the control frame
 * and index 1 as the refresh frame (bindings/watchdog/arm,sbsa-gwdt.yaml); the interrupt is WS0.
 */
export function watchdogNode(timeoutSec = 30): FdtNode {
  return node(`watchdog@${VIRT.watchdogControlBase.toString(16)}`, {
    compatible: "arm,sbsa-gwdt",
    reg: u64cells(VIRT.watchdogControlBase, 0x1000n, VIRT.watchdogRefreshBase, 0x1000n),
    interrupts: [GIC_SPI, VIRT.watchdogSpi, IRQ_LEVEL_HIGH],
    "timeout-sec": [timeoutSec],
  });
}

/** The device tree a guest of the virt board boots with. */
export function virtDtb(o: VirtDtbOptions): Uint8Array {
  const cpus: FdtNode[] = [];
  for (let i = 0; i < o.cpus; i++) {
    const mpidr = (i & 0xf) | (((i >> 4) & 0xff) << 8);
    cpus.push(
      node(`cpu@${mpidr.toString(16)}`, { device_type: "cpu", compatible: "arm,cortex-a57", reg: [mpidr], "enable-method": "psci" }),
    );
  }
  const chosen: Record<string, string | number[]> = {};
  if (o.uart !== false) chosen["stdout-path"] = `/pl011@${VIRT.uartBase.toString(16)}`;
  if (o.bootargs !== undefined) chosen.bootargs = o.bootargs;
  if (o.initrd) {
    chosen["linux,initrd-start"] = u64cells(o.initrd.start);
    chosen["linux,initrd-end"] = u64cells(o.initrd.end);
  }
  const children: FdtNode[] = [
    psciNode(o.psciConduit),
    node(`memory@${VIRT.ramBase.toString(16)}`, { device_type: "memory", reg: u64cells(VIRT.ramBase, o.ramSize) }),
    node("apb-pclk", {
      compatible: "fixed-clock",
      "#clock-cells": [0],
      "clock-frequency": [24_000_000],
      "clock-output-names": "clk24mhz",
      phandle: [CLK_PHANDLE],
    }),
    node("cpus", { "#address-cells": [1], "#size-cells": [0] }, cpus),
    node(`intc@${VIRT.gicdBase.toString(16)}`, {
      compatible: "arm,gic-v3",
      "#interrupt-cells": [3],
      "interrupt-controller": null,
      "#address-cells": [2],
      "#size-cells": [2],
      ranges: null,
      "#redistributor-regions": [1],
      reg: u64cells(VIRT.gicdBase, VIRT.gicdSize, VIRT.gicrBase, VIRT.gicrSize),
      phandle: [GIC_PHANDLE],
    }),
    node("timer", {
      compatible: ["arm,armv8-timer", "arm,armv7-timer"],
      "always-on": null,
      interrupts: [GIC_PPI, 13, IRQ_LEVEL_HIGH, GIC_PPI, 14, IRQ_LEVEL_HIGH, GIC_PPI, 11, IRQ_LEVEL_HIGH, GIC_PPI, 10, IRQ_LEVEL_HIGH],
    }),
  ];
  if (o.uart !== false) {
    children.push(
      node(`pl011@${VIRT.uartBase.toString(16)}`, {
        compatible: ["arm,pl011", "arm,primecell"],
        reg: u64cells(VIRT.uartBase, 0x1000n),
        interrupts: [GIC_SPI, VIRT.uartSpi, IRQ_LEVEL_HIGH],
        clocks: [CLK_PHANDLE, CLK_PHANDLE],
        "clock-names": ["uartclk", "apb_pclk"],
      }),
    );
  }
  children.push(...(o.devices ?? []));
  children.push(node("chosen", chosen));
  const root = node(
    "",
    {
      "interrupt-parent": [GIC_PHANDLE],
      model: "linux,dummy-virt",
      "#size-cells": [2],
      "#address-cells": [2],
      compatible: "linux,dummy-virt",
    },
    children,
  );
  return buildDtb(root);
}

export const DT_IRQ = { GIC_SPI, GIC_PPI, IRQ_LEVEL_HIGH, IRQ_EDGE_RISING } as const;
