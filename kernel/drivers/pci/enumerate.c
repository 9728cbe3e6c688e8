/*
 * PCI enumeration: a depth-first walk from each root bus through PCI-to-PCI bridges (numbering
 * the buses firmware left unnumbered), BAR sizing, addresses for what firmware left unassigned,
 * capability lists, then one driver-model device per function and a boot listing. Pure over
 * pci_cfg (config.c on the hardware, a table-driven fake in tests/unit/test_pci.c).
 *
 * The device list and the bridge windows change only at boot and from hot-plug's deferred
 * work, one at a time (no lock yet; see drivers/base/device.c for the same rule).
 */
#include "console/console.h"
#include "drivers/pci/pci_core.h"
#include "drivers/pci/pci_internal.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/slab.h"

struct pci_dev *pci_devices; /* every function, each parent before its children */

static struct pci_platform platform; /* kept for hot-plug rescans */
static unsigned assigned_bars, assigned_windows;

enum res_type { RES_IO, RES_MEM, RES_PREF, RES_COUNT };
static const char *const res_names[RES_COUNT] = { "io", "mem", "prefetchable mem" };
/* Bridge windows are 4 KiB (I/O) and 1 MiB (memory) granular (PCI-to-PCI Bridge 1.2, 3.2.5). */
static const uint64_t res_gran[RES_COUNT] = { 0x1000, 0x100000, 0x100000 };

#define NO_WINDOW ((struct pci_window){ 1, 0 })

static bool win_open(const struct pci_window *w)
{
	return w->base <= w->limit;
}

/* INTx routing belongs to the interrupt side (msi.c); without it the GSI stays unknown. */
__attribute__((weak)) int pci_intx_route(struct pci_dev *d)
{
	(void)d;
	return -1;
}

static struct pci_node *find_node(uint16_t seg, uint8_t bus, uint8_t devfn)
{
	for (struct pci_dev *d = pci_devices; d; d = d->next)
		if (d->segment == seg && d->bus == bus && PCI_DEVFN(d->slot, d->func) == devfn)
			return pci_node_of(d);
	return NULL;
}

static void list_append(struct pci_node *n)
{
	struct pci_dev **p = &pci_devices;
	while (*p)
		p = &(*p)->next;
	*p = &n->pdev;
}

static bool is_bridge(const struct pci_dev *d)
{
	return d->header_type == 1;
}

/* A bridge whose secondary side leads somewhere (numbered below its own bus). */
static bool bridge_open(const struct pci_dev *d)
{
	return is_bridge(d) && d->secondary_bus > d->bus && d->subordinate_bus >= d->secondary_bus;
}

static struct pci_window *node_window(struct pci_node *n, enum res_type t)
{
	return t == RES_IO ? &n->io_win : t == RES_MEM ? &n->mem_win : &n->pref_win;
}

static enum res_type bar_type(const struct pci_bar *b)
{
	return b->io ? RES_IO : b->prefetch ? RES_PREF : RES_MEM;
}

static bool bar_unassigned(const struct pci_bar *b)
{
	return b->size && !b->base;
}

/* ---- reading a function ---- */

/*
 * Sizes each BAR: write all ones, read back which address bits stick, restore (PCI 3.0,
 * 6.2.5.1). Decoding is off meanwhile so that the device never answers at the probe
 * pattern, except on host and ISA/LPC bridges: they carry the legacy devices (the console's
 * serial port among them) and have no BARs on the machines seen so far.
 */
