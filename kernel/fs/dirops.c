/* Name-space changes: mkdir, mknod, symlink, link, rmdir, unlink, rename, and readlink. */
#include "fs/internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

/* Resolves the parent of a name about to be created; 0 when the name is free. */
static int create_prep(const struct path *cwd, const char *pathname, bool is_dir, struct nameparent *np)
{
	int err = namei_parent(cwd, pathname, np);
	if (err)
		return err;
	if (np->type != LAST_NORM) {
		err = -EEXIST;
		goto fail;
	}
	struct dentry *d = d_lookup(np->parent.dentry, np->name, np->len);
	if (!IS_ERR(d)) {
		dentry_put(d);
		err = -EEXIST;
		goto fail;
	}
	err = PTR_ERR(d);
	if (err != -ENOENT)
		goto fail;
	if (np->trailing_slash && !is_dir) {
		err = -ENOENT; /* "name/" asks for a directory */
		goto fail;
	}
	if (np->parent.dentry->inode->nlink == 0) {
		err = -ENOENT; /* a removed directory takes no new names */
		goto fail;
	}
	err = inode_permission(np->parent.dentry->inode, MAY_WRITE | MAY_EXEC);
	if (err)
		goto fail;
	return 0;
fail:
	path_put(&np->parent);
	return err;
}

static int finish_create(struct nameparent *np, int err, struct inode *inode)
{
	if (!err) {
		struct dentry *d = d_add(np->parent.dentry, np->name, np->len, inode);
		if (d)
			dentry_put(d);
		else
			err = -ENOMEM;
	}
	path_put(&np->parent);
	return err;
}

