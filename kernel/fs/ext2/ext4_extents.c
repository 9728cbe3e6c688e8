/*
 * ext4 extent trees: an inode's i_block holds a node of up to four entries; deeper nodes are
 * whole blocks (with a crc32c tail under metadata_csum). Leaves map runs of file blocks to runs
 * of disk blocks (up to 32768; longer ee_len means preallocated, reading as zeros); index
 * entries point to the node covering file blocks from their key on.
 *
 * Lookups walk from the root keeping the path; every node read is checked (magic, counts,
 * depth exactly one below its parent, checksum, block numbers inside the file system), so a
 * corrupt tree gives -EIO, never a loop. Allocation extends the extent that ends just before
 * the new block when the disk block after it is free (sequential writes stay one extent), else
 * inserts a one-block extent; a full node is split (an append moves only the last entry, so
 * sequential files pack their nodes), a full root moves into a new block and the tree grows a
 * level. Truncation frees extents and emptied nodes from the end.
 */
#include "fs/ext2/ext2.h"

#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"

struct ext_level {
	struct ext4_extent_header *h;
	struct buf *b;              /* NULL: the root, in the inode */
	int pos;                    /* the entry chosen at this level; -1: before the first */
};

struct ext_path {
	int depth;
	struct ext_level lv[EXT4_EXT_MAX_DEPTH + 1];
};

#define ROOT_BYTES sizeof(((struct ext2_inode *)0)->i_block)

static struct ext4_extent *leaf_entries(struct ext4_extent_header *h) { return (struct ext4_extent *)(h + 1); }
static struct ext4_extent_idx *index_entries(struct ext4_extent_header *h) { return (struct ext4_extent_idx *)(h + 1); }
static uint64_t ext_start(const struct ext4_extent *e) { return e->ee_start_lo | (uint64_t)e->ee_start_hi << 32; }
static uint64_t idx_leaf(const struct ext4_extent_idx *i) { return i->ei_leaf_lo | (uint64_t)i->ei_leaf_hi << 32; }
static bool ext_uninit(const struct ext4_extent *e) { return e->ee_len > EXT4_EXT_INIT_MAX_LEN; }
static uint32_t ext_len(const struct ext4_extent *e)
{
	return ext_uninit(e) ? e->ee_len - EXT4_EXT_INIT_MAX_LEN : e->ee_len;
}

static struct ext4_extent_header *root_of(struct inode *inode)
{
	return (struct ext4_extent_header *)EXT2_I(inode)->raw.i_block;
}

/* Entries a tree block holds: its size less the header and the checksum tail. */
static uint16_t block_capacity(const struct ext2_fs *fs)
{
	return (uint16_t)((fs->g.block_size - sizeof(struct ext4_extent_header) - 4) / sizeof(struct ext4_extent));
}

/* Disk blocks [start, start + len) all inside the file system. */
static bool run_valid(const struct ext2_fs *fs, uint64_t start, uint64_t len)
{
	return len && start >= fs->g.first_data_block && start < fs->g.blocks_count &&
	       len <= fs->g.blocks_count - start;
}

void ext4_ext_init_inode(struct inode *inode)
{
	struct ext2_inode *raw = &EXT2_I(inode)->raw;
	memset(raw->i_block, 0, ROOT_BYTES);
	*root_of(inode) = (struct ext4_extent_header){
		.eh_magic = EXT4_EXT_MAGIC,
		.eh_max = (ROOT_BYTES - sizeof(struct ext4_extent_header)) / sizeof(struct ext4_extent),
	};
	raw->i_flags |= EXT4_EXTENTS_FL;
}

static void path_release(struct ext_path *p)
{
	for (int i = 1; i <= p->depth; i++) {
		brelse(p->lv[i].b);
		p->lv[i].b = NULL;
	}
}

static void node_dirty(struct ext2_fs *fs, struct inode *inode, struct buf *b)
{
	if (!b)
		return; /* the root: written with the inode */
	if (fs->g.csum)
		ext4_extent_csum_set(EXT2_I(inode)->csum_seed, b->data);
	bdirty(b);
}

/* A tree block below a node of depth parent_depth, read and checked. */
static struct buf *read_node(struct ext2_fs *fs, struct inode *inode, uint64_t blk, int parent_depth)
{
	if (!run_valid(fs, blk, 1))
		return ERR_PTR(-EIO);
	struct buf *b = bread(fs->bdev, blk, fs->g.block_size);
	if (IS_ERR(b))
		return b;
	if (ext4_check_extent_node(b->data, fs->g.block_size - 4, parent_depth - 1) < 0 ||
	    (fs->g.csum && !ext4_extent_csum_ok(EXT2_I(inode)->csum_seed, b->data))) {
		brelse(b);
		return ERR_PTR(-EIO);
	}
	return b;
}

