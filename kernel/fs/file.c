/* Open files: vfs_open with Linux's O_* semantics, reading, writing, seeking, getdents64, stat. */
#include "fs/internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

#define CHRDEV_MAX 256
static const struct file_ops *chrdevs[CHRDEV_MAX];

int vfs_register_chrdev(unsigned major, const struct file_ops *fops)
{
	if (major >= CHRDEV_MAX)
		return -EINVAL;
	if (chrdevs[major])
		return -EBUSY;
	chrdevs[major] = fops;
	return 0;
}

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
	if (f->fop && f->fop->release)
		f->fop->release(f->inode, f);
	inode_put(f->inode);
	path_put(&f->path);
	kfree(f);
}

static int do_truncate(struct inode *inode, uint64_t size)
{
	if (S_ISDIR(inode->mode))
		return -EISDIR;
	if (!S_ISREG(inode->mode))
		return -EINVAL;
	if ((int64_t)size < 0)
		return -EINVAL;
	if (!inode->iop || !inode->iop->setattr)
		return -EPERM;
	struct iattr a = { .valid = ATTR_SIZE, .size = size };
	mutex_lock(&inode->lock);
	int err = inode->iop->setattr(inode, &a);
	mutex_unlock(&inode->lock);
	return err;
}

/* Turns a resolved path into an open file (takes over the path's references). */
static int open_path(struct path *p, unsigned flags, struct file **out)
{
	struct inode *inode = p->dentry->inode;
	unsigned acc = flags & O_ACCMODE;
	const struct file_ops *fop = inode->fop;
	int err;

	if (flags & O_PATH) {
		/* Only the name: no device open, no truncation, no reading or writing. */
		if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode)) {
			err = -ENOTDIR;
			goto fail;
		}
		fop = NULL;
		goto make;
	}
	if (S_ISLNK(inode->mode)) {
		err = -ELOOP; /* O_NOFOLLOW on a symlink */
		goto fail;
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode)) {
		err = -ENOTDIR;
		goto fail;
	}
	if (S_ISDIR(inode->mode) && (acc != O_RDONLY || (flags & O_CREAT))) {
		err = -EISDIR;
		goto fail;
	}
	if (acc == O_ACCMODE) {
		err = -EINVAL;
		goto fail;
	}
	if (S_ISCHR(inode->mode)) {
		fop = MAJOR(inode->rdev) < CHRDEV_MAX ? chrdevs[MAJOR(inode->rdev)] : NULL;
		if (!fop) {
			err = -ENXIO;
			goto fail;
		}
	} else if (!S_ISREG(inode->mode) && !S_ISDIR(inode->mode)) {
		err = -ENXIO; /* FIXME: block devices, pipes and sockets come later */
		goto fail;
	}
	if ((flags & O_TRUNC) && S_ISREG(inode->mode) && acc != O_RDONLY) {
		err = do_truncate(inode, 0);
		if (err)
			goto fail;
	}
make:;
	struct file *f = kzalloc(sizeof(*f));
	if (!f) {
		err = -ENOMEM;
		goto fail;
	}
	f->path = *p;
	f->inode = inode_get(inode);
	f->fop = fop;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	f->refcount = 1;
	mutex_init(&f->pos_lock);
	if (fop && fop->open) {
		err = fop->open(inode, f);
		if (err) {
			inode_put(f->inode);
			kfree(f);
			goto fail;
		}
	}
	*out = f;
	return 0;
fail:
	path_put(p);
	return err;
}

static int open_create(const struct path *cwd, const char *pathname, unsigned flags, uint32_t mode,
		       struct path *out)
{
	struct nameparent np;
	int err = namei_parent(cwd, pathname, &np);
	if (err)
		return err;
	if (np.type != LAST_NORM) {
		err = -EISDIR;
		goto out;
	}
	struct dentry *d = d_lookup(np.parent.dentry, np.name, np.len);
	if (!IS_ERR(d)) {
		bool is_link = S_ISLNK(d->inode->mode);
		dentry_put(d);
		if (flags & O_EXCL) {
			err = -EEXIST;
			goto out;
		}
		if (is_link && (flags & O_NOFOLLOW)) {
			err = -ELOOP;
			goto out;
		}
		/* An existing name: an ordinary lookup, following a final symlink.
		 * FIXME: O_CREAT through a dangling symlink should create its target. */
		err = namei_lookup(cwd, pathname, LOOKUP_FOLLOW, out);
		goto out;
	}
	err = PTR_ERR(d);
	if (err != -ENOENT)
		goto out;
	if (np.trailing_slash) {
		err = -EISDIR;
		goto out;
	}
	struct inode *dir = np.parent.dentry->inode;
	if (dir->nlink == 0) {
		err = -ENOENT; /* a removed directory takes no new names */
		goto out;
	}
	if (!dir->iop || !dir->iop->create) {
		err = -EPERM;
		goto out;
	}
	struct inode *inode;
	err = dir->iop->create(dir, np.name, np.len, mode & 07777, &inode);
	if (err)
		goto out;
	d = d_add(np.parent.dentry, np.name, np.len, inode);
	if (!d) {
		err = -ENOMEM;
		goto out;
	}
	out->mnt = np.parent.mnt;
	out->dentry = d;
	mount_get(out->mnt);
out:
	path_put(&np.parent);
	return err;
}

