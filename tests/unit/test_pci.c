// unit-deps: kernel/drivers/base/device.c kernel/drivers/pci/enumerate.c kernel/drivers/pci/pci_bus.c kernel/drivers/pci/proc_format.c kernel/lib/sbuf.c kernel/lib/printf.c kernel/lib/string.c
/*
 * The PCI core on a simulated configuration space: a table of functions, each with 4 KiB of
 * registers, BARs that keep only their writable address bits, and bridges that forward
 * configuration cycles only for the bus range programmed into them (so a bridge firmware left
 * unnumbered hides what is behind it until the enumeration numbers it). Then id-table matching
 * and the driver model on a bus of its own.
 */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

#include "host_prefix.h"

#include "drivers/base/device.h"
#include "drivers/pci/pci_core.h"
#include "drivers/pci/pci_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

/* ---- kernel services the sources under test call ---- */

static char logbuf[1 << 16];
static size_t loglen;

void klog(int level, const char *fmt, ...)
{
	(void)level;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	va_end(ap);
	if (n > 0)
		loglen = MIN(loglen + (size_t)n, sizeof(logbuf) - 1);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	va_end(ap);
	if (n > 0)
		loglen = MIN(loglen + (size_t)n, sizeof(logbuf) - 1);
}

static void log_clear(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

static bool logged(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

void *kmalloc(size_t size) { return malloc(size ? size : 1); }
void *kzalloc(size_t size) { return calloc(1, size ? size : 1); }
void kfree(const void *p) { free((void *)p); }

/* pci_init (enumerate.c) calls these; the tests call pci_enumerate directly. */
int pci_platform_init(struct pci_platform *p) { (void)p; return -ENODEV; }
void pcie_hotplug_init(void) {}
void pci_test_drivers_init(void) {}

/* ---- the fake configuration space ---- */

#define MAX_FNS 24
#define ROOT    (-1)

struct fake_fn {
	bool present;
	int parent;              /* the fake bridge it sits behind, or ROOT (bus 0) */
	uint8_t slot, func;
	uint8_t cfg[PCI_CFG_SIZE];
	uint32_t bar_mask[6];    /* writable bits of each BAR register */
	unsigned writes;         /* configuration writes it received */
};

static struct fake_fn fns[MAX_FNS];
static int nfns;
static unsigned reads_total;

static void put8(struct fake_fn *f, unsigned off, uint8_t v) { f->cfg[off] = v; }
static void put16(struct fake_fn *f, unsigned off, uint16_t v)
{
	f->cfg[off] = (uint8_t)v;
	f->cfg[off + 1] = (uint8_t)(v >> 8);
}
static void put32(struct fake_fn *f, unsigned off, uint32_t v)
{
	put16(f, off, (uint16_t)v);
	put16(f, off + 2, (uint16_t)(v >> 16));
}
static uint32_t get(const struct fake_fn *f, unsigned off, unsigned width)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	return v;
}

static int fake_bus_of(int i);

/* Does bridge b pass configuration cycles for bus on to its secondary side? */
static bool forwards(int b, int bus)
{
	int own = fake_bus_of(b);
	const struct fake_fn *f = &fns[b];
	int sec = f->cfg[PCI_SECONDARY_BUS], sub = f->cfg[PCI_SUBORDINATE_BUS];
	if (own < 0 || sec <= own || bus < sec || bus > sub)
		return false;
	return f->parent == ROOT || forwards(f->parent, bus);
}

/* The bus a function answers on now, or -1 when no path of bridges reaches it. */
static int fake_bus_of(int i)
{
	const struct fake_fn *f = &fns[i];
	if (f->parent == ROOT)
		return 0;
	int sec = fns[f->parent].cfg[PCI_SECONDARY_BUS];
	return forwards(f->parent, sec) ? sec : -1;
}

static struct fake_fn *fake_at(uint16_t seg, uint8_t bus, uint8_t devfn)
{
	if (seg != 0)
		return NULL;
	for (int i = 0; i < nfns; i++)
		if (fns[i].present && PCI_DEVFN(fns[i].slot, fns[i].func) == devfn && fake_bus_of(i) == bus)
			return &fns[i];
	return NULL;
}

static uint32_t fake_read(uint16_t seg, uint8_t bus, uint8_t devfn, unsigned off, unsigned width)
{
	reads_total++;
	struct fake_fn *f = fake_at(seg, bus, devfn);
	if (!f)
		return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
	return get(f, off, width);
}

/* Which bits of the byte at off software may change. */
static uint8_t writable(const struct fake_fn *f, unsigned off)
{
	unsigned type = f->cfg[PCI_HEADER_TYPE] & 0x7f, nbars = type == 0 ? 6 : type == 1 ? 2 : 0;
	if (off == PCI_COMMAND || off == PCI_COMMAND + 1 || off == PCI_INTERRUPT_LINE)
		return 0xff;
	if (off >= PCI_BAR0 && off < PCI_BAR0 + 4 * nbars)
		return (uint8_t)(f->bar_mask[(off - PCI_BAR0) / 4] >> (8 * (off % 4)));
	if (type != 1)
		return 0;
	if (off >= PCI_PRIMARY_BUS && off <= PCI_SUBORDINATE_BUS)
		return 0xff;
	if (off == PCI_IO_BASE || off == PCI_IO_LIMIT)
		return 0xf0;
	if (off >= PCI_MEM_BASE && off < PCI_PREF_BASE_HI) /* low nibbles: type bits, read-only */
		return off % 2 ? 0xff : 0xf0;
	if (off >= PCI_PREF_BASE_HI && off < PCI_IO_LIMIT_HI + 2)
		return 0xff;
	return 0;
}

static void fake_write(uint16_t seg, uint8_t bus, uint8_t devfn, unsigned off, unsigned width, uint32_t v)
{
	struct fake_fn *f = fake_at(seg, bus, devfn);
	if (!f)
		return;
	f->writes++;
	for (unsigned i = 0; i < width; i++) {
		uint8_t m = writable(f, off + i), b = (uint8_t)(v >> (8 * i));
		f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | (b & m));
	}
}

