/*
 * FAT directories: arrays of 32-byte entries (in the fixed root region on FAT12/16, else in a
 * cluster chain), long names in LFN slots before their short entry. Walks, lookups (names
 * compare without ASCII case, long or 8.3 alike), getdents64, and the name-space operations:
 * create, mkdir, unlink, rmdir, rename. New names get an 8.3 alias ("~n" when the name is not
 * exactly 8.3) and LFN slots when needed; "." and ".." carry the cluster numbers fsck expects.
 */
#include "fs/fat/fat.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/slab.h"

/* Where byte `off` of directory dir lies on the volume: 0, -ENOENT past its end, -EIO. */
static int dir_byte(struct fat_fs *fs, struct inode *dir, uint64_t off, uint64_t *byte)
{
	struct fat_inode *fi = FAT_I(dir);
	if (!fi->start) {
		if (off >= (uint64_t)fs->g.root_entries * FAT_DIRENT_SIZE)
			return -ENOENT;
		*byte = (uint64_t)fs->g.root_start * fs->g.bps + off;
		return 0;
	}
	if (off >= FAT_DIR_MAX_BYTES)
		return -ENOENT;
	uint32_t clus;
	int err = fat_bmap_locked(fs, dir, (uint32_t)(off / fs->g.cluster_size), false, &clus);
	if (err)
		return err;
	*byte = fat_cluster_byte(fs, clus) + off % fs->g.cluster_size;
	return 0;
}

/* Calls fn for every 32-byte slot from index `from` to the end of the directory (free ones
 * too); fn's nonzero result stops the walk and is returned. */
typedef int (*raw_fn)(void *ctx, uint8_t *de, struct buf *b, uint32_t index, uint64_t de_pos);
static int raw_walk(struct fat_fs *fs, struct inode *dir, uint32_t from, raw_fn fn, void *ctx)
{
	for (uint32_t index = from;;) {
		uint64_t byte;
		int err = dir_byte(fs, dir, (uint64_t)index * FAT_DIRENT_SIZE, &byte);
		if (err)
			return err == -ENOENT ? 0 : err;
		uint32_t off;
		struct buf *b = fat_buf_at(fs, byte, &off);
		if (IS_ERR(b))
			return PTR_ERR(b);
		/* Every slot of this buffer (they belong to one cluster, so to this directory). */
		for (; off < b->size; off += FAT_DIRENT_SIZE, index++, byte += FAT_DIRENT_SIZE) {
			int r = fn(ctx, (uint8_t *)b->data + off, b, index, byte);
			if (r) {
				brelse(b);
				return r;
			}
		}
		brelse(b);
	}
}

/* Entries (names decoded) from the slots. */
struct walk {
	struct fat_lfn_state st;
	struct fat_dirent d;
	int (*fn)(struct walk *w, uint32_t first, uint32_t index, uint64_t de_pos);
	struct fat_fs *fs;
	/* what the callers look for or collect */
	const char *name;
	size_t len;
	uint32_t found_first, found_index, count;
	uint64_t found_pos;
	void *ctx;
};

enum { WALK_END = 2 }; /* the end-of-directory mark: stop without error */

static int entry_fn(void *ctx, uint8_t *de, struct buf *b, uint32_t index, uint64_t de_pos)
{
	(void)b;
	struct walk *w = ctx;
	enum fat_feed r = fat_feed(&w->st, de, &w->d);
	if (r == FAT_FEED_END)
		return WALK_END;
	if (r == FAT_FEED_SKIP)
		return 0;
	w->d.cluster = fat_de_cluster(de, w->fs->g.bits);
	return w->fn(w, index - w->d.lfn_slots, index, de_pos);
}

static int entry_walk(struct fat_fs *fs, struct inode *dir, uint32_t from, struct walk *w)
{
	w->fs = fs;
	memset(&w->st, 0, sizeof(w->st));
	int r = raw_walk(fs, dir, from, entry_fn, w);
	return r == WALK_END ? 0 : r;
}

static bool is_dot(const struct fat_dirent *d)
{
	return d->short_name[0] == '.' && (d->short_name[1] == ' ' || (d->short_name[1] == '.' && d->short_name[2] == ' '));
}

