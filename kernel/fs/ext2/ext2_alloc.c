/*
 * ext2 block and inode allocation through the per-group bitmaps, keeping the group
 * descriptors' and the superblock's free counts exact (e2fsck compares them with the bitmaps).
 */
#include "fs/ext2/ext2.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

bool ext2_valid_block(const struct ext2_fs *fs, uint32_t block)
{
	return block >= fs->g.first_data_block && block < fs->g.blocks_count;
}

static uint32_t blocks_in_group(const struct ext2_fs *fs, uint32_t group)
{
	uint32_t start = fs->g.first_data_block + group * fs->g.blocks_per_group;
	return MIN(fs->g.blocks_per_group, fs->g.blocks_count - start);
}

static uint32_t inodes_in_group(const struct ext2_fs *fs, uint32_t group)
{
	(void)group;
	return fs->g.inodes_per_group;
}

/* The first clear bit below limit at or after from, setting it; -1 when none. */
static int64_t take_bit(uint8_t *map, uint32_t limit, uint32_t from)
{
	for (uint32_t i = from; i < limit; i++) {
		if ((i & 7) == 0 && map[i >> 3] == 0xff && i + 8 <= limit) {
			i += 7;
			continue;
		}
		if (!(map[i >> 3] & (1u << (i & 7)))) {
			map[i >> 3] |= (uint8_t)(1u << (i & 7));
			return i;
		}
	}
	return -1;
}

int64_t ext2_alloc_block_locked(struct ext2_fs *fs, uint32_t goal_group)
{
	if (fs->ro)
		return -EROFS;
	if (!fs->sb.s_free_blocks_count)
		return -ENOSPC;
	for (uint32_t n = 0; n < fs->g.groups; n++) {
		uint32_t g = (goal_group + n) % fs->g.groups;
		struct ext2_group_desc *gd = &fs->gdt[g];
		if (!gd->bg_free_blocks_count)
			continue;
		struct buf *b = bread(fs->bdev, gd->bg_block_bitmap, fs->g.block_size);
		if (IS_ERR(b))
			return PTR_ERR(b);
		int64_t bit = take_bit(b->data, blocks_in_group(fs, g), 0);
		if (bit < 0) {
			brelse(b);
			continue; /* the count lied; e2fsck will say so, we look elsewhere */
		}
		bdirty(b);
		brelse(b);
		gd->bg_free_blocks_count--;
		fs->sb.s_free_blocks_count--;
		fs->sb_dirty = true;
		return fs->g.first_data_block + (uint64_t)g * fs->g.blocks_per_group + (uint64_t)bit;
	}
	return -ENOSPC;
}

int ext2_free_block_locked(struct ext2_fs *fs, uint32_t block)
{
	if (!ext2_valid_block(fs, block))
		return -EIO;
	uint32_t g = (block - fs->g.first_data_block) / fs->g.blocks_per_group;
	uint32_t bit = (block - fs->g.first_data_block) % fs->g.blocks_per_group;
	struct ext2_group_desc *gd = &fs->gdt[g];
	struct buf *b = bread(fs->bdev, gd->bg_block_bitmap, fs->g.block_size);
	if (IS_ERR(b))
		return PTR_ERR(b);
	uint8_t *map = b->data;
	int err = 0;
	if (map[bit >> 3] & (1u << (bit & 7))) {
		map[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
		bdirty(b);
		gd->bg_free_blocks_count++;
		fs->sb.s_free_blocks_count++;
		fs->sb_dirty = true;
	} else {
		err = -EIO; /* freeing a free block: the disk is inconsistent */
	}
	brelse(b);
	return err;
}

int64_t ext2_alloc_inode_locked(struct ext2_fs *fs, uint32_t parent_group, bool dir)
{
	if (fs->ro)
		return -EROFS;
	if (!fs->sb.s_free_inodes_count)
		return -ENOSPC;
	for (uint32_t n = 0; n < fs->g.groups; n++) {
		uint32_t g = (parent_group + n) % fs->g.groups;
		struct ext2_group_desc *gd = &fs->gdt[g];
		if (!gd->bg_free_inodes_count)
			continue;
		struct buf *b = bread(fs->bdev, gd->bg_inode_bitmap, fs->g.block_size);
		if (IS_ERR(b))
			return PTR_ERR(b);
		/* Inodes below s_first_ino are reserved (group 0 only). */
		uint32_t from = g == 0 ? fs->g.first_ino - 1 : 0;
		int64_t bit = take_bit(b->data, inodes_in_group(fs, g), from);
		if (bit < 0) {
			brelse(b);
			continue;
		}
		uint64_t ino = (uint64_t)g * fs->g.inodes_per_group + (uint64_t)bit + 1;
		if (ino > fs->g.inodes_count) {
			brelse(b); /* the bit was set in memory only: the buffer is not marked dirty */
			b = bread(fs->bdev, gd->bg_inode_bitmap, fs->g.block_size);
			if (!IS_ERR(b)) {
				((uint8_t *)b->data)[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
				brelse(b);
			}
			continue;
		}
		bdirty(b);
		brelse(b);
		gd->bg_free_inodes_count--;
		if (dir)
			gd->bg_used_dirs_count++;
		fs->sb.s_free_inodes_count--;
		fs->sb_dirty = true;
		return (int64_t)ino;
	}
	return -ENOSPC;
}

int ext2_free_inode_locked(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	if (ino < 1 || ino > fs->g.inodes_count)
		return -EIO;
	uint32_t g = (ino - 1) / fs->g.inodes_per_group;
	uint32_t bit = (ino - 1) % fs->g.inodes_per_group;
	struct ext2_group_desc *gd = &fs->gdt[g];
	struct buf *b = bread(fs->bdev, gd->bg_inode_bitmap, fs->g.block_size);
	if (IS_ERR(b))
		return PTR_ERR(b);
	uint8_t *map = b->data;
	int err = 0;
	if (map[bit >> 3] & (1u << (bit & 7))) {
		map[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
		bdirty(b);
		gd->bg_free_inodes_count++;
		if (dir && gd->bg_used_dirs_count)
			gd->bg_used_dirs_count--;
		fs->sb.s_free_inodes_count++;
		fs->sb_dirty = true;
	} else {
		err = -EIO;
	}
	brelse(b);
	return err;
}
