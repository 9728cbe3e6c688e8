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
/* The same for the CPUs in mask (bit n: CPU n; the caller is skipped). */
void smp_call_mask(uint64_t mask, void (*fn)(void *), void *arg);
/* Invalidates [va, va+len) on the CPUs in mask (not the caller). */
void smp_flush_tlb_mask(uint64_t mask, vaddr_t va, size_t len);
/* Services calls queued for this CPU (for loops that wait with interrupts off). */
void smp_poll(void);
