// unit-deps: kernel/fs/ext2/ext2_check.c kernel/fs/ext2/ext4_csum.c kernel/lib/crc32c.c kernel/lib/string.c
/*
 * ext4 metadata against images the host's mkfs.ext4 makes at test time: every checksum the
 * driver verifies (superblock, group descriptors, bitmaps, inodes, directory leaf tails) must
 * agree with e2fsprogs', and a flipped byte must break it. Then a fuzzer over the parsers the
 * driver runs on disk data (superblock with ext4 features and a valid checksum, group
 * descriptors, extent-tree nodes, directory blocks with tails): garbage gives an error code,
 * never a crash (ASan/UBSan), an out-of-range acceptance or an endless walk.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "fs/ext2/ext2_layout.h"
#include "fs/ext2/ext4_csum.h"

#define IMG_BYTES (8u << 20)

static uint8_t *image;

/* An 8 MiB mkfs.ext4 image (no journal) with a small tree, in memory; NULL without mkfs.ext4. */
static uint8_t *host_image(int block_size, int inode_size)
{
	const char *img = "/tmp/ferrite-unit-ext4.img", *dir = "/tmp/ferrite-unit-ext4.d";
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %s %s && mkdir -p %s/a/b && echo hello > %s/a/b/f && "
		 "mkfs.ext4 -q -F -O ^has_journal -b %d -I %d -d %s %s 8M > /dev/null 2>&1",
		 img, dir, dir, dir, block_size, inode_size, dir, img);
	if (system(cmd) != 0)
		return NULL;
	FILE *f = fopen(img, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = malloc(IMG_BYTES);
	bool ok = buf && fread(buf, 1, IMG_BYTES, f) == IMG_BYTES;
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", img, dir);
	if (system(cmd) != 0)
		ok = false;
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static struct ext2_super_block *super_of(uint8_t *img) { return (struct ext2_super_block *)(img + 1024); }

static struct ext2_group_desc *gd_of(uint8_t *img, const struct ext2_geom *g, uint32_t group)
{
	return (struct ext2_group_desc *)(img + (size_t)g->gdt_block * g->block_size + (size_t)group * g->desc_size);
}

static uint8_t *inode_of(uint8_t *img, const struct ext2_geom *g, uint32_t ino)
{
	uint32_t group = (ino - 1) / g->inodes_per_group, index = (ino - 1) % g->inodes_per_group;
	return img + (size_t)gd_of(img, g, group)->bg_inode_table * g->block_size + (size_t)index * g->inode_size;
}

/* The checksums of one mkfs.ext4 image, and each of them broken by a flipped byte. */
static void check_image(int block_size, int inode_size)
{
	image = host_image(block_size, inode_size);
	if (!image) {
		printf("SKIP mkfs.ext4 missing\n");
		return;
	}
	struct ext2_super_block *sb = super_of(image);
	struct ext2_geom g;
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), 0);
	CHECK(g.csum && g.extents && g.dir_nlink && g.huge_file && !g.journal && !g.read_only);
	CHECK_INT(g.desc_size, 64);
	CHECK_INT(g.block_size, (uint32_t)block_size);
	CHECK_INT(g.csum_seed, ext4_csum_seed(sb));
	for (uint32_t i = 0; i < g.groups; i++) {
		struct ext2_group_desc *gd = gd_of(image, &g, i);
		CHECK_INT(ext4_gd_csum(g.csum_seed, i, gd, g.desc_size), gd->bg_checksum);
		CHECK_INT(ext2_check_group(&g, gd), 0);
		if (!(gd->bg_flags & EXT4_BG_BLOCK_UNINIT)) {
			uint32_t c = ext4_bitmap_csum(g.csum_seed, image + (size_t)gd->bg_block_bitmap * g.block_size,
						      g.blocks_per_group / 8);
			CHECK_INT(c, gd->bg_block_bitmap_csum_lo | (uint32_t)gd->bg_block_bitmap_csum_hi << 16);
		}
		if (!(gd->bg_flags & EXT4_BG_INODE_UNINIT)) {
			uint32_t c = ext4_bitmap_csum(g.csum_seed, image + (size_t)gd->bg_inode_bitmap * g.block_size,
						      g.inodes_per_group / 8);
			CHECK_INT(c, gd->bg_inode_bitmap_csum_lo | (uint32_t)gd->bg_inode_bitmap_csum_hi << 16);
		}
	}
	/* The root directory: its inode, its extent root, its one block with a leaf tail. */
	uint8_t *root = inode_of(image, &g, EXT2_ROOT_INO);
	CHECK(ext4_inode_csum_ok(g.csum_seed, EXT2_ROOT_INO, root, g.inode_size));
	struct ext2_inode *ri = (struct ext2_inode *)root;
	CHECK(ri->i_flags & EXT4_EXTENTS_FL);
	CHECK_INT(ext4_check_extent_node(ri->i_block, sizeof(ri->i_block), 0), 0);
	struct ext4_extent *ex = (struct ext4_extent *)((struct ext4_extent_header *)ri->i_block + 1);
	uint8_t *dir = image + (size_t)ex->ee_start_lo * g.block_size;
	CHECK(ext4_dir_has_tail(dir, g.block_size));
	uint32_t iseed = ext4_inode_seed(g.csum_seed, EXT2_ROOT_INO, ri->i_generation);
	CHECK(ext4_dir_csum_ok(iseed, dir, g.block_size));
	/* Restamping what is already right changes nothing. */
	uint8_t copy[4096];
	memcpy(copy, dir, g.block_size);
	ext4_dir_csum_set(iseed, copy, g.block_size);
	CHECK(memcmp(copy, dir, g.block_size) == 0);
	memcpy(copy, root, g.inode_size);
	ext4_inode_csum_set(g.csum_seed, EXT2_ROOT_INO, copy, g.inode_size);
	CHECK(memcmp(copy, root, g.inode_size) == 0);

	/* One flipped byte anywhere breaks each checksum. */
	dir[30] ^= 1;
	CHECK(!ext4_dir_csum_ok(iseed, dir, g.block_size));
	root[0x20] ^= 1; /* i_flags */
	CHECK(!ext4_inode_csum_ok(g.csum_seed, EXT2_ROOT_INO, root, g.inode_size));
	struct ext2_group_desc *gd0 = gd_of(image, &g, 0);
	gd0->bg_free_inodes_count ^= 1;
	CHECK(ext4_gd_csum(g.csum_seed, 0, gd0, g.desc_size) != gd0->bg_checksum);
	sb->s_free_inodes_count ^= 1;
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), -EBADMSG);
	free(image);
	image = NULL;
}

