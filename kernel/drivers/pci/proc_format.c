/*
 * /proc/bus/pci/devices as Linux writes it (drivers/pci/proc.c), for the VFS to serve later:
 * lspci and friends parse it, so the layout is kept exactly, tabs and 16-wide hex included.
 * Entry 6 is the expansion ROM, which Ferrite does not size yet: it reads as 0.
 */
#include "drivers/pci/pci_core.h"
#include "lib/printf.h"
#include "lib/string.h"

struct out {
	char *buf;
	size_t size, len; /* len counts everything, also what did not fit */
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->size && o->len < o->size - 1) {
		size_t room = o->size - 1 - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void put_hex16(struct out *o, uint64_t v)
{
	char tmp[24];
	snprintf(tmp, sizeof(tmp), "\t%16llx", (unsigned long long)v);
	put(o, tmp);
}

static void format_one(struct out *o, struct pci_dev *d)
{
	char tmp[48];
	/* The IRQ column is what the interrupt line routes to; 0 when unknown, as on Linux. */
	snprintf(tmp, sizeof(tmp), "%02x%02x\t%04x%04x\t%x", d->bus, PCI_DEVFN(d->slot, d->func), d->vendor,
		 d->device, d->gsi > 0 ? (unsigned)d->gsi : 0u);
	put(o, tmp);
	for (int i = 0; i < 7; i++)
		put_hex16(o, i < 6 ? d->bars[i].base | pci_bar_flags(&d->bars[i]) : 0);
	for (int i = 0; i < 7; i++)
		put_hex16(o, i < 6 ? d->bars[i].size : 0);
	put(o, "\t");
	if (d->dev.driver && d->dev.driver->name)
		put(o, d->dev.driver->name);
	put(o, "\n");
}

static uint64_t sort_key(const struct pci_dev *d)
{
	return (uint64_t)d->segment << 16 | (uint64_t)d->bus << 8 | PCI_DEVFN(d->slot, d->func);
}

size_t pci_format_proc_devices(char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
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
	if (size)
		buf[o.len < size - 1 ? o.len : size - 1] = '\0';
	return o.len;
}
