/*
 * Per-CPU data: each CPU's struct cpu is reached through its GS base (gs:0 holds a pointer to
 * itself), so this_cpu() is one instruction and needs no lock.
 */
#pragma once

#include "lib/types.h"

#define MAX_CPUS 64

struct tss;

struct cpu {
	struct cpu *self;        /* gs:0 */
	unsigned id;             /* logical number, 0 = the boot CPU */
	uint32_t apic_id;
	bool online;
	uint64_t kernel_stack;   /* top of this CPU's boot/idle stack */
	uint64_t ticks;          /* local timer interrupts */
	uint64_t ipis;           /* IPIs received */
	/* Topology from CPUID. */
	uint32_t package, core, thread;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned cpu_count;     /* CPUs online */

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

static inline unsigned cpu_id(void)
{
	return this_cpu()->id;
}

/* Points this CPU's GS base at cpus[id] (the boot CPU calls it first thing). */
void percpu_init(unsigned id);
