/* ktests for the physical memory manager. */
#include "mm/pmm.h"
#include "test/ktest.h"

/*
 * Allocates every free page, then frees them all. The pages are chained through their struct
 * page (an allocated page's list links belong to its owner), not through their contents, so the
 * test does not make the emulator back every byte of guest RAM.
 */
KTEST(pmm_alloc_all_and_free)
{
	struct pmm_stats before, during, after;
	pmm_get_stats(&before);
	KT_ASSERT(before.free_pages > 0);

	struct page *chain = NULL;
	uint64_t n = 0;
	for (;;) {
		struct page *p = pmm_alloc_pages(0, 0);
		if (!p)
			break;
		p->next = chain;
		chain = p;
		n++;
	}
	pmm_get_stats(&during);
	/* Nothing else allocates while a ktest runs, so we got exactly the free pages. */
	KT_ASSERT_EQ(n, before.free_pages);
	KT_ASSERT_EQ(during.free_pages, 0);
	KT_ASSERT(pmm_alloc_pages(0, 0) == NULL);
	while (chain) {
		struct page *next = chain->next;
		pmm_free_pages(chain, 0);
		chain = next;
	}
	pmm_get_stats(&after);
	KT_ASSERT_EQ(after.free_pages, before.free_pages);
	for (int z = 0; z < NR_ZONES; z++)
		KT_ASSERT_EQ(after.zones[z].free_pages, before.zones[z].free_pages);
}

KTEST(pmm_zone_limits)
{
	struct page *dma = pmm_alloc_pages(0, GFP_DMA);
	struct page *dma32 = pmm_alloc_pages(3, GFP_DMA32 | GFP_ZERO);
	struct page *any = pmm_alloc_pages(MAX_ORDER - 1, 0);
	KT_ASSERT(dma && dma32);
	KT_ASSERT(page_to_phys(dma) < (16ull << 20));
	KT_ASSERT(page_to_phys(dma32) + (8 << 12) <= (4ull << 30));
	KT_ASSERT_EQ(page_to_phys(dma32) & ((8 << 12) - 1), 0); /* naturally aligned */
	const uint64_t *z = page_to_virt(dma32);
	for (int i = 0; i < 8 * 512; i++)
		KT_ASSERT_EQ(z[i], 0);
	KT_ASSERT(pmm_alloc_pages(MAX_ORDER, 0) == NULL);
	pmm_free_pages(dma, 0);
	pmm_free_pages(dma32, 3);
	if (any)
		pmm_free_pages(any, MAX_ORDER - 1);
}

KTEST(pmm_accounts_for_firmware_memory)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	uint64_t firmware_pages = st.firmware_usable_bytes >> 12;
	KT_ASSERT_EQ(st.total_pages + st.reserved_pages, firmware_pages);
	/* The kernel keeps back its image, modules, mem_map (1%) and page tables: under 10%. */
	KT_ASSERT(st.total_pages * 10 >= firmware_pages * 9);
}

KTEST(pmm_double_free_refused)
{
	struct pmm_stats before, after;
	struct page *p = pmm_alloc_pages(2, 0);
	KT_ASSERT(p);
	pmm_free_pages(p, 2);
	pmm_get_stats(&before);
	pmm_free_pages(p, 2); /* refused and reported; the free lists stay intact */
	pmm_get_stats(&after);
	KT_ASSERT_EQ(after.free_pages, before.free_pages);
	struct page *q = pmm_alloc_pages(2, 0);
	struct page *r = pmm_alloc_pages(2, 0);
	KT_ASSERT(q && r && q != r);
	pmm_free_pages(q, 2);
	pmm_free_pages(r, 2);
}
