/*
 * ext2 directories: linear lists of variable-length entries in the directory's blocks (an
 * entry never crosses a block), walked with ext2_dirent_at so a corrupt block gives -EIO.
 * Lookups, getdents, and the name-space operations (create, mkdir, mknod, symlink, link,
 * unlink, rmdir, rename). A hash-indexed (dir_index) directory reads fine linearly; changing
 * one clears its index flag, since its index is not kept up to date (e2fsck accepts that).
 * Under metadata_csum each leaf block ends with a 12-byte tail holding its checksum (verified
 * on every read, restamped on every change); de-indexing then also turns the htree's root and
 * interior blocks, which have no leaf tail, into ordinary empty leaf blocks with one.
 */
#include "fs/ext2/ext2.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/slab.h"

static uint8_t ftype_of(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EXT2_FT_REG_FILE;
	case S_IFDIR: return EXT2_FT_DIR;
	case S_IFCHR: return EXT2_FT_CHRDEV;
	case S_IFBLK: return EXT2_FT_BLKDEV;
	case S_IFIFO: return EXT2_FT_FIFO;
	case S_IFSOCK: return EXT2_FT_SOCK;
	case S_IFLNK: return EXT2_FT_SYMLINK;
	default: return EXT2_FT_UNKNOWN;
	}
}

static unsigned dtype_of(uint8_t ft)
{
	static const unsigned map[] = { DT_UNKNOWN, DT_REG, DT_DIR, DT_CHR, DT_BLK, DT_FIFO, DT_SOCK, DT_LNK };
	return ft < sizeof(map) / sizeof(map[0]) ? map[ft] : DT_UNKNOWN;
}

static uint64_t dir_blocks(struct ext2_fs *fs, struct inode *dir)
{
	return dir->size / fs->g.block_size;
}

/* Directory block i with a reference, its checksum checked when it has a leaf tail (blocks
 * without one are htree nodes, or from before metadata_csum: Linux reads those too); a hole in
 * a directory is corruption. */
static struct buf *dir_block(struct ext2_fs *fs, struct inode *dir, uint64_t i)
{
	int64_t blk = ext2_bmap_locked(fs, dir, i, false);
	if (blk <= 0)
		return ERR_PTR(blk < 0 ? (int)blk : -EIO);
	struct buf *b = bread(fs->bdev, (uint64_t)blk, fs->g.block_size);
	if (!IS_ERR(b) && fs->g.csum && ext4_dir_has_tail(b->data, fs->g.block_size) &&
	    !ext4_dir_csum_ok(EXT2_I(dir)->csum_seed, b->data, fs->g.block_size)) {
		brelse(b);
		return ERR_PTR(-EIO);
	}
	return b;
}

/* Bytes of a directory block that entries may use: all but the metadata_csum tail. */
static uint32_t dir_space(struct ext2_fs *fs)
{
	return fs->g.block_size - (fs->g.csum ? sizeof(struct ext4_dir_tail) : 0);
}

/* Where a name was found. */
struct dir_slot {
	struct buf *b;
	uint32_t off, prev_off; /* prev_off == off: first entry of the block */
	uint64_t block;
};

/* Finds name: 0 with *s (holding a buffer reference), -ENOENT, or -EIO. */
static int find_entry(struct ext2_fs *fs, struct inode *dir, const char *name, size_t len, struct dir_slot *s)
{
	uint32_t bs = fs->g.block_size;
	for (uint64_t i = 0; i < dir_blocks(fs, dir); i++) {
		struct buf *b = dir_block(fs, dir, i);
		if (IS_ERR(b))
			return PTR_ERR(b);
		uint32_t prev = 0;
		for (uint32_t off = 0; off < bs;) {
			const struct ext2_dirent *d;
			if (ext2_dirent_at(b->data, bs, off, &d) < 0) {
				brelse(b);
				return -EIO;
			}
			if (d->inode && d->name_len == len && memcmp(d->name, name, len) == 0) {
				*s = (struct dir_slot){ .b = b, .off = off, .prev_off = prev, .block = i };
				return 0;
			}
			prev = off;
			off += d->rec_len;
		}
		brelse(b);
	}
	return -ENOENT;
}

