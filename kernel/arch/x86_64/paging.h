/* x86_64 page-table entry bits and the boot-time construction of the kernel's tables. */
#pragma once

#include "lib/types.h"

#define PTE_P      (1ull << 0)
#define PTE_W      (1ull << 1)
#define PTE_U      (1ull << 2)
#define PTE_PWT    (1ull << 3)
#define PTE_PCD    (1ull << 4)
#define PTE_A      (1ull << 5)
#define PTE_D      (1ull << 6)
#define PTE_PS     (1ull << 7)  /* large page (PDPTE, PDE) */
#define PTE_PAT4K  (1ull << 7)  /* PAT index bit in a 4 KiB PTE */
#define PTE_G      (1ull << 8)
#define PTE_PATBIG (1ull << 12) /* PAT index bit in a large-page entry */
#define PTE_NX     (1ull << 63)
#define PTE_ADDR   0x000ffffffffff000ull

struct bootinfo;
struct memmap;

/* CPU protection features found and switched on by paging_init. */
struct paging_features {
	bool nx, smep, smap, umip, pge, pat, gbpages;
};
extern struct paging_features paging_features;

/*
 * Builds the kernel's page tables (direct map of RAM with the largest pages that fit, the
 * kernel image with per-section permissions, guard pages unmapped, the framebuffer
 * write-combining), switches to them and enables NX, global pages, SMEP/SMAP/UMIP.
 * Page-table pages come from the early memory map until paging_use_page_allocator().
 */
void paging_init(const struct bootinfo *bi, struct memmap *early);
void paging_use_page_allocator(void);
/* On an application processor: the same NX, PAT and CR4 settings as the boot CPU. */
void paging_init_ap(void);

/* VM_* attributes to page-table-entry bits (present included) and back. */
uint64_t flags_to_pte(unsigned flags, bool large);
unsigned pte_to_flags(uint64_t pte);

/* Guard pages: addresses listed in .guard_pages stay unmapped in the kernel image. */
#define GUARD_CAT2(a, b) a##b
#define GUARD_CAT(a, b)  GUARD_CAT2(a, b)
#define KERNEL_GUARD_PAGE(sym)                                                                \
	static const vaddr_t GUARD_CAT(__guard_page_, __LINE__)                               \
		__attribute__((used, section(".guard_pages"), aligned(8))) = (vaddr_t)&(sym)
