/*
 * The kernel heap: object caches (slabs) and kmalloc on top of them. A cache hands out objects
 * of one size from slabs of 2^order pages; kmalloc picks a size-class cache, and requests
 * larger than the biggest class go straight to the page allocator.
 *
 * Debugging (per cache with SLAB_DEBUG, or for every cache when slab_debug_default is set by
 * the MM_DEBUG build option or the slab_debug command-line option): freed objects are poisoned
 * and checked on reuse (use after free), red zones around each object are checked on free
 * (overflow), a second free is caught (double free); each report names the call site.
 */
#pragma once

#include "lib/types.h"

#define SLAB_DEBUG   (1u << 0)
#define KMALLOC_MAX_CACHE_SIZE 8192 /* bigger kmallocs take whole pages */

struct kmem_cache;

/* How the slab layer gets memory: the kernel passes the buddy allocator, unit tests a fake. */
struct slab_backend {
	/* 2^order contiguous pages aligned to their size, or NULL. */
	void *(*alloc_pages)(unsigned order);
	void (*free_pages)(void *addr, unsigned order);
	/*
	 * A pointer-sized slot belonging to the page that contains addr, for the slab layer to
	 * record what owns that page (the kernel uses struct page's private field); NULL when
	 * addr is not in memory that alloc_pages handed out.
	 */
	void **(*page_slot)(const void *addr);
	/* A detected heap error: one line of text, and the call site that triggered it. */
	void (*report)(const char *msg, const void *caller);
};

extern bool slab_debug_default;

void slab_init(const struct slab_backend *backend);

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align, unsigned flags);
/* Frees the cache and its empty slabs; -EBUSY (and nothing freed) while objects are in use. */
int kmem_cache_destroy(struct kmem_cache *c);
void *kmem_cache_alloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);

/* NULL for size 0 or more than can be given. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(const void *p);
/* Usable size of a kmalloc'd block. */
size_t ksize(const void *p);

struct slab_stats {
	uint64_t slab_bytes;   /* memory held by slabs (for /proc/meminfo Slab:) */
	uint64_t large_bytes;  /* memory held by page-sized kmallocs */
	uint64_t errors;       /* heap errors reported */
};
void slab_get_stats(struct slab_stats *st);