static int find_fn(struct walk *w, uint32_t first, uint32_t index, uint64_t de_pos)
{
	if (is_dot(&w->d))
		return 0;
	bool hit = fat_name_eq(w->d.name, w->d.len, w->name, w->len);
	if (!hit && w->d.lfn_slots) {
		char short_str[13];
		size_t n = fat_short_to_str(w->d.short_name, 0, short_str);
		hit = fat_name_eq(short_str, n, w->name, w->len);
	}
	if (!hit)
		return 0;
	w->found_first = first;
	w->found_index = index;
	w->found_pos = de_pos;
	return 1;
}

/* Trailing dots are not part of a name (Windows drops them; Linux's vfat too): "a." is "a". */
static size_t strip_dots(const char *name, size_t len)
{
	while (len && name[len - 1] == '.')
		len--;
	return len;
}

/* Finds name in dir: 1 with w->found_* and w->d, 0 when absent, or -errno. */
static int find_entry(struct fat_fs *fs, struct inode *dir, const char *name, size_t len, struct walk *w)
{
	len = strip_dots(name, len);
	if (!len)
		return 0;
	w->fn = find_fn;
	w->name = name;
	w->len = len;
	return entry_walk(fs, dir, 0, w);
}

static struct walk *walk_new(void)
{
	return kzalloc(sizeof(struct walk));
}

static struct inode *fat_lookup(struct inode *dir, const char *name, size_t len)
{
	struct fat_fs *fs = FAT_FS(dir->sb);
	if (len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	struct walk *w = walk_new();
	if (!w)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&fs->lock);
	int r = find_entry(fs, dir, name, len, w);
	struct inode *inode = NULL;
	if (r == 1)
		inode = fat_iget_locked(fs, w->found_pos, &w->d);
	else if (r < 0)
		inode = ERR_PTR(r);
	mutex_unlock(&fs->lock);
	kfree(w);
	return inode;
}

static int subdir_fn(struct walk *w, uint32_t first, uint32_t index, uint64_t de_pos)
{
	(void)first, (void)index, (void)de_pos;
	if ((w->d.attr & FAT_ATTR_DIR) && !is_dot(&w->d))
		w->count++;
	return 0;
}

int fat_count_subdirs_locked(struct fat_fs *fs, struct inode *dir, uint32_t *n)
{
	struct walk *w = walk_new();
	if (!w)
		return -ENOMEM;
	w->fn = subdir_fn;
	int err = entry_walk(fs, dir, 0, w);
	*n = w->count;
	kfree(w);
	return err;
}

/* ---- getdents: f->pos is 2 + the slot index to go on from; 0 and 1 are the root's "." and
 * "..", which have no entries of their own ---- */

struct rd_ctx {
	struct file *f;
	filldir_t fill;
	void *ctx;
};

static int readdir_fn(struct walk *w, uint32_t first, uint32_t index, uint64_t de_pos)
{
	struct rd_ctx *rc = w->ctx;
	unsigned type = (w->d.attr & FAT_ATTR_DIR) ? DT_DIR : DT_REG;
	uint64_t ino = de_pos / FAT_DIRENT_SIZE + 2;
	/* fill writes a kernel buffer, so the lock may stay held. */
	if (rc->fill(rc->ctx, w->d.name, w->d.len, ino, type, 2 + (uint64_t)index + 1)) {
		rc->f->pos = 2 + (uint64_t)first; /* again from this name's first slot */
		return 1;
	}
	rc->f->pos = 2 + (uint64_t)index + 1;
	return 0;
}

static int fat_readdir(struct file *f, filldir_t fill, void *ctx)
{
	struct inode *dir = f->inode;
	struct fat_fs *fs = FAT_FS(dir->sb);
	bool root = FAT_I(dir)->de_pos == 0;
	if (f->pos < 2 && root) {
		for (; f->pos < 2; f->pos++)
			if (fill(ctx, "..", f->pos + 1, f->pos ? 1 : dir->ino, DT_DIR, f->pos + 1))
				return 0;
	}
	if (f->pos < 2)
		f->pos = 2;
	if (f->pos - 2 >= FAT_DIR_MAX_BYTES / FAT_DIRENT_SIZE)
		return 0;
	struct walk *w = walk_new();
	if (!w)
		return -ENOMEM;
	struct rd_ctx rc = { f, fill, ctx };
	w->fn = readdir_fn;
	w->ctx = &rc;
	mutex_lock(&fs->lock);
	int r = entry_walk(fs, dir, (uint32_t)(f->pos - 2), w);
	mutex_unlock(&fs->lock);
	kfree(w);
	return r < 0 ? r : 0;
}