static void size_bars(struct pci_dev *d, unsigned nbars)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	bool keep = d->class_code == 0x06 && (d->subclass == 0x00 || d->subclass == 0x01);
	bool off = !keep && (cmd & (PCI_CMD_IO | PCI_CMD_MEM));
	if (off)
		pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));

	for (unsigned i = 0; i < nbars; i++) {
		unsigned reg = PCI_BAR0 + 4 * i;
		uint32_t orig = pci_read32(d, reg);
		pci_write32(d, reg, 0xffffffff);
		uint32_t got = pci_read32(d, reg);
		pci_write32(d, reg, orig);
		struct pci_bar *b = &d->bars[i];

		if (orig & PCI_BAR_IO) {
			uint32_t mask = got & ~3u;
			if (!mask)
				continue;
			if (!(mask & 0xffff0000)) /* a 16-bit decoder: the upper half reads 0 */
				mask |= 0xffff0000;
			b->io = true;
			b->size = (uint32_t)(~mask + 1);
			b->base = orig & ~3u;
			continue;
		}
		bool is64 = (orig & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64 && i + 1 < nbars;
		uint64_t mask = got & ~0xfu, base = orig & ~0xfu;
		if (is64) {
			unsigned hi = reg + 4;
			uint32_t orig_hi = pci_read32(d, hi);
			pci_write32(d, hi, 0xffffffff);
			uint32_t got_hi = pci_read32(d, hi);
			pci_write32(d, hi, orig_hi);
			mask |= (uint64_t)got_hi << 32;
			base |= (uint64_t)orig_hi << 32;
		} else if (mask) {
			mask |= 0xffffffff00000000ull;
		}
		if (mask) {
			b->size = ~mask + 1;
			b->base = base;
			b->mem64 = is64;
			b->prefetch = orig & PCI_BAR_PREFETCH;
		}
		if (is64)
			i++; /* the upper half; its slot stays empty */
	}
	if (off)
		pci_write16(d, PCI_COMMAND, cmd);
}

/* A window register pair at 0 means firmware never assigned it: nothing valid lives at 0. */
static void read_windows(struct pci_node *n)
{
	struct pci_dev *d = &n->pdev;
	uint8_t iob = pci_read8(d, PCI_IO_BASE), iol = pci_read8(d, PCI_IO_LIMIT);
	n->io32 = (iob & 0xf) == 1;
	uint64_t base = (uint64_t)(iob & 0xf0) << 8, limit = (uint64_t)(iol & 0xf0) << 8 | 0xfff;
	if (n->io32) {
		base |= (uint64_t)pci_read16(d, PCI_IO_BASE_HI) << 16;
		limit |= (uint64_t)pci_read16(d, PCI_IO_LIMIT_HI) << 16;
	}
	n->io_win = base && base <= limit ? (struct pci_window){ base, limit } : NO_WINDOW;

	uint16_t mb = pci_read16(d, PCI_MEM_BASE), ml = pci_read16(d, PCI_MEM_LIMIT);
	base = (uint64_t)(mb & 0xfff0) << 16;
	limit = (uint64_t)(ml & 0xfff0) << 16 | 0xfffff;
	n->mem_win = base && base <= limit ? (struct pci_window){ base, limit } : NO_WINDOW;

	uint16_t pb = pci_read16(d, PCI_PREF_BASE), pl = pci_read16(d, PCI_PREF_LIMIT);
	n->pref64 = (pb & 0xf) == 1;
	base = (uint64_t)(pb & 0xfff0) << 16;
	limit = (uint64_t)(pl & 0xfff0) << 16 | 0xfffff;
	if (n->pref64) {
		base |= (uint64_t)pci_read32(d, PCI_PREF_BASE_HI) << 32;
		limit |= (uint64_t)pci_read32(d, PCI_PREF_LIMIT_HI) << 32;
	}
	n->pref_win = base && base <= limit ? (struct pci_window){ base, limit } : NO_WINDOW;
}

static struct pci_node *probe_function(uint16_t seg, uint8_t bus, uint8_t devfn, struct pci_node *up)
{
	struct pci_node *n = kzalloc(sizeof(*n));
	if (!n)
		return NULL;
	struct pci_dev *d = &n->pdev;
	d->segment = seg;
	d->bus = bus;
	d->slot = devfn >> 3;
	d->func = devfn & 7;
	snprintf(d->dev.name, sizeof(d->dev.name), "%04x:%02x:%02x.%u", seg, bus, d->slot, d->func);
	d->dev.bus = &pci_bus_type;
	d->dev.parent = up ? &up->pdev.dev : NULL;
	d->upstream = up ? &up->pdev : NULL;

