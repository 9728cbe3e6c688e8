/* The mount table: file-system types, mounting over directories, unmounting, the root. */
#include "console/console.h"
#include "fs/internal.h"
#include "fs/tmpfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

struct mutex vfs_lock = MUTEX_INIT;
struct mount *vfs_root_mnt;
static struct fs_type *fs_types; /* registration order; only ever appended to */
static struct mount *mounts; /* oldest first */
static uint32_t anon_dev_next = 1;

void mount_get(struct mount *m)
{
	__atomic_add_fetch(&m->refcount, 1, __ATOMIC_RELAXED);
}

void mount_put(struct mount *m)
{
	/* Mounts are freed by vfs_umount only; the count is its busy test. */
	__atomic_sub_fetch(&m->refcount, 1, __ATOMIC_RELEASE);
}

void path_get(struct path *p)
{
	mount_get(p->mnt);
	dentry_get(p->dentry);
}

void path_put(struct path *p)
{
	if (!p->mnt)
		return;
	dentry_put(p->dentry);
	mount_put(p->mnt);
	p->mnt = NULL;
	p->dentry = NULL;
}

void vfs_root(struct path *out)
{
	out->mnt = vfs_root_mnt;
	out->dentry = vfs_root_mnt->root;
	path_get(out);
}

struct mount *vfs_mount_list(void)
{
	return mounts;
}

dev_t vfs_alloc_anon_dev(void)
{
	return MKDEV(0, __atomic_fetch_add(&anon_dev_next, 1, __ATOMIC_RELAXED));
}

