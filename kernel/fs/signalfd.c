/*
 * signalfd: the caller's pending signals in a mask, read as struct signalfd_siginfo records
 * instead of being delivered (the signals are normally blocked). Reading takes them as
 * delivery would (dequeue_signal); poll reports POLLIN while one in the mask is pending for
 * the polling thread. Writers of signals wake signal_queued_wq, where readers wait.
 */
#include "arch/x86_64/percpu.h"
#include "fs/anon_inode.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"

struct signalfd_siginfo_u {
	uint32_t ssi_signo;
	int32_t ssi_errno, ssi_code;
	uint32_t ssi_pid, ssi_uid;
	int32_t ssi_fd;
	uint32_t ssi_tid, ssi_band, ssi_overrun, ssi_trapno;
	int32_t ssi_status, ssi_int;
	uint64_t ssi_ptr, ssi_utime, ssi_stime, ssi_addr;
	uint16_t ssi_addr_lsb, pad2;
	int32_t ssi_syscall;
	uint64_t ssi_call_addr;
	uint32_t ssi_arch;
	uint8_t pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo_u) == 128, "struct signalfd_siginfo is 128 bytes");

struct signalfd {
	sigset_t mask; /* read without a lock: a changed mask applies from the next read */
};

static bool sfd_pending(void *arg)
{
	sigset_t mask = *(sigset_t *)arg;
	struct uthread *u = current_uthread();
	return ((__atomic_load_n(&u->pending, __ATOMIC_ACQUIRE) |
		 __atomic_load_n(&u->proc->shared_pending, __ATOMIC_ACQUIRE)) & mask) != 0;
}

static void fill(struct signalfd_siginfo_u *o, const struct siginfo_k *k)
{
	memset(o, 0, sizeof(*o));
	o->ssi_signo = (uint32_t)k->signo;
	o->ssi_errno = k->errno_;
	o->ssi_code = k->code;
	o->ssi_pid = (uint32_t)k->pid;
	o->ssi_uid = k->uid;
	o->ssi_status = k->status;
	o->ssi_utime = k->utime;
	o->ssi_stime = k->stime;
	o->ssi_addr = k->addr;
	o->ssi_int = (int32_t)k->value;
	o->ssi_ptr = k->value;
}

static ssize_t sfd_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct signalfd *s = f->private;
	size_t max = len / sizeof(struct signalfd_siginfo_u), n = 0;
	if (max == 0)
		return -EINVAL;
	struct uthread *u = current_uthread();
	for (;;) {
		sigset_t mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
		while (n < max) {
			struct siginfo_k info;
			uint64_t irq = spin_lock_irqsave(&signal_lock);
			int sig = dequeue_signal(u, mask, &info);
			spin_unlock_irqrestore(&signal_lock, irq);
			if (!sig)
				break;
			fill((struct signalfd_siginfo_u *)buf + n, &info);
			n++;
		}
		if (n)
			return (ssize_t)(n * sizeof(struct signalfd_siginfo_u));
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_interruptible_until(&signal_queued_wq, sfd_pending, &mask, 0))
			return -ERESTARTSYS;
	}
}

static unsigned sfd_poll(struct file *f, struct poll_table *pt)
{
	struct signalfd *s = f->private;
	poll_wait(pt, &signal_queued_wq);
	sigset_t mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
	return sfd_pending(&mask) ? POLLIN | POLLRDNORM : 0;
}

static void sfd_release(struct inode *inode, struct file *f)
{
	(void)inode;
	kfree(f->private);
}

static const struct file_ops signalfd_fops = {
	.read = sfd_read,
	.poll = sfd_poll,
	.release = sfd_release,
	.llseek = vfs_no_llseek,
};

static int64_t sys_signalfd4(int fd, const sigset_t *umask, size_t sizemask, int flags)
{
	if (sizemask != sizeof(sigset_t) || (flags & ~(O_NONBLOCK | O_CLOEXEC)))
		return -EINVAL;
	sigset_t mask;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	mask &= ~UNBLOCKABLE;
	if (fd != -1) {
		/* A new mask for an existing signalfd. */
		struct file *f = fd_get(current_process()->files, fd);
		if (!f)
			return -EBADF;
		int64_t r = fd;
		if (f->fop != &signalfd_fops)
			r = -EINVAL;
		else
			__atomic_store_n(&((struct signalfd *)f->private)->mask, mask, __ATOMIC_RELAXED);
		file_put(f);
		return r;
	}
	struct signalfd *s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mask = mask;
	struct file *f = anon_inode_file(&signalfd_fops, s, O_RDWR | (flags & O_NONBLOCK));
	if (!f) {
		kfree(s);
		return -ENOMEM;
	}
	int nfd = fd_install_current(f, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	file_put(f);
	return nfd;
}
SYSCALL(289, signalfd4);

static int64_t sys_signalfd(int fd, const sigset_t *umask, size_t sizemask)
{
	return sys_signalfd4(fd, umask, sizemask, 0);
}
SYSCALL(282, signalfd);