	d->vendor = pci_read16(d, PCI_VENDOR_ID);
	d->device = pci_read16(d, PCI_DEVICE_ID);
	d->revision = pci_read8(d, PCI_REVISION);
	d->prog_if = pci_read8(d, PCI_PROG_IF);
	d->subclass = pci_read8(d, PCI_SUBCLASS);
	d->class_code = pci_read8(d, PCI_CLASS);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
	if (d->irq_pin > 4)
		d->irq_pin = 0;
	d->gsi = -1;

	if (d->header_type == 0) {
		size_bars(d, 6);
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_device = pci_read16(d, PCI_SUBSYS_ID);
	} else if (d->header_type == 1) {
		size_bars(d, 2);
		d->secondary_bus = pci_read8(d, PCI_SECONDARY_BUS);
		d->subordinate_bus = pci_read8(d, PCI_SUBORDINATE_BUS);
		read_windows(n);
	} else if (d->header_type == 2) { /* CardBus: its socket registers; nothing behind is scanned */
		size_bars(d, 1);
	}

	/* One walk covers the whole list and reports a loop; the others stop quietly there. */
	d->msi_cap = pci_cap_walk(d, PCI_CAP_ID_MSI, true);
	d->msix_cap = pci_cap_walk(d, PCI_CAP_ID_MSIX, false);
	d->pcie_cap = pci_cap_walk(d, PCI_CAP_ID_EXP, false);
	if (d->pcie_cap)
		pci_ext_cap_walk(d, 0, true);
	return n;
}

/* ---- the walk ---- */

static void set_bus_numbers(struct pci_node *n, uint8_t primary, uint8_t secondary, uint8_t subordinate)
{
	struct pci_dev *d = &n->pdev;
	pci_write8(d, PCI_PRIMARY_BUS, primary);
	pci_write8(d, PCI_SECONDARY_BUS, secondary);
	pci_write8(d, PCI_SUBORDINATE_BUS, subordinate);
	d->secondary_bus = secondary;
	d->subordinate_bus = subordinate;
}

/*
 * Finds the functions on bus not known yet, then goes down their bridges: first those firmware
 * numbered (so that their ranges are known), then the others, each given the next free bus
 * number and, while its own subtree is scanned, every number up to bus_end. Returns the
 * highest bus number in use below bus.
 */
static unsigned scan_bus(uint16_t seg, uint8_t bus, uint8_t bus_end, struct pci_node *up)
{
	for (unsigned slot = 0; slot < 32; slot++) {
		uint8_t devfn0 = PCI_DEVFN(slot, 0);
		uint16_t v0 = (uint16_t)pci_cfg->read(seg, bus, devfn0, PCI_VENDOR_ID, 2);
		if (v0 == 0xffff || v0 == 0)
			continue;
		bool multi = pci_cfg->read(seg, bus, devfn0, PCI_HEADER_TYPE, 1) & PCI_HEADER_MULTI;
		for (unsigned fn = 0; fn < (multi ? 8u : 1u); fn++) {
			uint8_t devfn = PCI_DEVFN(slot, fn);
			uint16_t v = (uint16_t)pci_cfg->read(seg, bus, devfn, PCI_VENDOR_ID, 2);
			if (v == 0xffff || v == 0 || find_node(seg, bus, devfn))
				continue;
			struct pci_node *n = probe_function(seg, bus, devfn, up);
			if (!n) {
				pr_err("pci: out of memory at %04x:%02x:%02x.%u\n", seg, bus, slot, fn);
				return bus;
			}
			n->fresh = true;
			list_append(n);
		}
	}

	unsigned max = bus;
	for (int pass = 0; pass < 2; pass++) {
		for (struct pci_dev *d = pci_devices; d; d = d->next) {
			if (d->segment != seg || d->bus != bus || !is_bridge(d))
				continue;
			struct pci_node *n = pci_node_of(d);
			bool ok = bridge_open(d) && d->subordinate_bus <= bus_end;
			if (pass == 0 && ok) {
				if (n->fresh)
					scan_bus(seg, d->secondary_bus, d->subordinate_bus, n);
				if (d->subordinate_bus > max)
					max = d->subordinate_bus;
			} else if (pass == 1 && !ok) {
				if (max >= bus_end) {
					pr_warn("pci: %s: no bus number left for the bridge (range ends at %02x)\n",
						d->dev.name, bus_end);
					continue;
				}
				n->numbered = true;
				set_bus_numbers(n, bus, (uint8_t)(max + 1), bus_end);
				max = scan_bus(seg, d->secondary_bus, bus_end, n);
				set_bus_numbers(n, bus, d->secondary_bus, (uint8_t)max);
			}
		}
	}
	return max;
}

