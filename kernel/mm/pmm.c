/*
 * Physical memory: the early memory map (memblock) until the buddy allocators exist, then
 * mem_map and one buddy allocator per zone, each behind its own lock.
 */
#include "mm/pmm.h"

#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/smp_defs.h"
#include "boot/bootinfo.h"
#include "console/console.h"
#include "debug/panic.h"
#include "lib/compiler.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/memmap.h"

struct page *mem_map;
pfn_t max_pfn;

static struct memmap early;
static bool buddy_ready;
static uint64_t firmware_usable;
static struct zone zones[NR_ZONES];
static spinlock_t zone_locks[NR_ZONES];

extern const char __kernel_phys_start[], __kernel_phys_end[];

static const char *const zone_names[NR_ZONES] = { "DMA", "DMA32", "Normal" };

struct memmap *pmm_early_init(const struct bootinfo *bi)
{
	if (bi->efi_mmap && bi->efi_desc_size)
		memmap_from_efi(&early, phys_to_virt(bi->efi_mmap), bi->efi_mmap_size, bi->efi_desc_size);
	if (memmap_total(&early) == 0)
		memmap_from_boot(&early, bi->mmap, bi->mmap_count);
	firmware_usable = memmap_total(&early);
	if (firmware_usable == 0)
		panic("pmm: the boot memory map has no usable RAM");

	uint64_t before = firmware_usable;
	memmap_reserve(&early, 0, PAGE_SIZE); /* real-mode IVT, and NULL stays NULL */
	memmap_reserve(&early, TRAMPOLINE_PHYS, TRAMPOLINE_PHYS + PAGE_SIZE); /* AP start-up code */
	memmap_reserve(&early, (paddr_t)__kernel_phys_start, (paddr_t)__kernel_phys_end);
	for (size_t i = 0; i < bi->module_count; i++)
		memmap_reserve(&early, bi->modules[i].base, bi->modules[i].base + bi->modules[i].size);
	if (bi->info_size)
		memmap_reserve(&early, bi->info_paddr, bi->info_paddr + bi->info_size);
	if (bi->efi_mmap)
		memmap_reserve(&early, bi->efi_mmap, bi->efi_mmap + bi->efi_mmap_size);
	if (bi->fb.type != BOOT_FB_NONE)
		memmap_reserve(&early, bi->fb.base, bi->fb.base + (uint64_t)bi->fb.pitch * bi->fb.height);
	if (early.dropped)
		pr_warn("pmm: memory map too fragmented: %llu KiB ignored\n",
			(unsigned long long)(early.dropped >> 10));

	pr_info("pmm: %llu KiB usable RAM in the %s memory map, %zu ranges; %llu KiB kept for the "
		"kernel image, modules and loader data\n",
		(unsigned long long)(firmware_usable >> 10), bi->efi_mmap ? "EFI" : "firmware",
		early.count, (unsigned long long)((before - memmap_total(&early)) >> 10));
	return &early;
}