static struct inode *ext2_lookup(struct inode *dir, const char *name, size_t len)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	if (len > EXT2_NAME_LEN)
		return ERR_PTR(-ENAMETOOLONG);
	mutex_lock(&fs->lock);
	struct dir_slot s;
	int err = find_entry(fs, dir, name, len, &s);
	struct inode *inode = NULL;
	if (err == 0) {
		uint32_t ino = ((const struct ext2_dirent *)((uint8_t *)s.b->data + s.off))->inode;
		brelse(s.b);
		inode = ext2_iget_locked(fs, ino);
	} else if (err != -ENOENT) {
		inode = ERR_PTR(err);
	}
	mutex_unlock(&fs->lock);
	return inode;
}

/* getdents: f->pos is the byte offset of the next entry in the directory. */
static int ext2_readdir(struct file *f, filldir_t fill, void *ctx)
{
	struct inode *dir = f->inode;
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	uint32_t bs = fs->g.block_size;
	bool filetype = fs->sb.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	mutex_lock(&fs->lock);
	int err = 0;
	for (uint64_t i = f->pos / bs; i < dir_blocks(fs, dir) && !err; i++) {
		struct buf *b = dir_block(fs, dir, i);
		if (IS_ERR(b)) {
			err = PTR_ERR(b);
			break;
		}
		bool stop = false;
		for (uint32_t off = 0; off < bs && !stop;) {
			const struct ext2_dirent *d;
			if (ext2_dirent_at(b->data, bs, off, &d) < 0) {
				err = -EIO;
				break;
			}
			uint64_t here = i * bs + off, next = here + d->rec_len;
			if (d->inode && here >= f->pos) {
				/* fill writes a kernel buffer (the system call copies out later), so
				 * the lock may stay held. */
				unsigned type = filetype ? dtype_of(d->file_type) : DT_UNKNOWN;
				if (fill(ctx, d->name, d->name_len, d->inode, type, next)) {
					stop = true;
					break;
				}
			}
			if (here >= f->pos)
				f->pos = next;
			off += d->rec_len;
		}
		brelse(b);
		if (stop)
			break;
	}
	mutex_unlock(&fs->lock);
	return err;
}

/* ---- changing directories (lock held) ---- */

/*
 * Before an indexed directory changes: its index would go stale, so it stops being one. Under
 * metadata_csum the htree root ("." and a ".." spanning the rest of the block) and interior
 * nodes (one empty entry spanning the block) become empty leaf blocks with a tail, which
 * e2fsck then accepts as a linear directory.
 */
static int deindex(struct ext2_fs *fs, struct inode *dir)
{
	if (!(EXT2_I(dir)->raw.i_flags & EXT2_INDEX_FL))
		return 0;
	uint32_t bs = fs->g.block_size, room = dir_space(fs);
	for (uint64_t i = 0; fs->g.csum && i < dir_blocks(fs, dir); i++) {
		int64_t blk = ext2_bmap_locked(fs, dir, i, false);
		if (blk <= 0)
			return blk < 0 ? (int)blk : -EIO;
		struct buf *b = bread(fs->bdev, (uint64_t)blk, bs);
		if (IS_ERR(b))
			return PTR_ERR(b);
		uint8_t *p = b->data;
		struct ext2_dirent *d = (struct ext2_dirent *)p;
		bool changed = false;
		if (ext4_dir_has_tail(p, bs)) {
			/* a leaf already */
		} else if (i == 0 && d->rec_len == 12 && d->name_len == 1 &&
			   ((struct ext2_dirent *)(p + 12))->rec_len == bs - 12) {
			struct ext2_dirent *dd = (struct ext2_dirent *)(p + 12);
			memset(p + 12 + EXT2_DIRENT_LEN(2), 0, bs - 12 - EXT2_DIRENT_LEN(2));
			dd->rec_len = (uint16_t)(room - 12);
			changed = true;
		} else if (d->inode == 0 && d->rec_len == bs) {
			memset(p, 0, bs);
			d->rec_len = (uint16_t)room;
			changed = true;
		}
		if (changed) {
			ext4_dir_init_tail(p, bs);
			ext2_dirty_dir_block(fs, dir, b);
		}
		brelse(b);
	}
	EXT2_I(dir)->raw.i_flags &= ~(uint32_t)EXT2_INDEX_FL;
	return ext2_write_inode_locked(fs, dir);
}

