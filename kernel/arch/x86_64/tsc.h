/* The time-stamp counter as a clock: calibrated once against the PIT. */
#pragma once

#include "lib/types.h"

extern uint64_t tsc_hz; /* 0 until calibrated */

/* Measures the TSC rate over 50 ms of PIT channel 2; returns it (Hz), or 0 on failure. */
uint64_t tsc_calibrate_pit(void);
/* Converts a TSC difference to nanoseconds (0 when uncalibrated). */
uint64_t tsc_to_ns(uint64_t cycles);
