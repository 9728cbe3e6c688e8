/*
 * Files with no name and no file system of their own (eventfd, signalfd, epoll): each gets an
 * inode of the unmounted "anon_inodefs" superblock, mode 0600 with no type bits, as on Linux.
 */
#include "fs/anon_inode.h"
#include "lib/errno.h"
#include "mm/slab.h"

static void anon_evict(struct inode *inode)
{
	kfree(inode);
}

static const struct super_ops anon_sops = { .evict_inode = anon_evict };
static struct fs_type anon_type = { .name = "anon_inodefs" };
static struct super_block anon_sb = { .type = &anon_type, .sop = &anon_sops, .block_size = 4096 };
static uint64_t anon_ino_next = 1;

struct file *anon_inode_file(const struct file_ops *fop, void *priv, unsigned flags)
{
	if (!__atomic_load_n(&anon_sb.dev, __ATOMIC_ACQUIRE)) {
		dev_t none = 0, dev = vfs_alloc_anon_dev();
		__atomic_compare_exchange_n(&anon_sb.dev, &none, dev, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
	struct inode *inode = inode_alloc(&anon_sb);
	if (!inode)
		return NULL;
	inode->ino = __atomic_fetch_add(&anon_ino_next, 1, __ATOMIC_RELAXED);
	inode->mode = 0600;
	inode->nlink = 1;
	inode->atime = inode->mtime = inode->ctime = vfs_now();
	inode->fop = fop;
	struct file *f = vfs_anon_file(inode, fop, flags);
	inode_put(inode); /* the file holds it */
	if (f)
		f->private = priv;
	return f;
}
