/*
 * FAT mounting and unmounting (the boot sector validated before anything trusts it; the free
 * count taken from the FAT itself, FSInfo only written back as a hint), mount options
 * (uid=, gid=, umask=, fmask=, dmask=, as Linux's vfat), the buffer helpers, and in-memory
 * inodes made from directory entries.
 */
#include "fs/fat/fat.h"
#include "fs/fat/fat_fs.h"

#include "console/console.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

static struct mutex mounted_lock = MUTEX_INIT;
static struct fat_fs *mounted;

static void fat_evict(struct inode *inode);
static const struct super_ops fat_sops = { .evict_inode = fat_evict };

struct buf *fat_buf_at(struct fat_fs *fs, uint64_t byte, uint32_t *off)
{
	uint64_t data = (uint64_t)fs->g.data_start * fs->g.bps;
	uint32_t bs = byte >= data ? fs->data_bs : fs->g.bps;
	*off = (uint32_t)(byte % bs);
	return bread(fs->bdev, byte / bs, bs);
}

uint64_t fat_cluster_byte(struct fat_fs *fs, uint32_t clus)
{
	return ((uint64_t)fs->g.data_start + (uint64_t)(clus - 2) * fs->g.spc) * fs->g.bps;
}

/* ---- inodes ---- */

static unsigned ihash(uint64_t de_pos)
{
	return (unsigned)((de_pos / FAT_DIRENT_SIZE) % FAT_ICACHE);
}

struct inode *fat_ifind_locked(struct fat_fs *fs, uint64_t de_pos)
{
	/* A removed file still open keeps its old position until evicted; a new entry may reuse
	 * the slot, so it is never the answer (nlink 0). */
	for (struct inode *i = fs->icache[ihash(de_pos)]; i; i = FAT_I(i)->hash_next)
		if (FAT_I(i)->de_pos == de_pos && i->nlink && __atomic_load_n(&i->refcount, __ATOMIC_ACQUIRE) > 0)
			return inode_get(i);
	return NULL;
}

static void unhash(struct fat_fs *fs, struct inode *inode)
{
	struct inode **pp = &fs->icache[ihash(FAT_I(inode)->de_pos)];
	while (*pp && *pp != inode)
		pp = &FAT_I(*pp)->hash_next;
	if (*pp)
		*pp = FAT_I(inode)->hash_next;
}

void fat_rehash_locked(struct fat_fs *fs, struct inode *inode, uint64_t de_pos)
{
	unhash(fs, inode);
	FAT_I(inode)->de_pos = de_pos;
	/* The number follows the entry: a new entry in the old slot must not share it (tools take
	 * equal numbers for one file), and getdents reports the same number. */
	inode->ino = de_pos / FAT_DIRENT_SIZE + 2;
	FAT_I(inode)->hash_next = fs->icache[ihash(de_pos)];
	fs->icache[ihash(de_pos)] = inode;
}

static uint32_t mode_of(struct fat_fs *fs, uint8_t attr)
{
	uint32_t mode = (attr & FAT_ATTR_DIR) ? S_IFDIR | (0777 & ~fs->dmask) : S_IFREG | (0777 & ~fs->fmask);
	if (attr & FAT_ATTR_RO)
		mode &= ~0222u; /* the read-only attribute, as Linux shows it */
	return mode;
}

