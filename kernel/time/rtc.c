/*
 * The CMOS real-time clock (MC146818 and its chipset descendants): index port 0x70, data port
 * 0x71. The time registers are only coherent outside an update cycle, so they are read while
 * register A's update-in-progress bit is clear, twice, until two snapshots agree.
 */
#include "acpi/acpi.h"
#include "arch/x86_64/cpu.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "time/clocksource.h"

#define CMOS_INDEX 0x70 /* bit 7 masks NMIs on PCs: always written clear */
#define CMOS_DATA  0x71

#define REG_SEC    0x00
#define REG_MIN    0x02
#define REG_HOUR   0x04
#define REG_DAY    0x07
#define REG_MON    0x08
#define REG_YEAR   0x09
#define REG_A      0x0a
#define REG_B      0x0b
#define A_UIP      0x80

/* The first register past the clock's own (0x00-0x0d) and the end of standard CMOS. */
#define CMOS_RAM_FIRST 0x0e
#define CMOS_RAM_END   0x80

/* Index and data port accesses come in pairs; another CPU must not slip in between. */
static spinlock_t cmos_lock = SPINLOCK_INIT;

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

/* An update cycle lasts under 2 ms; a million reads (about a second) is ample. */
static bool wait_update_done(void)
{
	for (int i = 0; i < 1000000; i++)
		if (!(cmos_read(REG_A) & A_UIP))
			return true;
	return false;
}

static bool snapshot(struct rtc_regs *r, uint8_t century_reg)
{
	if (!wait_update_done())
		return false;
	r->sec = cmos_read(REG_SEC);
	r->min = cmos_read(REG_MIN);
	r->hour = cmos_read(REG_HOUR);
	r->day = cmos_read(REG_DAY);
	r->mon = cmos_read(REG_MON);
	r->year = cmos_read(REG_YEAR);
	r->century = century_reg ? cmos_read(century_reg) : 0;
	r->status_b = cmos_read(REG_B);
	return true;
}

int rtc_read(struct rtc_date *out)
{
	/* The FADT names the century register (0 = none); anything inside the clock's own is bogus. */
	uint8_t century_reg = acpi.fadt.century;
	if (century_reg < CMOS_RAM_FIRST || century_reg >= CMOS_RAM_END)
		century_reg = 0;

	struct rtc_regs a, b;
	bool settled = false;
	uint64_t flags = spin_lock_irqsave(&cmos_lock);
	bool ok = snapshot(&a, century_reg);
	for (int tries = 0; ok && !settled && tries < 8; tries++) {
		ok = snapshot(&b, century_reg);
		settled = ok && memcmp(&a, &b, sizeof(a)) == 0;
		a = b;
	}
	spin_unlock_irqrestore(&cmos_lock, flags);
	if (!settled)
		return -EIO;
	return rtc_decode(&a, out);
}
