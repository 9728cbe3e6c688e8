/*
 * 8254 PIT channel 2 as a reference clock (Intel 82C54 datasheet): channel 2 is the one whose
 * gate software controls (port 0x61 bit 0) and whose output only reaches the speaker, so it can
 * free-run as a 16-bit down-counter at 1.193182 MHz without raising interrupts. Read by
 * latching the count (counter-latch command) and reading it low byte first.
 */
#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "lib/spinlock.h"
#include "time/clocksource.h"

#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PORT_B       0x61 /* bit 0: channel 2 gate, bit 1: speaker data enable */

/* Channel 2, low then high byte, mode 2 (rate generator), binary. */
#define CMD_CH2_MODE2 0xb4
/* Counter latch for channel 2. */
#define CMD_CH2_LATCH 0x80

/* The latch command and the two byte reads must not interleave with another CPU's. */
static spinlock_t pit_lock = SPINLOCK_INIT;

static uint32_t pit_read_raw(void)
{
	uint64_t flags = spin_lock_irqsave(&pit_lock);
	outb(PIT_CMD, CMD_CH2_LATCH);
	uint32_t lo = inb(PIT_CH2);
	uint32_t hi = inb(PIT_CH2);
	spin_unlock_irqrestore(&pit_lock, flags);
	return lo | hi << 8;
}

bool pit_probe(struct refclock *r)
{
	static bool probed, present;
	static struct refclock pit;
	if (probed) {
		if (present)
			*r = pit;
		return present;
	}
	probed = true;

	uint64_t flags = spin_lock_irqsave(&pit_lock);
	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_CMD, CMD_CH2_MODE2);
	outb(PIT_CH2, 0); /* reload value 0 = 65536: the full 16-bit range */
	outb(PIT_CH2, 0);
	spin_unlock_irqrestore(&pit_lock, flags);

	/* A tick is 838 ns; a latch plus two reads takes a few microseconds. */
	uint32_t first = pit_read_raw();
	bool moving = false;
	for (int i = 0; i < 10000 && !moving; i++)
		moving = pit_read_raw() != first;
	if (!moving) {
		pr_warn("pit: channel 2 does not count; no PIT\n");
		return false;
	}

	pit = (struct refclock){
		.name = "PIT", .id = CLOCK_REF_PIT, .read_raw = pit_read_raw, .mask = 0xffff,
		.counts_down = true,
		.num = 3000000000ull, .den = 3579545, /* 1.193182 MHz = 14.31818 MHz / 12 */
	};
	cyc2ns_init(&pit.to_ns, pit.num, pit.den);
	present = true;
	*r = pit;
	pr_info("pit: channel 2 free-running at 1.193 MHz\n");
	return true;
}
