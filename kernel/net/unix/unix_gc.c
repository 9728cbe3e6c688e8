/*
 * Descriptors in flight: freeing AF_UNIX buffers without deep recursion, and a collector for
 * sockets that only messages in flight keep alive.
 *
 * Freeing a buffer puts the files it carries; putting the last reference to an AF_UNIX socket
 * releases it, which frees its own queue, and so on down a chain of sockets queued in each
 * other. skb_free_list therefore queues buffers on a pending list and drains it in a loop;
 * a call nested inside a drain (the same thread) only queues, so the nesting stays one level
 * deep whatever a program builds.
 *
 * A socket sent over itself (or a ring of sockets each queued in the next) keeps its own file
 * alive after every descriptor is closed. unix_gc, queued as deferred work when a socket is
 * released while sockets are in flight (many releases, one run), finds them as Linux's collector does: candidates are sockets whose file's
 * references all come from messages in flight; references from other candidates' queues are
 * subtracted; a candidate still referenced from outside is alive, and so is everything queued
 * in a live one; the queues of the rest are freed, which breaks the cycles.
 */
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/work.h"
#include "mm/slab.h"
#include "time/clock.h"
#include "time/timer.h"

#define GC_INTERVAL_NS 20000000ull /* at most one run per 20 ms: a burst of closes, one run */
#include "net/unix/unix_internal.h"

static spinlock_t free_lock = SPINLOCK_INIT;
static struct unix_skb *free_head, *free_tail; /* free_lock */
#define DRAINERS 16
static struct thread *drainers[DRAINERS];      /* free_lock: the threads emptying the list */
static long unix_inflight_total;               /* unix_lock */
static uint64_t gc_last_ns;                    /* when the last run started */

void unix_inflight_add(struct scm_k *scm, int delta)
{
	for (int i = 0; scm && i < scm->nfiles; i++) {
		struct unix_sock *u = unix_sock_of_file(scm->files[i]);
		if (u) {
			u->inflight += delta;
			unix_inflight_total += delta;
		}
	}
}

static void skb_free_one(struct unix_skb *s)
{
	if (s->scm) {
		if (s->scm->nfiles) {
			mutex_lock(&unix_lock);
			unix_inflight_add(s->scm, -1);
			mutex_unlock(&unix_lock);
		}
		scm_release(s->scm); /* may release a socket, which frees its queue through here */
		kfree(s->scm);
	}
	usk_put(s->from);
	kfree(s);
}

/* Whether the current thread is already draining (then it only queues: no recursion). Every
 * other caller drains too, so its buffers are gone, or being freed, when it returns. */
