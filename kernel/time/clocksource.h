/*
 * Internal to kernel/time: the reference counters the TSC is calibrated against (HPET main
 * counter, ACPI PM timer, PIT channel 2), and the pure arithmetic behind the clock, the RTC and
 * the calibration (timecalc.c, unit-tested on the host).
 */
#pragma once

#include "lib/types.h"
#include "time/clock.h"

/* ---- pure arithmetic (timecalc.c) ---- */

/*
 * A tick-to-nanosecond conversion: ns = ticks * num / den, computed as (ticks * mult) >> shift
 * with a 64x64->128-bit product. cyc2ns_init picks the largest shift that keeps mult in 64
 * bits, so mult carries at least 63 significant bits: the result is exact to within 2 ns for
 * any tick count whose result fits in 64 bits (584 years), and nothing can overflow.
 */
struct cyc2ns {
	uint64_t mult;
	unsigned shift;
};

/* False (and c unchanged) when num or den is 0 or one tick would exceed 2^64 ns. */
bool cyc2ns_init(struct cyc2ns *c, uint64_t num, uint64_t den);

static inline uint64_t cyc2ns_apply(const struct cyc2ns *c, uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * c->mult) >> c->shift);
}

/* n / d with one divq; UINT64_MAX when d is 0 or the quotient does not fit in 64 bits. */
uint64_t div128_64(unsigned __int128 n, uint64_t d);
/* a * b / d without intermediate overflow (saturating like div128_64). */
static inline uint64_t mul_div64(uint64_t a, uint64_t b, uint64_t d)
{
	return div128_64((unsigned __int128)a * b, d);
}

/* True when a and b differ by at most ppm parts per million of the larger one. */
bool rates_agree(uint64_t a, uint64_t b, unsigned ppm);
uint64_t median3(uint64_t a, uint64_t b, uint64_t c);
/* |a - b| in parts per million of the larger one (saturates at UINT32_MAX). */
uint32_t rate_diff_ppm(uint64_t a, uint64_t b);

/* What the CMOS clock registers hold, undecoded. century is 0 when the FADT names none. */
struct rtc_regs {
	uint8_t sec, min, hour, day, mon, year, century;
	uint8_t status_b;
};

#define RTC_B_24H    0x02 /* hours run 0-23 (else 1-12 with bit 7 = PM) */
#define RTC_B_BINARY 0x04 /* binary values (else BCD) */

struct rtc_date {
	int64_t year;
	unsigned mon, day, hour, min, sec;
};

/* A packed-BCD byte as binary, or -1 when a nibble is above 9. */
int rtc_bcd_to_bin(uint8_t v);
/* The hour register as 0-23 (12-hour mode: bit 7 = PM, 12 AM = 0), or -1 when invalid. */
int rtc_hour_24(uint8_t raw, bool bcd, bool h24);
/* Decodes and range-checks the registers: 0 or -EINVAL. */
int rtc_decode(const struct rtc_regs *r, struct rtc_date *out);
/* Seconds since 1970-01-01 00:00:00 UTC. */
int64_t rtc_date_to_unix(const struct rtc_date *d);

/* ---- reference counters (hpet.c, pmtimer.c, pit.c) ---- */

/*
 * A free-running hardware counter of a known rate. The raw value is at most 32 bits wide and
 * wraps; a ref_span extends it to 64 bits as long as it is polled more often than the counter
 * wraps (55 ms for the PIT, 4.7 s for a 24-bit PM timer, 43 s for the HPET at 100 MHz).
 */
struct refclock {
	const char *name;
	enum clock_ref id;
	uint32_t (*read_raw)(void);
	uint32_t mask;      /* raw counter width: 0xffff, 0xffffff or 0xffffffff */
	bool counts_down;   /* the PIT counts down */
	uint64_t num, den;  /* one tick lasts num/den ns */
	struct cyc2ns to_ns;
};

/* Ticks from the raw value `from` to `to`, across at most one wrap. */
static inline uint32_t refclock_delta(const struct refclock *r, uint32_t from, uint32_t to)
{
	return (r->counts_down ? from - to : to - from) & r->mask;
}

/* Probing maps and starts the counter, checks that it advances, fills r and logs one line. */
bool hpet_probe(struct refclock *r);
bool pmtimer_probe(struct refclock *r);
bool pit_probe(struct refclock *r);

/* An interval being measured on a reference: the ticks elapsed since ref_span_start. */
struct ref_span {
	const struct refclock *ref;
	uint32_t last;
	uint64_t ticks;
};

static inline void ref_span_start(struct ref_span *s, const struct refclock *r)
{
	s->ref = r;
	s->last = r->read_raw();
	s->ticks = 0;
}

static inline uint64_t ref_span_poll(struct ref_span *s)
{
	uint32_t now = s->ref->read_raw();
	s->ticks += refclock_delta(s->ref, s->last, now);
	s->last = now;
	return s->ticks;
}

/* ---- clock.c internals the ktests use ---- */

/* The probed reference of that kind, or NULL when absent. */
const struct refclock *clock_ref(enum clock_ref id);
/* The reference clock_init calibrated against (NULL before clock_init or when none was found). */
const struct refclock *clock_primary_ref(void);
/* Measures the TSC rate over `ms` milliseconds of r (interrupts off): Hz, or 0 on failure. */
uint64_t clock_measure_tsc_hz(const struct refclock *r, unsigned ms);

/* ---- rtc.c ---- */

/* Reads the CMOS clock (consistent snapshot, decoded): 0, -EIO when it never settles, -EINVAL. */
int rtc_read(struct rtc_date *out);