/* ---- changing directories (lock held) ---- */

static int slot_at(struct fat_fs *fs, struct inode *dir, uint32_t index, struct buf **b, uint8_t **de)
{
	uint64_t byte;
	int err = dir_byte(fs, dir, (uint64_t)index * FAT_DIRENT_SIZE, &byte);
	if (err)
		return err == -ENOENT ? -EIO : err;
	uint32_t off;
	*b = fat_buf_at(fs, byte, &off);
	if (IS_ERR(*b))
		return PTR_ERR(*b);
	*de = (uint8_t *)(*b)->data + off;
	return 0;
}

static int remove_slots(struct fat_fs *fs, struct inode *dir, uint32_t first, uint32_t last)
{
	for (uint32_t i = first; i <= last; i++) {
		struct buf *b;
		uint8_t *de;
		int err = slot_at(fs, dir, i, &b, &de);
		if (err)
			return err;
		de[0] = FAT_DELETED;
		bdirty(b);
		brelse(b);
	}
	return 0;
}

/* What add_entry needs to know of the directory: "~n" tails in use, an exact 8.3 clash, and
 * a run of free slots. */
struct scan {
	uint8_t basis[11];
	uint8_t *tails;               /* bitmap of n in use, n < FAT_TAILS */
	bool clash;
	uint32_t need, run_start, run_len;
	uint32_t end;                 /* slots in the directory */
};
#define FAT_TAILS 65536

static int scan_fn(void *ctx, uint8_t *de, struct buf *b, uint32_t index, uint64_t de_pos)
{
	(void)b, (void)de_pos;
	struct scan *s = ctx;
	s->end = index + 1;
	if (de[0] == 0 || de[0] == FAT_DELETED) {
		if (s->run_len < s->need) {
			if (!s->run_len)
				s->run_start = index;
			s->run_len++;
		}
		return 0;
	}
	if (s->run_len < s->need)
		s->run_len = 0;
	if ((de[11] & 0x3f) == FAT_ATTR_LFN || (de[11] & FAT_ATTR_VOLUME))
		return 0;
	if (!memcmp(de, s->basis, 11))
		s->clash = true;
	unsigned n = fat_short_tail_of(s->basis, de);
	if (n && n < FAT_TAILS && s->tails)
		s->tails[n / 8] |= (uint8_t)(1u << (n % 8));
	return 0;
}

/*
 * Adds name to dir with raw as its short entry (attributes, cluster, size, times: the name and
 * case bits are filled in here): LFN slots when the name is not exactly 8.3, the directory
 * grown by a zeroed cluster when full. *de_pos is where the short entry went.
 */