TEST(mkfs_ext4_1k_blocks_128_byte_inodes) { check_image(1024, 128); }
TEST(mkfs_ext4_4k_blocks_256_byte_inodes) { check_image(4096, 256); }

TEST(refusals)
{
	uint8_t *img = host_image(4096, 256);
	if (!img) {
		printf("SKIP mkfs.ext4 missing\n");
		return;
	}
	struct ext2_super_block *sb = super_of(img);
	struct ext2_geom g;
	/* A journal needing recovery, or any incompat bit not understood: refused. */
	sb->s_feature_incompat |= EXT3_FEATURE_INCOMPAT_RECOVER;
	sb->s_checksum = ext4_sb_csum(sb);
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), -ENOTSUP);
	sb->s_feature_incompat &= ~(uint32_t)EXT3_FEATURE_INCOMPAT_RECOVER;
	sb->s_feature_incompat |= 0x8000; /* inline_data */
	sb->s_checksum = ext4_sb_csum(sb);
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), -ENOTSUP);
	sb->s_feature_incompat &= ~0x8000u;
	/* An unknown ro_compat bit: mounted, read-only. */
	sb->s_feature_ro_compat |= 0x80000000u;
	sb->s_checksum = ext4_sb_csum(sb);
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), 0);
	CHECK(g.read_only);
	/* 64bit with a descriptor size that is not a power of two, or too small. */
	sb->s_feature_ro_compat &= ~0x80000000u;
	sb->s_desc_size = 48;
	sb->s_checksum = ext4_sb_csum(sb);
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), -EINVAL);
	sb->s_desc_size = 96;
	sb->s_checksum = ext4_sb_csum(sb);
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), -EINVAL);
	/* More than 2^32 blocks. */
	sb->s_desc_size = 64;
	sb->s_blocks_count_hi = 1;
	sb->s_checksum = ext4_sb_csum(sb);
	CHECK_INT(ext2_check_super(sb, IMG_BYTES, &g), -ENOTSUP);
	free(img);
}

