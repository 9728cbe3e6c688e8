/*
 * Per-CPU data: each CPU's struct cpu is reached through its GS base (gs:0 holds a pointer to
 * itself), so this_cpu() is one instruction and needs no lock.
 */
#pragma once

/* Offsets the system-call entry (syscall_entry.S) uses; checked below. */
#define PERCPU_KERNEL_RSP 24
#define PERCPU_USER_RSP   32

#ifndef __ASSEMBLER__
#include "lib/types.h"

#define MAX_CPUS 64

struct tss;
struct thread;
struct runqueue;

struct cpu {
	struct cpu *self;        /* gs:0 */
	uint32_t preempt_count;  /* gs:8; >0: no preemption (spinlocks held, scheduler running) */
	unsigned id;             /* logical number, 0 = the boot CPU */
	struct thread *current;  /* the thread running here */
	uint64_t kernel_rsp;     /* gs:24: top of current's kernel stack (SYSCALL switches to it) */
	uint64_t user_rsp;       /* gs:32: the user stack pointer while SYSCALL entry saves it */
	struct runqueue *rq;
	volatile bool need_resched; /* a more important thread is waiting: switch at the next chance */
	struct thread *switch_prev; /* the thread being switched away from (see sched_finish_switch) */
	uint32_t apic_id;
	bool online;
	uint64_t kernel_stack;   /* top of this CPU's boot/idle stack */
	volatile uint64_t active_root; /* the page-table root loaded (pgt_activate), for shootdowns */
	uint64_t ticks;          /* local timer interrupts */
	uint64_t ipis;           /* IPIs received */
	/* Topology from CPUID. */
	uint32_t package, core, thread;
};

_Static_assert(__builtin_offsetof(struct cpu, preempt_count) == 8, "preempt_count is at gs:8");
_Static_assert(__builtin_offsetof(struct cpu, kernel_rsp) == PERCPU_KERNEL_RSP, "syscall_entry.S");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == PERCPU_USER_RSP, "syscall_entry.S");

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

static inline struct thread *current_thread(void)
{
	return this_cpu()->current;
}

/* Points this CPU's GS base at cpus[id] (the boot CPU calls it first thing). */
void percpu_init(unsigned id);
#endif /* __ASSEMBLER__ */
