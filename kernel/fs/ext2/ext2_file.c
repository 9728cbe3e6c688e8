/*
 * ext2 regular files and symlinks: reads and writes through the buffer cache (holes read as
 * zeros, writes allocate), truncation, attributes, symlink targets (fast ones in i_block,
 * slow ones in a block), and pages for mmap. FIXME: there is no page cache yet, so get_page
 * hands out a private copy: MAP_SHARED writes do not reach the file.
 */
#include "fs/ext2/ext2.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"

/* Linux's limit for 1 KiB blocks with 32-bit i_blocks is far above what we allow: 2 TiB. */
#define EXT2_MAX_FILE (1ull << 41)

static ssize_t ext2_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	uint32_t bs = fs->g.block_size;
	mutex_lock(&fs->lock);
	uint64_t p = *pos;
	size_t done = 0;
	ssize_t err = 0;
	if (p < inode->size) {
		len = (size_t)MIN((uint64_t)len, inode->size - p);
		while (done < len) {
			uint32_t off = (uint32_t)(p % bs);
			size_t n = MIN((size_t)(bs - off), len - done);
			int64_t blk = ext2_bmap_locked(fs, inode, p / bs, false);
			if (blk < 0) {
				err = blk;
				break;
			}
			if (blk == 0) {
				memset((uint8_t *)buf + done, 0, n);
			} else {
				struct buf *b = bread(fs->bdev, (uint64_t)blk, bs);
				if (IS_ERR(b)) {
					err = PTR_ERR(b);
					break;
				}
				memcpy((uint8_t *)buf + done, (uint8_t *)b->data + off, n);
				brelse(b);
			}
			done += n;
			p += n;
		}
	}
	*pos = p;
	mutex_unlock(&fs->lock);
	return done ? (ssize_t)done : err;
}

static ssize_t ext2_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	uint32_t bs = fs->g.block_size;
	if (fs->ro)
		return -EROFS;
	mutex_lock(&fs->lock);
	uint64_t p = (f->flags & O_APPEND) ? inode->size : *pos;
	size_t done = 0;
	ssize_t err = 0;
	if (p >= EXT2_MAX_FILE || len > EXT2_MAX_FILE - p)
		len = p >= EXT2_MAX_FILE ? 0 : (size_t)(EXT2_MAX_FILE - p);
	if (!len && p >= EXT2_MAX_FILE)
		err = -EFBIG;
	while (done < len) {
		uint32_t off = (uint32_t)(p % bs);
		size_t n = MIN((size_t)(bs - off), len - done);
		int64_t blk = ext2_bmap_locked(fs, inode, p / bs, true);
		if (blk < 0) {
			err = blk;
			break;
		}
		struct buf *b = bread(fs->bdev, (uint64_t)blk, bs);
		if (IS_ERR(b)) {
			err = PTR_ERR(b);
			break;
		}
		memcpy((uint8_t *)b->data + off, (const uint8_t *)buf + done, n);
		bdirty(b);
		brelse(b);
		done += n;
		p += n;
		if (p > inode->size)
			inode->size = p;
	}
	if (done) {
		inode->mtime = inode->ctime = vfs_now();
		*pos = p;
	}
	ext2_write_inode_locked(fs, inode);
	if (fs->sb_dirty) {
		ext2_write_super_locked(fs);
		fs->sb_dirty = false;
	}
	mutex_unlock(&fs->lock);
	return done ? (ssize_t)done : err;
}

static int ext2_get_page(struct file *f, uint64_t index, paddr_t *pa)
{
	struct inode *inode = f->inode;
	if (index * PAGE_SIZE >= inode->size)
		return -ENXIO;
	struct page *pg = pmm_alloc_pages(0, GFP_ZERO);
	if (!pg)
		return -ENOMEM;
	uint64_t pos = index * PAGE_SIZE;
	ssize_t n = ext2_read(f, page_to_virt(pg), PAGE_SIZE, &pos);
	if (n < 0) {
		page_ref_put(pg);
		return (int)n;
	}
	*pa = page_to_phys(pg);
	return 0;
}

