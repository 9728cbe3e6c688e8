/*
 * The page cache (see page_cache.h): a hash of pages per file, dirty tracking, write-back by
 * fsync/sync and by a flusher thread, and shrinking of clean pages under memory pressure.
 */
#include "mm/page_cache.h"

#include "console/console.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "sched/sched.h"
#include "time/clock.h"

struct pcache_page {
	uint64_t index;
	struct page *page;          /* the cache's reference; mappings hold more */
	bool dirty;
	bool mapped_write;          /* mapped writable by a process: may change under us */
	uint64_t since;             /* when it became dirty, or was last written while mapped */
	struct pcache_page *next;   /* hash chain */
};

/* Every cache, for sync and the flusher; taken before any pc->lock, or only tried. */
static struct mutex list_lock = MUTEX_INIT;
static struct pcache *caches;
static uint64_t nr_caches;
static uint64_t st_pages, st_dirty, st_reads, st_writebacks, st_shrunk;
static bool flusher_started;
static void start_flusher(void);
static int writeback_locked(struct pcache *pc, bool all);

static void stat_add(uint64_t *c, int64_t d) { __atomic_add_fetch(c, (uint64_t)d, __ATOMIC_RELAXED); }

static unsigned bucket(uint64_t index) { return (unsigned)(index % PCACHE_BUCKETS); }

static struct pcache_page *lookup(struct pcache *pc, uint64_t index)
{
	for (struct pcache_page *p = pc->buckets[bucket(index)]; p; p = p->next)
		if (p->index == index)
			return p;
	return NULL;
}

static void set_dirty(struct pcache *pc, struct pcache_page *p)
{
	if (p->dirty)
		return;
	p->dirty = true;
	p->since = clock_monotonic_ns();
	pc->nr_dirty++;
	stat_add(&st_dirty, 1);
}

static void clear_dirty(struct pcache *pc, struct pcache_page *p)
{
	if (!p->dirty)
		return;
	p->dirty = false;
	pc->nr_dirty--;
	stat_add(&st_dirty, -1);
}

/* Unhooks p from its chain (prev: the entry before it, or NULL) and drops the cache's reference. */
static void remove_page(struct pcache *pc, struct pcache_page *p, struct pcache_page *prev)
{
	if (prev)
		prev->next = p->next;
	else
		pc->buckets[bucket(p->index)] = p->next;
	clear_dirty(pc, p);
	page_ref_put(p->page);
	kfree(p);
	pc->nr_pages--;
	stat_add(&st_pages, -1);
}

/* Frees up to want clean pages of pc that no process maps. pc->lock held. */
static uint64_t shrink_locked(struct pcache *pc, uint64_t want)
{
	uint64_t freed = 0;
	for (unsigned b = 0; b < PCACHE_BUCKETS && freed < want; b++) {
		struct pcache_page *prev = NULL, *p = pc->buckets[b];
		while (p && freed < want) {
			struct pcache_page *next = p->next;
			if (!p->dirty && !p->mapped_write && p->page->refcount == 1) {
				remove_page(pc, p, prev);
				freed++;
			} else {
				prev = p;
			}
			p = next;
		}
	}
	stat_add(&st_shrunk, (int64_t)freed);
	return freed;
}

/* A new page for pc (locked): when memory runs low, clean pages go first — other files'
 * (pcache_shrink skips pc, whose lock we hold), then pc's own. */
static struct page *alloc_cache_page(struct pcache *pc)
{
	if (pmm_free_count() < pmm_total_count() / 16 + 64 && pcache_shrink(64) < 64)
		shrink_locked(pc, 64);
	struct page *pg = pmm_alloc_pages(0, 0);
	if (!pg && (pcache_shrink(256) || shrink_locked(pc, 256)))
		pg = pmm_alloc_pages(0, 0);
	return pg;
}

/* The cached page at index, read in with readpage when absent (fill false: zeroed, the caller
 * overwrites all of it). pc->lock held. */
static int find_page(struct pcache *pc, uint64_t index, bool fill, struct pcache_page **out)
{
	struct pcache_page *p = lookup(pc, index);
	if (p) {
		*out = p;
		return 0;
	}
	p = kzalloc(sizeof(*p));
	struct page *pg = p ? alloc_cache_page(pc) : NULL;
	if (!pg) {
		kfree(p);
		return -ENOMEM;
	}
	void *va = page_to_virt(pg);
	if (fill) {
		int err = pc->ops->readpage(pc->inode, index, va);
		if (err) {
			page_ref_put(pg);
			kfree(p);
			return err;
		}
		stat_add(&st_reads, 1);
	} else {
		memset(va, 0, PAGE_SIZE);
	}
	p->index = index;
	p->page = pg;
	p->next = pc->buckets[bucket(index)];
	pc->buckets[bucket(index)] = p;
	pc->nr_pages++;
	stat_add(&st_pages, 1);
	*out = p;
	return 0;
}

