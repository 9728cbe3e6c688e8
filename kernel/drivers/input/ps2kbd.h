/* The PS/2 keyboard behind an i8042 controller: key presses become console input. */
#pragma once

#include "lib/types.h"

/*
 * Probes the i8042 (every wait bounded, so a machine without one costs a few milliseconds),
 * resets the keyboard and takes ISA IRQ 1. 0, or -ENODEV (no controller or no keyboard),
 * -EIO (a self-test failed) or the error from irq_request.
 */
int ps2kbd_init(void);

/* What the driver has seen, for tests and diagnostics. */
struct ps2kbd_stats {
	bool present; /* ps2kbd_init succeeded */
	uint64_t irqs;  /* interrupts that found data */
	uint64_t bytes; /* scan code bytes read in them */
};
void ps2kbd_get_stats(struct ps2kbd_stats *out);
