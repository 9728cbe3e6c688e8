/*
 * TSC calibration against the 8254 PIT: channel 2 counts down a known interval in mode 0
 * (its output goes high at zero, readable in port 0x61 bit 5) while we read the TSC.
 * FIXME: the timer issue adds HPET/PM-timer references and invariant-TSC detection.
 */
#include "arch/x86_64/tsc.h"

#include "arch/x86_64/cpu.h"

#define PIT_HZ       1193182ull
#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PORT_B       0x61
#define CALIBRATE_MS 50

uint64_t tsc_hz;

uint64_t tsc_calibrate_pit(void)
{
	uint64_t count = PIT_HZ * CALIBRATE_MS / 1000; /* 59659: fits the 16-bit counter */
	uint8_t b = inb(PORT_B);
	outb(PORT_B, (b & ~0x02) | 0x01);           /* gate on, speaker off */
	outb(PIT_CMD, 0xb0);                         /* channel 2, lo/hi byte, mode 0, binary */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, (count >> 8) & 0xff);

	uint64_t start = rdtsc(), end = start;
	/* Bounded: give up after ~1e9 cycles' worth of polling if the PIT never fires. */
	for (uint64_t spins = 0; !(inb(PORT_B) & 0x20); spins++) {
		end = rdtsc();
		if (spins > 50000000)
			return 0;
	}
	end = rdtsc();
	outb(PORT_B, b);
	tsc_hz = (end - start) * 1000 / CALIBRATE_MS;
	return tsc_hz;
}

uint64_t tsc_to_ns(uint64_t cycles)
{
	if (!tsc_hz)
		return 0;
	/* Split to avoid overflow for large cycle counts. */
	return cycles / tsc_hz * 1000000000ull + cycles % tsc_hz * 1000000000ull / tsc_hz;
}
