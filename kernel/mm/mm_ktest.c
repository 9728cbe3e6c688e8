/*
 * Address spaces in-kernel: VM-area editing (split, unmap, protect), demand-zero and COW faults
 * resolved through the page tables, and the rule that a freed address space gives every page
 * back. These drive struct mm directly, without a user process.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "test/ktest.h"

static uint64_t free_pages(void)
{
	struct pmm_stats st;
	pmm_get_stats(&st);
	return st.free_pages;
}

static unsigned count_vmas(struct mm *mm)
{
	unsigned n = 0;
	for (struct vma *v = mm->vmas; v; v = v->next)
		n++;
	return n;
}

KTEST(mm_vma_split_and_unmap)
{
	struct mm *mm = mm_create();
	KT_ASSERT(mm);
	int64_t a = mm_mmap(mm, 0x400000, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	KT_ASSERT_EQ(a, 0x400000);
	KT_ASSERT_EQ(count_vmas(mm), 1u);
	/* A hole in the middle splits it in two. */
	KT_ASSERT_EQ(mm_munmap(mm, 0x404000, 4 * 4096), 0);
	KT_ASSERT_EQ(count_vmas(mm), 2u);
	KT_ASSERT(vma_find(mm, 0x404000) == NULL);
	KT_ASSERT(vma_find(mm, 0x403fff) != NULL);
	KT_ASSERT(vma_find(mm, 0x408000) != NULL);
	/* mprotect over part of one area: three pieces with their own protection. */
	KT_ASSERT_EQ(mm_mprotect(mm, 0x409000, 4096, PROT_READ), 0);
	KT_ASSERT_EQ(count_vmas(mm), 4u);
	KT_ASSERT_EQ(vma_find(mm, 0x409000)->prot, (unsigned)PROT_READ);
	/* Over a hole: ENOMEM, nothing changed. */
	KT_ASSERT_EQ(mm_mprotect(mm, 0x402000, 4 * 4096, PROT_READ), -ENOMEM);
	/* Bad arguments. */
	KT_ASSERT_EQ(mm_munmap(mm, 0x400001, 4096), -EINVAL);
	KT_ASSERT_EQ(mm_mmap(mm, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0), -EINVAL);
	mm_put(mm);
}

KTEST(mm_fault_demand_zero_and_protection)
{
	struct mm *mm = mm_create();
	KT_ASSERT(mm);
	int64_t a = mm_mmap(mm, 0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	KT_ASSERT(a > 0);
	KT_ASSERT_EQ(pgt_get(mm->root, (uint64_t)a, NULL, NULL), -ENOENT); /* nothing until touched */
	KT_ASSERT_EQ(mm_fault(mm, (uint64_t)a + 5, true, false), FAULT_OK);
	paddr_t pa;
	unsigned flags;
	KT_ASSERT_EQ(pgt_get(mm->root, (uint64_t)a, &pa, &flags), 0);
	KT_ASSERT(flags & VM_WRITE);
	KT_ASSERT(flags & VM_USER);
	KT_ASSERT_EQ(mm->rss_pages, 1u);
	uint64_t word = 0x1234;
	KT_ASSERT_EQ(mm_copy_from(mm, &word, (uint64_t)a + 4096, 8), 0);
	KT_ASSERT_EQ(word, 0u); /* demand-zero */
	KT_ASSERT_EQ(mm_fault(mm, (uint64_t)a + 8 * 4096, false, false), FAULT_SEGV);
	KT_ASSERT_EQ(mm_fault(mm, (uint64_t)a, false, true), FAULT_ACCESS); /* not executable */
	KT_ASSERT_EQ(mm_mprotect(mm, (uint64_t)a, 4096, PROT_NONE), 0);
	KT_ASSERT_EQ(mm_fault(mm, (uint64_t)a, false, false), FAULT_ACCESS);
	KT_ASSERT_EQ(pgt_get(mm->root, (uint64_t)a, NULL, &flags), 0);
	KT_ASSERT(!(flags & VM_USER)); /* PROT_NONE: the kernel keeps the page, the user cannot reach it */
	mm_put(mm);
}

KTEST(mm_fork_copy_on_write)
{
	struct mm *parent = mm_create();
	KT_ASSERT(parent);
	int64_t a = mm_mmap(parent, 0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	int64_t s = mm_mmap(parent, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	KT_ASSERT(a > 0 && s > 0);
	uint64_t one = 1, two = 2, v;
	KT_ASSERT_EQ(mm_copy_to(parent, (uint64_t)a, &one, 8), 0);
	struct mm *child = mm_fork(parent);
	KT_ASSERT(child);
	paddr_t pp, cp;
	unsigned pf, cf;
	KT_ASSERT_EQ(pgt_get(parent->root, (uint64_t)a, &pp, &pf), 0);
	KT_ASSERT_EQ(pgt_get(child->root, (uint64_t)a, &cp, &cf), 0);
	KT_ASSERT_EQ(pp, cp);                 /* one page, shared */
	KT_ASSERT(!(pf & VM_WRITE) && !(cf & VM_WRITE)); /* read-only on both sides */
	/* The child writes: it gets its own copy; the parent still reads 1. */
	KT_ASSERT_EQ(mm_copy_to(child, (uint64_t)a, &two, 8), 0);
	KT_ASSERT_EQ(mm_copy_from(parent, &v, (uint64_t)a, 8), 0);
	KT_ASSERT_EQ(v, 1u);
	KT_ASSERT_EQ(mm_copy_from(child, &v, (uint64_t)a, 8), 0);
	KT_ASSERT_EQ(v, 2u);
	KT_ASSERT_EQ(pgt_get(child->root, (uint64_t)a, &cp, &cf), 0);
	KT_ASSERT(cp != pp);
	/* The parent is now the page's only user: its write takes the page over without copying. */
	KT_ASSERT_EQ(mm_copy_to(parent, (uint64_t)a, &two, 8), 0);
	KT_ASSERT_EQ(pgt_get(parent->root, (uint64_t)a, &cp, &pf), 0);
	KT_ASSERT_EQ(cp, pp);
	/* Shared memory is one page for both. */
	KT_ASSERT_EQ(mm_copy_to(child, (uint64_t)s, &one, 8), 0);
	KT_ASSERT_EQ(mm_copy_from(parent, &v, (uint64_t)s, 8), 0);
	KT_ASSERT_EQ(v, 1u);
	mm_put(child);
	mm_put(parent);
}

KTEST(mm_freed_address_space_returns_every_page)
{
	/* Warm the slab caches so their growth is not counted. */
	struct mm *warm = mm_create();
	mm_put(warm);
	uint64_t before = free_pages();
	for (int round = 0; round < 20; round++) {
		struct mm *mm = mm_create();
		KT_ASSERT(mm);
		int64_t a = mm_mmap(mm, 0, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		KT_ASSERT(a > 0);
		KT_ASSERT_EQ(mm_populate(mm, (uint64_t)a, 64 * 4096, true), 0);
		/* Pages far apart need page tables at every level. */
		KT_ASSERT(mm_mmap(mm, 0x100000000000ull, 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) > 0);
		KT_ASSERT_EQ(mm_populate(mm, 0x100000000000ull, 4096, true), 0);
		struct mm *child = mm_fork(mm);
		KT_ASSERT(child);
		KT_ASSERT_EQ(mm_populate(child, (uint64_t)a, 32 * 4096, true), 0); /* 32 COW copies */
		KT_ASSERT_EQ(mm_brk(mm, 0), 0u);
		mm_put(mm);
		mm_put(child);
	}
	KT_ASSERT_EQ(free_pages(), before);
}
