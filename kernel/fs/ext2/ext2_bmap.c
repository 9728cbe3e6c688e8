/*
 * ext2 block maps: twelve direct blocks, then single, double and triple indirect blocks of
 * block_size / 4 entries each. Lookups refuse block numbers outside the file system (-EIO);
 * allocation fills holes and missing indirect blocks; truncation frees from a file block on.
 * An inode with EXT4_EXTENTS_FL is handed to ext4_extents.c: these two functions stay the one
 * interface the file and directory code maps blocks through.
 */
#include "fs/ext2/ext2.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

/* The path of indices from the inode to file block lblk; its depth, or -EFBIG. */
static int block_path(uint32_t per, uint64_t lblk, uint32_t path[4])
{
	if (lblk < EXT2_NDIR_BLOCKS) {
		path[0] = (uint32_t)lblk;
		return 1;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	if (lblk < per) {
		path[0] = EXT2_IND_BLOCK;
		path[1] = (uint32_t)lblk;
		return 2;
	}
	lblk -= per;
	if (lblk < (uint64_t)per * per) {
		path[0] = EXT2_DIND_BLOCK;
		path[1] = (uint32_t)(lblk / per);
		path[2] = (uint32_t)(lblk % per);
		return 3;
	}
	lblk -= (uint64_t)per * per;
	if (lblk < (uint64_t)per * per * per) {
		path[0] = EXT2_TIND_BLOCK;
		path[1] = (uint32_t)(lblk / ((uint64_t)per * per));
		path[2] = (uint32_t)((lblk / per) % per);
		path[3] = (uint32_t)(lblk % per);
		return 4;
	}
	return -EFBIG;
}

static uint32_t inode_group(struct ext2_fs *fs, struct inode *inode)
{
	return (uint32_t)((inode->ino - 1) / fs->g.inodes_per_group);
}

/* A new zeroed block (data or indirect), counted in the inode's i_blocks. */
static int64_t new_block(struct ext2_fs *fs, struct inode *inode)
{
	int64_t nb = ext2_alloc_block_locked(fs, inode_group(fs, inode));
	if (nb < 0)
		return nb;
	struct buf *z = bget_zero(fs->bdev, (uint64_t)nb, fs->g.block_size);
	if (IS_ERR(z)) {
		ext2_free_block_locked(fs, (uint32_t)nb);
		return PTR_ERR(z);
	}
	bdirty(z);
	brelse(z);
	EXT2_I(inode)->raw.i_blocks += fs->g.block_size / 512;
	return nb;
}

int64_t ext2_bmap_locked(struct ext2_fs *fs, struct inode *inode, uint64_t lblk, bool create)
{
	if (EXT2_I(inode)->raw.i_flags & EXT4_EXTENTS_FL)
		return ext4_ext_map_locked(fs, inode, lblk, create);
	uint32_t per = fs->g.block_size / 4, path[4];
	int depth = block_path(per, lblk, path);
	if (depth < 0)
		return depth;
	uint32_t *slot = &EXT2_I(inode)->raw.i_block[path[0]];
	struct buf *b = NULL; /* the indirect block slot points into, if any */
	for (int level = 0;; level++) {
		uint32_t blk = *slot;
		if (!blk) {
			if (!create) {
				brelse(b);
				return 0;
			}
			int64_t nb = new_block(fs, inode);
			if (nb < 0) {
				brelse(b);
				return nb;
			}
			*slot = (uint32_t)nb;
			if (b)
				bdirty(b);
			blk = (uint32_t)nb;
		} else if (!ext2_valid_block(fs, blk)) {
			brelse(b);
			return -EIO;
		}
		brelse(b);
		if (level == depth - 1)
			return blk;
		b = bread(fs->bdev, blk, fs->g.block_size);
		if (IS_ERR(b))
			return PTR_ERR(b);
		slot = &((uint32_t *)b->data)[path[level + 1]];
	}
}

static void drop_block(struct ext2_fs *fs, struct inode *inode, uint32_t blk)
{
	if (ext2_free_block_locked(fs, blk) == 0 && EXT2_I(inode)->raw.i_blocks >= fs->g.block_size / 512)
		EXT2_I(inode)->raw.i_blocks -= fs->g.block_size / 512;
}

/* Frees the blocks under *slot (an indirect block of the given depth covering file blocks
 * from base on) that hold file blocks >= from; the indirect block too when all of it goes. */
static int trunc_indirect(struct ext2_fs *fs, struct inode *inode, uint32_t *slot, int depth,
			  uint64_t base, uint64_t from)
{
	uint32_t per = fs->g.block_size / 4;
	uint64_t child_span = 1;
	for (int i = 1; i < depth; i++)
		child_span *= per;
	if (!*slot || from >= base + child_span * per)
		return 0;
	if (!ext2_valid_block(fs, *slot)) {
		*slot = 0; /* garbage: forget it rather than free someone else's block */
		return -EIO;
	}
	struct buf *b = bread(fs->bdev, *slot, fs->g.block_size);
	if (IS_ERR(b))
		return PTR_ERR(b);
	uint32_t *e = b->data;
	int err = 0;
	for (uint32_t j = 0; j < per; j++) {
		uint64_t cb = base + j * child_span;
		if (cb + child_span <= from || !e[j])
			continue;
		if (depth == 1) {
			if (ext2_valid_block(fs, e[j]))
				drop_block(fs, inode, e[j]);
			e[j] = 0;
		} else {
			int r = trunc_indirect(fs, inode, &e[j], depth - 1, cb, from);
			if (r && !err)
				err = r;
		}
	}
	bdirty(b);
	brelse(b);
	if (from <= base) {
		drop_block(fs, inode, *slot);
		*slot = 0;
	}
	return err;
}

int ext2_truncate_blocks_locked(struct ext2_fs *fs, struct inode *inode, uint64_t from)
{
	if (EXT2_I(inode)->raw.i_flags & EXT4_EXTENTS_FL)
		return ext4_ext_truncate_locked(fs, inode, from);
	uint32_t per = fs->g.block_size / 4;
	uint32_t *ib = EXT2_I(inode)->raw.i_block;
	for (uint64_t i = from; i < EXT2_NDIR_BLOCKS; i++) {
		if (ib[i] && ext2_valid_block(fs, ib[i]))
			drop_block(fs, inode, ib[i]);
		ib[i] = 0;
	}
	uint64_t base = EXT2_NDIR_BLOCKS;
	int err = trunc_indirect(fs, inode, &ib[EXT2_IND_BLOCK], 1, base, from);
	base += per;
	int e2 = trunc_indirect(fs, inode, &ib[EXT2_DIND_BLOCK], 2, base, from);
	base += (uint64_t)per * per;
	int e3 = trunc_indirect(fs, inode, &ib[EXT2_TIND_BLOCK], 3, base, from);
	return err ? err : e2 ? e2 : e3;
}
