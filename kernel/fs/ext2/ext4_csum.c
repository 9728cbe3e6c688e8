/*
 * ext4 metadata checksums (see ext4_csum.h). Every checksum is crc32c_update without the final
 * inversion, as Linux's ext4_chksum and e2fsprogs' ext2fs_crc32c_le compute it.
 */
#include "fs/ext2/ext4_csum.h"

#include "lib/crc32c.h"
#include "lib/string.h"

uint32_t ext4_csum_seed(const struct ext2_super_block *sb)
{
	if (sb->s_feature_incompat & EXT4_FEATURE_INCOMPAT_CSUM_SEED)
		return sb->s_checksum_seed;
	return crc32c_update(~0u, sb->s_uuid, sizeof(sb->s_uuid));
}

uint32_t ext4_sb_csum(const struct ext2_super_block *sb)
{
	return crc32c_update(~0u, sb, __builtin_offsetof(struct ext2_super_block, s_checksum));
}

uint16_t ext4_gd_csum(uint32_t seed, uint32_t group, const void *gd, uint32_t desc_size)
{
	const uint32_t off = __builtin_offsetof(struct ext2_group_desc, bg_checksum);
	uint32_t c = crc32c_update(seed, &group, 4);
	c = crc32c_update(c, gd, off);
	const uint16_t zero = 0;
	c = crc32c_update(c, &zero, 2);
	if (desc_size > off + 2)
		c = crc32c_update(c, (const uint8_t *)gd + off + 2, desc_size - off - 2);
	return (uint16_t)c;
}

uint32_t ext4_bitmap_csum(uint32_t seed, const void *map, uint32_t bytes)
{
	return crc32c_update(seed, map, bytes);
}

uint32_t ext4_inode_seed(uint32_t seed, uint32_t ino, uint32_t generation)
{
	uint32_t c = crc32c_update(seed, &ino, 4);
	return crc32c_update(c, &generation, 4);
}

uint32_t ext4_inode_csum(uint32_t seed, uint32_t ino, const uint8_t *raw, uint32_t inode_size, bool *has_hi)
{
	const struct ext2_inode *in = (const struct ext2_inode *)raw;
	uint32_t c = ext4_inode_seed(seed, ino, in->i_generation);
	const uint32_t lo = __builtin_offsetof(struct ext2_inode, i_checksum_lo);
	const uint16_t zero = 0;
	c = crc32c_update(c, raw, lo);
	c = crc32c_update(c, &zero, 2);
	c = crc32c_update(c, raw + lo + 2, EXT2_GOOD_OLD_INODE_SIZE - lo - 2);
	*has_hi = false;
	if (inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		uint16_t extra;
		memcpy(&extra, raw + EXT4_I_EXTRA_ISIZE, 2);
		*has_hi = EXT2_GOOD_OLD_INODE_SIZE + (uint32_t)extra >= EXT4_I_CHECKSUM_HI + 2 &&
			  EXT4_I_CHECKSUM_HI + 2 <= inode_size;
		uint32_t at = EXT2_GOOD_OLD_INODE_SIZE;
		if (*has_hi) {
			c = crc32c_update(c, raw + at, EXT4_I_CHECKSUM_HI - at);
			c = crc32c_update(c, &zero, 2);
			at = EXT4_I_CHECKSUM_HI + 2;
		}
		c = crc32c_update(c, raw + at, inode_size - at);
	}
	return c;
}

bool ext4_inode_csum_ok(uint32_t seed, uint32_t ino, const uint8_t *raw, uint32_t inode_size)
{
	bool hi;
	uint32_t c = ext4_inode_csum(seed, ino, raw, inode_size, &hi);
	uint16_t lo_disk, hi_disk = 0;
	memcpy(&lo_disk, raw + __builtin_offsetof(struct ext2_inode, i_checksum_lo), 2);
	if (hi)
		memcpy(&hi_disk, raw + EXT4_I_CHECKSUM_HI, 2);
	else
		c &= 0xffff;
	return c == ((uint32_t)hi_disk << 16 | lo_disk);
}

void ext4_inode_csum_set(uint32_t seed, uint32_t ino, uint8_t *raw, uint32_t inode_size)
{
	bool hi;
	uint32_t c = ext4_inode_csum(seed, ino, raw, inode_size, &hi);
	uint16_t lo16 = (uint16_t)c, hi16 = (uint16_t)(c >> 16);
	memcpy(raw + __builtin_offsetof(struct ext2_inode, i_checksum_lo), &lo16, 2);
	if (hi)
		memcpy(raw + EXT4_I_CHECKSUM_HI, &hi16, 2);
}

bool ext4_dir_has_tail(const uint8_t *blk, uint32_t bs)
{
	if (bs < sizeof(struct ext4_dir_tail))
		return false;
	const struct ext4_dir_tail *t = (const struct ext4_dir_tail *)(blk + bs - sizeof(*t));
	return t->det_reserved_zero1 == 0 && t->det_rec_len == sizeof(*t) && t->det_reserved_zero2 == 0 &&
	       t->det_reserved_ft == EXT4_DIR_TAIL_FT;
}

void ext4_dir_init_tail(uint8_t *blk, uint32_t bs)
{
	struct ext4_dir_tail *t = (struct ext4_dir_tail *)(blk + bs - sizeof(*t));
	*t = (struct ext4_dir_tail){ .det_rec_len = sizeof(*t), .det_reserved_ft = EXT4_DIR_TAIL_FT };
}

bool ext4_dir_csum_ok(uint32_t iseed, const uint8_t *blk, uint32_t bs)
{
	const struct ext4_dir_tail *t = (const struct ext4_dir_tail *)(blk + bs - sizeof(*t));
	return t->det_checksum == crc32c_update(iseed, blk, bs - sizeof(*t));
}

void ext4_dir_csum_set(uint32_t iseed, uint8_t *blk, uint32_t bs)
{
	struct ext4_dir_tail *t = (struct ext4_dir_tail *)(blk + bs - sizeof(*t));
	t->det_checksum = crc32c_update(iseed, blk, bs - sizeof(*t));
}

static uint32_t extent_tail_off(const uint8_t *blk)
{
	const struct ext4_extent_header *h = (const struct ext4_extent_header *)blk;
	return sizeof(*h) + (uint32_t)h->eh_max * sizeof(struct ext4_extent);
}

bool ext4_extent_csum_ok(uint32_t iseed, const uint8_t *blk)
{
	uint32_t off = extent_tail_off(blk), disk;
	memcpy(&disk, blk + off, 4);
	return disk == crc32c_update(iseed, blk, off);
}

void ext4_extent_csum_set(uint32_t iseed, uint8_t *blk)
{
	uint32_t off = extent_tail_off(blk);
	uint32_t c = crc32c_update(iseed, blk, off);
	memcpy(blk + off, &c, 4);
}