static enum zone_id zone_of_pfn_limit(unsigned gfp)
{
	if (gfp & GFP_DMA)
		return ZONE_DMA;
	if (gfp & GFP_DMA32)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

/* Hands one usable range to the zones it spans. */
static void add_range(pfn_t start, pfn_t end)
{
	for (pfn_t pfn = start; pfn < end; pfn++)
		mem_map[pfn].flags = 0;
	while (start < end) {
		enum zone_id z = zone_of_pfn(start);
		pfn_t zend = MIN(end, zones[z].end_pfn);
		zone_add_free_range(&zones[z], start, zend);
		start = zend;
	}
}

void pmm_init(void)
{
	max_pfn = memmap_end(&early) >> PAGE_SHIFT;
	uint64_t map_bytes = ALIGN_UP(max_pfn * sizeof(struct page), PAGE_SIZE);
	/* From the top: leaves the DMA zones to the devices that need them. */
	paddr_t map_pa = memmap_alloc(&early, map_bytes, PAGE_SIZE, UINT64_MAX);
	if (!map_pa)
		panic("pmm: no room for mem_map (%llu KiB)", (unsigned long long)(map_bytes >> 10));
	mem_map = phys_to_virt(map_pa);
	memset(mem_map, 0, map_bytes);
	for (pfn_t pfn = 0; pfn < max_pfn; pfn++) {
		mem_map[pfn].flags = PG_RESERVED;
		mem_map[pfn].zone = (uint8_t)zone_of_pfn(pfn);
	}

	zone_init(&zones[ZONE_DMA], ZONE_DMA, zone_names[ZONE_DMA], 0, MIN(max_pfn, ZONE_DMA_END_PFN));
	zone_init(&zones[ZONE_DMA32], ZONE_DMA32, zone_names[ZONE_DMA32], MIN(max_pfn, ZONE_DMA_END_PFN),
		  MIN(max_pfn, ZONE_DMA32_END_PFN));
	zone_init(&zones[ZONE_NORMAL], ZONE_NORMAL, zone_names[ZONE_NORMAL],
		  MIN(max_pfn, ZONE_DMA32_END_PFN), max_pfn);
	for (size_t i = 0; i < early.count; i++)
		add_range(early.r[i].start >> PAGE_SHIFT, early.r[i].end >> PAGE_SHIFT);
	early.count = 0; /* closed: every early range now belongs to a buddy allocator */
	buddy_ready = true;

	struct pmm_stats st;
	pmm_get_stats(&st);
	pr_info("pmm: mem_map of %llu pages at 0x%llx (%llu KiB)\n", (unsigned long long)max_pfn,
		(unsigned long long)map_pa, (unsigned long long)(map_bytes >> 10));
	for (int z = 0; z < NR_ZONES; z++)
		pr_info("pmm: zone %-6s pfn 0x%08llx-0x%08llx: %llu KiB managed, %llu KiB free\n",
			st.zones[z].name, (unsigned long long)st.zones[z].start_pfn,
			(unsigned long long)st.zones[z].end_pfn, (unsigned long long)(st.zones[z].managed_pages * 4),
			(unsigned long long)(st.zones[z].free_pages * 4));
	pr_info("memory: %llu KiB usable per firmware, %llu KiB managed, %llu KiB reserved by the kernel\n",
		(unsigned long long)(firmware_usable >> 10), (unsigned long long)(st.total_pages * 4),
		(unsigned long long)(st.reserved_pages * 4));
}

struct page *pmm_alloc_pages(unsigned order, unsigned gfp)
{
	if (!buddy_ready || order >= MAX_ORDER)
		return NULL;
	struct page *p = NULL;
	for (int z = zone_of_pfn_limit(gfp); z >= 0 && !p; z--) {
		uint64_t irq = spin_lock_irqsave(&zone_locks[z]);
		p = zone_alloc(&zones[z], order);
		spin_unlock_irqrestore(&zone_locks[z], irq);
	}
	if (!p)
		return NULL;
	p->refcount = 1;
	if (gfp & GFP_ZERO)
		memset(page_to_virt(p), 0, PAGE_SIZE << order);
	return p;
}

__attribute__((noinline)) void pmm_free_pages(struct page *p, unsigned order)
{
	if (!p)
		return;
	unsigned z = p->zone;
	if (z >= NR_ZONES || p < mem_map || page_to_pfn(p) >= max_pfn) {
		pr_err("pmm: free of a page outside mem_map (%p), called from %p\n", (void *)p,
		       __builtin_return_address(0));
		return;
	}
	uint64_t irq = spin_lock_irqsave(&zone_locks[z]);
	uint64_t refused = zones[z].bad_frees;
	p->private = NULL;
	p->refcount = 0;
	zone_free(&zones[z], p, order);
	refused = zones[z].bad_frees - refused;
	spin_unlock_irqrestore(&zone_locks[z], irq);
	if (refused)
		pr_err("pmm: refused free of pfn 0x%llx order %u (double free or wrong order), called from %p\n",
		       (unsigned long long)page_to_pfn(p), order, __builtin_return_address(0));
}

void *pmm_alloc_virt(unsigned order, unsigned gfp)
{
	struct page *p = pmm_alloc_pages(order, gfp);
	return p ? page_to_virt(p) : NULL;
}

void pmm_free_virt(void *addr, unsigned order)
{
	if (addr)
		pmm_free_pages(virt_to_page(addr), order);
}

struct page *virt_to_page(const void *addr)
{
	uint64_t va = (uint64_t)addr;
	paddr_t pa;
	if (va >= KERNEL_VMA)
		pa = va - KERNEL_VMA;
	else if (va >= DIRECT_MAP_BASE)
		pa = va - DIRECT_MAP_BASE;
	else
		return NULL;
	if ((pa >> PAGE_SHIFT) >= max_pfn)
		return NULL;
	return phys_to_page(pa);
}

void pmm_get_stats(struct pmm_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->firmware_usable_bytes = firmware_usable;
	for (int z = 0; z < NR_ZONES; z++) {
		st->zones[z].name = zone_names[z];
		st->zones[z].start_pfn = zones[z].start_pfn;
		st->zones[z].end_pfn = zones[z].end_pfn;
		st->zones[z].managed_pages = zones[z].managed_pages;
		st->zones[z].free_pages = zones[z].free_pages;
		st->total_pages += zones[z].managed_pages;
		st->free_pages += zones[z].free_pages;
	}
	st->reserved_pages = (firmware_usable >> PAGE_SHIFT) - st->total_pages;
}

uint64_t pmm_free_count(void)
{
	uint64_t n = 0;
	for (int z = 0; z < NR_ZONES; z++)
		n += __atomic_load_n(&zones[z].free_pages, __ATOMIC_RELAXED);
	return n;
}

uint64_t pmm_total_count(void)
{
	uint64_t n = 0;
	for (int z = 0; z < NR_ZONES; z++)
		n += zones[z].managed_pages;
	return n;
}

void page_ref_get(struct page *p)
{
	__atomic_add_fetch(&p->refcount, 1, __ATOMIC_RELAXED);
}

void page_ref_put(struct page *p)
{
	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		p->refcount = 1; /* pmm_free_pages expects an allocated page */
		pmm_free_pages(p, 0);
	}
}