static bool drain_enter(void)
{
	struct thread *me = current_thread();
	int free_slot = -1;
	for (int i = 0; i < DRAINERS; i++) {
		if (drainers[i] == me)
			return false;
		if (!drainers[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return false; /* that many drainers at once: one of them frees ours */
	drainers[free_slot] = me;
	return true;
}

static void drain_leave(void)
{
	for (int i = 0; i < DRAINERS; i++)
		if (drainers[i] == current_thread())
			drainers[i] = NULL;
}

void skb_free_list(struct unix_skb *s)
{
	if (!s)
		return;
	struct unix_skb *last = s;
	while (last->next)
		last = last->next;
	spin_lock(&free_lock);
	if (free_tail)
		free_tail->next = s;
	else
		free_head = s;
	free_tail = last;
	if (!drain_enter()) {
		spin_unlock(&free_lock); /* our own caller is draining and will free them */
		return;
	}
	for (;;) {
		struct unix_skb *one = free_head;
		if (!one) {
			drain_leave();
			spin_unlock(&free_lock);
			return;
		}
		free_head = one->next;
		if (!free_head)
			free_tail = NULL;
		spin_unlock(&free_lock);
		one->next = NULL;
		skb_free_one(one);
		spin_lock(&free_lock);
	}
}

/* Calls fn for every candidate whose file is queued in u's queues (and its embryos'). */
static void scan_queues(struct unix_sock *u, void (*fn)(struct unix_sock *d, void *ctx), void *ctx)
{
	for (struct unix_sock *q = u; q; q = q == u ? (u->state == US_LISTENING ? u->acc_head : NULL) : q->bound_next)
		for (struct unix_skb *s = q->rq_head; s; s = s->next)
			for (int i = 0; s->scm && i < s->scm->nfiles; i++) {
				struct unix_sock *d = unix_sock_of_file(s->scm->files[i]);
				if (d && d->gc_cand)
					fn(d, ctx);
			}
}

static void drop_internal_ref(struct unix_sock *d, void *ctx)
{
	(void)ctx;
	d->gc_refs--;
}

static void mark_alive(struct unix_sock *d, void *ctx)
{
	struct unix_sock **stack = ctx;
	if (d->gc_alive)
		return;
	d->gc_alive = true;
	d->gc_next = *stack;
	*stack = d;
}

static void steal_queue(struct unix_sock *q, struct unix_skb **head, struct unix_skb **tail)
{
	if (!q->rq_head)
		return;
	if (*tail)
		(*tail)->next = q->rq_head;
	else
		*head = q->rq_head;
	*tail = q->rq_tail;
	q->rq_head = q->rq_tail = NULL;
	q->rq_bytes = 0;
	q->rq_overhead = 0;
	q->rq_count = 0;
}

void unix_gc(void)
{
	struct unix_skb *garbage = NULL, *gtail = NULL;
	mutex_lock(&unix_lock);
	if (unix_inflight_total == 0) {
		mutex_unlock(&unix_lock);
		return;
	}
	__atomic_store_n(&gc_last_ns, clock_monotonic_ns(), __ATOMIC_RELAXED);
	/* Candidates: every reference to the socket's file belongs to a message in flight
	 * (a descriptor, or a system call in progress, holds one more). */
	for (struct unix_sock *u = unix_all; u; u = u->all_next) {
		u->gc_cand = u->inflight > 0 && u->sock && u->sock->file &&
			     __atomic_load_n(&u->sock->file->refcount, __ATOMIC_ACQUIRE) == u->inflight;
		u->gc_refs = u->inflight;
		u->gc_alive = false;
	}
	for (struct unix_sock *u = unix_all; u; u = u->all_next)
		if (u->gc_cand)
			scan_queues(u, drop_internal_ref, NULL);
	struct unix_sock *stack = NULL;
	for (struct unix_sock *u = unix_all; u; u = u->all_next)
		if (u->gc_cand && u->gc_refs > 0)
			mark_alive(u, &stack); /* queued somewhere outside the candidates */
	while (stack) {
		struct unix_sock *a = stack;
		stack = a->gc_next;
		scan_queues(a, mark_alive, &stack);
	}
	for (struct unix_sock *u = unix_all; u; u = u->all_next) {
		if (!u->gc_cand || u->gc_alive)
			continue;
		steal_queue(u, &garbage, &gtail);
		if (u->state == US_LISTENING)
			for (struct unix_sock *e = u->acc_head; e; e = e->bound_next)
				steal_queue(e, &garbage, &gtail);
	}
	mutex_unlock(&unix_lock);
	skb_free_list(garbage); /* puts the files: the sockets of the cycle are released */
}

static void gc_work_fn(struct work *w)
{
	(void)w;
	unix_gc();
}

static struct work gc_work = { .fn = gc_work_fn };
static struct timer_event gc_timer;
static bool gc_timer_armed;

static void gc_timer_fn(struct timer_event *t, void *ctx)
{
	(void)t, (void)ctx;
	__atomic_store_n(&gc_timer_armed, false, __ATOMIC_RELEASE);
	work_queue(&gc_work);
}

void unix_gc_schedule(void)
{
	if (!__atomic_load_n(&unix_inflight_total, __ATOMIC_RELAXED))
		return;
	uint64_t now = clock_monotonic_ns(), last = __atomic_load_n(&gc_last_ns, __ATOMIC_RELAXED);
	if (now - last >= GC_INTERVAL_NS)
		work_queue(&gc_work);
	else if (!__atomic_exchange_n(&gc_timer_armed, true, __ATOMIC_ACQ_REL))
		timer_event_add(&gc_timer, last + GC_INTERVAL_NS, gc_timer_fn, NULL);
}
