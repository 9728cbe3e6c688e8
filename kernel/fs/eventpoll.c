/*
 * epoll: a set of watched files whose readiness is kept instead of rescanned. Registering a
 * file polls it once with a poll table whose qproc puts a callback entry (not a thread) on
 * each wait queue the file names; a wake-up of such a queue runs ep_callback, which puts the
 * item on the ready list and wakes epoll_wait. epoll_wait polls only the ready items again:
 * level-triggered items that are still ready stay listed, EPOLLET items leave the list until
 * their next wake-up, EPOLLONESHOT items are disabled until EPOLL_CTL_MOD. Any file with a
 * poll op works (pipes, sockets, eventfd, signalfd, ttys...).
 *
 * Locking: ep_mutex (global) guards every file's list of items (file->ep_links) and is taken
 * first; an eventpoll's mtx guards its items and is held while epoll_wait polls them, so a
 * file being closed (eventpoll_release_file takes mtx) is never polled half-gone; the ready
 * list has a spinlock, since callbacks run in wake-up context under the file's queue lock.
 * An epoll may watch other epolls (its poll op says whether anything is listed), up to
 * EP_MAX_NESTS deep; adding one that would close a loop fails with ELOOP, as on Linux.
 */
#include "fs/eventpoll.h"
#include "arch/x86_64/percpu.h"
#include "fs/anon_inode.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"
#include "time/clock.h"

#define EPOLLIN        0x001
#define EPOLLOUT       0x004
#define EPOLLERR       0x008
#define EPOLLHUP       0x010
#define EPOLLRDHUP     0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET        (1u << 31)
#define EP_CTL_FLAGS   (EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

#define EP_MAX_QUEUES 4     /* wait queues one file may name */
#define EP_MAX_NESTS  4     /* Linux's EP_MAX_NESTS: epolls inside epolls, at most this deep */
#define EP_MAX_EVENTS (0x7fffffff / 12)

struct epoll_event_u {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));
_Static_assert(sizeof(struct epoll_event_u) == 12, "struct epoll_event is packed on x86_64");

struct eventpoll;
struct epitem;

struct ep_wait {
	struct wait_entry we;       /* a callback entry on wq */
	struct waitqueue *wq;
	struct epitem *item;
};

struct epitem {
	struct eventpoll *ep;
	struct file *file;          /* no reference: closing the file removes the item */
	int fd;
	uint32_t events;            /* what is watched, with the EPOLLET/ONESHOT flags */
	uint64_t data;
	bool disabled;              /* EPOLLONESHOT fired */
	bool ready;                 /* on the ready list (ep->lock) */
	struct ep_wait waits[EP_MAX_QUEUES];
	int nwaits;
	struct epitem *next;        /* ep->items (ep->mtx) */
	struct epitem *rdnext;      /* ep->rdlist (ep->lock) */
	struct epitem *txnext;      /* ep_collect's private walk (ep->mtx) */
	struct epitem *fnext;       /* file->ep_links (ep_mutex) */
};

struct eventpoll {
	struct mutex mtx;
	spinlock_t lock;
	struct epitem *items;
	struct epitem *rdlist;
	struct waitqueue wq;        /* epoll_wait sleepers */
	struct waitqueue poll_wq;   /* poll/select on the epoll file itself */
	struct file *file;          /* its own file (no reference: the file owns it) */
};

static struct mutex ep_mutex = MUTEX_INIT;
static const struct file_ops eventpoll_fops;

/* Puts item on the ready list (ep->lock held). */
static void rd_add(struct eventpoll *ep, struct epitem *it)
{
	if (it->ready)
		return;
	it->ready = true;
	it->rdnext = ep->rdlist;
	ep->rdlist = it;
}

static void rd_remove(struct eventpoll *ep, struct epitem *it)
{
	if (!it->ready)
		return;
	for (struct epitem **pp = &ep->rdlist; *pp; pp = &(*pp)->rdnext)
		if (*pp == it) {
			*pp = it->rdnext;
			break;
		}
	it->ready = false;
}

/* A watched queue was woken: the item may be ready. Runs under that queue's lock. */
static void ep_callback(struct wait_entry *e)
{
	struct ep_wait *w = (struct ep_wait *)((char *)e - __builtin_offsetof(struct ep_wait, we));
	struct epitem *it = w->item;
	struct eventpoll *ep = it->ep;
	uint64_t irq = spin_lock_irqsave(&ep->lock);
	bool add = !it->disabled && !it->ready;
	if (add)
		rd_add(ep, it);
	spin_unlock_irqrestore(&ep->lock, irq);
	if (add) {
		wake_up_all(&ep->wq);
		wake_up_all(&ep->poll_wq);
	}
}

