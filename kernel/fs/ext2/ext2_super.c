/*
 * ext2 mounting and unmounting (superblock and group descriptors validated before anything
 * trusts them), the in-memory inode cache, and inodes read from and written to their tables.
 */
#include "fs/ext2/ext2.h"
#include "fs/ext2/ext2_fs.h"

#include "console/console.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page_cache.h"
#include "mm/slab.h"
#include "time/clock.h"

#define EXT2_VALID_FS 0x0001

static struct mutex mounted_lock = MUTEX_INIT;
static struct ext2_fs *mounted;

uint32_t ext2_now(void)
{
	return (uint32_t)(clock_realtime_ns() / 1000000000u);
}

static void evict(struct inode *inode);
static int ext2_remount(struct super_block *sb, bool rdonly);
static const struct super_ops ext2_sops = { .evict_inode = evict, .remount = ext2_remount };

/* ---- inodes ---- */

static unsigned ihash(uint32_t ino)
{
	return ino % EXT2_ICACHE;
}

/* Where inode ino lives: its block and the byte offset inside. */
static int inode_location(struct ext2_fs *fs, uint32_t ino, uint32_t *block, uint32_t *off)
{
	if (ino < 1 || ino > fs->g.inodes_count)
		return -EIO;
	uint32_t group = (ino - 1) / fs->g.inodes_per_group;
	uint32_t index = (ino - 1) % fs->g.inodes_per_group;
	if (group >= fs->g.groups)
		return -EIO;
	uint64_t byte = (uint64_t)index * fs->g.inode_size;
	*block = fs->gdt[group].bg_inode_table + (uint32_t)(byte / fs->g.block_size);
	*off = (uint32_t)(byte % fs->g.block_size);
	return 0;
}

