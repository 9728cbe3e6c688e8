/*
 * Terminal ioctls with Linux's numbers and rules: termios (TCGETS/TCSETS*), window size,
 * controlling terminal and foreground group (TIOCSCTTY, TIOCNOTTY, TIOC[GS]PGRP, TIOCGSID),
 * queues (FIONREAD, TIOCOUTQ, TCFLSH), flow (TCXONC), TIOCSTI, and the few console ioctls
 * busybox asks; everything else is -ENOTTY, as Linux answers for a request a driver lacks.
 */
#include "tty/tty_internal.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/process.h"

#define TCGETS     0x5401
#define TCSETS     0x5402
#define TCSETSW    0x5403
#define TCSETSF    0x5404
#define TCSBRK     0x5409
#define TCXONC     0x540a
#define TCFLSH     0x540b
#define TIOCEXCL   0x540c
#define TIOCNXCL   0x540d
#define TIOCSCTTY  0x540e
#define TIOCGPGRP  0x540f
#define TIOCSPGRP  0x5410
#define TIOCOUTQ   0x5411
#define TIOCSTI    0x5412
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541b
#define TIOCNOTTY  0x5422
#define TCSBRKP    0x5425
#define TIOCGSID   0x5429
#define KDGKBTYPE  0x4b33
#define KB_101     0x02

#define TCOOFF 0
#define TCOON  1
#define TCIOFF 2
#define TCION  3
#define TCIFLUSH  0
#define TCOFLUSH  1
#define TCIOFLUSH 2

/* The caller's controlling terminal is t (proc_lock held). */
static bool is_ctty(struct tty *t, struct process *p)
{
	return p && p->tty == t && t->session == p->sid;
}

static int set_termios(struct tty *t, unsigned cmd, uint64_t arg)
{
	/* Changing the settings from the background is a write: SIGTTOU (Linux's tty_check_change). */
	int err = tty_job_check(t, SIGTTOU);
	if (err)
		return err;
	struct termios_k tio;
	if (copy_from_user(&tio, (const void *)arg, sizeof(tio)))
		return -EFAULT;
	uint64_t fl = spin_lock_irqsave(&t->lock);
	if (cmd == TCSETSF)
		ldisc_flush_input(&t->ld);
	ldisc_set_termios(&t->ld, &tio); /* TCSETSW's drain is implicit: output is synchronous */
	spin_unlock_irqrestore(&t->lock, fl);
	wake_up_all(&t->read_wq); /* a mode change can make input readable */
	return 0;
}

static int set_ctty(struct tty *t, uint64_t arg)
{
	struct process *p = current_process();
	int r = 0;
	mutex_lock(&proc_lock);
	if (p->tty == t && t->session == p->sid) {
		r = 0;
	} else if (p->sid != p->pid || p->tty) {
		r = -EPERM;
	} else if (t->session && t->session != p->sid) {
		/* Held by another session: only root with arg 1 steals it. */
		if (arg != 1 || p->cred.euid != 0) {
			r = -EPERM;
		} else {
			for (struct process *q = process_first(); q; q = q->all_next)
				if (q->tty == t)
					q->tty = NULL;
		}
	}
	if (!r) {
		p->tty = t;
		t->session = p->sid;
		t->pgrp = p->pgid;
	}
	mutex_unlock(&proc_lock);
	return r;
}

static int give_up_ctty(struct tty *t)
{
	struct process *p = current_process();
	mutex_lock(&proc_lock);
	int r = 0;
	if (!is_ctty(t, p))
		r = -ENOTTY;
	else if (p->sid == p->pid)
		tty_session_leader_exit(p);
	else
		p->tty = NULL;
	mutex_unlock(&proc_lock);
	return r;
}

static int get_pgrp(struct tty *t, uint64_t arg, bool sid)
{
	struct process *p = current_process();
	mutex_lock(&proc_lock);
	int v = sid ? t->session : t->pgrp;
	bool ok = is_ctty(t, p) && v;
	mutex_unlock(&proc_lock);
	if (!ok)
		return -ENOTTY;
	return put_user(v, (int *)arg);
}

