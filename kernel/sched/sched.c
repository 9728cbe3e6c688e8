/* The scheduler core: run queues, picking, switching, waking, ticks, balancing. */
#include "sched/sched.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "debug/panic.h"
#include "irq/irq_internal.h"
#include "sched/runqueue.h"
#include "sched/sched_math.h"
#include "time/clock.h"

struct runqueue runqueues[MAX_CPUS];
static bool sched_running;
void (*sched_switch_hook)(struct thread *next);

#define BALANCE_TICKS 25 /* 100 ms at 250 Hz */

extern void context_switch(uint64_t *prev_rsp, uint64_t next_rsp);

static struct runqueue *rq_of(unsigned cpu)
{
	return &runqueues[cpu];
}

/* ---- queue operations (rq->lock held) ---- */

static void rt_push(struct runqueue *rq, struct thread *t, bool head)
{
	int p = thread_eff_prio(t);
	t->rq_prev = t->rq_next = NULL;
	if (!rq->rt_head[p]) {
		rq->rt_head[p] = rq->rt_tail[p] = t;
	} else if (head) {
		t->rq_next = rq->rt_head[p];
		rq->rt_head[p]->rq_prev = t;
		rq->rt_head[p] = t;
	} else {
		t->rq_prev = rq->rt_tail[p];
		rq->rt_tail[p]->rq_next = t;
		rq->rt_tail[p] = t;
	}
	rq->rt_bitmap[p / 64] |= 1ull << (p % 64);
}

static void rt_remove(struct runqueue *rq, struct thread *t, int p)
{
	if (t->rq_prev)
		t->rq_prev->rq_next = t->rq_next;
	else
		rq->rt_head[p] = t->rq_next;
	if (t->rq_next)
		t->rq_next->rq_prev = t->rq_prev;
	else
		rq->rt_tail[p] = t->rq_prev;
	if (!rq->rt_head[p])
		rq->rt_bitmap[p / 64] &= ~(1ull << (p % 64));
}

static void fair_insert(struct runqueue *rq, struct thread *t)
{
	struct thread **link = &rq->fair_head, *prev = NULL;
	while (*link && (*link)->vruntime <= t->vruntime) {
		prev = *link;
		link = &(*link)->rq_next;
	}
	t->rq_next = *link;
	t->rq_prev = prev;
	if (*link)
		(*link)->rq_prev = t;
	*link = t;
}

static void fair_remove(struct runqueue *rq, struct thread *t)
{
	if (t->rq_prev)
		t->rq_prev->rq_next = t->rq_next;
	else
		rq->fair_head = t->rq_next;
	if (t->rq_next)
		t->rq_next->rq_prev = t->rq_prev;
}

/* Queues t (runnable, not running) here. */
static void enqueue(struct runqueue *rq, struct thread *t, bool head)
{
	t->cpu = rq->cpu;
	__atomic_store_n(&t->on_rq, true, __ATOMIC_RELEASE);
	rq->nr_running++;
	__atomic_store_n(&rq->enqueues, rq->enqueues + 1, __ATOMIC_RELAXED);
	if (thread_eff_prio(t)) {
		rt_push(rq, t, head);
	} else {
		rq->fair_weight += t->weight;
		fair_insert(rq, t);
	}
}

static void dequeue(struct runqueue *rq, struct thread *t)
{
	int p = thread_eff_prio(t);
	if (p)
		rt_remove(rq, t, p);
	else {
		fair_remove(rq, t);
		rq->fair_weight -= t->weight;
	}
	__atomic_store_n(&t->on_rq, false, __ATOMIC_RELEASE);
	rq->nr_running--;
	t->rq_next = t->rq_prev = NULL;
}

static int rt_top(const struct runqueue *rq)
{
	if (rq->rt_bitmap[1])
		return 64 + 63 - __builtin_clzll(rq->rt_bitmap[1]);
	if (rq->rt_bitmap[0])
		return 63 - __builtin_clzll(rq->rt_bitmap[0]);
	return 0;
}

static struct thread *pick_next(struct runqueue *rq)
{
	int p = rt_top(rq);
	if (p)
		return rq->rt_head[p];
	return rq->fair_head;
}

