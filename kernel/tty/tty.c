/*
 * The TTY core (see tty.h): input from interrupt handlers through the line discipline, blocking
 * reads, writes with output processing, poll, and the job-control rules of read and write
 * (a background process group gets SIGTTIN / SIGTTOU). The ioctls are in tty_ioctl.c.
 */
#include "tty/tty.h"
#include "tty/tty_internal.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

static void tty_ldisc_out(void *ctx, const char *s, size_t n)
{
	struct tty *t = ctx;
	t->driver->write(t, s, n);
}

static void tty_input_work(struct work *w)
{
	tty_process_input(container_of(w, struct tty, input_work));
}

void tty_setup(struct tty *t, const char *name, dev_t devt, const struct tty_driver *drv,
	       uint16_t rows, uint16_t cols)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->devt = devt;
	t->driver = drv;
	t->lock = (spinlock_t)SPINLOCK_INIT;
	t->raw_lock = (spinlock_t)SPINLOCK_INIT;
	waitqueue_init(&t->read_wq);
	waitqueue_init(&t->write_wq);
	mutex_init(&t->write_lock);
	mutex_init(&t->input_lock);
	ldisc_init(&t->ld, tty_ldisc_out, t);
	t->ws = (struct winsize_k){ .ws_row = rows, .ws_col = cols };
	t->input_work.fn = tty_input_work;
}

/* ---- input ---- */

void tty_receive(struct tty *t, const char *s, size_t n)
{
	uint64_t fl = spin_lock_irqsave(&t->raw_lock);
	for (size_t i = 0; i < n; i++) {
		if (t->raw_head - t->raw_tail < TTY_RAW_SIZE)
			t->raw[t->raw_head++ % TTY_RAW_SIZE] = s[i];
		else
			t->raw_dropped++;
	}
	spin_unlock_irqrestore(&t->raw_lock, fl);
	work_queue(&t->input_work);
}

/* Feeds bytes to the line discipline (input_lock held). */
static void feed(struct tty *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t fl = spin_lock_irqsave(&t->lock);
		int sig = ldisc_receive(&t->ld, (uint8_t)s[i]);
		spin_unlock_irqrestore(&t->lock, fl);
		if (sig)
			tty_signal_foreground(t, sig);
	}
	wake_up_all(&t->read_wq); /* readable, or output restarted (VSTART) */
}

void tty_process_input(struct tty *t)
{
	/* The lock keeps the order when the worker and a ktest (or TIOCSTI) drain at once. */
	mutex_lock(&t->input_lock);
	for (;;) {
		char batch[64];
		size_t n = 0;
		uint64_t fl = spin_lock_irqsave(&t->raw_lock);
		while (n < sizeof(batch) && t->raw_tail != t->raw_head)
			batch[n++] = t->raw[t->raw_tail++ % TTY_RAW_SIZE];
		spin_unlock_irqrestore(&t->raw_lock, fl);
		if (n == 0)
			break;
		feed(t, batch, n);
	}
	mutex_unlock(&t->input_lock);
}

void tty_input_direct(struct tty *t, const char *s, size_t n)
{
	mutex_lock(&t->input_lock);
	feed(t, s, n);
	mutex_unlock(&t->input_lock);
}

/* ---- signals and job control ---- */

void tty_kill_pgrp_locked(int pgid, int sig)
{
	if (pgid <= 0)
		return;
	struct siginfo_k info = { .signo = sig, .code = SI_KERNEL };
	for (struct process *p = process_first(); p; p = p->all_next)
		if (p->pgid == pgid && p->state == PROC_ALIVE)
			send_signal_process(p, &info);
}

void tty_signal_foreground(struct tty *t, int sig)
{
	mutex_lock(&proc_lock);
	tty_kill_pgrp_locked(t->pgrp, sig);
	mutex_unlock(&proc_lock);
}

/* True when the current thread blocks or ignores sig (then no job-control signal is sent). */
static bool sig_blocked_or_ignored(int sig)
{
	struct uthread *u = current_uthread();
	uint64_t fl = spin_lock_irqsave(&signal_lock);
	bool r = (u->blocked & SIGBIT(sig)) || u->proc->sighand->action[sig].handler == SIG_IGN;
	spin_unlock_irqrestore(&signal_lock, fl);
	return r;
}

/* POSIX: a group is orphaned when no member has a parent in another group of the same
 * session (nobody is left to continue it once stopped). proc_lock held. */
static bool pgrp_orphaned_locked(int pgid)
{
	for (struct process *q = process_first(); q; q = q->all_next) {
		if (q->pgid != pgid || q->state != PROC_ALIVE)
			continue;
		struct process *parent = q->parent;
		if (parent && parent->pgid != pgid && parent->sid == q->sid)
			return false;
	}
	return true;
}

