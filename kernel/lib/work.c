/* The deferred-work queue: a locked FIFO, drained outside interrupt context. */
#include "lib/work.h"

#include "lib/spinlock.h"

static spinlock_t lock = SPINLOCK_INIT;
static struct work *head, **tail = &head;

void work_queue(struct work *w)
{
	uint64_t irq = spin_lock_irqsave(&lock);
	if (!w->queued) {
		w->queued = true;
		w->next = NULL;
		*tail = w;
		tail = &w->next;
	}
	spin_unlock_irqrestore(&lock, irq);
}

unsigned work_run_pending(void)
{
	unsigned ran = 0;
	for (;;) {
		uint64_t irq = spin_lock_irqsave(&lock);
		struct work *w = head;
		if (w) {
			head = w->next;
			if (!head)
				tail = &head;
			w->queued = false;
		}
		spin_unlock_irqrestore(&lock, irq);
		if (!w)
			return ran;
		w->fn(w);
		ran++;
	}
}
