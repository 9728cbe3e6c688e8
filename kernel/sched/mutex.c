/*
 * Sleeping mutexes with priority inheritance: while a real-time thread waits, the owner runs at
 * the highest priority among the waiters of every mutex it holds (followed along the chain of
 * owners that are themselves blocked, a few levels deep). Unlock hands the mutex directly to the
 * most important waiter.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "sched/runqueue.h"
#include "sched/wait.h"

#define PI_CHAIN_MAX 8

void mutex_init(struct mutex *m)
{
	*m = (struct mutex)MUTEX_INIT;
}

static void add_waiter(struct mutex *m, struct wait_entry *e)
{
	int p = thread_eff_prio(e->thread);
	struct wait_entry **link = &m->waiters, *prev = NULL;
	while (*link && thread_eff_prio((*link)->thread) >= p) {
		prev = *link;
		link = &(*link)->next;
	}
	e->next = *link;
	e->prev = prev;
	if (*link)
		(*link)->prev = e;
	*link = e;
	e->queued = true;
}

static void take(struct mutex *m, struct thread *t)
{
	m->owner = t;
	m->next_held = t->held;
	t->held = m;
}

static void release(struct mutex *m, struct thread *t)
{
	for (struct mutex **p = &t->held; *p; p = &(*p)->next_held)
		if (*p == m) {
			*p = m->next_held;
			break;
		}
	m->next_held = NULL;
}

/* The priority t deserves from the waiters of the mutexes it holds. */
static int inherited_priority(struct thread *t)
{
	int p = 0;
	for (struct mutex *h = t->held; h; h = h->next_held)
		if (h->waiters) {
			int w = thread_eff_prio(h->waiters->thread);
			if (w > p)
				p = w;
		}
	return p;
}

static void boost_chain(struct thread *owner, int prio)
{
	for (int depth = 0; owner && depth < PI_CHAIN_MAX; depth++) {
		if (thread_eff_prio(owner) >= prio)
			return;
		sched_set_pi_priority(owner, prio);
		struct mutex *next = owner->blocked_on;
		owner = next ? next->owner : NULL;
	}
}

bool mutex_trylock(struct mutex *m)
{
	uint64_t irq = spin_lock_irqsave(&m->lock);
	bool ok = !m->owner;
	if (ok)
		take(m, current_thread());
	spin_unlock_irqrestore(&m->lock, irq);
	return ok;
}

static void remove_waiter(struct mutex *m, struct wait_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		m->waiters = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->next = e->prev = NULL;
	e->queued = false;
}

/* Is the owner running on another CPU right now (so the mutex should be free soon)? */
static bool owner_running(const struct mutex *m)
{
	struct thread *o = __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
	return o && __atomic_load_n(&o->on_cpu, __ATOMIC_RELAXED) && !o->switching_out &&
	       o->cpu < MAX_CPUS && cpus[o->cpu].current == o && o->cpu != cpu_id();
}

/*
 * Spins a little while the owner runs elsewhere: critical sections are short, and sleeping
 * costs a wake-up on each side (an IPI and two switches), which for a lock taken per packet
 * on two CPUs made each hand-over wait for the other CPU's scheduler. Never with interrupts
 * off or preemption disabled (the owner might need this CPU).
 */
#define MUTEX_SPIN_LIMIT 2000

static bool spin_for_owner(struct mutex *m)
{
	if (this_cpu()->preempt_count || !(read_rflags() & (1u << 9)))
		return false;
	for (unsigned i = 0; i < MUTEX_SPIN_LIMIT; i++) {
		if (!__atomic_load_n(&m->owner, __ATOMIC_RELAXED))
			return true;
		if (!owner_running(m))
			return false;
		__builtin_ia32_pause();
	}
	return false;
}

void mutex_lock(struct mutex *m)
{
	struct thread *me = current_thread();
	uint64_t irq = spin_lock_irqsave(&m->lock);
	if (!m->owner) {
		take(m, me);
		spin_unlock_irqrestore(&m->lock, irq);
		return;
	}
	/* The owner is on another CPU: it may let go before sleeping would pay off. */
	if (!m->waiters && owner_running(m)) {
		spin_unlock_irqrestore(&m->lock, irq);
		bool free = spin_for_owner(m);
		irq = spin_lock_irqsave(&m->lock);
		if (free && !m->owner && !m->waiters) {
			take(m, me);
			spin_unlock_irqrestore(&m->lock, irq);
			return;
		}
	}
	struct wait_entry e = { .thread = me };
	add_waiter(m, &e);
	me->blocked_on = m;
	for (;;) {
		if (m->owner == me)
			break; /* handed over by mutex_unlock (a real-time waiter) */
		if (!m->owner && m->waiters == &e) {
			remove_waiter(m, &e); /* woken first in line and the mutex is free */
			take(m, me);
			break;
		}
		uint64_t tirq = spin_lock_irqsave(&me->lock);
		me->state = THREAD_SLEEPING;
		spin_unlock_irqrestore(&me->lock, tirq);
		if (sched_pi_enabled && thread_eff_prio(me) && m->owner)
			boost_chain(m->owner, thread_eff_prio(me));
		spin_unlock_irqrestore(&m->lock, irq);
		schedule();
		irq = spin_lock_irqsave(&m->lock);
	}
	me->blocked_on = NULL;
	uint64_t tirq = spin_lock_irqsave(&me->lock);
	me->state = THREAD_RUNNABLE;
	spin_unlock_irqrestore(&me->lock, tirq);
	spin_unlock_irqrestore(&m->lock, irq);
}

/*
 * A real-time waiter gets the mutex handed over directly: nobody may barge past it (priority
 * inheritance depends on that). A time-sharing waiter is only woken and takes the mutex if it
 * is still free when it runs; meanwhile a running thread may take it. Handing over to a
 * sleeper made every unlock-relock pair on two CPUs a convoy: the unlocker, wanting the mutex
 * again at once, had to sleep until the other CPU had switched the new owner in and out.
 */
void mutex_unlock(struct mutex *m)
{
	struct thread *me = current_thread();
	uint64_t irq = spin_lock_irqsave(&m->lock);
	release(m, me);
	struct wait_entry *w = m->waiters;
	if (w && thread_eff_prio(w->thread)) {
		remove_waiter(m, w);
		take(m, w->thread);
		thread_wake(w->thread);
	} else {
		m->owner = NULL;
		if (w)
			thread_wake(w->thread); /* it stays first in line until it runs */
	}
	int keep = sched_pi_enabled ? inherited_priority(me) : 0;
	spin_unlock_irqrestore(&m->lock, irq);
	if (me->pi_priority != keep)
		sched_set_pi_priority(me, keep);
	if (this_cpu()->need_resched)
		schedule(); /* the waiter we just woke may outrank us now */
}
