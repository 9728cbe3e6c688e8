/*
 * INTx routing arithmetic (pure, host-tested): the PCI-to-PCI bridge swizzle and how the pc
 * (PIIX3) and q35 (ICH9) chipsets wire bus-0 slots to their PIRQ links. msi.c reads the
 * chipset registers and calls these.
 */
#include "drivers/pci/pci_internal.h"

unsigned pci_swizzle_pin(unsigned slot, unsigned pin)
{
	/* PCI-to-PCI Bridge Architecture spec, table 9-1: INTx# of device D on the secondary bus
	 * appears on the bridge as INT((x - 1 + D) mod 4 + 1). PCIe ports do the same. */
	return ((pin - 1 + slot) & 3) + 1;
}

unsigned pci_piix_pirq(unsigned slot, unsigned pin)
{
	/* QEMU's i440FX board: slot 1 INTA# is PIRQA, each slot rotates by one. Real PIIX boards
	 * are wired as their $PIR table says; only QEMU's wiring is known here. */
	return (slot + pin - 2) & 3;
}

unsigned pci_ich9_pirq(unsigned slot, unsigned pin, uint16_t dir)
{
	if (slot == 30) /* the DMI-to-PCI bridge: INTA#-INTD# to PIRQE-H */
		return 4 + ((pin - 1) & 3);
	if (slot >= 25 && slot <= 31) /* D25IR..D31IR: 3 bits per pin, every 4 bits */
		return (dir >> (4 * ((pin - 1) & 3))) & 7;
	/* Other bus-0 devices: QEMU's chipset rotates them over PIRQE-H (PIRQA-D are left to the
	 * integrated devices), the wiring its ACPI _PRT describes. */
	return 4 + ((slot + pin - 1) & 3);
}

int pci_pirq_rout_irq(uint8_t rout)
{
	if (rout & 0x80) /* IRQEN# set: not routed to an ISA interrupt */
		return -1;
	unsigned irq = rout & 0x0f;
	/* IRQ 0-2, 8 and 13 are the timer, keyboard, cascade, RTC and FPU: never PIRQ targets. */
	if (irq < 3 || irq == 8 || irq == 13)
		return -1;
	return (int)irq;
}
