/*
 * Sleeping mutexes with priority inheritance: while a real-time thread waits, the owner runs at
 * the highest priority among the waiters of every mutex it holds (followed along the chain of
 * owners that are themselves blocked, a few levels deep). Unlock hands the mutex directly to the
 * most important waiter.
 */
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

void mutex_lock(struct mutex *m)
{
	struct thread *me = current_thread();
	uint64_t irq = spin_lock_irqsave(&m->lock);
	if (!m->owner) {
		take(m, me);
		spin_unlock_irqrestore(&m->lock, irq);
		return;
	}
	struct wait_entry e = { .thread = me };
	add_waiter(m, &e);
	me->blocked_on = m;
	while (m->owner != me) {
		uint64_t tirq = spin_lock_irqsave(&me->lock);
		me->state = THREAD_SLEEPING;
		spin_unlock_irqrestore(&me->lock, tirq);
		if (sched_pi_enabled && thread_eff_prio(me))
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

void mutex_unlock(struct mutex *m)
{
	struct thread *me = current_thread();
	uint64_t irq = spin_lock_irqsave(&m->lock);
	release(m, me);
	struct wait_entry *w = m->waiters;
	if (w) {
		m->waiters = w->next;
		if (m->waiters)
			m->waiters->prev = NULL;
		w->queued = false;
		take(m, w->thread); /* direct hand-off: no barging past the most important waiter */
		thread_wake(w->thread);
	} else {
		m->owner = NULL;
	}
	int keep = sched_pi_enabled ? inherited_priority(me) : 0;
	spin_unlock_irqrestore(&m->lock, irq);
	if (me->pi_priority != keep)
		sched_set_pi_priority(me, keep);
	if (this_cpu()->need_resched)
		schedule(); /* the waiter we just woke may outrank us now */
}
