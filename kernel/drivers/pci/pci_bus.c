/*
 * The "pci" bus of the driver model (matching by id table, the probe/remove glue of struct
 * pci_driver), configuration access for one device, capability lookup and class names.
 * Pure over pci_cfg, so host tests run it on a fake configuration space.
 */
#include "console/console.h"
#include "drivers/pci/pci_core.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

const struct pci_cfg_ops *pci_cfg;

/* ---- matching and the driver glue ---- */

static bool id_is_end(const struct pci_device_id *id)
{
	return !id->vendor && !id->device && !id->class_mask && !id->class;
}

const struct pci_device_id *pci_match_id(const struct pci_device_id *ids, const struct pci_dev *d)
{
	if (!ids)
		return NULL;
	uint32_t cls = (uint32_t)d->class_code << 16 | (uint32_t)d->subclass << 8 | d->prog_if;
	for (; !id_is_end(ids); ids++) {
		if (ids->vendor != PCI_ANY_ID && ids->vendor != d->vendor)
			continue;
		if (ids->device != PCI_ANY_ID && ids->device != d->device)
			continue;
		if ((cls & ids->class_mask) != ids->class)
			continue;
		return ids;
	}
	return NULL;
}

static bool pci_bus_match(struct device *dev, struct driver *drv)
{
	struct pci_driver *pdrv = container_of(drv, struct pci_driver, driver);
	return pci_match_id(pdrv->id_table, container_of(dev, struct pci_dev, dev)) != NULL;
}

struct bus_type pci_bus_type = { .name = "pci", .match = pci_bus_match };

void pci_bus_init(void)
{
	static bool done;
	if (!done && bus_register(&pci_bus_type) == 0)
		done = true;
}

/* The driver model sets dev->driver before calling probe: that is how we find the pci_driver. */
static int pci_drv_probe(struct device *dev)
{
	struct pci_driver *pdrv = container_of(dev->driver, struct pci_driver, driver);
	struct pci_dev *pdev = container_of(dev, struct pci_dev, dev);
	const struct pci_device_id *id = pci_match_id(pdrv->id_table, pdev);
	if (!id)
		return -ENODEV;
	return pdrv->probe ? pdrv->probe(pdev, id) : 0;
}

static void pci_drv_remove(struct device *dev)
{
	struct pci_driver *pdrv = container_of(dev->driver, struct pci_driver, driver);
	if (pdrv->remove)
		pdrv->remove(container_of(dev, struct pci_dev, dev));
}

int pci_register_driver(struct pci_driver *drv)
{
	if (!drv || !drv->driver.name || !drv->id_table)
		return -EINVAL;
	pci_bus_init();
	drv->driver.bus = &pci_bus_type;
	drv->driver.probe = pci_drv_probe;
	drv->driver.remove = pci_drv_remove;
	return driver_register(&drv->driver);
}

void pci_unregister_driver(struct pci_driver *drv)
{
	if (drv)
		driver_unregister(&drv->driver);
}

struct pci_dev *pci_first(void)
{
	return pci_devices;
}

/* ---- configuration access for one device ---- */

static uint32_t cfg_read(struct pci_dev *d, unsigned off, unsigned width)
{
	uint32_t ones = width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
	if (!pci_cfg || off % width || off + width > PCI_CFG_SIZE)
		return ones;
	return pci_cfg->read(d->segment, d->bus, PCI_DEVFN(d->slot, d->func), off, width) & ones;
}

static void cfg_write(struct pci_dev *d, unsigned off, unsigned width, uint32_t v)
{
	if (!pci_cfg || off % width || off + width > PCI_CFG_SIZE)
		return;
	pci_cfg->write(d->segment, d->bus, PCI_DEVFN(d->slot, d->func), off, width, v);
}

uint8_t pci_read8(struct pci_dev *d, unsigned off) { return (uint8_t)cfg_read(d, off, 1); }
uint16_t pci_read16(struct pci_dev *d, unsigned off) { return (uint16_t)cfg_read(d, off, 2); }
uint32_t pci_read32(struct pci_dev *d, unsigned off) { return cfg_read(d, off, 4); }
void pci_write8(struct pci_dev *d, unsigned off, uint8_t v) { cfg_write(d, off, 1, v); }
void pci_write16(struct pci_dev *d, unsigned off, uint16_t v) { cfg_write(d, off, 2, v); }
void pci_write32(struct pci_dev *d, unsigned off, uint32_t v) { cfg_write(d, off, 4, v); }

/* ---- capabilities ---- */

/* Loop detection: was the dword at off visited before? Marks it. */
static bool test_and_mark(uint64_t *seen, unsigned off)
{
	unsigned dw = off >> 2;
	bool was = seen[dw / 64] >> (dw % 64) & 1;
	seen[dw / 64] |= 1ull << (dw % 64);
	return was;
}

