/*
 * Physical pages: one struct page per page frame of RAM (the mem_map array, indexed by page
 * frame number), and conversions between frames, physical and direct-map addresses.
 */
#pragma once

#include "lib/types.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

typedef uint64_t pfn_t;

enum page_flag {
	PG_RESERVED = 1u << 0, /* not RAM the allocator manages: firmware, kernel image, holes */
	PG_BUDDY = 1u << 1,    /* first page of a free buddy block of 2^order pages */
	PG_SLAB = 1u << 2,     /* belongs to a slab; private points to the slab header */
	PG_HEAD = 1u << 3,     /* first page of an allocated block of 2^order pages */
	PG_KMALLOC_LARGE = 1u << 4, /* head of a kmalloc allocation too large for the slabs */
};

struct page {
	uint32_t flags;
	uint8_t order;    /* PG_BUDDY or PG_HEAD: the block's order */
	uint8_t zone;     /* enum zone_id */
	uint16_t reserved0;
	int32_t refcount; /* users of the page (later: copy-on-write, page cache) */
	uint32_t reserved1;
	struct page *next, *prev; /* free lists and slab lists */
	void *private;            /* owner-specific: the slab header for PG_SLAB pages */
};
_Static_assert(sizeof(struct page) == 40, "struct page stays small: one per 4 KiB of RAM");

/* The page descriptor array and the highest frame number it covers (exclusive). */
extern struct page *mem_map;
extern pfn_t max_pfn;

static inline struct page *pfn_to_page(pfn_t pfn) { return &mem_map[pfn]; }
static inline pfn_t page_to_pfn(const struct page *p) { return (pfn_t)(p - mem_map); }
static inline paddr_t page_to_phys(const struct page *p) { return page_to_pfn(p) << PAGE_SHIFT; }
static inline struct page *phys_to_page(paddr_t pa) { return pfn_to_page(pa >> PAGE_SHIFT); }