/* The last entry of a node whose key is <= lblk (-1: none); -EIO when keys are not increasing. */
static int node_search(struct ext4_extent_header *h, uint32_t lblk, int *pos)
{
	*pos = -1;
	uint32_t prev = 0;
	for (int i = 0; i < h->eh_entries; i++) {
		uint32_t key = h->eh_depth ? index_entries(h)[i].ei_block : leaf_entries(h)[i].ee_block;
		if (i > 0 && key <= prev)
			return -EIO;
		prev = key;
		if (key <= lblk)
			*pos = i;
	}
	return 0;
}

/* The path from the root to the leaf that covers (or would cover) lblk. */
static int find_path(struct ext2_fs *fs, struct inode *inode, uint32_t lblk, struct ext_path *p)
{
	struct ext4_extent_header *h = root_of(inode);
	if (ext4_check_extent_node(h, ROOT_BYTES, -1) < 0)
		return -EIO;
	p->depth = h->eh_depth;
	for (int level = 0;; level++) {
		p->lv[level].h = h;
		if (level > 0)
			; /* lv[level].b set below by the parent */
		else
			p->lv[0].b = NULL;
		int err = node_search(h, lblk, &p->lv[level].pos);
		if (err) {
			p->depth = level;
			path_release(p);
			return err;
		}
		if (level == p->depth)
			return 0;
		if (!h->eh_entries) {
			p->depth = level;
			path_release(p);
			return -EIO; /* an empty index node */
		}
		if (p->lv[level].pos < 0)
			p->lv[level].pos = 0;
		struct buf *b = read_node(fs, inode, idx_leaf(&index_entries(h)[p->lv[level].pos]), h->eh_depth);
		if (IS_ERR(b)) {
			p->depth = level;
			path_release(p);
			return PTR_ERR(b);
		}
		p->lv[level + 1].b = b;
		h = b->data;
	}
}

/* A new zeroed block for data or a tree node, near goal, counted in i_blocks. */
static int64_t new_block(struct ext2_fs *fs, struct inode *inode, uint64_t goal)
{
	if (!run_valid(fs, goal, 1))
		goal = fs->g.first_data_block + ((inode->ino - 1) / fs->g.inodes_per_group) * fs->g.blocks_per_group;
	int64_t nb = ext2_alloc_block_near_locked(fs, (uint32_t)goal);
	if (nb < 0)
		return nb;
	struct buf *z = bget_zero(fs->bdev, (uint64_t)nb, fs->g.block_size);
	if (IS_ERR(z)) {
		ext2_free_block_locked(fs, (uint32_t)nb);
		return PTR_ERR(z);
	}
	bdirty(z);
	brelse(z);
	EXT2_I(inode)->raw.i_blocks += fs->g.block_size / 512;
	return nb;
}

static void drop_block(struct ext2_fs *fs, struct inode *inode, uint64_t blk)
{
	if (ext2_free_block_locked(fs, (uint32_t)blk) == 0 && EXT2_I(inode)->raw.i_blocks >= fs->g.block_size / 512)
		EXT2_I(inode)->raw.i_blocks -= fs->g.block_size / 512;
}

/* The root is full: its entries move to a new block below it and the tree grows a level. */
static int grow_root(struct ext2_fs *fs, struct inode *inode)
{
	struct ext4_extent_header *root = root_of(inode);
	if (root->eh_depth >= EXT4_EXT_MAX_DEPTH)
		return -EFBIG;
	int64_t nb = new_block(fs, inode, 0);
	if (nb < 0)
		return (int)nb;
	struct buf *b = bread(fs->bdev, (uint64_t)nb, fs->g.block_size);
	if (IS_ERR(b)) {
		drop_block(fs, inode, (uint64_t)nb);
		return PTR_ERR(b);
	}
	struct ext4_extent_header *h = b->data;
	*h = (struct ext4_extent_header){ .eh_magic = EXT4_EXT_MAGIC, .eh_entries = root->eh_entries,
					  .eh_max = block_capacity(fs), .eh_depth = root->eh_depth };
	memcpy(h + 1, root + 1, root->eh_entries * sizeof(struct ext4_extent));
	uint32_t first = root->eh_depth ? index_entries(root)[0].ei_block : leaf_entries(root)[0].ee_block;
	node_dirty(fs, inode, b);
	brelse(b);
	root->eh_depth++;
	root->eh_entries = 1;
	index_entries(root)[0] = (struct ext4_extent_idx){ .ei_block = first, .ei_leaf_lo = (uint32_t)nb };
	return 0;
}

