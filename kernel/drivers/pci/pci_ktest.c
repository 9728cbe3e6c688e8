/*
 * In-kernel PCI core tests against the machine: the host bridge where QEMU puts it, every
 * enumerated function answering again with the ids it was listed with, ECAM (with the
 * extended space) in use when the MCFG is there and agreeing with the legacy ports, capability
 * lookups, a driver binding and unbinding through the driver model, and the proc format.
 */
#include "acpi/acpi.h"
#include "console/console.h"
#include "drivers/pci/pci_core.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "test/ktest.h"

static struct pci_dev *find(uint16_t seg, uint8_t bus, uint8_t slot, uint8_t func)
{
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		if (d->segment == seg && d->bus == bus && d->slot == slot && d->func == func)
			return d;
	return NULL;
}

/* QEMU's i440FX and Q35 host bridges are both Intel parts at 00:00.0. */
KTEST(pci_host_bridge)
{
	struct pci_dev *d = find(0, 0, 0, 0);
	KT_ASSERT(d != NULL);
	KT_ASSERT_EQ(d->vendor, 0x8086);
	KT_ASSERT_EQ(d->class_code, 0x06);
	KT_ASSERT_EQ(d->subclass, 0x00);
	KT_ASSERT(d->dev.registered);
	KT_ASSERT(d->dev.parent == NULL);
}

KTEST(pci_config_readable)
{
	unsigned n = 0;
	for (struct pci_dev *d = pci_first(); d; d = d->next, n++) {
		KT_ASSERT_EQ(pci_read16(d, PCI_VENDOR_ID), d->vendor);
		KT_ASSERT_EQ(pci_read16(d, PCI_DEVICE_ID), d->device);
		KT_ASSERT_EQ(pci_read8(d, PCI_CLASS), d->class_code);
		KT_ASSERT_EQ(pci_read8(d, PCI_HEADER_TYPE) & 0x7f, d->header_type);
		/* Every BAR's address survived sizing (the probe pattern was put back). */
		for (int i = 0; i < 6; i++) {
			struct pci_bar *b = &d->bars[i];
			if (!b->size || !b->base)
				continue;
			uint32_t reg = pci_read32(d, PCI_BAR0 + 4 * i);
			KT_ASSERT_EQ(reg & (b->io ? ~3u : ~0xfu), (uint32_t)b->base);
		}
		/* The tree: a function behind a bridge hangs below that bridge's device. */
		if (d->upstream) {
			KT_ASSERT(d->dev.parent == &d->upstream->dev);
			KT_ASSERT(d->bus >= d->upstream->secondary_bus && d->bus <= d->upstream->subordinate_bus);
		}
	}
	KT_ASSERT(n >= 3);
}

/*
 * With an MCFG (q35), configuration goes through ECAM: the first 64 bytes agree with what the
 * legacy ports return for the same function, and a PCIe function's extended space (0x100 on)
 * is readable, which the ports cannot reach. Without one (pc), offsets past 255 read as ones.
 */
KTEST(pci_ecam)
{
	if (!acpi.has_mcfg) {
		for (struct pci_dev *d = pci_first(); d; d = d->next) {
			KT_ASSERT(!pci_ecam_covers(d->segment, d->bus));
			KT_ASSERT_EQ(pci_read32(d, 0x100), 0xffffffffu);
		}
		return;
	}
	KT_ASSERT(pci_ecam_covers(0, 0));
	unsigned pcie = 0, ext = 0;
	for (struct pci_dev *d = pci_first(); d; d = d->next) {
		KT_ASSERT(pci_ecam_covers(d->segment, d->bus));
		if (pci_legacy_available() && d->segment == 0)
			for (unsigned off = 0; off < 64; off += 4) {
				if (off == PCI_STATUS - 2) /* command/status: status bits may change under us */
					continue;
				KT_ASSERT_EQ(pci_read32(d, off), pci_legacy_read(d->bus, PCI_DEVFN(d->slot, d->func), off, 4));
			}
		if (!d->pcie_cap)
			continue;
		pcie++;
		uint32_t h = pci_read32(d, PCI_EXT_CAP_START);
		KT_ASSERT(h != 0xffffffffu);
		if (h) {
			ext++;
			KT_ASSERT_EQ(pci_find_ext_capability(d, h & 0xffff), PCI_EXT_CAP_START);
		}
	}
	/* No count is required: q35 with -nic none and no ports has no function with a PCIe
	 * capability (the host bridge and the ICH9 functions are conventional PCI). */
	kprintf("ktest: pci_ecam: %u PCIe functions, %u with extended capabilities at 0x100\n", pcie, ext);
}

