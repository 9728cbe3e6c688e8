/* Wait queues. Lock order: a wait queue's lock, then a thread's, then a run queue's. */
#include "sched/wait.h"

#include "arch/x86_64/percpu.h"
#include "sched/sched.h"

void waitqueue_init(struct waitqueue *wq)
{
	wq->lock = (spinlock_t)SPINLOCK_INIT;
	wq->head = wq->tail = NULL;
}

static void set_state(struct thread *t, enum thread_state s)
{
	uint64_t irq = spin_lock_irqsave(&t->lock);
	t->state = s;
	spin_unlock_irqrestore(&t->lock, irq);
}

static void unlink(struct waitqueue *wq, struct wait_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		wq->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		wq->tail = e->prev;
	e->next = e->prev = NULL;
	e->queued = false;
}

static void enqueue(struct waitqueue *wq, struct wait_entry *e)
{
	if (e->queued)
		return;
	e->prev = wq->tail;
	e->next = NULL;
	if (wq->tail)
		wq->tail->next = e;
	else
		wq->head = e;
	wq->tail = e;
	e->queued = true;
}

void prepare_to_wait(struct waitqueue *wq, struct wait_entry *e)
{
	uint64_t irq = spin_lock_irqsave(&wq->lock);
	enqueue(wq, e);
	set_state(e->thread, THREAD_SLEEPING);
	spin_unlock_irqrestore(&wq->lock, irq);
}

void waitqueue_add(struct waitqueue *wq, struct wait_entry *e)
{
	uint64_t irq = spin_lock_irqsave(&wq->lock);
	enqueue(wq, e);
	spin_unlock_irqrestore(&wq->lock, irq);
}

void set_current_sleeping(bool sleeping)
{
	set_state(current_thread(), sleeping ? THREAD_SLEEPING : THREAD_RUNNABLE);
}

void finish_wait(struct waitqueue *wq, struct wait_entry *e)
{
	if (!e->func)
		set_state(e->thread, THREAD_RUNNABLE);
	uint64_t irq = spin_lock_irqsave(&wq->lock);
	if (e->queued)
		unlink(wq, e);
	spin_unlock_irqrestore(&wq->lock, irq);
}

bool wake_up_one(struct waitqueue *wq)
{
	bool woke = false;
	uint64_t irq = spin_lock_irqsave(&wq->lock);
	for (struct wait_entry *e = wq->head, *next; e && !woke; e = next) {
		next = e->next;
		if (e->func) {
			e->func(e); /* callbacks see every wake and do not count as the one */
			continue;
		}
		unlink(wq, e);
		woke = thread_wake(e->thread); /* false: it already left (timeout): try the next */
	}
	spin_unlock_irqrestore(&wq->lock, irq);
	return woke;
}

unsigned wake_up_all(struct waitqueue *wq)
{
	unsigned n = 0;
	uint64_t irq = spin_lock_irqsave(&wq->lock);
	for (struct wait_entry *e = wq->head, *next; e; e = next) {
		next = e->next;
		if (e->func) {
			e->func(e);
			continue;
		}
		unlink(wq, e);
		n += thread_wake(e->thread);
	}
	spin_unlock_irqrestore(&wq->lock, irq);
	return n;
}

void wait_timeout_wake(struct timer_event *t, void *thread)
{
	(void)t;
	thread_wake(thread);
}
