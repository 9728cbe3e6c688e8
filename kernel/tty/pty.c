/*
 * Pseudo-terminals, Unix 98 style: opening /dev/ptmx (5:2) makes a pair; the master is that
 * open file, the slave a terminal at /dev/pts/N (136:N) with the full line discipline. What the
 * master writes is the slave's input; what the slave writes (after OPOST) the master reads.
 *
 * Pairs live in a fixed table (no pointer to a freed terminal can remain: a slot is only
 * reused after every process's controlling-terminal link to it is cleared). pty_lock guards
 * the table and the open counts; each slave's tty->lock guards its output ring.
 *
 * Closing the master hangs the slave up (SIGHUP and SIGCONT to its foreground group, reads see
 * end of file, writes EIO); with the slave closed the master reads EIO once drained, as Linux.
 * FIXME: not a devpts file system: /dev/pts/0..15 are made at boot in devfs and exist whether
 * or not their pair does (opening a free one is EIO); nodes cannot be made on demand because
 * open runs under the VFS lock that mknod takes. Packet mode,
 * TIOCPKT and master-side termios are not there; a master write into a full input buffer drops.
 */
#include "tty/tty_internal.h"

#include "console/console.h"
#include "fs/devfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/syscall.h"

#define PTY_MAX      16
#define PTY_BUF      16384 /* a power of two: the slave's output, waiting for the master */
#define PTS_MAJOR    136

#define TIOCGPTN   0x80045430
#define TIOCSPTLCK 0x40045431
#define TIOCGPTLCK 0x80045439
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541b

struct pty {
	bool used;
	bool locked;               /* TIOCSPTLCK: the slave cannot be opened yet */
	bool slave_opened;         /* opened at least once (a master read then sees EIO on close) */
	int index;
	int master_open, slave_open;
	struct tty slave;
	char name[16];             /* "pts/N" */
	char out[PTY_BUF];         /* slave output for the master: [out_tail, out_head) */
	uint32_t out_head, out_tail;
	struct waitqueue master_wq; /* output arrived for the master, or the slave went away */
};

static struct pty ptys[PTY_MAX];
static struct mutex pty_lock = MUTEX_INIT;

static struct pty *pty_of(struct tty *t)
{
	return container_of(t, struct pty, slave);
}

/* ---- the slave's driver ---- */

static void slave_write(struct tty *t, const char *s, size_t n)
{
	struct pty *p = pty_of(t);
	for (size_t i = 0; i < n && p->out_head - p->out_tail < PTY_BUF; i++)
		p->out[p->out_head++ % PTY_BUF] = s[i]; /* echoes beyond the room are dropped */
	wake_up_all(&p->master_wq);
}

static size_t slave_room(struct tty *t)
{
	struct pty *p = pty_of(t);
	return PTY_BUF - (p->out_head - p->out_tail);
}

static void pty_free_locked(struct pty *p);

static int slave_tty_open(struct tty *t)
{
	struct pty *p = pty_of(t);
	mutex_lock(&pty_lock);
	int err = 0;
	if (!p->used || !p->master_open || p->locked)
		err = -EIO; /* Linux: the pair is gone, hung up, or not unlocked yet */
	else
		p->slave_open++, p->slave_opened = true;
	mutex_unlock(&pty_lock);
	return err;
}

static void slave_close(struct tty *t, struct file *f)
{
	(void)f;
	struct pty *p = pty_of(t);
	mutex_lock(&pty_lock);
	p->slave_open--;
	wake_up_all(&p->master_wq);
	if (!p->master_open && !p->slave_open)
		pty_free_locked(p);
	mutex_unlock(&pty_lock);
}

static const struct tty_driver slave_driver = {
	.write = slave_write, .write_room = slave_room, .open = slave_tty_open, .close = slave_close,
};

/* pty_lock held. */
static void pty_free_locked(struct pty *p)
{
	mutex_lock(&proc_lock);
	for (struct process *q = process_first(); q; q = q->all_next)
		if (q->tty == &p->slave)
			q->tty = NULL;
	mutex_unlock(&proc_lock);
	p->used = false;
}

/* ---- the master ---- */

static bool master_ready(void *arg)
{
	struct pty *p = arg;
	uint64_t fl = spin_lock_irqsave(&p->slave.lock);
	bool r = p->out_head != p->out_tail || (p->slave_opened && !p->slave_open);
	spin_unlock_irqrestore(&p->slave.lock, fl);
	return r;
}

static ssize_t master_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct pty *p = f->private;
	if (len == 0)
		return 0;
	for (;;) {
		uint64_t fl = spin_lock_irqsave(&p->slave.lock);
		size_t n = 0;
		while (n < len && p->out_tail != p->out_head)
			((char *)buf)[n++] = p->out[p->out_tail++ % PTY_BUF];
		bool gone = p->slave_opened && !__atomic_load_n(&p->slave_open, __ATOMIC_ACQUIRE);
		spin_unlock_irqrestore(&p->slave.lock, fl);
		if (n) {
			wake_up_all(&p->slave.write_wq);
			return (ssize_t)n;
		}
		if (gone)
			return -EIO;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_interruptible_until(&p->master_wq, master_ready, p, 0))
			return -ERESTARTSYS;
	}
}

