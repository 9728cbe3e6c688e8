/*
 * tmpfs: files live in RAM only. A directory is a list of entries in creation order, each with
 * a position cookie that never changes (so getdents64 offsets stay valid while entries come and
 * go); a regular file is an array of page pointers (NULL: a hole, reads as zeros); a symlink
 * keeps its target. File pages are counted against the optional size= limit (-ENOSPC).
 * Timestamps: mtime/ctime follow Linux on writes, truncation and directory changes; atime is
 * not updated on reads (as with noatime).
 * Namespace operations run under vfs_lock; file contents and sizes under each inode's lock.
 */
#include "fs/tmpfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"

#define TMPFS_PAGE 4096ul
#define TMPFS_MAX_FILE (1ull << 40)

struct tmpfs_sb {
	uint64_t next_ino;
};

struct tmpfs_dirent {
	struct tmpfs_dirent *next, *prev;
	struct inode *inode;
	uint64_t cookie;
	size_t len;
	char name[];
};

struct tmpfs_node {
	/* directories */
	struct tmpfs_dirent *head, *tail;
	uint64_t next_cookie;
	struct inode *parent;
	size_t nentries;
	/* regular files */
	void **pages;
	size_t npages; /* slots in pages[] */
	/* symlinks */
	char *target;
};

static const struct inode_ops tmpfs_dir_iops, tmpfs_file_iops, tmpfs_link_iops, tmpfs_special_iops;
static const struct file_ops tmpfs_dir_fops, tmpfs_file_fops;
static const struct super_ops tmpfs_sops;

static struct tmpfs_node *NODE(struct inode *i)
{
	return i->private;
}

/*
 * File pages are counted in the superblock, where statfs reads them: blocks is the size=
 * limit in pages, blocks_free what is left. Without a limit nothing is counted (statfs then
 * shows 0 blocks, as Linux's tmpfs does).
 */
