/*
 * The dentry cache: the tree of names already looked up. A positive dentry stays in its parent's
 * child list, holding one "cache" reference on itself, until it is unlinked, renamed over or its
 * file system unmounted; so a name is asked of the file system once. Negative entries are not
 * kept; a file system whose names come and go by themselves (procfs) says through
 * inode_ops.revalidate when a cached one no longer stands. The child lists change only under vfs_lock; reference counts are atomic, so dentry_put
 * may run anywhere. FIXME: a hash instead of child lists, and shrinking under memory pressure.
 */
#include "fs/internal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

struct dentry *dentry_get(struct dentry *d)
{
	__atomic_add_fetch(&d->refcount, 1, __ATOMIC_RELAXED);
	return d;
}

void dentry_put(struct dentry *d)
{
	/* A dentry whose count reaches 0 is already out of its parent's list (it lost the cache
	 * reference); freeing it drops its reference on the parent, possibly the last one too. */
	while (d && __atomic_sub_fetch(&d->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		struct dentry *parent = d->parent == d ? NULL : d->parent;
		inode_put(d->inode);
		kfree(d);
		d = parent;
	}
}

static struct dentry *d_alloc(const char *name, size_t len, struct inode *inode)
{
	struct dentry *d = kzalloc(sizeof(*d));
	if (!d)
		return NULL;
	memcpy(d->name, name, len);
	d->name[len] = 0;
	d->len = len;
	d->inode = inode;
	d->refcount = 1;
	return d;
}

struct dentry *d_make_root(struct inode *inode)
{
	struct dentry *d = d_alloc("/", 1, inode);
	if (!d) {
		inode_put(inode);
		return NULL;
	}
	d->parent = d;
	return d;
}

static void d_link(struct dentry *parent, struct dentry *d)
{
	d->parent = dentry_get(parent);
	d->next_sibling = parent->first_child;
	parent->first_child = d;
}

static void d_unlink(struct dentry *d)
{
	struct dentry **pp = &d->parent->first_child;
	while (*pp && *pp != d)
		pp = &(*pp)->next_sibling;
	if (*pp)
		*pp = d->next_sibling;
	d->next_sibling = NULL;
}

struct dentry *d_add(struct dentry *parent, const char *name, size_t len, struct inode *inode)
{
	struct dentry *d = d_alloc(name, len, inode);
	if (!d) {
		inode_put(inode);
		return NULL;
	}
	d_link(parent, d);
	d->refcount = 2; /* the cache's and the caller's */
	return d;
}

/* A name whose file system no longer vouches for it leaves the cache with everything below. */
static bool d_still_valid(struct dentry *d)
{
	struct inode *inode = d->inode;
	if (!inode || !inode->iop || !inode->iop->revalidate || d->mounted || inode->iop->revalidate(inode))
		return true;
	d_prune_tree(d);
	d_drop(d);
	return false;
}

struct dentry *d_lookup(struct dentry *dir, const char *name, size_t len)
{
	for (struct dentry *c = dir->first_child; c; c = c->next_sibling)
		if (c->len == len && memcmp(c->name, name, len) == 0) {
			if (!d_still_valid(c))
				break;
			return dentry_get(c);
		}
	struct inode *di = dir->inode;
	if (!di || !di->iop || !di->iop->lookup)
		return ERR_PTR(-ENOENT);
	struct inode *inode = di->iop->lookup(di, name, len);
	if (IS_ERR(inode))
		return (struct dentry *)inode;
	if (!inode)
		return ERR_PTR(-ENOENT);
	struct dentry *d = d_add(dir, name, len, inode);
	return d ? d : ERR_PTR(-ENOMEM);
}

void d_drop(struct dentry *d)
{
	if (d->parent == d)
		return;
	d_unlink(d);
	dentry_put(d);
}

void d_move(struct dentry *d, struct dentry *new_parent, const char *name, size_t len)
{
	struct dentry *old_parent = d->parent;
	d_unlink(d);
	memmove(d->name, name, len);
	d->name[len] = 0;
	d->len = len;
	d_link(new_parent, d);
	dentry_put(old_parent);
}

void d_prune_tree(struct dentry *root)
{
	/* Without recursion: a tree can be as deep as paths allow (a corrupt disk's directory
	 * cycle walked by ls -R), far deeper than a kernel stack. Children go before their parent;
	 * a parent stays alive meanwhile through its own parent's (cache) reference. */
	struct dentry *d = root;
	while (root->first_child) {
		while (d->first_child)
			d = d->first_child;
		struct dentry *parent = d->parent;
		d_drop(d);
		d = parent;
	}
}

bool d_is_below(struct dentry *d, struct dentry *anc)
{
	for (;;) {
		if (d == anc)
			return true;
		if (d->parent == d)
			return false;
		d = d->parent;
	}
}
