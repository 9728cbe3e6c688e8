/*
 * poll, ppoll, select and pselect6. One loop serves all four: scan the files (the first scan
 * registers a poll-table entry on each wait queue the files name), and while nothing is ready
 * sleep until an entry is woken, the deadline passes or a signal arrives, then scan again.
 * The files are held from the first scan to the end, so their wait queues outlive the entries.
 * A signal ends the wait with -ERESTARTNOHAND (EINTR once a handler runs), as on Linux;
 * select, pselect6 and ppoll write the time left back to the caller's timeout.
 */
#include "arch/x86_64/percpu.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"
#include "time/clock.h"
#include "time/timer.h"

#define NSEC_PER_SEC 1000000000ull
#define FOREVER_SEC  (1ull << 32) /* timeouts past a century are treated as no timeout */

/* Sleeps until a registered queue wakes us, the deadline (0: none) passes or a signal arrives;
 * true when the deadline has passed. */
static bool poll_sleep(struct poll_table *pt, uint64_t deadline)
{
	struct timer_event te = { 0 };
	if (deadline)
		timer_event_add(&te, deadline, wait_timeout_wake, current_thread());
	set_current_sleeping(true);
	if (!poll_table_woken(pt) && !signal_pending() && !(deadline && clock_monotonic_ns() >= deadline))
		schedule();
	set_current_sleeping(false);
	if (deadline)
		timer_event_cancel(&te);
	return deadline && clock_monotonic_ns() >= deadline;
}

/* scan returns the number of ready descriptors (or -errno); pt is NULL after the first scan. */
typedef int (*scan_fn)(void *ctx, struct poll_table *pt);

static int64_t poll_loop(scan_fn scan, void *ctx, uint64_t deadline, bool nowait)
{
	struct poll_table pt;
	poll_table_init(&pt);
	pt.registering = !nowait;
	bool timed_out = nowait;
	int64_t ret;
	for (;;) {
		ret = scan(ctx, pt.registering ? &pt : NULL);
		pt.registering = false;
		if (ret != 0)
			break;
		if (pt.error) {
			ret = pt.error;
			break;
		}
		if (timed_out)
			break;
		if (signal_pending()) {
			ret = -ERESTARTNOHAND;
			break;
		}
		timed_out = poll_sleep(&pt, deadline);
		poll_table_rearm(&pt);
	}
	poll_table_free(&pt);
	return ret;
}

/* ---- timeouts ---- */

struct kts {
	int64_t sec, nsec;
};

struct ktv {
	int64_t sec, usec;
};

/* A relative timeout as a deadline: 0 for none (ts NULL or beyond FOREVER_SEC); *nowait for a zero timeout. */
static uint64_t deadline_of(const struct kts *ts, bool *nowait)
{
	*nowait = false;
	if (!ts)
		return 0;
	if (ts->sec == 0 && ts->nsec == 0) {
		*nowait = true;
		return 0;
	}
	if ((uint64_t)ts->sec >= FOREVER_SEC)
		return 0;
	return clock_monotonic_ns() + (uint64_t)ts->sec * NSEC_PER_SEC + (uint64_t)ts->nsec;
}

static struct kts time_left(uint64_t deadline)
{
	uint64_t now = clock_monotonic_ns();
	uint64_t left = deadline > now ? deadline - now : 0;
	return (struct kts){ (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC) };
}

/* ---- signal masks for ppoll and pselect6 (set for the wait, like sigsuspend) ---- */

static int mask_for_wait(const sigset_t *umask, size_t size, bool *set)
{
	*set = false;
	if (!umask)
		return 0;
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
	*set = true;
	return 0;
}

/* Interrupted: the mask comes back after the handler runs (signal delivery restores it).
 * Otherwise it comes back now. */
static void mask_after_wait(bool set, int64_t ret)
{
	if (!set || ret == -ERESTARTNOHAND)
		return;
	struct uthread *u = current_uthread();
	uint64_t irq = spin_lock_irqsave(&signal_lock);
	if (u->restore_saved_mask) {
		u->blocked = u->saved_mask;
		u->restore_saved_mask = false;
	}
	spin_unlock_irqrestore(&signal_lock, irq);
}

/* ---- poll ---- */

struct pollfd_k {
	int fd;
	int16_t events, revents;
};

struct poll_ctx {
	struct pollfd_k *fds;
	struct file **files;
	unsigned n;
};

