/*
 * Opening: vfs_open with Linux's O_* semantics (O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW,
 * O_DIRECTORY), character devices by major number, and truncation.
 */
#include "fs/internal.h"
#include "fs/pipe.h"
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

#define BLKDEV_MAX 512 /* majors up to 511: Linux puts NVMe namespaces on 259 */
static const struct file_ops *blkdevs[BLKDEV_MAX];

int vfs_register_blkdev(unsigned major, const struct file_ops *fops)
{
	if (major >= BLKDEV_MAX)
		return -EINVAL;
	if (blkdevs[major] && blkdevs[major] != fops)
		return -EBUSY;
	blkdevs[major] = fops;
	return 0;
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
	return vfs_setattr(inode, &a); /* which also unmaps pages past the new end */
}

/* What opening with flags asks of the inode (O_TRUNC writes even with O_RDONLY). */
static int open_may(unsigned flags)
{
	unsigned acc = flags & O_ACCMODE;
	int may = 0;
	if (acc == O_RDONLY || acc == O_RDWR)
		may |= MAY_READ;
	if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
		may |= MAY_WRITE;
	return may;
}

/*
 * Turns a resolved path into an open file (takes over the path's references). A file this
 * open just created is not checked against its own mode: open("f", O_CREAT|O_RDWR, 0444)
 * works on Linux.
 */
static int open_path(struct path *p, unsigned flags, bool created, struct file **out)
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
	err = created ? 0 : inode_permission(inode, open_may(flags));
	if (err)
		goto fail;
	/* Files of a read-only mount are not opened for writing (devices and FIFOs still are). */
	if ((S_ISREG(inode->mode) || S_ISDIR(inode->mode)) && p->mnt && (p->mnt->flags & MS_RDONLY) &&
	    (acc != O_RDONLY || (flags & O_TRUNC))) {
		err = -EROFS;
		goto fail;
	}
	if (S_ISCHR(inode->mode)) {
		fop = MAJOR(inode->rdev) < CHRDEV_MAX ? chrdevs[MAJOR(inode->rdev)] : NULL;
		if (!fop) {
			err = -ENXIO;
			goto fail;
		}
	} else if (S_ISBLK(inode->mode)) {
		fop = MAJOR(inode->rdev) < BLKDEV_MAX ? blkdevs[MAJOR(inode->rdev)] : NULL;
		if (!fop) {
			err = -ENXIO;
			goto fail;
		}
	} else if (S_ISFIFO(inode->mode)) {
		fop = &pipe_fifo_fops; /* any file system's FIFO node: the pipe lives beside the inode */
	} else if (!S_ISREG(inode->mode) && !S_ISDIR(inode->mode)) {
		err = -ENXIO; /* sockets are reached through connect(2) */
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
	*out = f;
	return 0;
fail:
	path_put(p);
	return err;
}

/*
 * The file's own open, called without the VFS lock: a FIFO's open sleeps until its partner
 * comes, and a device's open may sleep too. On failure the file goes without a release.
 */
static int open_file_op(struct file *f)
{
	if (!f->fop || !f->fop->open)
		return 0;
	int err = f->fop->open(f->inode, f);
	if (err) {
		path_put(&f->path);
		inode_put(f->inode);
		kfree(f);
	}
	return err;
}

/* What the last component of an O_CREAT open turned out to be (see create_last). */
enum { OPENED, CREATED, EXISTS, FOLLOW };

/* Creates np's name as a regular file; out gets the new dentry. */
static int create_file(struct nameparent *np, uint32_t mode, struct path *out)
{
	struct inode *dir = np->parent.dentry->inode;
	if (dir->nlink == 0)
		return -ENOENT; /* a removed directory takes no new names */
	int err = inode_permission(dir, MAY_WRITE | MAY_EXEC);
	if (err)
		return err;
	if (!dir->iop || !dir->iop->create)
		return -EPERM;
	struct inode *inode;
	err = dir->iop->create(dir, np->name, np->len, mode & 07777, &inode);
	if (err)
		return err;
	struct dentry *d = d_add(np->parent.dentry, np->name, np->len, inode);
	if (!d)
		return -ENOMEM;
	out->mnt = np->parent.mnt;
	out->dentry = d;
	mount_get(out->mnt);
	return CREATED;
}

/*
 * The last component of an O_CREAT open, in np's directory: CREATED (out set), EXISTS (the
 * caller resolves it as usual), FOLLOW (a symlink to follow: its target is now in target),
 * or -errno.
 */