int ext2_getattr(struct inode *inode, struct kstat *st)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	vfs_fillattr(inode, st);
	st->dev = fs->bdev->dev.devt;
	const struct ext2_inode *raw = &EXT2_I(inode)->raw;
	st->blocks = raw->i_blocks;
	if (fs->g.huge_file) { /* 48-bit counts; with HUGE_FILE_FL in file-system blocks */
		st->blocks |= (uint64_t)(raw->i_frag | (uint32_t)raw->i_fsize << 8) << 32;
		if (raw->i_flags & EXT4_HUGE_FILE_FL)
			st->blocks *= fs->g.block_size / 512;
	}
	st->blksize = fs->g.block_size;
	return 0;
}

/* Called with inode->lock held for ATTR_SIZE (vfs_setattr). */
int ext2_setattr(struct inode *inode, const struct iattr *a)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	if (fs->ro)
		return -EROFS;
	struct timespec64 now = vfs_now();
	mutex_lock(&fs->lock);
	int err = 0;
	if (a->valid & ATTR_SIZE) {
		if (!S_ISREG(inode->mode)) {
			err = -EINVAL;
			goto out;
		}
		if (a->size > EXT2_MAX_FILE) {
			err = -EFBIG;
			goto out;
		}
		uint32_t bs = fs->g.block_size;
		if (a->size < inode->size) {
			err = ext2_truncate_blocks_locked(fs, inode, (a->size + bs - 1) / bs);
			/* Zero the tail of the last kept block: growing later must read zeros there. */
			if (!err && a->size % bs) {
				int64_t blk = ext2_bmap_locked(fs, inode, a->size / bs, false);
				if (blk > 0) {
					struct buf *b = bread(fs->bdev, (uint64_t)blk, bs);
					if (!IS_ERR(b)) {
						memset((uint8_t *)b->data + a->size % bs, 0, bs - a->size % bs);
						bdirty(b);
						brelse(b);
					}
				}
			}
		}
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
	int werr = ext2_write_inode_locked(fs, inode);
	if (!err)
		err = werr;
	if (fs->sb_dirty) {
		ext2_write_super_locked(fs);
		fs->sb_dirty = false;
	}
out:
	mutex_unlock(&fs->lock);
	return err;
}

/* A fast symlink keeps its target in i_block (no data block; with an xattr block, one). */
static bool fast_symlink(struct ext2_fs *fs, struct inode *inode)
{
	const struct ext2_inode *raw = &EXT2_I(inode)->raw;
	uint32_t ea = raw->i_file_acl ? fs->g.block_size / 512 : 0;
	return raw->i_blocks - ea == 0;
}

static ssize_t ext2_readlink(struct inode *inode, char *buf, size_t size)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	uint64_t len = inode->size;
	mutex_lock(&fs->lock);
	ssize_t ret;
	if (fast_symlink(fs, inode)) {
		if (len > sizeof(EXT2_I(inode)->raw.i_block)) {
			ret = -EIO;
			goto out;
		}
		len = MIN(len, (uint64_t)size);
		memcpy(buf, EXT2_I(inode)->raw.i_block, len);
		ret = (ssize_t)len;
		goto out;
	}
	if (len >= fs->g.block_size) {
		ret = -EIO;
		goto out;
	}
	int64_t blk = ext2_bmap_locked(fs, inode, 0, false);
	if (blk <= 0) {
		ret = blk < 0 ? blk : -EIO;
		goto out;
	}
	struct buf *b = bread(fs->bdev, (uint64_t)blk, fs->g.block_size);
	if (IS_ERR(b)) {
		ret = PTR_ERR(b);
		goto out;
	}
	len = MIN(len, (uint64_t)size);
	memcpy(buf, b->data, len);
	brelse(b);
	ret = (ssize_t)len;
out:
	mutex_unlock(&fs->lock);
	return ret;
}

const struct file_ops ext2_file_fops = {
	.read = ext2_read,
	.write = ext2_write,
	.get_page = ext2_get_page,
};
const struct inode_ops ext2_file_iops = { .getattr = ext2_getattr, .setattr = ext2_setattr };
const struct inode_ops ext2_special_iops = { .getattr = ext2_getattr, .setattr = ext2_setattr };
const struct inode_ops ext2_link_iops = {
	.readlink = ext2_readlink,
	.getattr = ext2_getattr,
	.setattr = ext2_setattr,
};