/* ---- address assignment ---- */

static bool is_above(const struct pci_node *bridge, const struct pci_node *n)
{
	for (const struct pci_node *p = n; p; p = p->pdev.upstream ? pci_node_of(p->pdev.upstream) : NULL)
		if (p == bridge)
			return true;
	return false;
}

static bool overlaps(uint64_t lo, uint64_t hi, const struct pci_window *w)
{
	return win_open(w) && lo <= w->limit && w->base <= hi;
}

/*
 * Is [lo, hi] taken? By the platform (RAM, firmware, ECAM), by any assigned BAR, or by a
 * bridge window other than those of owner (the bridge whose bus is being served) and its
 * ancestors. Returns the end of the range in the way.
 */
static bool find_clash(uint64_t lo, uint64_t hi, bool io, const struct pci_node *owner, uint64_t *end)
{
	if (!io)
		for (size_t i = 0; i < platform.busy_count; i++)
			if (overlaps(lo, hi, &platform.busy[i])) {
				*end = platform.busy[i].limit;
				return true;
			}
	for (struct pci_dev *d = pci_devices; d; d = d->next) {
		struct pci_node *n = pci_node_of(d);
		for (int i = 0; i < 6; i++) {
			struct pci_bar *b = &d->bars[i];
			if (!b->size || !b->base || b->io != io)
				continue;
			struct pci_window w = { b->base, b->base + b->size - 1 };
			if (overlaps(lo, hi, &w)) {
				*end = w.limit;
				return true;
			}
		}
		if (!is_bridge(d) || (owner && is_above(n, owner)))
			continue;
		for (int t = 0; t < RES_COUNT; t++) {
			if ((t == RES_IO) != io)
				continue;
			struct pci_window *w = node_window(n, (enum res_type)t);
			if (overlaps(lo, hi, w)) {
				*end = w->limit;
				return true;
			}
		}
	}
	return false;
}

/* First fit: the lowest aligned free range in region; 32-bit BARs stay below 4 GiB. */
static bool alloc_range(const struct pci_window *region, uint64_t size, uint64_t align, bool io,
			bool below4g, const struct pci_node *owner, uint64_t *out)
{
	if (!win_open(region) || !size)
		return false;
	uint64_t limit = region->limit;
	if (below4g && limit > 0xffffffffull)
		limit = 0xffffffffull;
	uint64_t a = ALIGN_UP(region->base, align);
	while (a >= region->base && a <= limit && size - 1 <= limit - a) {
		uint64_t end;
		if (!find_clash(a, a + size - 1, io, owner, &end)) {
			*out = a;
			return true;
		}
		if (end >= limit)
			return false;
		uint64_t next = ALIGN_UP(end + 1, align);
		if (next <= a)
			return false;
		a = next;
	}
	return false;
}

