/*
 * Wait queues and the sleeping synchronisation built on them: mutexes (with priority
 * inheritance), counting semaphores, read-write locks, completions.
 *
 * The rule that prevents lost wake-ups: a waiter queues itself and marks itself sleeping
 * *before* testing its condition (prepare_to_wait), and a waker changes the condition *before*
 * waking. A wake that lands between the test and schedule() turns the thread runnable again, so
 * schedule() returns at once.
 */
#pragma once

#include "lib/spinlock.h"
#include "lib/types.h"

struct thread;

/*
 * A waiter: a thread, or (func set) a callback that a wake-up calls under the queue's lock
 * instead of waking anyone; callback entries stay queued until finish_wait (epoll uses them).
 */
struct wait_entry {
	struct thread *thread;
	struct wait_entry *next, *prev;
	bool queued;
	void (*func)(struct wait_entry *e);
};

struct waitqueue {
	spinlock_t lock;
	struct wait_entry *head, *tail;
};

void waitqueue_init(struct waitqueue *wq);
void prepare_to_wait(struct waitqueue *wq, struct wait_entry *e);
void finish_wait(struct waitqueue *wq, struct wait_entry *e);
/*
 * Waiting on several queues at once (poll): waitqueue_add queues e without touching the thread's
 * state; a wake-up dequeues it (e->queued turns false) and wakes the thread if it sleeps.
 * set_current_sleeping(true) then schedule() sleeps until such a wake (or a timer or signal).
 * The waker's dequeue happens before its wake, so testing e->queued after
 * set_current_sleeping(true) loses no wake-up.
 */
void waitqueue_add(struct waitqueue *wq, struct wait_entry *e);
void set_current_sleeping(bool sleeping);

/* Wakes the first waiter that was really asleep; false if none. */
bool wake_up_one(struct waitqueue *wq);
unsigned wake_up_all(struct waitqueue *wq);

/* Blocks until cond is true (cond is evaluated with the thread queued and marked sleeping). */
#define wait_event(wq, cond)                                                        \
	do {                                                                        \
		struct wait_entry __we = { .thread = current_thread() };            \
		for (;;) {                                                          \
			prepare_to_wait((wq), &__we);                               \
			if (cond)                                                   \
				break;                                              \
			schedule();                                                 \
		}                                                                   \
		finish_wait((wq), &__we);                                           \
	} while (0)

/* The same with a timeout in ns: true when cond became true, false on timeout. */
#define wait_event_timeout(wq, cond, ns)                                            \
	({                                                                          \
		struct wait_entry __we = { .thread = current_thread() };            \
		struct timer_event __te = { 0 };                                    \
		uint64_t __deadline = clock_monotonic_ns() + (ns);                 \
		bool __ok;                                                          \
		timer_event_add(&__te, __deadline, wait_timeout_wake, current_thread()); \
		for (;;) {                                                          \
			prepare_to_wait((wq), &__we);                               \
			if ((__ok = (cond)))                                        \
				break;                                              \
			if (clock_monotonic_ns() >= __deadline)                     \
				break;                                              \
			schedule();                                                 \
		}                                                                   \
		finish_wait((wq), &__we);                                           \
		timer_event_cancel(&__te);                                          \
		__ok;                                                               \
	})

struct timer_event;
void wait_timeout_wake(struct timer_event *t, void *thread);

/* Sleeping mutex; a real-time waiter lends its priority to the owner (sched_pi_enabled). */
struct mutex {
	spinlock_t lock;
	struct thread *owner;
	struct wait_entry *waiters; /* highest priority first, FIFO among equals */
	struct mutex *next_held;
};
#define MUTEX_INIT { SPINLOCK_INIT, NULL, NULL, NULL }
void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);

struct semaphore {
	spinlock_t lock;
	int64_t count;
	struct waitqueue wq;
};
void sem_init(struct semaphore *s, int64_t count);
void sem_down(struct semaphore *s);
bool sem_down_timeout(struct semaphore *s, uint64_t ns);
bool sem_trydown(struct semaphore *s);
void sem_up(struct semaphore *s);

/* Read-write lock: many readers or one writer; waiting writers hold off new readers. */
struct rwlock {
	spinlock_t lock;
	int readers;        /* -1: a writer holds it */
	unsigned writers_waiting;
	struct waitqueue wq;
};
void rwlock_init(struct rwlock *l);
void read_lock(struct rwlock *l);
void read_unlock(struct rwlock *l);
void write_lock(struct rwlock *l);
void write_unlock(struct rwlock *l);

struct completion {
	spinlock_t lock;
	unsigned done;
	struct waitqueue wq;
};
void completion_init(struct completion *c);
void wait_for_completion(struct completion *c);
void complete(struct completion *c);
void complete_all(struct completion *c);