/* Writes p back if it is dirty or mapped writable. pc->lock held. */
static int write_page(struct pcache *pc, struct pcache_page *p)
{
	uint64_t size = pc->inode->size, start = p->index * PAGE_SIZE;
	bool mapped = p->page->refcount > 1;
	if (!p->dirty && !p->mapped_write)
		return 0;
	if (start >= size) { /* past the end (a truncate raced a mapping): nothing to keep */
		clear_dirty(pc, p);
		p->mapped_write = mapped && p->mapped_write;
		return 0;
	}
	clear_dirty(pc, p);
	if (!mapped)
		p->mapped_write = false; /* the last mapping is gone: this write is its last */
	p->since = clock_monotonic_ns();
	int err = pc->ops->writepage(pc->inode, p->index, page_to_virt(p->page),
				     (size_t)MIN((uint64_t)PAGE_SIZE, size - start));
	stat_add(&st_writebacks, 1);
	if (err) {
		set_dirty(pc, p); /* try again later */
		if (!pc->error)
			pc->error = err;
	}
	return err;
}

struct pcache *pcache_create(struct inode *inode, const struct pcache_ops *ops)
{
	struct pcache *pc = kzalloc(sizeof(*pc));
	if (!pc)
		return NULL;
	pc->inode = inode;
	pc->ops = ops;
	mutex_init(&pc->lock);
	mutex_lock(&list_lock);
	pc->next = caches;
	if (caches)
		caches->prev = pc;
	caches = pc;
	nr_caches++;
	mutex_unlock(&list_lock);
	if (!__atomic_load_n(&flusher_started, __ATOMIC_ACQUIRE))
		start_flusher();
	return pc;
}

void pcache_destroy(struct pcache *pc, bool write_back)
{
	if (!pc)
		return;
	mutex_lock(&list_lock);
	if (pc->prev)
		pc->prev->next = pc->next;
	else
		caches = pc->next;
	if (pc->next)
		pc->next->prev = pc->prev;
	nr_caches--;
	mutex_unlock(&list_lock);
	mutex_lock(&pc->lock);
	for (unsigned b = 0; b < PCACHE_BUCKETS; b++) {
		while (pc->buckets[b]) {
			struct pcache_page *p = pc->buckets[b];
			if (write_back)
				write_page(pc, p);
			remove_page(pc, p, NULL);
		}
	}
	if (pc->error)
		pr_warn("pcache: inode %llu: data lost at eviction (%d)\n", (unsigned long long)pc->inode->ino,
			pc->error);
	mutex_unlock(&pc->lock);
	kfree(pc);
}

ssize_t pcache_read(struct pcache *pc, void *buf, size_t len, uint64_t pos)
{
	size_t done = 0;
	int err = 0;
	mutex_lock(&pc->lock);
	while (done < len) {
		uint64_t index = pos / PAGE_SIZE;
		size_t off = (size_t)(pos % PAGE_SIZE), n = MIN((size_t)PAGE_SIZE - off, len - done);
		struct pcache_page *p;
		if ((err = find_page(pc, index, true, &p)))
			break;
		memcpy((uint8_t *)buf + done, (uint8_t *)page_to_virt(p->page) + off, n);
		done += n;
		pos += n;
	}
	mutex_unlock(&pc->lock);
	return done ? (ssize_t)done : err;
}

ssize_t pcache_write(struct pcache *pc, const void *buf, size_t len, uint64_t pos)
{
	size_t done = 0;
	int err = 0;
	mutex_lock(&pc->lock);
	while (done < len) {
		uint64_t index = pos / PAGE_SIZE;
		size_t off = (size_t)(pos % PAGE_SIZE), n = MIN((size_t)PAGE_SIZE - off, len - done);
		if (pc->ops->prepare_write && (err = pc->ops->prepare_write(pc->inode, pos, n)))
			break;
		/* A page written whole need not be read first; one wholly past the old end neither. */
		bool whole = n == PAGE_SIZE || index * PAGE_SIZE >= pc->inode->size;
		struct pcache_page *p;
		if ((err = find_page(pc, index, !whole, &p)))
			break;
		memcpy((uint8_t *)page_to_virt(p->page) + off, (const uint8_t *)buf + done, n);
		set_dirty(pc, p);
		done += n;
		pos += n;
		if (pos > pc->inode->size)
			pc->inode->size = pos; /* the file system writes the inode itself */
		/* Too much dirty memory (dirty pages cannot be shrunk): the writer pays, writing its
		 * own file back now (Linux's balance_dirty_pages, simplified). */
		if (__atomic_load_n(&st_dirty, __ATOMIC_RELAXED) > pmm_total_count() / PCACHE_DIRTY_RATIO)
			writeback_locked(pc, true);
	}
	mutex_unlock(&pc->lock);
	return done ? (ssize_t)done : err;
}

int pcache_get_page(struct pcache *pc, uint64_t index, paddr_t *pa)
{
	mutex_lock(&pc->lock);
	struct pcache_page *p;
	int err = -ENXIO;
	if (index < (pc->inode->size + PAGE_SIZE - 1) / PAGE_SIZE && !(err = find_page(pc, index, true, &p))) {
		page_ref_get(p->page);
		*pa = page_to_phys(p->page);
	}
	mutex_unlock(&pc->lock);
	return err;
}

