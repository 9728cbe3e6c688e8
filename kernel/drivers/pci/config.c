/*
 * PCI configuration access on the hardware: ECAM (memory-mapped, the full 4 KiB per function)
 * for every segment and bus range the ACPI MCFG lists, the legacy 0xCF8/0xCFC ports (256
 * bytes per function, segment 0 only) otherwise; and the platform's windows for BARs that
 * firmware left unassigned.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "console/console.h"
#include "drivers/pci/pci_core.h"
#include "init/init.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/vmm.h"

#define CFG_ADDRESS 0xcf8
#define CFG_DATA    0xcfc
#define CFG_ENABLE  0x80000000u

#define BUS_ECAM_SIZE (1u << 20) /* 32 devices x 8 functions x 4 KiB */

/* I/O ports handed out to unassigned I/O BARs (where SeaBIOS starts too). */
#define IO_ALLOC_START 0xc000
#define IO_ALLOC_END   0xffff
/* The 32-bit hole ends where the IOAPIC, HPET and LAPIC ranges begin. */
#define MEM32_END      0xfebfffffull
/* Room above RAM for 64-bit BARs; QEMU's default 64-bit PCI hole is 32 GiB. */
#define MEM64_SIZE     (32ull << 30)

struct ecam_region {
	paddr_t base; /* the address of bus 0 (PCI Firmware spec 3.0, 4.1.2), not of bus_start */
	uint16_t segment;
	uint8_t bus_start, bus_end;
	uint64_t mapped[4]; /* bit per bus: its 1 MiB is mapped */
};

static struct ecam_region ecam[ACPI_MAX_MCFG];
static size_t ecam_count;
static bool legacy_ok;
/* The port pair is one shared register window: address then data. Interrupt handlers (MSI
 * masking, hot-plug status) use it too, hence irqsave. */
static spinlock_t legacy_lock = SPINLOCK_INIT;