static uint32_t dev_of(const struct ext2_inode *raw)
{
	/* Old encoding in i_block[0] (8-bit major/minor), new in i_block[1]. */
	if (raw->i_block[0]) {
		uint32_t d = raw->i_block[0];
		return MKDEV((d >> 8) & 0xff, d & 0xff);
	}
	uint32_t d = raw->i_block[1];
	return MKDEV((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
}

/* The VFS inode's fields from the raw inode. */
static void fill_vfs_inode(struct ext2_fs *fs, struct inode *inode)
{
	const struct ext2_inode *raw = &EXT2_I(inode)->raw;
	inode->mode = raw->i_mode;
	inode->uid = raw->i_uid | (uint32_t)raw->i_uid_high << 16;
	inode->gid = raw->i_gid | (uint32_t)raw->i_gid_high << 16;
	inode->nlink = raw->i_links_count;
	inode->size = raw->i_size;
	if (S_ISREG(inode->mode))
		inode->size |= (uint64_t)raw->i_size_high << 32;
	inode->atime = (struct timespec64){ raw->i_atime, 0 };
	inode->mtime = (struct timespec64){ raw->i_mtime, 0 };
	inode->ctime = (struct timespec64){ raw->i_ctime, 0 };
	if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
		inode->rdev = dev_of(raw);
	(void)fs;
}

void ext2_set_ops(struct inode *inode)
{
	switch (inode->mode & S_IFMT) {
	case S_IFDIR:
		inode->iop = &ext2_dir_iops;
		inode->fop = &ext2_dir_fops;
		break;
	case S_IFREG:
		inode->iop = &ext2_file_iops;
		inode->fop = &ext2_file_fops;
		break;
	case S_IFLNK:
		inode->iop = &ext2_link_iops;
		inode->fop = NULL;
		break;
	default:
		inode->iop = &ext2_special_iops;
		inode->fop = NULL;
	}
}

struct inode *ext2_iget_locked(struct ext2_fs *fs, uint32_t ino)
{
	for (struct inode *i = fs->icache[ihash(ino)]; i; i = EXT2_I(i)->hash_next) {
		/* One being evicted (no references left) is not reused: evict drops it. */
		if (i->ino == ino && __atomic_load_n(&i->refcount, __ATOMIC_ACQUIRE) > 0)
			return inode_get(i);
	}
	uint32_t block, off;
	if (inode_location(fs, ino, &block, &off) < 0)
		return ERR_PTR(-EIO);
	struct buf *b = bread(fs->bdev, block, fs->g.block_size);
	if (IS_ERR(b))
		return (struct inode *)b;
	struct ext2_inode_info *ei = kzalloc(sizeof(*ei));
	struct inode *inode = ei ? inode_alloc(fs->vsb) : NULL;
	if (!inode) {
		brelse(b);
		kfree(ei);
		return ERR_PTR(-ENOMEM);
	}
	const uint8_t *slot = (const uint8_t *)b->data + off;
	memcpy(&ei->raw, slot, sizeof(ei->raw));
	inode->ino = ino;
	inode->private = ei;
	fill_vfs_inode(fs, inode);
	ext4_read_extra(fs, inode, slot);
	ext2_inode_seed(fs, inode);
	bool csum_bad = fs->g.csum && !ext4_inode_csum_ok(fs->g.csum_seed, ino, slot, fs->g.inode_size);
	brelse(b);
	if (csum_bad) {
		pr_warn("ext4: %s: inode %u: checksum mismatch\n", fs->bdev->dev.name, ino);
		inode->nlink = 0; /* refused below, as EIO */
	}
	/* A directory entry naming a free inode, or a type we cannot tell: a corrupt disk. */
	uint32_t type = inode->mode & S_IFMT;
	bool known = type == S_IFDIR || type == S_IFREG || type == S_IFLNK || type == S_IFCHR ||
		     type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK;
	if (!inode->nlink || !known) {
		kfree(ei);
		inode->private = NULL;
		inode->sb = NULL; /* freed plainly by inode_put, without evict */
		inode_put(inode);
		return ERR_PTR(-EIO);
	}
	ext2_set_ops(inode);
	ei->hash_next = fs->icache[ihash(ino)];
	fs->icache[ihash(ino)] = inode;
	return inode;
}

int ext2_write_inode_locked(struct ext2_fs *fs, struct inode *inode)
{
	if (fs->ro)
		return -EROFS;
	struct ext2_inode *raw = &EXT2_I(inode)->raw;
	raw->i_mode = (uint16_t)inode->mode;
	raw->i_uid = (uint16_t)inode->uid;
	raw->i_uid_high = (uint16_t)(inode->uid >> 16);
	raw->i_gid = (uint16_t)inode->gid;
	raw->i_gid_high = (uint16_t)(inode->gid >> 16);
	raw->i_links_count = (uint16_t)inode->nlink;
	raw->i_size = (uint32_t)inode->size;
	if (S_ISREG(inode->mode))
		raw->i_size_high = (uint32_t)(inode->size >> 32);
	raw->i_atime = (uint32_t)inode->atime.sec;
	raw->i_mtime = (uint32_t)inode->mtime.sec;
	raw->i_ctime = (uint32_t)inode->ctime.sec;
	uint32_t block, off;
	int err = inode_location(fs, (uint32_t)inode->ino, &block, &off);
	if (err)
		return err;
	struct buf *b = bread(fs->bdev, block, fs->g.block_size);
	if (IS_ERR(b))
		return PTR_ERR(b);
	uint8_t *slot = (uint8_t *)b->data + off;
	memcpy(slot, raw, sizeof(*raw));
	ext4_write_extra(fs, inode, slot);
	if (fs->g.csum)
		ext4_inode_csum_set(fs->g.csum_seed, (uint32_t)inode->ino, slot, fs->g.inode_size);
	bdirty(b);
	brelse(b);
	return 0;
}

int ext2_clear_inode_slot_locked(struct ext2_fs *fs, uint32_t ino)
{
	uint32_t block, off;
	int err = inode_location(fs, ino, &block, &off);
	if (err)
		return err;
	struct buf *b = bread(fs->bdev, block, fs->g.block_size);
	if (IS_ERR(b))
		return PTR_ERR(b);
	memset((uint8_t *)b->data + off, 0, fs->g.inode_size);
	bdirty(b);
	brelse(b);
	return 0;
}

static void evict(struct inode *inode)
{
	struct ext2_fs *fs = EXT2_FS(inode->sb);
	ext2_drop_pcache(inode); /* before fs->lock: write-back takes it */
	mutex_lock(&fs->lock);
	struct inode **pp = &fs->icache[ihash((uint32_t)inode->ino)];
	while (*pp && *pp != inode)
		pp = &EXT2_I(*pp)->hash_next;
	if (*pp)
		*pp = EXT2_I(inode)->hash_next;
	/* The last reference to an unlinked inode: its blocks and the inode itself go. */
	if (inode->nlink == 0 && !fs->ro) {
		bool dir = S_ISDIR(inode->mode);
		bool fast_link = S_ISLNK(inode->mode) && EXT2_I(inode)->raw.i_blocks == 0;
		if (!fast_link && (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISLNK(inode->mode)))
			ext2_truncate_blocks_locked(fs, inode, 0);
		inode->size = 0;
		EXT2_I(inode)->raw.i_dtime = ext2_now();
		ext2_write_inode_locked(fs, inode);
		ext2_free_inode_locked(fs, (uint32_t)inode->ino, dir);
		ext2_write_super_locked(fs);
	}
	mutex_unlock(&fs->lock);
	kfree(inode->private);
	kfree(inode);
}

/* ---- superblock ---- */

int ext2_write_super_locked(struct ext2_fs *fs)
{
	if (fs->ro)
		return 0;
	fs->vsb->blocks_free = fs->sb.s_free_blocks_count;
	fs->vsb->files_free = fs->sb.s_free_inodes_count;
	if (fs->g.csum)
		fs->sb.s_checksum = ext4_sb_csum(&fs->sb);
	struct buf *b = bread(fs->bdev, 1, 1024); /* bytes 1024..2047 */
	if (IS_ERR(b))
		return PTR_ERR(b);
	memcpy(b->data, &fs->sb, sizeof(fs->sb));
	bdirty(b);
	brelse(b);
	uint32_t ds = fs->g.desc_size, per = fs->g.block_size / ds;
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		struct buf *gb = bread(fs->bdev, fs->g.gdt_block + i, fs->g.block_size);
		if (IS_ERR(gb))
			return PTR_ERR(gb);
		uint32_t n = MIN(per, fs->g.groups - i * per);
		for (uint32_t j = 0; j < n; j++) {
			uint32_t group = i * per + j;
			struct ext2_group_desc *gd = &fs->gdt[group];
			/* Bytes past the 64 we know (desc_size > 64) stay as they are on disk. */
			uint8_t *dst = (uint8_t *)gb->data + (size_t)j * ds;
			memcpy(dst, gd, MIN(ds, (uint32_t)sizeof(*gd)));
			if (fs->g.csum) {
				uint16_t c = ext4_gd_csum(fs->g.csum_seed, group, dst, ds);
				gd->bg_checksum = c;
				memcpy(dst + __builtin_offsetof(struct ext2_group_desc, bg_checksum), &c, 2);
			}
		}
		bdirty(gb);
		brelse(gb);
	}
	return 0;
}

static int load_groups(struct ext2_fs *fs)
{
	uint32_t ds = fs->g.desc_size, per = fs->g.block_size / ds;
	fs->gdt_blocks = (fs->g.groups + per - 1) / per;
	fs->gdt = kzalloc((size_t)fs->g.groups * sizeof(struct ext2_group_desc));
	if (!fs->gdt)
		return -ENOMEM;
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		struct buf *b = bread(fs->bdev, fs->g.gdt_block + i, fs->g.block_size);
		if (IS_ERR(b))
			return PTR_ERR(b);
		uint32_t n = MIN(per, fs->g.groups - i * per);
		for (uint32_t j = 0; j < n; j++) {
			uint32_t group = i * per + j;
			const uint8_t *src = (const uint8_t *)b->data + (size_t)j * ds;
			if (fs->g.csum && ext4_gd_csum(fs->g.csum_seed, group, src, ds) !=
					  ((const struct ext2_group_desc *)src)->bg_checksum) {
				pr_warn("ext4: %s: group %u: descriptor checksum mismatch\n", fs->bdev->dev.name, group);
				brelse(b);
				return -EBADMSG;
			}
			memcpy(&fs->gdt[group], src, MIN(ds, (uint32_t)sizeof(struct ext2_group_desc)));
		}
		brelse(b);
	}
	for (uint32_t i = 0; i < fs->g.groups; i++)
		if (ext2_check_group(&fs->g, &fs->gdt[i]) < 0)
			return -EINVAL;
	return 0;
}

