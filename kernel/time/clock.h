/*
 * Time: a monotonic clock in nanoseconds since boot, driven by the TSC once it is calibrated
 * against the best reference present (HPET, else the ACPI PM timer, else the PIT); wall-clock
 * time from the CMOS RTC.
 */
#pragma once

#include "lib/types.h"

enum clock_ref { CLOCK_REF_NONE, CLOCK_REF_PIT, CLOCK_REF_PM_TIMER, CLOCK_REF_HPET };

struct clock_info {
	enum clock_ref reference; /* what calibrated the TSC */
	uint64_t tsc_hz;
	bool tsc_invariant;       /* CPUID 0x80000007 EDX bit 8 */
	uint64_t boot_unix_seconds; /* wall clock read from the RTC at boot */
};
extern struct clock_info clock_info;

/* Picks the reference, calibrates the TSC, reads the RTC, starts log timestamps. */
void clock_init(void);
uint64_t clock_monotonic_ns(void);
/* Nanoseconds since 1970 (the RTC at boot plus the monotonic clock since). */
uint64_t clock_realtime_ns(void);

/*
 * Measures how many ticks a counter advances in `ms` milliseconds of the reference clock; used
 * to calibrate the LAPIC timer. read_counter returns a value that counts down (like the LAPIC
 * current-count register).
 */
uint64_t clock_calibrate_countdown(uint32_t (*read_counter)(void), unsigned ms);

/* Busy-waits (bounded spins only: for early boot and device resets). */
void clock_delay_us(uint64_t us);

/* Pure date arithmetic (unit-tested): days since 1970-01-01 for a proleptic Gregorian date. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
