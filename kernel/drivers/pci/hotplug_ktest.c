/*
 * ktests for the interrupt side of PCI: INTx routes against what the firmware wrote into each
 * Interrupt Line register, an MSI really delivered by an e1000e, an MSI-X table programmed on
 * a virtio device, and every hot-plug capable port bound to the hot-plug driver.
 */
#include "acpi/acpi.h"
#include "console/console.h"
#include "drivers/pci/pci_core.h"
#include "drivers/pci/pci_internal.h"
#include "irq/irq_internal.h"
#include "lib/string.h"
#include "mm/vmm.h"
#include "test/ktest.h"
#include "time/clock.h"

/*
 * BIOS firmware (SeaBIOS, OVMF) programs the PIRQ links and writes each function's ISA IRQ
 * into its Interrupt Line register by the same wiring rules: our route must agree. Functions
 * the firmware left alone (line 0 or 0xff) are skipped.
 */
KTEST(pci_intx_route_matches_firmware)
{
	unsigned checked = 0;
	for (struct pci_dev *d = pci_first(); d; d = d->next) {
		if (!d->irq_pin)
			continue;
		if (d->vendor == 0x8086 && d->device == 0x7113) {
			/* PIIX4 power management: its pin is the SCI, whatever the firmware wrote
			 * (SeaBIOS writes 9, OVMF its PIRQ rotation's 10). */
			KT_ASSERT_EQ(pci_intx_isa_irq(d), acpi.has_fadt ? (int)acpi.fadt.sci_irq : 9);
			continue;
		}
		uint8_t line = pci_read8(d, PCI_INTERRUPT_LINE);
		if (line == 0 || line >= 16)
			continue; /* the firmware left it alone */
		int isa = pci_intx_isa_irq(d);
		if (isa != line) {
			ktest_fail_at(__FILE__, __LINE__, "%s pin %c: firmware says IRQ %u, routed to %d",
				      d->dev.name, 'A' + d->irq_pin - 1, line, isa);
			return;
		}
		int gsi = pci_intx_route(d);
		KT_ASSERT(gsi >= 0);
		checked++;
	}
	kprintf("ktest: pci_intx_route_matches_firmware: %u functions agree\n", checked);
}

static struct pci_dev *find_bound(uint16_t vendor, uint16_t device)
{
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		if (d->vendor == vendor && d->device == device && pci_test_irq_count(d) >= 0)
			return d;
	return NULL;
}

/* e1000e registers (82574 datasheet): interrupt cause read/set, mask set/clear. */
#define E1000_ICR 0x00c0
#define E1000_ICS 0x00c8
#define E1000_IMS 0x00d0
#define E1000_IMC 0x00d8
#define E1000_LSC 0x0004 /* link status change */

struct intx_probe {
	volatile uint32_t *regs;
	uint64_t count;
};

/* INTx is level-triggered and may be shared: only a cause the NIC reports is ours. */
static enum irq_return e1000e_intx(void *ctx)
{
	struct intx_probe *p = ctx;
	if (!(p->regs[E1000_ICR / 4] & E1000_LSC)) /* reading ICR also clears it */
		return IRQ_NONE;
	__atomic_fetch_add(&p->count, 1, __ATOMIC_RELAXED);
	return IRQ_HANDLED;
}

/* Raises a link-status-change interrupt; true when `seen` moves within half a second. */
static bool e1000e_raise(volatile uint32_t *regs, int64_t (*seen)(void *), void *ctx)
{
	int64_t before = seen(ctx);
	regs[E1000_IMS / 4] = E1000_LSC;
	regs[E1000_ICS / 4] = E1000_LSC;
	uint64_t start = clock_monotonic_ns();
	while (seen(ctx) == before && clock_monotonic_ns() - start < 500000000ull)
		clock_delay_us(100);
	regs[E1000_IMC / 4] = 0xffffffff;
	(void)regs[E1000_ICR / 4];
	return seen(ctx) > before;
}

static int64_t seen_msi(void *ctx)
{
	return pci_test_irq_count(ctx);
}

static int64_t seen_intx(void *ctx)
{
	return (int64_t)__atomic_load_n(&((struct intx_probe *)ctx)->count, __ATOMIC_RELAXED);
}

/*
 * An e1000e the placeholder driver bound: its MSI (when the IOAPIC runs) must arrive, then the
 * same interrupt through INTx on the GSI pci_intx_route chose. The device is left on INTx
 * with nothing attached and every cause masked.
 */
