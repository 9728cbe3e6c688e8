/* Open files: references, reading, writing, seeking, getdents64. */
#include "fs/eventpoll.h"
#include "fs/internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

int64_t vfs_no_llseek(struct file *f, int64_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return -ESPIPE;
}

struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
	return f;
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (__atomic_load_n(&f->ep_links, __ATOMIC_ACQUIRE))
		eventpoll_release_file(f); /* before release: its wait queues go with it */
	if (f->fop && f->fop->release)
		f->fop->release(f->inode, f);
	inode_put(f->inode);
	path_put(&f->path);
	kfree(f);
}

static ssize_t do_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	if (!file_readable(f))
		return -EBADF;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->fop || !f->fop->read)
		return -EINVAL;
	if (len > 0x7ffff000)
		len = 0x7ffff000; /* Linux's MAX_RW_COUNT */
	return f->fop->read(f, buf, len, pos);
}

static ssize_t do_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	if (!file_writable(f))
		return -EBADF;
	if (!f->fop || !f->fop->write)
		return -EINVAL;
	if (len > 0x7ffff000)
		len = 0x7ffff000;
	return f->fop->write(f, buf, len, pos);
}

/*
 * Files that cannot seek (pipes, sockets, eventfd...) have no position to keep consistent,
 * and their reads and writes block: they must not hold the position lock, or a reader
 * waiting on a shared socket or eventfd would keep its writer out.
 */
static bool has_pos(const struct file *f)
{
	return !f->fop || f->fop->llseek != vfs_no_llseek;
}

ssize_t vfs_read(struct file *f, void *buf, size_t len)
{
	if (!has_pos(f)) {
		uint64_t pos = 0;
		return do_read(f, buf, len, &pos);
	}
	mutex_lock(&f->pos_lock);
	uint64_t pos = f->pos;
	ssize_t n = do_read(f, buf, len, &pos);
	if (n >= 0)
		f->pos = pos;
	mutex_unlock(&f->pos_lock);
	return n;
}

ssize_t vfs_write(struct file *f, const void *buf, size_t len)
{
	if (!has_pos(f)) {
		uint64_t pos = 0;
		return do_write(f, buf, len, &pos);
	}
	mutex_lock(&f->pos_lock);
	uint64_t pos = f->pos;
	ssize_t n = do_write(f, buf, len, &pos);
	if (n >= 0)
		f->pos = pos;
	mutex_unlock(&f->pos_lock);
	return n;
}

ssize_t vfs_pread(struct file *f, void *buf, size_t len, uint64_t pos)
{
	if ((int64_t)pos < 0)
		return -EINVAL;
	if (f->fop && f->fop->llseek == vfs_no_llseek)
		return -ESPIPE;
	return do_read(f, buf, len, &pos);
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, uint64_t pos)
{
	if ((int64_t)pos < 0)
		return -EINVAL;
	if (f->fop && f->fop->llseek == vfs_no_llseek)
		return -ESPIPE;
	return do_write(f, buf, len, &pos);
}

int64_t vfs_llseek_end(struct file *f, int64_t off, int whence, uint64_t end)
{
	mutex_lock(&f->pos_lock);
	int64_t base, ret;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
		base = (int64_t)end;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		/* No holes are reported: the data runs to the end, where the one hole begins. */
		if (off < 0 || (uint64_t)off >= end) {
			ret = -ENXIO;
			goto out;
		}
		ret = whence == SEEK_DATA ? off : (int64_t)end;
		f->pos = (uint64_t)ret;
		goto out;
	default:
		ret = -EINVAL;
		goto out;
	}
	if (__builtin_add_overflow(base, off, &ret) || ret < 0) {
		ret = -EINVAL;
		goto out;
	}
	f->pos = (uint64_t)ret;
out:
	mutex_unlock(&f->pos_lock);
	return ret;
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	if (f->fop && f->fop->llseek)
		return f->fop->llseek(f, off, whence);
	return vfs_llseek_end(f, off, whence, f->inode->size);
}

struct dirent_ctx {
	struct file *f;
	char *buf;
	size_t len, used;
	bool full;
};

static int fill_dirent64(void *ctx, const char *name, size_t len, uint64_t ino, unsigned type,
			 uint64_t next_pos)
{
	struct dirent_ctx *c = ctx;
	size_t reclen = (offsetof(struct linux_dirent64, d_name) + len + 1 + 7) & ~(size_t)7;
	if (c->used + reclen > c->len) {
		c->full = true;
		return 1;
	}
	struct linux_dirent64 *d = (struct linux_dirent64 *)(c->buf + c->used);
	d->d_ino = ino;
	d->d_off = (int64_t)next_pos;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = (uint8_t)type;
	memcpy(d->d_name, name, len);
	memset(d->d_name + len, 0, reclen - offsetof(struct linux_dirent64, d_name) - len);
	c->used += reclen;
	c->f->pos = next_pos;
	return 0;
}

ssize_t vfs_getdents64(struct file *f, void *buf, size_t len)
{
	if (!S_ISDIR(f->inode->mode) || !f->fop || !f->fop->readdir)
		return -ENOTDIR;
	struct dirent_ctx c = { f, buf, len, 0, false };
	mutex_lock(&f->pos_lock);
	mutex_lock(&vfs_lock); /* the directory must not change under readdir */
	int err = f->fop->readdir(f, fill_dirent64, &c);
	mutex_unlock(&vfs_lock);
	mutex_unlock(&f->pos_lock);
	if (err)
		return err;
	if (c.used == 0 && c.full)
		return -EINVAL; /* the buffer cannot hold the next entry */
	return (ssize_t)c.used;
}

int vfs_ioctl(struct file *f, unsigned cmd, uint64_t arg)
{
	if (!f->fop || !f->fop->ioctl)
		return -ENOTTY;
	return f->fop->ioctl(f, cmd, arg);
}

int vfs_mmap(struct file *f, void *vma)
{
	if (!file_readable(f))
		return -EACCES; /* every mapping reads the file, even a write-only one (Linux) */
	if (!f->fop || !f->fop->mmap)
		return -ENODEV;
	return f->fop->mmap(f, vma);
}

struct file *vfs_anon_file(struct inode *inode, const struct file_ops *fop, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));
	if (!f)
		return NULL;
	f->inode = inode_get(inode);
	f->fop = fop;
	f->flags = flags;
	f->refcount = 1;
	mutex_init(&f->pos_lock);
	return f;
}