static struct fs_type *find_fs(const char *name)
{
	for (struct fs_type *t = fs_types; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

int vfs_register_fs(struct fs_type *type)
{
	mutex_lock(&vfs_lock);
	int err = 0;
	if (find_fs(type->name)) {
		err = -EBUSY;
	} else {
		struct fs_type **pp = &fs_types;
		while (*pp)
			pp = &(*pp)->next;
		type->next = NULL;
		__atomic_store_n(pp, type, __ATOMIC_RELEASE); /* complete before lock-free readers see it */
	}
	mutex_unlock(&vfs_lock);
	return err;
}

void vfs_for_each_fs(void (*fn)(const struct fs_type *type, void *ctx), void *ctx)
{
	for (struct fs_type *t = __atomic_load_n(&fs_types, __ATOMIC_ACQUIRE); t;
	     t = __atomic_load_n(&t->next, __ATOMIC_ACQUIRE))
		fn(t, ctx);
}

static struct mount *mount_new(struct fs_type *type, const char *source, unsigned flags,
			       const void *data, int *err)
{
	struct super_block *sb;
	*err = type->mount(type, source, data, &sb);
	if (*err)
		return NULL;
	struct mount *m = kzalloc(sizeof(*m));
	if (!m) {
		if (type->kill_sb)
			type->kill_sb(sb);
		*err = -ENOMEM;
		return NULL;
	}
	m->sb = sb;
	m->root = dentry_get(sb->root);
	m->flags = flags;
	m->refcount = 1;
	strlcpy(m->source, source ? source : type->name, sizeof(m->source));
	struct mount **pp = &mounts;
	while (*pp)
		pp = &(*pp)->next;
	*pp = m;
	return m;
}

int vfs_resolve_blkdev(const char *path, dev_t *out)
{
	if (!path || !*path)
		return -ENOTBLK;
	struct path p;
	int err = namei_lookup(NULL, path, LOOKUP_FOLLOW, &p);
	if (err)
		return err;
	struct inode *inode = p.dentry->inode;
	if (S_ISBLK(inode->mode))
		*out = inode->rdev;
	else
		err = -ENOTBLK;
	path_put(&p);
	return err;
}

int vfs_mount(const char *source, const char *target, const char *fstype, unsigned flags, const void *data)
{
	struct fs_type *type;
	struct path where;
	int err;

	mutex_lock(&vfs_lock);
	type = find_fs(fstype);
	if (!type) {
		err = -ENODEV;
		goto out;
	}
	err = namei_lookup(NULL, target, LOOKUP_FOLLOW, &where);
	if (err)
		goto out;
	if (!S_ISDIR(where.dentry->inode->mode)) {
		err = -ENOTDIR;
		goto out_put;
	}
	struct mount *m = mount_new(type, source, flags, data, &err);
	if (!m)
		goto out_put;
	/* The lookup followed any mounts already here, so a new one stacks on top. */
	m->mountpoint = dentry_get(where.dentry);
	m->parent = where.mnt;
	where.dentry->mounted = m;
	if ((flags & MS_RDONLY) && m->sb->sop && m->sb->sop->remount)
		m->sb->sop->remount(m->sb, true); /* a fresh mount has nothing to write back */
out_put:
	path_put(&where);
out:
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_umount(const char *target)
{
	struct path where;
	int err;

	mutex_lock(&vfs_lock);
	err = namei_lookup(NULL, target, LOOKUP_FOLLOW, &where);
	if (err)
		goto out;
	struct mount *m = where.mnt;
	if (where.dentry != m->root) {
		err = -EINVAL;
		goto out_put;
	}
	if (m == vfs_root_mnt) {
		err = -EBUSY;
		goto out_put;
	}
	/* Ours (the table's) and the lookup's: anything more is an open file or a cwd. */
	if (__atomic_load_n(&m->refcount, __ATOMIC_ACQUIRE) > 2) {
		err = -EBUSY;
		goto out_put;
	}
	for (struct mount *c = mounts; c; c = c->next) {
		if (c->parent == m) {
			err = -EBUSY;
			goto out_put;
		}
	}
	path_put(&where);
	m->mountpoint->mounted = NULL;
	dentry_put(m->mountpoint);
	struct mount **pp = &mounts;
	while (*pp != m)
		pp = &(*pp)->next;
	*pp = m->next;
	d_prune_tree(m->root);
	dentry_put(m->root);
	struct super_block *sb = m->sb;
	if (sb->type->kill_sb)
		sb->type->kill_sb(sb);
	kfree(m);
	goto out;
out_put:
	path_put(&where);
out:
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_remount(const char *target, unsigned flags)
{
	struct path where;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(NULL, target, LOOKUP_FOLLOW, &where);
	if (err)
		goto out;
	struct mount *m = where.mnt;
	struct super_block *sb = m->sb;
	if (where.dentry != m->root)
		err = -EINVAL;
	else if (sb->sop && sb->sop->remount && ((flags ^ m->flags) & MS_RDONLY))
		err = sb->sop->remount(sb, flags & MS_RDONLY);
	if (!err)
		m->flags = (m->flags & ~MS_RDONLY) | (flags & MS_RDONLY);
	path_put(&where);
out:
	mutex_unlock(&vfs_lock);
	return err;
}

int vfs_move_mount(const char *source, const char *target)
{
	struct path from, to;
	mutex_lock(&vfs_lock);
	int err = namei_lookup(NULL, source, LOOKUP_FOLLOW, &from);
	if (err)
		goto out;
	err = namei_lookup(NULL, target, LOOKUP_FOLLOW, &to);
	if (err)
		goto out_from;
	struct mount *m = from.mnt;
	if (from.dentry != m->root || m == vfs_root_mnt) {
		err = -EINVAL;
		goto out_to;
	}
	if (!S_ISDIR(to.dentry->inode->mode)) {
		err = -ENOTDIR;
		goto out_to;
	}
	for (struct mount *x = to.mnt; x; x = x->parent) {
		if (x == m) { /* into itself */
			err = -EINVAL;
			goto out_to;
		}
	}
	m->mountpoint->mounted = NULL;
	dentry_put(m->mountpoint);
	if (to.mnt == vfs_root_mnt && to.dentry == vfs_root_mnt->root) {
		/* Onto "/": the new root for everyone; the old one stays in the table, unreachable. */
		m->mountpoint = NULL;
		m->parent = NULL;
		vfs_root_mnt = m;
		pr_info("vfs: %s is the root now\n", m->source);
	} else {
		m->mountpoint = dentry_get(to.dentry); /* the lookup crossed mounts: stacks on top */
		m->parent = to.mnt;
		to.dentry->mounted = m;
	}
out_to:
	path_put(&to);
out_from:
	path_put(&from);
out:
	mutex_unlock(&vfs_lock);
	return err;
}

bool vfs_is_root(const struct path *p)
{
	mutex_lock(&vfs_lock);
	bool root = p->mnt == vfs_root_mnt && p->dentry == vfs_root_mnt->root;
	mutex_unlock(&vfs_lock);
	return root;
}

int vfs_init(void)
{
	if (vfs_root_mnt)
		return 0;
	int err = vfs_register_fs(&tmpfs_type);
	if (err && err != -EBUSY)
		return err;
	mutex_lock(&vfs_lock);
	struct mount *m = mount_new(&tmpfs_type, "rootfs", 0, NULL, &err);
	if (m)
		vfs_root_mnt = m;
	mutex_unlock(&vfs_lock);
	if (!m) {
		pr_err("vfs: cannot mount the root tmpfs: error %d\n", err);
		return err;
	}
	pr_info("vfs: tmpfs mounted at /\n");
	return 0;
}
