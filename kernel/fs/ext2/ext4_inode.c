/*
 * ext4's per-inode pieces: the large-inode fields past the first 128 bytes (nanosecond times
 * with their epoch bits, crtime, i_extra_isize), the per-inode checksum seed, and stamping a
 * directory block with its leaf checksum.
 */
#include "fs/ext2/ext2.h"

#include "lib/string.h"

/*
 * ext4's extra timestamp word: two epoch bits extending the signed 32-bit seconds past 2038,
 * then the nanoseconds. Only the words that i_extra_isize covers exist.
 */
static bool extra_has(const struct ext2_fs *fs, uint16_t extra_isize, uint32_t field)
{
	return fs->g.inode_size > EXT2_GOOD_OLD_INODE_SIZE && EXT2_GOOD_OLD_INODE_SIZE + (uint32_t)extra_isize >= field + 4;
}

static void time_from_disk(struct timespec64 *t, uint32_t lo, uint32_t extra)
{
	t->sec = (int64_t)(int32_t)lo + ((int64_t)(extra & 3) << 32);
	t->nsec = extra >> 2;
	if (t->nsec >= 1000000000)
		t->nsec = 0; /* garbage: keep seconds only */
}

static uint32_t time_extra(const struct timespec64 *t)
{
	return (uint32_t)(((t->sec - (int32_t)t->sec) >> 32) & 3) | (uint32_t)t->nsec << 2;
}

void ext4_read_extra(struct ext2_fs *fs, struct inode *inode, const uint8_t *slot)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	if (fs->g.inode_size <= EXT2_GOOD_OLD_INODE_SIZE)
		return;
	memcpy(&ei->extra_isize, slot + EXT4_I_EXTRA_ISIZE, 2);
	if (EXT2_GOOD_OLD_INODE_SIZE + (uint32_t)ei->extra_isize > fs->g.inode_size)
		ei->extra_isize = 0; /* impossible: trust none of it */
	uint32_t v;
	if (extra_has(fs, ei->extra_isize, EXT4_I_CTIME_EXTRA)) {
		memcpy(&v, slot + EXT4_I_CTIME_EXTRA, 4);
		time_from_disk(&inode->ctime, ei->raw.i_ctime, v);
	}
	if (extra_has(fs, ei->extra_isize, EXT4_I_MTIME_EXTRA)) {
		memcpy(&v, slot + EXT4_I_MTIME_EXTRA, 4);
		time_from_disk(&inode->mtime, ei->raw.i_mtime, v);
	}
	if (extra_has(fs, ei->extra_isize, EXT4_I_ATIME_EXTRA)) {
		memcpy(&v, slot + EXT4_I_ATIME_EXTRA, 4);
		time_from_disk(&inode->atime, ei->raw.i_atime, v);
	}
	if (extra_has(fs, ei->extra_isize, EXT4_I_CRTIME_EXTRA)) {
		memcpy(&ei->crtime, slot + EXT4_I_CRTIME, 4);
		memcpy(&ei->crtime_extra, slot + EXT4_I_CRTIME_EXTRA, 4);
	}
}

void ext4_write_extra(struct ext2_fs *fs, struct inode *inode, uint8_t *slot)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	if (fs->g.inode_size <= EXT2_GOOD_OLD_INODE_SIZE)
		return;
	memcpy(slot + EXT4_I_EXTRA_ISIZE, &ei->extra_isize, 2);
	uint32_t v;
	if (extra_has(fs, ei->extra_isize, EXT4_I_CTIME_EXTRA)) {
		v = time_extra(&inode->ctime);
		memcpy(slot + EXT4_I_CTIME_EXTRA, &v, 4);
	}
	if (extra_has(fs, ei->extra_isize, EXT4_I_MTIME_EXTRA)) {
		v = time_extra(&inode->mtime);
		memcpy(slot + EXT4_I_MTIME_EXTRA, &v, 4);
	}
	if (extra_has(fs, ei->extra_isize, EXT4_I_ATIME_EXTRA)) {
		v = time_extra(&inode->atime);
		memcpy(slot + EXT4_I_ATIME_EXTRA, &v, 4);
	}
	if (extra_has(fs, ei->extra_isize, EXT4_I_CRTIME_EXTRA)) {
		memcpy(slot + EXT4_I_CRTIME, &ei->crtime, 4);
		memcpy(slot + EXT4_I_CRTIME_EXTRA, &ei->crtime_extra, 4);
	}
}

void ext2_inode_seed(struct ext2_fs *fs, struct inode *inode)
{
	struct ext2_inode_info *ei = EXT2_I(inode);
	if (fs->g.csum)
		ei->csum_seed = ext4_inode_seed(fs->g.csum_seed, (uint32_t)inode->ino, ei->raw.i_generation);
}

void ext2_dirty_dir_block(struct ext2_fs *fs, struct inode *dir, struct buf *b)
{
	/* A block without a tail (an htree node) has no leaf checksum to stamp. */
	if (fs->g.csum && ext4_dir_has_tail(b->data, fs->g.block_size))
		ext4_dir_csum_set(EXT2_I(dir)->csum_seed, b->data, fs->g.block_size);
	bdirty(b);
}