static void ep_queue(struct poll_table *pt, struct waitqueue *wq)
{
	struct epitem *it = pt->priv;
	if (it->nwaits == EP_MAX_QUEUES) {
		pt->error = -ENOMEM;
		return;
	}
	struct ep_wait *w = &it->waits[it->nwaits++];
	w->wq = wq;
	w->item = it;
	w->we = (struct wait_entry){ .func = ep_callback };
	waitqueue_add(wq, &w->we);
}

/* Dequeues item's callbacks and unlinks it from its ep (ep->mtx held) and file (ep_mutex held). */
static void item_unlink(struct epitem *it)
{
	struct eventpoll *ep = it->ep;
	for (int i = 0; i < it->nwaits; i++)
		finish_wait(it->waits[i].wq, &it->waits[i].we);
	it->nwaits = 0;
	uint64_t irq = spin_lock_irqsave(&ep->lock);
	rd_remove(ep, it);
	spin_unlock_irqrestore(&ep->lock, irq);
	for (struct epitem **pp = &ep->items; *pp; pp = &(*pp)->next)
		if (*pp == it) {
			*pp = it->next;
			break;
		}
	for (struct epitem **pp = (struct epitem **)&it->file->ep_links; *pp; pp = &(*pp)->fnext)
		if (*pp == it) {
			*pp = it->fnext;
			break;
		}
}

void eventpoll_release_file(struct file *f)
{
	mutex_lock(&ep_mutex);
	while (f->ep_links) {
		struct epitem *it = f->ep_links;
		struct eventpoll *ep = it->ep;
		mutex_lock(&ep->mtx);
		item_unlink(it);
		mutex_unlock(&ep->mtx);
		kfree(it);
	}
	mutex_unlock(&ep_mutex);
}

static void ep_release(struct inode *inode, struct file *f)
{
	(void)inode;
	struct eventpoll *ep = f->private;
	mutex_lock(&ep_mutex);
	mutex_lock(&ep->mtx);
	while (ep->items) {
		struct epitem *it = ep->items;
		item_unlink(it);
		kfree(it);
	}
	mutex_unlock(&ep->mtx);
	mutex_unlock(&ep_mutex);
	kfree(ep);
}

static unsigned ep_poll(struct file *f, struct poll_table *pt)
{
	struct eventpoll *ep = f->private;
	poll_wait(pt, &ep->poll_wq);
	uint64_t irq = spin_lock_irqsave(&ep->lock);
	bool any = ep->rdlist != NULL; /* FIXME: may report an item that is no longer ready */
	spin_unlock_irqrestore(&ep->lock, irq);
	return any ? POLLIN | POLLRDNORM : 0;
}

static const struct file_ops eventpoll_fops = {
	.poll = ep_poll,
	.release = ep_release,
	.llseek = vfs_no_llseek,
};