/* Would `t` (just queued on rq) deserve the CPU more than what runs there now? */
static bool should_preempt(struct runqueue *rq, struct thread *curr, struct thread *t)
{
	if (curr == rq->idle)
		return true;
	int pc = thread_eff_prio(curr), pt = thread_eff_prio(t);
	if (pt != pc)
		return pt > pc;
	if (pt)
		return false; /* equal RT priority: no preemption (FIFO order) */
	/* Time sharing: a woken thread far behind in vruntime gets the CPU at once. */
	return t->vruntime + SCHED_MIN_SLICE_NS < curr->vruntime;
}

static void resched_cpu(unsigned cpu)
{
	cpus[cpu].need_resched = true;
	if (cpu != cpu_id())
		lapic_send_ipi(cpus[cpu].apic_id, IPI_FIXED, SCHED_IPI_VECTOR);
}

/* ---- accounting ---- */

/* The idle thread's time is the CPU's idle time; it has no vruntime. */
static void account_idle(struct runqueue *rq, struct thread *idle, uint64_t now)
{
	if (!idle || now <= idle->exec_start_ns)
		return;
	rq->idle_ns += now - idle->exec_start_ns;
	idle->exec_start_ns = now;
}

static void update_curr(struct runqueue *rq, struct thread *curr, uint64_t now)
{
	if (curr == rq->idle) {
		account_idle(rq, curr, now);
		return;
	}
	if (now <= curr->exec_start_ns)
		return;
	uint64_t delta = now - curr->exec_start_ns;
	curr->exec_start_ns = now;
	curr->runtime_ns += delta;
	if (!thread_eff_prio(curr)) {
		curr->vruntime += sched_vruntime_delta(delta, curr->weight);
		uint64_t m = curr->vruntime;
		if (rq->fair_head && rq->fair_head->vruntime < m)
			m = rq->fair_head->vruntime;
		if (m > rq->min_vruntime)
			rq->min_vruntime = m;
	}
}

uint64_t thread_runtime_ns(struct thread *t)
{
	uint64_t irq = spin_lock_irqsave(&t->lock);
	uint64_t r = t->runtime_ns;
	if (t->on_cpu && !t->switching_out && t->exec_start_ns) {
		uint64_t now = clock_monotonic_ns();
		if (now > t->exec_start_ns)
			r += now - t->exec_start_ns;
	}
	spin_unlock_irqrestore(&t->lock, irq);
	return r;
}

/* ---- choosing a CPU ---- */

static unsigned select_cpu(struct thread *t)
{
	uint64_t allowed = t->affinity;
	unsigned best = t->cpu;
	if (!(allowed & (1ull << best)) || !cpus[best].online)
		best = __builtin_ctzll(allowed);
	unsigned best_load = rq_of(best)->nr_running;
	for (unsigned c = 0; c < cpu_count; c++) {
		if (!(allowed & (1ull << c)) || !cpus[c].online)
			continue;
		unsigned load = rq_of(c)->nr_running;
		if (load < best_load) {
			best = c;
			best_load = load;
		}
	}
	return best;
}

/* Puts a runnable, switched-out thread on a run queue (t->lock held). */
static void activate(struct thread *t)
{
	unsigned cpu = select_cpu(t);
	struct runqueue *rq = rq_of(cpu);
	spin_lock(&rq->lock);
	if (!thread_eff_prio(t) && t->vruntime + SCHED_LATENCY_NS / 2 < rq->min_vruntime)
		t->vruntime = rq->min_vruntime - SCHED_LATENCY_NS / 2; /* sleepers get a bounded bonus */
	if (t->cpu != cpu)
		t->migrations++;
	enqueue(rq, t, false);
	struct thread *curr = cpus[cpu].current;
	bool preempt = curr && should_preempt(rq, curr, t);
	if (preempt && curr != rq->idle)
		rq->wakeup_preempts++;
	spin_unlock(&rq->lock);
	if (preempt)
		resched_cpu(cpu);
}

