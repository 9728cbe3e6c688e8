/*
 * The page cache: each regular file's contents in whole pages, indexed by file offset, shared
 * by read(), write() and mmap (a MAP_SHARED mapping maps the cache page itself). A file system
 * plugs in with struct pcache_ops (fill a page, write a page back, reserve blocks before a
 * write); the cache tracks dirty pages and writes them back on fsync/sync/syncfs/umount and
 * from a flusher thread once they have been dirty for PCACHE_DIRTY_EXPIRE_NS. Clean pages that
 * no process maps are freed when free memory runs low (pcache_shrink).
 *
 * Locking: pc->lock covers the index and every page's flags and contents changes made through
 * the cache; the file system's ops are called with it held (so the order is pc->lock, then the
 * file system's own lock). A process's mm->lock may be held around pcache_get_page. The list of
 * all caches has its own lock, taken before any pc->lock (the flusher), or only tried.
 */
#pragma once

#include "fs/vfs.h"
#include "lib/types.h"
#include "sched/wait.h"

#define PCACHE_DIRTY_EXPIRE_NS (30ull * 1000 * 1000 * 1000) /* Linux's dirty_expire_centisecs */
#define PCACHE_FLUSH_INTERVAL_NS (5ull * 1000 * 1000 * 1000)
#define PCACHE_BUCKETS 64
#define PCACHE_DIRTY_RATIO 5 /* a writer writes back once 1/5 of RAM is dirty (Linux: 20%) */

struct pcache_ops {
	/* Fills buf (one page) with the file's bytes at page index: zeros for holes and past the end. */
	int (*readpage)(struct inode *inode, uint64_t index, void *buf);
	/* Writes the first len bytes of buf (page index) to the file's blocks, allocating any missing. */
	int (*writepage)(struct inode *inode, uint64_t index, const void *buf, size_t len);
	/* Optional: makes room for len bytes at pos before a write() copies them in, so that
	 * -ENOSPC is reported by write() rather than at write-back. */
	int (*prepare_write)(struct inode *inode, uint64_t pos, size_t len);
};

struct pcache_page;

struct pcache {
	struct inode *inode;
	const struct pcache_ops *ops;
	struct mutex lock;
	struct pcache_page *buckets[PCACHE_BUCKETS];
	uint64_t nr_pages, nr_dirty;
	int error;                  /* the first write-back error not yet reported by fsync */
	struct pcache *next, *prev; /* every cache (for sync and the flusher) */
};

/* A cache for inode (one per inode, kept by the file system); NULL without memory. */
struct pcache *pcache_create(struct inode *inode, const struct pcache_ops *ops);
/* Writes back dirty pages (when write_back) and frees the cache; pages processes still map
 * stay theirs. Called once no file refers to the inode. */
void pcache_destroy(struct pcache *pc, bool write_back);

/* read(): len bytes at pos (the caller clamps to the file size); the count or -errno. */
ssize_t pcache_read(struct pcache *pc, void *buf, size_t len, uint64_t pos);
/* write(): copies into cache pages (prepare_write first), marks them dirty; count or -errno. */
ssize_t pcache_write(struct pcache *pc, const void *buf, size_t len, uint64_t pos);
/* mmap: the cache page at index with a new page reference. */
int pcache_get_page(struct pcache *pc, uint64_t index, paddr_t *pa);
/* A process mapped page index writable: it is written back while mapped (no dirty bits yet). */
void pcache_mapped_write(struct pcache *pc, uint64_t index);
/* Writes every dirty page (and every page mapped writable) back: 0 or the first error,
 * including an earlier background write-back error (reported once, as fsync does). */
int pcache_writeback(struct pcache *pc);
/* truncate: drops the pages past size and zeroes the tail of the last one. */
void pcache_truncate(struct pcache *pc, uint64_t size);

/* Every cache (sync(2)), or those of one file system (syncfs, umount): 0 or the first error. */
int pcache_sync_all(void);
int pcache_sync_sb(struct super_block *sb);
/* Frees up to want clean pages no process maps; returns how many were freed. Never blocks on
 * a cache's lock, so it may be called from allocation paths. */
uint64_t pcache_shrink(uint64_t want);

struct pcache_stats {
	uint64_t pages, dirty, caches;
	uint64_t reads, writebacks, shrunk; /* pages filled, written back, freed by pcache_shrink */
};
void pcache_get_stats(struct pcache_stats *st);
