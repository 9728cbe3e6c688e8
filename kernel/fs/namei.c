/*
 * Path resolution: walks a path name component by component through the dentry cache, crossing
 * mount points downwards (a mounted root covers its mount point) and upwards ("..": at a mount's
 * root it continues from the mount point in the parent mount; at "/" it stays), following
 * symlinks with Linux's limit of SYMLINK_MAX_FOLLOW per resolution. Callers hold vfs_lock.
 */
#include "fs/internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

struct walk {
	int links; /* symlinks followed so far */
};

static void path_set(struct path *p, struct mount *mnt, struct dentry *d)
{
	/* Takes references on the new place before dropping the old one. */
	struct path old = *p;
	p->mnt = mnt;
	p->dentry = d;
	path_get(p);
	path_put(&old);
}

static void to_root(struct path *p)
{
	path_set(p, vfs_root_mnt, vfs_root_mnt->root);
}

/* Moves down through every mount covering p. */
static void cross_mounts(struct path *p)
{
	while (p->dentry->mounted) {
		struct mount *m = p->dentry->mounted;
		path_set(p, m, m->root);
	}
}

static void follow_dotdot(struct path *p)
{
	for (;;) {
		if (p->mnt == vfs_root_mnt && p->dentry == vfs_root_mnt->root)
			return;
		if (p->dentry != p->mnt->root) {
			path_set(p, p->mnt, p->dentry->parent);
			return;
		}
		if (!p->mnt->parent)
			return;
		path_set(p, p->mnt->parent, p->mnt->mountpoint);
	}
}

