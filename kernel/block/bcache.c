/*
 * The buffer cache: block-sized pieces of disks, found by (disk, sector, size) in a hash table,
 * shared by every user, kept on an LRU list and written back by bwrite/bsync (dirty buffers
 * are never evicted; when too many are dirty, bread writes them back first).
 *
 * Locking: bcache_lock (a mutex) guards the hash, the LRU list and reference counts; a buffer's
 * io_lock is held while it is read in, so two readers of the same block do one read. Buffer
 * contents belong to the file system using them (ext2 serialises with its own lock).
 */
#include "block/block.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "sched/wait.h"

#define BCACHE_HASH 1024
#define BCACHE_MAX_BUFS 8192 /* beyond this, unreferenced clean buffers are evicted */

static struct mutex bcache_lock = MUTEX_INIT;
static struct buf *hash[BCACHE_HASH];
static struct buf lru = { .lru_prev = &lru, .lru_next = &lru }; /* most recent at lru_next */
static unsigned nr_bufs, nr_dirty;

static unsigned hash_of(struct block_device *disk, uint64_t sector)
{
	uint64_t h = (uint64_t)(uintptr_t)disk ^ (sector * 0x9e3779b97f4a7c15ull);
	return (unsigned)((h >> 32) ^ h) % BCACHE_HASH;
}

static void lru_unlink(struct buf *b)
{
	b->lru_prev->lru_next = b->lru_next;
	b->lru_next->lru_prev = b->lru_prev;
}

static void lru_push_front(struct buf *b)
{
	b->lru_next = lru.lru_next;
	b->lru_prev = &lru;
	lru.lru_next->lru_prev = b;
	lru.lru_next = b;
}

static void hash_unlink(struct buf *b)
{
	struct buf **pp = &hash[hash_of(b->disk, b->sector)];
	while (*pp && *pp != b)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = b->hash_next;
}

static void free_buf(struct buf *b)
{
	hash_unlink(b);
	lru_unlink(b);
	kfree(b->data);
	kfree(b);
	nr_bufs--;
}

/* The cap: BCACHE_MAX_BUFS, or an eighth of RAM's pages on a small machine (file data is
 * cached once more above, in the page cache). */
static unsigned max_bufs(void)
{
	uint64_t cap = pmm_total_count() / 8;
	return cap < BCACHE_MAX_BUFS ? (unsigned)cap : BCACHE_MAX_BUFS;
}

/* Evicts unreferenced clean buffers from the cold end down to limit. bcache_lock held. */
static void shrink_to(unsigned limit)
{
	for (struct buf *b = lru.lru_prev; b != &lru && nr_bufs > limit;) {
		struct buf *prev = b->lru_prev;
		if (!b->refcount && !b->dirty)
			free_buf(b);
		b = prev;
	}
}

static void shrink(void)
{
	shrink_to(max_bufs());
}

/* The cached buffer or a new invalid one, with a reference; NULL on no memory. */
static struct buf *getblk(struct block_device *bdev, uint64_t block, uint32_t size, int *err)
{
	*err = 0;
	if (size < SECTOR_SIZE || size > 4096 || size % SECTOR_SIZE) {
		*err = -EINVAL;
		return NULL;
	}
	uint32_t per = size / SECTOR_SIZE;
	if (block >= bdev->nr_sectors / per) {
		*err = -EIO; /* past the end of the device (a corrupt block number) */
		return NULL;
	}
	struct block_device *disk = bdev->whole;
	uint64_t sector = bdev->start + block * per;
	mutex_lock(&bcache_lock);
	for (struct buf *b = hash[hash_of(disk, sector)]; b; b = b->hash_next) {
		if (b->disk == disk && b->sector == sector && b->size == size) {
			b->refcount++;
			lru_unlink(b);
			lru_push_front(b);
			mutex_unlock(&bcache_lock);
			return b;
		}
	}
	struct buf *b = kzalloc(sizeof(*b));
	void *data = kmalloc(size);
	if (!b || !data) { /* out of memory: give back every clean buffer, then try once more */
		kfree(b);
		kfree(data);
		shrink_to(0);
		b = kzalloc(sizeof(*b));
		data = kmalloc(size);
	}
	if (!b || !data) {
		mutex_unlock(&bcache_lock);
		kfree(b);
		kfree(data);
		*err = -ENOMEM;
		return NULL;
	}
	b->disk = disk;
	b->sector = sector;
	b->size = size;
	b->data = data;
	b->refcount = 1;
	mutex_init(&b->io_lock);
	unsigned h = hash_of(disk, sector);
	b->hash_next = hash[h];
	hash[h] = b;
	lru_push_front(b);
	nr_bufs++;
	shrink();
	mutex_unlock(&bcache_lock);
	return b;
}

