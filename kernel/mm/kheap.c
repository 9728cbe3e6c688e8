/* Connects the slab layer to the page allocator and the console: the kernel's heap backend. */
#include "console/console.h"
#include "debug/backtrace.h"
#include "lib/cmdline.h"
#include "mm/pmm.h"
#include "mm/slab.h"

static void *heap_alloc_pages(unsigned order)
{
	return pmm_alloc_virt(order, 0);
}

static void heap_free_pages(void *addr, unsigned order)
{
	pmm_free_virt(addr, order);
}

/* Only pages the allocator handed out may carry slab ownership. */
static void **heap_page_slot(const void *addr)
{
	if ((uint64_t)addr < DIRECT_MAP_BASE || (uint64_t)addr >= KERNEL_VMA)
		return NULL;
	struct page *p = virt_to_page(addr);
	if (!p || (p->flags & PG_RESERVED))
		return NULL;
	return &p->private;
}

static void heap_report(const char *msg, const void *caller)
{
	char sym[96];
	ksym_format((uint64_t)caller, sym, sizeof(sym));
	pr_err("%s, called from %p %s\n", msg, caller, sym);
}

static const struct slab_backend kernel_heap = {
	.alloc_pages = heap_alloc_pages,
	.free_pages = heap_free_pages,
	.page_slot = heap_page_slot,
	.report = heap_report,
};

static int param_slab_debug(const char *val)
{
	(void)val;
	slab_debug_default = true;
	return 0;
}
KPARAM("slab_debug", param_slab_debug);

void kheap_init(void)
{
#ifdef MM_DEBUG
	slab_debug_default = true;
#endif
	slab_init(&kernel_heap);
	pr_info("slab: kmalloc ready%s\n", slab_debug_default ? " (debug checks on)" : "");
}
