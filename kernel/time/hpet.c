/*
 * The HPET main counter as a reference clock (HPET specification 1.0a, section 2.3): located by
 * the ACPI HPET table, started through the general configuration register if the firmware left
 * it halted. Only its low 32 bits are read: 32-bit accesses work on every implementation and
 * never tear, and a ref_span extends them.
 */
#include "acpi/acpi.h"
#include "console/console.h"
#include "mm/vmm.h"
#include "time/clocksource.h"

#define HPET_CAP_ID       0x000 /* bits 31:0: ids and capabilities */
#define HPET_PERIOD       0x004 /* bits 63:32 of the capabilities: tick period in femtoseconds */
#define HPET_CONFIG       0x010
#define HPET_COUNTER_LO   0x0f0
#define HPET_REGS_LEN     0x400

#define CAP_COUNT_64      (1u << 13)
#define CAP_NUM_TIM(c)    ((((c) >> 8) & 0x1f) + 1)
#define CONFIG_ENABLE     (1u << 0)

#define HPET_MAX_PERIOD_FS 100000000u /* the spec's slowest allowed counter: 10 MHz */

static volatile uint8_t *regs;

static uint32_t hpet_rd(unsigned off)
{
	return *(volatile uint32_t *)(regs + off);
}

static void hpet_wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(regs + off) = v;
}

static uint32_t hpet_read_raw(void)
{
	return hpet_rd(HPET_COUNTER_LO);
}

bool hpet_probe(struct refclock *r)
{
	if (!acpi.has_hpet || !acpi.hpet.base)
		return false;
	if (!regs)
		regs = ioremap(acpi.hpet.base, HPET_REGS_LEN, VM_CACHE_UC);
	if (!regs) {
		pr_warn("hpet: cannot map the registers at 0x%llx\n", (unsigned long long)acpi.hpet.base);
		return false;
	}
	uint32_t cap = hpet_rd(HPET_CAP_ID), period = hpet_rd(HPET_PERIOD);
	if (period == 0 || period > HPET_MAX_PERIOD_FS) {
		pr_warn("hpet: bad counter period %u fs at 0x%llx; not used\n", period,
			(unsigned long long)acpi.hpet.base);
		return false;
	}
	uint32_t cfg = hpet_rd(HPET_CONFIG);
	bool started = false;
	if (!(cfg & CONFIG_ENABLE)) {
		hpet_wr(HPET_CONFIG, cfg | CONFIG_ENABLE);
		started = true;
	}
	/* At >= 10 MHz the counter moves within a few reads; give it plenty more. */
	uint32_t first = hpet_read_raw();
	bool moving = false;
	for (int i = 0; i < 100000 && !moving; i++)
		moving = hpet_read_raw() != first;
	if (!moving) {
		pr_warn("hpet: main counter at 0x%llx does not advance; not used\n",
			(unsigned long long)acpi.hpet.base);
		return false;
	}

	*r = (struct refclock){
		.name = "HPET", .id = CLOCK_REF_HPET, .read_raw = hpet_read_raw, .mask = 0xffffffff,
		.num = period, .den = 1000000, /* fs per tick / (fs per ns) */
	};
	cyc2ns_init(&r->to_ns, r->num, r->den);
	uint64_t khz = 1000000000000ull / period; /* 10^15 fs per second, per tick, per 1000 */
	pr_info("hpet: %llu.%03llu MHz, %u-bit main counter, %u timers, at 0x%llx%s\n",
		(unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000),
		(cap & CAP_COUNT_64) ? 64 : 32, CAP_NUM_TIM(cap), (unsigned long long)acpi.hpet.base,
		started ? " (started)" : "");
	return true;
}
