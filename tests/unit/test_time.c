// unit-deps: kernel/time/timecalc.c kernel/time/timer.c kernel/lib/string.c
/*
 * Host tests for kernel/time: calendar arithmetic against the host's timegm, CMOS register
 * decoding, the tick-to-nanosecond multiply/shift against exact 128-bit arithmetic, reference
 * counter wrap handling, and the timer-event lists (ordering, cancel, re-arm, callbacks that
 * re-arm or cancel, several "CPUs" played by threads).
 */
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "host_prefix.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "time/clock.h"
#include "time/clocksource.h"
#include "time/timer.h"

extern __thread unsigned timer_host_cpu;

typedef unsigned __int128 u128;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi) /* inclusive */
{
	return lo + rnd() % (hi - lo + 1);
}

/* ---- calendar ---- */

static int month_len(int64_t y, unsigned m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return len[m - 1] + (m == 2 && leap);
}

static int64_t host_days(int64_t y, unsigned m, unsigned d)
{
	struct tm tm = { .tm_year = (int)(y - 1900), .tm_mon = (int)m - 1, .tm_mday = (int)d };
	time_t t = timegm(&tm);
	return (int64_t)t / 86400;
}

TEST(days_from_civil_known_dates)
{
	CHECK_INT(days_from_civil(1970, 1, 1), 0);
	CHECK_INT(days_from_civil(1969, 12, 31), -1);
	CHECK_INT(days_from_civil(2000, 3, 1), 11017);
	CHECK_INT(days_from_civil(2038, 1, 19), 24855);
	CHECK_INT(days_from_civil(2026, 11, 24), 20781);
	CHECK_INT(days_from_civil(2100, 3, 1), 47541);   /* 2100: not a leap year */
	CHECK_INT(days_from_civil(2400, 2, 29), 157113); /* 2400: a leap year */
	CHECK_INT(days_from_civil(1900, 3, 1), -25508);
	CHECK_INT(days_from_civil(1600, 3, 1), -135080);
	CHECK_INT(days_from_civil(1, 1, 1), -719162);
	CHECK_INT(days_from_civil(0, 3, 1), -719468);   /* year 0 is a leap year */
	CHECK_INT(days_from_civil(0, 1, 1), -719528);
	CHECK_INT(days_from_civil(-1, 12, 31), -719529);
	CHECK_INT(days_from_civil(9999, 12, 31), 2932896);
	CHECK_INT(days_from_civil(2024, 0, 1), INT64_MIN);
	CHECK_INT(days_from_civil(2024, 13, 1), INT64_MIN);
}

TEST(days_from_civil_matches_timegm_every_day_1970_2200)
{
	int64_t expect = 0;
	for (int64_t y = 1970; y <= 2200; y++)
		for (unsigned m = 1; m <= 12; m++)
			for (unsigned d = 1; d <= (unsigned)month_len(y, m); d++) {
				int64_t got = days_from_civil(y, m, d);
				if (got != expect || got != host_days(y, m, d)) {
					unit_fail(__FILE__, __LINE__, "%lld-%u-%u: %lld, expected %lld (timegm %lld)",
						  (long long)y, m, d, (long long)got, (long long)expect,
						  (long long)host_days(y, m, d));
					return;
				}
				expect++;
			}
}

TEST(days_from_civil_random_dates_and_times)
{
	for (int i = 0; i < 100000; i++) {
		int64_t y = (int64_t)rnd_range(1970, 2200);
		unsigned m = (unsigned)rnd_range(1, 12), d = (unsigned)rnd_range(1, (uint64_t)month_len(y, m));
		struct rtc_date dt = { y, m, d, (unsigned)rnd_range(0, 23), (unsigned)rnd_range(0, 59),
				       (unsigned)rnd_range(0, 59) };
		struct tm tm = { .tm_year = (int)(y - 1900), .tm_mon = (int)m - 1, .tm_mday = (int)d,
				 .tm_hour = (int)dt.hour, .tm_min = (int)dt.min, .tm_sec = (int)dt.sec };
		CHECK_INT(rtc_date_to_unix(&dt), (long long)timegm(&tm));
	}
}

