/*
 * ext4 metadata_csum: crc32c checksums of the superblock, group descriptors, bitmaps, inodes,
 * extent-tree blocks and directory leaf blocks, computed the way Linux and e2fsprogs do (the
 * raw crc32c register, seeded from the file system's UUID or s_checksum_seed, never inverted).
 * Pure functions over buffers, so the host unit tests check them against mkfs.ext4's images.
 */
#pragma once

#include "fs/ext2/ext2_layout.h"

/* The seed of every checksum: s_checksum_seed with csum_seed, else crc32c(~0, uuid). */
uint32_t ext4_csum_seed(const struct ext2_super_block *sb);
/* The superblock's checksum (over the 1020 bytes before s_checksum). */
uint32_t ext4_sb_csum(const struct ext2_super_block *sb);
/* Group descriptor `group` (desc_size bytes at gd): the 16-bit bg_checksum it should hold. */
uint16_t ext4_gd_csum(uint32_t seed, uint32_t group, const void *gd, uint32_t desc_size);
/* A bitmap's checksum (bytes: blocks_per_group / 8 or inodes_per_group / 8). */
uint32_t ext4_bitmap_csum(uint32_t seed, const void *map, uint32_t bytes);
/* The per-inode seed of inode, extent and directory checksums: seed, inode number, generation. */
uint32_t ext4_inode_seed(uint32_t seed, uint32_t ino, uint32_t generation);
/*
 * An inode's checksum over its inode_size bytes with the checksum fields read as zero. Whether
 * the high half exists (i_extra_isize covers it) is *has_hi.
 */
uint32_t ext4_inode_csum(uint32_t seed, uint32_t ino, const uint8_t *raw, uint32_t inode_size, bool *has_hi);
/* Verifies / stores an on-disk inode's checksum (inode_size bytes at raw). */
bool ext4_inode_csum_ok(uint32_t seed, uint32_t ino, const uint8_t *raw, uint32_t inode_size);
void ext4_inode_csum_set(uint32_t seed, uint32_t ino, uint8_t *raw, uint32_t inode_size);
/* Whether a directory block of size bs ends with a metadata_csum leaf tail. */
bool ext4_dir_has_tail(const uint8_t *blk, uint32_t bs);
/* Writes an empty leaf tail into the last 12 bytes. */
void ext4_dir_init_tail(uint8_t *blk, uint32_t bs);
/* The leaf checksum: verified / stored in the tail (iseed from ext4_inode_seed). */
bool ext4_dir_csum_ok(uint32_t iseed, const uint8_t *blk, uint32_t bs);
void ext4_dir_csum_set(uint32_t iseed, uint8_t *blk, uint32_t bs);
/* An extent-tree block's checksum (in the 4 bytes after eh_max entries; the header must have
 * passed ext4_check_extent_node). */
bool ext4_extent_csum_ok(uint32_t iseed, const uint8_t *blk);
void ext4_extent_csum_set(uint32_t iseed, uint8_t *blk);