TEST(fuzz_superblocks_with_valid_checksums)
{
	srand(4);
	struct ext2_super_block sb;
	struct ext2_geom g;
	unsigned accepted = 0;
	for (int round = 0; round < 100000; round++) {
		uint8_t *p = (uint8_t *)&sb;
		for (size_t i = 0; i < sizeof(sb); i++)
			p[i] = (uint8_t)rand();
		sb.s_magic = EXT2_SUPER_MAGIC;
		sb.s_rev_level = 1;
		sb.s_feature_incompat = EXT2_INCOMPAT_SUPPORTED & (uint32_t)rand();
		sb.s_feature_ro_compat = (uint32_t)rand() & (EXT2_RO_COMPAT_SUPPORTED | 0x80000000u);
		sb.s_checksum_type = 1;
		if (round & 1) {
			sb.s_log_block_size = (uint32_t)rand() % 3;
			sb.s_inode_size = (uint16_t)(128u << (rand() % 3));
			sb.s_blocks_count = (uint32_t)rand() % 20000;
			sb.s_blocks_per_group = (uint32_t)rand() % 9000;
			sb.s_inodes_per_group = (uint32_t)rand() % 3000;
			sb.s_inodes_count = (uint32_t)rand() % 6000;
			sb.s_first_data_block = sb.s_log_block_size == 0;
			sb.s_first_ino = 11;
			sb.s_free_blocks_count = 0;
			sb.s_free_inodes_count = 0;
			sb.s_desc_size = (uint16_t)(32u << (rand() % 4));
			sb.s_blocks_count_hi = sb.s_free_blocks_count_hi = sb.s_r_blocks_count_hi = 0;
		}
		sb.s_checksum = ext4_sb_csum(&sb);
		int r = ext2_check_super(&sb, 16ull << 20, &g);
		CHECK(r == 0 || r == -EINVAL || r == -ENOTSUP || r == -EBADMSG);
		if (r == 0) {
			accepted++;
			CHECK(g.desc_size == 32 || (g.desc_size >= 64 && g.desc_size <= g.block_size &&
						    !(g.desc_size & (g.desc_size - 1))));
			CHECK((uint64_t)g.gdt_block + ((uint64_t)g.groups * g.desc_size + g.block_size - 1) / g.block_size <=
			      g.blocks_count);
			CHECK((uint64_t)g.blocks_count * g.block_size <= 16ull << 20);
		}
	}
	CHECK(accepted > 0);
}