static int poll_scan(void *arg, struct poll_table *pt)
{
	struct poll_ctx *c = arg;
	int count = 0;
	for (unsigned i = 0; i < c->n; i++) {
		struct pollfd_k *p = &c->fds[i];
		p->revents = 0;
		if (p->fd < 0)
			continue;
		if (!c->files[i]) {
			p->revents = POLLNVAL;
		} else {
			unsigned want = (uint16_t)p->events | POLLERR | POLLHUP;
			p->revents = (int16_t)(vfs_poll(c->files[i], pt) & want);
		}
		if (p->revents)
			count++;
	}
	return count;
}

static int64_t do_poll(struct pollfd_k *ufds, unsigned nfds, uint64_t deadline, bool nowait)
{
	if (nfds > (unsigned)fd_limit())
		return -EINVAL;
	struct poll_ctx c = { NULL, NULL, nfds };
	int64_t r;
	c.fds = kmalloc(nfds ? nfds * sizeof(*c.fds) : 1);
	c.files = kzalloc(nfds ? nfds * sizeof(*c.files) : 1);
	if (!c.fds || !c.files) {
		r = -ENOMEM;
		goto out;
	}
	if (nfds && copy_from_user(c.fds, ufds, nfds * sizeof(*c.fds))) {
		r = -EFAULT;
		goto out;
	}
	for (unsigned i = 0; i < nfds; i++)
		if (c.fds[i].fd >= 0)
			c.files[i] = fget(c.fds[i].fd);
	r = poll_loop(poll_scan, &c, deadline, nowait);
	/* revents go back whatever happened (zero when nothing was ready). */
	for (unsigned i = 0; i < nfds; i++)
		if (put_user(c.fds[i].revents, &ufds[i].revents) && r >= 0)
			r = -EFAULT;
	for (unsigned i = 0; i < nfds; i++)
		if (c.files[i])
			file_put(c.files[i]);
out:
	kfree(c.fds);
	kfree(c.files);
	return r;
}

static int64_t sys_poll(struct pollfd_k *ufds, unsigned nfds, int timeout_ms)
{
	bool nowait = timeout_ms == 0;
	uint64_t deadline = timeout_ms > 0 ? clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
	return do_poll(ufds, nfds, deadline, nowait);
}
SYSCALL(7, poll);

static int64_t sys_ppoll(struct pollfd_k *ufds, unsigned nfds, struct kts *uts, const sigset_t *umask,
			 size_t sigsetsize)
{
	struct kts ts;
	if (uts) {
		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
			return -EINVAL;
	}
	bool nowait, masked;
	uint64_t deadline = deadline_of(uts ? &ts : NULL, &nowait);
	int err = mask_for_wait(umask, sigsetsize, &masked);
	if (err)
		return err;
	int64_t r = do_poll(ufds, nfds, deadline, nowait);
	if (uts && !nowait && deadline) {
		struct kts left = time_left(deadline);
		if (copy_to_user(uts, &left, sizeof(left)) && r == -ERESTARTNOHAND)
			r = -EINTR;
	}
	mask_after_wait(masked, r);
	return r;
}
SYSCALL(271, ppoll);

/* ---- select ---- */

#define FDS_WORDS(n) (((size_t)(n) + 63) / 64)

#define SEL_IN  (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX  POLLPRI

struct select_ctx {
	int n;
	uint64_t *in, *out, *ex;    /* what was asked (NULL: no set) */
	uint64_t *rin, *rout, *rex; /* what is ready */
	struct file **files;
};

static bool bit(const uint64_t *set, int fd)
{
	return set && (set[fd / 64] >> (fd % 64)) & 1;
}

static int select_scan(void *arg, struct poll_table *pt)
{
	struct select_ctx *c = arg;
	size_t words = FDS_WORDS(c->n);
	memset(c->rin, 0, words * 8);
	memset(c->rout, 0, words * 8);
	memset(c->rex, 0, words * 8);
	int count = 0;
	for (int fd = 0; fd < c->n; fd++) {
		bool in = bit(c->in, fd), out = bit(c->out, fd), ex = bit(c->ex, fd);
		if (!in && !out && !ex)
			continue;
		unsigned m = vfs_poll(c->files[fd], pt);
		uint64_t b = 1ull << (fd % 64);
		if (in && (m & SEL_IN)) {
			c->rin[fd / 64] |= b;
			count++;
		}
		if (out && (m & SEL_OUT)) {
			c->rout[fd / 64] |= b;
			count++;
		}
		if (ex && (m & SEL_EX)) {
			c->rex[fd / 64] |= b;
			count++;
		}
	}
	return count;
}