static void set_bar(struct pci_dev *d, int i, uint64_t addr)
{
	struct pci_bar *b = &d->bars[i];
	unsigned reg = PCI_BAR0 + 4 * i;
	uint32_t type = pci_read32(d, reg) & (b->io ? 0x3 : 0xf);
	pci_write32(d, reg, (uint32_t)addr | type);
	if (b->mem64)
		pci_write32(d, reg + 4, (uint32_t)(addr >> 32));
	b->base = addr;
	assigned_bars++;
}

static void set_window(struct pci_node *n, enum res_type t, uint64_t base, uint64_t limit)
{
	struct pci_dev *d = &n->pdev;
	if (t == RES_IO) {
		pci_write8(d, PCI_IO_BASE, (uint8_t)((base >> 8) & 0xf0));
		pci_write8(d, PCI_IO_LIMIT, (uint8_t)((limit >> 8) & 0xf0));
		if (n->io32) {
			pci_write16(d, PCI_IO_BASE_HI, (uint16_t)(base >> 16));
			pci_write16(d, PCI_IO_LIMIT_HI, (uint16_t)(limit >> 16));
		}
	} else if (t == RES_MEM) {
		pci_write16(d, PCI_MEM_BASE, (uint16_t)((base >> 16) & 0xfff0));
		pci_write16(d, PCI_MEM_LIMIT, (uint16_t)((limit >> 16) & 0xfff0));
	} else {
		pci_write16(d, PCI_PREF_BASE, (uint16_t)((base >> 16) & 0xfff0));
		pci_write16(d, PCI_PREF_LIMIT, (uint16_t)((limit >> 16) & 0xfff0));
		if (n->pref64) {
			pci_write32(d, PCI_PREF_BASE_HI, (uint32_t)(base >> 32));
			pci_write32(d, PCI_PREF_LIMIT_HI, (uint32_t)(limit >> 32));
		}
	}
	*node_window(n, t) = base <= limit ? (struct pci_window){ base, limit } : NO_WINDOW;
}

/* What the subtree behind bridge still needs of type t: total size and largest alignment. */
static void subtree_need(struct pci_node *bridge, enum res_type t, uint64_t *size, uint64_t *align)
{
	uint64_t sum = 0, al = 0;
	struct pci_dev *br = &bridge->pdev;
	for (struct pci_dev *d = pci_devices; d; d = d->next) {
		if (d->segment != br->segment || d->bus != br->secondary_bus || d->upstream != br)
			continue;
		for (int i = 0; i < 6; i++)
			if (bar_unassigned(&d->bars[i]) && bar_type(&d->bars[i]) == t) {
				sum += d->bars[i].size;
				al = MAX(al, d->bars[i].size);
			}
		struct pci_node *n = pci_node_of(d);
		if (bridge_open(d) && !win_open(node_window(n, t))) {
			uint64_t s, a;
			subtree_need(n, t, &s, &a);
			if (s) {
				a = MAX(a, res_gran[t]);
				sum += ALIGN_UP(s, a);
				al = MAX(al, a);
			}
		}
	}
	*size = sum;
	*align = al;
}

struct request {
	struct pci_node *node;
	int bar; /* BAR index, or -1: the bridge's window of type */
	enum res_type type;
	uint64_t size, align;
};

/* Biggest alignment first, then biggest size: with power-of-two sizes that packs tightly. */
static void sort_requests(struct request *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct request x = r[i];
		size_t j = i;
		while (j > 0 && (r[j - 1].align < x.align || (r[j - 1].align == x.align && r[j - 1].size < x.size))) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
}