static int add_entry(struct fat_fs *fs, struct inode *dir, const char *name, size_t len, uint8_t *raw,
		     uint64_t *de_pos)
{
	uint8_t sn[11], case_bits;
	bool exact;
	len = strip_dots(name, len);
	int err = fat_make_short(name, len, sn, &case_bits, &exact);
	if (err)
		return err;
	uint16_t *u16 = kmalloc(FAT_LFN_MAX * sizeof(uint16_t));
	struct scan *s = kzalloc(sizeof(*s));
	uint8_t *slots = kmalloc(21 * FAT_DIRENT_SIZE);
	if (!u16 || !s || !slots) {
		err = -ENOMEM;
		goto out;
	}
	int units = fat_utf8_to_utf16(name, len, u16);
	if (units <= 0) {
		err = units == -2 ? -ENAMETOOLONG : -EINVAL;
		goto out;
	}
	memcpy(s->basis, sn, 11);
	s->tails = exact ? NULL : kzalloc(FAT_TAILS / 8);
	if (!exact && !s->tails) {
		err = -ENOMEM;
		goto out;
	}
	uint32_t nslots = fat_lfn_slot_count((size_t)units);
	s->need = nslots + 1;
	err = raw_walk(fs, dir, 0, scan_fn, s);
	if (err)
		goto out;
	if (exact && s->clash) {
		/* Another name already has this 8.3 form: alias it, as for a long name. */
		exact = false;
		s->tails = kzalloc(FAT_TAILS / 8);
		if (!s->tails) {
			err = -ENOMEM;
			goto out;
		}
		s->run_len = 0;
		err = raw_walk(fs, dir, 0, scan_fn, s);
		if (err)
			goto out;
	}
	if (exact) {
		nslots = 0;
		memcpy(raw, sn, 11);
		raw[12] = case_bits;
	} else {
		unsigned n = 1;
		while (n < FAT_TAILS && (s->tails[n / 8] & (1u << (n % 8))))
			n++;
		if (n >= FAT_TAILS) {
			err = -EEXIST;
			goto out;
		}
		fat_short_tail(sn, n, raw);
		raw[12] = 0;
	}
	uint32_t need = nslots + 1;
	if (s->run_len < need) {
		/* No room: grow the directory (the fixed FAT12/16 root cannot). */
		if (!FAT_I(dir)->start || (uint64_t)s->end * FAT_DIRENT_SIZE + fs->g.cluster_size > FAT_DIR_MAX_BYTES) {
			err = -ENOSPC;
			goto out;
		}
		uint32_t have = (uint32_t)(dir->size / fs->g.cluster_size), clus;
		err = fat_bmap_locked(fs, dir, have, true, &clus);
		if (!err)
			err = fat_zero_cluster_locked(fs, clus);
		if (err)
			goto out;
		dir->size += fs->g.cluster_size;
		if (s->run_len == 0 || s->run_start + s->run_len != s->end)
			s->run_start = s->end; /* a free run reaching the old end goes on into the new cluster */
	}
	fat_lfn_fill(slots, u16, (size_t)units, fat_lfn_checksum(raw));
	memcpy(slots + (size_t)nslots * FAT_DIRENT_SIZE, raw, FAT_DIRENT_SIZE);
	for (uint32_t i = 0; i < need; i++) {
		struct buf *b;
		uint8_t *de;
		err = slot_at(fs, dir, s->run_start + i, &b, &de);
		if (err)
			goto out;
		memcpy(de, slots + (size_t)i * FAT_DIRENT_SIZE, FAT_DIRENT_SIZE);
		bdirty(b);
		brelse(b);
	}
	uint64_t byte;
	err = dir_byte(fs, dir, (uint64_t)(s->run_start + nslots) * FAT_DIRENT_SIZE, &byte);
	*de_pos = byte;
out:
	if (s)
		kfree(s->tails);
	kfree(s);
	kfree(u16);
	kfree(slots);
	return err;
}

static void raw_entry(uint8_t *raw, uint8_t attr, uint32_t cluster)
{
	memset(raw, 0, FAT_DIRENT_SIZE);
	memset(raw, ' ', 11);
	raw[11] = attr;
	fat_de_set_cluster(raw, cluster);
	uint16_t date, time;
	fat_time_from_unix(vfs_now().sec, &date, &time);
	fat_put16(raw + 14, time); /* creation */
	fat_put16(raw + 16, date);
	fat_put16(raw + 18, date); /* access */
	fat_put16(raw + 22, time); /* modification */
	fat_put16(raw + 24, date);
}

static void dir_changed(struct fat_fs *fs, struct inode *dir)
{
	dir->mtime = dir->ctime = vfs_now();
	fat_write_inode_locked(fs, dir);
}

/* The new entry's inode: the entry as just written. */
static struct inode *iget_new(struct fat_fs *fs, uint64_t de_pos, const uint8_t *raw)
{
	struct fat_dirent *d = kzalloc(sizeof(*d));
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->attr = raw[11];
	d->cluster = fat_de_cluster(raw, fs->g.bits);
	d->size = fat_le32(raw + 28);
	d->mtime = fat_le16(raw + 22);
	d->mdate = fat_le16(raw + 24);
	struct inode *inode = fat_iget_locked(fs, de_pos, d);
	kfree(d);
	return inode;
}