/* Node L of the path is full and its parent is not: half of it (the last entry only when the
 * insertion point is its end) moves to a new node indexed in the parent. */
static int split(struct ext2_fs *fs, struct inode *inode, struct ext_path *p, int L)
{
	struct ext_level *n = &p->lv[L], *parent = &p->lv[L - 1];
	int entries = n->h->eh_entries;
	int keep = n->pos == entries - 1 ? entries - 1 : entries / 2;
	if (keep < 1 || keep >= entries)
		return -EIO;
	int64_t nb = new_block(fs, inode, 0);
	if (nb < 0)
		return (int)nb;
	struct buf *b = bread(fs->bdev, (uint64_t)nb, fs->g.block_size);
	if (IS_ERR(b)) {
		drop_block(fs, inode, (uint64_t)nb);
		return PTR_ERR(b);
	}
	struct ext4_extent_header *h = b->data;
	*h = (struct ext4_extent_header){ .eh_magic = EXT4_EXT_MAGIC, .eh_entries = (uint16_t)(entries - keep),
					  .eh_max = block_capacity(fs), .eh_depth = n->h->eh_depth };
	memcpy(h + 1, (struct ext4_extent *)(n->h + 1) + keep, (size_t)(entries - keep) * sizeof(struct ext4_extent));
	uint32_t first = h->eh_depth ? index_entries(h)[0].ei_block : leaf_entries(h)[0].ee_block;
	node_dirty(fs, inode, b);
	brelse(b);
	n->h->eh_entries = (uint16_t)keep;
	node_dirty(fs, inode, n->b);
	struct ext4_extent_idx *ix = index_entries(parent->h);
	int at = parent->pos + 1;
	memmove(&ix[at + 1], &ix[at], (size_t)(parent->h->eh_entries - at) * sizeof(*ix));
	ix[at] = (struct ext4_extent_idx){ .ei_block = first, .ei_leaf_lo = (uint32_t)nb };
	parent->h->eh_entries++;
	node_dirty(fs, inode, parent->b);
	return 0;
}

/* Inserts extent ex (a range mapped nowhere yet), splitting and growing as needed. */
static int insert_extent(struct ext2_fs *fs, struct inode *inode, const struct ext4_extent *ex)
{
	for (int tries = 0; tries < 4 * (EXT4_EXT_MAX_DEPTH + 1); tries++) {
		struct ext_path p;
		int err = find_path(fs, inode, ex->ee_block, &p);
		if (err)
			return err;
		struct ext_level *leaf = &p.lv[p.depth];
		if (leaf->h->eh_entries < leaf->h->eh_max) {
			struct ext4_extent *e = leaf_entries(leaf->h);
			int at = leaf->pos + 1;
			memmove(&e[at + 1], &e[at], (size_t)(leaf->h->eh_entries - at) * sizeof(*e));
			e[at] = *ex;
			leaf->h->eh_entries++;
			node_dirty(fs, inode, leaf->b);
			/* A new first key lower than the index keys above: lower them. */
			for (int level = p.depth - 1; at == 0 && level >= 0; level--) {
				struct ext4_extent_idx *ix = &index_entries(p.lv[level].h)[p.lv[level].pos];
				if (ix->ei_block > ex->ee_block) {
					ix->ei_block = ex->ee_block;
					node_dirty(fs, inode, p.lv[level].b);
				}
				at = p.lv[level].pos;
			}
			path_release(&p);
			return 0;
		}
		int L = p.depth;
		while (L > 0 && p.lv[L - 1].h->eh_entries >= p.lv[L - 1].h->eh_max)
			L--;
		err = L == 0 ? grow_root(fs, inode) : split(fs, inode, &p, L);
		path_release(&p);
		if (err)
			return err;
	}
	return -EIO;
}

/* Turns a preallocated extent into a written one: its blocks are zeroed first. */
static int init_extent(struct ext2_fs *fs, struct inode *inode, struct ext_level *leaf, struct ext4_extent *e)
{
	for (uint32_t i = 0; i < ext_len(e); i++) {
		struct buf *z = bget_zero(fs->bdev, ext_start(e) + i, fs->g.block_size);
		if (IS_ERR(z))
			return PTR_ERR(z);
		bdirty(z);
		brelse(z);
	}
	e->ee_len = (uint16_t)ext_len(e);
	node_dirty(fs, inode, leaf->b);
	return 0;
}