static void dir_changed(struct ext2_fs *fs, struct inode *dir)
{
	dir->mtime = dir->ctime = vfs_now();
	EXT2_I(dir)->raw.i_flags &= ~(uint32_t)EXT2_INDEX_FL;
	ext2_write_inode_locked(fs, dir);
}

static int add_entry(struct ext2_fs *fs, struct inode *dir, const char *name, size_t len, uint32_t ino,
		     uint32_t mode)
{
	uint32_t bs = fs->g.block_size, need = EXT2_DIRENT_LEN(len), room = dir_space(fs);
	bool filetype = fs->sb.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	int err = deindex(fs, dir);
	if (err)
		return err;
	uint64_t nblocks = dir_blocks(fs, dir);
	for (uint64_t i = 0; i <= nblocks; i++) {
		struct buf *b;
		if (i == nblocks) {
			/* No room: a new block holding one empty entry that spans it. */
			int64_t blk = ext2_bmap_locked(fs, dir, i, true);
			if (blk < 0)
				return (int)blk;
			b = bread(fs->bdev, (uint64_t)blk, bs);
			if (IS_ERR(b))
				return PTR_ERR(b);
			struct ext2_dirent *d = b->data;
			memset(d, 0, bs);
			d->rec_len = (uint16_t)room;
			if (fs->g.csum)
				ext4_dir_init_tail(b->data, bs);
			dir->size += bs;
		} else {
			b = dir_block(fs, dir, i);
			if (IS_ERR(b))
				return PTR_ERR(b);
		}
		/* A block without a tail (older than metadata_csum) is used whole. */
		uint32_t end = fs->g.csum && ext4_dir_has_tail(b->data, bs) ? room : bs;
		for (uint32_t off = 0; off < end;) {
			const struct ext2_dirent *cd;
			if (ext2_dirent_at(b->data, end, off, &cd) < 0) {
				brelse(b);
				return -EIO;
			}
			struct ext2_dirent *d = (struct ext2_dirent *)((uint8_t *)b->data + off);
			uint32_t used = d->inode ? EXT2_DIRENT_LEN(d->name_len) : 0;
			if (d->rec_len - used >= need) {
				if (used) {
					/* Split: the new entry takes the slack after this one. */
					struct ext2_dirent *n = (struct ext2_dirent *)((uint8_t *)d + used);
					n->rec_len = (uint16_t)(d->rec_len - used);
					d->rec_len = (uint16_t)used;
					d = n;
				}
				d->inode = ino;
				d->name_len = (uint8_t)len;
				d->file_type = filetype ? ftype_of(mode) : 0;
				memcpy(d->name, name, len);
				ext2_dirty_dir_block(fs, dir, b);
				brelse(b);
				dir_changed(fs, dir);
				return 0;
			}
			off += d->rec_len;
		}
		brelse(b);
	}
	return -ENOSPC;
}

/* Removes the entry at s (and drops s's buffer reference). The directory is de-indexed
 * first (deindex leaves leaf blocks, where s points, as they are). */
static void remove_entry(struct ext2_fs *fs, struct inode *dir, struct dir_slot *s)
{
	deindex(fs, dir);
	struct ext2_dirent *d = (struct ext2_dirent *)((uint8_t *)s->b->data + s->off);
	if (s->off != s->prev_off) {
		struct ext2_dirent *p = (struct ext2_dirent *)((uint8_t *)s->b->data + s->prev_off);
		p->rec_len = (uint16_t)(p->rec_len + d->rec_len);
	} else {
		d->inode = 0; /* the first entry of a block stays, empty */
	}
	ext2_dirty_dir_block(fs, dir, s->b);
	brelse(s->b);
	dir_changed(fs, dir);
}

