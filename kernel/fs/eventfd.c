/*
 * eventfd: a 64-bit counter as a file. A write adds to it (waiting while the sum would pass
 * 0xfffffffffffffffe), a read takes it all and zeroes it, or with EFD_SEMAPHORE takes 1;
 * a read of zero waits. poll: readable while nonzero, writable while 1 more fits.
 */
#include "fs/anon_inode.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"

#define EFD_SEMAPHORE 1
#define EFD_MAX       0xfffffffffffffffeull

struct eventfd {
	spinlock_t lock;
	uint64_t count;
	bool semaphore;
	struct waitqueue wq; /* readers and writers both: any change wakes everyone */
};

static bool efd_nonzero(void *arg)
{
	struct eventfd *e = arg;
	return __atomic_load_n(&e->count, __ATOMIC_ACQUIRE) != 0;
}

struct efd_room {
	struct eventfd *e;
	uint64_t add;
};

static bool efd_room(void *arg)
{
	struct efd_room *r = arg;
	return EFD_MAX - __atomic_load_n(&r->e->count, __ATOMIC_ACQUIRE) >= r->add;
}

static ssize_t efd_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct eventfd *e = f->private;
	if (len < sizeof(uint64_t))
		return -EINVAL;
	for (;;) {
		uint64_t irq = spin_lock_irqsave(&e->lock);
		if (e->count) {
			uint64_t v = e->semaphore ? 1 : e->count;
			e->count -= v;
			spin_unlock_irqrestore(&e->lock, irq);
			memcpy(buf, &v, sizeof(v));
			wake_up_all(&e->wq);
			return sizeof(v);
		}
		spin_unlock_irqrestore(&e->lock, irq);
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_interruptible_until(&e->wq, efd_nonzero, e, 0))
			return -ERESTARTSYS;
	}
}

static ssize_t efd_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	(void)pos;
	struct eventfd *e = f->private;
	uint64_t v;
	if (len < sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	if (v == ~0ull)
		return -EINVAL;
	for (;;) {
		uint64_t irq = spin_lock_irqsave(&e->lock);
		if (EFD_MAX - e->count >= v) {
			e->count += v;
			spin_unlock_irqrestore(&e->lock, irq);
			if (v)
				wake_up_all(&e->wq);
			return sizeof(v);
		}
		spin_unlock_irqrestore(&e->lock, irq);
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		struct efd_room r = { e, v };
		if (wait_interruptible_until(&e->wq, efd_room, &r, 0))
			return -ERESTARTSYS;
	}
}

static unsigned efd_poll(struct file *f, struct poll_table *pt)
{
	struct eventfd *e = f->private;
	poll_wait(pt, &e->wq);
	uint64_t c = __atomic_load_n(&e->count, __ATOMIC_ACQUIRE);
	unsigned mask = 0;
	if (c)
		mask |= POLLIN | POLLRDNORM;
	if (c < EFD_MAX)
		mask |= POLLOUT | POLLWRNORM;
	return mask;
}

static void efd_release(struct inode *inode, struct file *f)
{
	(void)inode;
	kfree(f->private);
}

static const struct file_ops eventfd_fops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.release = efd_release,
	.llseek = vfs_no_llseek,
};

static int64_t sys_eventfd2(unsigned initval, int flags)
{
	if (flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	struct eventfd *e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->lock = (spinlock_t)SPINLOCK_INIT;
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	waitqueue_init(&e->wq);
	struct file *f = anon_inode_file(&eventfd_fops, e, O_RDWR | (flags & O_NONBLOCK));
	if (!f) {
		kfree(e);
		return -ENOMEM;
	}
	int fd = fd_install_current(f, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	file_put(f);
	return fd;
}
SYSCALL(290, eventfd2);

static int64_t sys_eventfd(unsigned initval)
{
	return sys_eventfd2(initval, 0);
}
SYSCALL(284, eventfd);