/* Would pgid be orphaned once gone has left (its children then belong to init)? */
static bool orphaned_without(int pgid, struct process *gone)
{
	for (struct process *q = process_first(); q; q = q->all_next) {
		if (q->pgid != pgid || q->state != PROC_ALIVE || q == gone)
			continue;
		struct process *parent = q->parent;
		if (parent && parent != gone && parent->pgid != pgid && parent->sid == q->sid)
			return false;
	}
	return true;
}

/* POSIX: a group that the exit orphans and that has a stopped member gets SIGHUP, then SIGCONT
 * (nobody could continue it otherwise). */
static void hup_if_orphaned(int pgid, struct process *gone)
{
	bool stopped = false;
	for (struct process *q = process_first(); q && !stopped; q = q->all_next)
		if (q->pgid == pgid && q->state == PROC_ALIVE && q != gone && q->stopped)
			stopped = true;
	if (stopped && orphaned_without(pgid, gone)) {
		tty_kill_pgrp_locked(pgid, SIGHUP);
		tty_kill_pgrp_locked(pgid, SIGCONT);
	}
}

void tty_exit_orphans(struct process *p)
{
	struct process *parent = p->parent;
	if (parent && parent->pgid != p->pgid && parent->sid == p->sid)
		hup_if_orphaned(p->pgid, p); /* p may have been what tied its own group */
	for (struct process *c = p->children; c; c = c->sibling)
		if (c->pgid != p->pgid && c->sid == p->sid)
			hup_if_orphaned(c->pgid, p);
}

int tty_job_check(struct tty *t, int sig)
{
	struct process *p = current_process();
	if (!p)
		return 0; /* a kernel thread (ktests) */
	mutex_lock(&proc_lock);
	bool background = p->tty == t && t->pgrp && p->pgid != t->pgrp;
	int pgid = p->pgid;
	bool orphaned = background && pgrp_orphaned_locked(pgid);
	mutex_unlock(&proc_lock);
	if (!background)
		return 0;
	/* Linux: a background reader that cannot be stopped gets EIO; a writer just writes. */
	if (sig_blocked_or_ignored(sig))
		return sig == SIGTTIN ? -EIO : 0;
	if (orphaned)
		return -EIO; /* a stop would never end */
	mutex_lock(&proc_lock);
	tty_kill_pgrp_locked(pgid, sig);
	mutex_unlock(&proc_lock);
	return -ERESTARTSYS;
}

/* ---- read ---- */

struct read_wait {
	struct tty *t;
	size_t want;
};

/* Whether a read of want bytes would return now (tty->lock held). */
static bool read_ready_locked(struct tty *t, size_t want)
{
	const struct termios_k *tio = &t->ld.tio;
	if (tio->c_lflag & ICANON)
		return ldisc_line_ready(&t->ld);
	size_t avail = ldisc_readable(&t->ld);
	size_t need = tio->c_cc[VMIN] ? tio->c_cc[VMIN] : 1;
	if (need > want)
		need = want;
	if (tio->c_cc[VTIME] && avail)
		return true; /* FIXME: VMIN > 1 with VTIME: the inter-byte timer is not modelled */
	return avail >= need;
}

static bool read_ready(void *arg)
{
	struct read_wait *w = arg;
	uint64_t fl = spin_lock_irqsave(&w->t->lock);
	bool r = read_ready_locked(w->t, w->want) || w->t->hung_up;
	spin_unlock_irqrestore(&w->t->lock, fl);
	return r;
}

static ssize_t tty_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct tty *t = f->private;
	if (len == 0)
		return 0;
	bool timed_out = false;
	for (;;) {
		int err = tty_job_check(t, SIGTTIN);
		if (err)
			return err;
		uint64_t fl = spin_lock_irqsave(&t->lock);
		const struct termios_k *tio = &t->ld.tio;
		bool canon = tio->c_lflag & ICANON;
		uint8_t vmin = tio->c_cc[VMIN], vtime = tio->c_cc[VTIME];
		size_t n = 0;
		bool eof = false;
		if (read_ready_locked(t, len) || (!canon && (timed_out || (!vmin && !vtime))))
			n = ldisc_read(&t->ld, buf, len, &eof);
		spin_unlock_irqrestore(&t->lock, fl);
		if (n || eof || (!canon && (timed_out || (!vmin && !vtime))))
			return (ssize_t)n;
		if (__atomic_load_n(&t->hung_up, __ATOMIC_ACQUIRE))
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		uint64_t deadline = !canon && vtime ? clock_monotonic_ns() + vtime * 100000000ull : 0;
		struct read_wait w = { t, len };
		err = wait_interruptible_until(&t->read_wq, read_ready, &w, deadline);
		if (err == -ETIMEDOUT)
			timed_out = true;
		else if (err)
			return -ERESTARTSYS;
	}
}

/* ---- write ---- */

