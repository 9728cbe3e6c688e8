/* The per-CPU areas. */
#include "arch/x86_64/percpu.h"

#include "arch/x86_64/cpu.h"

struct cpu cpus[MAX_CPUS];
unsigned cpu_count = 1;

void percpu_init(unsigned id)
{
	struct cpu *c = &cpus[id];
	c->self = c;
	c->id = id;
	if (id == 0)
		c->online = true; /* the boot CPU; the others say so when they have started */
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(0xc0000102, 0); /* KERNEL_GS_BASE: user GS until swapgs (user processes later) */
}
