/*
 * The pure arithmetic of kernel/time: tick-to-nanosecond conversion factors, 128-bit division,
 * calibration bookkeeping, calendar dates and CMOS register decoding. No hardware access, so
 * the host unit tests link this file as it is.
 */
#include "lib/errno.h"
#include "time/clock.h"
#include "time/clocksource.h"

uint64_t div128_64(unsigned __int128 n, uint64_t d)
{
	uint64_t hi = (uint64_t)(n >> 64), lo = (uint64_t)n, q, r;
	/* divq faults (#DE) unless the quotient fits in 64 bits, i.e. unless hi < d. */
	if (d == 0 || hi >= d)
		return UINT64_MAX;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
	return q;
}

bool cyc2ns_init(struct cyc2ns *c, uint64_t num, uint64_t den)
{
	if (num == 0 || den == 0)
		return false;
	unsigned bits = 64 - (unsigned)__builtin_clzll(num);
	unsigned __int128 limit = (unsigned __int128)den << 64; /* num << shift below this: mult < 2^64 */
	unsigned shift = 0;
	while (shift + 1 <= 128 - bits && ((unsigned __int128)num << (shift + 1)) < limit)
		shift++;
	/*
	 * The loop stopped either because doubling would push mult past 2^64 (so mult >= 2^63) or
	 * because num << shift reached bit 127 (and den < 2^64, so again mult >= 2^63).
	 */
	c->mult = div128_64((unsigned __int128)num << shift, den);
	c->shift = shift;
	return true;
}

uint32_t rate_diff_ppm(uint64_t a, uint64_t b)
{
	uint64_t hi = a > b ? a : b, diff = a > b ? a - b : b - a;
	if (hi == 0)
		return 0;
	uint64_t ppm = mul_div64(diff, 1000000, hi);
	return ppm > UINT32_MAX ? UINT32_MAX : (uint32_t)ppm;
}

bool rates_agree(uint64_t a, uint64_t b, unsigned ppm)
{
	uint64_t hi = a > b ? a : b, diff = a > b ? a - b : b - a;
	return (unsigned __int128)diff * 1000000 <= (unsigned __int128)hi * ppm;
}

uint64_t median3(uint64_t a, uint64_t b, uint64_t c)
{
	if (a > b) {
		uint64_t t = a;
		a = b;
		b = t;
	}
	/* Now a <= b: the median is b, unless c lies below it; then the larger of a and c. */
	if (c >= b)
		return b;
	return c > a ? c : a;
}

/* ---- calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years among 1..y (for y < 0 it goes negative consistently: year 0 is a leap year). */
static int64_t leaps_through(int64_t y)
{
	return floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400);
}

static const uint16_t days_before_month[12] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
};

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const uint8_t len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return len[m - 1] + (m == 2 && is_leap(y));
}

/* m must be 1..12 (INT64_MIN otherwise); d is taken as given, so day 0 or 32 just spill over. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	if (m < 1 || m > 12)
		return INT64_MIN;
	/* Whole years since 1970 plus the leap days in between, then the days into year y. */
	int64_t days = (y - 1970) * 365 + leaps_through(y - 1) - leaps_through(1969);
	days += days_before_month[m - 1] + (m > 2 && is_leap(y)) + (int64_t)d - 1;
	return days;
}

int64_t rtc_date_to_unix(const struct rtc_date *d)
{
	return days_from_civil(d->year, d->mon, d->day) * 86400 + d->hour * 3600 + d->min * 60 + d->sec;
}

/* ---- CMOS registers ---- */

int rtc_bcd_to_bin(uint8_t v)
{
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static int field(uint8_t v, bool bcd)
{
	return bcd ? rtc_bcd_to_bin(v) : v;
}

int rtc_hour_24(uint8_t raw, bool bcd, bool h24)
{
	if (h24) {
		int h = field(raw, bcd);
		return h >= 0 && h <= 23 ? h : -1;
	}
	int h = field(raw & 0x7f, bcd);
	if (h < 1 || h > 12)
		return -1;
	/* 12 AM is midnight and 12 PM noon: 12 folds to 0 before PM adds 12. */
	return h % 12 + ((raw & 0x80) ? 12 : 0);
}

int rtc_decode(const struct rtc_regs *r, struct rtc_date *out)
{
	bool bcd = !(r->status_b & RTC_B_BINARY);
	int sec = field(r->sec, bcd), min = field(r->min, bcd), day = field(r->day, bcd);
	int mon = field(r->mon, bcd), yy = field(r->year, bcd);
	int hour = rtc_hour_24(r->hour, bcd, r->status_b & RTC_B_24H);
	/* Without a century register (or with nonsense in it) assume 20xx. */
	int century = 20;
	if (r->century) {
		int c = field(r->century, bcd);
		if (c >= 19 && c <= 99)
			century = c;
	}
	if (sec < 0 || sec > 59 || min < 0 || min > 59 || hour < 0 || yy < 0 || yy > 99)
		return -EINVAL;
	if (mon < 1 || mon > 12)
		return -EINVAL;
	int64_t year = century * 100 + yy;
	if (day < 1 || (unsigned)day > days_in_month(year, (unsigned)mon))
		return -EINVAL;
	*out = (struct rtc_date){
		.year = year, .mon = (unsigned)mon, .day = (unsigned)day,
		.hour = (unsigned)hour, .min = (unsigned)min, .sec = (unsigned)sec,
	};
	return 0;
}