static size_t gather_requests(struct pci_node *up, uint16_t seg, uint8_t bus, struct request *r)
{
	size_t n = 0;
	for (struct pci_dev *d = pci_devices; d; d = d->next) {
		if (d->segment != seg || d->bus != bus || d->upstream != (up ? &up->pdev : NULL))
			continue;
		struct pci_node *node = pci_node_of(d);
		for (int i = 0; i < 6; i++)
			if (bar_unassigned(&d->bars[i])) {
				if (r)
					r[n] = (struct request){ node, i, bar_type(&d->bars[i]), d->bars[i].size,
								 d->bars[i].size };
				n++;
			}
		if (!bridge_open(d))
			continue;
		for (int t = 0; t < RES_COUNT; t++) {
			if (win_open(node_window(node, (enum res_type)t)))
				continue;
			uint64_t s, a;
			subtree_need(node, (enum res_type)t, &s, &a);
			if (!s)
				continue;
			a = MAX(a, res_gran[t]);
			if (r)
				r[n] = (struct request){ node, -1, (enum res_type)t, ALIGN_UP(s, a), a };
			n++;
		}
	}
	return n;
}

static bool place(const struct request *r, struct pci_node *up, const struct pci_window win[RES_COUNT],
		  uint64_t *addr)
{
	bool io = r->type == RES_IO;
	/* Bridge memory windows are 32-bit; so are BARs without the 64-bit type. */
	bool below4g = r->bar < 0 ? r->type == RES_MEM : !r->node->pdev.bars[r->bar].mem64;
	if (alloc_range(&win[r->type], r->size, r->align, io, below4g, up, addr))
		return true;
	if (r->type == RES_PREF && r->bar >= 0 && alloc_range(&win[RES_MEM], r->size, r->align, io, below4g, up, addr))
		return true;
	/* At the root, 64-bit BARs that miss the hole go above RAM. */
	if (!up && r->bar >= 0 && !io && !below4g)
		return alloc_range(&platform.mem64, r->size, r->align, false, false, NULL, addr);
	return false;
}

/*
 * Gives every unassigned BAR on (seg, bus) an address from the bus's windows (win; for a
 * bridge's secondary bus, the bridge's own windows), opens windows on bridges whose subtree
 * needs them, then does the same below each bridge.
 */
static void assign_bus(struct pci_node *up, uint16_t seg, uint8_t bus, const struct pci_window win[RES_COUNT])
{
	size_t count = gather_requests(up, seg, bus, NULL);
	struct request *reqs = count ? kmalloc(count * sizeof(*reqs)) : NULL;
	if (count && !reqs) {
		pr_err("pci: out of memory assigning bus %04x:%02x\n", seg, bus);
		return;
	}
	gather_requests(up, seg, bus, reqs);
	sort_requests(reqs, count);
	for (size_t i = 0; i < count; i++) {
		struct request *r = &reqs[i];
		struct pci_dev *d = &r->node->pdev;
		uint64_t addr;
		char sz[24];
		pci_format_size(sz, sizeof(sz), r->size);
		if (!place(r, up, win, &addr)) {
			if (r->bar >= 0)
				pr_warn("pci: %s: no room for BAR%d (%s %s); left unassigned\n", d->dev.name, r->bar,
					res_names[r->type], sz);
			else
				pr_warn("pci: %s: no room for a %s %s window; devices behind stay unassigned\n",
					d->dev.name, sz, res_names[r->type]);
			continue;
		}
		if (r->bar >= 0) {
			set_bar(d, r->bar, addr);
		} else {
			set_window(r->node, r->type, addr, addr + r->size - 1);
			assigned_windows++;
			uint16_t cmd = pci_read16(d, PCI_COMMAND);
			cmd |= PCI_CMD_MASTER | (r->type == RES_IO ? PCI_CMD_IO : PCI_CMD_MEM);
			pci_write16(d, PCI_COMMAND, cmd);
		}
	}
	kfree(reqs);

	for (struct pci_dev *d = pci_devices; d; d = d->next) {
		if (d->segment != seg || d->bus != bus || d->upstream != (up ? &up->pdev : NULL) || !bridge_open(d))
			continue;
		struct pci_node *n = pci_node_of(d);
		if (n->numbered) /* ours: close what stayed unused, so nothing is forwarded by accident */
			for (int t = 0; t < RES_COUNT; t++)
				if (!win_open(node_window(n, (enum res_type)t)))
					set_window(n, (enum res_type)t, res_gran[t], 0);
		struct pci_window below[RES_COUNT] = { n->io_win, n->mem_win, n->pref_win };
		assign_bus(n, seg, d->secondary_bus, below);
	}
}

