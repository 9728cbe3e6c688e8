/*
 * The physical memory map during early boot ("memblock"): the usable RAM ranges, cleaned from
 * whatever the firmware and loader reported, from which early allocations are carved before
 * the buddy allocator exists. Pure logic, unit-tested on the host.
 */
#pragma once

#include "boot/bootinfo.h"
#include "lib/types.h"

#define MEMMAP_MAX 256

struct mem_range {
	uint64_t start, end; /* [start, end), page-aligned */
};

struct memmap {
	struct mem_range r[MEMMAP_MAX]; /* sorted by start, non-overlapping, non-adjacent */
	size_t count;
	uint64_t dropped; /* bytes lost because the table was full (reported, never silent) */
};

/*
 * Builds the usable map from loader entries: usable entries rounded inward to pages, sorted and
 * merged; then every non-usable entry (rounded outward) is removed, so where a reserved and a
 * usable entry overlap, reserved wins. Zero-length and wrapping entries are ignored.
 */
void memmap_from_boot(struct memmap *m, const struct boot_mmap_entry *e, size_t n);
/*
 * The same from a UEFI memory map (descriptors of desc_size bytes): conventional memory,
 * boot-services code/data and loader code/data are usable after ExitBootServices.
 */
void memmap_from_efi(struct memmap *m, const void *descs, size_t size, size_t desc_size);
/* Removes [start, end) (rounded outward to pages) from the usable map. */
void memmap_reserve(struct memmap *m, uint64_t start, uint64_t end);
/*
 * Carves size bytes (rounded up to pages) aligned to align (a power of two, at least a page),
 * as high as possible with the allocation ending at or below limit (a range crossing limit is
 * used below it); returns the physical address, or 0 when nothing fits (0 is never handed out).
 */
uint64_t memmap_alloc(struct memmap *m, uint64_t size, uint64_t align, uint64_t limit);
uint64_t memmap_total(const struct memmap *m);
/* Highest end address of any range (0 when empty). */
uint64_t memmap_end(const struct memmap *m);
