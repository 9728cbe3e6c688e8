/*
 * vmalloc: virtually contiguous kernel memory built from single pages, for large buffers and
 * (later) thread stacks. Areas are kept in an address-sorted list; each is followed by an
 * unmapped guard page so running off the end faults instead of corrupting a neighbour.
 */
#include "arch/x86_64/memlayout.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "mm/pmm.h"
#include "mm/slab.h"
#include "mm/vmm.h"

struct vm_area {
	vaddr_t start;
	size_t pages; /* mapped pages; the guard page follows */
	struct vm_area *next;
};

static struct vm_area *areas; /* sorted by start */
static spinlock_t vmalloc_lock = SPINLOCK_INIT;

/* First fit: the lowest gap that holds pages + 1 guard page. Links the area in. */
static vaddr_t reserve_range(struct vm_area *a)
{
	size_t span = (a->pages + 1) * PAGE_SIZE;
	vaddr_t candidate = VMALLOC_START;
	struct vm_area **link = &areas;
	for (; *link; link = &(*link)->next) {
		if ((*link)->start - candidate >= span)
			break;
		candidate = (*link)->start + ((*link)->pages + 1) * PAGE_SIZE;
	}
	if (candidate + span > VMALLOC_END || candidate + span < candidate)
		return 0;
	a->start = candidate;
	a->next = *link;
	*link = a;
	return candidate;
}

static void release_range(struct vm_area *a)
{
	for (struct vm_area **link = &areas; *link; link = &(*link)->next) {
		if (*link == a) {
			*link = a->next;
			return;
		}
	}
}

/* Unmaps in batches, one TLB flush (and shootdown) per batch, then frees the pages. */
static void unmap_and_free(vaddr_t start, size_t pages)
{
	enum { BATCH = 64 };
	paddr_t pa[BATCH];
	for (size_t done = 0; done < pages; done += BATCH) {
		size_t n = MIN((size_t)BATCH, pages - done);
		vaddr_t va = start + done * PAGE_SIZE;
		for (size_t i = 0; i < n; i++)
			if (vmm_translate(kernel_pml4, va + i * PAGE_SIZE, &pa[i], NULL) < 0)
				pa[i] = 0;
		vmm_unmap(kernel_pml4, va, n * PAGE_SIZE);
		for (size_t i = 0; i < n; i++)
			if (pa[i])
				pmm_free_pages(phys_to_page(pa[i]), 0);
	}
}

void *vmalloc(size_t size)
{
	if (size == 0 || size > (VMALLOC_END - VMALLOC_START) / 2)
		return NULL;
	struct vm_area *a = kmalloc(sizeof(*a));
	if (!a)
		return NULL;
	a->pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;

	uint64_t irq = spin_lock_irqsave(&vmalloc_lock);
	vaddr_t start = reserve_range(a);
	spin_unlock_irqrestore(&vmalloc_lock, irq);
	if (!start) {
		kfree(a);
		return NULL;
	}
	for (size_t i = 0; i < a->pages; i++) {
		struct page *p = pmm_alloc_pages(0, 0);
		if (!p || vmm_map(kernel_pml4, start + i * PAGE_SIZE, page_to_phys(p), PAGE_SIZE,
				  VM_WRITE | VM_GLOBAL) < 0) {
			if (p)
				pmm_free_pages(p, 0);
			unmap_and_free(start, i);
			irq = spin_lock_irqsave(&vmalloc_lock);
			release_range(a);
			spin_unlock_irqrestore(&vmalloc_lock, irq);
			kfree(a);
			return NULL;
		}
	}
	return (void *)start;
}

void vfree(void *addr)
{
	if (!addr)
		return;
	uint64_t irq = spin_lock_irqsave(&vmalloc_lock);
	struct vm_area *a = areas;
	while (a && a->start != (vaddr_t)addr)
		a = a->next;
	spin_unlock_irqrestore(&vmalloc_lock, irq);
	if (!a)
		return; /* FIXME: report a bad vfree once there is a warn-once helper */
	/* Unmapped (and shot down) before the range is free again: released first, a vmalloc on
	 * another CPU could map the same addresses and lose its fresh pages to this unmap. */
	unmap_and_free(a->start, a->pages);
	irq = spin_lock_irqsave(&vmalloc_lock);
	release_range(a);
	spin_unlock_irqrestore(&vmalloc_lock, irq);
	kfree(a);
}