static void root_windows(struct pci_window w[RES_COUNT])
{
	w[RES_IO] = platform.io;
	w[RES_MEM] = platform.mem32;
	w[RES_PREF] = platform.mem32;
}

/* ---- listing and registration ---- */

static void appendf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void log_device(struct pci_node *n)
{
	struct pci_dev *d = &n->pdev;
	char line[480], sz[24];
	line[0] = '\0';
	appendf(line, sizeof(line), "pci: %s [%04x:%04x] class %02x.%02x.%02x %s", d->dev.name, d->vendor,
		d->device, d->class_code, d->subclass, d->prog_if, pci_class_name(d->class_code, d->subclass));
	if (is_bridge(d)) {
		appendf(line, sizeof(line), ", buses %02x-%02x", d->secondary_bus, d->subordinate_bus);
		for (int t = 0; t < RES_COUNT; t++) {
			struct pci_window *w = node_window(n, (enum res_type)t);
			if (win_open(w))
				appendf(line, sizeof(line), ", %s window 0x%llx-0x%llx", t == RES_PREF ? "pref" : res_names[t],
					(unsigned long long)w->base, (unsigned long long)w->limit);
		}
	}
	for (int i = 0; i < 6; i++) {
		struct pci_bar *b = &d->bars[i];
		if (!b->size)
			continue;
		pci_format_size(sz, sizeof(sz), b->size);
		if (b->base)
			appendf(line, sizeof(line), ", BAR%d %s 0x%llx (%s%s%s)", i, b->io ? "io" : "mem",
				(unsigned long long)b->base, sz, b->mem64 ? ", 64-bit" : "",
				b->prefetch ? ", prefetch" : "");
		else
			appendf(line, sizeof(line), ", BAR%d %s unassigned (%s)", i, b->io ? "io" : "mem", sz);
	}
	if (d->irq_pin && d->gsi >= 0)
		appendf(line, sizeof(line), ", INT%c GSI %d", 'A' + d->irq_pin - 1, d->gsi);
	else if (d->irq_pin)
		appendf(line, sizeof(line), ", INT%c", 'A' + d->irq_pin - 1);
	if (d->dev.driver)
		appendf(line, sizeof(line), ", driver %s", d->dev.driver->name);
	pr_info("%s\n", line);
	if (d->msi_cap || d->msix_cap || d->pcie_cap)
		pr_debug("pci: %s: capabilities: MSI 0x%02x, MSI-X 0x%02x, PCIe 0x%02x\n", d->dev.name, d->msi_cap,
			 d->msix_cap, d->pcie_cap);
}

/* Registers and lists the fresh devices from bus down, parents before children. */
static size_t register_tree(uint16_t seg, uint8_t bus, struct pci_dev *up)
{
	size_t count = 0;
	for (unsigned devfn = 0; devfn < 256; devfn++) {
		struct pci_node *n = find_node(seg, bus, (uint8_t)devfn);
		if (!n || n->pdev.upstream != up)
			continue;
		struct pci_dev *d = &n->pdev;
		if (n->fresh) {
			n->fresh = false;
			if (d->irq_pin)
				d->gsi = pci_intx_route(d);
			int err = device_register(&d->dev);
			if (err)
				pr_warn("pci: %s: not registered (%d)\n", d->dev.name, err);
			log_device(n);
			count++;
		}
		if (bridge_open(d))
			count += register_tree(seg, d->secondary_bus, d);
	}
	return count;
}