static int create_last(struct nameparent *np, unsigned flags, uint32_t mode, char *target, struct path *out)
{
	if (np->type != LAST_NORM)
		return -EISDIR;
	struct dentry *d = d_lookup(np->parent.dentry, np->name, np->len);
	if (IS_ERR(d)) {
		if (PTR_ERR(d) != -ENOENT)
			return PTR_ERR(d);
		return np->trailing_slash ? -EISDIR : create_file(np, mode, out);
	}
	int ret = EXISTS;
	bool link = S_ISLNK(d->inode->mode);
	if (flags & O_EXCL)
		ret = -EEXIST; /* even a symlink: O_EXCL never follows one */
	else if (link && (flags & O_NOFOLLOW))
		ret = -ELOOP;
	else if (link && !np->trailing_slash)
		ret = namei_link_target(d->inode, target) ?: FOLLOW;
	dentry_put(d);
	return ret;
}

/*
 * O_CREAT: opens the last component (OPENED) or creates it (CREATED). A final symlink is
 * followed even when it dangles: as on Linux, its target is created if the directory it names
 * exists. Each link's target is resolved from the link's own directory; SYMLINK_MAX_FOLLOW
 * final links at most.
 */
static int open_create(const struct path *cwd, const char *pathname, unsigned flags, uint32_t mode,
		       struct path *out)
{
	char *target = kmalloc(PATH_MAX);
	if (!target)
		return -ENOMEM;
	struct path base = { 0 }; /* the last followed link's directory */
	const char *name = pathname;
	int err;
	for (int links = 0;; links++) {
		struct nameparent np;
		err = namei_parent(base.mnt ? &base : cwd, name, &np);
		if (err)
			break;
		err = create_last(&np, flags, mode, target, out);
		if (err == EXISTS)
			err = namei_lookup(&np.parent, np.name, LOOKUP_FOLLOW, out);
		if (err != FOLLOW) {
			path_put(&np.parent);
			break;
		}
		path_put(&base);
		base = np.parent; /* the next target is relative to this link's directory */
		name = target;
		if (links + 1 > SYMLINK_MAX_FOLLOW) {
			err = -ELOOP;
			break;
		}
	}
	path_put(&base);
	kfree(target);
	return err;
}

/*
 * A final link standing for an open file without a name (procfs fd/N of a pipe) opens as that
 * file: the same open file, so unlike Linux's new one it shares offset and status flags.
 * Files with a name were reached through the link's text already. 0 or -ENOENT/-EACCES.
 */
static int open_link_file(const struct path *cwd, const char *pathname, unsigned flags, struct file **out)
{
	struct path p;
	if (namei_lookup(cwd, pathname, 0, &p))
		return -ENOENT;
	struct inode *inode = p.dentry->inode;
	struct file *f = NULL;
	if (inode && S_ISLNK(inode->mode) && inode->iop && inode->iop->link_file)
		f = inode->iop->link_file(inode);
	path_put(&p);
	if (!f || f->path.mnt) {
		file_put(f);
		return -ENOENT;
	}
	unsigned acc = flags & O_ACCMODE;
	if ((acc != O_WRONLY && !file_readable(f)) || (acc != O_RDONLY && !file_writable(f))) {
		file_put(f);
		return -EACCES;
	}
	*out = f;
	return 0;
}

int vfs_open(const struct path *cwd, const char *pathname, unsigned flags, uint32_t mode, struct file **out)
{
	struct path p;
	int err;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC; /* Linux ignores the rest */
	mutex_lock(&vfs_lock);
	if (flags & O_CREAT)
		err = open_create(cwd, pathname, flags, mode, &p);
	else
		err = namei_lookup(cwd, pathname, (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p);
	if (err >= 0)
		err = open_path(&p, flags, err == CREATED, out);
	if (err < 0 && !(flags & (O_NOFOLLOW | O_PATH | O_EXCL | O_DIRECTORY)) &&
	    open_link_file(cwd, pathname, flags, out) == 0)
		err = 0;
	mutex_unlock(&vfs_lock);
	return err ? err : open_file_op(*out);
}

int vfs_truncate(const struct path *cwd, const char *pathname, uint64_t size)
{
	struct path p;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, LOOKUP_FOLLOW, &p);
	if (!err) {
		err = inode_permission(p.dentry->inode, MAY_WRITE);
		if (!err)
			err = do_truncate(p.dentry->inode, size);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_ftruncate(struct file *f, uint64_t size)
{
	if (!file_writable(f))
		return -EINVAL; /* Linux: EINVAL (or EBADF) for a descriptor not open for writing */
	return do_truncate(f->inode, size);
}
