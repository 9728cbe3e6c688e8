/*
 * The ACPI power-management timer as a reference clock (ACPI 6.5, section 4.8.3.3): a 24- or
 * 32-bit up-counter at 3.579545 MHz, found through the FADT's X_PM_TMR_BLK (or PM_TMR_BLK).
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "mm/vmm.h"
#include "time/clocksource.h"

#define ACPI_SPACE_MEMORY 0
#define ACPI_SPACE_IO     1
#define PM_TIMER_HZ       3579545u /* 14.31818 MHz / 4 */

static uint16_t port;
static volatile uint32_t *mmio;

static uint32_t pm_read_port(void)
{
	return inl(port);
}

static uint32_t pm_read_mmio(void)
{
	return *mmio;
}

bool pmtimer_probe(struct refclock *r)
{
	const struct acpi_gas *g = &acpi.fadt.pm_timer;
	if (!acpi.has_fadt || g->address == 0)
		return false;

	uint32_t (*read)(void);
	if (g->space_id == ACPI_SPACE_IO && g->address <= 0xfffc) {
		port = (uint16_t)g->address;
		read = pm_read_port;
	} else if (g->space_id == ACPI_SPACE_MEMORY) {
		mmio = ioremap(g->address, 4, VM_CACHE_UC);
		if (!mmio)
			return false;
		read = pm_read_mmio;
	} else {
		pr_warn("pmtimer: unusable address 0x%llx in space %u; not used\n",
			(unsigned long long)g->address, g->space_id);
		return false;
	}

	uint32_t mask = acpi.fadt.pm_timer_32bit ? 0xffffffff : 0xffffff;
	/* A tick is 279 ns, an I/O read roughly 1 us: it must move within a few hundred reads. */
	uint32_t first = read() & mask;
	bool moving = false;
	for (int i = 0; i < 100000 && !moving; i++)
		moving = (read() & mask) != first;
	if (!moving) {
		pr_warn("pmtimer: counter at 0x%llx does not advance; not used\n",
			(unsigned long long)g->address);
		return false;
	}

	*r = (struct refclock){
		.name = "ACPI PM timer", .id = CLOCK_REF_PM_TIMER, .read_raw = read, .mask = mask,
		.num = 1000000000, .den = PM_TIMER_HZ,
	};
	cyc2ns_init(&r->to_ns, r->num, r->den);
	pr_info("pmtimer: %u-bit ACPI PM timer at %s 0x%llx\n", mask == 0xffffff ? 24 : 32,
		g->space_id == ACPI_SPACE_IO ? "port" : "address", (unsigned long long)g->address);
	return true;
}