struct buf *bread(struct block_device *bdev, uint64_t block, uint32_t size)
{
	int err;
	if (nr_dirty > max_bufs() / 2)
		bsync(bdev);
	struct buf *b = getblk(bdev, block, size, &err);
	if (!b)
		return ERR_PTR(err);
	if (__atomic_load_n(&b->valid, __ATOMIC_ACQUIRE))
		return b;
	mutex_lock(&b->io_lock);
	if (!b->valid) {
		err = blk_rw(b->disk, BLK_READ, b->sector, size / SECTOR_SIZE, b->data);
		if (!err)
			__atomic_store_n(&b->valid, true, __ATOMIC_RELEASE);
	}
	mutex_unlock(&b->io_lock);
	if (err) {
		brelse(b);
		return ERR_PTR(err);
	}
	return b;
}

struct buf *bget_zero(struct block_device *bdev, uint64_t block, uint32_t size)
{
	int err;
	if (nr_dirty > max_bufs() / 2) /* page-cache write-back arrives here: as bread does */
		bsync(bdev);
	struct buf *b = getblk(bdev, block, size, &err);
	if (!b)
		return ERR_PTR(err);
	mutex_lock(&b->io_lock);
	memset(b->data, 0, size);
	__atomic_store_n(&b->valid, true, __ATOMIC_RELEASE);
	mutex_unlock(&b->io_lock);
	return b;
}

void bdirty(struct buf *b)
{
	mutex_lock(&bcache_lock);
	if (!b->dirty)
		nr_dirty++;
	b->dirty = true;
	mutex_unlock(&bcache_lock);
}

void brelse(struct buf *b)
{
	if (!b)
		return;
	mutex_lock(&bcache_lock);
	b->refcount--;
	mutex_unlock(&bcache_lock);
}

int bwrite(struct buf *b)
{
	mutex_lock(&b->io_lock);
	int err = 0;
	if (b->dirty) {
		/* Cleared first: a write racing with this one re-dirties the buffer. */
		mutex_lock(&bcache_lock);
		b->dirty = false;
		nr_dirty--;
		mutex_unlock(&bcache_lock);
		err = blk_rw(b->disk, BLK_WRITE, b->sector, b->size / SECTOR_SIZE, b->data);
		if (err)
			bdirty(b);
	}
	mutex_unlock(&b->io_lock);
	return err;
}

struct batch {
	struct completion done;
	int error;
};

static void batch_end(struct bio *bio)
{
	struct batch *bt = bio->private;
	if (bio->status)
		bt->error = bio->status;
	complete(&bt->done);
}

/* Writes up to n dirty buffers as one plugged batch (they merge into large requests). */
static int write_batch(struct block_device *disk, struct buf **bufs, unsigned n)
{
	static struct bio bios[64]; /* FIXME: one writer at a time; bsync_lock below */
	struct batch bt = { .error = 0 };
	completion_init(&bt.done);
	unsigned sent = 0;
	blk_plug(disk);
	for (unsigned i = 0; i < n; i++) {
		struct buf *b = bufs[i];
		mutex_lock(&b->io_lock);
		mutex_lock(&bcache_lock);
		bool dirty = b->dirty;
		if (dirty) {
			b->dirty = false;
			nr_dirty--;
		}
		mutex_unlock(&bcache_lock);
		if (!dirty) {
			mutex_unlock(&b->io_lock);
			bufs[i] = NULL;
			continue;
		}
		bios[i] = (struct bio){ .bdev = disk, .op = BLK_WRITE, .sector = b->sector,
					.nr_sectors = b->size / SECTOR_SIZE, .buf = b->data,
					.end_io = batch_end, .private = &bt };
		blk_submit_bio(&bios[i]);
		sent++;
	}
	blk_unplug(disk);
	for (unsigned i = 0; i < sent; i++)
		wait_for_completion(&bt.done);
	for (unsigned i = 0; i < n; i++) {
		if (!bufs[i])
			continue;
		if (bios[i].status)
			bdirty(bufs[i]);
		mutex_unlock(&bufs[i]->io_lock);
	}
	return bt.error;
}

