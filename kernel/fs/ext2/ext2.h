/*
 * ext2 inside the kernel (private to kernel/fs/ext2/): the mounted file system, in-memory
 * inodes, and the functions the files of this directory share.
 *
 * Locking: one mutex per mounted file system (fs->lock) covers every metadata change and every
 * read or write of file contents (FIXME: per-inode locking). It is taken by each VFS entry
 * point; functions named *_locked expect it held. inode_put is never called with it held,
 * since the last put evicts and evicting takes the lock.
 */
#pragma once

#include "block/block.h"
#include "fs/ext2/ext2_layout.h"
#include "fs/vfs.h"

#define EXT2_ICACHE 256

struct ext2_fs {
	struct block_device *bdev;
	struct super_block *vsb;
	struct ext2_geom g;
	struct ext2_super_block sb;     /* the in-memory superblock, written back on change */
	struct ext2_group_desc *gdt;    /* every group's descriptor */
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

/* ext2_bmap.c */
/*
 * The disk block of file block lblk: 0 for a hole (when !create), or -errno. With create,
 * missing data and indirect blocks are allocated (zeroed) near goal.
 */
int64_t ext2_bmap_locked(struct ext2_fs *fs, struct inode *inode, uint64_t lblk, bool create);
/* Frees every block from file block `from` on (truncate). */
int ext2_truncate_blocks_locked(struct ext2_fs *fs, struct inode *inode, uint64_t from);

/* ext2_alloc.c */
int64_t ext2_alloc_block_locked(struct ext2_fs *fs, uint32_t goal_group);
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
