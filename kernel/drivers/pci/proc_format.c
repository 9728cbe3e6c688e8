/*
 * /proc/bus/pci/devices as Linux writes it (drivers/pci/proc.c), for the VFS to serve later:
 * lspci and friends parse it, so the layout is kept exactly, tabs and 16-wide hex included.
 * Entry 6 is the expansion ROM, which Ferrite does not size yet: it reads as 0.
 */
#include "drivers/pci/pci_core.h"
#include "lib/sbuf.h"

static void format_one(struct sbuf *o, struct pci_dev *d)
{
	/* The IRQ column is what the interrupt line routes to; 0 when unknown, as on Linux. */
	sb_printf(o, "%02x%02x\t%04x%04x\t%x", d->bus, PCI_DEVFN(d->slot, d->func), d->vendor, d->device,
		  d->gsi > 0 ? (unsigned)d->gsi : 0u);
	for (int i = 0; i < 7; i++) {
		uint64_t start = i < 6 ? d->bars[i].base | pci_bar_flags(&d->bars[i]) : 0;
		sb_printf(o, "\t%16llx", (unsigned long long)start);
	}
	for (int i = 0; i < 7; i++)
		sb_printf(o, "\t%16llx", (unsigned long long)(i < 6 ? d->bars[i].size : 0));
	sb_printf(o, "\t%s\n", d->dev.driver && d->dev.driver->name ? d->dev.driver->name : "");
}

static uint64_t sort_key(const struct pci_dev *d)
{
	return (uint64_t)d->segment << 16 | (uint64_t)d->bus << 8 | PCI_DEVFN(d->slot, d->func);
}

size_t pci_format_proc_devices(char *buf, size_t size)
{
	struct sbuf o = SB(buf, size);
	/* In bus order like Linux's listing: repeatedly the smallest key above the last one. */
	uint64_t last = 0;
	bool first = true;
	for (;;) {
		struct pci_dev *next = NULL;
		for (struct pci_dev *d = pci_first(); d; d = d->next) {
			uint64_t k = sort_key(d);
			if ((first || k > last) && (!next || k < sort_key(next)))
				next = d;
		}
		if (!next)
			break;
		format_one(&o, next);
		last = sort_key(next);
		first = false;
	}
	return sb_done(&o);
}
