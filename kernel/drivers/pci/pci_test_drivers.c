/*
 * A test PCI driver for QEMU's e1000e NIC, bound only when the command line says "pcitest"
 * (the PCI system tests do; otherwise the real driver in drivers/net/e1000.c takes the card).
 * It drives nothing: it proves probe and remove (boot, hot-plug, hot-unplug) and MSI set-up
 * and tear-down, and lets the PCI ktests raise the card's interrupt themselves, which they
 * could not do under a real driver that owns the interrupt. It registers before the NIC
 * drivers (pci_init), so it wins the card when enabled.
 */
#include "drivers/pci/pci_internal.h"

#include "console/console.h"
#include "init/init.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "mm/slab.h"

struct pcitest_dev {
	struct pci_dev *pdev;
	const char *what;
	uint64_t irqs; /* interrupts seen (the ktest raises one on an e1000e) */
	bool msi;
};

static enum irq_return pcitest_irq(void *ctx)
{
	struct pcitest_dev *t = ctx;
	__atomic_fetch_add(&t->irqs, 1, __ATOMIC_RELAXED);
	return IRQ_HANDLED;
}

static const char *pcitest_what(const struct pci_dev *d)
{
	(void)d;
	return "e1000e";
}

static int pcitest_probe(struct pci_dev *d, const struct pci_device_id *id)
{
	(void)id;
	struct pcitest_dev *t = kzalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pdev = d;
	t->what = pcitest_what(d);
	pci_enable_device(d, true);
	int err = pci_enable_msi(d, pcitest_irq, t, "pcitest");
	t->msi = err == 0;
	d->dev.driver_data = t;
	pr_info("pcitest: bound %s %04x:%04x %s (placeholder driver), %s\n", d->dev.name, d->vendor,
		d->device, t->what, t->msi ? (d->msi_cap ? "MSI on" : "MSI-X entry 0 on") : "no MSI");
	if (err < 0)
		pr_warn("pcitest: %s: MSI not enabled (%d)\n", d->dev.name, err);
	return 0;
}

static void pcitest_remove(struct pci_dev *d)
{
	struct pcitest_dev *t = d->dev.driver_data;
	if (!t)
		return;
	if (t->msi)
		pci_disable_msi(d);
	d->dev.driver_data = NULL;
	pr_info("pcitest: removed %s %s (%llu interrupts)\n", d->dev.name, t->what,
		(unsigned long long)t->irqs);
	kfree(t);
}

static const struct pci_device_id pcitest_ids[] = {
	{ 0x8086, 0x10d3, 0, 0 }, /* e1000e (82574L) */
	{ 0 },
};

static struct pci_driver pcitest_driver = {
	.driver = { .name = "pcitest" },
	.id_table = pcitest_ids,
	.probe = pcitest_probe,
	.remove = pcitest_remove,
};

int64_t pci_test_irq_count(struct pci_dev *d)
{
	if (d->dev.driver != &pcitest_driver.driver || !d->dev.driver_data)
		return -1;
	struct pcitest_dev *t = d->dev.driver_data;
	return (int64_t)__atomic_load_n(&t->irqs, __ATOMIC_RELAXED);
}

void pci_test_drivers_init(void)
{
	if (!cmdline_has(boot_info.cmdline, "pcitest"))
		return;
	int err = pci_register_driver(&pcitest_driver);
	if (err < 0)
		pr_err("pcitest: driver registration failed (%d)\n", err);
}