int vfs_mkdir(const struct path *cwd, const char *pathname, uint32_t mode)
{
	struct nameparent np;
	struct inode *inode = NULL;
	mutex_lock(&vfs_lock);
	int err = create_prep(cwd, pathname, true, &np);
	if (!err) {
		struct inode *dir = np.parent.dentry->inode;
		err = dir->iop && dir->iop->mkdir ? dir->iop->mkdir(dir, np.name, np.len, mode & 07777, &inode)
						  : -EPERM;
		err = finish_create(&np, err, inode);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_mknod(const struct path *cwd, const char *pathname, uint32_t mode, dev_t rdev)
{
	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	struct nameparent np;
	struct inode *inode = NULL;
	mutex_lock(&vfs_lock);
	int err = create_prep(cwd, pathname, false, &np);
	if (!err) {
		struct inode *dir = np.parent.dentry->inode;
		mode &= S_IFMT | 07777;
		if (S_ISREG(mode))
			err = dir->iop && dir->iop->create ? dir->iop->create(dir, np.name, np.len, mode, &inode)
							   : -EPERM;
		else
			err = dir->iop && dir->iop->mknod
				      ? dir->iop->mknod(dir, np.name, np.len, mode, rdev, &inode)
				      : -EPERM;
		err = finish_create(&np, err, inode);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_symlink(const struct path *cwd, const char *target, const char *linkpath)
{
	if (!target || !*target)
		return -ENOENT;
	if (strnlen(target, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	struct nameparent np;
	struct inode *inode = NULL;
	mutex_lock(&vfs_lock);
	int err = create_prep(cwd, linkpath, false, &np);
	if (!err) {
		struct inode *dir = np.parent.dentry->inode;
		err = dir->iop && dir->iop->symlink ? dir->iop->symlink(dir, np.name, np.len, target, &inode)
						    : -EPERM;
		err = finish_create(&np, err, inode);
	}
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_link(const struct path *cwd, const char *oldpath, const char *newpath)
{
	return vfs_linkat(cwd, oldpath, cwd, newpath, false);
}

int vfs_linkat(const struct path *olddir, const char *oldpath, const struct path *newdir,
	       const char *newpath, bool follow)
{
	struct path old;
	struct nameparent np;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(olddir, oldpath, follow ? LOOKUP_FOLLOW : 0, &old);
	if (err)
		goto out;
	err = create_prep(newdir, newpath, false, &np);
	if (err)
		goto out_old;
	struct inode *inode = old.dentry->inode, *dir = np.parent.dentry->inode;
	if (S_ISDIR(inode->mode))
		err = -EPERM;
	else if (old.mnt != np.parent.mnt)
		err = -EXDEV;
	else if (!dir->iop || !dir->iop->link)
		err = -EPERM;
	else
		err = dir->iop->link(inode, dir, np.name, np.len);
	err = finish_create(&np, err, err ? NULL : inode_get(inode));
out_old:
	path_put(&old);
out:
	mutex_unlock(&vfs_lock);
	return err;
}

/* A mount sits on d, or d is the root of a mount. */
static bool d_busy_mount(const struct path *parent, struct dentry *d)
{
	return d->mounted || d == parent->mnt->root;
}

/* rmdir's and unlink's errors for a name that is not a plain one (".", "..", "/"). */
static int remove_last_type_err(enum last_type type, bool is_dir)
{
	if (!is_dir)
		return -EISDIR;
	return type == LAST_DOT ? -EINVAL : type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
}

/* Why victim d cannot be removed from np's directory by rmdir (is_dir) or unlink; 0 if it can. */
static int remove_check(const struct nameparent *np, struct dentry *d, bool is_dir)
{
	struct inode *dir = np->parent.dentry->inode;
	int err = inode_permission(dir, MAY_WRITE | MAY_EXEC);
	if (err)
		return err;
	if (is_dir) {
		if (!S_ISDIR(d->inode->mode))
			return -ENOTDIR;
		if (d_busy_mount(&np->parent, d))
			return -EBUSY;
		if (!dir->iop || !dir->iop->rmdir)
			return -EPERM;
	} else {
		if (S_ISDIR(d->inode->mode))
			return -EISDIR;
		if (np->trailing_slash)
			return -ENOTDIR;
		if (d->mounted)
			return -EBUSY;
		if (!dir->iop || !dir->iop->unlink)
			return -EPERM;
	}
	return 0;
}

/* rmdir (is_dir) and unlink: the same lookup and unwinding, different checks and operation. */
static int do_remove(const struct path *cwd, const char *pathname, bool is_dir)
{
	struct nameparent np;
	mutex_lock(&vfs_lock);
	int err = namei_parent(cwd, pathname, &np);
	if (err)
		goto out;
	if (np.type != LAST_NORM) {
		err = remove_last_type_err(np.type, is_dir);
		goto out_parent;
	}
	struct dentry *d = d_lookup(np.parent.dentry, np.name, np.len);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		goto out_parent;
	}
	struct inode *dir = np.parent.dentry->inode;
	err = remove_check(&np, d, is_dir);
	if (!err)
		err = is_dir ? dir->iop->rmdir(dir, np.name, np.len, d->inode)
			     : dir->iop->unlink(dir, np.name, np.len, d->inode);
	if (!err)
		d_drop(d);
	dentry_put(d);
out_parent:
	path_put(&np.parent);
out:
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_rmdir(const struct path *cwd, const char *pathname)
{
	return do_remove(cwd, pathname, true);
}

int vfs_unlink(const struct path *cwd, const char *pathname)
{
	return do_remove(cwd, pathname, false);
}

int vfs_rename(const struct path *cwd, const char *oldpath, const char *newpath)
{
	return vfs_renameat(cwd, oldpath, cwd, newpath, 0);
}

int vfs_renameat(const struct path *olddir, const char *oldpath, const struct path *newdir,
		 const char *newpath, unsigned flags)
{
	struct nameparent op, nparent;
	struct dentry *od = NULL, *nd = NULL;
	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL; /* FIXME: RENAME_EXCHANGE and RENAME_WHITEOUT */
	mutex_lock(&vfs_lock);
	int err = namei_parent(olddir, oldpath, &op);
	if (err)
		goto out;
	err = namei_parent(newdir, newpath, &nparent);
	if (err)
		goto out_op;
	if (op.type != LAST_NORM || nparent.type != LAST_NORM) {
		err = -EBUSY; /* ".", ".." or "/" */
		goto out_np;
	}
	if (op.parent.mnt != nparent.parent.mnt) {
		err = -EXDEV;
		goto out_np;
	}
	od = d_lookup(op.parent.dentry, op.name, op.len);
	if (IS_ERR(od)) {
		err = PTR_ERR(od);
		od = NULL;
		goto out_np;
	}
	struct inode *inode = od->inode;
	bool is_dir = S_ISDIR(inode->mode);
	if (!is_dir && (op.trailing_slash || nparent.trailing_slash)) {
		err = -ENOTDIR;
		goto out_np;
	}
	nd = d_lookup(nparent.parent.dentry, nparent.name, nparent.len);
	if (IS_ERR(nd)) {
		err = PTR_ERR(nd);
		nd = NULL;
		if (err != -ENOENT)
			goto out_np;
		err = 0;
	}
	if (nd && (flags & RENAME_NOREPLACE)) {
		err = -EEXIST;
		goto out_np;
	}
	if (nd && nd->inode == inode)
		goto out_np; /* the same file (or two links to it): nothing to do */
	if (od->mounted || (nd && nd->mounted)) {
		err = -EBUSY;
		goto out_np;
	}
	if (is_dir && d_is_below(nparent.parent.dentry, od)) {
		err = -EINVAL; /* into its own subtree */
		goto out_np;
	}
	if (nd) {
		if (is_dir && !S_ISDIR(nd->inode->mode)) {
			err = -ENOTDIR;
			goto out_np;
		}
		if (!is_dir && S_ISDIR(nd->inode->mode)) {
			err = -EISDIR;
			goto out_np;
		}
		if (d_is_below(op.parent.dentry, nd)) {
			err = -ENOTEMPTY; /* the target is an ancestor of the source */
			goto out_np;
		}
	}
	struct inode *odir = op.parent.dentry->inode, *ndir = nparent.parent.dentry->inode;
	if (ndir->nlink == 0) {
		err = -ENOENT;
		goto out_np;
	}
	if (!odir->iop || !odir->iop->rename) {
		err = -EPERM;
		goto out_np;
	}
	err = inode_permission(odir, MAY_WRITE | MAY_EXEC);
	if (!err)
		err = inode_permission(ndir, MAY_WRITE | MAY_EXEC);
	if (err)
		goto out_np;
	err = odir->iop->rename(odir, op.name, op.len, ndir, nparent.name, nparent.len);
	if (err)
		goto out_np;
	if (nd)
		d_drop(nd);
	d_move(od, nparent.parent.dentry, nparent.name, nparent.len);
out_np:
	if (nd)
		dentry_put(nd);
	if (od)
		dentry_put(od);
	path_put(&nparent.parent);
out_op:
	path_put(&op.parent);
out:
	mutex_unlock(&vfs_lock);
	return err;
}

ssize_t vfs_readlink(const struct path *cwd, const char *pathname, char *buf, size_t size)
{
	struct path p;
	if ((ssize_t)size <= 0)
		return -EINVAL;
	mutex_lock(&vfs_lock);
	ssize_t err = namei_lookup(cwd, pathname, 0, &p);
	if (!err) {
		struct inode *inode = p.dentry->inode;
		if (!S_ISLNK(inode->mode) || !inode->iop || !inode->iop->readlink)
			err = -EINVAL;
		else
			err = inode->iop->readlink(inode, buf, size);
		path_put(&p);
	}
	mutex_unlock(&vfs_lock);
	return err;
}