static int make_node(struct inode *dir, const char *name, size_t len, bool is_dir, struct inode **out)
{
	struct fat_fs *fs = FAT_FS(dir->sb);
	if (fs->ro)
		return -EROFS;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	struct walk *w = walk_new();
	if (!w)
		return -ENOMEM;
	uint8_t raw[FAT_DIRENT_SIZE];
	mutex_lock(&fs->lock);
	int err = find_entry(fs, dir, name, len, w);
	if (err == 1)
		err = -EEXIST;
	uint32_t clus = 0;
	if (!err && is_dir) {
		/* The new directory's cluster with "." and "..". */
		err = fat_alloc_locked(fs, 0, &clus);
		if (!err)
			err = fat_zero_cluster_locked(fs, clus);
		if (!err) {
			struct buf *b;
			uint32_t off;
			b = fat_buf_at(fs, fat_cluster_byte(fs, clus), &off);
			if (IS_ERR(b)) {
				err = PTR_ERR(b);
			} else {
				uint8_t *de = (uint8_t *)b->data + off;
				raw_entry(de, FAT_ATTR_DIR, clus);
				de[0] = '.';
				raw_entry(de + FAT_DIRENT_SIZE, FAT_ATTR_DIR, FAT_I(dir)->de_pos ? FAT_I(dir)->start : 0);
				de[FAT_DIRENT_SIZE] = de[FAT_DIRENT_SIZE + 1] = '.';
				bdirty(b);
				brelse(b);
			}
		}
	}
	uint64_t de_pos = 0;
	if (!err) {
		raw_entry(raw, is_dir ? FAT_ATTR_DIR : FAT_ATTR_ARCH, clus);
		err = add_entry(fs, dir, name, len, raw, &de_pos);
	}
	if (err && clus)
		fat_free_chain_locked(fs, clus);
	if (!err) {
		struct inode *inode = iget_new(fs, de_pos, raw);
		if (IS_ERR(inode)) {
			err = PTR_ERR(inode);
		} else {
			*out = inode;
			if (is_dir)
				dir->nlink++;
			dir_changed(fs, dir);
		}
	}
	mutex_unlock(&fs->lock);
	kfree(w);
	return err;
}

static int fat_create(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	(void)mode;
	return make_node(dir, name, len, false, out);
}

static int fat_mkdir(struct inode *dir, const char *name, size_t len, uint32_t mode, struct inode **out)
{
	(void)mode;
	return make_node(dir, name, len, true, out);
}

static int empty_fn(struct walk *w, uint32_t first, uint32_t index, uint64_t de_pos)
{
	(void)first, (void)index, (void)de_pos;
	return is_dot(&w->d) ? 0 : 1;
}

/* 0 when dir holds only "." and "..", -ENOTEMPTY, or -errno. */
static int dir_empty(struct fat_fs *fs, struct inode *dir, struct walk *w)
{
	w->fn = empty_fn;
	int r = entry_walk(fs, dir, 0, w);
	return r == 1 ? -ENOTEMPTY : r;
}

static int remove_name(struct inode *dir, const char *name, size_t len, struct inode *victim, bool rmdir)
{
	struct fat_fs *fs = FAT_FS(dir->sb);
	if (fs->ro)
		return -EROFS;
	struct walk *w = walk_new();
	if (!w)
		return -ENOMEM;
	mutex_lock(&fs->lock);
	int err = find_entry(fs, dir, name, len, w);
	if (err == 0 || (err == 1 && w->found_pos != FAT_I(victim)->de_pos))
		err = -ENOENT;
	else if (err == 1)
		err = 0;
	uint32_t first = w->found_first, index = w->found_index;
	if (!err && rmdir != S_ISDIR(victim->mode))
		err = rmdir ? -ENOTDIR : -EISDIR;
	if (!err && rmdir)
		err = dir_empty(fs, victim, w);
	if (!err)
		err = remove_slots(fs, dir, first, index);
	if (!err) {
		victim->nlink = 0;
		victim->ctime = vfs_now();
		if (rmdir && dir->nlink > 2)
			dir->nlink--;
		dir_changed(fs, dir);
	}
	mutex_unlock(&fs->lock);
	kfree(w);
	return err;
}

static int fat_unlink(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	return remove_name(dir, name, len, victim, false);
}

static int fat_rmdir(struct inode *dir, const char *name, size_t len, struct inode *victim)
{
	return remove_name(dir, name, len, victim, true);
}