TEST(days_from_civil_continuous_before_1970)
{
	/* Walking backwards from 1970 every date is one day before the next, down to year -400. */
	int64_t expect = -1;
	for (int64_t y = 1969; y >= -400; y--)
		for (unsigned m = 12; m >= 1; m--)
			for (int d = month_len(y, m); d >= 1; d--) {
				CHECK_INT(days_from_civil(y, m, (unsigned)d), expect);
				expect--;
			}
	/* 400 Gregorian years are exactly 146097 days. */
	CHECK_INT(days_from_civil(2400, 1, 1) - days_from_civil(2000, 1, 1), 146097);
	CHECK_INT(days_from_civil(-400, 1, 1) - days_from_civil(-800, 1, 1), 146097);
}

/* ---- CMOS decoding ---- */

TEST(bcd_to_bin_every_byte)
{
	for (int v = 0; v < 256; v++) {
		int hi = v >> 4, lo = v & 15;
		CHECK_INT(rtc_bcd_to_bin((uint8_t)v), hi <= 9 && lo <= 9 ? hi * 10 + lo : -1);
	}
}

TEST(hour_12_and_24_hour_modes)
{
	/* BCD, 12-hour: bit 7 = PM; 12 AM is midnight, 12 PM is noon. */
	CHECK_INT(rtc_hour_24(0x12, true, false), 0);
	CHECK_INT(rtc_hour_24(0x01, true, false), 1);
	CHECK_INT(rtc_hour_24(0x11, true, false), 11);
	CHECK_INT(rtc_hour_24(0x92, true, false), 12);
	CHECK_INT(rtc_hour_24(0x81, true, false), 13);
	CHECK_INT(rtc_hour_24(0x91, true, false), 23);
	CHECK_INT(rtc_hour_24(0x00, true, false), -1);
	CHECK_INT(rtc_hour_24(0x13, true, false), -1);
	CHECK_INT(rtc_hour_24(0x80, true, false), -1);
	CHECK_INT(rtc_hour_24(0x1a, true, false), -1);
	/* Binary, 12-hour. */
	CHECK_INT(rtc_hour_24(12, false, false), 0);
	CHECK_INT(rtc_hour_24(0x80 | 12, false, false), 12);
	CHECK_INT(rtc_hour_24(0x80 | 11, false, false), 23);
	CHECK_INT(rtc_hour_24(0x80 | 13, false, false), -1);
	/* 24-hour, both encodings. */
	CHECK_INT(rtc_hour_24(0x00, true, true), 0);
	CHECK_INT(rtc_hour_24(0x23, true, true), 23);
	CHECK_INT(rtc_hour_24(0x24, true, true), -1);
	CHECK_INT(rtc_hour_24(23, false, true), 23);
	CHECK_INT(rtc_hour_24(24, false, true), -1);
	/* Every 12-hour value maps onto 0..23 exactly once. */
	int seen[24] = { 0 };
	for (int pm = 0; pm < 2; pm++)
		for (int h = 1; h <= 12; h++) {
			int v = rtc_hour_24((uint8_t)((pm ? 0x80 : 0) | h), false, false);
			CHECK(v >= 0 && v < 24);
			seen[v]++;
		}
	for (int h = 0; h < 24; h++)
		CHECK_INT(seen[h], 1);
}

