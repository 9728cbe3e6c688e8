/*
 * The time-stamp counter: its rate, measured by clock_init (kernel/time/clock.c) against the
 * best reference timer, and the conversion of cycle counts to nanoseconds.
 */
#pragma once

#include "arch/x86_64/cpu.h"
#include "lib/types.h"

extern uint64_t tsc_hz; /* 0 until calibrated */

/* rdtsc that does not run ahead of earlier instructions (lfence), for time stamps. */
static inline uint64_t tsc_read_ordered(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return rdtsc();
}

/* Sets tsc_hz and the conversion tsc_to_ns uses (clock_init calls it). */
void tsc_set_hz(uint64_t hz);
/* Converts a TSC difference to nanoseconds (0 when uncalibrated); no division. */
uint64_t tsc_to_ns(uint64_t cycles);
/* CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every P-, C- and T-state. */
bool tsc_is_invariant(void);