static int64_t sys_epoll_create1(int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	struct eventpoll *ep = kzalloc(sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	mutex_init(&ep->mtx);
	ep->lock = (spinlock_t)SPINLOCK_INIT;
	waitqueue_init(&ep->wq);
	waitqueue_init(&ep->poll_wq);
	struct file *f = anon_inode_file(&eventpoll_fops, ep, O_RDWR);
	if (!f) {
		kfree(ep);
		return -ENOMEM;
	}
	ep->file = f;
	int fd = fd_install_current(f, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	file_put(f);
	return fd;
}
SYSCALL(291, epoll_create1);

static int64_t sys_epoll_create(int size)
{
	if (size <= 0)
		return -EINVAL;
	return sys_epoll_create1(0);
}
SYSCALL(213, epoll_create);

/* Whether from (an epoll) watches target, directly or through nested epolls (ep_mutex held:
 * item lists change only under it). depth bounds the walk. */
static bool ep_reaches(struct eventpoll *from, struct eventpoll *target, int depth)
{
	if (from == target)
		return true;
	if (depth > EP_MAX_NESTS)
		return true; /* too deep to tell: refused like a loop */
	for (struct epitem *it = from->items; it; it = it->next)
		if (it->file->fop == &eventpoll_fops && ep_reaches(it->file->private, target, depth + 1))
			return true;
	return false;
}

/* How many epolls deep the epolls watched by ep go (0: none), capped past EP_MAX_NESTS. */
static int ep_height(struct eventpoll *ep, int depth)
{
	int h = 0;
	if (depth > EP_MAX_NESTS)
		return depth;
	for (struct epitem *it = ep->items; it; it = it->next)
		if (it->file->fop == &eventpoll_fops) {
			int sub = 1 + ep_height(it->file->private, depth + 1);
			if (sub > h)
				h = sub;
		}
	return h;
}

/* How many epolls watch ep from above, the longest chain (ep_mutex held). */
static int ep_depth(struct eventpoll *ep)
{
	int d = 0;
	for (struct epitem *it = ep->file->ep_links; it; it = it->fnext) {
		int up = 1 + ep_depth(it->ep);
		if (up > d)
			d = up;
		if (d > EP_MAX_NESTS)
			break;
	}
	return d;
}

static struct epitem *find_item(struct eventpoll *ep, struct file *f, int fd)
{
	for (struct epitem *it = ep->items; it; it = it->next)
		if (it->file == f && it->fd == fd)
			return it;
	return NULL;
}

/* Polls it and, if it has an event it watches, lists it as ready (ep->mtx held). */
static void ep_check(struct eventpoll *ep, struct epitem *it, struct poll_table *pt)
{
	unsigned mask = vfs_poll(it->file, pt) & (it->events | EPOLLERR | EPOLLHUP);
	if (!mask)
		return;
	uint64_t irq = spin_lock_irqsave(&ep->lock);
	rd_add(ep, it);
	spin_unlock_irqrestore(&ep->lock, irq);
	wake_up_all(&ep->wq);
	wake_up_all(&ep->poll_wq);
}

static int64_t sys_epoll_ctl(int epfd, int op, int fd, const struct epoll_event_u *uev)
{
	struct epoll_event_u ev = { 0 };
	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	struct file *epf = fd_get(current_process()->files, epfd);
	if (!epf)
		return -EBADF;
	struct file *f = fd_get(current_process()->files, fd);
	int64_t err = 0;
	if (!f) {
		err = -EBADF;
		goto out;
	}
	if (!f->fop || !f->fop->poll) {
		err = -EPERM; /* regular files and directories: always ready, so not allowed */
		goto out;
	}
	if (epf->fop != &eventpoll_fops || f == epf) {
		err = -EINVAL;
		goto out;
	}
	if ((ev.events & EPOLLEXCLUSIVE) && op == EPOLL_CTL_MOD) {
		err = -EINVAL;
		goto out;
	}
	struct eventpoll *ep = epf->private;
	mutex_lock(&ep_mutex);
	mutex_lock(&ep->mtx);
	struct epitem *it = find_item(ep, f, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			err = -EEXIST;
			break;
		}
		if (f->fop == &eventpoll_fops && (ep_reaches(f->private, ep, 1) || ep_depth(ep) + 1 + ep_height(f->private, 0) > EP_MAX_NESTS)) {
			err = -ELOOP; /* a cycle of epolls, or nesting deeper than Linux allows */
			break;
		}
		it = kzalloc(sizeof(*it));
		if (!it) {
			err = -ENOMEM;
			break;
		}
		it->ep = ep;
		it->file = f;
		it->fd = fd;
		it->events = ev.events;
		it->data = ev.data;
		it->next = ep->items;
		ep->items = it;
		it->fnext = f->ep_links;
		__atomic_store_n(&f->ep_links, it, __ATOMIC_RELEASE);
		struct poll_table pt;
		poll_table_init(&pt);
		pt.qproc = ep_queue;
		pt.priv = it;
		ep_check(ep, it, &pt);
		if (pt.error) {
			item_unlink(it);
			kfree(it);
			err = pt.error;
		}
		break;
	case EPOLL_CTL_MOD:
		if (!it) {
			err = -ENOENT;
			break;
		}
		it->events = ev.events;
		it->data = ev.data;
		it->disabled = false;
		ep_check(ep, it, NULL);
		break;
	case EPOLL_CTL_DEL:
		if (!it) {
			err = -ENOENT;
			break;
		}
		item_unlink(it);
		kfree(it);
		break;
	default:
		err = -EINVAL;
	}
	mutex_unlock(&ep->mtx);
	mutex_unlock(&ep_mutex);
out:
	if (f)
		file_put(f);
	file_put(epf);
	return err;
}
SYSCALL(233, epoll_ctl);

/*
 * Collects up to max events from the ready list into out (ep->mtx held): their number. The
 * list is taken whole and walked through txnext, since callbacks may put its items back on
 * the ready list (through rdnext) while they are being polled.
 */
static int ep_collect(struct eventpoll *ep, struct epoll_event_u *out, int max)
{
	uint64_t irq = spin_lock_irqsave(&ep->lock);
	struct epitem *list = ep->rdlist;
	ep->rdlist = NULL;
	for (struct epitem *it = list; it; it = it->rdnext) {
		it->ready = false;
		it->txnext = it->rdnext;
	}
	spin_unlock_irqrestore(&ep->lock, irq);
	int n = 0;
	struct epitem *keep = NULL, *next;
	for (struct epitem *it = list; it; it = next) {
		next = it->txnext;
		if (it->disabled)
			continue;
		if (n == max) {
			it->txnext = keep; /* no room this time: still listed */
			keep = it;
			continue;
		}
		unsigned mask = vfs_poll(it->file, NULL) & (it->events | EPOLLERR | EPOLLHUP);
		if (!mask)
			continue; /* a wake-up without the watched event: off the list until the next */
		out[n].events = mask;
		out[n].data = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			it->disabled = true;
		else if (!(it->events & EPOLLET)) {
			it->txnext = keep; /* level-triggered: looked at again next time */
			keep = it;
		}
	}
	irq = spin_lock_irqsave(&ep->lock);
	for (struct epitem *it = keep; it; it = it->txnext)
		rd_add(ep, it); /* an item a callback listed meanwhile is listed once */
	spin_unlock_irqrestore(&ep->lock, irq);
	return n;
}

static bool ep_has_ready(void *arg)
{
	struct eventpoll *ep = arg;
	return __atomic_load_n(&ep->rdlist, __ATOMIC_ACQUIRE) != NULL;
}

static int64_t ep_wait(int epfd, struct epoll_event_u *uevents, int max, int64_t timeout_ms)
{
	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	if (!user_range_ok((uint64_t)uevents, (uint64_t)max * sizeof(*uevents)))
		return -EFAULT;
	struct file *epf = fd_get(current_process()->files, epfd);
	if (!epf)
		return -EBADF;
	if (epf->fop != &eventpoll_fops) {
		file_put(epf);
		return -EINVAL;
	}
	struct eventpoll *ep = epf->private;
	int cap = max < 256 ? max : 256;
	struct epoll_event_u *kev = kmalloc((size_t)cap * sizeof(*kev));
	if (!kev) {
		file_put(epf);
		return -ENOMEM;
	}
	uint64_t deadline = timeout_ms > 0 ? clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
	int64_t r;
	for (;;) {
		mutex_lock(&ep->mtx);
		r = ep_collect(ep, kev, cap);
		mutex_unlock(&ep->mtx);
		if (r > 0 || timeout_ms == 0)
			break;
		int w = wait_interruptible_until(&ep->wq, ep_has_ready, ep, deadline);
		if (w == -ETIMEDOUT) {
			r = 0;
			break;
		}
		if (w == -EINTR) {
			r = -EINTR; /* epoll_wait is never restarted, as on Linux */
			break;
		}
	}
	if (r > 0 && copy_to_user(uevents, kev, (size_t)r * sizeof(*kev)))
		r = -EFAULT;
	kfree(kev);
	file_put(epf);
	return r;
}

static int64_t sys_epoll_wait(int epfd, struct epoll_event_u *events, int max, int timeout)
{
	return ep_wait(epfd, events, max, timeout);
}
SYSCALL(232, epoll_wait);

/* epoll_pwait: the signal mask is replaced for the wait, as sigsuspend does. */
static int64_t sys_epoll_pwait(int epfd, struct epoll_event_u *events, int max, int timeout,
			       const sigset_t *umask, size_t size)
{
	if (!umask)
		return ep_wait(epfd, events, max, timeout);
	if (size != sizeof(sigset_t))
		return -EINVAL;
	sigset_t m;
	if (copy_from_user(&m, umask, sizeof(m)))
		return -EFAULT;
	struct uthread *u = current_uthread();
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	u->saved_mask = u->blocked;
	u->restore_saved_mask = true;
	u->blocked = m & ~UNBLOCKABLE;
	spin_unlock_irqrestore(&signal_lock, irq);
	int64_t r = ep_wait(epfd, events, max, timeout);
	if (r != -EINTR) {
		/* Not interrupted: the old mask comes back now (else after the handler runs). */
		irq = spin_lock_irqsave(&signal_lock);
		if (u->restore_saved_mask) {
			u->blocked = u->saved_mask;
			u->restore_saved_mask = false;
		}
		spin_unlock_irqrestore(&signal_lock, irq);
	}
	return r;
}
SYSCALL(281, epoll_pwait);