uint8_t pci_cap_walk(struct pci_dev *d, uint8_t want, bool warn)
{
	uint16_t status = pci_read16(d, PCI_STATUS);
	if (status == 0xffff || !(status & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned ptr = pci_read8(d, d->header_type == 2 ? PCI_CB_CAP_PTR : PCI_CAP_PTR) & 0xfc;
	uint8_t found = 0;
	uint64_t seen[PCI_LEGACY_CFG_SIZE / 4 / 64] = { 0 }; /* one bit per dword */
	for (unsigned n = 0; ptr >= 0x40; n++) {
		if (n >= PCI_CAP_MAX || test_and_mark(seen, ptr)) {
			if (warn)
				pr_warn("pci: %s: capability list loops: entry %u revisits 0x%02x; ignoring the rest\n",
					d->dev.name, n + 1, ptr);
			return found;
		}
		uint8_t id = pci_read8(d, ptr);
		if (id == 0xff) /* the device went away */
			return 0;
		if (id == want && !found)
			found = (uint8_t)ptr;
		if (found && !warn)
			return found;
		ptr = pci_read8(d, ptr + 1) & 0xfc;
	}
	return found;
}

uint16_t pci_ext_cap_walk(struct pci_dev *d, uint16_t want, bool warn)
{
	unsigned off = PCI_EXT_CAP_START;
	uint16_t found = 0;
	uint64_t seen[PCI_CFG_SIZE / 4 / 64] = { 0 };
	for (unsigned n = 0; off >= PCI_EXT_CAP_START; n++) {
		if (n >= PCI_EXT_CAP_MAX || test_and_mark(seen, off)) {
			if (warn)
				pr_warn("pci: %s: extended capability list loops: entry %u revisits 0x%03x; ignoring the rest\n",
					d->dev.name, n + 1, off);
			return found;
		}
		uint32_t h = pci_read32(d, off);
		if (h == 0 || h == 0xffffffff) /* no extended space (or none left) */
			return found;
		if ((h & 0xffff) == want && !found)
			found = (uint16_t)off;
		if (found && !warn)
			return found;
		off = (h >> 20) & 0xffc;
	}
	return found;
}

uint8_t pci_find_capability(struct pci_dev *d, uint8_t id)
{
	return pci_cap_walk(d, id, false);
}

uint16_t pci_find_ext_capability(struct pci_dev *d, uint16_t id)
{
	return pci_ext_cap_walk(d, id, false);
}

void pci_enable_device(struct pci_dev *d, bool bus_master)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND), want = cmd;
	for (int i = 0; i < 6; i++) {
		if (!d->bars[i].size || !d->bars[i].base)
			continue;
		want |= d->bars[i].io ? PCI_CMD_IO : PCI_CMD_MEM;
	}
	if (bus_master)
		want |= PCI_CMD_MASTER;
	if (want != cmd)
		pci_write16(d, PCI_COMMAND, want);
}

/* ---- names ---- */

unsigned pci_bar_flags(const struct pci_bar *b)
{
	if (!b->size)
		return 0;
	if (b->io)
		return PCI_BAR_IO;
	return (b->mem64 ? PCI_BAR_MEM_64 : 0) | (b->prefetch ? PCI_BAR_PREFETCH : 0);
}

void pci_format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	while (u + 1 < ARRAY_SIZE(units) && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, "%llu %s", (unsigned long long)bytes, units[u]);
}

struct class_name {
	uint8_t class_code, subclass; /* subclass 0xff: the class as a whole */
	const char *name;
};

/* The common classes, named as in the PCI Code and ID Assignment specification (and lspci). */
static const struct class_name class_names[] = {
	{ 0x00, 0x00, "Non-VGA unclassified device" },
	{ 0x00, 0x01, "VGA compatible unclassified device" },
	{ 0x00, 0xff, "Unclassified device" },
	{ 0x01, 0x00, "SCSI storage controller" },
	{ 0x01, 0x01, "IDE interface" },
	{ 0x01, 0x02, "Floppy disk controller" },
	{ 0x01, 0x04, "RAID bus controller" },
	{ 0x01, 0x05, "ATA controller" },
	{ 0x01, 0x06, "SATA controller" },
	{ 0x01, 0x07, "Serial Attached SCSI controller" },
	{ 0x01, 0x08, "Non-Volatile memory controller" },
	{ 0x01, 0xff, "Mass storage controller" },
	{ 0x02, 0x00, "Ethernet controller" },
	{ 0x02, 0x80, "Network controller" },
	{ 0x02, 0xff, "Network controller" },
	{ 0x03, 0x00, "VGA compatible controller" },
	{ 0x03, 0x01, "XGA compatible controller" },
	{ 0x03, 0x02, "3D controller" },
	{ 0x03, 0xff, "Display controller" },
	{ 0x04, 0x00, "Multimedia video controller" },
	{ 0x04, 0x01, "Multimedia audio controller" },
	{ 0x04, 0x03, "Audio device" },
	{ 0x04, 0xff, "Multimedia controller" },
	{ 0x05, 0x00, "RAM memory" },
	{ 0x05, 0xff, "Memory controller" },
	{ 0x06, 0x00, "Host bridge" },
	{ 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" },
	{ 0x06, 0x07, "CardBus bridge" },
	{ 0x06, 0x80, "Bridge" },
	{ 0x06, 0xff, "Bridge" },
	{ 0x07, 0x00, "Serial controller" },
	{ 0x07, 0x01, "Parallel controller" },
	{ 0x07, 0xff, "Communication controller" },
	{ 0x08, 0x00, "PIC" },
	{ 0x08, 0x05, "SD Host controller" },
	{ 0x08, 0x06, "IOMMU" },
	{ 0x08, 0xff, "System peripheral" },
	{ 0x09, 0x00, "Keyboard controller" },
	{ 0x09, 0xff, "Input device controller" },
	{ 0x0c, 0x03, "USB controller" },
	{ 0x0c, 0x05, "SMBus" },
	{ 0x0c, 0xff, "Serial bus controller" },
	{ 0x0d, 0xff, "Wireless controller" },
	{ 0x10, 0xff, "Encryption controller" },
	{ 0x12, 0xff, "Processing accelerators" },
	{ 0xff, 0xff, "Unassigned class" },
};

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
	const char *whole = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(class_names); i++) {
		const struct class_name *c = &class_names[i];
		if (c->class_code != class_code)
			continue;
		if (c->subclass == subclass)
			return c->name;
		if (c->subclass == 0xff)
			whole = c->name;
	}
	return whole ? whole : "Unknown class";
}