void pcache_mapped_write(struct pcache *pc, uint64_t index)
{
	mutex_lock(&pc->lock);
	struct pcache_page *p = lookup(pc, index);
	if (p && !p->mapped_write) {
		p->mapped_write = true;
		p->since = clock_monotonic_ns();
	}
	mutex_unlock(&pc->lock);
}

/* Writes back what is due: everything (all), or what has waited PCACHE_DIRTY_EXPIRE_NS. */
static int writeback_locked(struct pcache *pc, bool all)
{
	uint64_t now = clock_monotonic_ns();
	int first = 0;
	for (unsigned b = 0; b < PCACHE_BUCKETS; b++) {
		for (struct pcache_page *p = pc->buckets[b]; p; p = p->next) {
			if (!all && now - p->since < PCACHE_DIRTY_EXPIRE_NS)
				continue;
			int err = write_page(pc, p);
			if (err && !first)
				first = err;
		}
	}
	return first;
}

int pcache_writeback(struct pcache *pc)
{
	mutex_lock(&pc->lock);
	writeback_locked(pc, true);
	int err = pc->error; /* this pass's error or an earlier background one, reported once */
	pc->error = 0;
	mutex_unlock(&pc->lock);
	return err;
}

void pcache_truncate(struct pcache *pc, uint64_t size)
{
	/* Mappings of these pages keep them (vfs_setattr unmaps them after: SIGBUS). */
	mutex_lock(&pc->lock);
	uint64_t keep = (size + PAGE_SIZE - 1) / PAGE_SIZE; /* pages [0, keep) stay */
	for (unsigned b = 0; b < PCACHE_BUCKETS; b++) {
		struct pcache_page *prev = NULL, *p = pc->buckets[b];
		while (p) {
			struct pcache_page *next = p->next;
			if (p->index >= keep)
				remove_page(pc, p, prev);
			else
				prev = p;
			p = next;
		}
	}
	/* Growing again later must read zeros past the old end, in the cache as on disk. */
	struct pcache_page *last = size % PAGE_SIZE ? lookup(pc, size / PAGE_SIZE) : NULL;
	if (last)
		memset((uint8_t *)page_to_virt(last->page) + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	mutex_unlock(&pc->lock);
}

static int sync_matching(struct super_block *sb)
{
	int first = 0;
	mutex_lock(&list_lock);
	for (struct pcache *pc = caches; pc; pc = pc->next) {
		if (sb && pc->inode->sb != sb)
			continue;
		mutex_lock(&pc->lock);
		int err = writeback_locked(pc, true);
		mutex_unlock(&pc->lock);
		if (err && !first)
			first = err;
	}
	mutex_unlock(&list_lock);
	return first;
}

int pcache_sync_all(void) { return sync_matching(NULL); }
int pcache_sync_sb(struct super_block *sb) { return sync_matching(sb); }

uint64_t pcache_shrink(uint64_t want)
{
	uint64_t freed = 0;
	if (!mutex_trylock(&list_lock))
		return 0;
	for (struct pcache *pc = caches; pc && freed < want; pc = pc->next) {
		if (!mutex_trylock(&pc->lock))
			continue;
		freed += shrink_locked(pc, want - freed);
		mutex_unlock(&pc->lock);
	}
	mutex_unlock(&list_lock);
	return freed;
}

void pcache_get_stats(struct pcache_stats *st)
{
	st->pages = __atomic_load_n(&st_pages, __ATOMIC_RELAXED);
	st->dirty = __atomic_load_n(&st_dirty, __ATOMIC_RELAXED);
	st->caches = __atomic_load_n(&nr_caches, __ATOMIC_RELAXED);
	st->reads = __atomic_load_n(&st_reads, __ATOMIC_RELAXED);
	st->writebacks = __atomic_load_n(&st_writebacks, __ATOMIC_RELAXED);
	st->shrunk = __atomic_load_n(&st_shrunk, __ATOMIC_RELAXED);
}

/* Every PCACHE_FLUSH_INTERVAL_NS: pages dirty for longer than the expiry go to the file system
 * (whose buffers the block layer's flusher then writes within its own 5 s). */
static void flusher(void *arg)
{
	(void)arg;
	for (;;) {
		thread_sleep_ns(PCACHE_FLUSH_INTERVAL_NS);
		mutex_lock(&list_lock);
		for (struct pcache *pc = caches; pc; pc = pc->next) {
			if (!pc->nr_dirty && !pc->nr_pages)
				continue;
			mutex_lock(&pc->lock);
			writeback_locked(pc, false);
			mutex_unlock(&pc->lock);
		}
		mutex_unlock(&list_lock);
	}
}

static void start_flusher(void)
{
	static struct mutex start_lock = MUTEX_INIT;
	mutex_lock(&start_lock);
	if (!flusher_started) {
		struct thread *t = thread_create("pcflush", flusher, NULL, NULL);
		if (t) {
			thread_detach(t);
			__atomic_store_n(&flusher_started, true, __ATOMIC_RELEASE);
		}
	}
	mutex_unlock(&start_lock);
}
