/*
 * The kernel's clocks. clock_init picks the best reference timer present (HPET, else the ACPI
 * PM timer, else PIT channel 2), measures the TSC against it, and from then on the monotonic
 * clock is the TSC converted with a precomputed multiply and shift. The CMOS RTC read at boot
 * anchors the wall clock.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "console/console.h"
#include "lib/errno.h"
#include "time/clock.h"
#include "time/clocksource.h"

#define CALIBRATE_MS    50
#define AGREE_PPM       500                /* two calibration runs this close are trusted */
#define DELAY_MAX_US    (10 * 1000000ull)  /* clock_delay_us is for short waits */
#define TSC_HZ_CEILING  10000000000ull     /* before calibration, delays assume this fast a TSC */
#define TSC_HZ_GUESS    2000000000ull      /* no reference and no CPUID frequency: a guess */

struct clock_info clock_info;

static struct refclock refs[CLOCK_REF_HPET + 1]; /* indexed by enum clock_ref */
static bool ref_present[CLOCK_REF_HPET + 1];
static const struct refclock *primary;

/* Written once by clock_init before any other CPU runs; read-only afterwards. */
static struct cyc2ns mono_conv;
static uint64_t mono_base_tsc;
static bool mono_ready;
static uint64_t rtc_read_at_ns; /* monotonic time of the boot RTC read */

const struct refclock *clock_ref(enum clock_ref id)
{
	if ((unsigned)id > CLOCK_REF_HPET || !ref_present[id])
		return NULL;
	return &refs[id];
}

const struct refclock *clock_primary_ref(void)
{
	return primary;
}

/*
 * Polls s until want_ns of the reference have passed since tick `from`; the ticks reached go to
 * *to. Bounded twice over, so a reference that stops cannot hang the boot: by the number of
 * polls (none is faster than 5 ns) and by the TSC (no TSC is faster than 20 GHz).
 */
static bool wait_ref(struct ref_span *s, uint64_t from, uint64_t want_ns, uint64_t *to)
{
	uint64_t tsc0 = rdtsc(), max_polls = want_ns / 5 + 1000;
	for (uint64_t polls = 0; polls < max_polls; polls++) {
		uint64_t t = ref_span_poll(s);
		if (cyc2ns_apply(&s->ref->to_ns, t - from) >= want_ns) {
			*to = t;
			return true;
		}
		if ((polls & 1023) == 0 && rdtsc() - tsc0 > want_ns * 20)
			break;
	}
	return false;
}

/* The TSC at the middle of a reference read, from the tightest of a few tries. */
static void sample(struct ref_span *s, uint64_t *tsc, uint64_t *ticks)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 4; i++) {
		uint64_t t0 = tsc_read_ordered();
		uint64_t tk = ref_span_poll(s);
		uint64_t t1 = tsc_read_ordered();
		if (i == 0 || t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ticks = tk;
		}
	}
}

/* Like sample, for a down-counter: its value at the middle of a reference read. */
static void sample_counter(struct ref_span *s, uint32_t (*read_counter)(void), uint32_t *count,
			   uint64_t *ticks)
{
	uint32_t best = UINT32_MAX;
	for (int i = 0; i < 4; i++) {
		uint32_t c0 = read_counter();
		uint64_t tk = ref_span_poll(s);
		uint32_t c1 = read_counter();
		if (i == 0 || c0 - c1 < best) {
			best = c0 - c1;
			*count = c0 - best / 2;
			*ticks = tk;
		}
	}
}

uint64_t clock_measure_tsc_hz(const struct refclock *r, unsigned ms)
{
	if (!r || ms == 0)
		return 0;
	uint64_t want_ns = (uint64_t)ms * 1000000, tsc0, tk0, tsc1, tk1, reached;
	struct ref_span s;
	uint64_t flags = irq_save();
	ref_span_start(&s, r);
	sample(&s, &tsc0, &tk0);
	bool ok = wait_ref(&s, tk0, want_ns, &reached);
	sample(&s, &tsc1, &tk1);
	irq_restore(flags);
	if (!ok)
		return 0;
	uint64_t ns = cyc2ns_apply(&r->to_ns, tk1 - tk0);
	return ns ? mul_div64(tsc1 - tsc0, 1000000000, ns) : 0;
}

/* Two runs that agree, else the median of three (0 when most runs failed). */
static uint64_t calibrate(const struct refclock *r, unsigned *runs, uint32_t *spread_ppm)
{
	uint64_t a = clock_measure_tsc_hz(r, CALIBRATE_MS);
	uint64_t b = clock_measure_tsc_hz(r, CALIBRATE_MS);
	*runs = 2;
	*spread_ppm = rate_diff_ppm(a, b);
	if (a && b && rates_agree(a, b, AGREE_PPM))
		return a / 2 + b / 2 + (a & b & 1);
	uint64_t c = clock_measure_tsc_hz(r, CALIBRATE_MS);
	*runs = 3;
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
	lo = c < lo ? c : lo;
	hi = c > hi ? c : hi;
	*spread_ppm = rate_diff_ppm(lo, hi);
	return median3(a, b, c);
}

/* CPUID leaf 0x15 (crystal clock and TSC ratio), else 0x16 (base frequency), else 0. */
static uint64_t tsc_hz_from_cpuid(void)
{
	uint32_t max, a, b, c, d;
	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c)
			return mul_div64(c, b, a);
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		if (a & 0xffff)
			return (uint64_t)(a & 0xffff) * 1000000;
	}
	return 0;
}

