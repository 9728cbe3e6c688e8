/*
 * Poll tables: the wait queues a poll/select caller registered through the files' poll ops.
 * Entries live in fixed blocks (a queued entry must never move) and stay queued until
 * poll_table_free; a wake-up dequeues an entry, which is how the poller tells it was woken.
 */
#include "arch/x86_64/percpu.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/slab.h"
#include "sched/sched.h"

#define POLL_BLOCK_ENTRIES 30

struct poll_entry {
	struct waitqueue *wq;
	struct wait_entry we;
};

struct poll_table_block {
	struct poll_table_block *next;
	unsigned n;
	struct poll_entry e[POLL_BLOCK_ENTRIES];
};

void poll_table_init(struct poll_table *pt)
{
	pt->blocks = NULL;
	pt->registering = true;
	pt->error = 0;
	pt->qproc = NULL;
	pt->priv = NULL;
}

void poll_wait(struct poll_table *pt, struct waitqueue *wq)
{
	if (!pt || !pt->registering || !wq)
		return;
	if (pt->qproc) {
		pt->qproc(pt, wq);
		return;
	}
	struct poll_table_block *b = pt->blocks;
	if (!b || b->n == POLL_BLOCK_ENTRIES) {
		b = kzalloc(sizeof(*b));
		if (!b) {
			pt->error = -ENOMEM;
			return;
		}
		b->next = pt->blocks;
		pt->blocks = b;
	}
	struct poll_entry *e = &b->e[b->n++];
	e->wq = wq;
	e->we.thread = current_thread();
	waitqueue_add(wq, &e->we);
}

bool poll_table_woken(struct poll_table *pt)
{
	for (struct poll_table_block *b = pt->blocks; b; b = b->next)
		for (unsigned i = 0; i < b->n; i++)
			if (!__atomic_load_n(&b->e[i].we.queued, __ATOMIC_ACQUIRE))
				return true;
	return false;
}

void poll_table_rearm(struct poll_table *pt)
{
	for (struct poll_table_block *b = pt->blocks; b; b = b->next)
		for (unsigned i = 0; i < b->n; i++)
			if (!__atomic_load_n(&b->e[i].we.queued, __ATOMIC_ACQUIRE))
				waitqueue_add(b->e[i].wq, &b->e[i].we);
}

void poll_table_free(struct poll_table *pt)
{
	while (pt->blocks) {
		struct poll_table_block *b = pt->blocks;
		for (unsigned i = 0; i < b->n; i++)
			finish_wait(b->e[i].wq, &b->e[i].we);
		pt->blocks = b->next;
		kfree(b);
	}
}

unsigned vfs_poll(struct file *f, struct poll_table *pt)
{
	if (f->fop && f->fop->poll)
		return f->fop->poll(f, pt);
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}
