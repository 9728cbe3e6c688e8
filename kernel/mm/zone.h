/*
 * Memory zones and the buddy allocator inside each. A zone covers a range of page frames;
 * its free memory is kept in blocks of 2^order pages (order 0..MAX_ORDER-1), each block
 * naturally aligned, on one free list per order. Freeing merges a block with its buddy
 * (the block whose frame number differs only in bit `order`) while the buddy is free and whole.
 *
 * Pure logic over mem_map: no locking (the caller holds the zone's lock) and no logging,
 * so it is unit-tested on the host.
 */
#pragma once

#include "mm/page.h"

#define MAX_ORDER 11 /* blocks of up to 2^10 pages = 4 MiB */

enum zone_id {
	ZONE_DMA,    /* below 16 MiB: ISA DMA */
	ZONE_DMA32,  /* below 4 GiB: 32-bit DMA */
	ZONE_NORMAL, /* everything else */
	NR_ZONES,
};

#define ZONE_DMA_END_PFN   ((16ull << 20) >> PAGE_SHIFT)
#define ZONE_DMA32_END_PFN ((4ull << 30) >> PAGE_SHIFT)

struct free_area {
	struct page *head; /* doubly linked through page->next/prev; NULL when empty */
	uint64_t count;    /* blocks on this list */
};

struct zone {
	const char *name;
	enum zone_id id;
	pfn_t start_pfn, end_pfn;   /* frames [start, end) may belong to this zone */
	uint64_t managed_pages;     /* pages ever handed to the zone as free */
	uint64_t free_pages;
	uint64_t bad_frees;         /* zone_free calls refused as misuse (state left untouched) */
	struct free_area free_area[MAX_ORDER];
};

/* Sets up an empty zone over [start_pfn, end_pfn). */
void zone_init(struct zone *z, enum zone_id id, const char *name, pfn_t start_pfn, pfn_t end_pfn);
/*
 * Hands the frames [start, end) (inside the zone) to the allocator as free memory, in the
 * largest aligned blocks possible, merging with free neighbours. Each page's struct page
 * must be initialised (zeroed, zone set) beforehand.
 */
void zone_add_free_range(struct zone *z, pfn_t start, pfn_t end);
/* Takes a block of 2^order pages; NULL when the zone has none (or order >= MAX_ORDER). */
struct page *zone_alloc(struct zone *z, unsigned order);
/*
 * Returns a block taken with zone_alloc (same order). A call that cannot be such a return --
 * the page is already free, not the head of an allocated block of that order, outside the
 * zone or mem_map, or order >= MAX_ORDER -- changes nothing and counts in bad_frees.
 */
void zone_free(struct zone *z, struct page *p, unsigned order);
/* Which zone a frame belongs to. */
enum zone_id zone_of_pfn(pfn_t pfn);
