/*
 * ext2/ext3/ext4's on-disk layout (little-endian; "The Second Extended File System" by Dave
 * Poirier, the kernel's Documentation/filesystems/ext4 and e2fsprogs' ext2_fs.h as the reference
 * for field meaning), plus the pure validation helpers that the host unit tests fuzz: superblock
 * geometry, group descriptors, directory-entry walking and extent-tree nodes.
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
#define EXT3_FEATURE_COMPAT_HAS_JOURNAL     0x0004
#define EXT2_FEATURE_INCOMPAT_FILETYPE     0x0002
#define EXT3_FEATURE_INCOMPAT_RECOVER      0x0004 /* the journal needs replaying */
#define EXT4_FEATURE_INCOMPAT_EXTENTS      0x0040
#define EXT4_FEATURE_INCOMPAT_64BIT        0x0080
#define EXT4_FEATURE_INCOMPAT_FLEX_BG      0x0200
#define EXT4_FEATURE_INCOMPAT_CSUM_SEED    0x2000
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002
#define EXT4_FEATURE_RO_COMPAT_HUGE_FILE    0x0008
#define EXT4_FEATURE_RO_COMPAT_GDT_CSUM     0x0010
#define EXT4_FEATURE_RO_COMPAT_DIR_NLINK    0x0020
#define EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE  0x0040
#define EXT4_FEATURE_RO_COMPAT_METADATA_CSUM 0x0400
#define EXT2_INCOMPAT_SUPPORTED (EXT2_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_EXTENTS | \
				 EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG | \
				 EXT4_FEATURE_INCOMPAT_CSUM_SEED)
/* gdt_csum (crc16 group descriptors without metadata_csum) is read but not written: read-only. */
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE | \
				  EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK | \
				  EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)

#define EXT2_INDEX_FL     0x00001000 /* hash-indexed directory (dir_index) */
#define EXT4_HUGE_FILE_FL 0x00040000 /* i_blocks counts file-system blocks, not sectors */
#define EXT4_EXTENTS_FL   0x00080000 /* i_block holds an extent tree */

/* Group descriptor flags (uninit_bg / metadata_csum lazy initialisation). */
#define EXT4_BG_INODE_UNINIT 0x0001 /* inode bitmap not initialised: all free */
#define EXT4_BG_BLOCK_UNINIT 0x0002 /* block bitmap not initialised: only metadata used */
#define EXT4_BG_INODE_ZEROED 0x0004

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
	uint16_t s_reserved_gdt_blocks;
	/* ext3 and ext4 */
	uint8_t s_journal_uuid[16];
	uint32_t s_journal_inum;
	uint32_t s_journal_dev;
	uint32_t s_last_orphan;
	uint32_t s_hash_seed[4];
	uint8_t s_def_hash_version;
	uint8_t s_jnl_backup_type;
	uint16_t s_desc_size;           /* with 64bit: the group descriptor size */
	uint32_t s_default_mount_opts;
	uint32_t s_first_meta_bg;
	uint32_t s_mkfs_time;
	uint32_t s_jnl_blocks[17];
	uint32_t s_blocks_count_hi;
	uint32_t s_r_blocks_count_hi;
	uint32_t s_free_blocks_count_hi;
	uint16_t s_min_extra_isize;
	uint16_t s_want_extra_isize;
	uint32_t s_flags;
	uint16_t s_raid_stride;
	uint16_t s_mmp_interval;
	uint64_t s_mmp_block;
	uint32_t s_raid_stripe_width;
	uint8_t s_log_groups_per_flex;
	uint8_t s_checksum_type;        /* 1: crc32c */
	uint16_t s_reserved_pad;
	uint64_t s_kbytes_written;
	uint8_t s_rest1[0x270 - 0x180];
	uint32_t s_checksum_seed;       /* with csum_seed: crc32c(~0, uuid) fixed at mkfs time */
	uint8_t s_rest2[0x3fc - 0x274];
	uint32_t s_checksum;            /* metadata_csum: crc32c of the bytes before this */
} __attribute__((packed));
_Static_assert(sizeof(struct ext2_super_block) == 1024, "the ext2 superblock is 1024 bytes");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_magic) == 56, "s_magic at 56");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_inode_size) == 88, "s_inode_size at 88");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_feature_ro_compat) == 100, "ro_compat at 100");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_prealloc_blocks) == 204, "prealloc at 204");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_hash_seed) == 0xec, "hash seed at 0xec");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_desc_size) == 0xfe, "desc_size at 0xfe");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_blocks_count_hi) == 0x150, "blocks_hi at 0x150");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_log_groups_per_flex) == 0x174, "flex at 0x174");
_Static_assert(__builtin_offsetof(struct ext2_super_block, s_checksum_seed) == 0x270, "seed at 0x270");

/*
 * A group descriptor: ext2's 32 bytes, then ext4's upper halves when the 64bit feature makes
 * descriptors s_desc_size (>= 64) bytes. In memory every descriptor is held in this 64-byte
 * form (the upper half zero without 64bit); on disk only desc_size bytes are stored.
 */
struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_flags;              /* EXT4_BG_* */
	uint32_t bg_exclude_bitmap_lo;
	uint16_t bg_block_bitmap_csum_lo;
	uint16_t bg_inode_bitmap_csum_lo;
	uint16_t bg_itable_unused;      /* inodes at the table's end never used */
	uint16_t bg_checksum;
	/* 64bit only */
	uint32_t bg_block_bitmap_hi;
	uint32_t bg_inode_bitmap_hi;
	uint32_t bg_inode_table_hi;
	uint16_t bg_free_blocks_count_hi;
	uint16_t bg_free_inodes_count_hi;
	uint16_t bg_used_dirs_count_hi;
	uint16_t bg_itable_unused_hi;
	uint32_t bg_exclude_bitmap_hi;
	uint16_t bg_block_bitmap_csum_hi;
	uint16_t bg_inode_bitmap_csum_hi;
	uint32_t bg_reserved;
};
_Static_assert(sizeof(struct ext2_group_desc) == 64, "ext4 group descriptors are 64 bytes");
_Static_assert(__builtin_offsetof(struct ext2_group_desc, bg_checksum) == 0x1e, "bg_checksum at 0x1e");
#define EXT2_MIN_DESC_SIZE 32
#define EXT4_MIN_DESC_SIZE_64BIT 64

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
	uint16_t i_checksum_lo;     /* metadata_csum: low half of the inode's crc32c */
	uint16_t i_reserved2;
}; /* naturally aligned: no packing needed (the asserts hold the layout) */
_Static_assert(sizeof(struct ext2_inode) == 128, "the ext2 inode is 128 bytes");
_Static_assert(__builtin_offsetof(struct ext2_inode, i_block) == 40, "i_block at 40");
_Static_assert(__builtin_offsetof(struct ext2_inode, i_uid_high) == 120, "i_uid_high at 120");
_Static_assert(__builtin_offsetof(struct ext2_inode, i_checksum_lo) == 0x7c, "i_checksum_lo at 0x7c");
/* i_frag, i_fsize are ext4's l_i_blocks_high (huge_file); i_pad1 its l_i_file_acl_high. */

/* ext4's fields after the first 128 bytes of an inode (i_extra_isize of them are valid). */
#define EXT4_I_EXTRA_ISIZE   0x80
#define EXT4_I_CHECKSUM_HI   0x82
#define EXT4_I_CTIME_EXTRA   0x84
#define EXT4_I_MTIME_EXTRA   0x88
#define EXT4_I_ATIME_EXTRA   0x8c
#define EXT4_I_CRTIME        0x90
#define EXT4_I_CRTIME_EXTRA  0x94
#define EXT4_WANT_EXTRA_ISIZE 32

/* Extent trees (i_block with EXT4_EXTENTS_FL, and tree blocks): a header, then entries. */
#define EXT4_EXT_MAGIC 0xf30a
#define EXT4_EXT_MAX_DEPTH 5
#define EXT4_EXT_INIT_MAX_LEN 32768u /* ee_len above this: an uninitialised (preallocated) extent */
struct ext4_extent_header {
	uint16_t eh_magic;
	uint16_t eh_entries;
	uint16_t eh_max;
	uint16_t eh_depth;          /* 0: entries are extents (a leaf) */
	uint32_t eh_generation;
};
struct ext4_extent {                /* leaf entry: file blocks ee_block.. on disk at ee_start */
	uint32_t ee_block;
	uint16_t ee_len;
	uint16_t ee_start_hi;
	uint32_t ee_start_lo;
};
struct ext4_extent_idx {            /* index entry: file blocks ei_block.. under ei_leaf */
	uint32_t ei_block;
	uint32_t ei_leaf_lo;
	uint16_t ei_leaf_hi;
	uint16_t ei_unused;
};
_Static_assert(sizeof(struct ext4_extent_header) == 12 && sizeof(struct ext4_extent) == 12 &&
	       sizeof(struct ext4_extent_idx) == 12, "extent tree entries are 12 bytes");

/* metadata_csum's directory leaf tail: a fake empty entry in the last 12 bytes of a block. */
struct ext4_dir_tail {
	uint32_t det_reserved_zero1;
	uint16_t det_rec_len;       /* 12 */
	uint8_t det_reserved_zero2;
	uint8_t det_reserved_ft;    /* 0xde */
	uint32_t det_checksum;
};
#define EXT4_DIR_TAIL_FT 0xde

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
	uint32_t desc_size;         /* bytes per group descriptor on disk: 32, or >= 64 with 64bit */
	bool read_only;             /* a ro_compat feature we do not know: mount read-only */
	bool csum;                  /* metadata_csum */
	bool extents, dir_nlink, huge_file, journal;
	uint32_t csum_seed;         /* crc32c seed of every metadata checksum */
};

/*
 * Checks everything the driver relies on (magic, sizes, counts that agree with each other,
 * the device holding every block); 0 and *g filled, -EINVAL (not ext2 or corrupt) or -ENOTSUP
 * (incompatible features).
 */
int ext2_check_super(const struct ext2_super_block *sb, uint64_t dev_bytes, struct ext2_geom *g);
/* Checks a group descriptor against the geometry (bitmaps and table inside the file system,
 * no 64-bit block numbers beyond 2^32). */
int ext2_check_group(const struct ext2_geom *g, const struct ext2_group_desc *gd);
/*
 * The entry at off in a directory block of size bs: 0 with *out set when it is well formed
 * (rec_len aligned, inside the block, large enough for its name), -EIO otherwise.
 */
int ext2_dirent_at(const uint8_t *blk, uint32_t bs, uint32_t off, const struct ext2_dirent **out);

/*
 * Checks an extent-tree node (header at node, size bytes of room: 60 in the inode, a block
 * outside): magic, entries <= max, max fitting the room, depth <= want_depth when want_depth
 * >= 0 (a child must be exactly one below its parent). 0 or -EIO.
 */
int ext4_check_extent_node(const void *node, uint32_t size, int want_depth);