/* Sets the inode number of name in dir (a directory's ".." when it moves). */
static int set_entry(struct ext2_fs *fs, struct inode *dir, const char *name, size_t len, uint32_t ino)
{
	int err = deindex(fs, dir); /* ".." lives in the htree root, under its checksum */
	if (err)
		return err;
	struct dir_slot s;
	err = find_entry(fs, dir, name, len, &s);
	if (err)
		return err;
	((struct ext2_dirent *)((uint8_t *)s.b->data + s.off))->inode = ino;
	ext2_dirty_dir_block(fs, dir, s.b);
	brelse(s.b);
	return 0;
}

/* Empty: only "." and "..". -EIO for a corrupt directory. */
static int dir_is_empty(struct ext2_fs *fs, struct inode *dir)
{
	uint32_t bs = fs->g.block_size;
	for (uint64_t i = 0; i < dir_blocks(fs, dir); i++) {
		struct buf *b = dir_block(fs, dir, i);
		if (IS_ERR(b))
			return PTR_ERR(b);
		for (uint32_t off = 0; off < bs;) {
			const struct ext2_dirent *d;
			if (ext2_dirent_at(b->data, bs, off, &d) < 0) {
				brelse(b);
				return -EIO;
			}
			bool dot = (d->name_len == 1 && d->name[0] == '.') ||
				   (d->name_len == 2 && d->name[0] == '.' && d->name[1] == '.');
			if (d->inode && !dot) {
				brelse(b);
				return 0;
			}
			off += d->rec_len;
		}
		brelse(b);
	}
	return 1;
}

/* A new inode of mode in dir's group: in the cache, written, with one reference. */
static struct inode *new_inode(struct ext2_fs *fs, struct inode *dir, uint32_t mode)
{
	uint32_t group = (uint32_t)((dir->ino - 1) / fs->g.inodes_per_group);
	int64_t ino = ext2_alloc_inode_locked(fs, group, S_ISDIR(mode));
	if (ino < 0)
		return ERR_PTR((int)ino);
	struct ext2_inode_info *ei = kzalloc(sizeof(*ei));
	struct inode *inode = ei ? inode_alloc(fs->vsb) : NULL;
	if (!inode) {
		kfree(ei);
		ext2_free_inode_locked(fs, (uint32_t)ino, S_ISDIR(mode));
		return ERR_PTR(-ENOMEM);
	}
	inode->ino = (uint64_t)ino;
	inode->private = ei;
	inode->mode = mode;
	inode->nlink = 1;
	inode->atime = inode->mtime = inode->ctime = vfs_now();
	ext2_set_ops(inode);
	if (fs->g.inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		/* Room for the nanosecond times, crtime and the checksum's high half. */
		ei->extra_isize = (uint16_t)MIN((uint32_t)EXT4_WANT_EXTRA_ISIZE, fs->g.inode_size - EXT2_GOOD_OLD_INODE_SIZE);
		ei->crtime = (uint32_t)inode->ctime.sec;
		ei->crtime_extra = (uint32_t)inode->ctime.nsec << 2;
	}
	if (fs->g.extents && (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode)))
		ext4_ext_init_inode(inode); /* a fast symlink drops it again */
	/* A random generation (NFS handles; under metadata_csum it seeds this inode's checksums). */
	get_random_bytes(&ei->raw.i_generation, sizeof(ei->raw.i_generation));
	ext2_inode_seed(fs, inode);
	/* Clear whatever an earlier owner left in the on-disk slot (extra inode bytes too). */
	int err = ext2_clear_inode_slot_locked(fs, (uint32_t)ino);
	if (!err)
		err = ext2_write_inode_locked(fs, inode);
	if (err) {
		ext2_free_inode_locked(fs, (uint32_t)ino, S_ISDIR(mode));
		kfree(ei);
		inode->sb = NULL;
		inode->private = NULL;
		inode_put(inode);
		return ERR_PTR(err);
	}
	/* Into the cache, so that a later lookup finds this very inode. */
	ei->hash_next = fs->icache[inode->ino % EXT2_ICACHE];
	fs->icache[inode->ino % EXT2_ICACHE] = inode;
	return inode;
}

