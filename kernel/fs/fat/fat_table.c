/*
 * The file allocation table: entries read and written (every FAT copy, unless FAT32 mirroring
 * is off), chains walked with a bound so that a looping or broken chain gives -EIO instead of a
 * hang, clusters allocated and freed, and the per-inode chain position cache that keeps
 * sequential access to a big file from walking its chain again for every block.
 */
#include "fs/fat/fat.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Copies len bytes at byte offset off of FAT copy `copy` in or out (an entry may straddle two
 * sectors on FAT12). */
static int fat_bytes(struct fat_fs *fs, uint32_t copy, uint32_t off, uint8_t *p, uint32_t len, bool write)
{
	uint64_t base = ((uint64_t)fs->g.fat_start + (uint64_t)copy * fs->g.fat_sectors) * fs->g.bps;
	while (len) {
		uint32_t boff;
		struct buf *b = fat_buf_at(fs, base + off, &boff);
		if (IS_ERR(b))
			return PTR_ERR(b);
		uint32_t n = MIN(len, b->size - boff);
		if (write) {
			memcpy((uint8_t *)b->data + boff, p, n);
			bdirty(b);
		} else {
			memcpy(p, (uint8_t *)b->data + boff, n);
		}
		brelse(b);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static uint32_t entry_bytes(struct fat_fs *fs)
{
	return fs->g.bits == 32 ? 4 : 2;
}

int fat_get_locked(struct fat_fs *fs, uint32_t n, uint32_t *v)
{
	if (n > fs->g.clusters + 1)
		return -EIO;
	uint8_t p[4] = { 0 };
	uint32_t copy = fs->g.mirror ? 0 : fs->g.active_fat;
	int err = fat_bytes(fs, copy, fat_entry_offset(fs->g.bits, n), p, entry_bytes(fs), false);
	if (err)
		return err;
	*v = fat_entry_decode(fs->g.bits, n, p);
	return 0;
}

int fat_set_locked(struct fat_fs *fs, uint32_t n, uint32_t v)
{
	if (n < 2 || n > fs->g.clusters + 1)
		return -EIO;
	uint32_t off = fat_entry_offset(fs->g.bits, n);
	for (uint32_t copy = 0; copy < fs->g.nfats; copy++) {
		if (!fs->g.mirror && copy != fs->g.active_fat)
			continue;
		uint8_t p[4] = { 0 };
		int err = fat_bytes(fs, copy, off, p, entry_bytes(fs), false);
		if (!err) {
			fat_entry_encode(fs->g.bits, n, p, v);
			err = fat_bytes(fs, copy, off, p, entry_bytes(fs), true);
		}
		if (err)
			return err;
	}
	return 0;
}

int fat_next_locked(struct fat_fs *fs, uint32_t c, uint32_t *next)
{
	uint32_t v;
	int err = fat_get_locked(fs, c, &v);
	if (err)
		return err;
	switch (fat_classify(&fs->g, v)) {
	case FAT_NEXT_CLUSTER:
		*next = v;
		return 0;
	case FAT_NEXT_EOC:
		*next = 0;
		return 0;
	default:
		return -EIO; /* free or bad inside a chain */
	}
}

int fat_alloc_locked(struct fat_fs *fs, uint32_t prev, uint32_t *out)
{
	if (fs->ro)
		return -EROFS;
	uint32_t n = fs->g.clusters;
	uint32_t c = fs->next_free >= 2 && fs->next_free <= n + 1 ? fs->next_free : 2;
	for (uint32_t i = 0; i < n; i++, c = c >= n + 1 ? 2 : c + 1) {
		uint32_t v;
		int err = fat_get_locked(fs, c, &v);
		if (err)
			return err;
		if (v != 0)
			continue;
		err = fat_set_locked(fs, c, fat_eoc(fs->g.bits));
		if (!err && prev)
			err = fat_set_locked(fs, prev, c);
		if (err)
			return err;
		if (fs->free_count)
			fs->free_count--;
		fs->vsb->blocks_free = fs->free_count;
		fs->next_free = c + 1;
		*out = c;
		return 0;
	}
	fs->free_count = 0;
	fs->vsb->blocks_free = 0;
	return -ENOSPC;
}

int fat_free_chain_locked(struct fat_fs *fs, uint32_t c)
{
	for (uint32_t steps = 0; c && steps <= fs->g.clusters; steps++) {
		uint32_t v;
		int err = fat_get_locked(fs, c, &v);
		if (err)
			return err;
		enum fat_next kind = fat_classify(&fs->g, v);
		if (kind == FAT_NEXT_FREE)
			return -EIO; /* already free: the chain was broken */
		err = fat_set_locked(fs, c, 0);
		if (err)
			return err;
		fs->free_count++;
		if (c < fs->next_free)
			fs->next_free = c;
		c = kind == FAT_NEXT_CLUSTER ? v : 0;
	}
	fs->vsb->blocks_free = fs->free_count;
	return 0;
}

int fat_count_free_locked(struct fat_fs *fs)
{
	uint32_t free = 0, first = 0;
	for (uint32_t c = 2; c <= fs->g.clusters + 1; c++) {
		uint32_t v;
		int err = fat_get_locked(fs, c, &v);
		if (err)
			return err;
		if (v == 0) {
			free++;
			if (!first)
				first = c;
		}
	}
	fs->free_count = free;
	fs->next_free = first ? first : 2;
	return 0;
}

int fat_zero_cluster_locked(struct fat_fs *fs, uint32_t clus)
{
	uint64_t byte = fat_cluster_byte(fs, clus);
	for (uint32_t off = 0; off < fs->g.cluster_size; off += fs->data_bs) {
		struct buf *b = bget_zero(fs->bdev, (byte + off) / fs->data_bs, fs->data_bs);
		if (IS_ERR(b))
			return PTR_ERR(b);
		bdirty(b);
		brelse(b);
	}
	return 0;
}

int fat_bmap_locked(struct fat_fs *fs, struct inode *inode, uint32_t idx, bool create, uint32_t *clus)
{
	struct fat_inode *fi = FAT_I(inode);
	if (idx >= fs->g.clusters)
		return create ? -EFBIG : -ENOENT;
	if (!fi->start) {
		if (!create)
			return -ENOENT;
		if (idx != 0)
			return -EIO; /* callers extend one cluster at a time */
		int err = fat_alloc_locked(fs, 0, &fi->start);
		if (err)
			return err;
		fi->cache_idx = 0;
		fi->cache_clus = fi->start;
		*clus = fi->start;
		return 0;
	}
	uint32_t i = 0, c = fi->start;
	if (fi->cache_clus && fi->cache_idx <= idx) {
		i = fi->cache_idx;
		c = fi->cache_clus;
	}
	/* The walk is bounded by idx < clusters: a looping chain cannot keep us here. */
	while (i < idx) {
		uint32_t next;
		int err = fat_next_locked(fs, c, &next);
		if (err)
			return err;
		if (!next) {
			if (!create)
				return -ENOENT;
			err = fat_alloc_locked(fs, c, &next);
			if (err)
				return err;
		}
		c = next;
		i++;
	}
	fi->cache_idx = idx;
	fi->cache_clus = c;
	*clus = c;
	return 0;
}

int fat_chain_len_locked(struct fat_fs *fs, struct inode *inode, uint32_t max, uint32_t *len)
{
	uint32_t c = FAT_I(inode)->start, n = 0;
	while (c) {
		if (++n > max)
			return -EIO;
		int err = fat_next_locked(fs, c, &c);
		if (err)
			return err;
	}
	*len = n;
	return 0;
}

int fat_truncate_chain_locked(struct fat_fs *fs, struct inode *inode, uint32_t keep)
{
	struct fat_inode *fi = FAT_I(inode);
	fi->cache_clus = 0;
	if (!fi->start)
		return 0;
	if (keep == 0) {
		uint32_t start = fi->start;
		fi->start = 0;
		return fat_free_chain_locked(fs, start);
	}
	uint32_t last;
	int err = fat_bmap_locked(fs, inode, keep - 1, false, &last);
	fi->cache_clus = 0;
	if (err == -ENOENT)
		return 0; /* already shorter */
	if (err)
		return err;
	uint32_t rest;
	err = fat_next_locked(fs, last, &rest);
	if (err)
		return err;
	if (!rest)
		return 0;
	err = fat_set_locked(fs, last, fat_eoc(fs->g.bits));
	return err ? err : fat_free_chain_locked(fs, rest);
}