static int check_path_len(const char *pathname)
{
	if (!pathname)
		return -EFAULT;
	if (!*pathname)
		return -ENOENT;
	if (strnlen(pathname, PATH_MAX) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int walk_path(struct path *cur, const char *p, bool follow_last, struct walk *w);

int namei_link_target(struct inode *link, char *buf)
{
	if (!link->iop || !link->iop->readlink)
		return -EINVAL;
	ssize_t n = link->iop->readlink(link, buf, PATH_MAX - 1);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT; /* Linux: an empty target resolves to nothing */
	buf[n] = 0;
	return 0;
}

/* cur is the directory holding the link; on success cur becomes the link's target. */
static int follow_link(struct path *cur, struct dentry *link, struct walk *w)
{
	if (++w->links > SYMLINK_MAX_FOLLOW)
		return -ELOOP;
	char *buf = kmalloc(PATH_MAX);
	if (!buf)
		return -ENOMEM;
	int err = namei_link_target(link->inode, buf);
	if (!err)
		err = walk_path(cur, buf, true, w);
	kfree(buf);
	return err;
}

/*
 * Resolves p from cur (which it updates). Absolute paths restart at the root. Symlinks in the
 * middle are always followed, the last one when follow_last, or when slashes follow it.
 */
static int walk_path(struct path *cur, const char *p, bool follow_last, struct walk *w)
{
	if (*p == '/') {
		to_root(cur);
		while (*p == '/')
			p++;
	}
	while (*p) {
		const char *name = p;
		size_t len = 0;
		while (p[len] && p[len] != '/')
			len++;
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		p += len;
		bool slash = *p == '/';
		while (*p == '/')
			p++;
		bool last = *p == 0;

		if (!S_ISDIR(cur->dentry->inode->mode))
			return -ENOTDIR;
		int err = inode_permission(cur->dentry->inode, MAY_EXEC);
		if (err)
			return err;
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			follow_dotdot(cur);
			continue;
		}
		struct dentry *d = d_lookup(cur->dentry, name, len);
		if (IS_ERR(d))
			return PTR_ERR(d);
		if (S_ISLNK(d->inode->mode) && (!last || follow_last || slash)) {
			err = follow_link(cur, d, w);
			dentry_put(d);
			if (err)
				return err;
		} else {
			struct path next = { cur->mnt, d };
			mount_get(cur->mnt);
			path_put(cur);
			*cur = next;
			cross_mounts(cur);
		}
		if (slash && last && !S_ISDIR(cur->dentry->inode->mode))
			return -ENOTDIR;
	}
	return 0;
}

static void start_path(const struct path *cwd, struct path *cur)
{
	if (cwd && cwd->mnt) {
		*cur = *cwd;
		path_get(cur);
	} else {
		vfs_root(cur);
	}
}

int namei_lookup(const struct path *cwd, const char *pathname, unsigned flags, struct path *out)
{
	int err = check_path_len(pathname);
	if (err)
		return err;
	struct walk w = { 0 };
	struct path cur;
	start_path(cwd, &cur);
	err = walk_path(&cur, pathname, flags & LOOKUP_FOLLOW, &w);
	if (!err && (flags & LOOKUP_DIRECTORY) && !S_ISDIR(cur.dentry->inode->mode))
		err = -ENOTDIR;
	if (err) {
		path_put(&cur);
		return err;
	}
	*out = cur;
	return 0;
}

int namei_parent(const struct path *cwd, const char *pathname, struct nameparent *np)
{
	int err = check_path_len(pathname);
	if (err)
		return err;
	/* Split off the last component; what precedes it is walked in a copy. */
	size_t n = strlen(pathname);
	size_t end = n;
	while (end > 0 && pathname[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && pathname[start - 1] != '/')
		start--;
	np->name = pathname + start;
	np->len = end - start;
	np->trailing_slash = end < n;
	if (np->len > NAME_MAX)
		return -ENAMETOOLONG;
	if (np->len == 0)
		np->type = LAST_ROOT; /* "/" or "///" */
	else if (np->len == 1 && np->name[0] == '.')
		np->type = LAST_DOT;
	else if (np->len == 2 && np->name[0] == '.' && np->name[1] == '.')
		np->type = LAST_DOTDOT;
	else
		np->type = LAST_NORM;

	char *dir = kmalloc(start + 2);
	if (!dir)
		return -ENOMEM;
	memcpy(dir, pathname, start);
	dir[start] = 0;
	struct walk w = { 0 };
	start_path(cwd, &np->parent);
	err = walk_path(&np->parent, dir, true, &w);
	kfree(dir);
	if (!err && !S_ISDIR(np->parent.dentry->inode->mode))
		err = -ENOTDIR;
	if (err)
		path_put(&np->parent);
	return err;
}

int vfs_lookup(const struct path *cwd, const char *pathname, unsigned flags, struct path *out)
{
	mutex_lock(&vfs_lock);
	int err = namei_lookup(cwd, pathname, flags, out);
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_path_of(const struct path *p, char *buf, size_t size)
{
	mutex_lock(&vfs_lock);
	int n = namei_path_of(p, buf, size);
	mutex_unlock(&vfs_lock);
	return n;
}

int namei_path_of(const struct path *p, char *buf, size_t size)
{
	if (size == 0)
		return -ERANGE;
	struct mount *mnt = p->mnt;
	struct dentry *d = p->dentry;
	int err = 0;
	if (S_ISDIR(d->inode->mode) && d->inode->nlink == 0)
		err = -ENOENT; /* removed: Linux's getcwd says ENOENT too */
	/* Built backwards from the end of buf, one "/name" per step up. */
	size_t at = size - 1;
	buf[at] = 0;
	while (!err) {
		if (mnt == vfs_root_mnt && d == vfs_root_mnt->root)
			break;
		if (d == mnt->root) {
			if (!mnt->parent)
				break;
			d = mnt->mountpoint;
			mnt = mnt->parent;
			continue;
		}
		if (d->len + 1 > at) {
			err = -ERANGE;
			break;
		}
		at -= d->len;
		memcpy(buf + at, d->name, d->len);
		buf[--at] = '/';
		d = d->parent;
	}
	if (err)
		return err;
	if (at == size - 1) {
		if (at == 0)
			return -ERANGE;
		buf[--at] = '/'; /* the root itself */
	}
	size_t len = size - 1 - at;
	memmove(buf, buf + at, len + 1);
	return (int)len;
}
