/* Thread life cycle: creation with a guarded stack, start, exit, join; scheduler set-up. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "debug/backtrace.h"
#include "debug/panic.h"
#include "irq/irq_internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/vmm.h"
#include "sched/runqueue.h"
#include "sched/sched_math.h"
#include "sched/wait.h"
#include "time/clock.h"
#include "time/timer.h"

#define THREAD_STACK_SIZE (16 * 1024)

extern void thread_trampoline(void);
void sched_finish_switch(void);

static struct kmem_cache *thread_cache, *fpu_cache;
static void prepare_stack(struct thread *t, void (*fn)(void *), void *arg);
static unsigned next_tid = 1;
static uint64_t nr_created; /* by thread_create since boot (Linux's "processes") */
static struct thread *all_threads;
static spinlock_t all_lock = SPINLOCK_INIT;
bool sched_pi_enabled = true;

static bool attr_valid(const struct thread_attr *a)
{
	if (a->policy == SCHED_OTHER)
		return a->nice >= -20 && a->nice <= 19;
	if (a->policy == SCHED_FIFO || a->policy == SCHED_RR)
		return a->priority >= 1 && a->priority <= 99;
	return false;
}

static uint64_t all_cpus_mask(void)
{
	return cpu_count >= 64 ? ~0ull : (1ull << cpu_count) - 1;
}

static struct thread *thread_alloc(const char *name)
{
	struct thread *t = kmem_cache_alloc(thread_cache);
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	strlcpy(t->name, name, sizeof(t->name));
	t->lock = (spinlock_t)SPINLOCK_INIT;
	t->weight = NICE_0_WEIGHT;
	t->affinity = ~0ull;
	t->exit_wq = kmalloc(sizeof(struct waitqueue));
	if (!t->exit_wq) {
		kmem_cache_free(thread_cache, t);
		return NULL;
	}
	waitqueue_init(t->exit_wq);
	uint64_t irq = spin_lock_irqsave(&all_lock);
	t->tid = next_tid++;
	t->all_next = all_threads;
	all_threads = t;
	spin_unlock_irqrestore(&all_lock, irq);
	return t;
}

/*
 * Freed kernel stacks are kept for reuse: vfree must flush the TLB on every CPU, which at one
 * process exit after another (fork-heavy loads) costs more than the stacks' memory.
 */
#define STACK_CACHE 32
static void *stack_cache[STACK_CACHE];
static unsigned stack_cached;
static spinlock_t stack_cache_lock = SPINLOCK_INIT;

static void *stack_alloc(void)
{
	uint64_t irq = spin_lock_irqsave(&stack_cache_lock);
	void *s = stack_cached ? stack_cache[--stack_cached] : NULL;
	spin_unlock_irqrestore(&stack_cache_lock, irq);
	return s ? s : vmalloc(THREAD_STACK_SIZE);
}

static void stack_free(void *s)
{
	uint64_t irq = spin_lock_irqsave(&stack_cache_lock);
	bool kept = stack_cached < STACK_CACHE;
	if (kept)
		stack_cache[stack_cached++] = s;
	spin_unlock_irqrestore(&stack_cache_lock, irq);
	if (!kept)
		vfree(s);
}

static void thread_free(struct thread *t)
{
	uint64_t irq = spin_lock_irqsave(&all_lock);
	for (struct thread **p = &all_threads; *p; p = &(*p)->all_next)
		if (*p == t) {
			*p = t->all_next;
			break;
		}
	spin_unlock_irqrestore(&all_lock, irq);
	if (t->stack)
		stack_free(t->stack);
	if (t->fpu)
		kmem_cache_free(fpu_cache, t->fpu);
	kfree(t->exit_wq);
	kmem_cache_free(thread_cache, t);
}

/* First code of every new thread (called from thread_trampoline). */
__noreturn void thread_start(void (*fn)(void *), void *arg);
__noreturn void thread_start(void (*fn)(void *), void *arg)
{
	sched_finish_switch();
	this_cpu()->preempt_count--;
	irq_enable();
	fn(arg);
	thread_exit(0);
}

static struct thread *create(const char *name, void (*fn)(void *), void *arg, const struct thread_attr *attr,
			     bool start);

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, const struct thread_attr *attr)
{
	return create(name, fn, arg, attr, true);
}

