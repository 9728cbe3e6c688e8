/*
 * ext2 block and inode allocation through the per-group bitmaps, keeping the group
 * descriptors' and the superblock's free counts exact (e2fsck compares them with the bitmaps).
 * With metadata_csum, every bitmap read is checked against its checksum in the group
 * descriptor and every change restamps it; groups mkfs.ext4 left uninitialised (BLOCK_UNINIT,
 * INODE_UNINIT) get their bitmaps built on first use, and bg_itable_unused moves down as
 * inodes past it are handed out.
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

static bool is_power_of(uint32_t n, uint32_t base)
{
	while (n > 1 && n % base == 0)
		n /= base;
	return n == 1;
}

/* Whether group g holds a superblock backup (and so a copy of the descriptor table). */
static bool group_has_super(const struct ext2_fs *fs, uint32_t g)
{
	if (g <= 1 || !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return true;
	return is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

static void set_bit_range(uint8_t *map, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Marks in map (group g's block bitmap) the blocks of [start, start + len) that lie in g. */
static void mark_in_group(const struct ext2_fs *fs, uint8_t *map, uint32_t g, uint64_t start, uint64_t len)
{
	uint64_t gs = fs->g.first_data_block + (uint64_t)g * fs->g.blocks_per_group;
	uint64_t ge = gs + blocks_in_group(fs, g);
	uint64_t s = MAX(start, gs), e = MIN(start + len, ge);
	if (s < e)
		set_bit_range(map, s - gs, e - gs);
}

/* The block bitmap of a BLOCK_UNINIT group: only metadata is in use (what mkfs accounted). */
static void init_block_bitmap(const struct ext2_fs *fs, uint32_t g, uint8_t *map)
{
	memset(map, 0, fs->g.block_size);
	if (group_has_super(fs, g)) {
		uint64_t gs = fs->g.first_data_block + (uint64_t)g * fs->g.blocks_per_group;
		mark_in_group(fs, map, g, gs, 1 + (uint64_t)fs->gdt_blocks + fs->sb.s_reserved_gdt_blocks);
	}
	/* With flex_bg any group's tables may sit here; mkfs clears BLOCK_UNINIT then, but be safe. */
	for (uint32_t h = 0; h < fs->g.groups; h++) {
		const struct ext2_group_desc *gd = &fs->gdt[h];
		mark_in_group(fs, map, g, gd->bg_block_bitmap, 1);
		mark_in_group(fs, map, g, gd->bg_inode_bitmap, 1);
		mark_in_group(fs, map, g, gd->bg_inode_table, fs->g.inode_blocks_per_group);
	}
	set_bit_range(map, blocks_in_group(fs, g), 8ull * fs->g.block_size);
}

static void stamp_block_bitmap(struct ext2_fs *fs, uint32_t g, const uint8_t *map)
{
	if (!fs->g.csum)
		return;
	uint32_t c = ext4_bitmap_csum(fs->g.csum_seed, map, fs->g.blocks_per_group / 8);
	fs->gdt[g].bg_block_bitmap_csum_lo = (uint16_t)c;
	if (fs->g.desc_size >= EXT4_MIN_DESC_SIZE_64BIT)
		fs->gdt[g].bg_block_bitmap_csum_hi = (uint16_t)(c >> 16);
	fs->sb_dirty = true;
}

static void stamp_inode_bitmap(struct ext2_fs *fs, uint32_t g, const uint8_t *map)
{
	if (!fs->g.csum)
		return;
	uint32_t c = ext4_bitmap_csum(fs->g.csum_seed, map, fs->g.inodes_per_group / 8);
	fs->gdt[g].bg_inode_bitmap_csum_lo = (uint16_t)c;
	if (fs->g.desc_size >= EXT4_MIN_DESC_SIZE_64BIT)
		fs->gdt[g].bg_inode_bitmap_csum_hi = (uint16_t)(c >> 16);
	fs->sb_dirty = true;
}

static bool bitmap_csum_ok(const struct ext2_fs *fs, uint32_t g, const uint8_t *map, bool inode)
{
	if (!fs->g.csum)
		return true;
	const struct ext2_group_desc *gd = &fs->gdt[g];
	uint32_t bytes = (inode ? fs->g.inodes_per_group : fs->g.blocks_per_group) / 8;
	uint32_t c = ext4_bitmap_csum(fs->g.csum_seed, map, bytes);
	uint32_t want = inode ? gd->bg_inode_bitmap_csum_lo : gd->bg_block_bitmap_csum_lo;
	if (fs->g.desc_size >= EXT4_MIN_DESC_SIZE_64BIT)
		want |= (uint32_t)(inode ? gd->bg_inode_bitmap_csum_hi : gd->bg_block_bitmap_csum_hi) << 16;
	else
		c &= 0xffff;
	return c == want;
}

/* Group g's block or inode bitmap, built if the group is uninitialised, checked otherwise. */
static struct buf *read_bitmap(struct ext2_fs *fs, uint32_t g, bool inode)
{
	struct ext2_group_desc *gd = &fs->gdt[g];
	uint32_t blk = inode ? gd->bg_inode_bitmap : gd->bg_block_bitmap;
	uint16_t uninit = inode ? EXT4_BG_INODE_UNINIT : EXT4_BG_BLOCK_UNINIT;
	if (gd->bg_flags & uninit) {
		struct buf *b = bget_zero(fs->bdev, blk, fs->g.block_size);
		if (IS_ERR(b))
			return b;
		if (inode)
			set_bit_range(b->data, fs->g.inodes_per_group, 8ull * fs->g.block_size);
		else
			init_block_bitmap(fs, g, b->data);
		gd->bg_flags &= (uint16_t)~uninit;
		if (inode)
			stamp_inode_bitmap(fs, g, b->data);
		else
			stamp_block_bitmap(fs, g, b->data);
		fs->sb_dirty = true;
		bdirty(b);
		return b;
	}
	struct buf *b = bread(fs->bdev, blk, fs->g.block_size);
	if (!IS_ERR(b) && !bitmap_csum_ok(fs, g, b->data, inode)) {
		brelse(b);
		return ERR_PTR(-EIO);
	}
	return b;
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

/* A free block of group g at or after bit `from` (then from the group's start): its bit, or -1. */
static int64_t alloc_in_group(struct ext2_fs *fs, uint32_t g, uint32_t from, int *err)
{
	struct buf *b = read_bitmap(fs, g, false);
	if (IS_ERR(b)) {
		*err = PTR_ERR(b);
		return -1;
	}
	uint32_t limit = blocks_in_group(fs, g);
	int64_t bit = take_bit(b->data, limit, MIN(from, limit));
	if (bit < 0 && from)
		bit = take_bit(b->data, limit, 0);
	if (bit >= 0) {
		stamp_block_bitmap(fs, g, b->data);
		bdirty(b);
	}
	brelse(b);
	return bit;
}

int64_t ext2_alloc_block_near_locked(struct ext2_fs *fs, uint32_t goal)
{
	if (!ext2_valid_block(fs, goal))
		return ext2_alloc_block_locked(fs, 0);
	uint32_t g = (goal - fs->g.first_data_block) / fs->g.blocks_per_group;
	uint32_t bit = (goal - fs->g.first_data_block) % fs->g.blocks_per_group;
	if (fs->ro)
		return -EROFS;
	if (fs->sb.s_free_blocks_count && fs->gdt[g].bg_free_blocks_count) {
		int err = 0;
		int64_t got = alloc_in_group(fs, g, bit, &err);
		if (err)
			return err;
		if (got >= 0) {
			fs->gdt[g].bg_free_blocks_count--;
			fs->sb.s_free_blocks_count--;
			fs->sb_dirty = true;
			return fs->g.first_data_block + (uint64_t)g * fs->g.blocks_per_group + (uint64_t)got;
		}
	}
	return ext2_alloc_block_locked(fs, g);
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
		int err = 0;
		int64_t bit = alloc_in_group(fs, g, 0, &err);
		if (err)
			return err;
		if (bit < 0)
			continue; /* the count lied; e2fsck will say so, we look elsewhere */
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
	if (gd->bg_flags & EXT4_BG_BLOCK_UNINIT)
		return -EIO; /* nothing in an uninitialised group was ever allocated */
	struct buf *b = read_bitmap(fs, g, false);
	if (IS_ERR(b))
		return PTR_ERR(b);
	uint8_t *map = b->data;
	int err = 0;
	if (map[bit >> 3] & (1u << (bit & 7))) {
		map[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
		stamp_block_bitmap(fs, g, map);
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
		struct buf *b = read_bitmap(fs, g, true);
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
		stamp_inode_bitmap(fs, g, b->data);
		bdirty(b);
		brelse(b);
		/* Inodes from ipg - itable_unused on are "never used" to e2fsck: move the mark. */
		if (fs->g.csum && (uint32_t)bit >= fs->g.inodes_per_group - gd->bg_itable_unused)
			gd->bg_itable_unused = (uint16_t)(fs->g.inodes_per_group - (uint32_t)bit - 1);
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
	if (gd->bg_flags & EXT4_BG_INODE_UNINIT)
		return -EIO;
	struct buf *b = read_bitmap(fs, g, true);
	if (IS_ERR(b))
		return PTR_ERR(b);
	uint8_t *map = b->data;
	int err = 0;
	if (map[bit >> 3] & (1u << (bit & 7))) {
		map[bit >> 3] &= (uint8_t)~(1u << (bit & 7));
		stamp_inode_bitmap(fs, g, map);
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