static void rtc_init(void)
{
	struct rtc_date d;
	int err = rtc_read(&d);
	int64_t secs = err ? -1 : rtc_date_to_unix(&d);
	rtc_read_at_ns = clock_monotonic_ns();
	if (secs < 0) {
		pr_warn("rtc: %s; the wall clock starts at 1970-01-01\n",
			err == -EIO ? "the clock never stops updating" : "no valid date and time");
		return;
	}
	clock_info.boot_unix_seconds = (uint64_t)secs;
	pr_info("rtc: %04lld-%02u-%02u %02u:%02u:%02u UTC\n", (long long)d.year, d.mon, d.day,
		d.hour, d.min, d.sec);
}

void clock_init(void)
{
	uint64_t base = tsc_read_ordered();

	if (acpi.present) {
		ref_present[CLOCK_REF_HPET] = hpet_probe(&refs[CLOCK_REF_HPET]);
		ref_present[CLOCK_REF_PM_TIMER] = pmtimer_probe(&refs[CLOCK_REF_PM_TIMER]);
	}
	ref_present[CLOCK_REF_PIT] = pit_probe(&refs[CLOCK_REF_PIT]);
	for (int id = CLOCK_REF_HPET; id > CLOCK_REF_NONE && !primary; id--)
		primary = clock_ref(id);

	clock_info.tsc_invariant = tsc_is_invariant();
	const char *inv = clock_info.tsc_invariant ? "yes" : "no";
	unsigned runs = 0;
	uint32_t spread = 0;
	uint64_t hz = primary ? calibrate(primary, &runs, &spread) : 0;
	if (hz) {
		clock_info.reference = primary->id;
		pr_info("clock: TSC %llu.%03llu MHz calibrated against %s (invariant: %s), "
			"%u runs of %u ms, %u ppm apart\n",
			(unsigned long long)(hz / 1000000), (unsigned long long)(hz / 1000 % 1000),
			primary->name, inv, runs, CALIBRATE_MS, spread);
	} else {
		clock_info.reference = CLOCK_REF_NONE;
		hz = tsc_hz_from_cpuid();
		if (hz) {
			pr_warn("clock: %s; TSC %llu.%03llu MHz from CPUID (invariant: %s)\n",
				primary ? "calibration failed" : "no reference timer",
				(unsigned long long)(hz / 1000000), (unsigned long long)(hz / 1000 % 1000), inv);
		} else {
			hz = TSC_HZ_GUESS;
			pr_warn("clock: %s and no frequency in CPUID; assuming a %llu MHz TSC (invariant: %s)\n",
				primary ? "calibration failed" : "no reference timer",
				(unsigned long long)(hz / 1000000), inv);
		}
	}

	tsc_set_hz(hz);
	clock_info.tsc_hz = hz;
	cyc2ns_init(&mono_conv, 1000000000, hz);
	mono_base_tsc = base;
	mono_ready = true;

	rtc_init();
	klog_set_clock(clock_monotonic_ns);
}

uint64_t clock_monotonic_ns(void)
{
	if (!mono_ready)
		return 0;
	/* Another CPU's TSC may lag the boot CPU's slightly: never report time before the base. */
	int64_t cycles = (int64_t)(tsc_read_ordered() - mono_base_tsc);
	return cycles > 0 ? cyc2ns_apply(&mono_conv, (uint64_t)cycles) : 0;
}

uint64_t clock_realtime_ns(void)
{
	uint64_t now = clock_monotonic_ns();
	uint64_t since_rtc = now > rtc_read_at_ns ? now - rtc_read_at_ns : 0;
	return clock_info.boot_unix_seconds * 1000000000ull + since_rtc;
}

uint64_t clock_calibrate_countdown(uint32_t (*read_counter)(void), unsigned ms)
{
	const struct refclock *r = primary;
	if (!r && pit_probe(&refs[CLOCK_REF_PIT])) {
		ref_present[CLOCK_REF_PIT] = true;
		r = &refs[CLOCK_REF_PIT];
	}
	if (!r || !read_counter || ms == 0)
		return 0;

	uint64_t want_ns = (uint64_t)ms * 1000000, tk0, tk1, reached;
	uint32_t c0, c1;
	struct ref_span s;
	uint64_t flags = irq_save();
	ref_span_start(&s, r);
	sample_counter(&s, read_counter, &c0, &tk0);
	bool ok = wait_ref(&s, tk0, want_ns, &reached);
	sample_counter(&s, read_counter, &c1, &tk1);
	irq_restore(flags);
	if (!ok)
		return 0;
	/* Scale to exactly `ms`: the interval measured runs a little past it. */
	uint64_t ns = cyc2ns_apply(&r->to_ns, tk1 - tk0);
	return ns ? mul_div64((uint32_t)(c0 - c1), want_ns, ns) : 0;
}

void clock_delay_us(uint64_t us)
{
	if (us > DELAY_MAX_US)
		us = DELAY_MAX_US;
	uint64_t cycles = mul_div64(us, tsc_hz ? tsc_hz : TSC_HZ_CEILING, 1000000);
	uint64_t start = tsc_read_ordered();
	while (tsc_read_ordered() - start < cycles)
		cpu_pause();
}