static int set_pgrp(struct tty *t, uint64_t arg)
{
	int pgrp;
	if (get_user(pgrp, (const int *)arg))
		return -EFAULT;
	int err = tty_job_check(t, SIGTTOU);
	if (err)
		return err;
	struct process *p = current_process();
	if (pgrp < 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	int r = -EPERM;
	if (!is_ctty(t, p)) {
		r = -ENOTTY;
	} else {
		for (struct process *q = process_first(); q; q = q->all_next)
			if (q->pgid == pgrp && q->state == PROC_ALIVE) {
				r = q->sid == p->sid ? 0 : -EPERM;
				break;
			}
		if (!r)
			t->pgrp = pgrp;
	}
	mutex_unlock(&proc_lock);
	return r;
}

static int set_winsize(struct tty *t, uint64_t arg)
{
	struct winsize_k ws;
	if (copy_from_user(&ws, (const void *)arg, sizeof(ws)))
		return -EFAULT;
	uint64_t fl = spin_lock_irqsave(&t->lock);
	bool changed = memcmp(&ws, &t->ws, sizeof(ws)) != 0;
	t->ws = ws;
	spin_unlock_irqrestore(&t->lock, fl);
	if (changed)
		tty_signal_foreground(t, SIGWINCH);
	return 0;
}

static int flow(struct tty *t, uint64_t arg)
{
	uint64_t fl = spin_lock_irqsave(&t->lock);
	int r = 0;
	switch (arg) {
	case TCOOFF: t->ld.stopped = true; break;
	case TCOON: t->ld.stopped = false; break;
	case TCIOFF: ldisc_write(&t->ld, (const char *)&t->ld.tio.c_cc[VSTOP], 1); break;
	case TCION: ldisc_write(&t->ld, (const char *)&t->ld.tio.c_cc[VSTART], 1); break;
	default: r = -EINVAL; break;
	}
	spin_unlock_irqrestore(&t->lock, fl);
	wake_up_all(&t->read_wq);
	return r;
}

int tty_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct tty *t = f->private;
	uint64_t fl;
	switch (cmd) {
	case TCGETS: {
		fl = spin_lock_irqsave(&t->lock);
		struct termios_k tio = t->ld.tio;
		spin_unlock_irqrestore(&t->lock, fl);
		return copy_to_user((void *)arg, &tio, sizeof(tio)) ? -EFAULT : 0;
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_termios(t, cmd, arg);
	case TIOCGWINSZ: {
		fl = spin_lock_irqsave(&t->lock);
		struct winsize_k ws = t->ws;
		spin_unlock_irqrestore(&t->lock, fl);
		return copy_to_user((void *)arg, &ws, sizeof(ws)) ? -EFAULT : 0;
	}
	case TIOCSWINSZ:
		return set_winsize(t, arg);
	case TIOCSCTTY:
		return set_ctty(t, arg);
	case TIOCNOTTY:
		return give_up_ctty(t);
	case TIOCGPGRP:
		return get_pgrp(t, arg, false);
	case TIOCGSID:
		return get_pgrp(t, arg, true);
	case TIOCSPGRP:
		return set_pgrp(t, arg);
	case FIONREAD: {
		fl = spin_lock_irqsave(&t->lock);
		int n = (int)ldisc_readable(&t->ld);
		spin_unlock_irqrestore(&t->lock, fl);
		return put_user(n, (int *)arg);
	}
	case TIOCOUTQ: {
		int zero = 0; /* output is written through at once */
		return put_user(zero, (int *)arg);
	}
	case TCFLSH:
		if (arg > TCIOFLUSH)
			return -EINVAL;
		if (arg != TCOFLUSH) {
			fl = spin_lock_irqsave(&t->lock);
			ldisc_flush_input(&t->ld);
			spin_unlock_irqrestore(&t->lock, fl);
		}
		return 0;
	case TCXONC:
		return flow(t, arg);
	case TCSBRK:
	case TCSBRKP:
		return 0; /* drains output, which never waits; a break means nothing to our devices */
	case TIOCSTI: {
		char c;
		if (get_user(c, (const char *)arg))
			return -EFAULT;
		mutex_lock(&proc_lock);
		bool ok = is_ctty(t, current_process()) || privileged();
		mutex_unlock(&proc_lock);
		if (!ok)
			return -EPERM;
		tty_input_direct(t, &c, 1);
		return 0;
	}
	case TIOCEXCL:
	case TIOCNXCL:
		return 0; /* FIXME: exclusive mode is not enforced */
	case KDGKBTYPE:
		if (!t->vt)
			return -ENOTTY; /* only the keyboard's terminal is a console with a keyboard */
		return put_user((char){ KB_101 }, (char *)arg);
	default:
		return -ENOTTY;
	}
}