static struct mutex bsync_lock = MUTEX_INIT;

int bsync(struct block_device *bdev)
{
	struct block_device *disk = bdev->whole;
	int err = 0;
	mutex_lock(&bsync_lock);
	for (;;) {
		struct buf *batch[64];
		unsigned n = 0;
		mutex_lock(&bcache_lock);
		for (struct buf *b = lru.lru_next; b != &lru && n < 64; b = b->lru_next) {
			if (b->disk == disk && b->dirty) {
				b->refcount++;
				batch[n++] = b;
			}
		}
		mutex_unlock(&bcache_lock);
		if (!n)
			break;
		struct buf *keep[64];
		memcpy(keep, batch, sizeof(keep[0]) * n);
		err = write_batch(disk, batch, n);
		for (unsigned i = 0; i < n; i++)
			brelse(keep[i]);
		if (err)
			break;
	}
	mutex_unlock(&bsync_lock);
	int e = blk_flush(disk);
	return err ? err : e == -ENOTSUP ? 0 : e;
}

void bcache_forget(struct block_device *disk)
{
	mutex_lock(&bcache_lock);
	for (struct buf *b = lru.lru_next; b != &lru;) {
		struct buf *next = b->lru_next;
		if (b->disk == disk) {
			if (b->dirty)
				nr_dirty--;
			free_buf(b);
		}
		b = next;
	}
	mutex_unlock(&bcache_lock);
}

unsigned bcache_dirty_count(void)
{
	return __atomic_load_n(&nr_dirty, __ATOMIC_RELAXED);
}

void binvalidate(struct block_device *bdev)
{
	struct block_device *disk = bdev->whole;
	mutex_lock(&bcache_lock);
	for (struct buf *b = lru.lru_next; b != &lru;) {
		struct buf *next = b->lru_next;
		if (b->disk == disk && !b->refcount && !b->dirty)
			free_buf(b);
		b = next;
	}
	mutex_unlock(&bcache_lock);
}

/*
 * Before O_DIRECT I/O to sectors [sector, sector + nr) of disk: the dirty buffers there are
 * written first (a direct read must see them; written later, they would undo a direct write),
 * and for a write the cached copies there are dropped (they would be stale). A buffer still in
 * use is only marked invalid: its next bread reads the disk again.
 */
int bcache_direct_range(struct block_device *disk, uint64_t sector, uint64_t nr, bool write)
{
	int err = 0;
	for (;;) {
		struct buf *batch[64];
		unsigned n = 0;
		mutex_lock(&bcache_lock);
		for (struct buf *b = lru.lru_next; b != &lru;) {
			struct buf *next = b->lru_next;
			bool overlaps = b->disk == disk && b->sector < sector + nr &&
					sector < b->sector + b->size / SECTOR_SIZE;
			if (overlaps && b->dirty && n < 64) {
				b->refcount++;
				batch[n++] = b;
			} else if (overlaps && write && !b->dirty) {
				if (b->refcount)
					__atomic_store_n(&b->valid, false, __ATOMIC_RELEASE);
				else
					free_buf(b);
			}
			b = next;
		}
		mutex_unlock(&bcache_lock);
		if (!n)
			return err;
		for (unsigned i = 0; i < n; i++) {
			int e = bwrite(batch[i]);
			if (e && !err)
				err = e;
			brelse(batch[i]);
		}
		if (err)
			return err;
	}
}
