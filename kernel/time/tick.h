/*
 * The periodic tick: the local APIC timer on every CPU, or PIT channel 0 on IRQ 0 when the
 * kernel runs on the 8259 PIC (acpi=off, noapic). Each tick counts in this_cpu()->ticks and runs
 * the expired timer events.
 */
#pragma once

/* Starts the tick on the boot CPU (and sets up the other CPUs' for when they come online). */
void tick_init(void);
