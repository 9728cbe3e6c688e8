/*
 * FAT inside the kernel (private to kernel/fs/fat/): the mounted volume, in-memory inodes, and
 * the functions this directory's files share.
 *
 * Inodes: FAT has none; a file is its directory entry. An in-memory inode remembers where its
 * short entry lies (de_pos, a byte offset on the volume) and is found again through a small
 * hash on that position; its number is de_pos / 32 + 2 (the root is 1), changed with it when
 * a rename moves the entry.
 *
 * Locking: one mutex per volume (fs->lock) covers every metadata change and every read or write
 * of contents, as in ext2. Functions named *_locked expect it held; inode_put is never called
 * with it held (the last put evicts, which takes it).
 *
 * All disk access goes through the buffer cache: FAT and the fixed FAT12/16 root directory in
 * sector-sized buffers, the data area in data_bs-sized ones (fat_buf_at picks the size), so a
 * page cache can later take over the data paths in fat_file.c alone.
 */
#pragma once

#include "block/block.h"
#include "fs/fat/fat_layout.h"
#include "fs/vfs.h"

#define FAT_ICACHE 256
#define FAT_MSDOS_SUPER_MAGIC 0x4d44
#define FAT_MAX_FILE 0xffffffffull
#define FAT_DIR_MAX_BYTES (65536u * FAT_DIRENT_SIZE) /* Linux's cap on a directory's size */

struct fat_fs {
	struct block_device *bdev;
	struct super_block *vsb;
	struct fat_geom g;
	uint32_t data_bs;               /* buffer size for the data area */
	struct mutex lock;
	struct inode *icache[FAT_ICACHE];
	uint32_t free_count, next_free;
	uint32_t uid, gid, fmask, dmask;
	bool ro;
	bool was_dirty;               /* the boot sector's dirty bit was set at mount */
	struct fat_fs *next;            /* mounted volumes (one mount per device) */
};

struct fat_inode {
	uint32_t start;                 /* first cluster, 0 for none */
	uint64_t de_pos;                /* the short entry's byte offset; 0 for the root */
	uint8_t attr;
	uint32_t cache_idx, cache_clus; /* the last chain position found (0 clus: none) */
	struct inode *hash_next;
};

static inline struct fat_fs *FAT_FS(struct super_block *sb) { return sb->private; }
static inline struct fat_inode *FAT_I(struct inode *inode) { return inode->private; }

/* fat_super.c */
/* The buffer holding volume byte `byte` (a reference) and the offset in it; ERR_PTR on error. */
struct buf *fat_buf_at(struct fat_fs *fs, uint64_t byte, uint32_t *off);
uint64_t fat_cluster_byte(struct fat_fs *fs, uint32_t clus);
/* The inode for the entry at de_pos described by d (a new reference) or ERR_PTR. Lock held. */
struct inode *fat_iget_locked(struct fat_fs *fs, uint64_t de_pos, const struct fat_dirent *d);
/* Finds the in-memory inode of the entry at de_pos (a new reference) or NULL. Lock held. */
struct inode *fat_ifind_locked(struct fat_fs *fs, uint64_t de_pos);
void fat_rehash_locked(struct fat_fs *fs, struct inode *inode, uint64_t de_pos);
/* Copies size, first cluster, attributes and times into the inode's directory entry. */
int fat_write_inode_locked(struct fat_fs *fs, struct inode *inode);

/* fat_table.c */
int fat_get_locked(struct fat_fs *fs, uint32_t n, uint32_t *v);
int fat_set_locked(struct fat_fs *fs, uint32_t n, uint32_t v);
/* The cluster after c: 0 with *next (0 at the end of the chain), or -EIO for a broken chain. */
int fat_next_locked(struct fat_fs *fs, uint32_t c, uint32_t *next);
/* A free cluster marked end-of-chain, linked after prev (unless 0): -ENOSPC when none. */
int fat_alloc_locked(struct fat_fs *fs, uint32_t prev, uint32_t *out);
/* Frees the chain from c on (bounded: a looping chain stops at the volume's cluster count). */
int fat_free_chain_locked(struct fat_fs *fs, uint32_t c);
/* Counts free clusters (mount). */
int fat_count_free_locked(struct fat_fs *fs);
/* The disk cluster of the inode's cluster idx: 0 and *clus, -ENOENT past the chain's end
 * (unless create, which appends zero-filled clusters... only the caller zeroes), -EIO. */
int fat_bmap_locked(struct fat_fs *fs, struct inode *inode, uint32_t idx, bool create, uint32_t *clus);
/* The clusters in the inode's chain (-EIO for a loop or a broken chain). */
int fat_chain_len_locked(struct fat_fs *fs, struct inode *inode, uint32_t max, uint32_t *len);
/* Cuts the inode's chain to keep clusters. */
int fat_truncate_chain_locked(struct fat_fs *fs, struct inode *inode, uint32_t keep);
int fat_zero_cluster_locked(struct fat_fs *fs, uint32_t clus);

/* fat_dir.c, fat_file.c */
extern const struct file_ops fat_file_fops, fat_dir_fops;
extern const struct inode_ops fat_file_iops, fat_dir_iops;
/* The number of subdirectories of dir (for its link count). */
int fat_count_subdirs_locked(struct fat_fs *fs, struct inode *dir, uint32_t *n);
int fat_getattr(struct inode *inode, struct kstat *st);
int fat_setattr(struct inode *inode, const struct iattr *attr);
