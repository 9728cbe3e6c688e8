/*
 * ext4 ktests: the kernel's own build of crc32c (freestanding, general registers only) against
 * the published vectors, and a metadata_csum superblock checked, stamped and refused by the
 * same functions the mount path runs.
 */
#include "fs/ext2/ext2_layout.h"
#include "fs/ext2/ext4_csum.h"
#include "lib/crc32c.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"
#include "test/ktest.h"

KTEST(crc32c_vectors)
{
	KT_ASSERT_EQ(crc32c("123456789", 9), 0xe3069283u);
	uint8_t buf[32];
	memset(buf, 0, sizeof(buf));
	KT_ASSERT_EQ(crc32c(buf, 32), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	KT_ASSERT_EQ(crc32c(buf, 32), 0x62a8ab43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	KT_ASSERT_EQ(crc32c(buf, 32), 0x46dd794eu);
	/* Chaining, as ext4 seeds one checksum with another. */
	uint32_t c = crc32c_update(~0u, buf, 10);
	KT_ASSERT_EQ(crc32c_update(c, buf + 10, 22), crc32c_update(~0u, buf, 32));
}

KTEST(ext4_superblock_checksum)
{
	struct ext2_super_block *sb = kzalloc(sizeof(*sb));
	KT_ASSERT(sb);
	/* A 4 KiB-block, one-group file system of 8 MiB with the ext4 defaults. */
	sb->s_magic = EXT2_SUPER_MAGIC;
	sb->s_rev_level = 1;
	sb->s_log_block_size = 2;
	sb->s_blocks_count = 2048;
	sb->s_blocks_per_group = 32768;
	sb->s_inodes_count = 2048;
	sb->s_inodes_per_group = 2048;
	sb->s_inode_size = 256;
	sb->s_first_ino = 11;
	sb->s_desc_size = 64;
	sb->s_checksum_type = 1;
	sb->s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_EXTENTS |
				 EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_FLEX_BG;
	sb->s_feature_ro_compat = EXT4_FEATURE_RO_COMPAT_METADATA_CSUM | EXT4_FEATURE_RO_COMPAT_DIR_NLINK;
	for (int i = 0; i < 16; i++)
		sb->s_uuid[i] = (uint8_t)(i * 17);
	struct ext2_geom g;
	int unstamped = ext2_check_super(sb, 8u << 20, &g);
	sb->s_checksum = ext4_sb_csum(sb);
	int stamped = ext2_check_super(sb, 8u << 20, &g);
	struct ext2_geom good = g;
	uint32_t seed = crc32c_update(~0u, sb->s_uuid, 16);
	sb->s_volume_name[0] ^= 1;
	int damaged = ext2_check_super(sb, 8u << 20, &g);
	kfree(sb);
	KT_ASSERT_EQ(unstamped, -EBADMSG);
	KT_ASSERT_EQ(stamped, 0);
	KT_ASSERT(good.csum && good.extents && good.dir_nlink && !good.read_only);
	KT_ASSERT_EQ(good.desc_size, 64);
	KT_ASSERT_EQ(good.csum_seed, seed);
	KT_ASSERT_EQ(damaged, -EBADMSG);
}
