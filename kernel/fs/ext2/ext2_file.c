/*
 * ext2 regular files and symlinks: file contents through the page cache (mm/page_cache.h),
 * whose readpage/writepage/prepare_write below map file blocks with ext2_bmap_locked and move
 * them through the buffer cache (holes read as zeros, writes allocate); truncation, attributes,
 * symlink targets (fast ones in i_block, slow ones in a block), and the cache's pages for mmap.
 */
#include "fs/ext2/ext2.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page_cache.h"
#include "mm/pmm.h"

/* Linux's limit for 1 KiB blocks with 32-bit i_blocks is far above what we allow: 2 TiB. */
#define EXT2_MAX_FILE (1ull << 41)

/* ---- the page cache's view of an ext2 file (called with the cache's lock held) ---- */

static int ext2_readpage(struct inode *inode, uint64_t index, void *page)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	uint32_t bs = fs->g.block_size; /* pieces of blocks too, should blocks outgrow a page */
	uint64_t pos = index * PAGE_SIZE;
	int err = 0;
	memset(page, 0, PAGE_SIZE);
	mutex_lock(&fs->lock);
	for (uint32_t off = 0, n; off < PAGE_SIZE && pos + off < inode->size; off += n) {
		uint32_t boff = (uint32_t)((pos + off) % bs);
		n = (uint32_t)MIN((uint64_t)(bs - boff), (uint64_t)(PAGE_SIZE - off));
		int64_t blk = ext2_bmap_locked(fs, inode, (pos + off) / bs, false);
		if (blk < 0) {
			err = (int)blk;
			break;
		}
		if (blk == 0)
			continue; /* a hole */
		struct buf *b = bread(fs->bdev, (uint64_t)blk, bs);
		if (IS_ERR(b)) {
			err = PTR_ERR(b);
			break;
		}
		memcpy((uint8_t *)page + off, (uint8_t *)b->data + boff, n);
		brelse(b);
	}
	mutex_unlock(&fs->lock);
	/* Bytes past the end read as zeros (mmap shows them), whatever the block's tail holds. */
	if (!err && pos < inode->size && inode->size - pos < PAGE_SIZE)
		memset((uint8_t *)page + (inode->size - pos), 0, PAGE_SIZE - (size_t)(inode->size - pos));
	return err;
}

/* Writes back changed block counts and the superblock after allocations. Lock held. */
static void ext2_after_alloc_locked(struct ext2_fs *fs, struct inode *inode, uint32_t old_blocks)
{
	if (EXT2_I(inode)->raw.i_blocks != old_blocks)
		ext2_write_inode_locked(fs, inode);
	if (fs->sb_dirty) {
		ext2_write_super_locked(fs);
		fs->sb_dirty = false;
	}
}

static int ext2_writepage(struct inode *inode, uint64_t index, const void *page, size_t len)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	uint32_t bs = fs->g.block_size;
	if (fs->ro)
		return -EROFS;
	int err = 0;
	mutex_lock(&fs->lock);
	uint32_t old_blocks = EXT2_I(inode)->raw.i_blocks;
	for (uint32_t off = 0, n; off < len; off += n) {
		uint64_t at = index * PAGE_SIZE + off;
		uint32_t boff = (uint32_t)(at % bs);
		n = (uint32_t)MIN((uint64_t)(bs - boff), (uint64_t)(len - off));
		/* A mapping may have written into a hole: allocate it now. */
		int64_t blk = ext2_bmap_locked(fs, inode, at / bs, true);
		if (blk < 0) {
			err = (int)blk;
			break;
		}
		/* A block this page fills (what lies past the end reads as zeros) is not read first. */
		bool whole = boff == 0 && (n == bs || at + n >= inode->size);
		struct buf *b = whole ? bget_zero(fs->bdev, (uint64_t)blk, bs) : bread(fs->bdev, (uint64_t)blk, bs);
		if (IS_ERR(b)) {
			err = PTR_ERR(b);
			break;
		}
		memcpy((uint8_t *)b->data + boff, (const uint8_t *)page + off, n);
		bdirty(b);
		brelse(b);
	}
	ext2_after_alloc_locked(fs, inode, old_blocks);
	mutex_unlock(&fs->lock);
	return err;
}

/* Allocates the blocks [pos, pos + len) will need, so that write() sees ENOSPC itself. */
static int ext2_prepare_write(struct inode *inode, uint64_t pos, size_t len)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	uint32_t bs = fs->g.block_size;
	int err = 0;
	mutex_lock(&fs->lock);
	uint32_t old_blocks = EXT2_I(inode)->raw.i_blocks;
	for (uint64_t lblk = pos / bs; lblk <= (pos + len - 1) / bs; lblk++) {
		int64_t blk = ext2_bmap_locked(fs, inode, lblk, true);
		if (blk < 0) {
			err = (int)blk;
			break;
		}
	}
	ext2_after_alloc_locked(fs, inode, old_blocks);
	mutex_unlock(&fs->lock);
	return err;
}

