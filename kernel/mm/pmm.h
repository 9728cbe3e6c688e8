/*
 * The physical memory manager: zones of page frames with a buddy allocator each, allocation
 * with a zone limit and fallback to lower zones, and the counters /proc/meminfo will show.
 */
#pragma once

#include "lib/types.h"
#include "mm/page.h"
#include "mm/zone.h"

struct bootinfo;
struct memmap;

/* Allocation flags. */
#define GFP_DMA   0x1 /* below 16 MiB */
#define GFP_DMA32 0x2 /* below 4 GiB */
#define GFP_ZERO  0x4 /* zero the pages */

/*
 * Phase 1: the usable RAM from the boot memory map (the EFI map when there is one), minus the
 * kernel image, the loader's modules and data, and the first page. Early allocations carve
 * from it until pmm_init.
 */
struct memmap *pmm_early_init(const struct bootinfo *bi);
/* Phase 2 (after paging_init direct-maps all RAM): mem_map, zones, buddy allocators. */
void pmm_init(void);

/* 2^order contiguous pages; NULL when no allowed zone has them. */
struct page *pmm_alloc_pages(unsigned order, unsigned gfp);
void pmm_free_pages(struct page *p, unsigned order);
/* The same as direct-map pointers. */
void *pmm_alloc_virt(unsigned order, unsigned gfp);
void pmm_free_virt(void *addr, unsigned order);

/*
 * Shared pages (user mappings, file pages mapped into processes): the last put frees the page.
 * A page from pmm_alloc_pages starts with one reference.
 */
void page_ref_get(struct page *p);
void page_ref_put(struct page *p);

static inline void *page_to_virt(const struct page *p);
struct page *virt_to_page(const void *addr);

struct pmm_zone_stats {
	const char *name;
	pfn_t start_pfn, end_pfn;
	uint64_t managed_pages, free_pages;
};
struct pmm_stats {
	uint64_t firmware_usable_bytes; /* what the boot memory map called usable */
	uint64_t total_pages;           /* pages handed to the buddy allocators (MemTotal) */
	uint64_t free_pages;            /* MemFree */
	uint64_t reserved_pages;        /* usable RAM kept back: kernel, modules, mem_map... */
	struct pmm_zone_stats zones[NR_ZONES];
};
void pmm_get_stats(struct pmm_stats *st);
/* Cheap counters (no lock: a snapshot) for allocation policies. */
uint64_t pmm_free_count(void);
uint64_t pmm_total_count(void);

#include "arch/x86_64/memlayout.h"
static inline void *page_to_virt(const struct page *p)
{
	return phys_to_virt(page_to_phys(p));
}
