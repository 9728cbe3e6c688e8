/* Counting semaphores, read-write locks and completions on wait queues. */
#include "arch/x86_64/percpu.h"
#include "sched/sched.h"
#include "sched/wait.h"
#include "time/clock.h"
#include "time/timer.h"

void sem_init(struct semaphore *s, int64_t count)
{
	s->lock = (spinlock_t)SPINLOCK_INIT;
	s->count = count;
	waitqueue_init(&s->wq);
}

bool sem_trydown(struct semaphore *s)
{
	uint64_t irq = spin_lock_irqsave(&s->lock);
	bool ok = s->count > 0;
	if (ok)
		s->count--;
	spin_unlock_irqrestore(&s->lock, irq);
	return ok;
}

void sem_down(struct semaphore *s)
{
	wait_event(&s->wq, sem_trydown(s));
}

bool sem_down_timeout(struct semaphore *s, uint64_t ns)
{
	return wait_event_timeout(&s->wq, sem_trydown(s), ns);
}

void sem_up(struct semaphore *s)
{
	uint64_t irq = spin_lock_irqsave(&s->lock);
	s->count++;
	spin_unlock_irqrestore(&s->lock, irq);
	wake_up_one(&s->wq);
}

void rwlock_init(struct rwlock *l)
{
	l->lock = (spinlock_t)SPINLOCK_INIT;
	l->readers = 0;
	l->writers_waiting = 0;
	waitqueue_init(&l->wq);
}

static bool try_read(struct rwlock *l)
{
	uint64_t irq = spin_lock_irqsave(&l->lock);
	bool ok = l->readers >= 0 && l->writers_waiting == 0;
	if (ok)
		l->readers++;
	spin_unlock_irqrestore(&l->lock, irq);
	return ok;
}

static bool try_write(struct rwlock *l)
{
	uint64_t irq = spin_lock_irqsave(&l->lock);
	bool ok = l->readers == 0;
	if (ok)
		l->readers = -1;
	spin_unlock_irqrestore(&l->lock, irq);
	return ok;
}

void read_lock(struct rwlock *l)
{
	wait_event(&l->wq, try_read(l));
}

void read_unlock(struct rwlock *l)
{
	uint64_t irq = spin_lock_irqsave(&l->lock);
	bool last = --l->readers == 0;
	spin_unlock_irqrestore(&l->lock, irq);
	if (last)
		wake_up_all(&l->wq);
}

void write_lock(struct rwlock *l)
{
	uint64_t irq = spin_lock_irqsave(&l->lock);
	l->writers_waiting++;
	spin_unlock_irqrestore(&l->lock, irq);
	wait_event(&l->wq, try_write(l));
	irq = spin_lock_irqsave(&l->lock);
	l->writers_waiting--;
	spin_unlock_irqrestore(&l->lock, irq);
}

void write_unlock(struct rwlock *l)
{
	uint64_t irq = spin_lock_irqsave(&l->lock);
	l->readers = 0;
	spin_unlock_irqrestore(&l->lock, irq);
	wake_up_all(&l->wq);
}

void completion_init(struct completion *c)
{
	c->lock = (spinlock_t)SPINLOCK_INIT;
	c->done = 0;
	waitqueue_init(&c->wq);
}

static bool try_complete(struct completion *c)
{
	uint64_t irq = spin_lock_irqsave(&c->lock);
	bool ok = c->done > 0;
	if (ok && c->done != ~0u)
		c->done--;
	spin_unlock_irqrestore(&c->lock, irq);
	return ok;
}

void wait_for_completion(struct completion *c)
{
	wait_event(&c->wq, try_complete(c));
}

void complete(struct completion *c)
{
	uint64_t irq = spin_lock_irqsave(&c->lock);
	if (c->done != ~0u)
		c->done++;
	spin_unlock_irqrestore(&c->lock, irq);
	wake_up_one(&c->wq);
}

void complete_all(struct completion *c)
{
	uint64_t irq = spin_lock_irqsave(&c->lock);
	c->done = ~0u;
	spin_unlock_irqrestore(&c->lock, irq);
	wake_up_all(&c->wq);
}
