/*
 * Symmetric multiprocessing: starting the other CPUs listed in the MADT, running functions on
 * them through IPIs, and TLB shootdown.
 */
#pragma once

#include "lib/types.h"

/* Starts every enabled CPU of the MADT; a CPU that does not come up is reported and skipped. */
void smp_init(void);
/* Runs fn(arg) on CPU cpu (by IPI; directly when it is this CPU) and waits for it to finish. */
int smp_call_on(unsigned cpu, void (*fn)(void *), void *arg);
/* Runs fn(arg) on every other online CPU and waits for all of them. */
void smp_call_others(void (*fn)(void *), void *arg);
/* Services calls queued for this CPU (for loops that wait with interrupts off). */
void smp_poll(void);