struct thread *thread_create_stopped(const char *name, void (*fn)(void *), void *arg,
				     const struct thread_attr *attr)
{
	return create(name, fn, arg, attr, false);
}

static void reap_fn(struct work *w)
{
	struct thread *t = (struct thread *)((char *)w - __builtin_offsetof(struct thread, reap));
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		cpu_pause();
	thread_free(t);
}

void thread_detach(struct thread *t)
{
	t->reap.fn = reap_fn;
	__atomic_store_n(&t->detached, true, __ATOMIC_RELEASE);
}

static struct thread *create(const char *name, void (*fn)(void *), void *arg, const struct thread_attr *attr,
			     bool start)
{
	struct thread_attr defaults = { 0 };
	if (!attr)
		attr = &defaults;
	if (!attr_valid(attr))
		return NULL;
	struct thread *t = thread_alloc(name);
	if (!t)
		return NULL;
	t->stack = stack_alloc();
	t->fpu = kmem_cache_alloc(fpu_cache);
	if (!t->stack || !t->fpu) {
		thread_free(t);
		return NULL;
	}
	t->stack_size = THREAD_STACK_SIZE;
	fpu_init_state(t->fpu);
	t->policy = attr->policy;
	t->rt_priority = attr->policy == SCHED_OTHER ? 0 : attr->priority;
	t->nice = attr->policy == SCHED_OTHER ? attr->nice : 0;
	t->weight = sched_nice_to_weight(t->nice);
	t->affinity = attr->affinity ? attr->affinity : ~0ull;
	if (!(t->affinity & all_cpus_mask())) {
		thread_free(t);
		return NULL;
	}
	t->cpu = cpu_id();
	t->vruntime = runqueues[cpu_id()].min_vruntime;

	prepare_stack(t, fn, arg);

	t->state = THREAD_SLEEPING;
	__atomic_add_fetch(&nr_created, 1, __ATOMIC_RELAXED);
	if (start)
		thread_wake(t);
	return t;
}

__noreturn void thread_exit(int code)
{
	struct thread *t = current_thread();
	irq_disable(); /* no preemption between DEAD and the final switch */
	uint64_t irq = spin_lock_irqsave(&t->lock);
	t->exit_code = code;
	t->state = THREAD_DEAD;
	spin_unlock_irqrestore(&t->lock, irq);
	wake_up_all(t->exit_wq);
	schedule();
	panic("thread_exit: a dead thread ran again");
}

int thread_join(struct thread *t)
{
	wait_event(t->exit_wq, __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == THREAD_DEAD);
	/* Its last switch may still be in progress on another CPU. */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		cpu_pause();
	int code = t->exit_code;
	thread_free(t);
	return code;
}

void thread_yield(void)
{
	schedule();
}

static void sleep_done(struct timer_event *ev, void *ctx)
{
	(void)ev;
	thread_wake(ctx);
}

void thread_sleep_ns(uint64_t ns)
{
	struct thread *me = current_thread();
	struct timer_event ev = { 0 };
	uint64_t deadline = clock_monotonic_ns() + ns;
	while (clock_monotonic_ns() < deadline) {
		uint64_t irq = spin_lock_irqsave(&me->lock);
		me->state = THREAD_SLEEPING;
		spin_unlock_irqrestore(&me->lock, irq);
		timer_event_add(&ev, deadline, sleep_done, me);
		schedule();
		timer_event_cancel(&ev);
	}
}