int64_t ext4_ext_map_locked(struct ext2_fs *fs, struct inode *inode, uint64_t lblk64, bool create)
{
	if (lblk64 >= 0xffffffffull)
		return -EFBIG;
	uint32_t lblk = (uint32_t)lblk64;
	struct ext_path p;
	int err = find_path(fs, inode, lblk, &p);
	if (err)
		return err;
	struct ext_level *leaf = &p.lv[p.depth];
	struct ext4_extent *e = leaf->pos >= 0 ? &leaf_entries(leaf->h)[leaf->pos] : NULL;
	uint64_t goal = 0;
	if (e) {
		uint32_t len = ext_len(e);
		if (!run_valid(fs, ext_start(e), len)) {
			path_release(&p);
			return -EIO;
		}
		uint64_t phys = ext_start(e) + (lblk - e->ee_block);
		if (lblk - e->ee_block < len) {
			int64_t ret = (int64_t)phys;
			if (ext_uninit(e))
				ret = create ? init_extent(fs, inode, leaf, e) : 0;
			if (ret == 0 && create)
				ret = (int64_t)phys;
			path_release(&p);
			return ret;
		}
		goal = phys;
	}
	if (!create) {
		path_release(&p);
		return 0;
	}
	int64_t nb = new_block(fs, inode, goal);
	if (nb < 0) {
		path_release(&p);
		return nb;
	}
	/* Right after the previous extent on disk too: it just grows. */
	if (e && !ext_uninit(e) && e->ee_block + (uint64_t)e->ee_len == lblk &&
	    ext_start(e) + e->ee_len == (uint64_t)nb && e->ee_len < EXT4_EXT_INIT_MAX_LEN) {
		e->ee_len++;
		node_dirty(fs, inode, leaf->b);
		path_release(&p);
		return nb;
	}
	path_release(&p);
	struct ext4_extent ex = { .ee_block = lblk, .ee_len = 1, .ee_start_lo = (uint32_t)nb };
	err = insert_extent(fs, inode, &ex);
	if (err) {
		drop_block(fs, inode, (uint64_t)nb);
		return err;
	}
	return nb;
}

/* Frees what node h (of the given depth) maps from file block `from` on; entries wholly past
 * it go, a straddling extent shrinks. Emptied child nodes are freed and dropped. */
static int trunc_node(struct ext2_fs *fs, struct inode *inode, struct ext4_extent_header *h, uint32_t from)
{
	int err = 0;
	if (h->eh_depth == 0) {
		struct ext4_extent *e = leaf_entries(h);
		for (int i = h->eh_entries - 1; i >= 0; i--) {
			uint32_t len = ext_len(&e[i]);
			uint64_t start = ext_start(&e[i]);
			if ((uint64_t)e[i].ee_block + len <= from)
				break;
			uint32_t keep = e[i].ee_block >= from ? 0 : from - e[i].ee_block;
			if (run_valid(fs, start, len)) {
				for (uint32_t k = keep; k < len; k++)
					drop_block(fs, inode, start + k);
			} else {
				err = -EIO; /* garbage: forget it rather than free someone else's blocks */
			}
			if (keep) {
				e[i].ee_len = (uint16_t)(keep + (ext_uninit(&e[i]) ? EXT4_EXT_INIT_MAX_LEN : 0));
				break;
			}
			h->eh_entries--; /* the last entry: nothing to move */
		}
		return err;
	}
	struct ext4_extent_idx *ix = index_entries(h);
	for (int i = h->eh_entries - 1; i >= 0; i--) {
		struct buf *b = read_node(fs, inode, idx_leaf(&ix[i]), h->eh_depth);
		if (IS_ERR(b))
			return PTR_ERR(b);
		struct ext4_extent_header *child = b->data;
		int r = trunc_node(fs, inode, child, from);
		if (r && !err)
			err = r;
		bool empty = child->eh_entries == 0;
		node_dirty(fs, inode, b);
		brelse(b);
		if (empty) {
			drop_block(fs, inode, idx_leaf(&ix[i]));
			h->eh_entries--;
		}
		if (ix[i].ei_block < from)
			break;
	}
	return err;
}

int ext4_ext_truncate_locked(struct ext2_fs *fs, struct inode *inode, uint64_t from)
{
	struct ext4_extent_header *root = root_of(inode);
	if (ext4_check_extent_node(root, ROOT_BYTES, -1) < 0)
		return -EIO;
	if (from >= 0xffffffffull)
		return 0;
	int err = trunc_node(fs, inode, root, (uint32_t)from);
	if (root->eh_depth && !root->eh_entries)
		root->eh_depth = 0; /* everything went: back to an empty leaf in the inode */
	return err;
}