struct inode *fat_iget_locked(struct fat_fs *fs, uint64_t de_pos, const struct fat_dirent *d)
{
	struct inode *inode = de_pos ? fat_ifind_locked(fs, de_pos) : NULL;
	if (inode)
		return inode;
	struct fat_inode *fi = kzalloc(sizeof(*fi));
	inode = fi ? inode_alloc(fs->vsb) : NULL;
	if (!inode) {
		kfree(fi);
		return ERR_PTR(-ENOMEM);
	}
	inode->private = fi;
	fi->de_pos = de_pos;
	inode->uid = fs->uid;
	inode->gid = fs->gid;
	if (!de_pos) {
		/* The root: no entry of its own. */
		fi->attr = FAT_ATTR_DIR;
		fi->start = fs->g.bits == 32 ? fs->g.root_cluster : 0;
		inode->ino = 1;
		inode->mtime = (struct timespec64){ fat_time_to_unix(0x21, 0), 0 };
	} else {
		fi->attr = d->attr;
		fi->start = d->cluster;
		inode->ino = de_pos / FAT_DIRENT_SIZE + 2;
		inode->size = d->size;
		inode->mtime = (struct timespec64){ fat_time_to_unix(d->mdate, d->mtime), 0 };
	}
	inode->atime = inode->ctime = inode->mtime;
	inode->mode = mode_of(fs, fi->attr);
	inode->nlink = 1;
	int err = 0;
	if (fi->start && (fi->start < 2 || fi->start > fs->g.clusters + 1))
		err = -EIO;
	if (!err && S_ISDIR(inode->mode)) {
		inode->iop = &fat_dir_iops;
		inode->fop = &fat_dir_fops;
		uint32_t len = 0, subdirs = 0;
		if (fi->start) {
			err = fat_chain_len_locked(fs, inode, FAT_DIR_MAX_BYTES / fs->g.cluster_size + 1, &len);
			inode->size = (uint64_t)len * fs->g.cluster_size;
		} else if (de_pos) {
			err = -EIO; /* a directory other than the FAT12/16 root needs a cluster */
		} else {
			inode->size = (uint64_t)fs->g.root_entries * FAT_DIRENT_SIZE;
		}
		if (!err)
			err = fat_count_subdirs_locked(fs, inode, &subdirs);
		inode->nlink = 2 + subdirs;
	} else if (!err) {
		inode->iop = &fat_file_iops;
		inode->fop = &fat_file_fops;
		if (d->size && !fi->start)
			err = -EIO;
	}
	if (err) {
		kfree(fi);
		inode->private = NULL;
		inode->sb = NULL; /* freed plainly by inode_put, without evict */
		inode_put(inode);
		return ERR_PTR(err);
	}
	fi->hash_next = fs->icache[ihash(de_pos)];
	fs->icache[ihash(de_pos)] = inode;
	return inode;
}

int fat_write_inode_locked(struct fat_fs *fs, struct inode *inode)
{
	struct fat_inode *fi = FAT_I(inode);
	if (fs->ro)
		return -EROFS;
	if (!fi->de_pos || inode->nlink == 0)
		return 0;
	uint32_t off;
	struct buf *b = fat_buf_at(fs, fi->de_pos, &off);
	if (IS_ERR(b))
		return PTR_ERR(b);
	uint8_t *de = (uint8_t *)b->data + off;
	fi->attr = (uint8_t)((fi->attr & ~FAT_ATTR_RO) | ((inode->mode & 0222) ? 0 : FAT_ATTR_RO));
	de[11] = fi->attr;
	fat_de_set_cluster(de, fi->start);
	fat_put32(de + 28, S_ISDIR(inode->mode) ? 0 : (uint32_t)inode->size);
	uint16_t date, time;
	fat_time_from_unix(inode->mtime.sec, &date, &time);
	fat_put16(de + 22, time);
	fat_put16(de + 24, date);
	fat_time_from_unix(inode->atime.sec, &date, &time);
	fat_put16(de + 18, date);
	bdirty(b);
	brelse(b);
	return 0;
}

static void fat_evict(struct inode *inode)
{
	struct fat_fs *fs = FAT_FS(inode->sb);
	mutex_lock(&fs->lock);
	unhash(fs, inode);
	/* The last reference to a removed file: its clusters go now (it could be read until). */
	if (inode->nlink == 0 && !fs->ro && FAT_I(inode)->start)
		fat_free_chain_locked(fs, FAT_I(inode)->start);
	mutex_unlock(&fs->lock);
	kfree(inode->private);
	kfree(inode);
}

/* ---- mounting ---- */

