/* Per-CPU run queues (internal to kernel/sched). */
#pragma once

#include "sched/sched.h"

#define RT_PRIOS 100

struct runqueue {
	spinlock_t lock;
	unsigned cpu;
	struct thread *idle;
	/* Real time: one FIFO list per priority, and a bitmap of non-empty lists. */
	struct thread *rt_head[RT_PRIOS], *rt_tail[RT_PRIOS];
	uint64_t rt_bitmap[2];
	/* Time sharing: sorted by vruntime (FIXME: a tree when queues get long). */
	struct thread *fair_head;
	uint64_t min_vruntime;
	uint64_t fair_weight;   /* total weight of runnable fair threads, running one included */
	unsigned nr_running;    /* runnable threads here, running one included, idle excluded */
	uint64_t ticks;
	uint64_t enqueues;      /* bumped by every enqueue: "the queue may hold something new" */
	/* The last balancing attempt that found nothing to take: from which CPU, at which count
	 * of that CPU's enqueues. Until that count moves, looking again would find nothing too. */
	unsigned pull_failed_cpu;
	uint64_t pull_failed_enqueues;
	uint64_t wakeup_preempts; /* wake-ups that took the CPU from the running thread */
	/* For /proc: time in the idle thread (up to its last accounting), when this CPU started
	 * scheduling, and the context switches it made. */
	uint64_t idle_ns;
	uint64_t start_ns;
	uint64_t nr_switches;
};

extern struct runqueue runqueues[];

/* The RT priority a thread is scheduled at (0: time sharing), inheritance included. */
static inline int thread_eff_prio(const struct thread *t)
{
	int p = t->policy == SCHED_OTHER ? 0 : t->rt_priority;
	return t->pi_priority > p ? t->pi_priority : p;
}

struct trap_frame;

/* Sets the inherited priority (0: none), re-sorting the thread if it is queued. */
void sched_set_pi_priority(struct thread *t, int prio);
void sched_rq_remove(struct runqueue *rq, struct thread *t);
void sched_rq_add(struct runqueue *rq, struct thread *t);
void sched_rq_account_running(struct runqueue *rq, struct thread *t, bool add);
void sched_kick(unsigned cpu);
void sched_migrate_current(void);
void sched_resched_ipi(struct trap_frame *tf);
void sched_start(void);
__noreturn void sched_idle_loop(void);
/* From CPU 0's tick: samples the load average every 5 s (loadavg.c). */
void sched_loadavg_tick(uint64_t now);
unsigned sched_nr_running(void);
void sched_finish_switch(void);
