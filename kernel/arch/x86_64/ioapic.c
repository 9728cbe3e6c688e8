/* IOAPIC driver (82093AA datasheet): indirect registers through IOREGSEL/IOWIN. */
#include "arch/x86_64/ioapic.h"

#include "acpi/acpi.h"
#include "console/console.h"
#include "irq/irq.h"
#include "lib/errno.h"
#include "mm/vmm.h"

#define IOREGSEL 0x00
#define IOWIN    0x10
#define REG_ID   0x00
#define REG_VER  0x01
#define REG_REDTBL(n) (0x10 + 2 * (n))

#define RTE_MASKED     (1ull << 16)
#define RTE_LEVEL      (1ull << 15)
#define RTE_ACTIVE_LOW (1ull << 13)

struct ioapic {
	volatile uint32_t *mmio;
	uint32_t gsi_base;
	unsigned pins;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned ioapic_count;

static uint32_t rd(struct ioapic *io, uint8_t reg)
{
	io->mmio[IOREGSEL / 4] = reg;
	return io->mmio[IOWIN / 4];
}

static void wr(struct ioapic *io, uint8_t reg, uint32_t v)
{
	io->mmio[IOREGSEL / 4] = reg;
	io->mmio[IOWIN / 4] = v;
}

static struct ioapic *find(unsigned gsi, unsigned *pin)
{
	for (unsigned i = 0; i < ioapic_count; i++) {
		if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].pins) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	}
	return NULL;
}

static void write_rte(struct ioapic *io, unsigned pin, uint64_t rte)
{
	/* High half (destination) first, so the entry is never live with a stale target. */
	wr(io, REG_REDTBL(pin) + 1, (uint32_t)(rte >> 32));
	wr(io, REG_REDTBL(pin), (uint32_t)rte);
}

unsigned ioapic_init(void)
{
	unsigned gsis = 0;
	for (size_t i = 0; i < acpi.madt.ioapic_count && ioapic_count < ACPI_MAX_IOAPICS; i++) {
		struct ioapic *io = &ioapics[ioapic_count];
		io->mmio = ioremap(acpi.madt.ioapics[i].addr, 0x20, VM_CACHE_UC);
		if (!io->mmio)
			continue;
		io->gsi_base = acpi.madt.ioapics[i].gsi_base;
		uint32_t ver = rd(io, REG_VER);
		io->pins = ((ver >> 16) & 0xff) + 1;
		for (unsigned pin = 0; pin < io->pins; pin++)
			write_rte(io, pin, RTE_MASKED);
		pr_info("ioapic: id %u at 0x%llx, version 0x%x, GSI %u-%u\n", acpi.madt.ioapics[i].id,
			(unsigned long long)acpi.madt.ioapics[i].addr, ver & 0xff, io->gsi_base,
			io->gsi_base + io->pins - 1);
		gsis += io->pins;
		ioapic_count++;
	}
	return gsis;
}

int ioapic_route(unsigned gsi, uint8_t vector, uint32_t apic_id, unsigned flags)
{
	unsigned pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return -ENOENT;
	uint64_t rte = vector | ((uint64_t)apic_id << 56); /* fixed delivery, physical destination */
	if (flags & IRQF_LEVEL)
		rte |= RTE_LEVEL;
	if (flags & IRQF_ACTIVE_LOW)
		rte |= RTE_ACTIVE_LOW;
	write_rte(io, pin, rte);
	return 0;
}

void ioapic_mask(unsigned gsi, bool masked)
{
	unsigned pin;
	struct ioapic *io = find(gsi, &pin);
	if (!io)
		return;
	uint32_t lo = rd(io, REG_REDTBL(pin));
	wr(io, REG_REDTBL(pin), masked ? lo | (uint32_t)RTE_MASKED : lo & ~(uint32_t)RTE_MASKED);
}