bool thread_wake(struct thread *t)
{
	uint64_t irq = spin_lock_irqsave(&t->lock);
	if (t->state != THREAD_SLEEPING) {
		spin_unlock_irqrestore(&t->lock, irq);
		return false;
	}
	t->state = THREAD_RUNNABLE;
	if (__atomic_load_n(&t->on_rq, __ATOMIC_ACQUIRE)) {
		/* Preempted while on its way to sleep: still queued, it will run. */
		spin_unlock_irqrestore(&t->lock, irq);
		return true;
	}
	if (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE) && !t->switching_out) {
		/* Still on its CPU before schedule(): it will see RUNNABLE and keep going. */
		spin_unlock_irqrestore(&t->lock, irq);
		return true;
	}
	/* Switching out on another CPU: wait until its stack is free (a few instructions). */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		cpu_pause();
	t->switching_out = false;
	activate(t);
	spin_unlock_irqrestore(&t->lock, irq);
	return true;
}

/* ---- switching ---- */

/*
 * Runs on the thread that just got the CPU: the one switched away from may now be taken by
 * another CPU (on_cpu false), and the switching CPU's run-queue lock is released.
 */
void sched_finish_switch(void)
{
	struct cpu *me = this_cpu();
	struct thread *last = me->switch_prev;
	me->switch_prev = NULL;
	bool migrate = last && last->migrate_pending;
	bool reap = last && last->state == THREAD_DEAD && __atomic_load_n(&last->detached, __ATOMIC_ACQUIRE);
	if (last)
		__atomic_store_n(&last->on_cpu, false, __ATOMIC_RELEASE);
	spin_unlock_raw(&me->rq->lock);
	if (reap) /* nobody joins it: the worker frees it */
		work_queue(&last->reap);
	if (migrate) { /* it may no longer run here: queue it where it may */
		spin_lock_raw(&last->lock);
		last->migrate_pending = false;
		last->switching_out = false;
		activate(last);
		spin_unlock_raw(&last->lock);
	}
}

/*
 * preempt: taken off the CPU by an interrupt, not by its own choice. Such a thread goes back in
 * the queue whatever its state: it may have marked itself sleeping on its way to wait for a
 * condition that already came true, and treating that as sleep would lose the wake-up.
 */
static void __schedule(bool preempt)
{
	uint64_t irq = read_rflags() & (1u << 9);
	irq_disable();
	struct cpu *me = this_cpu();
	struct runqueue *rq = me->rq;
	struct thread *prev = me->current;
	uint64_t now = clock_monotonic_ns();

	/* Lock order everywhere: a thread's lock, then a run queue's (wakers do the same). */
	me->preempt_count++;
	spin_lock_raw(&prev->lock);
	spin_lock_raw(&rq->lock);
	me->need_resched = false;
	update_curr(rq, prev, now);

	bool stays = preempt || prev->state == THREAD_RUNNABLE;
	if (prev != rq->idle) {
		if (stays && !(prev->affinity & (1ull << me->id))) {
			/* Its affinity no longer includes this CPU: requeued elsewhere after the switch. */
			prev->migrate_pending = true;
			prev->switching_out = true;
			rq->nr_running--;
			if (!thread_eff_prio(prev))
				rq->fair_weight -= prev->weight;
		} else if (stays) {
			/* Preempted or yielding: back in the queue (RT at the tail: round robin). */
			rq->nr_running--;
			if (!thread_eff_prio(prev))
				rq->fair_weight -= prev->weight;
			enqueue(rq, prev, false);
		} else {
			prev->switching_out = true; /* sleeping or dead: wakers wait for on_cpu */
			rq->nr_running--;
			if (!thread_eff_prio(prev))
				rq->fair_weight -= prev->weight;
		}
	}
	spin_unlock_raw(&prev->lock);

	struct thread *next = pick_next(rq);
	if (next) {
		/* on_cpu before on_rq clears: a waker never sees it neither queued nor running. */
		__atomic_store_n(&next->on_cpu, true, __ATOMIC_RELEASE);
		dequeue(rq, next);
	} else {
		next = rq->idle;
	}
	if (next != rq->idle) {
		rq->nr_running++; /* the running thread counts as runnable */
		if (!thread_eff_prio(next))
			rq->fair_weight += next->weight;
	}

	if (next == prev) {
		prev->switching_out = false;
		spin_unlock_raw(&rq->lock);
		me->preempt_count--;
		if (irq)
			irq_enable();
		return;
	}

	next->on_cpu = true;
	next->cpu = me->id;
	next->exec_start_ns = now;
	next->slice_start_ns = now;
	next->switches++;
	rq->nr_switches++;
	next->ran_on_mask |= 1ull << me->id;
	me->current = next;
	if (next->stack) {
		tss_set_kernel_stack(thread_stack_top(next));
		me->kernel_rsp = thread_stack_top(next);
	}
	if (sched_switch_hook)
		sched_switch_hook(next);
	if (prev->fpu)
		fpu_save(prev->fpu);
	if (next->fpu)
		fpu_restore(next->fpu);

	me->switch_prev = prev;
	context_switch(&prev->rsp, next->rsp);

	/* Back on prev, maybe on another CPU, switched to by someone holding that CPU's rq lock. */
	sched_finish_switch();
	this_cpu()->preempt_count--;
	if (irq)
		irq_enable();
}