/* A moved directory's ".." names its new parent (0 for the root). */
static int set_dotdot(struct fat_fs *fs, struct inode *moved, struct inode *parent)
{
	struct buf *b;
	uint8_t *de;
	int err = slot_at(fs, moved, 1, &b, &de);
	if (err)
		return err;
	if (de[0] == '.' && de[1] == '.') {
		fat_de_set_cluster(de, FAT_I(parent)->de_pos ? FAT_I(parent)->start : 0);
		bdirty(b);
	}
	brelse(b);
	return 0;
}

static int fat_rename(struct inode *old_dir, const char *old_name, size_t old_len, struct inode *new_dir,
		      const char *new_name, size_t new_len)
{
	struct fat_fs *fs = FAT_FS(old_dir->sb);
	if (fs->ro)
		return -EROFS;
	if (new_len > NAME_MAX)
		return -ENAMETOOLONG;
	struct walk *w = walk_new();
	if (!w)
		return -ENOMEM;
	struct inode *inode = NULL, *victim = NULL;
	uint8_t raw[FAT_DIRENT_SIZE];
	mutex_lock(&fs->lock);
	int err = find_entry(fs, old_dir, old_name, old_len, w);
	if (err == 0)
		err = -ENOENT;
	if (err < 0)
		goto out;
	uint32_t old_first = w->found_first, old_index = w->found_index;
	uint64_t old_pos = w->found_pos;
	inode = fat_iget_locked(fs, old_pos, &w->d);
	if (IS_ERR(inode)) {
		err = PTR_ERR(inode);
		inode = NULL;
		goto out;
	}
	err = find_entry(fs, new_dir, new_name, new_len, w);
	if (err < 0)
		goto out;
	if (err == 1 && w->found_pos != old_pos) {
		/* Replacing another name: a file by a file, a directory by an empty directory. */
		victim = fat_iget_locked(fs, w->found_pos, &w->d);
		if (IS_ERR(victim)) {
			err = PTR_ERR(victim);
			victim = NULL;
			goto out;
		}
		uint32_t vfirst = w->found_first, vindex = w->found_index;
		if (S_ISDIR(victim->mode) != S_ISDIR(inode->mode)) {
			err = S_ISDIR(victim->mode) ? -EISDIR : -ENOTDIR;
			goto out;
		}
		if (S_ISDIR(victim->mode)) {
			err = dir_empty(fs, victim, w);
			if (err)
				goto out;
		}
		err = remove_slots(fs, new_dir, vfirst, vindex);
		if (err)
			goto out;
		victim->nlink = 0;
		if (S_ISDIR(victim->mode) && new_dir->nlink > 2)
			new_dir->nlink--;
	}
	/* The short entry moves with its data; only the name changes. */
	struct buf *b;
	uint8_t *de;
	err = slot_at(fs, old_dir, old_index, &b, &de);
	if (err)
		goto out;
	memcpy(raw, de, FAT_DIRENT_SIZE);
	brelse(b);
	err = remove_slots(fs, old_dir, old_first, old_index);
	if (err)
		goto out;
	uint64_t new_pos;
	err = add_entry(fs, new_dir, new_name, new_len, raw, &new_pos);
	if (err) {
		/* Put the old name back rather than lose the file. */
		uint64_t back;
		memset(raw, ' ', 11);
		add_entry(fs, old_dir, old_name, old_len, raw, &back);
		fat_rehash_locked(fs, inode, back);
		goto out;
	}
	fat_rehash_locked(fs, inode, new_pos);
	if (S_ISDIR(inode->mode) && old_dir != new_dir) {
		err = set_dotdot(fs, inode, new_dir);
		if (old_dir->nlink > 2)
			old_dir->nlink--;
		new_dir->nlink++;
	}
	inode->ctime = vfs_now();
	dir_changed(fs, old_dir);
	if (new_dir != old_dir)
		dir_changed(fs, new_dir);
out:
	mutex_unlock(&fs->lock);
	kfree(w);
	if (inode)
		inode_put(inode);
	if (victim)
		inode_put(victim);
	return err;
}

const struct file_ops fat_dir_fops = { .readdir = fat_readdir };
const struct inode_ops fat_dir_iops = {
	.lookup = fat_lookup,
	.create = fat_create,
	.mkdir = fat_mkdir,
	.unlink = fat_unlink,
	.rmdir = fat_rmdir,
	.rename = fat_rename,
	.getattr = fat_getattr,
	.setattr = fat_setattr,
};