static const struct pcache_ops ext2_pcache_ops = {
	.readpage = ext2_readpage,
	.writepage = ext2_writepage,
	.prepare_write = ext2_prepare_write,
};

/* The file's page cache, made at first use (not under fs->lock: the cache's locks come first). */
static struct pcache *ext2_pcache(struct inode *inode)
{
	static struct mutex create_lock = MUTEX_INIT;
	struct ext2_inode_info *ei = EXT2_I(inode);
	struct pcache *pc = __atomic_load_n(&ei->pcache, __ATOMIC_ACQUIRE);
	if (pc)
		return pc;
	mutex_lock(&create_lock);
	if (!ei->pcache)
		__atomic_store_n(&ei->pcache, pcache_create(inode, &ext2_pcache_ops), __ATOMIC_RELEASE);
	pc = ei->pcache;
	mutex_unlock(&create_lock);
	return pc;
}

void ext2_drop_pcache(struct inode *inode)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	struct ext2_inode_info *ei = EXT2_I(inode);
	if (!ei || !ei->pcache)
		return;
	pcache_destroy(ei->pcache, inode->nlink > 0 && !fs->ro);
	ei->pcache = NULL;
}

/* ---- file operations ---- */

/* An unplugged disk: cached pages are not served either (Linux shuts the file system down). */
static bool ext2_dev_dead(const struct ext2_fs *fs)
{
	return __atomic_load_n(&fs->bdev->whole->dead, __ATOMIC_ACQUIRE);
}

static ssize_t ext2_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	uint64_t p = *pos, size = inode->size;
	if (ext2_dev_dead(EXT2_FS(inode->sb)))
		return -EIO;
	if (p >= size || !len)
		return 0;
	struct pcache *pc = ext2_pcache(inode);
	if (!pc)
		return -ENOMEM;
	ssize_t n = pcache_read(pc, buf, (size_t)MIN((uint64_t)len, size - p), p);
	if (n > 0)
		*pos = p + (uint64_t)n;
	return n;
}

static ssize_t ext2_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	if (fs->ro)
		return -EROFS;
	if (ext2_dev_dead(fs))
		return -EIO;
	struct pcache *pc = ext2_pcache(inode);
	if (!pc)
		return -ENOMEM;
	/* inode->lock orders writers of one file: O_APPEND's end is the end after the last one. */
	mutex_lock(&inode->lock);
	uint64_t p = (f->flags & O_APPEND) ? inode->size : *pos;
	if (p >= EXT2_MAX_FILE || !len) {
		mutex_unlock(&inode->lock);
		return len ? -EFBIG : 0;
	}
	len = (size_t)MIN((uint64_t)len, EXT2_MAX_FILE - p);
	ssize_t n = pcache_write(pc, buf, len, p); /* grows inode->size */
	mutex_lock(&fs->lock);
	if (n > 0) {
		inode->mtime = inode->ctime = vfs_now();
		*pos = p + (uint64_t)n;
	}
	ext2_write_inode_locked(fs, inode);
	if (fs->sb_dirty) {
		ext2_write_super_locked(fs);
		fs->sb_dirty = false;
	}
	mutex_unlock(&fs->lock);
	mutex_unlock(&inode->lock);
	if (n > 0 && (f->flags & O_DSYNC)) { /* O_SYNC includes O_DSYNC */
		int err = pcache_writeback(pc);
		if (!err)
			err = bsync(fs->bdev);
		if (err)
			return err;
	}
	return n;
}

static int ext2_get_page(struct file *f, uint64_t index, paddr_t *pa)
{
	if (ext2_dev_dead(EXT2_FS(f->inode->sb)))
		return -EIO;
	struct pcache *pc = ext2_pcache(f->inode);
	return pc ? pcache_get_page(pc, index, pa) : -ENOMEM;
}

static void ext2_page_mkwrite(struct file *f, uint64_t index)
{
	struct pcache *pc = EXT2_I(f->inode)->pcache;
	if (pc)
		pcache_mapped_write(pc, index);
}

static int ext2_fsync(struct file *f, bool datasync)
{
	(void)datasync; /* the inode's buffers go with the device flush that follows either way */
	struct pcache *pc = EXT2_I(f->inode)->pcache;
	return pc ? pcache_writeback(pc) : 0;
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
	bool truncated = false;
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
		truncated = true;
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
	/* The cache follows the disk (after it: a racing write-back sees the new size and keeps
	 * away from the freed blocks). */
	if (truncated && EXT2_I(inode)->pcache)
		pcache_truncate(EXT2_I(inode)->pcache, a->size);
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
	.page_mkwrite = ext2_page_mkwrite,
	.fsync = ext2_fsync,
};
const struct inode_ops ext2_file_iops = { .getattr = ext2_getattr, .setattr = ext2_setattr };
const struct inode_ops ext2_special_iops = { .getattr = ext2_getattr, .setattr = ext2_setattr };
const struct inode_ops ext2_link_iops = {
	.readlink = ext2_readlink,
	.getattr = ext2_getattr,
	.setattr = ext2_setattr,
};
