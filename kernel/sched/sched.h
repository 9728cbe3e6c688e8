/*
 * Threads and the scheduler. Every CPU has a run queue with two classes:
 *   - real time, SCHED_FIFO and SCHED_RR, priorities 1..99, always before time sharing;
 *     FIFO runs until it blocks or yields, RR rotates every SCHED_RR_SLICE_NS;
 *   - time sharing, SCHED_OTHER, by virtual runtime (vruntime grows by real runtime * 1024 / weight,
 *     weight from nice -20..19, each step x1.25): the lowest vruntime runs next, so CPU shares
 *     follow the weights. Formulas in sched_math.h and docs/ARCHITECTURE.md.
 * Preemption happens at interrupt return when this CPU's need_resched is set and no spinlock is
 * held. Affinity masks bind placement, wake-up and migration; the periodic and idle balancers
 * pull queued threads from the busiest CPU.
 */
#pragma once

#include "lib/compiler.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "lib/work.h"

#define SCHED_OTHER 0
#define SCHED_FIFO  1
#define SCHED_RR    2

#define SCHED_RR_SLICE_NS 20000000ull

enum thread_state { THREAD_RUNNABLE, THREAD_SLEEPING, THREAD_DEAD };

struct waitqueue;
struct mutex;
struct uthread;

struct thread {
	uint64_t rsp;             /* saved stack pointer while switched out (context_switch) */
	unsigned tid;
	char name[24];
	spinlock_t lock;          /* state, on_rq/on_cpu transitions, priority changes */
	enum thread_state state;
	int policy;
	int nice;
	int rt_priority;          /* 1..99 for FIFO/RR */
	int pi_priority;          /* inherited RT priority (0: none) */
	uint32_t weight;
	uint64_t vruntime;
	uint64_t affinity;        /* bit n: may run on CPU n */
	unsigned cpu;             /* where it runs or last ran / is queued */
	bool on_cpu;              /* running, or still switching out */
	bool on_rq;               /* queued on cpus[cpu]'s run queue */
	bool switching_out;       /* schedule() took it off the CPU to sleep; wakers wait for on_cpu */
	bool migrate_pending;     /* runnable, but its affinity excludes the CPU it was on */
	struct thread *rq_next, *rq_prev;

	void *stack;              /* vmalloc'd: guard pages on both sides */
	size_t stack_size;
	void *fpu;                /* FPU/SSE/AVX state, 64-byte aligned */

	uint64_t exec_start_ns;   /* when it last got the CPU */
	uint64_t slice_start_ns;  /* start of its current slice (RR rotation, fair slices) */

	/* Statistics for /proc later. */
	uint64_t runtime_ns;
	uint64_t switches;
	uint64_t migrations;
	uint64_t ran_on_mask;     /* every CPU it ever ran on */

	/* Mutexes: what it holds (for priority inheritance) and waits for. */
	struct mutex *held;
	struct mutex *blocked_on;

	/* Exit and join. */
	int exit_code;
	struct waitqueue *exit_wq;
	bool detached;            /* freed by the worker once dead and switched out (no join) */
	struct work reap;
	struct thread *all_next;

	struct uthread *uth;      /* user-side state of a user thread; NULL for kernel threads */
};

struct thread_attr {
	int policy;        /* SCHED_OTHER (default), SCHED_FIFO, SCHED_RR */
	int priority;      /* 1..99 for FIFO/RR */
	int nice;          /* -20..19 for SCHED_OTHER */
	uint64_t affinity; /* 0 = every CPU */
};

/* Creates a thread that runs fn(arg) and starts it. NULL when out of memory or attr is bad. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, const struct thread_attr *attr);
__noreturn void thread_exit(int code);
/* Waits for t to exit, frees it, returns its exit code. */
int thread_join(struct thread *t);
void thread_yield(void);
/* Every thread's state and, if switched out, its backtrace, on the console (hang reports). */
void sched_dump_threads(void);
/* Sleeps at least ns (on the timer-event API). */
void thread_sleep_ns(uint64_t ns);
int thread_set_nice(struct thread *t, int nice);
int thread_set_affinity(struct thread *t, uint64_t mask);
int thread_set_scheduler(struct thread *t, int policy, int priority);
/* Run time including the current slice. */
uint64_t thread_runtime_ns(struct thread *t);

/* Nobody will join t: it is freed after it exits. */
void thread_detach(struct thread *t);
/* Creates a thread like thread_create but leaves it asleep (the caller wakes it with thread_wake). */
struct thread *thread_create_stopped(const char *name, void (*fn)(void *), void *arg,
				     const struct thread_attr *attr);
/* Reserved at the top of every kernel stack: a user thread's saved registers (struct trap_frame). */
#define THREAD_USER_FRAME_SIZE 176
/* Top of t's kernel stack. */
static inline uint64_t thread_stack_top(const struct thread *t)
{
	return (uint64_t)t->stack + t->stack_size;
}
/* Called on every switch, before the next thread runs (user processes load their address space). */
extern void (*sched_switch_hook)(struct thread *next);

/* Switches to the most important runnable thread of this CPU (maybe the caller). */
void schedule(void);
/* Makes a sleeping thread runnable; false if it was not sleeping. Safe from interrupts. */
bool thread_wake(struct thread *t);

/* The boot CPU: the running kmain becomes the thread "main"; idle threads exist from here on. */
void sched_init(void);
/* An application processor: its idle thread; never returns. */
__noreturn void sched_start_ap(void);
/* From each CPU's tick: run-time accounting, slice expiry, periodic balancing. */
void sched_tick(void);
/* At interrupt return: switch if need_resched and preemption is allowed. */
void sched_preempt_irq(void);

/* Totals for /proc (loadavg, stat). */
struct sched_stats {
	unsigned threads;   /* threads that exist, idle ones excluded (exited, unjoined ones too) */
	unsigned running;   /* runnable threads, running ones included */
	unsigned last_tid;  /* the newest thread's id */
	uint64_t created;   /* threads created since boot */
	uint64_t switches;  /* context switches since boot, every CPU */
};
void sched_get_stats(struct sched_stats *out);
/* Time CPU cpu spent in its idle thread, and since it started scheduling. */
uint64_t sched_cpu_idle_ns(unsigned cpu);
uint64_t sched_cpu_uptime_ns(unsigned cpu);
uint64_t sched_nr_switches(void);
/* The 1, 5 and 15-minute load averages in Linux's fixed point (SCHED_FSHIFT, sched_math.h). */
void sched_loadavg(unsigned long avg[3]);

/* Priority inheritance on mutexes (on by default; the ktest switches it off to show the stall). */
extern bool sched_pi_enabled;

#define SCHED_IPI_VECTOR 0xf2