static uint32_t ones(unsigned width)
{
	return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

/* ---- legacy ports (configuration mechanism #1) ---- */

uint32_t pci_legacy_read(uint8_t bus, uint8_t devfn, unsigned off, unsigned width)
{
	if (!legacy_ok || off + width > PCI_LEGACY_CFG_SIZE)
		return ones(width);
	uint32_t addr = CFG_ENABLE | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (off & 0xfc);
	uint32_t v;
	uint64_t irq = spin_lock_irqsave(&legacy_lock);
	outl(CFG_ADDRESS, addr);
	if (width == 1)
		v = inb(CFG_DATA + (off & 3));
	else if (width == 2)
		v = inw(CFG_DATA + (off & 2));
	else
		v = inl(CFG_DATA);
	spin_unlock_irqrestore(&legacy_lock, irq);
	return v;
}

static void legacy_write(uint8_t bus, uint8_t devfn, unsigned off, unsigned width, uint32_t v)
{
	if (!legacy_ok || off + width > PCI_LEGACY_CFG_SIZE)
		return;
	uint32_t addr = CFG_ENABLE | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (off & 0xfc);
	uint64_t irq = spin_lock_irqsave(&legacy_lock);
	outl(CFG_ADDRESS, addr);
	if (width == 1)
		outb(CFG_DATA + (off & 3), (uint8_t)v);
	else if (width == 2)
		outw(CFG_DATA + (off & 2), (uint16_t)v);
	else
		outl(CFG_DATA, v);
	spin_unlock_irqrestore(&legacy_lock, irq);
}

bool pci_legacy_available(void)
{
	return legacy_ok;
}

/* Mechanism #1 is there when the address register keeps what was written to it. */
static bool legacy_probe(void)
{
	uint64_t irq = spin_lock_irqsave(&legacy_lock);
	uint32_t saved = inl(CFG_ADDRESS);
	outl(CFG_ADDRESS, CFG_ENABLE);
	bool ok = inl(CFG_ADDRESS) == CFG_ENABLE;
	outl(CFG_ADDRESS, saved);
	spin_unlock_irqrestore(&legacy_lock, irq);
	return ok;
}

/* ---- ECAM ---- */

static struct ecam_region *ecam_find(uint16_t seg, uint8_t bus)
{
	for (size_t i = 0; i < ecam_count; i++)
		if (ecam[i].segment == seg && bus >= ecam[i].bus_start && bus <= ecam[i].bus_end)
			return &ecam[i];
	return NULL;
}

bool pci_ecam_covers(uint16_t seg, uint8_t bus)
{
	return ecam_find(seg, bus) != NULL;
}

/*
 * The function's 4 KiB, mapping its bus's 1 MiB on first use. Enumeration touches every bus
 * it scans from thread context, so interrupt handlers (which must not map: that may allocate
 * page tables and shoot down TLBs) only ever find their bus mapped already.
 */
static volatile uint8_t *ecam_addr(struct ecam_region *r, uint8_t bus, uint8_t devfn)
{
	uint64_t bit = 1ull << (bus % 64);
	paddr_t pa = r->base + ((paddr_t)bus << 20);
	if (!(__atomic_load_n(&r->mapped[bus / 64], __ATOMIC_ACQUIRE) & bit)) {
		/* Two CPUs racing here both map the same range the same way: harmless. */
		if (!ioremap(pa, BUS_ECAM_SIZE, VM_CACHE_UC))
			return NULL;
		__atomic_fetch_or(&r->mapped[bus / 64], bit, __ATOMIC_RELEASE);
	}
	return (volatile uint8_t *)phys_to_virt(pa) + ((uint32_t)devfn << 12);
}

static uint32_t hw_read(uint16_t seg, uint8_t bus, uint8_t devfn, unsigned off, unsigned width)
{
	struct ecam_region *r = ecam_find(seg, bus);
	if (r) {
		volatile uint8_t *p = ecam_addr(r, bus, devfn);
		if (!p)
			return ones(width);
		if (width == 1)
			return p[off];
		if (width == 2)
			return *(volatile uint16_t *)(p + off);
		return *(volatile uint32_t *)(p + off);
	}
	if (seg == 0)
		return pci_legacy_read(bus, devfn, off, width);
	return ones(width);
}

static void hw_write(uint16_t seg, uint8_t bus, uint8_t devfn, unsigned off, unsigned width, uint32_t v)
{
	struct ecam_region *r = ecam_find(seg, bus);
	if (r) {
		volatile uint8_t *p = ecam_addr(r, bus, devfn);
		if (!p)
			return;
		if (width == 1)
			p[off] = (uint8_t)v;
		else if (width == 2)
			*(volatile uint16_t *)(p + off) = (uint16_t)v;
		else
			*(volatile uint32_t *)(p + off) = v;
		return;
	}
	if (seg == 0)
		legacy_write(bus, devfn, off, width, v);
}

static const struct pci_cfg_ops hw_ops = { hw_read, hw_write };

/* ---- the platform ---- */

static void add_busy(struct pci_platform *p, uint64_t base, uint64_t limit)
{
	if (p->busy_count < PCI_MAX_BUSY && base <= limit)
		p->busy[p->busy_count++] = (struct pci_window){ base, limit };
}

/*
 * Windows for unassigned BARs: I/O from 0xc000; memory in the hole between the top of RAM
 * below 4 GiB and the IOAPIC (0xfec00000), or for 64-bit BARs that do not fit there, 32 GiB
 * above the highest RAM. Every range of the firmware's memory map (RAM, reserved, ACPI) and
 * the ECAM areas count as taken; so do the BARs and bridge windows firmware assigned (the
 * allocator in enumerate.c checks those itself).
 */
static void platform_windows(struct pci_platform *p)
{
	uint64_t low_top = 1ull << 20, top = 4ull << 30;
	for (size_t i = 0; i < boot_info.mmap_count; i++) {
		const struct boot_mmap_entry *e = &boot_info.mmap[i];
		if (!e->length)
			continue;
		uint64_t end = e->base + e->length;
		add_busy(p, e->base, end - 1);
		if (e->type == BOOT_MEM_USABLE && end <= (4ull << 30) && end > low_top)
			low_top = end;
		if (end > top)
			top = end;
	}
	for (size_t i = 0; i < ecam_count; i++)
		add_busy(p, ecam[i].base + ((uint64_t)ecam[i].bus_start << 20),
			 ecam[i].base + (((uint64_t)ecam[i].bus_end + 1) << 20) - 1);
	p->io = (struct pci_window){ IO_ALLOC_START, IO_ALLOC_END };
	p->mem32 = (struct pci_window){ (low_top + 0xfffff) & ~0xfffffull, MEM32_END };
	uint64_t base64 = (top + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	p->mem64 = (struct pci_window){ base64, base64 + MEM64_SIZE - 1 };
}

/* A bogus MCFG would make every bus look empty (or worse): check it against the ports. */
static bool ecam_agrees(struct ecam_region *r)
{
	if (!legacy_ok || r->segment != 0)
		return true;
	uint8_t bus = r->bus_start;
	uint32_t by_port = pci_legacy_read(bus, 0, 0, 4);
	if (by_port == 0xffffffff)
		return true;
	return hw_read(0, bus, 0, 0, 4) == by_port;
}

int pci_platform_init(struct pci_platform *p)
{
	memset(p, 0, sizeof(*p));
	legacy_ok = legacy_probe();
	ecam_count = 0;
	if (acpi.has_mcfg) {
		for (size_t i = 0; i < acpi.mcfg.count && ecam_count < ACPI_MAX_MCFG; i++) {
			const struct acpi_mcfg_segment *s = &acpi.mcfg.segments[i];
			ecam[ecam_count] = (struct ecam_region){
				.base = s->base, .segment = s->segment,
				.bus_start = s->bus_start, .bus_end = s->bus_end,
			};
			ecam_count++;
			if (!ecam_agrees(&ecam[ecam_count - 1])) {
				pr_warn("pci: ECAM at 0x%llx disagrees with the 0xcf8 ports on bus %u; not used\n",
					(unsigned long long)s->base, s->bus_start);
				ecam_count--;
				continue;
			}
			pr_info("pci: ECAM for segment %u buses %u-%u at 0x%llx (4 KiB per function, mapped per bus on first use)\n",
				s->segment, s->bus_start, s->bus_end, (unsigned long long)s->base);
		}
	}
	if (!ecam_count && !legacy_ok) {
		pr_info("pci: no configuration access (no usable MCFG, no 0xcf8/0xcfc ports)\n");
		return -ENODEV;
	}
	if (!ecam_count)
		pr_info("pci: configuration through ports 0xcf8/0xcfc (256 bytes per function)%s\n",
			acpi.has_mcfg ? "" : ", no MCFG");
	pci_cfg = &hw_ops;
	p->method = ecam_count ? "ECAM" : "ports 0xcf8/0xcfc";

	/* One root per segment, at the lowest bus the MCFG lists for it. */
	for (size_t i = 0; i < ecam_count; i++) {
		struct pci_root *root = NULL;
		for (size_t j = 0; j < p->root_count; j++)
			if (p->roots[j].segment == ecam[i].segment)
				root = &p->roots[j];
		if (!root && p->root_count < PCI_MAX_ROOTS) {
			root = &p->roots[p->root_count++];
			*root = (struct pci_root){ ecam[i].segment, ecam[i].bus_start, ecam[i].bus_end };
		} else if (root && ecam[i].bus_start < root->bus) {
			root->bus = ecam[i].bus_start;
			root->bus_end = ecam[i].bus_end;
		}
	}
	/* Segment 0 is reachable through the ports even where the MCFG does not cover bus 0. */
	bool have_seg0 = false;
	for (size_t j = 0; j < p->root_count; j++)
		have_seg0 |= p->roots[j].segment == 0;
	if (!have_seg0 && legacy_ok && p->root_count < PCI_MAX_ROOTS)
		p->roots[p->root_count++] = (struct pci_root){ 0, 0, 255 };

	platform_windows(p);
	return 0;
}
