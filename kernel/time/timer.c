/*
 * Timer events: each CPU keeps its pending events in a doubly-linked list sorted by deadline
 * (equal deadlines in arming order), under a spinlock of its own, because any CPU may cancel or
 * re-arm an event armed on another.
 *
 * Ownership: t->cpu always names the queue that owns t (a zeroed event belongs to CPU 0's) and
 * changes only while both the old and the new owner's locks are held. So whoever locks the
 * queue t->cpu names and then still finds t->cpu naming it has pinned t.
 */
#include "time/timer.h"

#include "arch/x86_64/percpu.h"
#include "lib/compiler.h"
#include "lib/spinlock.h"

#ifdef HOST_UNIT_TEST
/* The host tests play several CPUs, one per thread. */
__thread unsigned timer_host_cpu;
static unsigned this_cpu_index(void) { return timer_host_cpu; }
#else
static unsigned this_cpu_index(void) { return cpu_id(); }
#endif

struct timer_queue {
	spinlock_t lock;
	struct timer_event *pending; /* sorted by deadline */
	struct timer_event *expired; /* taken by a running timer_events_run, not called yet */
	bool running;                /* timer_events_run is working through `expired` */
	struct timer_event *calling; /* the event whose callback runs now (read without the lock) */
} __aligned(64);

static struct timer_queue queues[MAX_CPUS];

static unsigned owner_of(struct timer_event *t)
{
	return (unsigned)__atomic_load_n(&t->cpu, __ATOMIC_RELAXED);
}

/* Takes t off whichever of q's lists holds it. */
static void unlink(struct timer_queue *q, struct timer_event *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else if (q->pending == t)
		q->pending = t->next;
	else
		q->expired = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = t->prev = NULL;
	t->pending = false;
}

/* Links t into q's pending list after every event due no later than it. */
static void insert(struct timer_queue *q, struct timer_event *t)
{
	struct timer_event *prev = NULL, *p = q->pending;
	while (p && p->deadline_ns <= t->deadline_ns) {
		prev = p;
		p = p->next;
	}
	t->prev = prev;
	t->next = p;
	if (prev)
		prev->next = t;
	else
		q->pending = t;
	if (p)
		p->prev = t;
	t->pending = true;
}

/*
 * Locks the queue owning t and queue `me` (the same one, or both in index order so two CPUs
 * moving events towards each other cannot deadlock). Returns the owner.
 */
static unsigned lock_pair(struct timer_event *t, unsigned me, uint64_t *flags)
{
	for (;;) {
		unsigned owner = owner_of(t);
		unsigned lo = MIN(owner, me), hi = MAX(owner, me);
		*flags = spin_lock_irqsave(&queues[lo].lock);
		if (hi != lo)
			spin_lock(&queues[hi].lock);
		if (owner_of(t) == owner)
			return owner;
		if (hi != lo)
			spin_unlock(&queues[hi].lock);
		spin_unlock_irqrestore(&queues[lo].lock, *flags);
	}
}

static void unlock_pair(unsigned owner, unsigned me, uint64_t flags)
{
	unsigned lo = MIN(owner, me), hi = MAX(owner, me);
	if (hi != lo)
		spin_unlock(&queues[hi].lock);
	spin_unlock_irqrestore(&queues[lo].lock, flags);
}

void timer_event_add(struct timer_event *t, uint64_t deadline_ns, timer_fn fn, void *ctx)
{
	unsigned me = this_cpu_index();
	/* An event that never was armed may hold anything here; no queue can own it. */
	if (owner_of(t) >= MAX_CPUS) {
		t->cpu = (int)me;
		t->pending = false;
		t->next = t->prev = NULL;
	}
	uint64_t flags;
	unsigned owner = lock_pair(t, me, &flags);
	if (t->pending)
		unlink(&queues[owner], t);
	t->deadline_ns = deadline_ns;
	t->fn = fn;
	t->ctx = ctx;
	__atomic_store_n(&t->cpu, (int)me, __ATOMIC_RELAXED);
	insert(&queues[me], t);
	unlock_pair(owner, me, flags);
}

/*
 * Waits until no other CPU is inside t's callback. A callback takes no lock the cancelling
 * thread may hold (it wakes a thread, sets a flag), so the wait is short; on this CPU a
 * callback runs with interrupts off, so finding t running here means t's own callback is the
 * caller, which must not wait for itself.
 */
static void wait_callback_done(struct timer_event *t)
{
	unsigned me = this_cpu_index();
	for (unsigned c = 0; c < MAX_CPUS; c++)
		while (c != me && __atomic_load_n(&queues[c].calling, __ATOMIC_ACQUIRE) == t)
			__builtin_ia32_pause();
}

bool timer_event_cancel(struct timer_event *t)
{
	unsigned owner;
	uint64_t flags;
	for (;;) {
		owner = owner_of(t);
		if (owner >= MAX_CPUS)
			return false;
		flags = spin_lock_irqsave(&queues[owner].lock);
		if (owner_of(t) == owner)
			break;
		spin_unlock_irqrestore(&queues[owner].lock, flags);
	}
	bool was_pending = t->pending;
	if (was_pending)
		unlink(&queues[owner], t);
	spin_unlock_irqrestore(&queues[owner].lock, flags);
	/*
	 * Its callback may have been taken off the list just before and still be running on
	 * another CPU: once this returns, the caller may free t and what its context points to
	 * (a thread's stack holds most events, and the callback wakes that thread).
	 */
	wait_callback_done(t);
	return was_pending;
}

void timer_events_run(uint64_t now_ns)
{
	struct timer_queue *q = &queues[this_cpu_index()];
	uint64_t flags = spin_lock_irqsave(&q->lock);
	if (q->running) {
		/* Called from a callback (or an interrupt during one): the outer run carries on. */
		spin_unlock_irqrestore(&q->lock, flags);
		return;
	}
	/*
	 * Set the expired events aside first, so that a callback re-arming its event for a time
	 * already past cannot keep this loop going: the re-armed event waits for the next run.
	 */
	struct timer_event *last = NULL;
	for (struct timer_event *t = q->pending; t && t->deadline_ns <= now_ns; t = t->next)
		last = t;
	if (last) {
		q->expired = q->pending;
		q->pending = last->next;
		if (q->pending)
			q->pending->prev = NULL;
		last->next = NULL;
	}
	q->running = true;
	/* With the lock dropped for each callback, another CPU may cancel or re-arm the rest. */
	struct timer_event *t;
	while ((t = q->expired)) {
		timer_fn fn = t->fn;
		void *ctx = t->ctx;
		unlink(q, t);
		__atomic_store_n(&q->calling, t, __ATOMIC_RELAXED); /* published by the unlock */
		spin_unlock_irqrestore(&q->lock, flags);
		fn(t, ctx);
		__atomic_store_n(&q->calling, NULL, __ATOMIC_RELEASE);
		flags = spin_lock_irqsave(&q->lock);
	}
	q->running = false;
	spin_unlock_irqrestore(&q->lock, flags);
}

uint64_t timer_next_deadline(void)
{
	struct timer_queue *q = &queues[this_cpu_index()];
	uint64_t flags = spin_lock_irqsave(&q->lock);
	uint64_t next = q->pending ? q->pending->deadline_ns : UINT64_MAX;
	if (q->expired && q->expired->deadline_ns < next)
		next = q->expired->deadline_ns;
	spin_unlock_irqrestore(&q->lock, flags);
	return next;
}
