/* The deferred-work queue: a locked FIFO, drained outside interrupt context. */
#include "lib/work.h"

#include "arch/x86_64/percpu.h"
#include "lib/spinlock.h"
#include "sched/sched.h"
#include "sched/wait.h"

static spinlock_t lock = SPINLOCK_INIT;
static struct work *head, **tail = &head;
static struct waitqueue worker_wq;
static bool worker_running;

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
	if (__atomic_load_n(&worker_running, __ATOMIC_ACQUIRE))
		wake_up_one(&worker_wq);
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

static bool work_waiting(void)
{
	return __atomic_load_n(&head, __ATOMIC_ACQUIRE) != NULL;
}

static void worker(void *arg)
{
	(void)arg;
	for (;;) {
		wait_event(&worker_wq, work_waiting());
		work_run_pending();
	}
}

void work_start_worker(void)
{
	waitqueue_init(&worker_wq);
	if (!thread_create("kworker", worker, NULL, NULL))
		return; /* the caller keeps polling work_run_pending */
	__atomic_store_n(&worker_running, true, __ATOMIC_RELEASE);
	work_run_pending(); /* whatever was queued before the worker existed */
}