TEST(fuzz_group_descriptors)
{
	srand(5);
	struct ext2_geom g = { .block_size = 4096, .blocks_count = 40000, .first_data_block = 0,
			       .blocks_per_group = 32768, .inodes_per_group = 2048, .inode_blocks_per_group = 128,
			       .desc_size = 64 };
	unsigned accepted = 0;
	for (int round = 0; round < 200000; round++) {
		struct ext2_group_desc gd;
		uint8_t *p = (uint8_t *)&gd;
		for (size_t i = 0; i < sizeof(gd); i++)
			p[i] = (uint8_t)rand();
		if (round & 1) { /* plausible lower halves, random upper ones sometimes */
			gd.bg_block_bitmap = (uint32_t)rand() % 50000;
			gd.bg_inode_bitmap = (uint32_t)rand() % 50000;
			gd.bg_inode_table = (uint32_t)rand() % 50000;
			gd.bg_free_blocks_count = (uint16_t)(rand() % 40000);
			gd.bg_free_inodes_count = (uint16_t)(rand() % 3000);
			gd.bg_itable_unused = (uint16_t)(rand() % 3000);
			if (round & 2)
				memset(&gd.bg_block_bitmap_hi, 0, 20); /* through bg_itable_unused_hi */
		}
		if (ext2_check_group(&g, &gd) == 0) {
			accepted++;
			CHECK(gd.bg_block_bitmap < g.blocks_count && gd.bg_inode_bitmap < g.blocks_count);
			CHECK((uint64_t)gd.bg_inode_table + g.inode_blocks_per_group <= g.blocks_count);
			CHECK(!gd.bg_block_bitmap_hi && !gd.bg_inode_bitmap_hi && !gd.bg_inode_table_hi);
			CHECK(gd.bg_itable_unused <= g.inodes_per_group);
		}
	}
	CHECK(accepted > 0);
}

TEST(fuzz_extent_nodes)
{
	srand(6);
	uint8_t node[4096];
	unsigned accepted = 0;
	for (int round = 0; round < 200000; round++) {
		uint32_t size = round % 3 == 0 ? 60 : round % 3 == 1 ? 1020 : 4092;
		for (uint32_t i = 0; i < size; i++)
			node[i] = (uint8_t)rand();
		struct ext4_extent_header *h = (struct ext4_extent_header *)node;
		if (round & 1) {
			h->eh_magic = EXT4_EXT_MAGIC;
			h->eh_max = (uint16_t)(rand() % 400);
			h->eh_entries = (uint16_t)(rand() % 400);
			h->eh_depth = (uint16_t)(rand() % 8);
		}
		int want = rand() % 8 - 1;
		int r = ext4_check_extent_node(node, size, want);
		CHECK(r == 0 || r == -EIO);
		if (r == 0) {
			accepted++;
			CHECK(h->eh_entries <= h->eh_max);
			CHECK(12u + 12u * h->eh_max <= size);
			CHECK(h->eh_depth <= EXT4_EXT_MAX_DEPTH);
			CHECK(want < 0 || h->eh_depth == want);
			/* The checksum reads inside the node's block. */
			if (size == 4092)
				(void)ext4_extent_csum_ok(1, node);
		}
	}
	CHECK(accepted > 0);
}

TEST(fuzz_directory_blocks_with_tails)
{
	srand(7);
	uint8_t blk[1024];
	for (int round = 0; round < 100000; round++) {
		for (size_t i = 0; i < sizeof(blk); i++)
			blk[i] = (uint8_t)rand();
		if (round & 1) {
			/* Plausible entries: small aligned rec_lens, then a tail. */
			for (uint32_t off = 0; off + 12 <= sizeof(blk) - 12;) {
				struct ext2_dirent *d = (struct ext2_dirent *)(blk + off);
				d->rec_len = (uint16_t)((rand() % 64 + 3) * 4);
				d->name_len = (uint8_t)(rand() % 40);
				off += d->rec_len;
			}
			ext4_dir_init_tail(blk, sizeof(blk));
		}
		bool tail = ext4_dir_has_tail(blk, sizeof(blk));
		(void)ext4_dir_csum_ok(1, blk, sizeof(blk));
		uint32_t end = tail ? sizeof(blk) - 12 : sizeof(blk), steps = 0;
		for (uint32_t off = 0; off < end; steps++) {
			const struct ext2_dirent *d;
			if (ext2_dirent_at(blk, end, off, &d) < 0)
				break;
			CHECK(off + d->rec_len <= end && d->rec_len >= 8);
			CHECK(!d->inode || 8u + d->name_len <= d->rec_len);
			off += d->rec_len;
			CHECK(steps < end / 8 + 1);
		}
	}
}
