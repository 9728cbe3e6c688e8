/*
 * POSIX message queue system calls (mq_open ... mq_getsetattr, Linux x86_64 numbers): names
 * and buffers copied in and out, absolute CLOCK_REALTIME timeouts turned into monotonic
 * deadlines, descriptors checked to be queues; the work is mqueue.c's.
 */
#include "ipc/ipc_internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/slab.h"
#include "mm/uaccess.h"
#include "mm/vmm.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "time/clock.h"

static int64_t sys_mq_open(const char *uname, int oflag, uint32_t mode, const struct mq_attr_u *uattr)
{
	char name[NAME_MAX + 2];
	long n = strncpy_from_user(name, uname, sizeof(name));
	if (n < 0)
		return n == -ENAMETOOLONG ? -ENAMETOOLONG : n;
	struct mq_attr_u attr;
	if ((oflag & O_CREAT) && uattr && copy_from_user(&attr, uattr, sizeof(attr)))
		return -EFAULT;
	struct file *f;
	int err = mq_open_file(name, oflag, mode, (oflag & O_CREAT) && uattr ? &attr : NULL, &f);
	if (err)
		return err;
	/* Linux's mq descriptors are close-on-exec only when asked (O_CLOEXEC). */
	int fd = fd_install_current(f, 0, (oflag & O_CLOEXEC) ? FD_CLOEXEC : 0);
	file_put(f);
	return fd;
}
SYSCALL(240, mq_open);

static int64_t sys_mq_unlink(const char *uname)
{
	char name[NAME_MAX + 2];
	long n = strncpy_from_user(name, uname, sizeof(name));
	if (n < 0)
		return n;
	return mq_unlink_name(name);
}
SYSCALL(241, mq_unlink);

struct kernel_timespec {
	int64_t sec, nsec;
};

/* An absolute CLOCK_REALTIME timeout as a monotonic deadline (0: none), or -errno. */
static int64_t deadline_of(const struct kernel_timespec *uts)
{
	if (!uts)
		return 0;
	struct kernel_timespec ts;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
		return -EINVAL;
	uint64_t sec = (uint64_t)ts.sec > (1ull << 33) ? (1ull << 33) : (uint64_t)ts.sec;
	uint64_t abs = sec * 1000000000ull + (uint64_t)ts.nsec, rt = clock_realtime_ns();
	uint64_t now = clock_monotonic_ns();
	return (int64_t)(abs > rt ? now + (abs - rt) : now ? now : 1);
}

/* The queue behind fd (a reference), or NULL. */
static struct file *mq_fd(int fd)
{
	struct file *f = fd_get(current_process()->files, fd);
	if (f && !file_is_mqueue(f)) {
		file_put(f);
		return NULL;
	}
	return f;
}

static int64_t sys_mq_timedsend(int mqd, const char *umsg, uint64_t len, unsigned prio,
				const struct kernel_timespec *uts)
{
	if (prio >= MQ_PRIO_MAX)
		return -EINVAL; /* Linux's first check */
	int64_t deadline = deadline_of(uts);
	if (deadline < 0)
		return deadline;
	struct file *f = mq_fd(mqd);
	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_RDONLY) {
		file_put(f);
		return -EBADF;
	}
	struct mq_attr_u attr;
	mq_getattr(f, &attr);
	int64_t err = -EMSGSIZE; /* checked before allocating what the caller asks for */
	void *buf = NULL;
	if (len <= (uint64_t)attr.mq_msgsize && (buf = len > 65536 ? vmalloc(len) : kmalloc(len ? len : 1))) {
		err = copy_from_user(buf, umsg, len);
		if (!err)
			err = mq_send(f, buf, len, prio, (uint64_t)deadline);
	} else if (len <= (uint64_t)attr.mq_msgsize) {
		err = -ENOMEM;
	}
	if (buf)
		len > 65536 ? vfree(buf) : kfree(buf);
	file_put(f);
	return err;
}
SYSCALL(242, mq_timedsend);

static int64_t sys_mq_timedreceive(int mqd, char *umsg, uint64_t len, unsigned *uprio,
				   const struct kernel_timespec *uts)
{
	int64_t deadline = deadline_of(uts);
	if (deadline < 0)
		return deadline;
	struct file *f = mq_fd(mqd);
	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_WRONLY) {
		file_put(f);
		return -EBADF;
	}
	struct mq_attr_u attr;
	mq_getattr(f, &attr);
	int64_t err;
	size_t cap = (size_t)attr.mq_msgsize; /* no message is longer */
	void *buf = NULL;
	if ((int64_t)len < attr.mq_msgsize) {
		err = -EMSGSIZE;
	} else if (!(buf = cap > 65536 ? vmalloc(cap) : kmalloc(cap))) {
		err = -ENOMEM;
	} else {
		unsigned prio = 0;
		err = mq_receive(f, buf, cap, &prio, (uint64_t)deadline);
		if (err >= 0 && (copy_to_user(umsg, buf, (size_t)err) || (uprio && put_user(prio, uprio))))
			err = -EFAULT;
	}
	if (buf)
		cap > 65536 ? vfree(buf) : kfree(buf);
	file_put(f);
	return err;
}
SYSCALL(243, mq_timedreceive);

static int64_t sys_mq_notify(int mqd, const struct sigevent_u *uev)
{
	struct sigevent_u ev;
	if (uev && copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	struct file *f = mq_fd(mqd);
	if (!f)
		return -EBADF;
	int err = mq_notify_set(f, uev ? &ev : NULL);
	file_put(f);
	return err;
}
SYSCALL(244, mq_notify);

static int64_t sys_mq_getsetattr(int mqd, const struct mq_attr_u *unew, struct mq_attr_u *uold)
{
	struct mq_attr_u nattr, oattr;
	if (unew && copy_from_user(&nattr, unew, sizeof(nattr)))
		return -EFAULT;
	if (unew && (nattr.mq_flags & ~(int64_t)O_NONBLOCK))
		return -EINVAL;
	struct file *f = mq_fd(mqd);
	if (!f)
		return -EBADF;
	mq_getattr(f, &oattr);
	if (unew) {
		/* Atomically, as fcntl(F_SETFL) changes the same word. */
		unsigned old = __atomic_load_n(&f->flags, __ATOMIC_RELAXED), nw;
		do
			nw = (old & ~(unsigned)O_NONBLOCK) | (unsigned)(nattr.mq_flags & O_NONBLOCK);
		while (!__atomic_compare_exchange_n(&f->flags, &old, nw, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	}
	file_put(f);
	if (uold && copy_to_user(uold, &oattr, sizeof(oattr)))
		return -EFAULT;
	return 0;
}
SYSCALL(245, mq_getsetattr);