/* Undoes new_inode after a failure: nlink 0, so the last put frees it. */
static void discard_inode(struct inode *inode)
{
	inode->nlink = 0;
}

static int finish(struct ext2_fs *fs, int err)
{
	if (fs->sb_dirty) {
		int e = ext2_write_super_locked(fs);
		fs->sb_dirty = false;
		if (!err)
			err = e;
	}
	return err;
}

/*
 * A new subdirectory's "..": one more link on dir. With dir_nlink a count that would pass
 * 65000 becomes 1, "too many to count" (and stays 1), as Linux does; rmdir leaves 1 alone.
 */
static void dir_nlink_inc(struct ext2_fs *fs, struct inode *dir)
{
	if (fs->g.dir_nlink && (dir->nlink == 1 || dir->nlink >= 64999))
		dir->nlink = 1;
	else
		dir->nlink++;
}

static int make_node(struct inode *dir, const char *name, size_t len, uint32_t mode, dev_t rdev,
		     const char *target, struct inode **out)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	if (fs->ro)
		return -EROFS;
	if (len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	mutex_lock(&fs->lock);
	struct dir_slot s;
	int err = find_entry(fs, dir, name, len, &s);
	if (err == 0) {
		brelse(s.b);
		err = -EEXIST;
	}
	if (err != -ENOENT)
		goto out;
	if (S_ISDIR(mode) && dir->nlink >= 32000 && !fs->g.dir_nlink) {
		err = -EMLINK;
		goto out;
	}
	struct inode *inode = new_inode(fs, dir, mode);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		goto out;
	}
	struct ext2_inode *raw = &EXT2_I(inode)->raw;
	err = 0;
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		inode->rdev = rdev;
		uint32_t ma = MAJOR(rdev), mi = MINOR(rdev);
		if (ma < 256 && mi < 256)
			raw->i_block[0] = ma << 8 | mi;
		else
			raw->i_block[1] = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
	} else if (S_ISLNK(mode)) {
		size_t tlen = strlen(target);
		inode->size = tlen;
		if (tlen < sizeof(raw->i_block)) {
			raw->i_flags &= ~(uint32_t)EXT4_EXTENTS_FL;
			memset(raw->i_block, 0, sizeof(raw->i_block));
			memcpy(raw->i_block, target, tlen); /* a fast symlink */
		} else if (tlen >= fs->g.block_size) {
			err = -ENAMETOOLONG;
		} else {
			int64_t blk = ext2_bmap_locked(fs, inode, 0, true);
			struct buf *b = blk < 0 ? ERR_PTR((int)blk) : bread(fs->bdev, (uint64_t)blk, fs->g.block_size);
			if (IS_ERR(b)) {
				err = PTR_ERR(b);
			} else {
				memcpy(b->data, target, tlen);
				bdirty(b);
				brelse(b);
			}
		}
	} else if (S_ISDIR(mode)) {
		int64_t blk = ext2_bmap_locked(fs, inode, 0, true);
		struct buf *b = blk < 0 ? ERR_PTR((int)blk) : bread(fs->bdev, (uint64_t)blk, fs->g.block_size);
		if (IS_ERR(b)) {
			err = PTR_ERR(b);
		} else {
			uint8_t *p = b->data;
			memset(p, 0, fs->g.block_size);
			struct ext2_dirent *dot = (struct ext2_dirent *)p, *dotdot = (struct ext2_dirent *)(p + 12);
			bool ft = fs->sb.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
			*dot = (struct ext2_dirent){ (uint32_t)inode->ino, 12, 1, ft ? EXT2_FT_DIR : 0 };
			dot->name[0] = '.';
			*dotdot = (struct ext2_dirent){ (uint32_t)dir->ino, (uint16_t)(dir_space(fs) - 12), 2,
							ft ? EXT2_FT_DIR : 0 };
			dotdot->name[0] = dotdot->name[1] = '.';
			if (fs->g.csum)
				ext4_dir_init_tail(p, fs->g.block_size);
			ext2_dirty_dir_block(fs, inode, b);
			brelse(b);
			inode->size = fs->g.block_size;
			inode->nlink = 2;
		}
	}
	if (!err)
		err = ext2_write_inode_locked(fs, inode);
	if (!err)
		err = add_entry(fs, dir, name, len, (uint32_t)inode->ino, mode);
	if (!err && S_ISDIR(mode)) {
		dir_nlink_inc(fs, dir);
		ext2_write_inode_locked(fs, dir);
	}
	if (err) {
		discard_inode(inode);
		err = finish(fs, err);
		mutex_unlock(&fs->lock);
		inode_put(inode); /* evicts: frees its blocks and the inode */
		return err;
	}
	*out = inode;