static const struct pci_cfg_ops fake_ops = { fake_read, fake_write };

static struct fake_fn *add_fn(int parent, uint8_t slot, uint8_t func, uint16_t vendor, uint16_t device,
			      uint32_t cls, uint8_t header)
{
	struct fake_fn *f = &fns[nfns++];
	memset(f, 0, sizeof(*f));
	f->present = true;
	f->parent = parent;
	f->slot = slot;
	f->func = func;
	put16(f, PCI_VENDOR_ID, vendor);
	put16(f, PCI_DEVICE_ID, device);
	put8(f, PCI_REVISION, 1);
	put8(f, PCI_PROG_IF, (uint8_t)cls);
	put8(f, PCI_SUBCLASS, (uint8_t)(cls >> 8));
	put8(f, PCI_CLASS, (uint8_t)(cls >> 16));
	put8(f, PCI_HEADER_TYPE, header);
	return f;
}

/* A BAR of size bytes: bits type (I/O, 64-bit, prefetch) read-only, address bits writable. */
static void add_bar(struct fake_fn *f, int i, uint32_t type, uint64_t size, uint64_t addr)
{
	uint64_t mask = ~(size - 1);
	if (type & PCI_BAR_IO) {
		f->bar_mask[i] = (uint32_t)mask & ~3u & 0xffff; /* a 16-bit I/O decoder */
		put32(f, PCI_BAR0 + 4 * i, (uint32_t)addr | type);
		return;
	}
	f->bar_mask[i] = (uint32_t)mask & ~0xfu;
	put32(f, PCI_BAR0 + 4 * i, (uint32_t)addr | type);
	if (type & PCI_BAR_MEM_64) {
		f->bar_mask[i + 1] = (uint32_t)(mask >> 32);
		put32(f, PCI_BAR0 + 4 * (i + 1), (uint32_t)(addr >> 32));
	}
}