static void free_fs(struct ext2_fs *fs)
{
	if (!fs)
		return;
	kfree(fs->gdt);
	kfree(fs);
}

static int ext2_mount(struct fs_type *type, const char *dev, const void *data, struct super_block **out)
{
	(void)data;
	struct block_device *bdev;
	int err = blk_lookup_path(dev, &bdev);
	if (err)
		return err;
	mutex_lock(&mounted_lock);
	for (struct ext2_fs *m = mounted; m; m = m->next) {
		if (m->bdev == bdev) {
			mutex_unlock(&mounted_lock);
			blk_put(bdev);
			return -EBUSY;
		}
	}
	mutex_unlock(&mounted_lock);

	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	struct super_block *sb = kzalloc(sizeof(*sb));
	if (!fs || !sb) {
		err = -ENOMEM;
		goto fail;
	}
	fs->bdev = bdev;
	fs->vsb = sb;
	mutex_init(&fs->lock);
	struct buf *b = bread(bdev, 1, 1024);
	if (IS_ERR(b)) {
		err = PTR_ERR(b);
		goto fail;
	}
	memcpy(&fs->sb, b->data, sizeof(fs->sb));
	brelse(b);
	err = ext2_check_super(&fs->sb, bdev->nr_sectors * SECTOR_SIZE, &fs->g);
	if (err) {
		const char *why = "not a valid ext2/3/4 file system";
		if (err == -EBADMSG)
			why = "superblock checksum mismatch";
		else if (err == -ENOTSUP && fs->sb.s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER)
			why = "the journal needs recovery, which Ferrite cannot do (run e2fsck)";
		else if (err == -ENOTSUP)
			why = "unsupported incompatible features";
		pr_warn("%s: %s: %s (incompat %#x)\n", type->name, bdev->dev.name, why, fs->sb.s_feature_incompat);
		err = err == -EBADMSG ? -EINVAL : err;
		goto fail;
	}
	fs->ro = fs->g.read_only || bdev->read_only;
	if (fs->g.read_only)
		pr_warn("%s: %s: unsupported read-only-compatible features %#x: mounting read-only\n", type->name,
			bdev->dev.name, fs->sb.s_feature_ro_compat & ~(uint32_t)EXT2_RO_COMPAT_SUPPORTED);
	if (!fs->ro && fs->sb.s_last_orphan) {
		/* Orphans to finish deleting: e2fsck's job; writing could leak or double-free. */
		pr_warn("%s: %s: orphan inodes pending: mounting read-only\n", type->name, bdev->dev.name);
		fs->ro = true;
	}
	err = load_groups(fs);
	if (err) {
		pr_warn("%s: %s: corrupt group descriptors\n", type->name, bdev->dev.name);
		err = -EINVAL;
		goto fail;
	}
	sb->type = type;
	sb->sop = &ext2_sops;
	sb->private = fs;
	sb->dev = bdev->dev.devt;
	sb->magic = EXT2_SUPER_MAGIC;
	sb->block_size = fs->g.block_size;
	sb->blocks = fs->g.blocks_count;
	sb->blocks_free = fs->sb.s_free_blocks_count;
	sb->files = fs->g.inodes_count;
	sb->files_free = fs->sb.s_free_inodes_count;
	mutex_lock(&fs->lock);
	struct inode *root = ext2_iget_locked(fs, EXT2_ROOT_INO);
	if (!IS_ERR(root) && !fs->ro) {
		/* Not cleanly unmounted until umount says so (e2fsck checks such a disk). */
		fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
		fs->sb.s_mnt_count++;
		fs->sb.s_mtime = ext2_now();
		ext2_write_super_locked(fs);
	}
	mutex_unlock(&fs->lock);
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		goto fail;
	}
	if (!S_ISDIR(root->mode)) {
		inode_put(root);
		err = -EINVAL;
		goto fail;
	}
	sb->root = d_make_root(root);
	if (!sb->root) {
		err = -ENOMEM;
		goto fail;
	}
	bsync(bdev);
	mutex_lock(&mounted_lock);
	fs->next = mounted;
	mounted = fs;
	mutex_unlock(&mounted_lock);
	pr_info("%s: %s: %u blocks of %u bytes, %u inodes, %u groups%s\n", type->name, bdev->dev.name,
		fs->g.blocks_count, fs->g.block_size, fs->g.inodes_count, fs->g.groups, fs->ro ? ", read-only" : "");
	*out = sb;
	return 0;