static int charge_pages(struct super_block *sb, uint64_t n)
{
	if (!sb->blocks)
		return 0;
	uint64_t free = __atomic_load_n(&sb->blocks_free, __ATOMIC_RELAXED);
	do {
		if (free < n)
			return -ENOSPC;
	} while (!__atomic_compare_exchange_n(&sb->blocks_free, &free, free - n, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return 0;
}

static void uncharge_pages(struct super_block *sb, uint64_t n)
{
	if (sb->blocks)
		__atomic_add_fetch(&sb->blocks_free, n, __ATOMIC_RELAXED);
}

/* A directory's size grows by this per entry, as Linux's tmpfs reports it (BOGO_DIRENT_SIZE). */
#define TMPFS_DIRENT_SIZE 20

static struct inode *tmpfs_new_inode(struct super_block *sb, uint32_t mode)
{
	struct inode *inode = inode_alloc(sb);
	if (!inode)
		return NULL;
	struct tmpfs_node *n = kzalloc(sizeof(*n));
	if (!n) {
		kfree(inode);
		return NULL;
	}
	struct tmpfs_sb *s = sb->private;
	inode->private = n;
	inode->ino = __atomic_fetch_add(&s->next_ino, 1, __ATOMIC_RELAXED);
	inode->mode = mode;
	inode->nlink = 1;
	switch (mode & S_IFMT) {
	case S_IFDIR:
		inode->iop = &tmpfs_dir_iops;
		inode->fop = &tmpfs_dir_fops;
		inode->nlink = 2;
		inode->size = 2 * TMPFS_DIRENT_SIZE; /* "." and ".." */
		n->next_cookie = 2;
		break;
	case S_IFREG:
		inode->iop = &tmpfs_file_iops;
		inode->fop = &tmpfs_file_fops;
		break;
	case S_IFLNK:
		inode->iop = &tmpfs_link_iops;
		break;
	default:
		inode->iop = &tmpfs_special_iops; /* devices: the VFS picks their file_ops */
		break;
	}
	return inode;
}

static void truncate_pages(struct inode *inode, uint64_t size)
{
	struct tmpfs_node *n = NODE(inode);
	size_t keep = (size + TMPFS_PAGE - 1) / TMPFS_PAGE;
	uint64_t freed = 0;
	for (size_t i = keep; i < n->npages; i++) {
		if (n->pages[i]) {
			page_ref_put(virt_to_page(n->pages[i])); /* a shared mapping may keep it */
			n->pages[i] = NULL;
			freed++;
		}
	}
	uncharge_pages(inode->sb, freed);
	/* The tail of the last page must read as zeros if the file grows again. */
	if (size % TMPFS_PAGE && keep - 1 < n->npages && n->pages[keep - 1])
		memset((char *)n->pages[keep - 1] + size % TMPFS_PAGE, 0, TMPFS_PAGE - size % TMPFS_PAGE);
}

static void tmpfs_evict(struct inode *inode)
{
	if (inode->nlink) /* still in a directory: stays in RAM */
		return;
	struct tmpfs_node *n = NODE(inode);
	if (S_ISREG(inode->mode)) {
		truncate_pages(inode, 0);
		kfree(n->pages);
	}
	kfree(n->target);
	kfree(n);
	kfree(inode);
}

static const struct super_ops tmpfs_sops = { .evict_inode = tmpfs_evict };

/* ---- directories ---- */

static struct tmpfs_dirent *dir_find(struct inode *dir, const char *name, size_t len)
{
	for (struct tmpfs_dirent *e = NODE(dir)->head; e; e = e->next)
		if (e->len == len && memcmp(e->name, name, len) == 0)
			return e;
	return NULL;
}

static int dir_add(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
	struct tmpfs_node *n = NODE(dir);
	struct tmpfs_dirent *e = kmalloc(sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e->name, name, len);
	e->name[len] = 0;
	e->len = len;
	e->inode = inode;
	e->cookie = n->next_cookie++;
	e->next = NULL;
	e->prev = n->tail;
	if (n->tail)
		n->tail->next = e;
	else
		n->head = e;
	n->tail = e;
	n->nentries++;
	dir->size += TMPFS_DIRENT_SIZE;
	if (S_ISDIR(inode->mode)) {
		NODE(inode)->parent = dir;
		dir->nlink++;
	}
	dir->mtime = dir->ctime = vfs_now();
	return 0;
}

static void dir_remove(struct inode *dir, struct tmpfs_dirent *e)
{
	struct tmpfs_node *n = NODE(dir);
	if (e->prev)
		e->prev->next = e->next;
	else
		n->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		n->tail = e->prev;
	n->nentries--;
	dir->size -= TMPFS_DIRENT_SIZE;
	if (S_ISDIR(e->inode->mode))
		dir->nlink--;
	dir->mtime = dir->ctime = vfs_now();
	kfree(e);
}

static struct inode *tmpfs_lookup(struct inode *dir, const char *name, size_t len)
{
	struct tmpfs_dirent *e = dir_find(dir, name, len);
	return e ? inode_get(e->inode) : NULL;
}

static int make_node(struct inode *dir, const char *name, size_t len, uint32_t mode, dev_t rdev,
		     struct inode **out)
{
	if (dir_find(dir, name, len))
		return -EEXIST;
	struct inode *inode = tmpfs_new_inode(dir->sb, mode);
	if (!inode)
		return -ENOMEM;
	inode->rdev = rdev;
	int err = dir_add(dir, name, len, inode);
	if (err) {
		inode->nlink = 0;
		inode_put(inode);
		return err;
	}
	*out = inode;
	return 0;
}

static int tmpfs_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	return make_node(dir, name, len, S_IFREG | (mode & 07777), 0, out);
}

static int tmpfs_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	return make_node(dir, name, len, S_IFDIR | (mode & 07777), 0, out);
}

static int tmpfs_mknod(struct inode *dir, const char *name, size_t len, uint32_t mode, dev_t rdev,
		       struct inode **out)
{
	return make_node(dir, name, len, mode, rdev, out);
}

static int tmpfs_symlink(struct inode *dir, const char *name, size_t len, const char *target,
			 struct inode **out)
{
	size_t tlen = strlen(target);
	char *copy = kmalloc(tlen + 1); /* not counted against size=, as Linux's short symlinks */
	if (!copy)
		return -ENOMEM;
	memcpy(copy, target, tlen + 1);
	int err = make_node(dir, name, len, S_IFLNK | 0777, 0, out);
	if (err) {
		kfree(copy);
		return err;
	}
	NODE(*out)->target = copy;
	(*out)->size = tlen;
	return 0;
}