/* Changes scheduling parameters of a thread that may be queued: out of the queue and back. */
static int requeue_with(struct thread *t, void (*change)(struct thread *t, const void *arg), const void *arg)
{
	uint64_t irq = spin_lock_irqsave(&t->lock);
	struct runqueue *rq;
	for (;;) { /* the balancer may move a queued thread between reading t->cpu and locking */
		rq = &runqueues[t->cpu];
		spin_lock_raw(&rq->lock);
		if (rq == &runqueues[t->cpu])
			break;
		spin_unlock_raw(&rq->lock);
	}
	bool queued = t->on_rq;
	if (queued) {
		/* dequeue/enqueue are static in sched.c; go through the shared helpers. */
		sched_rq_remove(rq, t);
	}
	bool running = t->on_cpu && !t->switching_out && cpus[t->cpu].current == t;
	if (running)
		sched_rq_account_running(rq, t, false);
	change(t, arg);
	if (running)
		sched_rq_account_running(rq, t, true);
	if (queued)
		sched_rq_add(rq, t);
	spin_unlock_raw(&rq->lock);
	unsigned cpu = t->cpu;
	spin_unlock_irqrestore(&t->lock, irq);
	cpus[cpu].need_resched = true; /* let the next tick or interrupt reconsider */
	if (cpu != cpu_id())
		sched_kick(cpu);
	return 0;
}

static void set_nice_fn(struct thread *t, const void *arg)
{
	t->nice = *(const int *)arg;
	t->weight = sched_nice_to_weight(t->nice);
}

int thread_set_nice(struct thread *t, int nice)
{
	if (nice < -20 || nice > 19)
		return -EINVAL;
	return requeue_with(t, set_nice_fn, &nice);
}

struct sched_params {
	int policy, priority;
};

static void set_sched_fn(struct thread *t, const void *arg)
{
	const struct sched_params *p = arg;
	t->policy = p->policy;
	t->rt_priority = p->policy == SCHED_OTHER ? 0 : p->priority;
}

int thread_set_scheduler(struct thread *t, int policy, int priority)
{
	struct thread_attr a = { .policy = policy, .priority = priority };
	if (!attr_valid(&a))
		return -EINVAL;
	struct sched_params p = { policy, priority };
	return requeue_with(t, set_sched_fn, &p);
}

static void set_pi_fn(struct thread *t, const void *arg)
{
	t->pi_priority = *(const int *)arg;
}

void sched_set_pi_priority(struct thread *t, int prio)
{
	if (t->pi_priority != prio)
		requeue_with(t, set_pi_fn, &prio);
}

int thread_set_affinity(struct thread *t, uint64_t mask)
{
	if (!(mask & all_cpus_mask()))
		return -EINVAL;
	uint64_t irq = spin_lock_irqsave(&t->lock);
	t->affinity = mask;
	spin_unlock_irqrestore(&t->lock, irq);
	/* A thread running where it may no longer run moves at its next switch; ourselves now. */
	if (t == current_thread() && !(mask & (1ull << cpu_id())))
		sched_migrate_current();
	return 0;
}

/*
 * Prints every thread: what it is doing and, for one switched out, where (the frame
 * context_switch left on its stack: six registers, rbp the fifth, then the return address).
 * For hang reports (the ktest watchdog); takes no lock but the list's, and only if free.
 */
void sched_dump_threads(void)
{
	static const char *const states[] = { "runnable", "sleeping", "dead" };
	uint64_t irq = irq_save();
	if (!spin_trylock_raw(&all_lock)) {
		irq_restore(irq);
		pr_emerg("sched: thread list busy, no dump\n");
		return;
	}
	for (struct thread *t = all_threads; t; t = t->all_next) {
		bool running = t->on_cpu && !t->switching_out && t->cpu < MAX_CPUS && cpus[t->cpu].current == t;
		pr_emerg("sched: tid %u %s: %s%s, cpu %u%s\n", t->tid, t->name,
			 t->state <= THREAD_DEAD ? states[t->state] : "?", t->on_rq ? ", queued" : "", t->cpu,
			 running ? ", running" : "");
		if (!running && t->rsp) {
			const uint64_t *sp = (const uint64_t *)t->rsp;
			backtrace_print(sp[6], sp[5]);
		}
	}
	spin_unlock_raw(&all_lock);
	irq_restore(irq);
}

static bool is_idle_thread(const struct thread *t)
{
	return t->cpu < MAX_CPUS && runqueues[t->cpu].idle == t;
}

void sched_get_stats(struct sched_stats *out)
{
	unsigned threads = 0;
	uint64_t irq = spin_lock_irqsave(&all_lock);
	for (struct thread *t = all_threads; t; t = t->all_next)
		threads += !is_idle_thread(t);
	out->last_tid = next_tid - 1;
	spin_unlock_irqrestore(&all_lock, irq);
	out->threads = threads;
	out->running = sched_nr_running();
	out->created = __atomic_load_n(&nr_created, __ATOMIC_RELAXED);
	out->switches = sched_nr_switches();
}

