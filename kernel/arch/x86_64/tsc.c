/* The TSC's rate and its cycle-to-nanosecond conversion (kernel/time/clock.c calibrates it). */
#include "arch/x86_64/tsc.h"

#include "time/clocksource.h"

uint64_t tsc_hz;
static struct cyc2ns tsc_conv;

void tsc_set_hz(uint64_t hz)
{
	if (!cyc2ns_init(&tsc_conv, 1000000000, hz))
		hz = 0;
	tsc_hz = hz;
}

uint64_t tsc_to_ns(uint64_t cycles)
{
	return tsc_hz ? cyc2ns_apply(&tsc_conv, cycles) : 0;
}

bool tsc_is_invariant(void)
{
	uint32_t a, b, c, d;
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000007)
		return false;
	cpuid(0x80000007, 0, &a, &b, &c, &d);
	return d & (1u << 8);
}

