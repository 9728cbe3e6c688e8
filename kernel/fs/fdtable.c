/* Per-process file descriptor tables: lowest free slot, dup2/dup3, close-on-exec, fork copies. */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

struct fd_table *fd_table_new(void)
{
	struct fd_table *t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	mutex_init(&t->lock);
	t->refcount = 1;
	return t;
}

struct fd_table *fd_table_copy(struct fd_table *t)
{
	struct fd_table *c = fd_table_new();
	if (!c)
		return NULL;
	mutex_lock(&t->lock);
	for (int fd = 0; fd < FD_MAX; fd++) {
		if (t->files[fd]) {
			c->files[fd] = file_get(t->files[fd]);
			c->fd_flags[fd] = t->fd_flags[fd];
		}
	}
	mutex_unlock(&t->lock);
	return c;
}

void fd_table_put(struct fd_table *t)
{
	if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int fd = 0; fd < FD_MAX; fd++)
		file_put(t->files[fd]);
	kfree(t);
}

int fd_install(struct fd_table *t, struct file *f, int min, int max, unsigned fd_flags)
{
	if (max > FD_MAX || max < 0)
		max = FD_MAX;
	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	mutex_lock(&t->lock);
	int fd = min;
	while (fd < max && t->files[fd])
		fd++;
	if (fd >= max) {
		fd = -EMFILE;
	} else {
		t->files[fd] = file_get(f);
		t->fd_flags[fd] = (uint8_t)(fd_flags & FD_CLOEXEC);
	}
	mutex_unlock(&t->lock);
	return fd;
}

struct file *fd_get(struct fd_table *t, int fd)
{
	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	mutex_lock(&t->lock);
	struct file *f = t->files[fd] ? file_get(t->files[fd]) : NULL;
	mutex_unlock(&t->lock);
	return f;
}

int fd_close(struct fd_table *t, int fd)
{
	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	mutex_lock(&t->lock);
	struct file *f = t->files[fd];
	t->files[fd] = NULL;
	t->fd_flags[fd] = 0;
	mutex_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f); /* outside the lock: release may sleep */
	return 0;
}

int fd_dup_to(struct fd_table *t, int oldfd, int newfd, unsigned fd_flags)
{
	if (oldfd < 0 || oldfd >= FD_MAX)
		return -EBADF;
	if (newfd < 0 || newfd >= FD_MAX)
		return -EBADF;
	mutex_lock(&t->lock);
	struct file *f = t->files[oldfd];
	if (!f) {
		mutex_unlock(&t->lock);
		return -EBADF;
	}
	/* dup2(fd, fd) is a no-op; dup3 rejects it with EINVAL, which the syscall layer checks. */
	if (oldfd == newfd) {
		mutex_unlock(&t->lock);
		return newfd;
	}
	struct file *old = t->files[newfd];
	t->files[newfd] = file_get(f);
	t->fd_flags[newfd] = (uint8_t)(fd_flags & FD_CLOEXEC);
	mutex_unlock(&t->lock);
	file_put(old);
	return newfd;
}

void fd_close_on_exec(struct fd_table *t)
{
	for (int fd = 0; fd < FD_MAX; fd++) {
		mutex_lock(&t->lock);
		struct file *f = NULL;
		if (t->files[fd] && (t->fd_flags[fd] & FD_CLOEXEC)) {
			f = t->files[fd];
			t->files[fd] = NULL;
			t->fd_flags[fd] = 0;
		}
		mutex_unlock(&t->lock);
		file_put(f);
	}
}

int fd_get_flags(struct fd_table *t, int fd)
{
	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	mutex_lock(&t->lock);
	int r = t->files[fd] ? t->fd_flags[fd] : -EBADF;
	mutex_unlock(&t->lock);
	return r;
}

int fd_set_flags(struct fd_table *t, int fd, unsigned fd_flags)
{
	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	mutex_lock(&t->lock);
	int r = 0;
	if (t->files[fd])
		t->fd_flags[fd] = (uint8_t)(fd_flags & FD_CLOEXEC);
	else
		r = -EBADF;
	mutex_unlock(&t->lock);
	return r;
}