size_t pci_enumerate(const struct pci_platform *plat)
{
	platform = *plat;
	pci_bus_init();
	unsigned bars0 = assigned_bars, windows0 = assigned_windows;
	for (size_t i = 0; i < platform.root_count; i++)
		scan_bus(platform.roots[i].segment, platform.roots[i].bus, platform.roots[i].bus_end, NULL);
	struct pci_window w[RES_COUNT];
	root_windows(w);
	for (size_t i = 0; i < platform.root_count; i++)
		assign_bus(NULL, platform.roots[i].segment, platform.roots[i].bus, w);
	size_t count = 0, buses = platform.root_count;
	for (size_t i = 0; i < platform.root_count; i++)
		count += register_tree(platform.roots[i].segment, platform.roots[i].bus, NULL);
	for (struct pci_dev *d = pci_devices; d; d = d->next)
		buses += bridge_open(d);
	pr_info("pci: %zu functions on %zu bus%s, config via %s; assigned %u BARs and %u bridge windows firmware had left unassigned\n",
		count, buses, buses == 1 ? "" : "es", platform.method ? platform.method : "?",
		assigned_bars - bars0, assigned_windows - windows0);
	return count;
}

void pci_init(void)
{
	static struct pci_platform plat; /* big (the busy list): not on the stack */
	if (pci_platform_init(&plat) < 0)
		return;
	pci_enumerate(&plat);
	/* Drivers that live in drivers/pci/ itself, once every device is known. */
	pcie_hotplug_init();
	pci_test_drivers_init();
}

/* ---- hot-plug ---- */

int pci_scan_bus_under(struct pci_dev *bridge)
{
	if (!bridge || !pci_cfg || !is_bridge(bridge))
		return -EINVAL;
	if (!bridge_open(bridge))
		return -ENODEV;
	struct pci_node *b = pci_node_of(bridge);
	scan_bus(bridge->segment, bridge->secondary_bus, bridge->subordinate_bus, b);

	/* From the bridge's own bus: that also opens windows the bridge lacks. */
	struct pci_node *up = bridge->upstream ? pci_node_of(bridge->upstream) : NULL;
	struct pci_window w[RES_COUNT];
	if (up) {
		w[RES_IO] = up->io_win;
		w[RES_MEM] = up->mem_win;
		w[RES_PREF] = up->pref_win;
	} else {
		root_windows(w);
	}
	assign_bus(up, bridge->segment, bridge->bus, w);
	return (int)register_tree(bridge->segment, bridge->secondary_bus, bridge);
}

void pci_remove_dev(struct pci_dev *pdev)
{
	if (!pdev)
		return;
	device_unregister(&pdev->dev); /* children first, each driver's remove */
	struct pci_node *top = pci_node_of(pdev);
	/* Decide everything first: freeing a bridge would break its children's upstream chain. */
	size_t n = 0;
	for (struct pci_dev *d = pci_devices; d; d = d->next)
		n += is_above(top, pci_node_of(d));
	if (!n) /* not (or no longer) on the list */
		return;
	struct pci_node **doomed = kmalloc(n * sizeof(*doomed));
	if (!doomed) {
		pr_err("pci: %s: out of memory while removing it\n", pdev->dev.name);
		return;
	}
	size_t k = 0;
	for (struct pci_dev **p = &pci_devices; *p;) {
		struct pci_node *node = pci_node_of(*p);
		if (is_above(top, node)) {
			doomed[k++] = node;
			*p = (*p)->next;
		} else {
			p = &(*p)->next;
		}
	}
	for (size_t i = 0; i < k; i++) {
		pr_info("pci: %s [%04x:%04x] removed\n", doomed[i]->pdev.dev.name, doomed[i]->pdev.vendor,
			doomed[i]->pdev.device);
		kfree(doomed[i]);
	}
	kfree(doomed);
}

void pci_remove_all(void)
{
	while (pci_devices)
		pci_remove_dev(pci_devices);
}