static int tmpfs_link(struct inode *old, struct inode *dir, const char *name, size_t len)
{
	if (dir_find(dir, name, len))
		return -EEXIST;
	int err = dir_add(dir, name, len, old);
	if (err)
		return err;
	old->nlink++;
	old->ctime = vfs_now();
	return 0;
}

static bool dir_empty(struct inode *dir)
{
	return NODE(dir)->nentries == 0;
}

static int tmpfs_unlink(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	struct tmpfs_dirent *e = dir_find(dir, name, len);
	if (!e || e->inode != victim)
		return -ENOENT;
	dir_remove(dir, e);
	victim->nlink--;
	victim->ctime = vfs_now();
	return 0;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	struct tmpfs_dirent *e = dir_find(dir, name, len);
	if (!e || e->inode != victim)
		return -ENOENT;
	if (!dir_empty(victim))
		return -ENOTEMPTY;
	dir_remove(dir, e);
	victim->nlink = 0;
	victim->ctime = vfs_now();
	return 0;
}

static int tmpfs_rename(struct inode *old_dir, const char *old_name, size_t old_len, struct inode *new_dir,
			const char *new_name, size_t new_len)
{
	struct tmpfs_dirent *e = dir_find(old_dir, old_name, old_len);
	if (!e)
		return -ENOENT;
	struct inode *inode = e->inode;
	struct tmpfs_dirent *t = dir_find(new_dir, new_name, new_len);
	if (t && t->inode == inode)
		return 0;
	if (t) {
		struct inode *victim = t->inode;
		if (S_ISDIR(victim->mode)) {
			if (!S_ISDIR(inode->mode))
				return -EISDIR;
			if (!dir_empty(victim))
				return -ENOTEMPTY;
		} else if (S_ISDIR(inode->mode)) {
			return -ENOTDIR;
		}
	}
	/* Add the new name first: the only failure (no memory) leaves everything as it was. */
	inode_get(inode);
	int err = dir_add(new_dir, new_name, new_len, inode);
	if (err) {
		inode_put(inode);
		return err;
	}
	if (t) {
		struct inode *victim = t->inode;
		dir_remove(new_dir, t);
		victim->nlink = S_ISDIR(victim->mode) ? 0 : victim->nlink - 1;
		victim->ctime = vfs_now();
	}
	dir_remove(old_dir, e);
	inode->ctime = vfs_now();
	inode_put(inode);
	return 0;
}

static ssize_t tmpfs_readlink(struct inode *inode, char *buf, size_t size)
{
	const char *t = NODE(inode)->target;
	size_t n = strlen(t);
	if (n > size)
		n = size;
	memcpy(buf, t, n);
	return (ssize_t)n;
}

/* Blocks are the pages a file really has: holes take none. */
static int tmpfs_getattr(struct inode *inode, struct kstat *st)
{
	vfs_fillattr(inode, st);
	st->blocks = 0;
	if (S_ISREG(inode->mode)) {
		struct tmpfs_node *n = NODE(inode);
		for (size_t i = 0; i < n->npages; i++)
			if (n->pages[i])
				st->blocks += TMPFS_PAGE / 512;
	}
	return 0;
}

/* Caller holds inode->lock for ATTR_SIZE. */
static int tmpfs_setattr(struct inode *inode, const struct iattr *a)
{
	struct timespec64 now = vfs_now();
	if (a->valid & ATTR_SIZE) {
		if (!S_ISREG(inode->mode))
			return -EINVAL;
		if (a->size > TMPFS_MAX_FILE)
			return -EFBIG;
		if (a->size < inode->size)
			truncate_pages(inode, a->size);
		/* Linux sets mtime/ctime on truncate even when the size does not change (open O_TRUNC). */
		inode->size = a->size;
		inode->mtime = now;
	}
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
	inode->ctime = now;
	return 0;
}

