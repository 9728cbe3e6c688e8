/* In-memory inodes: allocation, reference counting, timestamps. */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/slab.h"
#include "time/clock.h"

struct inode *inode_alloc(struct super_block *sb)
{
	struct inode *inode = kzalloc(sizeof(*inode));
	if (!inode)
		return NULL;
	inode->sb = sb;
	inode->refcount = 1;
	mutex_init(&inode->lock);
	inode->atime = inode->mtime = inode->ctime = vfs_now();
	return inode;
}

struct inode *inode_get(struct inode *inode)
{
	__atomic_add_fetch(&inode->refcount, 1, __ATOMIC_RELAXED);
	return inode;
}

void inode_put(struct inode *inode)
{
	if (!inode || __atomic_sub_fetch(&inode->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* The file system decides: tmpfs keeps a linked inode, frees an unlinked one. */
	if (inode->sb && inode->sb->sop && inode->sb->sop->evict_inode)
		inode->sb->sop->evict_inode(inode);
	else
		kfree(inode);
}

int inode_permission(struct inode *inode, int mask)
{
	(void)inode;
	(void)mask;
	return 0; /* FIXME: mode bits against the caller's uid/gid once credentials exist */
}

struct timespec64 vfs_now(void)
{
	uint64_t ns = clock_realtime_ns();
	return (struct timespec64){ (int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u) };
}