void schedule(void)
{
	__schedule(false);
}

/* ---- ticks, preemption, balancing ---- */

static void check_preempt_tick(struct runqueue *rq, struct thread *curr, uint64_t now)
{
	if (curr == rq->idle) {
		if (rq->nr_running)
			this_cpu()->need_resched = true;
		return;
	}
	int p = thread_eff_prio(curr);
	if (rt_top(rq) > p) {
		this_cpu()->need_resched = true;
		return;
	}
	if (p) {
		/* Round robin rotates among equals; FIFO keeps the CPU. */
		if (curr->policy == SCHED_RR && curr->pi_priority <= curr->rt_priority &&
		    now - curr->slice_start_ns >= SCHED_RR_SLICE_NS && rq->rt_head[p])
			this_cpu()->need_resched = true;
		return;
	}
	if (rt_top(rq)) {
		this_cpu()->need_resched = true;
		return;
	}
	struct thread *first = rq->fair_head;
	if (first && now - curr->slice_start_ns >= sched_slice_ns(curr->weight, rq->fair_weight) &&
	    first->vruntime < curr->vruntime)
		this_cpu()->need_resched = true;
}

/*
 * Moves one queued thread allowed here from the busiest CPU; true if one moved.
 *
 * Balancing is optional work, so it never waits for a lock: idle CPUs that queued up on a busy
 * CPU's run-queue lock (a ticket lock serves in arrival order) would make that CPU's own
 * scheduler wait behind all of them, and under an overcommitted hypervisor (TCG with more vCPUs
 * than host cores) every hand-off in that queue can cost a host time slice. For the same
 * reason a CPU whose queued threads are all pinned elsewhere is not searched again until
 * something new is queued there.
 */
static bool pull_from_busiest(struct runqueue *here, bool idle)
{
	unsigned busiest = here->cpu, most = 0;
	for (unsigned c = 0; c < cpu_count; c++) {
		if (c == here->cpu || !cpus[c].online)
			continue;
		unsigned n = __atomic_load_n(&rq_of(c)->nr_running, __ATOMIC_RELAXED);
		if (n > most) {
			most = n;
			busiest = c;
		}
	}
	unsigned mine = __atomic_load_n(&here->nr_running, __ATOMIC_RELAXED);
	if (busiest == here->cpu || most < 2 || (!idle && most < mine + 2))
		return false;

	struct runqueue *src = rq_of(busiest);
	uint64_t enqueues = __atomic_load_n(&src->enqueues, __ATOMIC_RELAXED);
	if (here->pull_failed_cpu == busiest && here->pull_failed_enqueues == enqueues)
		return false;
	struct runqueue *first = src->cpu < here->cpu ? src : here;
	struct runqueue *second = first == src ? here : src;
	if (!spin_trylock_raw(&first->lock))
		return false;
	if (!spin_trylock_raw(&second->lock)) {
		spin_unlock_raw(&first->lock);
		return false;
	}
	struct thread *victim = NULL;
	/* Prefer time-sharing threads (cheapest to move), then real-time ones. */
	for (struct thread *t = src->fair_head; t && !victim; t = t->rq_next)
		if (t->affinity & (1ull << here->cpu))
			victim = t;
	for (int p = RT_PRIOS - 1; p > 0 && !victim; p--)
		for (struct thread *t = src->rt_head[p]; t && !victim; t = t->rq_next)
			if (t->affinity & (1ull << here->cpu))
				victim = t;
	if (victim && src->nr_running >= 2) {
		dequeue(src, victim);
		if (!thread_eff_prio(victim))
			victim->vruntime = victim->vruntime - src->min_vruntime + here->min_vruntime;
		victim->migrations++;
		enqueue(here, victim, false);
	} else {
		victim = NULL;
		here->pull_failed_cpu = busiest;
		here->pull_failed_enqueues = src->enqueues;
	}
	spin_unlock_raw(&second->lock);
	spin_unlock_raw(&first->lock);
	return victim != NULL;
}

