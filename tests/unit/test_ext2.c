// unit-deps: kernel/fs/ext2/ext2_check.c kernel/fs/ext2/ext4_csum.c kernel/lib/crc32c.c kernel/lib/string.c
/*
 * ext2's metadata checks against a superblock the host's mkfs.ext2 writes at test time, against
 * hand-corrupted copies of it (each field the driver divides by, multiplies or indexes with),
 * against random superblocks, and the directory-entry walker against malformed blocks: a
 * corrupt disk must give -EINVAL/-EIO, never a crash, an overflow or an endless walk.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "fs/ext2/ext2_layout.h"

#define DEV_BYTES (8ull << 20)

static bool host_super(struct ext2_super_block *sb, int block_size)
{
	const char *img = "/tmp/ferrite-unit-ext2.img";
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -f %s && mkfs.ext2 -q -F -b %d %s 8M > /dev/null 2>&1", img, block_size, img);
	if (system(cmd) != 0)
		return false;
	FILE *f = fopen(img, "rb");
	if (!f)
		return false;
	bool ok = fseek(f, 1024, SEEK_SET) == 0 && fread(sb, sizeof(*sb), 1, f) == 1;
	fclose(f);
	remove(img);
	return ok;
}

TEST(mkfs_superblock)
{
	struct ext2_super_block sb;
	if (!host_super(&sb, 1024)) {
		printf("SKIP mkfs.ext2 missing\n");
		return;
	}
	struct ext2_geom g;
	CHECK_INT(ext2_check_super(&sb, DEV_BYTES, &g), 0);
	CHECK_INT(g.block_size, 1024);
	CHECK_INT(g.blocks_count, 8192);
	CHECK_INT(g.first_data_block, 1);
	CHECK_INT(g.groups, 1);
	CHECK(!g.read_only);
	/* The device must hold every block. */
	CHECK_INT(ext2_check_super(&sb, DEV_BYTES - 1024, &g), -EINVAL);
	CHECK(host_super(&sb, 4096));
	CHECK_INT(ext2_check_super(&sb, DEV_BYTES, &g), 0);
	CHECK_INT(g.block_size, 4096);
	CHECK_INT(g.first_data_block, 0);
}

TEST(corrupt_superblocks)
{
	struct ext2_super_block good;
	if (!host_super(&good, 1024)) {
		printf("SKIP mkfs.ext2 missing\n");
		return;
	}
	struct ext2_geom g;
	struct ext2_super_block sb;
#define BAD(field, value, want)                                   \
	do {                                                      \
		sb = good;                                        \
		sb.field = value;                                 \
		CHECK_INT(ext2_check_super(&sb, DEV_BYTES, &g), want); \
	} while (0)
	BAD(s_magic, 0xef54, -EINVAL);
	BAD(s_log_block_size, 3, -EINVAL);
	BAD(s_log_block_size, 0xffffffff, -EINVAL);
	BAD(s_blocks_per_group, 0, -EINVAL);
	BAD(s_blocks_per_group, 8193, -EINVAL);
	BAD(s_inodes_per_group, 0, -EINVAL);
	BAD(s_inodes_per_group, 0xffffffff, -EINVAL);
	BAD(s_inodes_count, 0xffffffff, -EINVAL);
	BAD(s_inodes_count, 1, -EINVAL);
	BAD(s_blocks_count, 0, -EINVAL);
	BAD(s_blocks_count, 0xffffffff, -EINVAL);
	BAD(s_first_data_block, 0, -EINVAL);
	BAD(s_inode_size, 100, -EINVAL);
	BAD(s_inode_size, 2048, -EINVAL);
	BAD(s_inode_size, 0, -EINVAL);
	BAD(s_first_ino, 0, -EINVAL);
	BAD(s_first_ino, 0xffffffff, -EINVAL);
	BAD(s_free_blocks_count, 0xffffffff, -EINVAL);
	BAD(s_feature_incompat, good.s_feature_incompat | 0x10, -ENOTSUP);   /* meta_bg */
	BAD(s_feature_incompat, good.s_feature_incompat | 0x8000, -ENOTSUP); /* inline_data */
	BAD(s_feature_incompat, good.s_feature_incompat | 0x80, -EINVAL);    /* 64bit, desc_size 0 */
	/* metadata_csum on a superblock without a checksum: a damaged superblock. */
	BAD(s_feature_ro_compat, good.s_feature_ro_compat | 0x400, -EBADMSG);
	/* An unknown ro_compat feature: mountable, read-only. */
	sb = good;
	sb.s_feature_ro_compat |= 0x80000000u;
	CHECK_INT(ext2_check_super(&sb, DEV_BYTES, &g), 0);
	CHECK(g.read_only);
}