static ssize_t master_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct pty *p = f->private;
	/* Thread context: straight into the line discipline. The slave's deferred input work is
	 * never queued, so a freed pair leaves nothing behind in the worker's list. */
	tty_input_direct(&p->slave, buf, len);
	return (ssize_t)len;
}

static unsigned master_poll(struct file *f, struct poll_table *pt)
{
	struct pty *p = f->private;
	poll_wait(pt, &p->master_wq);
	uint64_t fl = spin_lock_irqsave(&p->slave.lock);
	bool in = p->out_head != p->out_tail;
	spin_unlock_irqrestore(&p->slave.lock, fl);
	unsigned mask = POLLOUT | POLLWRNORM | (in ? POLLIN | POLLRDNORM : 0);
	if (p->slave_opened && !__atomic_load_n(&p->slave_open, __ATOMIC_ACQUIRE))
		mask |= POLLHUP;
	return mask;
}

static int master_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	struct pty *p = f->private;
	int v;
	switch (cmd) {
	case TIOCGPTN:
		return put_user(p->index, (int *)arg);
	case TIOCSPTLCK:
		if (get_user(v, (const int *)arg))
			return -EFAULT;
		p->locked = v != 0;
		return 0;
	case TIOCGPTLCK:
		v = p->locked;
		return put_user(v, (int *)arg);
	case FIONREAD: {
		uint64_t fl = spin_lock_irqsave(&p->slave.lock);
		v = (int)(p->out_head - p->out_tail);
		spin_unlock_irqrestore(&p->slave.lock, fl);
		return put_user(v, (int *)arg);
	}
	case TIOCGWINSZ:
	case TIOCSWINSZ: {
		/* The window size belongs to the pair: the slave's ioctl does it (SIGWINCH too). */
		struct file tmp = *f;
		tmp.private = &p->slave;
		return tty_ioctl(&tmp, cmd, arg);
	}
	default:
		return -ENOTTY; /* FIXME: master-side termios and packet mode */
	}
}

static void master_release(struct inode *inode, struct file *f)
{
	(void)inode;
	struct pty *p = f->private;
	mutex_lock(&pty_lock);
	p->master_open--;
	__atomic_store_n(&p->slave.hung_up, true, __ATOMIC_RELEASE);
	wake_up_all(&p->slave.read_wq);
	wake_up_all(&p->slave.write_wq);
	mutex_lock(&proc_lock);
	if (p->slave.session) { /* a hang-up, as a modem's carrier loss */
		tty_kill_pgrp_locked(p->slave.pgrp, SIGHUP);
		tty_kill_pgrp_locked(p->slave.pgrp, SIGCONT);
	}
	mutex_unlock(&proc_lock);
	if (!p->slave_open)
		pty_free_locked(p);
	mutex_unlock(&pty_lock);
}

static const struct file_ops master_fops = {
	.read = master_read, .write = master_write, .poll = master_poll, .ioctl = master_ioctl,
	.release = master_release, .llseek = vfs_no_llseek,
};

/* /dev/ptmx: a new pair; its slave node appears as /dev/pts/N, locked until unlockpt. */
int pty_open_master(struct file *f)
{
	mutex_lock(&pty_lock);
	struct pty *p = NULL;
	for (int i = 0; i < PTY_MAX && !p; i++)
		if (!ptys[i].used)
			p = &ptys[i];
	if (!p) {
		mutex_unlock(&pty_lock);
		return -ENOSPC; /* Linux: the devpts instance is full */
	}
	int index = (int)(p - ptys);
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->locked = true;
	p->index = index;
	p->master_open = 1;
	waitqueue_init(&p->master_wq);
	snprintf(p->name, sizeof(p->name), "pts/%d", index);
	tty_setup(&p->slave, p->name, MKDEV(PTS_MAJOR, index), &slave_driver, 24, 80);
	mutex_unlock(&pty_lock);
	f->fop = &master_fops;
	f->private = p;
	return 0;
}

static int pts_open(struct inode *inode, struct file *f)
{
	unsigned n = MINOR(inode->rdev);
	if (n >= PTY_MAX)
		return -ENXIO;
	mutex_lock(&pty_lock);
	bool used = ptys[n].used;
	mutex_unlock(&pty_lock);
	if (!used)
		return -EIO;
	return tty_open_file(&ptys[n].slave, f, true); /* slave_open checks and counts */
}

static const struct file_ops pts_major_fops = { .open = pts_open };

void pty_init(void)
{
	int err = vfs_mkdir(NULL, "/dev/pts", 0755);
	if (err && err != -EEXIST)
		pr_err("pty: cannot make /dev/pts: error %d\n", err);
	err = vfs_register_chrdev(PTS_MAJOR, &pts_major_fops);
	if (err)
		pr_err("pty: cannot register major %d: error %d\n", PTS_MAJOR, err);
	for (int i = 0; i < PTY_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "pts/%d", i);
		int e = devfs_add_node(name, S_IFCHR | 0620, MKDEV(PTS_MAJOR, i));
		if (e && e != -EEXIST)
			pr_err("pty: cannot make /dev/%s: error %d\n", name, e);
	}
}
