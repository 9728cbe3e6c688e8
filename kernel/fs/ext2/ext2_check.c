/*
 * Defensive checks of ext2 metadata read from a disk, pure so that the host unit tests can
 * fuzz them: a corrupt image must give -EINVAL/-EIO, never a division by zero, an overflow or
 * an access outside a block.
 */
#include "fs/ext2/ext2_layout.h"

#include "lib/errno.h"

int ext2_check_super(const struct ext2_super_block *sb, uint64_t dev_bytes, struct ext2_geom *g)
{
	if (sb->s_magic != EXT2_SUPER_MAGIC)
		return -EINVAL;
	if (sb->s_log_block_size > 2) /* 1, 2 or 4 KiB: the buffer cache's and a page's limit */
		return -EINVAL;
	g->block_size = 1024u << sb->s_log_block_size;
	g->blocks_count = sb->s_blocks_count;
	g->first_data_block = sb->s_first_data_block;
	g->blocks_per_group = sb->s_blocks_per_group;
	g->inodes_count = sb->s_inodes_count;
	g->inodes_per_group = sb->s_inodes_per_group;
	if (sb->s_rev_level == 0) {
		g->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		g->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	} else {
		g->inode_size = sb->s_inode_size;
		g->first_ino = sb->s_first_ino;
		if (sb->s_feature_incompat & ~(uint32_t)EXT2_INCOMPAT_SUPPORTED)
			return -ENOTSUP;
	}
	g->read_only = sb->s_rev_level != 0 && (sb->s_feature_ro_compat & ~(uint32_t)EXT2_RO_COMPAT_SUPPORTED);
	if (g->inode_size < EXT2_GOOD_OLD_INODE_SIZE || g->inode_size > g->block_size ||
	    (g->inode_size & (g->inode_size - 1)))
		return -EINVAL;
	if (g->first_data_block != (g->block_size == 1024 ? 1u : 0u))
		return -EINVAL;
	if (!g->blocks_count || g->blocks_count <= g->first_data_block ||
	    (uint64_t)g->blocks_count * g->block_size > dev_bytes)
		return -EINVAL;
	/* A group's block bitmap is one block: at most 8 * block_size blocks per group. */
	if (!g->blocks_per_group || g->blocks_per_group > 8 * g->block_size)
		return -EINVAL;
	if (!g->inodes_per_group || g->inodes_per_group > 8 * g->block_size)
		return -EINVAL;
	g->groups = (g->blocks_count - g->first_data_block + g->blocks_per_group - 1) / g->blocks_per_group;
	if ((uint64_t)g->groups * g->inodes_per_group < g->inodes_count || g->inodes_count < EXT2_ROOT_INO)
		return -EINVAL;
	if (g->first_ino < EXT2_ROOT_INO + 1 || g->first_ino > g->inodes_count)
		return -EINVAL;
	if (sb->s_free_blocks_count > g->blocks_count || sb->s_free_inodes_count > g->inodes_count)
		return -EINVAL;
	g->gdt_block = g->first_data_block + 1;
	uint64_t gdt_blocks = ((uint64_t)g->groups * sizeof(struct ext2_group_desc) + g->block_size - 1) / g->block_size;
	if (g->gdt_block + gdt_blocks > g->blocks_count)
		return -EINVAL;
	g->inode_blocks_per_group =
		(uint32_t)(((uint64_t)g->inodes_per_group * g->inode_size + g->block_size - 1) / g->block_size);
	return 0;
}

int ext2_check_group(const struct ext2_geom *g, const struct ext2_group_desc *gd)
{
	if (gd->bg_block_bitmap < g->first_data_block || gd->bg_block_bitmap >= g->blocks_count)
		return -EIO;
	if (gd->bg_inode_bitmap < g->first_data_block || gd->bg_inode_bitmap >= g->blocks_count)
		return -EIO;
	if (gd->bg_inode_table < g->first_data_block ||
	    (uint64_t)gd->bg_inode_table + g->inode_blocks_per_group > g->blocks_count)
		return -EIO;
	if (gd->bg_free_blocks_count > g->blocks_per_group || gd->bg_free_inodes_count > g->inodes_per_group)
		return -EIO;
	return 0;
}

int ext2_dirent_at(const uint8_t *blk, uint32_t bs, uint32_t off, const struct ext2_dirent **out)
{
	if (off % 4 || off > bs || bs - off < sizeof(struct ext2_dirent))
		return -EIO;
	const struct ext2_dirent *d = (const struct ext2_dirent *)(blk + off);
	if (d->rec_len < sizeof(struct ext2_dirent) || d->rec_len % 4 || d->rec_len > bs - off)
		return -EIO;
	if (d->inode && EXT2_DIRENT_LEN(d->name_len) > d->rec_len)
		return -EIO;
	*out = d;
	return 0;
}