static int tmpfs_readdir(struct file *f, filldir_t fill, void *ctx)
{
	struct inode *dir = f->inode;
	struct tmpfs_node *n = NODE(dir);
	uint64_t pos = f->pos;
	if (pos == 0) {
		if (fill(ctx, ".", 1, dir->ino, DT_DIR, 1))
			return 0;
		pos = 1;
	}
	if (pos == 1) {
		struct inode *parent = n->parent ? n->parent : dir;
		if (fill(ctx, "..", 2, parent->ino, DT_DIR, 2))
			return 0;
		pos = 2;
	}
	for (struct tmpfs_dirent *e = n->head; e; e = e->next) {
		if (e->cookie < pos)
			continue;
		if (fill(ctx, e->name, e->len, e->inode->ino, IFTODT(e->inode->mode), e->cookie + 1))
			return 0;
	}
	return 0;
}

/* ---- regular files ---- */

static ssize_t tmpfs_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = NODE(inode);
	mutex_lock(&inode->lock);
	uint64_t p = *pos;
	size_t done = 0;
	if (p < inode->size) {
		if (len > inode->size - p)
			len = inode->size - p;
		while (done < len) {
			size_t idx = p / TMPFS_PAGE, off = p % TMPFS_PAGE;
			size_t chunk = TMPFS_PAGE - off;
			if (chunk > len - done)
				chunk = len - done;
			if (idx < n->npages && n->pages[idx])
				memcpy((char *)buf + done, (char *)n->pages[idx] + off, chunk);
			else
				memset((char *)buf + done, 0, chunk);
			done += chunk;
			p += chunk;
		}
	}
	*pos = p;
	mutex_unlock(&inode->lock);
	return (ssize_t)done;
}

static int grow_page_array(struct tmpfs_node *n, size_t need)
{
	if (need <= n->npages)
		return 0;
	size_t cap = n->npages ? n->npages : 8;
	while (cap < need)
		cap *= 2;
	void **a = kzalloc(cap * sizeof(void *));
	if (!a)
		return -ENOMEM;
	if (n->pages)
		memcpy(a, n->pages, n->npages * sizeof(void *));
	kfree(n->pages);
	n->pages = a;
	n->npages = cap;
	return 0;
}

static ssize_t tmpfs_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = NODE(inode);
	ssize_t ret;
	mutex_lock(&inode->lock);
	uint64_t p = (f->flags & O_APPEND) ? inode->size : *pos;
	if (p >= TMPFS_MAX_FILE) {
		ret = len ? -EFBIG : 0;
		goto out;
	}
	if (len > TMPFS_MAX_FILE - p)
		len = TMPFS_MAX_FILE - p;
	size_t done = 0;
	int err = 0;
	if (len)
		err = grow_page_array(n, (p + len + TMPFS_PAGE - 1) / TMPFS_PAGE);
	while (!err && done < len) {
		size_t idx = p / TMPFS_PAGE, off = p % TMPFS_PAGE;
		size_t chunk = TMPFS_PAGE - off;
		if (chunk > len - done)
			chunk = len - done;
		if (!n->pages[idx]) {
			err = charge_pages(inode->sb, 1);
			if (err)
				break;
			n->pages[idx] = pmm_alloc_virt(0, GFP_ZERO);
			if (!n->pages[idx]) {
				uncharge_pages(inode->sb, 1);
				err = -ENOMEM;
				break;
			}
		}
		memcpy((char *)n->pages[idx] + off, (const char *)buf + done, chunk);
		done += chunk;
		p += chunk;
	}
	if (done) {
		if (p > inode->size)
			inode->size = p;
		inode->mtime = inode->ctime = vfs_now();
		*pos = p;
		ret = (ssize_t)done;
	} else {
		ret = err;
	}
out:
	mutex_unlock(&inode->lock);
	return ret;
}

/* The page behind index for a shared mapping: a hole gets a page now (counted against size=). */
static int tmpfs_get_page(struct file *f, uint64_t index, paddr_t *pa)
{
	struct inode *inode = f->inode;
	struct tmpfs_node *n = NODE(inode);
	mutex_lock(&inode->lock);
	int err = 0;
	if (index >= (inode->size + TMPFS_PAGE - 1) / TMPFS_PAGE) {
		err = -ENXIO; /* past the end of the file: SIGBUS */
		goto out;
	}
	if ((err = grow_page_array(n, index + 1)))
		goto out;
	if (!n->pages[index]) {
		if ((err = charge_pages(inode->sb, 1)))
			goto out;
		n->pages[index] = pmm_alloc_virt(0, GFP_ZERO);
		if (!n->pages[index]) {
			uncharge_pages(inode->sb, 1);
			err = -ENOMEM;
			goto out;
		}
	}
	struct page *pg = virt_to_page(n->pages[index]);
	page_ref_get(pg);
	*pa = page_to_phys(pg);
out:
	mutex_unlock(&inode->lock);
	return err;
}

