/*
 * Defensive checks of ext2 metadata read from a disk, pure so that the host unit tests can
 * fuzz them: a corrupt image must give -EINVAL/-EIO, never a division by zero, an overflow or
 * an access outside a block.
 */
#include "fs/ext2/ext2_layout.h"
#include "fs/ext2/ext4_csum.h"

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
	bool dynamic = sb->s_rev_level != 0;
	uint32_t ro_compat = dynamic ? sb->s_feature_ro_compat : 0;
	uint32_t incompat = dynamic ? sb->s_feature_incompat : 0;
	g->read_only = ro_compat & ~(uint32_t)EXT2_RO_COMPAT_SUPPORTED;
	g->csum = ro_compat & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
	if (g->csum && (sb->s_checksum_type != 1 || ext4_sb_csum(sb) != sb->s_checksum))
		return -EBADMSG; /* a damaged superblock: refuse rather than trust any field */
	g->csum_seed = g->csum ? ext4_csum_seed(sb) : 0;
	g->extents = incompat & EXT4_FEATURE_INCOMPAT_EXTENTS;
	g->dir_nlink = ro_compat & EXT4_FEATURE_RO_COMPAT_DIR_NLINK;
	g->huge_file = ro_compat & EXT4_FEATURE_RO_COMPAT_HUGE_FILE;
	g->journal = dynamic && (sb->s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL);
	g->desc_size = EXT2_MIN_DESC_SIZE;
	if (incompat & EXT4_FEATURE_INCOMPAT_64BIT) {
		g->desc_size = sb->s_desc_size;
		if (g->desc_size < EXT4_MIN_DESC_SIZE_64BIT || g->desc_size > 1024 ||
		    (g->desc_size & (g->desc_size - 1)))
			return -EINVAL;
		/* Block numbers past 2^32 (16 TiB with 4 KiB blocks) are not supported. */
		if (sb->s_blocks_count_hi || sb->s_free_blocks_count_hi || sb->s_r_blocks_count_hi)
			return -ENOTSUP;
	}
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
	if (g->desc_size > g->block_size)
		return -EINVAL;
	uint64_t gdt_blocks = ((uint64_t)g->groups * g->desc_size + g->block_size - 1) / g->block_size;
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
	if (gd->bg_itable_unused > g->inodes_per_group)
		return -EIO;
	if (g->desc_size >= EXT4_MIN_DESC_SIZE_64BIT &&
	    (gd->bg_block_bitmap_hi || gd->bg_inode_bitmap_hi || gd->bg_inode_table_hi ||
	     gd->bg_free_blocks_count_hi || gd->bg_free_inodes_count_hi || gd->bg_used_dirs_count_hi ||
	     gd->bg_itable_unused_hi))
		return -EIO;
	return 0;
}

int ext4_check_extent_node(const void *node, uint32_t size, int want_depth)
{
	const struct ext4_extent_header *h = node;
	if (size < sizeof(*h) || h->eh_magic != EXT4_EXT_MAGIC)
		return -EIO;
	if (!h->eh_max || h->eh_entries > h->eh_max ||
	    sizeof(*h) + (uint64_t)h->eh_max * sizeof(struct ext4_extent) > size)
		return -EIO;
	if (h->eh_depth > EXT4_EXT_MAX_DEPTH || (want_depth >= 0 && h->eh_depth != want_depth))
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