TEST(rtc_decode_modes_and_ranges)
{
	struct rtc_date d;
	struct rtc_regs bcd = { .sec = 0x12, .min = 0x50, .hour = 0x06, .day = 0x24, .mon = 0x11,
				.year = 0x26, .century = 0x20, .status_b = RTC_B_24H };
	CHECK_INT(rtc_decode(&bcd, &d), 0);
	CHECK(d.year == 2026 && d.mon == 11 && d.day == 24 && d.hour == 6 && d.min == 50 && d.sec == 12);
	CHECK_INT(rtc_date_to_unix(&d), 20781LL * 86400 + 6 * 3600 + 50 * 60 + 12);

	/* Binary, 12-hour, 11 PM, no century register: 20xx. */
	struct rtc_regs bin = { .sec = 59, .min = 59, .hour = 0x80 | 11, .day = 31, .mon = 12, .year = 99,
				.status_b = RTC_B_BINARY };
	CHECK_INT(rtc_decode(&bin, &d), 0);
	CHECK(d.year == 2099 && d.mon == 12 && d.day == 31 && d.hour == 23 && d.min == 59 && d.sec == 59);

	/* The century register, in the clock's own encoding; nonsense in it means 20xx. */
	struct rtc_regs r = bcd;
	r.century = 0x19;
	CHECK_INT(rtc_decode(&r, &d), 0);
	CHECK_INT(d.year, 1926);
	r.century = 0x21;
	CHECK_INT(rtc_decode(&r, &d), 0);
	CHECK_INT(d.year, 2126);
	r.century = 0x5a; /* not BCD */
	CHECK_INT(rtc_decode(&r, &d), 0);
	CHECK_INT(d.year, 2026);

	/* Leap days: 2024-02-29 exists, 2100-02-29 and 2026-02-29 do not. */
	r = bcd;
	r.mon = 0x02;
	r.day = 0x29;
	r.year = 0x24;
	CHECK_INT(rtc_decode(&r, &d), 0);
	r.year = 0x26;
	CHECK_INT(rtc_decode(&r, &d), -EINVAL);
	r.year = 0x00;
	r.century = 0x21;
	CHECK_INT(rtc_decode(&r, &d), -EINVAL);
	r.century = 0x20; /* 2000 is a leap year */
	CHECK_INT(rtc_decode(&r, &d), 0);

	/* Out-of-range and non-BCD fields. */
	struct rtc_regs bad[] = {
		{ 0x60, 0x00, 0x00, 0x01, 0x01, 0x24, 0, RTC_B_24H },
		{ 0x00, 0x60, 0x00, 0x01, 0x01, 0x24, 0, RTC_B_24H },
		{ 0x00, 0x00, 0x24, 0x01, 0x01, 0x24, 0, RTC_B_24H },
		{ 0x00, 0x00, 0x00, 0x00, 0x01, 0x24, 0, RTC_B_24H },
		{ 0x00, 0x00, 0x00, 0x31, 0x04, 0x24, 0, RTC_B_24H },
		{ 0x00, 0x00, 0x00, 0x01, 0x13, 0x24, 0, RTC_B_24H },
		{ 0x00, 0x00, 0x00, 0x01, 0x00, 0x24, 0, RTC_B_24H },
		{ 0x00, 0x00, 0x00, 0x01, 0x01, 0xa4, 0, RTC_B_24H },
		{ 0x0a, 0x00, 0x00, 0x01, 0x01, 0x24, 0, RTC_B_24H },
		{ 0, 0, 0, 1, 1, 100, 0, RTC_B_24H | RTC_B_BINARY },
		{ 0, 0, 0, 1, 1, 24, 0, RTC_B_BINARY }, /* hour 0 in 12-hour mode */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(rtc_decode(&bad[i], &d), -EINVAL);
}

/* ---- arithmetic ---- */

TEST(div128_64_against_host_division)
{
	for (int i = 0; i < 200000; i++) {
		uint64_t d = rnd() >> (rnd() % 64);
		u128 n = ((u128)rnd() << 64 | rnd()) >> (rnd() % 128);
		uint64_t got = div128_64(n, d);
		if (d == 0 || (n >> 64) >= d)
			CHECK(got == UINT64_MAX);
		else
			CHECK(got == (uint64_t)(n / d));
	}
	CHECK(div128_64(5, 0) == UINT64_MAX);
	CHECK(div128_64((u128)1 << 64, 1) == UINT64_MAX);
	CHECK(div128_64(((u128)1 << 64) - 1, 1) == UINT64_MAX);
	CHECK(div128_64((u128)7 << 64, 8) == (uint64_t)(((u128)7 << 64) / 8));
	CHECK(mul_div64(UINT64_MAX, UINT64_MAX, UINT64_MAX) == UINT64_MAX);
	CHECK(mul_div64(3000000000ull, 1000000000ull, 50000000ull) == 60000000000ull);
}

/* 3652.5 days */
#define TEN_YEARS_NS (3652ull * 86400 * 1000000000ull + 12ull * 3600 * 1000000000ull)

/* Checks one conversion against floor(ticks * num / den); returns false after reporting. */
static bool conv_ok(const struct cyc2ns *c, uint64_t num, uint64_t den, uint64_t ticks, int line)
{
	u128 exact = (u128)ticks * num / den;
	if (exact > UINT64_MAX)
		return true; /* result out of range: nothing is promised */
	uint64_t got = cyc2ns_apply(c, ticks);
	if (got > (uint64_t)exact || (uint64_t)exact - got > 2) {
		unit_fail(__FILE__, line, "%llu ticks at %llu/%llu ns: %llu, exact %llu",
			  (unsigned long long)ticks, (unsigned long long)num, (unsigned long long)den,
			  (unsigned long long)got, (unsigned long long)exact);
		return false;
	}
	return true;
}

static bool check_rate(uint64_t num, uint64_t den, int line)
{
	struct cyc2ns c;
	if (!cyc2ns_init(&c, num, den)) {
		unit_fail(__FILE__, line, "cyc2ns_init(%llu, %llu) refused", (unsigned long long)num,
			  (unsigned long long)den);
		return false;
	}
	if (c.mult < (1ull << 63) || c.shift > 127) {
		unit_fail(__FILE__, line, "%llu/%llu: mult %#llx shift %u", (unsigned long long)num,
			  (unsigned long long)den, (unsigned long long)c.mult, c.shift);
		return false;
	}
	/* Ten years' worth of ticks (where that fits in 64 bits). */
	u128 tt = (u128)TEN_YEARS_NS * den / num;
	uint64_t ten_years = tt > UINT64_MAX ? UINT64_MAX : (uint64_t)tt;
	uint64_t fixed[] = { 0, 1, 2, 3, den, den - 1, den * 1000, ten_years, UINT32_MAX, 1ull << 40,
			     (uint64_t)1 << 62, UINT64_MAX };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!conv_ok(&c, num, den, fixed[i], line))
			return false;
	for (int i = 0; i < 2000; i++)
		if (!conv_ok(&c, num, den, rnd() >> (rnd() % 64), line))
			return false;
	return true;
}