static const struct inode_ops tmpfs_dir_iops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.mkdir = tmpfs_mkdir,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.getattr = tmpfs_getattr,
	.setattr = tmpfs_setattr,
};
static const struct inode_ops tmpfs_file_iops = { .getattr = tmpfs_getattr, .setattr = tmpfs_setattr };
static const struct inode_ops tmpfs_special_iops = { .getattr = tmpfs_getattr, .setattr = tmpfs_setattr };
static const struct inode_ops tmpfs_link_iops = {
	.readlink = tmpfs_readlink,
	.getattr = tmpfs_getattr,
	.setattr = tmpfs_setattr,
};
static const struct file_ops tmpfs_dir_fops = { .readdir = tmpfs_readdir };
static const struct file_ops tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.get_page = tmpfs_get_page,
};

/* ---- superblocks ---- */

static uint64_t parse_size(const char *s, bool *ok)
{
	uint64_t v = 0;
	*ok = *s >= '0' && *s <= '9';
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	switch (*s) {
	case 'k': case 'K': v <<= 10; s++; break;
	case 'm': case 'M': v <<= 20; s++; break;
	case 'g': case 'G': v <<= 30; s++; break;
	}
	if (*s && *s != ',')
		*ok = false;
	return v;
}

static int tmpfs_mount(struct fs_type *type, const char *dev, const void *data, struct super_block **out)
{
	(void)dev;
	struct super_block *sb = kzalloc(sizeof(*sb));
	struct tmpfs_sb *s = kzalloc(sizeof(*s));
	if (!sb || !s)
		goto nomem;
	s->next_ino = 1;
	/* Options: "size=N[k|m|g]"; others (mode=, uid=...) are ignored for now. FIXME */
	for (const char *o = data; o && *o;) {
		if (strncmp(o, "size=", 5) == 0) {
			bool ok;
			uint64_t bytes = parse_size(o + 5, &ok);
			if (!ok) {
				kfree(sb);
				kfree(s);
				return -EINVAL;
			}
			sb->blocks = (bytes + TMPFS_PAGE - 1) / TMPFS_PAGE;
		}
		const char *comma = strchr(o, ',');
		o = comma ? comma + 1 : NULL;
	}
	sb->type = type;
	sb->sop = &tmpfs_sops;
	sb->private = s;
	sb->dev = vfs_alloc_anon_dev();
	sb->magic = TMPFS_MAGIC;
	sb->block_size = TMPFS_PAGE;
	sb->blocks_free = sb->blocks;
	struct inode *root = tmpfs_new_inode(sb, S_IFDIR | 01777);
	if (!root)
		goto nomem;
	sb->root = d_make_root(root);
	if (!sb->root)
		goto nomem;
	*out = sb;
	return 0;
nomem:
	kfree(sb);
	kfree(s);
	return -ENOMEM;
}

/* Unmount: the VFS holds no inode of this file system any more except the root's. */
static void free_tree(struct inode *dir)
{
	struct tmpfs_node *n = NODE(dir);
	while (n->head) {
		struct tmpfs_dirent *e = n->head;
		struct inode *child = e->inode;
		if (S_ISDIR(child->mode))
			free_tree(child);
		dir_remove(dir, e);
		if (S_ISDIR(child->mode))
			child->nlink = 0;
		else
			child->nlink--;
		if (child->nlink == 0)
			tmpfs_evict(child);
	}
}

static void tmpfs_kill_sb(struct super_block *sb)
{
	struct inode *root = sb->root->inode;
	free_tree(root);
	root->nlink = 0;
	dentry_put(sb->root);
	kfree(sb->private);
	kfree(sb);
}

struct fs_type tmpfs_type = {
	.name = "tmpfs",
	.mount = tmpfs_mount,
	.kill_sb = tmpfs_kill_sb,
};
