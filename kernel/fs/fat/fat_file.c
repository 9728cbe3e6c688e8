/*
 * FAT regular files: reads and writes through the buffer cache, cluster by cluster along the
 * chain (the inode's chain cache makes sequential access O(1) per cluster), truncation (FAT has
 * no holes: growing writes zeros), attributes. Every data path of the file system is here, so
 * that a page cache can take them over later. FIXME: get_page hands out a private copy (no page
 * cache yet): MAP_SHARED writes do not reach the file, as for ext2.
 */
#include "fs/fat/fat.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"

/*
 * Copies between buf and the file at p (len bytes, within the size for reads; the chain grown
 * for writes; buf NULL writes zeros). Returns the bytes done, or -errno when none were.
 */
static ssize_t fat_rw_locked(struct fat_fs *fs, struct inode *inode, uint8_t *buf, const uint8_t *src,
			     size_t len, uint64_t p, bool write)
{
	uint32_t cs = fs->g.cluster_size;
	size_t done = 0;
	ssize_t err = 0;
	while (done < len) {
		uint32_t clus;
		int e = fat_bmap_locked(fs, inode, (uint32_t)(p / cs), write, &clus);
		if (e) {
			err = e == -ENOENT ? -EIO : e; /* a chain shorter than the size */
			break;
		}
		uint64_t byte = fat_cluster_byte(fs, clus) + p % cs;
		uint32_t off = (uint32_t)(byte % fs->data_bs);
		size_t n = MIN((size_t)(fs->data_bs - off), len - done);
		struct buf *b;
		if (write && off == 0 && n == fs->data_bs)
			b = bget_zero(fs->bdev, byte / fs->data_bs, fs->data_bs); /* overwritten whole */
		else
			b = fat_buf_at(fs, byte, &off);
		if (IS_ERR(b)) {
			err = PTR_ERR(b);
			break;
		}
		if (!write) {
			memcpy(buf + done, (uint8_t *)b->data + off, n);
		} else {
			if (src)
				memcpy((uint8_t *)b->data + off, src + done, n);
			else
				memset((uint8_t *)b->data + off, 0, n);
			bdirty(b);
		}
		brelse(b);
		done += n;
		p += n;
		if (write && p > inode->size)
			inode->size = p;
	}
	return done ? (ssize_t)done : err;
}

static ssize_t fat_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct fat_fs *fs = FAT_FS(inode->sb);
	mutex_lock(&fs->lock);
	ssize_t r = 0;
	if (*pos < inode->size) {
		len = (size_t)MIN((uint64_t)len, inode->size - *pos);
		r = fat_rw_locked(fs, inode, buf, NULL, len, *pos, false);
		if (r > 0)
			*pos += (uint64_t)r;
	}
	mutex_unlock(&fs->lock);
	return r;
}

/* Fills [size, to) with zeros: FAT cannot leave holes. */
static int grow_locked(struct fat_fs *fs, struct inode *inode, uint64_t to)
{
	while (inode->size < to) {
		ssize_t r = fat_rw_locked(fs, inode, NULL, NULL, (size_t)(to - inode->size), inode->size, true);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

static ssize_t fat_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct fat_fs *fs = FAT_FS(inode->sb);
	if (fs->ro)
		return -EROFS;
	mutex_lock(&fs->lock);
	uint64_t p = (f->flags & O_APPEND) ? inode->size : *pos;
	ssize_t r = 0;
	if (p >= FAT_MAX_FILE) {
		r = len ? -EFBIG : 0;
		goto out;
	}
	len = (size_t)MIN((uint64_t)len, FAT_MAX_FILE - p);
	if (p > inode->size) {
		r = grow_locked(fs, inode, p);
		if (r)
			goto out;
	}
	r = fat_rw_locked(fs, inode, NULL, buf, len, p, true);
	if (r > 0) {
		*pos = p + (uint64_t)r;
		inode->mtime = inode->ctime = vfs_now();
	}
out:
	fat_write_inode_locked(fs, inode);
	mutex_unlock(&fs->lock);
	return r;
}

static int fat_get_page(struct file *f, uint64_t index, paddr_t *pa)
{
	struct inode *inode = f->inode;
	if (index * PAGE_SIZE >= inode->size)
		return -ENXIO;
	struct page *pg = pmm_alloc_pages(0, GFP_ZERO);
	if (!pg)
		return -ENOMEM;
	uint64_t pos = index * PAGE_SIZE;
	ssize_t n = fat_read(f, page_to_virt(pg), PAGE_SIZE, &pos);
	if (n < 0) {
		page_ref_put(pg);
		return (int)n;
	}
	*pa = page_to_phys(pg);
	return 0;
}

int fat_getattr(struct inode *inode, struct kstat *st)
{
	struct fat_fs *fs = FAT_FS(inode->sb);
	vfs_fillattr(inode, st);
	st->dev = fs->bdev->dev.devt;
	st->blksize = fs->g.cluster_size;
	uint64_t cs = fs->g.cluster_size;
	st->blocks = (inode->size + cs - 1) / cs * (cs / 512);
	return 0;
}

/* Called with inode->lock held for ATTR_SIZE (vfs_setattr). */
int fat_setattr(struct inode *inode, const struct iattr *a)
{
	struct fat_fs *fs = FAT_FS(inode->sb);
	if (fs->ro)
		return -EROFS;
	/* No owners on FAT: only the mount's uid and gid stand (Linux says EPERM too). */
	if (((a->valid & ATTR_UID) && a->uid != inode->uid) || ((a->valid & ATTR_GID) && a->gid != inode->gid))
		return -EPERM;
	mutex_lock(&fs->lock);
	int err = 0;
	struct timespec64 now = vfs_now();
	if (a->valid & ATTR_SIZE) {
		if (!S_ISREG(inode->mode)) {
			err = -EINVAL;
			goto out;
		}
		if (a->size > FAT_MAX_FILE) {
			err = -EFBIG;
			goto out;
		}
		uint32_t cs = fs->g.cluster_size;
		if (a->size < inode->size) {
			err = fat_truncate_chain_locked(fs, inode, (uint32_t)((a->size + cs - 1) / cs));
			if (!err)
				inode->size = a->size;
		} else {
			err = grow_locked(fs, inode, a->size);
		}
		inode->mtime = now;
	}
	/* The mode: only the write bits mean something (the read-only attribute). */
	if (a->valid & ATTR_MODE) {
		uint32_t base = S_ISDIR(inode->mode) ? 0777 & ~fs->dmask : 0777 & ~fs->fmask;
		inode->mode = (inode->mode & S_IFMT) | (base & ((a->mode & 0222) ? 0777 : 0555));
	}
	if (a->valid & ATTR_ATIME)
		inode->atime = a->atime;
	if (a->valid & ATTR_MTIME)
		inode->mtime = a->mtime;
	inode->ctime = now;
	int werr = fat_write_inode_locked(fs, inode);
	if (!err)
		err = werr;
out:
	mutex_unlock(&fs->lock);
	return err;
}

const struct file_ops fat_file_fops = {
	.read = fat_read,
	.write = fat_write,
	.get_page = fat_get_page,
};
const struct inode_ops fat_file_iops = { .getattr = fat_getattr, .setattr = fat_setattr };