static bool parse_num(const char *s, size_t len, unsigned base, uint32_t *out)
{
	uint64_t v = 0;
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] >= (char)('0' + base))
			return false;
		v = v * base + (uint64_t)(s[i] - '0');
		if (v > 0xffffffffu)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* uid=, gid=, umask=, fmask=, dmask= (octal masks); other options are ignored. */
static int parse_options(struct fat_fs *fs, const char *data)
{
	fs->fmask = fs->dmask = 022;
	if (!data)
		return 0;
	while (*data) {
		const char *end = strchr(data, ',');
		size_t len = end ? (size_t)(end - data) : strlen(data);
		const char *eq = memchr(data, '=', len);
		if (eq) {
			size_t klen = (size_t)(eq - data), vlen = len - klen - 1;
			const char *v = eq + 1;
			uint32_t n;
			bool ok = true;
			if (klen == 3 && !memcmp(data, "uid", 3))
				ok = parse_num(v, vlen, 10, &fs->uid);
			else if (klen == 3 && !memcmp(data, "gid", 3))
				ok = parse_num(v, vlen, 10, &fs->gid);
			else if (klen == 5 && !memcmp(data, "umask", 5) && (ok = parse_num(v, vlen, 8, &n)))
				fs->fmask = fs->dmask = n & 0777;
			else if (klen == 5 && !memcmp(data, "fmask", 5) && (ok = parse_num(v, vlen, 8, &n)))
				fs->fmask = n & 0777;
			else if (klen == 5 && !memcmp(data, "dmask", 5) && (ok = parse_num(v, vlen, 8, &n)))
				fs->dmask = n & 0777;
			if (!ok)
				return -EINVAL;
		}
		data += len;
		if (*data == ',')
			data++;
	}
	return 0;
}

/* FSInfo's free-cluster count and next-free hint (FAT32), written at unmount. */
static void write_fsinfo_locked(struct fat_fs *fs)
{
	if (fs->ro || !fs->g.fsinfo_sector)
		return;
	uint32_t off;
	struct buf *b = fat_buf_at(fs, (uint64_t)fs->g.fsinfo_sector * fs->g.bps, &off);
	if (IS_ERR(b))
		return;
	uint8_t *p = (uint8_t *)b->data + off;
	if (fat_le32(p) == 0x41615252 && fat_le32(p + 484) == 0x61417272) {
		fat_put32(p + 488, fs->free_count);
		fat_put32(p + 492, fs->next_free);
		bdirty(b);
	}
	brelse(b);
}

/*
 * The boot sector's "dirty" state bit (BS_Reserved1 bit 0, as Linux and fsck.fat use it): set
 * while mounted read-write, so that a crash shows in fsck; cleared at umount unless the volume
 * came to us unclean.
 */
static void set_dirty_locked(struct fat_fs *fs, bool dirty)
{
	if (fs->ro || fs->was_dirty)
		return;
	uint32_t off;
	struct buf *b = fat_buf_at(fs, fs->g.bits == 32 ? 65 : 37, &off);
	if (IS_ERR(b))
		return;
	uint8_t *p = (uint8_t *)b->data + off;
	*p = (uint8_t)(dirty ? *p | 1 : *p & ~1);
	bdirty(b);
	brelse(b);
}

static void free_fs(struct fat_fs *fs)
{
	kfree(fs);
}