int vfs_open(const struct path *cwd, const char *pathname, unsigned flags, uint32_t mode, struct file **out)
{
	struct path p;
	int err;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW; /* Linux ignores the rest */
	mutex_lock(&vfs_lock);
	if (flags & O_CREAT)
		err = open_create(cwd, pathname, flags, mode, &p);
	else
		err = namei_lookup(cwd, pathname, (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p);
	if (!err)
		err = open_path(&p, flags, out);
	mutex_unlock(&vfs_lock);
	return err;
}

static bool readable(struct file *f)
{
	if (f->flags & O_PATH)
		return false;
	return (f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

static bool writable(struct file *f)
{
	if (f->flags & O_PATH)
		return false;
	return (f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_ACCMODE) == O_RDWR;
}

static ssize_t do_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	if (!readable(f))
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
	if (!writable(f))
		return -EBADF;
	if (!f->fop || !f->fop->write)
		return -EINVAL;
	if (len > 0x7ffff000)
		len = 0x7ffff000;
	return f->fop->write(f, buf, len, pos);
}

ssize_t vfs_read(struct file *f, void *buf, size_t len)
{
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

int vfs_getattr(struct inode *inode, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	if (inode->iop && inode->iop->getattr)
		return inode->iop->getattr(inode, st);
	st->dev = inode->sb ? inode->sb->dev : 0;
	st->rdev = inode->rdev;
	st->ino = inode->ino;
	st->mode = inode->mode;
	st->nlink = inode->nlink;
	st->uid = inode->uid;
	st->gid = inode->gid;
	st->size = inode->size;
	st->blksize = 4096;
	st->blocks = (inode->size + 511) / 512;
	st->atime = inode->atime;
	st->mtime = inode->mtime;
	st->ctime = inode->ctime;
	return 0;
}

int vfs_stat(const struct path *cwd, const char *pathname, bool follow, struct kstat *st)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, follow ? LOOKUP_FOLLOW : 0, &p);
	if (!err) {
		err = vfs_getattr(p.dentry->inode, st);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	return vfs_getattr(f->inode, st);
}

int vfs_truncate(const struct path *cwd, const char *pathname, uint64_t size)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, LOOKUP_FOLLOW, &p);
	if (!err) {
		err = do_truncate(p.dentry->inode, size);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_ftruncate(struct file *f, uint64_t size)
{
	if (!writable(f))
		return -EINVAL; /* Linux: EINVAL (or EBADF) for a descriptor not open for writing */
	return do_truncate(f->inode, size);
}

int vfs_chmod(const struct path *cwd, const char *pathname, uint32_t mode)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, LOOKUP_FOLLOW, &p);
	if (!err) {
		struct iattr a = { .valid = ATTR_MODE, .mode = mode };
		err = vfs_setattr(p.dentry->inode, &a);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_setattr(struct inode *inode, const struct iattr *a)
{
	int err = 0;
	mutex_lock(&inode->lock);
	if (inode->iop && inode->iop->setattr) {
		err = inode->iop->setattr(inode, a);
	} else if (a->valid & ATTR_SIZE) {
		err = -EINVAL;
	} else {
		if (a->valid & ATTR_MODE)
			inode->mode = (inode->mode & S_IFMT) | (a->mode & 07777);
		if (a->valid & ATTR_UID)
			inode->uid = a->uid;
		if (a->valid & ATTR_GID)
			inode->gid = a->gid;
		if (a->valid & ATTR_ATIME)
			inode->atime = a->atime;
		if (a->valid & ATTR_MTIME)
			inode->mtime = a->mtime;
		inode->ctime = vfs_now();
	}
	mutex_unlock(&inode->lock);
	return err;
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