/* Builds the initial stack context_switch resumes: six callee-saved registers, then the return. */
static void prepare_stack(struct thread *t, void (*fn)(void *), void *arg)
{
	/* The top THREAD_USER_FRAME_SIZE bytes hold a user thread's register frame (trap.h). */
	uint64_t *sp = (uint64_t *)((uint8_t *)t->stack + t->stack_size - THREAD_USER_FRAME_SIZE);
	*--sp = 0;                          /* alignment: the trampoline's call pushes 8 more */
	*--sp = (uint64_t)thread_trampoline;
	*--sp = 0;                          /* rbp */
	*--sp = 0;                          /* rbx */
	*--sp = (uint64_t)fn;               /* r12 */
	*--sp = (uint64_t)arg;              /* r13 */
	*--sp = 0;                          /* r14 */
	*--sp = 0;                          /* r15 */
	t->rsp = (uint64_t)sp;
}

static void idle_entry(void *arg)
{
	(void)arg;
	sched_idle_loop();
}

/*
 * A CPU's idle thread: on an AP it is the context that is already running (its start-up
 * stack); on the boot CPU, where kmain runs as "main", it gets a stack of its own.
 */
static struct thread *make_idle(unsigned cpu, bool own_stack)
{
	struct thread *idle = thread_alloc("idle");
	if (!idle)
		panic("sched: no memory for CPU %u's idle thread", cpu);
	idle->affinity = 1ull << cpu;
	idle->cpu = cpu;
	idle->state = THREAD_RUNNABLE;
	if (own_stack) {
		idle->stack = vmalloc(THREAD_STACK_SIZE);
		if (!idle->stack)
			panic("sched: no memory for CPU %u's idle stack", cpu);
		idle->stack_size = THREAD_STACK_SIZE;
		prepare_stack(idle, idle_entry, NULL);
	} else {
		idle->on_cpu = true;
	}
	return idle;
}

void sched_init(void)
{
	thread_cache = kmem_cache_create("thread", sizeof(struct thread), 16, 0);
	fpu_init_cpu();
	fpu_cache = kmem_cache_create("fpu_state", fpu_state_size, 64, 0);
	if (!thread_cache || !fpu_cache)
		panic("sched: no memory for the thread caches");
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		runqueues[c].cpu = c;
		runqueues[c].lock = (spinlock_t)SPINLOCK_INIT;
		cpus[c].rq = &runqueues[c];
	}
	/* kmain, running on the boot stack, becomes a thread like any other. */
	struct thread *main = thread_alloc("main");
	if (!main)
		panic("sched: no memory for the main thread");
	main->fpu = kmem_cache_alloc(fpu_cache);
	fpu_init_state(main->fpu);
	main->cpu = 0;
	main->on_cpu = true;
	main->state = THREAD_RUNNABLE;
	main->ran_on_mask = 1;
	main->exec_start_ns = main->slice_start_ns = clock_monotonic_ns();
	runqueues[0].start_ns = main->exec_start_ns;
	runqueues[0].idle = make_idle(0, true);
	runqueues[0].nr_running = 1;
	runqueues[0].fair_weight = main->weight;
	cpus[0].current = main;
	trap_set_handler(SCHED_IPI_VECTOR, sched_resched_ipi);
	irq_set_vector_name(SCHED_IPI_VECTOR, "rescheduling IPIs");
	sched_start();
	pr_info("sched: running; threads preempt at interrupt return, %u Hz tick\n", 250);
}

__noreturn void sched_start_ap(void)
{
	unsigned cpu = cpu_id();
	fpu_init_cpu();
	struct thread *idle = make_idle(cpu, false);
	idle->exec_start_ns = clock_monotonic_ns(); /* idle time counts from here, not from boot */
	runqueues[cpu].idle = idle;
	cpus[cpu].current = idle;
	__atomic_store_n(&runqueues[cpu].start_ns, idle->exec_start_ns, __ATOMIC_RELEASE);
	sched_idle_loop();
}