KTEST(pci_irq_e1000e)
{
	struct pci_dev *d = find_bound(0x8086, 0x10d3);
	if (!d || !d->bars[0].base) {
		kprintf("ktest: pci_irq_e1000e: no e1000e bound to pcitest; skipped\n");
		return;
	}
	volatile uint32_t *regs = ioremap(d->bars[0].base, 0x1000, VM_CACHE_UC);
	KT_ASSERT(regs);
	if (irq_mode == IRQ_MODE_APIC && d->msi_cap) {
		KT_ASSERT(pci_read16(d, d->msi_cap + 2) & 1); /* MSI enable */
		KT_ASSERT((pci_read32(d, d->msi_cap + 4) & 0xfff00000) == 0xfee00000);
		KT_ASSERT(pci_read16(d, PCI_COMMAND) & 0x0400); /* INTx disabled */
		if (d->msix_cap)
			KT_ASSERT(!(pci_read16(d, d->msix_cap + 2) & 0x8000));
		KT_ASSERT(e1000e_raise(regs, seen_msi, d));
		kprintf("ktest: pci_irq_e1000e: %s: MSI delivered\n", d->dev.name);
	}

	pci_disable_msi(d);
	if (d->msi_cap)
		KT_ASSERT(!(pci_read16(d, d->msi_cap + 2) & 1));
	static struct intx_probe probe;
	probe.regs = regs;
	probe.count = 0;
	int err = pci_request_intx(d, e1000e_intx, &probe, "ktest-intx");
	if (err < 0) {
		ktest_fail_at(__FILE__, __LINE__, "%s: pci_request_intx: %d", d->dev.name, err);
		return;
	}
	bool ok = e1000e_raise(regs, seen_intx, &probe);
	pci_free_intx(d, &probe);
	if (!ok) {
		ktest_fail_at(__FILE__, __LINE__, "%s pin %c: no INTx on GSI %d", d->dev.name,
			      'A' + d->irq_pin - 1, d->gsi);
		return;
	}
	kprintf("ktest: pci_irq_e1000e: %s: INTx pin %c delivered on GSI %d\n", d->dev.name,
		'A' + d->irq_pin - 1, d->gsi);
}

/* A virtio-blk function bound to its driver (drivers/block/virtio_blk.c). */
static struct pci_dev *find_virtio_blk(void)
{
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		if (d->vendor == 0x1af4 && (d->device == 0x1042 || d->device == 0x1001) && d->dev.driver &&
		    strcmp(d->dev.driver->name, "virtio-blk") == 0)
			return d;
	return NULL;
}

KTEST(pci_msix_virtio)
{
	struct pci_dev *d = find_virtio_blk();
	if (!d || !d->msix_cap || irq_mode != IRQ_MODE_APIC) {
		kprintf("ktest: pci_msix_virtio: no virtio-blk with MSI-X bound to its driver; skipped\n");
		return;
	}
	uint16_t ctrl = pci_read16(d, d->msix_cap + 2);
	KT_ASSERT(ctrl & 0x8000);    /* MSI-X enable */
	KT_ASSERT(!(ctrl & 0x4000)); /* not function-masked */
	uint32_t where = pci_read32(d, d->msix_cap + 4);
	struct pci_bar *bar = &d->bars[where & 7];
	KT_ASSERT(bar->base && !bar->io);
	volatile uint32_t *entry = ioremap(bar->base + (where & ~7u), 16, VM_CACHE_UC);
	KT_ASSERT(entry);
	KT_ASSERT((entry[0] & 0xfff00000) == 0xfee00000); /* message address */
	KT_ASSERT(entry[1] == 0);
	KT_ASSERT(entry[2] >= 0xa0 && entry[2] <= 0xdf);  /* a vector from the MSI range */
	KT_ASSERT(!(entry[3] & 1));                       /* unmasked */
	KT_ASSERT(irq_vector_name(entry[2]) && strcmp(irq_vector_name(entry[2]), "virtio-blk") == 0);
	kprintf("ktest: pci_msix_virtio: %s: MSI-X entry 0 (configuration changes) -> vector %#x, unmasked\n", d->dev.name, entry[2]);
}

KTEST(pci_hotplug_ports_bound)
{
	unsigned ports = 0;
	for (struct pci_dev *d = pci_first(); d; d = d->next) {
		if (d->class_code != 0x06 || d->subclass != 0x04 || !d->pcie_cap)
			continue;
		uint16_t flags = pci_read16(d, d->pcie_cap + 2);
		unsigned type = (flags >> 4) & 0xf;
		if ((type != 4 && type != 6) || !(flags & 0x100))
			continue;
		if (!(pci_read32(d, d->pcie_cap + 0x14) & 0x40)) /* Slot Capabilities: hot-plug capable */
			continue;
		KT_ASSERT(d->dev.driver && strcmp(d->dev.driver->name, "pciehp") == 0);
		uint16_t ctl = pci_read16(d, d->pcie_cap + 0x18);
		KT_ASSERT(ctl & 0x0020); /* hot-plug interrupt enable */
		KT_ASSERT(ctl & 0x0008); /* presence detect changed enable */
		ports++;
	}
	kprintf("ktest: pci_hotplug_ports_bound: %u hot-plug port(s)\n", ports);
}