TEST(cyc2ns_matches_exact_math)
{
	/* TSC-like frequencies: ns = ticks * 10^9 / hz. */
	uint64_t hz[] = { 1000000, 1193182, 3579545, 14318180, 25000000, 100000000, 999999937,
			  1000000000, 2450123456ull, 3000000000ull, 4999999999ull, 5000000000ull,
			  7777777777ull, 10000000000ull };
	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++)
		if (!check_rate(1000000000, hz[i], __LINE__))
			return;
	for (int i = 0; i < 300; i++)
		if (!check_rate(1000000000, rnd_range(1000000, 10000000000ull), __LINE__))
			return;
	/* The references' own rates: HPET periods in fs, the PIT as 3 * 10^9 / 3579545. */
	uint32_t periods[] = { 10000000, 69841279, 41666667, 100000000, 1 };
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
		if (!check_rate(periods[i], 1000000, __LINE__))
			return;
	if (!check_rate(3000000000ull, 3579545, __LINE__))
		return;

	/* Ten years at 5 GHz, the promise in the brief, spelled out. */
	struct cyc2ns c;
	CHECK(cyc2ns_init(&c, 1000000000, 5000000000ull));
	uint64_t got = cyc2ns_apply(&c, TEN_YEARS_NS * 5);
	CHECK(got <= TEN_YEARS_NS && TEN_YEARS_NS - got <= 2);

	CHECK(!cyc2ns_init(&c, 0, 5));
	CHECK(!cyc2ns_init(&c, 5, 0));
}