static int fat_mount(struct fs_type *type, const char *dev, const void *data, struct super_block **out)
{
	struct block_device *bdev;
	int err = blk_lookup_path(dev, &bdev);
	if (err)
		return err;
	mutex_lock(&mounted_lock);
	for (struct fat_fs *m = mounted; m; m = m->next) {
		if (m->bdev == bdev) {
			mutex_unlock(&mounted_lock);
			blk_put(bdev);
			return -EBUSY;
		}
	}
	mutex_unlock(&mounted_lock);

	struct fat_fs *fs = kzalloc(sizeof(*fs));
	struct super_block *sb = kzalloc(sizeof(*sb));
	if (!fs || !sb) {
		err = -ENOMEM;
		goto fail;
	}
	fs->bdev = bdev;
	fs->vsb = sb;
	mutex_init(&fs->lock);
	err = parse_options(fs, data);
	if (err)
		goto fail;
	struct buf *b = bread(bdev, 0, SECTOR_SIZE);
	if (IS_ERR(b)) {
		err = PTR_ERR(b);
		goto fail;
	}
	err = fat_parse_bpb(b->data, bdev->nr_sectors * SECTOR_SIZE, &fs->g);
	if (err) {
		brelse(b);
		pr_warn("vfat: %s: not a valid FAT file system\n", bdev->dev.name);
		goto fail;
	}
	/* Data buffers: as big as a cluster allows (up to a page), aligned to the data area. */
	fs->data_bs = fs->g.bps;
	uint64_t data_byte = (uint64_t)fs->g.data_start * fs->g.bps;
	while (fs->data_bs < 4096 && fs->data_bs * 2 <= fs->g.cluster_size && data_byte % (fs->data_bs * 2) == 0)
		fs->data_bs *= 2;
	fs->ro = bdev->read_only;
	fs->was_dirty = ((uint8_t *)b->data)[fs->g.bits == 32 ? 65 : 37] & 1;
	brelse(b);
	if (fs->was_dirty)
		pr_warn("vfat: %s: volume was not properly unmounted; run fsck\n", bdev->dev.name);
	sb->type = type;
	sb->sop = &fat_sops;
	sb->private = fs;
	sb->dev = bdev->dev.devt;
	sb->magic = FAT_MSDOS_SUPER_MAGIC;
	sb->block_size = fs->g.cluster_size;
	sb->blocks = fs->g.clusters;
	mutex_lock(&fs->lock);
	err = fat_count_free_locked(fs);
	struct inode *root = err ? ERR_PTR(err) : fat_iget_locked(fs, 0, NULL);
	mutex_unlock(&fs->lock);
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		pr_warn("vfat: %s: cannot read the root directory (%d)\n", bdev->dev.name, err);
		goto fail;
	}
	sb->blocks_free = fs->free_count;
	mutex_lock(&fs->lock);
	set_dirty_locked(fs, true);
	mutex_unlock(&fs->lock);
	bsync(bdev);
	sb->root = d_make_root(root);
	if (!sb->root) {
		err = -ENOMEM;
		goto fail;
	}
	mutex_lock(&mounted_lock);
	fs->next = mounted;
	mounted = fs;
	mutex_unlock(&mounted_lock);
	pr_info("vfat: %s: FAT%u, %u clusters of %u bytes, %u free%s\n", bdev->dev.name, fs->g.bits,
		fs->g.clusters, fs->g.cluster_size, fs->free_count, fs->ro ? ", read-only" : "");
	*out = sb;
	return 0;
fail:
	free_fs(fs);
	kfree(sb);
	binvalidate(bdev);
	blk_put(bdev);
	return err;
}

static void fat_kill_sb(struct super_block *sb)
{
	struct fat_fs *fs = FAT_FS(sb);
	dentry_put(sb->root);
	mutex_lock(&fs->lock);
	write_fsinfo_locked(fs);
	set_dirty_locked(fs, false);
	mutex_unlock(&fs->lock);
	int err = bsync(fs->bdev);
	if (err)
		pr_warn("vfat: %s: write-back at unmount failed (%d)\n", fs->bdev->dev.name, err);
	binvalidate(fs->bdev);
	mutex_lock(&mounted_lock);
	struct fat_fs **pp = &mounted;
	while (*pp && *pp != fs)
		pp = &(*pp)->next;
	if (*pp)
		*pp = fs->next;
	mutex_unlock(&mounted_lock);
	blk_put(fs->bdev);
	free_fs(fs);
	kfree(sb);
}

static struct fs_type fat_type = {
	.name = "vfat",
	.flags = FS_REQUIRES_DEV,
	.mount = fat_mount,
	.kill_sb = fat_kill_sb,
};

void fat_init(void)
{
	int err = vfs_register_fs(&fat_type);
	if (err)
		pr_err("vfat: registration failed (%d)\n", err);
}