static bool output_running(void *arg)
{
	struct tty *t = arg;
	return !__atomic_load_n(&t->ld.stopped, __ATOMIC_ACQUIRE) || t->hung_up;
}

/* Room for at least a few bytes (each may become two under ONLCR), or hung up. */
static bool has_room(void *arg)
{
	struct tty *t = arg;
	uint64_t fl = spin_lock_irqsave(&t->lock);
	bool r = t->hung_up || t->driver->write_room(t) >= 2;
	spin_unlock_irqrestore(&t->lock, fl);
	return r;
}

static ssize_t tty_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct tty *t = f->private;
	if (len == 0)
		return 0;
	if (t->ld.tio.c_lflag & TOSTOP) {
		int err = tty_job_check(t, SIGTTOU);
		if (err)
			return err;
	}
	mutex_lock(&t->write_lock);
	size_t done = 0;
	while (done < len) {
		if (__atomic_load_n(&t->hung_up, __ATOMIC_ACQUIRE)) {
			mutex_unlock(&t->write_lock);
			return done ? (ssize_t)done : -EIO;
		}
		if (t->ld.stopped) { /* ^S: wait for ^Q */
			if (f->flags & O_NONBLOCK)
				break;
			mutex_unlock(&t->write_lock);
			if (wait_interruptible_until(&t->read_wq, output_running, t, 0))
				return done ? (ssize_t)done : -ERESTARTSYS;
			mutex_lock(&t->write_lock);
			continue;
		}
		/* Small chunks: output runs with interrupts off. */
		size_t n = len - done < 256 ? len - done : 256;
		uint64_t fl = spin_lock_irqsave(&t->lock);
		if (t->driver->write_room) {
			size_t room = t->driver->write_room(t) / 2; /* ONLCR may double each byte */
			if (room == 0) {
				spin_unlock_irqrestore(&t->lock, fl);
				if (f->flags & O_NONBLOCK)
					break;
				mutex_unlock(&t->write_lock);
				if (wait_interruptible_until(&t->write_wq, has_room, t, 0))
					return done ? (ssize_t)done : -ERESTARTSYS;
				mutex_lock(&t->write_lock);
				continue;
			}
			if (n > room)
				n = room;
		}
		ldisc_write(&t->ld, (const char *)buf + done, n);
		spin_unlock_irqrestore(&t->lock, fl);
		done += n;
	}
	mutex_unlock(&t->write_lock);
	return done ? (ssize_t)done : -EAGAIN;
}

/* ---- poll, open, release ---- */

static unsigned tty_poll(struct file *f, struct poll_table *pt)
{
	struct tty *t = f->private;
	poll_wait(pt, &t->read_wq);
	uint64_t fl = spin_lock_irqsave(&t->lock);
	bool in = read_ready_locked(t, SIZE_MAX);
	bool out = !t->driver->write_room || t->driver->write_room(t) >= 2;
	bool hup = t->hung_up;
	spin_unlock_irqrestore(&t->lock, fl);
	if (t->driver->write_room)
		poll_wait(pt, &t->write_wq);
	if (hup)
		return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP;
	return (out ? POLLOUT | POLLWRNORM : 0) | (in ? POLLIN | POLLRDNORM : 0);
}

static void tty_release(struct inode *inode, struct file *f)
{
	(void)inode;
	struct tty *t = f->private;
	if (t && t->driver->close)
		t->driver->close(t, f);
}

int tty_open_file(struct tty *t, struct file *f, bool may_become_ctty)
{
	if (t->driver->open) {
		int err = t->driver->open(t);
		if (err)
			return err;
	}
	f->fop = &tty_fops;
	f->private = t;
	struct process *p = current_process();
	if (!may_become_ctty || (f->flags & O_NOCTTY) || !p)
		return 0;
	/* Linux: a session leader without a controlling terminal acquires one it opens, if the
	 * terminal belongs to no session. */
	mutex_lock(&proc_lock);
	if (p->sid == p->pid && !p->tty && !t->session) {
		p->tty = t;
		t->session = p->sid;
		t->pgrp = p->pgid;
	}
	mutex_unlock(&proc_lock);
	return 0;
}

void tty_session_leader_exit(struct process *leader)
{
	struct tty *t = leader->tty;
	if (!t || leader->sid != leader->pid)
		return;
	if (t->session == leader->sid) {
		tty_kill_pgrp_locked(t->pgrp, SIGHUP);
		tty_kill_pgrp_locked(t->pgrp, SIGCONT);
		t->session = 0;
		t->pgrp = 0;
	}
	for (struct process *p = process_first(); p; p = p->all_next)
		if (p->sid == leader->sid && p->tty == t)
			p->tty = NULL;
}

const struct file_ops tty_fops = {
	.read = tty_read, .write = tty_write, .poll = tty_poll, .ioctl = tty_ioctl,
	.release = tty_release, .llseek = vfs_no_llseek,
};
