/*
 * ext2's on-disk layout (little-endian; "The Second Extended File System" by Dave Poirier, and
 * e2fsprogs' ext2_fs.h as the reference for field meaning), plus the pure validation helpers
 * that the host unit tests fuzz: superblock geometry and directory-entry walking.
 */
#pragma once

#include "lib/types.h"

#define EXT2_SUPER_MAGIC   0xef53
#define EXT2_SUPER_OFFSET  1024
#define EXT2_ROOT_INO      2
#define EXT2_GOOD_OLD_FIRST_INO   11
#define EXT2_GOOD_OLD_INODE_SIZE  128
#define EXT2_NDIR_BLOCKS   12
#define EXT2_IND_BLOCK     12
#define EXT2_DIND_BLOCK    13
#define EXT2_TIND_BLOCK    14
#define EXT2_N_BLOCKS      15
#define EXT2_NAME_LEN      255

/* Features: what this driver understands. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE     0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002
#define EXT2_INCOMPAT_SUPPORTED  EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

#define EXT2_INDEX_FL 0x00001000 /* hash-indexed directory (dir_index) */

struct ext2_super_block {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;
	uint32_t s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	/* EXT2_DYNAMIC_REV (1) */
	uint32_t s_first_ino;
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint32_t s_algorithm_usage_bitmap;
	uint8_t s_prealloc_blocks;
	uint8_t s_prealloc_dir_blocks;
	uint16_t s_padding1;
	uint8_t s_rest[816];
} __attribute__((packed));
_Static_assert(sizeof(struct ext2_super_block) == 1024, "the ext2 superblock is 1024 bytes");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_magic) == 56, "s_magic at 56");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_inode_size) == 88, "s_inode_size at 88");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_feature_ro_compat) == 100, "ro_compat at 100");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_prealloc_blocks) == 204, "prealloc at 204");

struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_pad;
	uint32_t bg_reserved[3];
};
_Static_assert(sizeof(struct ext2_group_desc) == 32, "ext2 group descriptors are 32 bytes");

struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks;          /* in 512-byte units */
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;
	uint32_t i_size_high;       /* regular files with large_file; i_dir_acl before */
	uint32_t i_faddr;
	uint8_t i_frag, i_fsize;
	uint16_t i_pad1;
	uint16_t i_uid_high;
	uint16_t i_gid_high;
	uint32_t i_reserved2;
}; /* naturally aligned: no packing needed (the asserts hold the layout) */
_Static_assert(sizeof(struct ext2_inode) == 128, "the ext2 inode is 128 bytes");
_Static_assert(__builtin_offsetof(struct ext2_inode, i_block) == 40, "i_block at 40");
_Static_assert(__builtin_offsetof(struct ext2_inode, i_uid_high) == 120, "i_uid_high at 120");

struct ext2_dirent {
	uint32_t inode;
	uint16_t rec_len;
	uint8_t name_len;
	uint8_t file_type;
	char name[];
} __attribute__((packed));
_Static_assert(sizeof(struct ext2_dirent) == 8, "the directory entry header is 8 bytes");
#define EXT2_DIRENT_LEN(name_len) (((name_len) + 8u + 3u) & ~3u)

/* Directory entry file types (with the filetype feature). */
enum { EXT2_FT_UNKNOWN, EXT2_FT_REG_FILE, EXT2_FT_DIR, EXT2_FT_CHRDEV, EXT2_FT_BLKDEV,
       EXT2_FT_FIFO, EXT2_FT_SOCK, EXT2_FT_SYMLINK };

/* The geometry a validated superblock gives. */
struct ext2_geom {
	uint32_t block_size;
	uint32_t blocks_count, first_data_block, blocks_per_group;
	uint32_t inodes_count, inodes_per_group, inode_size, first_ino;
	uint32_t groups;
	uint32_t gdt_block;         /* first block of the group descriptor table */
	uint32_t inode_blocks_per_group;
	bool read_only;             /* a ro_compat feature we do not know: mount read-only */
};

/*
 * Checks everything the driver relies on (magic, sizes, counts that agree with each other,
 * the device holding every block); 0 and *g filled, -EINVAL (not ext2 or corrupt) or -ENOTSUP
 * (incompatible features).
 */
int ext2_check_super(const struct ext2_super_block *sb, uint64_t dev_bytes, struct ext2_geom *g);
/* Checks a group descriptor against the geometry (bitmaps and table inside the file system). */
int ext2_check_group(const struct ext2_geom *g, const struct ext2_group_desc *gd);
/*
 * The entry at off in a directory block of size bs: 0 with *out set when it is well formed
 * (rec_len aligned, inside the block, large enough for its name), -EIO otherwise.
 */
int ext2_dirent_at(const uint8_t *blk, uint32_t bs, uint32_t off, const struct ext2_dirent **out);