TEST(rate_agreement_and_median)
{
	CHECK(rates_agree(1000000, 1000500, 500));
	CHECK(!rates_agree(1000000, 1000501, 500));
	CHECK(rates_agree(1000500, 1000000, 500));
	CHECK(rates_agree(0, 0, 0));
	CHECK(!rates_agree(0, 1, 999999));
	CHECK(rates_agree(UINT64_MAX, UINT64_MAX - 1, 1));
	CHECK_INT(rate_diff_ppm(2000000000, 2000002000), 0);   /* 999.999 ppb rounds down */
	CHECK_INT(rate_diff_ppm(2000000000, 2000004000), 1);
	CHECK_INT(rate_diff_ppm(100, 50), 500000);
	CHECK_INT(rate_diff_ppm(0, 0), 0);
	uint64_t v[3] = { 5, 9, 7 };
	int perm[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	for (int i = 0; i < 6; i++)
		CHECK_INT(median3(v[perm[i][0]], v[perm[i][1]], v[perm[i][2]]), 7);
	CHECK_INT(median3(4, 4, 9), 4);
	CHECK_INT(median3(9, 4, 9), 9);
	CHECK_INT(median3(0, 0, 3000), 0);
}

/* ---- reference counters ---- */

static uint32_t fake_raw;
static uint32_t fake_read(void)
{
	return fake_raw;
}

TEST(refclock_wraps)
{
	struct refclock pit = { .read_raw = fake_read, .mask = 0xffff, .counts_down = true };
	struct refclock pm24 = { .read_raw = fake_read, .mask = 0xffffff };
	struct refclock hpet = { .read_raw = fake_read, .mask = 0xffffffff };
	CHECK_INT(refclock_delta(&pit, 5, 0xfffb), 10);
	CHECK_INT(refclock_delta(&pit, 100, 40), 60);
	CHECK_INT(refclock_delta(&pm24, 0xfffff0, 0x10), 0x20);
	CHECK_INT(refclock_delta(&pm24, 0xff000010, 0x20), 0x10); /* stray high bits ignored */
	CHECK_INT(refclock_delta(&hpet, 0xfffffff0, 0x10), 0x20);

	/* A span over a down-counter wrapping many times, polled often enough. */
	struct ref_span s;
	fake_raw = 3;
	ref_span_start(&s, &pit);
	uint64_t total = 0;
	for (int i = 0; i < 10000; i++) {
		uint32_t step = (uint32_t)rnd_range(0, 65535);
		fake_raw = (fake_raw - step) & 0xffff;
		total += step;
		CHECK(ref_span_poll(&s) == total);
	}
	fake_raw = 0xfffffff0;
	ref_span_start(&s, &hpet);
	fake_raw = 0x30;
	CHECK_INT(ref_span_poll(&s), 0x40);
}

/* ---- timer events ---- */

#define MAXLOG 64
static struct {
	int n;
	int ids[MAXLOG];
} run_log;

struct ev {
	struct timer_event t;
	int id;
	/* What the callback does besides logging. */
	enum { DO_NOTHING, DO_REARM_SELF, DO_CANCEL_OTHER, DO_REARM_OTHER, DO_ADD_OTHER, DO_RUN } action;
	struct ev *other;
	uint64_t arg;
	int rearms_left;
	bool result;
};

static void ev_fn(struct timer_event *t, void *ctx)
{
	struct ev *e = ctx;
	CHECK(t == &e->t);
	CHECK(!t->pending);
	if (run_log.n < MAXLOG)
		run_log.ids[run_log.n++] = e->id;
	switch (e->action) {
	case DO_REARM_SELF:
		if (e->rearms_left-- > 0)
			timer_event_add(t, e->arg, ev_fn, e);
		break;
	case DO_CANCEL_OTHER:
		e->result = timer_event_cancel(&e->other->t);
		break;
	case DO_REARM_OTHER:
	case DO_ADD_OTHER:
		timer_event_add(&e->other->t, e->arg, ev_fn, e->other);
		break;
	case DO_RUN:
		timer_events_run(UINT64_MAX); /* nested: must return at once */
		break;
	default:
		break;
	}
}

static void ev_arm(struct ev *e, uint64_t deadline)
{
	timer_event_add(&e->t, deadline, ev_fn, e);
}

static bool log_is(const int *ids, int n, int line)
{
	for (int i = 0; i < n || i < run_log.n; i++) {
		int got = i < run_log.n ? run_log.ids[i] : -1, want = i < n ? ids[i] : -1;
		if (got != want) {
			unit_fail(__FILE__, line, "callback %d was event %d, expected %d (%d ran, %d expected)",
				  i, got, want, run_log.n, n);
			run_log.n = 0;
			return false;
		}
	}
	run_log.n = 0;
	return true;
}
#define LOG_IS(...)                                                                     \
	do {                                                                            \
		static const int want_[] = { __VA_ARGS__ };                             \
		if (!log_is(want_, (int)(sizeof(want_) / sizeof(want_[0])), __LINE__)) \
			return;                                                         \
	} while (0)
#define LOG_EMPTY()                                      \
	do {                                             \
		if (!log_is(NULL, 0, __LINE__))          \
			return;                          \
	} while (0)

static void reset_events(struct ev *evs, int n)
{
	for (int i = 0; i < n; i++) {
		timer_event_cancel(&evs[i].t);
		memset(&evs[i], 0, sizeof(evs[i]));
		evs[i].id = i;
	}
	run_log.n = 0;
	timer_host_cpu = 0;
}

static struct ev evs[8];

TEST(timer_order_and_equal_deadlines)
{
	reset_events(evs, 8);
	CHECK(timer_next_deadline() == UINT64_MAX);
	ev_arm(&evs[0], 50);
	ev_arm(&evs[1], 10);
	ev_arm(&evs[2], 30);
	ev_arm(&evs[3], 10);
	ev_arm(&evs[4], 20);
	ev_arm(&evs[5], 10);
	CHECK(evs[1].t.pending && evs[1].t.cpu == 0);
	CHECK_INT(timer_next_deadline(), 10);
	timer_events_run(9);
	LOG_EMPTY();
	timer_events_run(25);
	LOG_IS(1, 3, 5, 4); /* equal deadlines in arming order */
	CHECK(!evs[1].t.pending && evs[2].t.pending);
	CHECK_INT(timer_next_deadline(), 30);
	timer_events_run(30);
	LOG_IS(2);
	timer_events_run(UINT64_MAX);
	LOG_IS(0);
	CHECK(timer_next_deadline() == UINT64_MAX);
	timer_events_run(UINT64_MAX);
	LOG_EMPTY();
}

TEST(timer_cancel_and_rearm)
{
	reset_events(evs, 8);
	CHECK(!timer_event_cancel(&evs[0].t)); /* never armed */
	ev_arm(&evs[0], 100);
	ev_arm(&evs[1], 200);
	ev_arm(&evs[2], 300);
	CHECK(timer_event_cancel(&evs[1].t));
	CHECK(!timer_event_cancel(&evs[1].t));
	CHECK(!evs[1].t.pending);

	/* Re-arming a pending event moves it; it runs once. */
	ev_arm(&evs[2], 50);
	CHECK_INT(timer_next_deadline(), 50);
	ev_arm(&evs[0], 50); /* equal deadline: after event 2 */
	timer_events_run(60);
	LOG_IS(2, 0);
	CHECK(!timer_event_cancel(&evs[0].t)); /* already ran */
	CHECK(timer_next_deadline() == UINT64_MAX);

	/* Cancelling the first, a middle and the last of a list. */
	for (int i = 0; i < 5; i++)
		ev_arm(&evs[i], 10 * (uint64_t)i);
	CHECK(timer_event_cancel(&evs[0].t));
	CHECK(timer_event_cancel(&evs[2].t));
	CHECK(timer_event_cancel(&evs[4].t));
	CHECK_INT(timer_next_deadline(), 10);
	timer_events_run(UINT64_MAX);
	LOG_IS(1, 3);

	/* Re-arming to a later time. */
	ev_arm(&evs[0], 10);
	ev_arm(&evs[1], 20);
	ev_arm(&evs[0], 30);
	timer_events_run(25);
	LOG_IS(1);
	timer_events_run(30);
	LOG_IS(0);
}

TEST(timer_callback_rearms_itself)
{
	reset_events(evs, 8);
	/* A deadline already past: the re-armed event waits for the next run, no endless loop. */
	evs[0].action = DO_REARM_SELF;
	evs[0].arg = 0;
	evs[0].rearms_left = 3;
	ev_arm(&evs[0], 5);
	ev_arm(&evs[1], 6);
	timer_events_run(10);
	LOG_IS(0, 1);
	CHECK(evs[0].t.pending);
	CHECK_INT(timer_next_deadline(), 0);
	timer_events_run(10);
	LOG_IS(0);
	timer_events_run(10);
	LOG_IS(0);
	timer_events_run(10);
	LOG_IS(0);
	CHECK(!evs[0].t.pending);
	timer_events_run(10);
	LOG_EMPTY();

	/* A periodic event: one call per run even when the run is late by many periods. */
	evs[2].action = DO_REARM_SELF;
	evs[2].rearms_left = 1;
	evs[2].arg = 200;
	ev_arm(&evs[2], 100);
	timer_events_run(1000);
	LOG_IS(2);
	CHECK(evs[2].t.pending && evs[2].t.deadline_ns == 200);
	CHECK(timer_event_cancel(&evs[2].t));
}

TEST(timer_callback_cancels_and_rearms_others)
{
	reset_events(evs, 8);
	/* 0 cancels 1 (due in the same run), 2 cancels 5 (not due), 3 moves 4 (due) to later. */
	evs[0].action = DO_CANCEL_OTHER;
	evs[0].other = &evs[1];
	evs[2].action = DO_CANCEL_OTHER;
	evs[2].other = &evs[5];
	evs[3].action = DO_REARM_OTHER;
	evs[3].other = &evs[4];
	evs[3].arg = 500;
	ev_arm(&evs[0], 10);
	ev_arm(&evs[1], 11);
	ev_arm(&evs[2], 12);
	ev_arm(&evs[3], 13);
	ev_arm(&evs[4], 14);
	ev_arm(&evs[5], 400);
	ev_arm(&evs[6], 15);
	timer_events_run(100);
	LOG_IS(0, 2, 3, 6);
	CHECK(evs[0].result && evs[2].result);
	CHECK(!evs[1].t.pending && !evs[5].t.pending);
	CHECK(evs[4].t.pending);
	CHECK_INT(timer_next_deadline(), 500);

	/* A callback cancelling an event that already ran this pass gets false. */
	evs[7].action = DO_CANCEL_OTHER;
	evs[7].other = &evs[6];
	ev_arm(&evs[6], 600);
	ev_arm(&evs[7], 601);
	timer_events_run(700);
	LOG_IS(4, 6, 7);
	CHECK(!evs[7].result);

	/* A callback adding a new event due now: it runs in the next pass. */
	evs[0].action = DO_ADD_OTHER;
	evs[0].other = &evs[1];
	evs[0].arg = 0;
	ev_arm(&evs[0], 800);
	timer_events_run(800);
	LOG_IS(0);
	timer_events_run(800);
	LOG_IS(1);

	/* A nested run from a callback does nothing; the outer run finishes the list. */
	evs[2].action = DO_RUN;
	evs[3].action = DO_NOTHING;
	ev_arm(&evs[2], 900);
	ev_arm(&evs[3], 901);
	ev_arm(&evs[4], 5000);
	timer_events_run(950);
	LOG_IS(2, 3);
	CHECK(timer_event_cancel(&evs[4].t));
	CHECK(timer_next_deadline() == UINT64_MAX);
}

TEST(timer_events_move_between_cpus)
{
	reset_events(evs, 8);
	timer_host_cpu = 1;
	ev_arm(&evs[0], 10);
	CHECK_INT(evs[0].t.cpu, 1);
	timer_host_cpu = 0;
	CHECK(timer_next_deadline() == UINT64_MAX);
	CHECK(timer_event_cancel(&evs[0].t)); /* cancelled from another CPU */

	timer_host_cpu = 2;
	ev_arm(&evs[1], 20);
	ev_arm(&evs[2], 30);
	timer_host_cpu = 3;
	ev_arm(&evs[1], 25); /* re-armed on CPU 3: leaves CPU 2's list */
	CHECK_INT(evs[1].t.cpu, 3);
	timer_host_cpu = 2;
	CHECK_INT(timer_next_deadline(), 30);
	timer_events_run(100);
	LOG_IS(2);
	timer_host_cpu = 3;
	CHECK_INT(timer_next_deadline(), 25);
	timer_events_run(100);
	LOG_IS(1);

	/* An event that holds garbage is treated as never armed. */
	struct timer_event junk;
	memset(&junk, 0xa5, sizeof(junk));
	CHECK(!timer_event_cancel(&junk));
	timer_host_cpu = 0;
	timer_event_add(&junk, 5, ev_fn, &evs[7]);
	CHECK(junk.pending && junk.cpu == 0);
	CHECK(timer_event_cancel(&junk));
}

/*
 * Cancelling from one CPU while the event's callback runs on another waits for the callback:
 * the caller may free what the callback touches (a sleeping thread's stack) the moment it
 * returns.
 */
static struct timer_event slow_ev;
static volatile int slow_started, slow_done;

static void slow_fn(struct timer_event *t, void *ctx)
{
	(void)t;
	(void)ctx;
	__atomic_store_n(&slow_started, 1, __ATOMIC_RELEASE);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	__atomic_store_n(&slow_done, 1, __ATOMIC_RELEASE);
}

static void *slow_runner(void *arg)
{
	(void)arg;
	timer_host_cpu = 5;
	timer_events_run(UINT64_MAX);
	return NULL;
}

TEST(timer_cancel_waits_for_a_running_callback)
{
	slow_started = slow_done = 0;
	memset(&slow_ev, 0, sizeof(slow_ev));
	timer_host_cpu = 5;
	timer_event_add(&slow_ev, 1, slow_fn, NULL);
	timer_host_cpu = 0;
	pthread_t th;
	CHECK(pthread_create(&th, NULL, slow_runner, NULL) == 0);
	while (!__atomic_load_n(&slow_started, __ATOMIC_ACQUIRE))
		;
	CHECK(!timer_event_cancel(&slow_ev)); /* it ran: not cancelled, but finished */
	CHECK(__atomic_load_n(&slow_done, __ATOMIC_ACQUIRE) == 1);
	pthread_join(th, NULL);
}

/* ---- several CPUs at once ---- */

#define STRESS_CPUS   3
#define STRESS_EVENTS 48
#define STRESS_OPS    50000

static struct stress_ev {
	struct timer_event t;
	int armed, ran, cancelled; /* updated atomically */
} sev[STRESS_EVENTS];
static volatile bool stress_rearm = true;

static void stress_fn(struct timer_event *t, void *ctx)
{
	struct stress_ev *e = ctx;
	__atomic_fetch_add(&e->ran, 1, __ATOMIC_RELAXED);
	/* Some callbacks re-arm their own event, as periodic timers do. */
	if (stress_rearm && (e - sev) % 3 == 0) {
		__atomic_fetch_add(&e->armed, 1, __ATOMIC_RELAXED);
		timer_event_add(t, 0, stress_fn, e); /* due at this CPU's next run */
	}
}

static void *stress_thread(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;
	timer_host_cpu = cpu;
	uint64_t x = 0x1234567ull * (cpu + 1), now = 0;
	for (int i = 0; i < STRESS_OPS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		struct stress_ev *e = &sev[(x >> 8) % STRESS_EVENTS];
		switch (x % 5) {
		case 0:
		case 1:
			__atomic_fetch_add(&e->armed, 1, __ATOMIC_RELAXED);
			timer_event_add(&e->t, now + (x >> 32) % 64, stress_fn, e);
			break;
		case 2:
			if (timer_event_cancel(&e->t))
				__atomic_fetch_add(&e->cancelled, 1, __ATOMIC_RELAXED);
			break;
		case 3:
			(void)timer_next_deadline();
			break;
		default:
			timer_events_run(now);
			now += 3;
			break;
		}
	}
	return NULL;
}

TEST(timer_stress_several_cpus)
{
	memset(sev, 0, sizeof(sev));
	stress_rearm = true;
	pthread_t th[STRESS_CPUS];
	for (unsigned c = 0; c < STRESS_CPUS; c++)
		CHECK(pthread_create(&th[c], NULL, stress_thread, (void *)(uintptr_t)(c + 8)) == 0);
	for (unsigned c = 0; c < STRESS_CPUS; c++)
		pthread_join(th[c], NULL);

	/* Drain every CPU's list: each armed event ends up run or cancelled, none stays pending. */
	stress_rearm = false;
	for (unsigned c = 0; c < STRESS_CPUS; c++) {
		timer_host_cpu = c + 8;
		timer_events_run(UINT64_MAX);
		CHECK(timer_next_deadline() == UINT64_MAX);
	}
	timer_host_cpu = 0;
	long total_runs = 0;
	for (int i = 0; i < STRESS_EVENTS; i++) {
		struct stress_ev *e = &sev[i];
		CHECK(!e->t.pending && !e->t.next && !e->t.prev);
		/* Re-arming a pending event replaces it, so arms may outnumber outcomes. */
		CHECK(e->ran + e->cancelled <= e->armed);
		CHECK(e->armed == 0 || e->ran + e->cancelled >= 1);
		total_runs += e->ran;
	}
	CHECK(total_runs > 1000);
}
