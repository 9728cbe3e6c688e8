/*
 * ext2/ext3/ext4 inside the kernel (private to kernel/fs/ext2/): the mounted file system,
 * in-memory inodes, and the functions the files of this directory share. One driver serves
 * the three names; the superblock's feature bits decide what it does (extents, 64-bit group
 * descriptors, metadata checksums...).
 *
 * Locking: one mutex per mounted file system (fs->lock) covers every metadata change and every
 * read or write of file contents (FIXME: per-inode locking). It is taken by each VFS entry
 * point; functions named *_locked expect it held. inode_put is never called with it held,
 * since the last put evicts and evicting takes the lock.
 */
#pragma once

#include "block/block.h"
#include "fs/ext2/ext2_layout.h"
#include "fs/ext2/ext4_csum.h"
#include "fs/vfs.h"

#define EXT2_ICACHE 256

struct ext2_fs {
	struct block_device *bdev;
	struct super_block *vsb;
	struct ext2_geom g;
	struct ext2_super_block sb;     /* the in-memory superblock, written back on change */
	struct ext2_group_desc *gdt;    /* every group's descriptor, in the 64-byte form */
	uint32_t gdt_blocks;
	struct mutex lock;
	struct inode *icache[EXT2_ICACHE];
	bool ro;
	bool sb_dirty;
	struct ext2_fs *next;           /* mounted file systems (one mount per device) */
};

struct pcache;
struct ext2_inode_info {
	struct ext2_inode raw;          /* the on-disk inode's first 128 bytes, kept current */
	/* ext4's large-inode fields (valid when inode_size > 128): the rest of the slot is kept
	 * as it is on disk, these are rewritten. */
	uint16_t extra_isize;
	uint32_t crtime, crtime_extra;
	uint32_t csum_seed;             /* metadata_csum: seed of this inode's extent/dir checksums */
	struct inode *hash_next;
	struct pcache *pcache;          /* a regular file's page cache, made at first use */
};

static inline struct ext2_fs *EXT2_FS(struct super_block *sb) { return sb->private; }
static inline struct ext2_inode_info *EXT2_I(struct inode *inode) { return inode->private; }

/* ext2_super.c */
/* The inode numbered ino (a new reference) or ERR_PTR(-EIO...). Lock held. */
struct inode *ext2_iget_locked(struct ext2_fs *fs, uint32_t ino);
/* Copies the in-memory inode to its disk block (dirty in the buffer cache). Lock held. */
int ext2_write_inode_locked(struct ext2_fs *fs, struct inode *inode);
/* Zeroes inode ino's whole on-disk slot (inode_size bytes). Lock held. */
int ext2_clear_inode_slot_locked(struct ext2_fs *fs, uint32_t ino);
/* Writes the superblock and changed group descriptors to the buffer cache. Lock held. */
int ext2_write_super_locked(struct ext2_fs *fs);
void ext2_set_ops(struct inode *inode);
uint32_t ext2_now(void);

/* ext4_inode.c: the large-inode fields (times' nanoseconds, crtime, i_extra_isize) from and
 * into an on-disk inode slot of inode_size bytes. */
void ext4_read_extra(struct ext2_fs *fs, struct inode *inode, const uint8_t *slot);
void ext4_write_extra(struct ext2_fs *fs, struct inode *inode, uint8_t *slot);
/* Stamps directory block b of dir with its leaf checksum (metadata_csum) and marks it dirty;
 * plain bdirty without metadata_csum. */
void ext2_dirty_dir_block(struct ext2_fs *fs, struct inode *dir, struct buf *b);
/* Sets up a new inode's per-inode checksum seed (after its generation is chosen). */
void ext2_inode_seed(struct ext2_fs *fs, struct inode *inode);

/* ext2_bmap.c */
/*
 * The disk block of file block lblk: 0 for a hole (when !create), or -errno. With create,
 * missing data and indirect blocks are allocated (zeroed) near goal.
 */
int64_t ext2_bmap_locked(struct ext2_fs *fs, struct inode *inode, uint64_t lblk, bool create);
/* Frees every block from file block `from` on (truncate). */
int ext2_truncate_blocks_locked(struct ext2_fs *fs, struct inode *inode, uint64_t from);

/* ext4_extents.c: the same two operations for an inode with EXT4_EXTENTS_FL. */
int64_t ext4_ext_map_locked(struct ext2_fs *fs, struct inode *inode, uint64_t lblk, bool create);
int ext4_ext_truncate_locked(struct ext2_fs *fs, struct inode *inode, uint64_t from);
/* Makes i_block an empty extent tree (a new inode on a file system with extents). */
void ext4_ext_init_inode(struct inode *inode);

/* ext2_alloc.c */
int64_t ext2_alloc_block_locked(struct ext2_fs *fs, uint32_t goal_group);
/* Block `goal` itself when free, else the first free block after it in its group, else any. */
int64_t ext2_alloc_block_near_locked(struct ext2_fs *fs, uint32_t goal);
int ext2_free_block_locked(struct ext2_fs *fs, uint32_t block);
int64_t ext2_alloc_inode_locked(struct ext2_fs *fs, uint32_t parent_group, bool dir);
int ext2_free_inode_locked(struct ext2_fs *fs, uint32_t ino, bool dir);
bool ext2_valid_block(const struct ext2_fs *fs, uint32_t block);

/* ext2_file.c, ext2_dir.c */
extern const struct file_ops ext2_file_fops, ext2_dir_fops;
extern const struct inode_ops ext2_file_iops, ext2_dir_iops, ext2_link_iops, ext2_special_iops;
int ext2_getattr(struct inode *inode, struct kstat *st);
/* Drops a file's page cache at eviction (writing it back unless the file is gone). */
void ext2_drop_pcache(struct inode *inode);
int ext2_setattr(struct inode *inode, const struct iattr *attr);