TEST(random_superblocks)
{
	srand(7);
	struct ext2_super_block sb;
	struct ext2_geom g;
	unsigned accepted = 0;
	for (int round = 0; round < 200000; round++) {
		uint8_t *p = (uint8_t *)&sb;
		for (size_t i = 0; i < sizeof(sb); i++)
			p[i] = (uint8_t)rand();
		sb.s_magic = EXT2_SUPER_MAGIC;
		/* Push some fields into plausible ranges so that deeper checks run too. */
		if (round & 1) {
			sb.s_log_block_size = (uint32_t)rand() % 3;
			sb.s_rev_level = 1;
			sb.s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE;
			sb.s_inode_size = (uint16_t)(128u << (rand() % 3));
			sb.s_blocks_count = (uint32_t)rand() % 20000;
			sb.s_blocks_per_group = (uint32_t)rand() % 9000;
			sb.s_inodes_per_group = (uint32_t)rand() % 3000;
			sb.s_inodes_count = (uint32_t)rand() % 6000;
			sb.s_first_data_block = sb.s_log_block_size == 0;
			sb.s_first_ino = 11;
			sb.s_free_blocks_count = 0;
			sb.s_free_inodes_count = 0;
		}
		if (ext2_check_super(&sb, 16ull << 20, &g) == 0) {
			accepted++;
			/* What the driver then relies on. */
			CHECK(g.blocks_per_group && g.inodes_per_group && g.groups);
			CHECK((uint64_t)g.groups * g.inodes_per_group >= g.inodes_count);
			CHECK((uint64_t)g.blocks_count * g.block_size <= 16ull << 20);
			CHECK(g.first_ino > EXT2_ROOT_INO && g.first_ino <= g.inodes_count);
		}
	}
	CHECK(accepted > 0);
}

TEST(group_descriptors)
{
	struct ext2_geom g = { .block_size = 1024, .blocks_count = 8192, .first_data_block = 1,
			       .blocks_per_group = 8192, .inodes_per_group = 2048, .inode_blocks_per_group = 256 };
	struct ext2_group_desc gd = { .bg_block_bitmap = 3, .bg_inode_bitmap = 4, .bg_inode_table = 5,
				      .bg_free_blocks_count = 100, .bg_free_inodes_count = 10 };
	CHECK_INT(ext2_check_group(&g, &gd), 0);
	struct ext2_group_desc bad = gd;
	bad.bg_block_bitmap = 8192;
	CHECK_INT(ext2_check_group(&g, &bad), -EIO);
	bad = gd;
	bad.bg_inode_bitmap = 0;
	CHECK_INT(ext2_check_group(&g, &bad), -EIO);
	bad = gd;
	bad.bg_inode_table = 8000; /* the table would run past the end */
	CHECK_INT(ext2_check_group(&g, &bad), -EIO);
	bad = gd;
	bad.bg_free_inodes_count = 4000;
	CHECK_INT(ext2_check_group(&g, &bad), -EIO);
}

static void put_dirent(uint8_t *blk, uint32_t off, uint32_t ino, uint16_t rec_len, const char *name)
{
	struct ext2_dirent d = { ino, rec_len, (uint8_t)strlen(name), 1 };
	memcpy(blk + off, &d, sizeof(d));
	memcpy(blk + off + 8, name, strlen(name));
}

/* Walks a block as the driver does: the number of entries, or -1 on a malformed one. */
static int walk(const uint8_t *blk, uint32_t bs)
{
	int n = 0;
	for (uint32_t off = 0; off < bs;) {
		const struct ext2_dirent *d;
		if (ext2_dirent_at(blk, bs, off, &d) < 0)
			return -1;
		n++;
		off += d->rec_len;
	}
	return n;
}

TEST(directory_entries)
{
	uint8_t blk[1024] = { 0 };
	put_dirent(blk, 0, 2, 12, ".");
	put_dirent(blk, 12, 2, 12, "..");
	put_dirent(blk, 24, 12, 1000, "file");
	CHECK_INT(walk(blk, 1024), 3);
	/* rec_len 0 would loop forever; unaligned, too short for the name, past the block. */
	put_dirent(blk, 24, 12, 0, "file");
	CHECK_INT(walk(blk, 1024), -1);
	put_dirent(blk, 24, 12, 1002, "file");
	CHECK_INT(walk(blk, 1024), -1);
	put_dirent(blk, 24, 12, 8, "file");
	CHECK_INT(walk(blk, 1024), -1);
	put_dirent(blk, 24, 12, 1004, "file");
	CHECK_INT(walk(blk, 1024), -1);
	/* A free entry's name length is not checked against its size (e2fsck leaves junk there). */
	put_dirent(blk, 24, 0, 12, "longer-name-than-fits");
	put_dirent(blk, 36, 13, 988, "x");
	CHECK_INT(walk(blk, 1024), 4);
	const struct ext2_dirent *d;
	CHECK_INT(ext2_dirent_at(blk, 1024, 1020, &d), -EIO);
	CHECK_INT(ext2_dirent_at(blk, 1024, 1024, &d), -EIO);
	CHECK_INT(ext2_dirent_at(blk, 1024, 2, &d), -EIO);
	/* Random blocks: every walk ends, never reads outside. */
	srand(3);
	for (int round = 0; round < 100000; round++) {
		for (size_t i = 0; i < sizeof(blk); i++)
			blk[i] = (uint8_t)rand();
		if (round & 1)
			for (uint32_t off = 0; off + 8 <= sizeof(blk); off += 64)
				put_dirent(blk, off, 1, 64, "");
		int n = walk(blk, 1024);
		CHECK(n >= -1 && n <= 1024 / 8);
	}
}