out:
	err = finish(fs, err);
	mutex_unlock(&fs->lock);
	return err;
}

static int ext2_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	return make_node(dir, name, len, S_IFREG | (mode & 07777), 0, NULL, out);
}

static int ext2_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	return make_node(dir, name, len, S_IFDIR | (mode & 07777), 0, NULL, out);
}

static int ext2_mknod(struct inode *dir, const char *name, size_t len, uint32_t mode, dev_t rdev,
		      struct inode **out)
{
	return make_node(dir, name, len, mode, rdev, NULL, out);
}

static int ext2_symlink(struct inode *dir, const char *name, size_t len, const char *target, struct inode **out)
{
	return make_node(dir, name, len, S_IFLNK | 0777, 0, target, out);
}

static int ext2_link(struct inode *old, struct inode *dir, const char *name, size_t len)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	if (fs->ro)
		return -EROFS;
	if (len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	if (old->nlink >= 32000)
		return -EMLINK;
	mutex_lock(&fs->lock);
	struct dir_slot s;
	int err = find_entry(fs, dir, name, len, &s);
	if (err == 0) {
		brelse(s.b);
		err = -EEXIST;
	} else if (err == -ENOENT) {
		err = add_entry(fs, dir, name, len, (uint32_t)old->ino, old->mode);
		if (!err) {
			old->nlink++;
			old->ctime = vfs_now();
			err = ext2_write_inode_locked(fs, old);
		}
	}
	err = finish(fs, err);
	mutex_unlock(&fs->lock);
	return err;
}

static int ext2_unlink(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	if (fs->ro)
		return -EROFS;
	mutex_lock(&fs->lock);
	struct dir_slot s;
	int err = find_entry(fs, dir, name, len, &s);
	if (!err) {
		uint32_t ino = ((const struct ext2_dirent *)((uint8_t *)s.b->data + s.off))->inode;
		if (ino != victim->ino) {
			brelse(s.b);
			err = -ENOENT;
		} else {
			remove_entry(fs, dir, &s);
			if (victim->nlink)
				victim->nlink--;
			victim->ctime = vfs_now();
			err = ext2_write_inode_locked(fs, victim);
		}
	}
	err = finish(fs, err);
	mutex_unlock(&fs->lock);
	return err;
}

static int ext2_rmdir(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	struct ext2_fs *fs = EXT2_FS(dir->sb);
	if (fs->ro)
		return -EROFS;
	mutex_lock(&fs->lock);
	struct dir_slot s;
	int err = find_entry(fs, dir, name, len, &s);
	if (!err) {
		uint32_t ino = ((const struct ext2_dirent *)((uint8_t *)s.b->data + s.off))->inode;
		int empty = ino == victim->ino ? dir_is_empty(fs, victim) : -ENOENT;
		if (empty != 1) {
			brelse(s.b);
			err = empty == 0 ? -ENOTEMPTY : empty;
		} else {
			remove_entry(fs, dir, &s);
			victim->nlink = 0;
			victim->ctime = vfs_now();
			err = ext2_write_inode_locked(fs, victim);
			if (dir->nlink > 2)
				dir->nlink--;
			ext2_write_inode_locked(fs, dir);
		}
	}
	err = finish(fs, err);
	mutex_unlock(&fs->lock);
	return err;
}

