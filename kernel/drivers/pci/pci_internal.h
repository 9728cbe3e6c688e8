/*
 * The interrupt and hot-plug side of drivers/pci/ (msi.c, hotplug.c, pci_test_drivers.c and
 * their pure helpers): what it needs from the core, what the core calls in it, and the pure
 * decision functions the host unit tests run. The core's own internals are in pci_core.h.
 */
#pragma once

#include "drivers/pci/pci.h"
#include "lib/types.h"

/* ---- Asked of the core (enumerate.c) for hot-plug ---- */

/*
 * Enumerates what sits below `bridge` (its secondary bus, and bridges below that): gives new
 * bridges bus numbers inside the bridge's range, assigns BARs inside the bridge's windows,
 * routes INTx, registers each new function with the driver model (parent: the bridge), which
 * probes drivers. Functions already known are left alone. Returns how many new functions were
 * registered, or a negative errno.
 */
int pci_scan_bus_under(struct pci_dev *bridge);
/*
 * Removes d and everything below it: device_unregister (driver remove runs, deepest first),
 * unlinks them from the PCI device list, returns their BAR space and bus numbers to the
 * bridge's windows, frees them. d must not be used afterwards.
 */
void pci_remove_dev(struct pci_dev *d);

/* ---- Provided by msi.c (pci_intx_route itself is declared in pci_core.h) ---- */

/* The IRQF_* trigger and polarity for irq_request that go with pci_intx_route(d)'s GSI. */
unsigned pci_intx_flags(struct pci_dev *d);
/*
 * The ISA IRQ the chipset's PIRQ route registers give d's pin (what the 8259 sees, and what
 * BIOS firmware writes into the Interrupt Line register), or -1.
 */
int pci_intx_isa_irq(struct pci_dev *d);

/* ---- Drivers in drivers/pci/ that pci_init registers once the boot enumeration is done ---- */

/* PCIe native hot-plug on root and downstream ports (hotplug.c). */
void pcie_hotplug_init(void);
/* Placeholder drivers for e1000e and virtio-blk that only prove probe/remove and MSI
 * (pci_test_drivers.c); the real NIC and disk drivers replace them. */
void pci_test_drivers_init(void);
/* For the ktests: interrupts the placeholder driver bound to d has seen, -1 when not bound. */
int64_t pci_test_irq_count(struct pci_dev *d);

/* ---- Pure logic (intx_swizzle.c, hotplug_state.c), unit-tested on the host ---- */

/* The pin (1 = INTA# .. 4 = INTD#) that pin `pin` of device `slot` behind a PCI-to-PCI bridge
 * arrives on at the bridge (the standard swizzle; PCIe ports do the same). */
unsigned pci_swizzle_pin(unsigned slot, unsigned pin);
/* PIRQ link (0 = A .. 3 = D) of a bus-0 slot/pin on QEMU's PIIX3 board (pc). */
unsigned pci_piix_pirq(unsigned slot, unsigned pin);
/* PIRQ link (0 = A .. 7 = H) of a bus-0 slot/pin on ICH9 (q35): devices 25-31 go through their
 * DxxIR register (dir: 4 bits per pin), device 30 (the DMI-to-PCI bridge) to E-H, the others
 * rotate over E-H as QEMU's chipset wires them. */
unsigned pci_ich9_pirq(unsigned slot, unsigned pin, uint16_t dir);
/* The ISA IRQ a PIRQ route register (PIIX PIRQRC / ICH9 PIRQx_ROUT) selects; -1 when routing
 * is disabled or the IRQ is not one the chipset can route to. */
int pci_pirq_rout_irq(uint8_t rout);

/* Slot Status event bits (PCIe Base spec, Slot Status register). */
#define PCIHP_EV_ABP   0x0001 /* attention button pressed */
#define PCIHP_EV_PFD   0x0002 /* power fault detected */
#define PCIHP_EV_MRLSC 0x0004 /* MRL sensor changed */
#define PCIHP_EV_PDC   0x0008 /* presence detect changed */
#define PCIHP_EV_CC    0x0010 /* command completed */
#define PCIHP_EV_DLLSC 0x0100 /* data link layer state changed */
#define PCIHP_EV_ALL   (PCIHP_EV_ABP | PCIHP_EV_PFD | PCIHP_EV_MRLSC | PCIHP_EV_PDC | \
			PCIHP_EV_CC | PCIHP_EV_DLLSC)

enum pcihp_state {
	PCIHP_EMPTY, /* no card, slot off */
	PCIHP_OFF,   /* a card, slot off (bring-up failed, or waiting to be pulled) */
	PCIHP_ON,    /* a card, powered, its functions registered */
};

enum pcihp_action {
	PCIHP_NONE,
	PCIHP_ENABLE,  /* power on, wait for the link, enumerate */
	PCIHP_DISABLE, /* unregister the functions, power off */
};

/*
 * What to do about the events gathered from Slot Status in `state`, given whether a card is
 * present now (presence detect, or the link being up). The caller sets the next state from
 * how the action went.
 */
enum pcihp_action pcihp_decide(enum pcihp_state state, uint16_t events, bool present);
const char *pcihp_state_name(enum pcihp_state state);