/* A classic capability: id at off, chained to next. */
static void add_cap(struct fake_fn *f, uint8_t off, uint8_t id, uint8_t next)
{
	put16(f, PCI_STATUS, get(f, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	if (!f->cfg[PCI_CAP_PTR])
		put8(f, PCI_CAP_PTR, off);
	put8(f, off, id);
	put8(f, off + 1, next);
}

static void add_ext_cap(struct fake_fn *f, uint16_t off, uint16_t id, uint16_t next)
{
	put32(f, off, (uint32_t)next << 20 | 1u << 16 | id);
}

/*
 * The machine:
 *   00:00.0 host bridge
 *   00:01.0-.3 a multi-function device (fn 2 missing): 00:01.0 with an I/O BAR, a 32-bit BAR
 *           and an unassigned 64-bit prefetchable BAR; 00:01.1 with a looping capability list
 *   00:02.0 a single-function VGA device; a ghost at 00:02.1 must not be found
 *   00:03.0 a bridge firmware left unnumbered, with an unassigned BAR of its own
 *           -> 00 slot 0: an NVMe-like device, 64-bit BAR unassigned, extended list looping
 *           -> slot 1: a second unnumbered bridge
 *                 -> slot 0: a NIC with an unassigned memory and I/O BAR
 *   00:04.0 a bridge firmware numbered (bus 5) with a memory window
 *           -> 05:00.0 a device with its BAR assigned; slot 1 empty until hot-plugged
 */
enum {
	F_HOST, F_MF0, F_MF1, F_MF3, F_VGA, F_GHOST, F_BR1, F_NVME, F_BR2, F_NIC, F_BR3, F_BLK, F_HOT,
};

static void build_machine(void)
{
	nfns = 0;
	reads_total = 0;
	struct fake_fn *f;

	add_fn(ROOT, 0, 0, 0x8086, 0x29c0, 0x060000, 0);

	f = add_fn(ROOT, 1, 0, 0x1af4, 0x1000, 0x020000, PCI_HEADER_MULTI);
	put16(f, PCI_COMMAND, PCI_CMD_IO | PCI_CMD_MEM);
	add_bar(f, 0, PCI_BAR_IO, 32, 0xc000);
	add_bar(f, 1, 0, 0x1000, 0xfebf0000);
	add_bar(f, 2, PCI_BAR_MEM_64 | PCI_BAR_PREFETCH, 0x4000, 0);
	add_cap(f, 0x40, PCI_CAP_ID_MSI, 0x50);
	add_cap(f, 0x50, PCI_CAP_ID_MSIX, 0);
	put8(f, PCI_INTERRUPT_PIN, 1);

	f = add_fn(ROOT, 1, 1, 0x8086, 0x2922, 0x010601, 0);
	add_cap(f, 0x40, PCI_CAP_ID_MSI, 0x60);
	add_cap(f, 0x60, PCI_CAP_ID_EXP, 0x40); /* back to the start: a loop */
	add_ext_cap(f, 0x100, 0x0001, 0x150);
	add_ext_cap(f, 0x150, 0x0019, 0);

	add_fn(ROOT, 1, 3, 0x8086, 0x7113, 0x068000, 0);

	f = add_fn(ROOT, 2, 0, 0x1234, 0x1111, 0x030000, 0);
	put16(f, PCI_COMMAND, PCI_CMD_MEM);
	add_bar(f, 0, PCI_BAR_PREFETCH, 16 << 20, 0xfd000000);
	add_fn(ROOT, 2, 1, 0xdead, 0xbeef, 0x000000, 0);

	f = add_fn(ROOT, 3, 0, 0x1b36, 0x000c, 0x060400, 1);
	add_bar(f, 0, 0, 0x1000, 0);
	add_cap(f, 0x40, PCI_CAP_ID_EXP, 0);
	put8(f, PCI_PREF_BASE, 1); /* 64-bit prefetchable window */
	put8(f, PCI_PREF_LIMIT, 1);

	f = add_fn(F_BR1, 0, 0, 0x1b36, 0x0010, 0x010802, 0);
	add_bar(f, 0, PCI_BAR_MEM_64, 0x4000, 0);
	add_cap(f, 0x40, PCI_CAP_ID_MSIX, 0x60);
	add_cap(f, 0x60, PCI_CAP_ID_EXP, 0);
	add_ext_cap(f, 0x100, 0x0001, 0x100); /* points at itself */
	put8(f, PCI_INTERRUPT_PIN, 1);

	add_fn(F_BR1, 1, 0, 0x1b36, 0x000c, 0x060400, 1);

	f = add_fn(F_BR2, 0, 0, 0x8086, 0x10d3, 0x020000, 0);
	add_bar(f, 0, 0, 0x20000, 0);
	add_bar(f, 2, PCI_BAR_IO, 32, 0);

	f = add_fn(ROOT, 4, 0, 0x1b36, 0x000c, 0x060400, 1);
	put16(f, PCI_COMMAND, PCI_CMD_MEM | PCI_CMD_MASTER);
	put8(f, PCI_PRIMARY_BUS, 0);
	put8(f, PCI_SECONDARY_BUS, 5);
	put8(f, PCI_SUBORDINATE_BUS, 5);
	put16(f, PCI_MEM_BASE, 0xfe80);
	put16(f, PCI_MEM_LIMIT, 0xfe80);
	put8(f, PCI_IO_BASE, 0xf0); /* closed */

	f = add_fn(F_BR3, 0, 0, 0x1af4, 0x1042, 0x010000, 0);
	put16(f, PCI_COMMAND, PCI_CMD_MEM);
	add_bar(f, 0, 0, 0x1000, 0xfe800000);

	f = add_fn(F_BR3, 1, 0, 0x8086, 0x10d3, 0x020000, 0);
	add_bar(f, 0, 0, 0x20000, 0);
	f->present = false;
}

static struct pci_platform plat;

static void setup(void)
{
	pci_remove_all();
	build_machine();
	log_clear();
	pci_cfg = &fake_ops;
	memset(&plat, 0, sizeof(plat));
	plat.roots[0] = (struct pci_root){ 0, 0, 255 };
	plat.root_count = 1;
	plat.io = (struct pci_window){ 0xc000, 0xffff };
	plat.mem32 = (struct pci_window){ 0x80000000, 0xfebfffff };
	plat.mem64 = (struct pci_window){ 0x400000000ull, 0xbffffffffull };
	plat.busy[plat.busy_count++] = (struct pci_window){ 0, 0x7fffffff };          /* RAM */
	plat.busy[plat.busy_count++] = (struct pci_window){ 0xb0000000, 0xbfffffff }; /* ECAM */
	plat.method = "fake";
}

static struct pci_dev *dev_at(uint8_t bus, uint8_t slot, uint8_t func)
{
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		if (d->bus == bus && d->slot == slot && d->func == func)
			return d;
	return NULL;
}

static size_t dev_count(void)
{
	size_t n = 0;
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		n++;
	return n;
}

static bool inside(uint64_t base, uint64_t size, struct pci_window w)
{
	return w.base <= w.limit && base >= w.base && base + size - 1 <= w.limit;
}

/* ---- enumeration ---- */

TEST(finds_every_function)
{
	setup();
	CHECK_INT(pci_enumerate(&plat), 11);
	CHECK_INT(dev_count(), 11);
	CHECK(dev_at(0, 0, 0) && dev_at(0, 1, 0) && dev_at(0, 1, 1) && dev_at(0, 1, 3));
	CHECK(!dev_at(0, 1, 2));              /* a gap in a multi-function device */
	CHECK(dev_at(0, 2, 0) && !dev_at(0, 2, 1)); /* single-function: fn 1 never probed */
	CHECK(dev_at(5, 0, 0) && !dev_at(5, 1, 0));
	struct pci_dev *d = dev_at(0, 1, 0);
	CHECK_STR(d->dev.name, "0000:00:01.0");
	CHECK_INT(d->vendor, 0x1af4);
	CHECK_INT(d->device, 0x1000);
	CHECK_INT(d->class_code, 0x02);
	CHECK_INT(d->irq_pin, 1);
	CHECK_INT(d->gsi, -1); /* no INTx routing linked in */
	CHECK_INT(dev_at(0, 3, 0)->header_type, 1);
	CHECK(logged("pci: 0000:00:02.0 [1234:1111] class 03.00.00 VGA compatible controller, BAR0 mem 0xfd000000 (16 MiB, prefetch)\n"));
	CHECK(logged("pci: 11 functions on 4 buses, config via fake; assigned 5 BARs and 4 bridge windows firmware had left unassigned\n"));
	pci_remove_all();
}

TEST(numbers_unnumbered_bridges)
{
	setup();
	pci_enumerate(&plat);
	/* Bus 5 is firmware's; the unnumbered bridges get the next ones, depth first. */
	struct pci_dev *br1 = dev_at(0, 3, 0), *br2 = dev_at(6, 1, 0), *br3 = dev_at(0, 4, 0);
	CHECK(br1 && br2 && br3);
	CHECK_INT(br1->secondary_bus, 6);
	CHECK_INT(br1->subordinate_bus, 7);
	CHECK_INT(br2->secondary_bus, 7);
	CHECK_INT(br2->subordinate_bus, 7);
	CHECK_INT(br3->secondary_bus, 5);
	CHECK_INT(br3->subordinate_bus, 5);
	/* ... in the registers too. */
	CHECK_INT(fns[F_BR1].cfg[PCI_PRIMARY_BUS], 0);
	CHECK_INT(fns[F_BR1].cfg[PCI_SECONDARY_BUS], 6);
	CHECK_INT(fns[F_BR1].cfg[PCI_SUBORDINATE_BUS], 7);
	CHECK_INT(fns[F_BR2].cfg[PCI_PRIMARY_BUS], 6);
	CHECK_INT(fns[F_BR2].cfg[PCI_SECONDARY_BUS], 7);
	CHECK_INT(fns[F_BR2].cfg[PCI_SUBORDINATE_BUS], 7);
	CHECK(dev_at(6, 0, 0) && dev_at(7, 0, 0));
	CHECK_STR(dev_at(7, 0, 0)->dev.name, "0000:07:00.0");
	/* The tree, in both the PCI structure and the driver model. */
	struct pci_dev *nic = dev_at(7, 0, 0);
	CHECK(nic->upstream == br2 && br2->upstream == br1 && br1->upstream == NULL);
	CHECK(nic->dev.parent == &br2->dev && br2->dev.parent == &br1->dev && br1->dev.parent == NULL);
	CHECK(br1->dev.first_child != NULL);
	pci_remove_all();
}

TEST(sizes_bars)
{
	setup();
	pci_enumerate(&plat);
	struct pci_dev *d = dev_at(0, 1, 0);
	CHECK(d->bars[0].io);
	CHECK_INT(d->bars[0].size, 32);
	CHECK_INT(d->bars[0].base, 0xc000);
	CHECK(!d->bars[1].io && !d->bars[1].mem64 && !d->bars[1].prefetch);
	CHECK_INT(d->bars[1].size, 0x1000);
	CHECK_INT(d->bars[1].base, 0xfebf0000);
	CHECK(d->bars[2].mem64 && d->bars[2].prefetch);
	CHECK_INT(d->bars[2].size, 0x4000);
	CHECK_INT(d->bars[3].size, 0); /* the upper half of BAR2 */
	CHECK_INT(d->bars[4].size, 0);
	struct pci_dev *vga = dev_at(0, 2, 0);
	CHECK_INT(vga->bars[0].size, 16 << 20);
	CHECK(vga->bars[0].prefetch && !vga->bars[0].mem64);
	/* Firmware's addresses and the command register survive sizing. */
	CHECK_INT(get(&fns[F_MF0], PCI_BAR0, 4), 0xc001);
	CHECK_INT(get(&fns[F_MF0], PCI_BAR0 + 4, 4), 0xfebf0000);
	CHECK_INT(get(&fns[F_VGA], PCI_BAR0, 4), 0xfd000008);
	CHECK_INT(get(&fns[F_MF0], PCI_COMMAND, 2), PCI_CMD_IO | PCI_CMD_MEM);
	CHECK_INT(get(&fns[F_VGA], PCI_COMMAND, 2), PCI_CMD_MEM);
	pci_remove_all();
}

TEST(assigns_unassigned_bars)
{
	setup();
	pci_enumerate(&plat);
	struct pci_dev *mf = dev_at(0, 1, 0), *br1 = dev_at(0, 3, 0), *nvme = dev_at(6, 0, 0);
	struct pci_dev *br2 = dev_at(6, 1, 0), *nic = dev_at(7, 0, 0);
	struct pci_node *n1 = pci_node_of(br1), *n2 = pci_node_of(br2);

	/* Every BAR has an address now, and the register holds it (64-bit: both halves). */
	for (struct pci_dev *d = pci_first(); d; d = d->next)
		for (int i = 0; i < 6; i++)
			CHECK(!d->bars[i].size || d->bars[i].base);
	CHECK_INT(mf->bars[2].base, 0x80200000);
	CHECK_INT(get(&fns[F_MF0], PCI_BAR0 + 8, 4), 0x8020000c);
	CHECK_INT(get(&fns[F_MF0], PCI_BAR0 + 12, 4), 0);
	CHECK_INT(nvme->bars[0].base, 0x80100000);
	CHECK_INT(get(&fns[F_NVME], PCI_BAR0, 4), 0x80100004);

	/* The bridges got windows sized for what is behind them, inside their parent's. */
	CHECK_INT(n1->mem_win.base, 0x80000000);
	CHECK_INT(n1->mem_win.limit, 0x801fffff);
	CHECK_INT(n1->io_win.base, 0xd000);
	CHECK_INT(n1->io_win.limit, 0xdfff);
	CHECK(n1->pref_win.base > n1->pref_win.limit); /* nothing prefetchable behind: closed */
	CHECK(inside(n2->mem_win.base, n2->mem_win.limit - n2->mem_win.base + 1, n1->mem_win));
	CHECK(inside(n2->io_win.base, 0x1000, n1->io_win));
	CHECK(inside(nvme->bars[0].base, nvme->bars[0].size, n1->mem_win));
	CHECK(inside(nic->bars[0].base, nic->bars[0].size, n2->mem_win));
	CHECK(nic->bars[2].io);
	CHECK(inside(nic->bars[2].base, nic->bars[2].size, n2->io_win));
	/* The window registers say the same. */
	CHECK_INT(get(&fns[F_BR1], PCI_MEM_BASE, 2), 0x8000);
	CHECK_INT(get(&fns[F_BR1], PCI_MEM_LIMIT, 2), 0x8010);
	CHECK_INT(get(&fns[F_BR1], PCI_IO_BASE, 1), 0xd0);
	CHECK_INT(get(&fns[F_BR1], PCI_IO_LIMIT, 1), 0xd0);
	CHECK(get(&fns[F_BR1], PCI_PREF_BASE, 2) > get(&fns[F_BR1], PCI_PREF_LIMIT, 2));
	CHECK_INT(get(&fns[F_BR1], PCI_COMMAND, 2) & 7, 7); /* forwards I/O, memory, DMA */

	/* No two BARs overlap, and none sits in RAM, the ECAM area or over firmware's window. */
	for (struct pci_dev *a = pci_first(); a; a = a->next)
		for (int i = 0; i < 6; i++) {
			struct pci_bar *x = &a->bars[i];
			if (!x->size)
				continue;
			if (!x->io) {
				CHECK(x->base > 0x7fffffff);
				CHECK(x->base + x->size <= 0xb0000000 || x->base > 0xbfffffff);
			}
			CHECK_INT(x->base % x->size, 0);
			for (struct pci_dev *b = pci_first(); b; b = b->next)
				for (int j = 0; j < 6; j++) {
					struct pci_bar *y = &b->bars[j];
					if ((a == b && i == j) || !y->size || x->io != y->io)
						continue;
					CHECK(x->base + x->size <= y->base || y->base + y->size <= x->base);
				}
		}
	CHECK(!inside(mf->bars[2].base, 1, pci_node_of(dev_at(0, 4, 0))->mem_win));
	pci_remove_all();
}

/* A hole too small: 64-bit BARs go above RAM, the rest is reported and left unassigned. */
TEST(assignment_fallbacks)
{
	setup();
	plat.mem32 = (struct pci_window){ 0x80000000, 0x80001fff };
	pci_enumerate(&plat);
	struct pci_dev *mf = dev_at(0, 1, 0), *br1 = dev_at(0, 3, 0), *nic = dev_at(7, 0, 0);
	CHECK_INT(mf->bars[2].base, 0x400000000ull);
	CHECK_INT(get(&fns[F_MF0], PCI_BAR0 + 8, 4), 0x0000000c);
	CHECK_INT(get(&fns[F_MF0], PCI_BAR0 + 12, 4), 0x4);
	CHECK_INT(br1->bars[0].base, 0x80000000);
	CHECK(logged("pci: 0000:00:03.0: no room for a 2 MiB mem window; devices behind stay unassigned\n"));
	CHECK(logged("pci: 0000:06:00.0: no room for BAR0 (mem 16 KiB); left unassigned\n"));
	CHECK_INT(nic->bars[0].base, 0);
	CHECK(logged("pci: 0000:07:00.0 [8086:10d3] class 02.00.00 Ethernet controller, BAR0 mem unassigned (128 KiB), BAR2 io 0xd000 (32 bytes)\n"));
	pci_remove_all();
}

/* Bus numbers run out: the bridge is reported and what is behind it stays unseen. */
TEST(bus_numbers_exhausted)
{
	setup();
	plat.roots[0].bus_end = 6;
	pci_enumerate(&plat);
	CHECK_INT(dev_at(0, 3, 0)->secondary_bus, 6);
	CHECK_INT(dev_at(0, 3, 0)->subordinate_bus, 6);
	CHECK(dev_at(6, 0, 0) != NULL);
	CHECK(logged("pci: 0000:06:01.0: no bus number left for the bridge (range ends at 06)\n"));
	CHECK_INT(dev_count(), 10);
	pci_remove_all();
}

TEST(capability_loops)
{
	setup();
	pci_enumerate(&plat);
	struct pci_dev *mf0 = dev_at(0, 1, 0), *mf1 = dev_at(0, 1, 1), *nvme = dev_at(6, 0, 0);
	CHECK_INT(mf0->msi_cap, 0x40);
	CHECK_INT(mf0->msix_cap, 0x50);
	CHECK_INT(mf0->pcie_cap, 0);
	/* 0x40 -> 0x60 -> 0x40: both found, then the walk stops instead of going round. */
	CHECK_INT(mf1->msi_cap, 0x40);
	CHECK_INT(mf1->pcie_cap, 0x60);
	CHECK_INT(mf1->msix_cap, 0);
	CHECK(logged("pci: 0000:00:01.1: capability list loops: entry 3 revisits 0x40; ignoring the rest\n"));
	unsigned before = reads_total;
	CHECK_INT(pci_find_capability(mf1, 0x09), 0);
	CHECK(reads_total - before < 16);
	/* Extended capabilities from 0x100. */
	CHECK_INT(pci_find_ext_capability(mf1, 0x0001), 0x100);
	CHECK_INT(pci_find_ext_capability(mf1, 0x0019), 0x150);
	CHECK_INT(pci_find_ext_capability(mf1, 0x000b), 0);
	CHECK_INT(nvme->msix_cap, 0x40);
	CHECK_INT(nvme->pcie_cap, 0x60);
	CHECK_INT(pci_find_ext_capability(nvme, 0x0001), 0x100);
	CHECK_INT(pci_find_ext_capability(nvme, 0x0019), 0); /* self-loop: stops */
	CHECK(logged("pci: 0000:06:00.0: extended capability list loops: entry 2 revisits 0x100; ignoring the rest\n"));
	/* No capability list at all. */
	CHECK_INT(pci_find_capability(dev_at(0, 0, 0), PCI_CAP_ID_MSI), 0);
	CHECK_INT(pci_find_ext_capability(dev_at(0, 0, 0), 0x0001), 0);
	pci_remove_all();
}

TEST(config_access_bounds)
{
	setup();
	pci_enumerate(&plat);
	struct pci_dev *d = dev_at(0, 1, 0);
	CHECK_INT(pci_read16(d, PCI_VENDOR_ID), 0x1af4);
	CHECK_INT(pci_read32(d, 0), 0x10001af4);
	CHECK_INT(pci_read8(d, PCI_CLASS), 0x02);
	CHECK_INT(pci_read16(d, 1), 0xffff);         /* misaligned */
	CHECK_INT(pci_read32(d, 4094), 0xffffffffu); /* past the end */
	CHECK_INT(pci_read32(d, 4096), 0xffffffffu);
	unsigned w = fns[F_MF0].writes;
	pci_write32(d, 4096, 0);
	pci_write16(d, 3, 0);
	CHECK_INT(fns[F_MF0].writes, w);
	pci_enable_device(d, true);
	CHECK_INT(get(&fns[F_MF0], PCI_COMMAND, 2), PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
	struct pci_dev *nic = dev_at(7, 0, 0);
	pci_enable_device(nic, false);
	CHECK_INT(get(&fns[F_NIC], PCI_COMMAND, 2), PCI_CMD_IO | PCI_CMD_MEM);
	pci_remove_all();
}

TEST(hotplug_rescan_and_remove)
{
	setup();
	pci_enumerate(&plat);
	struct pci_dev *port = dev_at(0, 4, 0);
	CHECK(port);
	CHECK_INT(pci_scan_bus_under(port), 0); /* nothing new yet */
	fns[F_HOT].present = true;
	log_clear();
	CHECK_INT(pci_scan_bus_under(port), 1);
	struct pci_dev *hot = dev_at(5, 1, 0);
	CHECK(hot && hot->dev.registered && hot->dev.parent == &port->dev);
	/* In the port's window, clear of the device already there. */
	CHECK(inside(hot->bars[0].base, hot->bars[0].size, pci_node_of(port)->mem_win));
	CHECK_INT(hot->bars[0].base, 0xfe820000);
	CHECK_INT(get(&fns[F_HOT], PCI_BAR0, 4), 0xfe820000);
	CHECK(logged("pci: 0000:05:01.0 [8086:10d3] class 02.00.00 Ethernet controller, BAR0 mem 0xfe820000 (128 KiB)"));
	CHECK_INT(dev_count(), 12);
	CHECK_INT(pci_scan_bus_under(port), 0); /* known functions are left alone */

	pci_remove_dev(hot);
	fns[F_HOT].present = false;
	CHECK_INT(dev_count(), 11);
	CHECK(!dev_at(5, 1, 0));
	CHECK(logged("pci: 0000:05:01.0 [8086:10d3] removed"));
	/* A bridge takes its subtree with it. */
	pci_remove_dev(dev_at(0, 3, 0));
	CHECK_INT(dev_count(), 7);
	CHECK(!dev_at(6, 0, 0) && !dev_at(6, 1, 0) && !dev_at(7, 0, 0));
	CHECK_INT(pci_scan_bus_under(dev_at(0, 0, 0)), -EINVAL); /* not a bridge */
	pci_remove_all();
	CHECK_INT(dev_count(), 0);
}

TEST(proc_devices_format)
{
	setup();
	pci_enumerate(&plat);
	size_t need = pci_format_proc_devices(NULL, 0);
	char *buf = malloc(need + 1);
	CHECK_INT(pci_format_proc_devices(buf, need + 1), need);
	CHECK_INT(strlen(buf), need);
	/* 00:01.0: I/O BAR flag 1, 64-bit prefetchable flags 0xc, the upper half 0. */
	char want[512];
	snprintf(want, sizeof(want),
		 "0008\t1af41000\t0\t%16llx\t%16llx\t%16llx\t%16llx\t%16llx\t%16llx\t%16llx"
		 "\t%16llx\t%16llx\t%16llx\t%16llx\t%16llx\t%16llx\t%16llx\t\n",
		 0xc001ull, 0xfebf0000ull, 0x8020000cull, 0ull, 0ull, 0ull, 0ull,
		 0x20ull, 0x1000ull, 0x4000ull, 0ull, 0ull, 0ull, 0ull);
	CHECK(strstr(buf, want) != NULL);
	CHECK(strncmp(buf, "0000\t808629c0\t0\t", 16) == 0); /* bus order: 00:00.0 first */
	CHECK(strstr(buf, "0700\t808610d3\t") != NULL);
	unsigned lines = 0;
	for (size_t i = 0; i < need; i++)
		lines += buf[i] == '\n';
	CHECK_INT(lines, 11);
	/* Truncation: like snprintf. */
	char small[10];
	CHECK_INT(pci_format_proc_devices(small, sizeof(small)), need);
	CHECK_INT(strlen(small), 9);
	CHECK(strncmp(small, buf, 9) == 0);
	free(buf);
	pci_remove_all();
}

/* ---- id tables ---- */

static struct pci_dev mkdev(uint16_t vendor, uint16_t device, uint32_t cls)
{
	struct pci_dev d;
	memset(&d, 0, sizeof(d));
	d.vendor = vendor;
	d.device = device;
	d.class_code = (uint8_t)(cls >> 16);
	d.subclass = (uint8_t)(cls >> 8);
	d.prog_if = (uint8_t)cls;
	return d;
}

TEST(id_table_matching)
{
	static const struct pci_device_id ids[] = {
		{ 0x8086, 0x10d3, 0, 0 },                      /* exact */
		{ 0x1af4, PCI_ANY_ID, 0xffff00, 0x010000 },    /* vendor, any device, class 01.00.xx */
		{ PCI_ANY_ID, PCI_ANY_ID, 0xffffff, 0x010802 }, /* any NVMe */
		{ PCI_ANY_ID, PCI_ANY_ID, 0xff0000, 0x0c0000 }, /* any serial bus controller */
		{ 0 },
	};
	struct pci_dev d = mkdev(0x8086, 0x10d3, 0x020000);
	CHECK(pci_match_id(ids, &d) == &ids[0]);
	d = mkdev(0x8086, 0x10d4, 0x020000);
	CHECK(pci_match_id(ids, &d) == NULL);
	d = mkdev(0x1af4, 0x1042, 0x010000);
	CHECK(pci_match_id(ids, &d) == &ids[1]);
	d = mkdev(0x1af4, 0x1041, 0x020000); /* right vendor, wrong class */
	CHECK(pci_match_id(ids, &d) == NULL);
	d = mkdev(0x1b36, 0x0010, 0x010802);
	CHECK(pci_match_id(ids, &d) == &ids[2]);
	d = mkdev(0x1b36, 0x0010, 0x010801); /* another prog-if */
	CHECK(pci_match_id(ids, &d) == NULL);
	d = mkdev(0x8086, 0x2930, 0x0c0500);
	CHECK(pci_match_id(ids, &d) == &ids[3]);
	static const struct pci_device_id any[] = { { PCI_ANY_ID, PCI_ANY_ID, 0, 0 }, { 0 } };
	CHECK(pci_match_id(any, &d) == &any[0]);
	static const struct pci_device_id none[] = { { 0 } };
	CHECK(pci_match_id(none, &d) == NULL);
	CHECK(pci_match_id(NULL, &d) == NULL);
}

TEST(class_names)
{
	CHECK_STR(pci_class_name(0x03, 0x00), "VGA compatible controller");
	CHECK_STR(pci_class_name(0x01, 0x08), "Non-Volatile memory controller");
	CHECK_STR(pci_class_name(0x06, 0x04), "PCI bridge");
	CHECK_STR(pci_class_name(0x01, 0x42), "Mass storage controller"); /* the class as a whole */
	CHECK_STR(pci_class_name(0x42, 0x00), "Unknown class");
	char buf[24];
	pci_format_size(buf, sizeof(buf), 32);
	CHECK_STR(buf, "32 bytes");
	pci_format_size(buf, sizeof(buf), 0x4000);
	CHECK_STR(buf, "16 KiB");
	pci_format_size(buf, sizeof(buf), 16 << 20);
	CHECK_STR(buf, "16 MiB");
	pci_format_size(buf, sizeof(buf), 0x1800);
	CHECK_STR(buf, "6 KiB");
}

/* ---- PCI drivers through the driver model ---- */

static struct pci_dev *probed[8];
static unsigned nprobed, nremoved;

static int rec_probe(struct pci_dev *d, const struct pci_device_id *id)
{
	(void)id;
	probed[nprobed++ % 8] = d;
	return 0;
}

static void rec_remove(struct pci_dev *d)
{
	(void)d;
	nremoved++;
}

static const struct pci_device_id nic_ids[] = { { 0x8086, 0x10d3, 0, 0 }, { 0 } };
static struct pci_driver nic_drv = {
	.driver = { .name = "fake-nic" }, .id_table = nic_ids, .probe = rec_probe, .remove = rec_remove,
};

TEST(pci_driver_binding)
{
	setup();
	nprobed = nremoved = 0;
	pci_enumerate(&plat);
	/* Probe on driver add: the NIC behind the two bridges. */
	CHECK_INT(pci_register_driver(&nic_drv), 0);
	CHECK_INT(nprobed, 1);
	CHECK(probed[0] == dev_at(7, 0, 0));
	CHECK(dev_at(7, 0, 0)->dev.driver == &nic_drv.driver);
	/* Probe on device add: a hot-plugged NIC. */
	fns[F_HOT].present = true;
	CHECK_INT(pci_scan_bus_under(dev_at(0, 4, 0)), 1);
	CHECK_INT(nprobed, 2);
	CHECK(probed[1] == dev_at(5, 1, 0));
	/* Removing the bridge above the first NIC runs its remove. */
	pci_remove_dev(dev_at(0, 3, 0));
	CHECK_INT(nremoved, 1);
	pci_unregister_driver(&nic_drv);
	CHECK_INT(nremoved, 2);
	CHECK(dev_at(5, 1, 0)->dev.driver == NULL);
	CHECK_INT(pci_register_driver(&(struct pci_driver){ .driver = { .name = NULL } }), -EINVAL);
	pci_remove_all();
	fns[F_HOT].present = false;
}

/* ---- the driver model on a bus of its own ---- */

static char trace[512];

static void note(const char *what, struct device *dev)
{
	strlcat(trace, what, sizeof(trace));
	strlcat(trace, ":", sizeof(trace));
	strlcat(trace, dev->name, sizeof(trace));
	strlcat(trace, " ", sizeof(trace));
}

/* The test bus matches a driver to devices whose name starts with the driver's name. */
static bool t_match(struct device *dev, struct driver *drv)
{
	return strncmp(dev->name, drv->name, strlen(drv->name)) == 0;
}

static struct bus_type tbus = { .name = "tbus", .match = t_match };

static int t_probe(struct device *dev)
{
	note("probe", dev);
	return 0;
}

static int t_refuse(struct device *dev)
{
	note("refuse", dev);
	return -ENODEV;
}

static void t_remove(struct device *dev)
{
	note("remove", dev);
}

static void tbus_init(void)
{
	static bool done;
	if (!done)
		CHECK_INT(bus_register(&tbus), 0);
	done = true;
	trace[0] = '\0';
}

static void mkdevice(struct device *d, const char *name, struct device *parent)
{
	memset(d, 0, sizeof(*d));
	strlcpy(d->name, name, sizeof(d->name));
	d->bus = &tbus;
	d->parent = parent;
}

static uint64_t events_end(void)
{
	uint64_t seq = 0;
	struct device_event ev;
	while (device_event_read(&seq, &ev))
		;
	return seq;
}

static const char *ev_name(enum device_event_type t)
{
	return t == DEVICE_ADDED ? "add" : t == DEVICE_REMOVED ? "del" : t == DEVICE_BOUND ? "bind" : "unbind";
}

/* The events from seq on, as "add:a bind:a(drv) ...". */
static const char *events_since(uint64_t seq)
{
	static char buf[512];
	buf[0] = '\0';
	struct device_event ev;
	while (device_event_read(&seq, &ev)) {
		char one[96];
		snprintf(one, sizeof(one), "%s:%s%s%s%s ", ev_name(ev.type), ev.device, ev.driver[0] ? "(" : "",
			 ev.driver, ev.driver[0] ? ")" : "");
		strlcat(buf, one, sizeof(buf));
	}
	return buf;
}

TEST(model_probe_on_device_add)
{
	tbus_init();
	struct driver drv = { .name = "net", .bus = &tbus, .probe = t_probe, .remove = t_remove };
	struct device a, b;
	mkdevice(&a, "net0", NULL);
	mkdevice(&b, "disk0", NULL);
	uint64_t seq = events_end();
	CHECK_INT(driver_register(&drv), 0);
	CHECK_INT(device_register(&a), 0);
	CHECK_INT(device_register(&b), 0);
	CHECK_STR(trace, "probe:net0 ");
	CHECK(a.driver == &drv && b.driver == NULL);
	CHECK_STR(events_since(seq), "add:net0 bind:net0(net) add:disk0 ");
	CHECK_INT(device_register(&a), -EEXIST);
	struct device dup;
	mkdevice(&dup, "net0", NULL);
	CHECK_INT(device_register(&dup), -EEXIST);
	device_unregister(&a);
	device_unregister(&b);
	driver_unregister(&drv);
	CHECK_STR(trace, "probe:net0 remove:net0 ");
}

TEST(model_probe_on_driver_add)
{
	tbus_init();
	struct device a, b, c;
	mkdevice(&a, "blk0", NULL);
	mkdevice(&b, "blk1", NULL);
	mkdevice(&c, "tty0", NULL);
	CHECK_INT(device_register(&a), 0);
	CHECK_INT(device_register(&b), 0);
	CHECK_INT(device_register(&c), 0);
	uint64_t seq = events_end();
	/* The first driver refuses; the next one in line gets the devices. */
	struct driver picky = { .name = "blk", .bus = &tbus, .probe = t_refuse };
	struct driver blk = { .name = "blk", .bus = &tbus, .probe = t_probe, .remove = t_remove };
	struct driver blk2 = { .name = "blk0", .bus = &tbus, .probe = t_probe, .remove = t_remove };
	CHECK_INT(driver_register(&picky), 0);
	CHECK_INT(driver_register(&blk), -EEXIST); /* same name on the bus */
	blk.name = "bl";
	CHECK_INT(driver_register(&blk), 0);
	CHECK_STR(trace, "refuse:blk0 refuse:blk1 probe:blk0 probe:blk1 ");
	CHECK(a.driver == &blk && b.driver == &blk && c.driver == NULL);
	CHECK_INT(driver_register(&blk2), 0); /* everything it matches is taken */
	CHECK(a.driver == &blk);
	CHECK_STR(events_since(seq), "bind:blk0(bl) bind:blk1(bl) ");
	/* Unregistering a driver unbinds its devices, which stay registered. */
	seq = events_end();
	trace[0] = '\0';
	driver_unregister(&blk);
	CHECK_STR(trace, "remove:blk0 remove:blk1 ");
	CHECK(a.driver == NULL && a.registered);
	CHECK_STR(events_since(seq), "unbind:blk0(bl) unbind:blk1(bl) ");
	driver_unregister(&blk2);
	driver_unregister(&picky);
	device_unregister(&a);
	device_unregister(&b);
	device_unregister(&c);
}

static char walk_buf[256];

static int walk_fn(struct device *dev, int depth, void *ctx)
{
	(void)ctx;
	if (dev->bus != &tbus)
		return 0;
	char one[48];
	snprintf(one, sizeof(one), "%d%s ", depth, dev->name);
	strlcat(walk_buf, one, sizeof(walk_buf));
	return 0;
}

static int stop_at_c(struct device *dev, int depth, void *ctx)
{
	(void)depth;
	(*(int *)ctx)++;
	return strcmp(dev->name, "c") == 0 ? 42 : 0;
}

TEST(model_tree_and_unregister_order)
{
	tbus_init();
	/* a -> (b -> (c, d), e) */
	struct device a, b, c, d, e;
	mkdevice(&a, "a", NULL);
	mkdevice(&b, "b", &a);
	mkdevice(&c, "c", &b);
	mkdevice(&d, "d", &b);
	mkdevice(&e, "e", &a);
	struct driver drv = { .name = "", .bus = &tbus, .probe = t_probe, .remove = t_remove }; /* matches all */
	CHECK_INT(driver_register(&drv), 0);
	CHECK_INT(device_register(&c), -EINVAL); /* parent not registered yet */
	CHECK_INT(device_register(&a), 0);
	CHECK_INT(device_register(&b), 0);
	CHECK_INT(device_register(&c), 0);
	CHECK_INT(device_register(&d), 0);
	CHECK_INT(device_register(&e), 0);
	walk_buf[0] = '\0';
	CHECK_INT(device_for_each(walk_fn, NULL), 0);
	CHECK_STR(walk_buf, "0a 1b 2c 2d 1e ");
	int visited = 0;
	CHECK_INT(device_for_each(stop_at_c, &visited), 42);

	uint64_t seq = events_end();
	trace[0] = '\0';
	device_unregister(&a);
	/* Children first, deepest first; each device's driver removed before it goes. */
	CHECK_STR(trace, "remove:c remove:d remove:b remove:e remove:a ");
	CHECK_STR(events_since(seq), "unbind:c del:c unbind:d del:d unbind:b del:b unbind:e del:e unbind:a del:a ");
	CHECK(!a.registered && !c.registered && a.first_child == NULL);
	walk_buf[0] = '\0';
	device_for_each(walk_fn, NULL);
	CHECK_STR(walk_buf, "");
	device_unregister(&a); /* twice: nothing happens */
	driver_unregister(&drv);
}

TEST(model_errors)
{
	tbus_init();
	struct bus_type unknown = { .name = "nowhere" };
	struct device x;
	mkdevice(&x, "x", NULL);
	x.bus = &unknown;
	CHECK_INT(device_register(&x), -ENODEV);
	x.bus = NULL;
	CHECK_INT(device_register(&x), -EINVAL);
	CHECK_INT(device_register(NULL), -EINVAL);
	struct driver drv = { .name = "d", .bus = &unknown };
	CHECK_INT(driver_register(&drv), -ENODEV);
	CHECK_INT(bus_register(&tbus), -EEXIST);
	struct bus_type same_name = { .name = "tbus" };
	CHECK_INT(bus_register(&same_name), -EEXIST);
	driver_unregister(&drv); /* never registered: nothing happens */
}

TEST(model_event_ring_overflow)
{
	tbus_init();
	uint64_t start = events_end();
	struct device a;
	for (int i = 0; i < 200; i++) { /* 400 events: more than the ring keeps */
		mkdevice(&a, "loop", NULL);
		CHECK_INT(device_register(&a), 0);
		device_unregister(&a);
	}
	uint64_t seq = start;
	struct device_event ev;
	CHECK(device_event_read(&seq, &ev));
	CHECK(ev.seq > start); /* the oldest were dropped; the reader skipped ahead */
	CHECK_INT(ev.seq, start + 400 - 256);
	uint64_t prev = ev.seq;
	unsigned n = 1;
	while (device_event_read(&seq, &ev)) {
		CHECK_INT(ev.seq, prev + 1);
		prev = ev.seq;
		n++;
	}
	CHECK_INT(n, 256);
	CHECK_INT(seq, start + 400);
	CHECK(ev.type == DEVICE_REMOVED);
	CHECK_STR(ev.bus, "tbus");
}