static int ext2_rename(struct inode *old_dir, const char *old_name, size_t old_len, struct inode *new_dir,
		       const char *new_name, size_t new_len)
{
	struct ext2_fs *fs = EXT2_FS(old_dir->sb);
	if (fs->ro)
		return -EROFS;
	if (new_len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	struct inode *inode = NULL, *victim = NULL;
	mutex_lock(&fs->lock);
	struct dir_slot s, t;
	int err = find_entry(fs, old_dir, old_name, old_len, &s);
	if (err)
		goto out;
	uint32_t ino = ((const struct ext2_dirent *)((uint8_t *)s.b->data + s.off))->inode;
	brelse(s.b);
	inode = ext2_iget_locked(fs, ino);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		inode = NULL;
		goto out;
	}
	err = find_entry(fs, new_dir, new_name, new_len, &t);
	if (err == 0) {
		uint32_t vino = ((const struct ext2_dirent *)((uint8_t *)t.b->data + t.off))->inode;
		brelse(t.b);
		if (vino == ino)
			goto out; /* two names of one inode: nothing to do, as POSIX says */
		victim = ext2_iget_locked(fs, vino);
		if (IS_ERR(victim)) {
			err = PTR_ERR(victim);
			victim = NULL;
			goto out;
		}
		if (S_ISDIR(victim->mode)) {
			int empty = S_ISDIR(inode->mode) ? dir_is_empty(fs, victim) : -EISDIR;
			if (empty != 1) {
				err = empty == 0 ? -ENOTEMPTY : empty;
				goto out;
			}
		} else if (S_ISDIR(inode->mode)) {
			err = -ENOTDIR;
			goto out;
		}
		/* Point the existing entry at the moved inode. */
		err = set_entry(fs, new_dir, new_name, new_len, ino);
		if (err)
			goto out;
		dir_changed(fs, new_dir);
		victim->ctime = vfs_now();
		if (S_ISDIR(victim->mode)) {
			victim->nlink = 0;
			if (new_dir->nlink > 2)
				new_dir->nlink--; /* the victim's ".." */
		} else if (victim->nlink) {
			victim->nlink--;
		}
		ext2_write_inode_locked(fs, victim);
	} else if (err == -ENOENT) {
		err = add_entry(fs, new_dir, new_name, new_len, ino, inode->mode);
		if (err)
			goto out;
	} else {
		goto out;
	}
	/* The old name goes (found again: adding may have moved nothing, but be exact). */
	err = find_entry(fs, old_dir, old_name, old_len, &s);
	if (!err)
		remove_entry(fs, old_dir, &s);
	if (!err && S_ISDIR(inode->mode) && old_dir != new_dir) {
		set_entry(fs, inode, "..", 2, (uint32_t)new_dir->ino);
		if (old_dir->nlink > 2)
			old_dir->nlink--;
		dir_nlink_inc(fs, new_dir);
		ext2_write_inode_locked(fs, old_dir);
		ext2_write_inode_locked(fs, new_dir);
	}
	inode->ctime = vfs_now();
	ext2_write_inode_locked(fs, inode);
out:
	err = finish(fs, err);
	mutex_unlock(&fs->lock);
	if (inode)
		inode_put(inode);
	if (victim)
		inode_put(victim);
	return err;
}

const struct file_ops ext2_dir_fops = { .readdir = ext2_readdir };
const struct inode_ops ext2_dir_iops = {
	.lookup = ext2_lookup,
	.create = ext2_create,
	.mkdir = ext2_mkdir,
	.mknod = ext2_mknod,
	.symlink = ext2_symlink,
	.link = ext2_link,
	.unlink = ext2_unlink,
	.rmdir = ext2_rmdir,
	.rename = ext2_rename,
	.getattr = ext2_getattr,
	.setattr = ext2_setattr,
};