static int64_t do_select(int n, uint64_t *uin, uint64_t *uout, uint64_t *uex, uint64_t deadline, bool nowait)
{
	if (n < 0)
		return -EINVAL;
	if (n > FD_MAX)
		n = FD_MAX;
	size_t words = FDS_WORDS(n), bytes = words * 8;
	struct select_ctx c = { .n = n };
	/* Six bit sets in one allocation, then the file pointers. */
	uint64_t *sets = kzalloc(6 * bytes + (size_t)n * sizeof(struct file *) + 8);
	if (!sets)
		return -ENOMEM;
	c.rin = sets + 3 * words;
	c.rout = sets + 4 * words;
	c.rex = sets + 5 * words;
	c.files = (struct file **)(sets + 6 * words);
	int64_t r = 0;
	if ((uin && copy_from_user(sets, uin, bytes)) || (uout && copy_from_user(sets + words, uout, bytes)) ||
	    (uex && copy_from_user(sets + 2 * words, uex, bytes))) {
		r = -EFAULT;
		goto out;
	}
	c.in = uin ? sets : NULL;
	c.out = uout ? sets + words : NULL;
	c.ex = uex ? sets + 2 * words : NULL;
	for (int fd = 0; fd < n && !r; fd++) {
		if (!bit(c.in, fd) && !bit(c.out, fd) && !bit(c.ex, fd))
			continue;
		c.files[fd] = fget(fd);
		if (!c.files[fd])
			r = -EBADF;
	}
	if (!r)
		r = poll_loop(select_scan, &c, deadline, nowait);
	if (r >= 0 && ((uin && copy_to_user(uin, c.rin, bytes)) || (uout && copy_to_user(uout, c.rout, bytes)) ||
		       (uex && copy_to_user(uex, c.rex, bytes))))
		r = -EFAULT;
out:
	for (int fd = 0; fd < n; fd++)
		if (c.files[fd])
			file_put(c.files[fd]);
	kfree(sets);
	return r;
}

static int64_t sys_select(int n, uint64_t *in, uint64_t *out, uint64_t *ex, struct ktv *utv)
{
	struct ktv tv;
	struct kts ts;
	if (utv) {
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv.sec < 0 || tv.usec < 0)
			return -EINVAL;
		/* Linux carries whole seconds out of tv_usec. */
		ts.sec = tv.sec + tv.usec / 1000000;
		ts.nsec = (tv.usec % 1000000) * 1000;
	}
	bool nowait;
	uint64_t deadline = deadline_of(utv ? &ts : NULL, &nowait);
	int64_t r = do_select(n, in, out, ex, deadline, nowait);
	if (utv && !nowait && deadline) {
		struct kts left = time_left(deadline);
		struct ktv l = { left.sec, left.nsec / 1000 };
		if (copy_to_user(utv, &l, sizeof(l)) && r == -ERESTARTNOHAND)
			r = -EINTR;
	}
	return r;
}
SYSCALL(23, select);

struct sigset_arg {
	const sigset_t *set;
	size_t size;
};

static int64_t sys_pselect6(int n, uint64_t *in, uint64_t *out, uint64_t *ex, struct kts *uts,
			    const struct sigset_arg *usig)
{
	struct kts ts;
	if (uts) {
		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
			return -EINVAL;
	}
	struct sigset_arg sig = { NULL, 0 };
	if (usig && copy_from_user(&sig, usig, sizeof(sig)))
		return -EFAULT;
	bool nowait, masked;
	uint64_t deadline = deadline_of(uts ? &ts : NULL, &nowait);
	int err = mask_for_wait(sig.set, sig.size, &masked);
	if (err)
		return err;
	int64_t r = do_select(n, in, out, ex, deadline, nowait);
	if (uts && !nowait && deadline) {
		struct kts left = time_left(deadline);
		if (copy_to_user(uts, &left, sizeof(left)) && r == -ERESTARTNOHAND)
			r = -EINTR;
	}
	mask_after_wait(masked, r);
	return r;
}
SYSCALL(270, pselect6);