KTEST(pci_caps)
{
	for (struct pci_dev *d = pci_first(); d; d = d->next) {
		KT_ASSERT_EQ(pci_find_capability(d, PCI_CAP_ID_MSI), d->msi_cap);
		KT_ASSERT_EQ(pci_find_capability(d, PCI_CAP_ID_MSIX), d->msix_cap);
		KT_ASSERT_EQ(pci_find_capability(d, PCI_CAP_ID_EXP), d->pcie_cap);
		if (d->msi_cap)
			KT_ASSERT_EQ(pci_read8(d, d->msi_cap), PCI_CAP_ID_MSI);
	}
}

/* A driver for host bridges (class 06.00, any vendor): binds at registration, unbinds after. */
static struct pci_dev *bound;
static unsigned probes, removes;

static int hb_probe(struct pci_dev *d, const struct pci_device_id *id)
{
	(void)id;
	bound = d;
	probes++;
	return 0;
}

static void hb_remove(struct pci_dev *d)
{
	if (d == bound)
		bound = NULL;
	removes++;
}

static const struct pci_device_id hb_ids[] = {
	{ PCI_ANY_ID, PCI_ANY_ID, 0xffff00, 0x060000 },
	{ 0 },
};

static struct pci_driver hb_driver = {
	.driver = { .name = "ktest-hostbridge" },
	.id_table = hb_ids,
	.probe = hb_probe,
	.remove = hb_remove,
};

KTEST(pci_driver_bind)
{
	uint64_t seq = 0;
	struct device_event ev;
	while (device_event_read(&seq, &ev)) /* skip to the end of the queue */
		;
	KT_ASSERT_EQ(pci_register_driver(&hb_driver), 0);
	struct pci_dev *hb = find(0, 0, 0, 0);
	KT_ASSERT(hb != NULL);
	KT_ASSERT(bound == hb);
	KT_ASSERT_EQ(probes, 1);
	KT_ASSERT(hb->dev.driver == &hb_driver.driver);
	KT_ASSERT(device_event_read(&seq, &ev));
	KT_ASSERT_EQ(ev.type, DEVICE_BOUND);
	KT_ASSERT(strcmp(ev.device, "0000:00:00.0") == 0);
	KT_ASSERT(strcmp(ev.driver, "ktest-hostbridge") == 0);
	KT_ASSERT(strcmp(ev.bus, "pci") == 0);

	pci_unregister_driver(&hb_driver);
	KT_ASSERT_EQ(removes, 1);
	KT_ASSERT(bound == NULL);
	KT_ASSERT(hb->dev.driver == NULL);
	KT_ASSERT(device_event_read(&seq, &ev));
	KT_ASSERT_EQ(ev.type, DEVICE_UNBOUND);
}

KTEST(pci_proc_format)
{
	size_t need = pci_format_proc_devices(NULL, 0);
	KT_ASSERT(need > 0);
	char *buf = kmalloc(need + 1);
	KT_ASSERT(buf != NULL);
	KT_ASSERT_EQ(pci_format_proc_devices(buf, need + 1), need);
	KT_ASSERT_EQ(strlen(buf), need);
	/* 00:00.0 comes first: "0000\t8086xxxx\t..." */
	KT_ASSERT(strncmp(buf, "0000\t8086", 9) == 0);
	unsigned lines = 0, fns = 0;
	for (size_t i = 0; i < need; i++)
		lines += buf[i] == '\n';
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		fns++;
	kfree(buf);
	KT_ASSERT_EQ(lines, fns);
}