fail:
	free_fs(fs);
	kfree(sb);
	binvalidate(bdev);
	blk_put(bdev);
	return err;
}

/*
 * Read-only: cached file pages are written back and the superblock marked clean (as umount
 * does), so that the disk is consistent while mounted ro. Read-write again: marked in use.
 * FIXME: Linux refuses (EBUSY) while files are open for writing; here their writes fail.
 */
static int ext2_remount(struct super_block *sb, bool rdonly)
{
	struct ext2_fs *fs = EXT2_FS(sb);
	if (rdonly == fs->ro)
		return 0;
	if (!rdonly && (fs->g.read_only || fs->bdev->read_only))
		return -EROFS;
	int err = rdonly ? pcache_sync_sb(sb) : 0;
	mutex_lock(&fs->lock);
	if (rdonly) {
		fs->sb.s_state |= EXT2_VALID_FS;
		fs->sb.s_wtime = ext2_now();
		ext2_write_super_locked(fs);
		fs->ro = true;
	} else {
		fs->ro = false;
		fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
		fs->sb.s_mtime = ext2_now();
		ext2_write_super_locked(fs);
	}
	mutex_unlock(&fs->lock);
	int serr = bsync(fs->bdev);
	return err ? err : serr;
}

static void ext2_kill_sb(struct super_block *sb)
{
	struct ext2_fs *fs = EXT2_FS(sb);
	dentry_put(sb->root);
	mutex_lock(&fs->lock);
	if (!fs->ro) {
		fs->sb.s_state |= EXT2_VALID_FS;
		fs->sb.s_wtime = ext2_now();
		ext2_write_super_locked(fs);
	}
	mutex_unlock(&fs->lock);
	int err = bsync(fs->bdev);
	if (err)
		pr_warn("ext2: %s: write-back at unmount failed (%d)\n", fs->bdev->dev.name, err);
	binvalidate(fs->bdev);
	mutex_lock(&mounted_lock);
	struct ext2_fs **pp = &mounted;
	while (*pp && *pp != fs)
		pp = &(*pp)->next;
	if (*pp)
		*pp = fs->next;
	mutex_unlock(&mounted_lock);
	blk_put(fs->bdev); /* the mount's reference: an unplugged disk is freed here */
	free_fs(fs);
	kfree(sb);
}

/* One driver, three names (as Linux's ext4 driver also mounts ext2 and ext3): the features
 * decide what is done, the name only what /proc/mounts says. */
static struct fs_type ext2_types[] = {
	{ .name = "ext2", .flags = FS_REQUIRES_DEV, .mount = ext2_mount, .kill_sb = ext2_kill_sb },
	{ .name = "ext3", .flags = FS_REQUIRES_DEV, .mount = ext2_mount, .kill_sb = ext2_kill_sb },
	{ .name = "ext4", .flags = FS_REQUIRES_DEV, .mount = ext2_mount, .kill_sb = ext2_kill_sb },
};

void ext2_init(void)
{
	for (size_t i = 0; i < sizeof(ext2_types) / sizeof(ext2_types[0]); i++) {
		int err = vfs_register_fs(&ext2_types[i]);
		if (err)
			pr_err("%s: registration failed (%d)\n", ext2_types[i].name, err);
	}
}