void sched_tick(void)
{
	if (!sched_running)
		return;
	struct cpu *me = this_cpu();
	struct runqueue *rq = me->rq;
	uint64_t now = clock_monotonic_ns();
	spin_lock_raw(&rq->lock);
	update_curr(rq, me->current, now);
	check_preempt_tick(rq, me->current, now);
	bool balance = ++rq->ticks % BALANCE_TICKS == 0;
	spin_unlock_raw(&rq->lock);
	if (balance && pull_from_busiest(rq, false))
		me->need_resched = true;
	if (me->id == 0)
		sched_loadavg_tick(now);
}

void sched_preempt_irq(void)
{
	struct cpu *me = this_cpu();
	if (sched_running && me->need_resched && me->preempt_count == 0)
		__schedule(true);
}

void sched_resched_ipi(struct trap_frame *tf)
{
	(void)tf;
	lapic_eoi(); /* the switch itself happens at interrupt return (sched_preempt_irq) */
}

/* ---- idle ---- */

__noreturn void sched_idle_loop(void)
{
	struct runqueue *rq = this_cpu()->rq;
	for (;;) {
		irq_disable();
		if (__atomic_load_n(&rq->nr_running, __ATOMIC_RELAXED) || this_cpu()->need_resched) {
			schedule();
			continue;
		}
		if (pull_from_busiest(rq, true)) {
			schedule();
			continue;
		}
		__asm__ volatile("sti; hlt" ::: "memory"); /* sti's shadow: no wake-up lost before hlt */
	}
}


/* ---- statistics ---- */

uint64_t sched_cpu_idle_ns(unsigned cpu)
{
	if (cpu >= MAX_CPUS)
		return 0;
	struct runqueue *rq = rq_of(cpu);
	uint64_t irq = spin_lock_irqsave(&rq->lock);
	/* Up to now, not just to the idle thread's last accounting (a tick or a switch). */
	if (rq->idle && cpus[cpu].current == rq->idle)
		account_idle(rq, rq->idle, clock_monotonic_ns());
	uint64_t idle = rq->idle_ns;
	spin_unlock_irqrestore(&rq->lock, irq);
	return idle;
}

uint64_t sched_cpu_uptime_ns(unsigned cpu)
{
	if (cpu >= MAX_CPUS)
		return 0;
	uint64_t start = __atomic_load_n(&rq_of(cpu)->start_ns, __ATOMIC_ACQUIRE);
	uint64_t now = clock_monotonic_ns();
	return start && now > start ? now - start : 0;
}

unsigned sched_nr_running(void)
{
	unsigned n = 0;
	for (unsigned c = 0; c < cpu_count && c < MAX_CPUS; c++)
		n += __atomic_load_n(&rq_of(c)->nr_running, __ATOMIC_RELAXED);
	return n;
}

uint64_t sched_nr_switches(void)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < MAX_CPUS; c++)
		n += __atomic_load_n(&rq_of(c)->nr_switches, __ATOMIC_RELAXED);
	return n;
}

/* ---- helpers for thread.c (run-queue lock held) ---- */

void sched_rq_remove(struct runqueue *rq, struct thread *t)
{
	dequeue(rq, t);
}

void sched_rq_add(struct runqueue *rq, struct thread *t)
{
	enqueue(rq, t, false);
}

/* The running thread's share of the queue totals, removed before a class/weight change. */
void sched_rq_account_running(struct runqueue *rq, struct thread *t, bool add)
{
	if (thread_eff_prio(t))
		return;
	if (add)
		rq->fair_weight += t->weight;
	else
		rq->fair_weight -= t->weight;
}

void sched_kick(unsigned cpu)
{
	resched_cpu(cpu);
}

void sched_migrate_current(void)
{
	this_cpu()->need_resched = true;
	schedule();
}

void sched_start(void)
{
	sched_running = true;
}
