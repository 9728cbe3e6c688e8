/*
 * The local APIC of each CPU, in xAPIC (MMIO) or x2APIC (MSR) mode: end of interrupt, IPIs,
 * and the per-CPU timer, calibrated once against the reference clock.
 */
#pragma once

#include "lib/types.h"

#define LAPIC_TIMER_HZ 250

extern bool lapic_x2apic;      /* x2APIC mode in use */
extern uint64_t lapic_timer_hz; /* timer input clock (after the divide-by-16) */

/* The boot CPU's set-up: mode, MMIO mapping, then lapic_init_cpu. */
void lapic_init(paddr_t mmio);
/* Per CPU: enable, spurious/error vectors, LINT NMI wiring from the MADT. */
void lapic_init_cpu(void);
uint32_t lapic_id(void);
void lapic_eoi(void);

/* Calibrates the timer (boot CPU) and starts the periodic tick on this CPU. */
void lapic_timer_calibrate(void);
void lapic_timer_start(void);
uint32_t lapic_timer_current(void);
/* Measures the timer's input clock against the reference over ms (then restarts the tick). */
uint64_t lapic_timer_measure_hz(unsigned ms);

enum ipi_kind { IPI_FIXED, IPI_NMI, IPI_INIT, IPI_STARTUP };
/* Sends an IPI and waits (bounded) for the APIC to accept it; false if it never did. */
bool lapic_send_ipi(uint32_t apic_id, enum ipi_kind kind, uint8_t vector);
bool lapic_send_ipi_all_but_self(uint8_t vector);
