/* Starting the periodic tick from whichever timer the interrupt layer can use. */
#include "time/tick.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "console/console.h"
#include "irq/irq.h"
#include "irq/irq_internal.h"
#include "sched/sched.h"
#include "time/clock.h"
#include "time/timer.h"

#define PIT_HZ  1193182u
#define PIT_CH0 0x40
#define PIT_CMD 0x43

static enum irq_return pit_tick(void *ctx)
{
	(void)ctx;
	this_cpu()->ticks++;
	timer_events_run(clock_monotonic_ns());
	sched_tick();
	return IRQ_HANDLED;
}

void tick_init(void)
{
	if (irq_mode == IRQ_MODE_APIC) {
		lapic_timer_calibrate();
		lapic_timer_start();
		return;
	}
	uint16_t divisor = (uint16_t)(PIT_HZ / LAPIC_TIMER_HZ);
	outb(PIT_CMD, 0x34); /* channel 0, lo/hi byte, mode 2 (rate generator) */
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
	unsigned flags;
	unsigned gsi = irq_isa_to_gsi(0, &flags);
	if (irq_request(gsi, pit_tick, NULL, flags, "timer (PIT)") < 0)
		pr_err("tick: cannot attach the PIT to IRQ %u\n", gsi);
	else
		pr_info("tick: PIT at %u Hz on IRQ %u\n", LAPIC_TIMER_HZ, gsi);
}
