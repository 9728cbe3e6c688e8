/* ktests for the page-table API and the protections it sets up. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/extable.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "sched/sched.h"
#include "test/ktest.h"

/* A scratch address in vmalloc space, far above anything vmalloc hands out in tests. */
#define SCRATCH_VA (VMALLOC_END - 0x10000000ull)

KTEST(vmm_map_translate_protect_unmap)
{
	struct page *pg = pmm_alloc_pages(0, GFP_ZERO);
	KT_ASSERT(pg);
	paddr_t pa = page_to_phys(pg);
	volatile uint64_t *va = (volatile uint64_t *)SCRATCH_VA;

	KT_ASSERT_EQ(vmm_map(kernel_pml4, SCRATCH_VA, pa, PAGE_SIZE, VM_WRITE), 0);
	paddr_t got;
	unsigned flags;
	KT_ASSERT_EQ(vmm_translate(kernel_pml4, SCRATCH_VA + 0x123, &got, &flags), 0);
	KT_ASSERT_EQ(got, pa + 0x123);
	KT_ASSERT((flags & VM_WRITE) && !(flags & VM_EXEC) && !(flags & VM_USER));

	/* A write through the new mapping lands in the page, seen through the direct map. */
	va[5] = 0x1122334455667788ull;
	KT_ASSERT_EQ(((uint64_t *)page_to_virt(pg))[5], 0x1122334455667788ull);

	/* Read-only: writes fault (protection violation, write), reads still work. */
	KT_ASSERT_EQ(vmm_protect(kernel_pml4, SCRATCH_VA, PAGE_SIZE, 0), 0);
	KT_ASSERT_EQ(probe_write_u64((void *)va, 1), -14);
	KT_ASSERT_EQ(last_fixup.vector, VEC_PAGE_FAULT);
	KT_ASSERT_EQ(last_fixup.error_code & 3, 3); /* present + write */
	KT_ASSERT_EQ(last_fixup.cr2, SCRATCH_VA);
	uint64_t v;
	KT_ASSERT_EQ(probe_read_u64((void *)&va[5], &v), 0);
	KT_ASSERT_EQ(v, 0x1122334455667788ull);

	/* Unmapped: reads fault as not-present. */
	KT_ASSERT_EQ(vmm_unmap(kernel_pml4, SCRATCH_VA, PAGE_SIZE), 0);
	KT_ASSERT_EQ(vmm_translate(kernel_pml4, SCRATCH_VA, &got, NULL), -2);
	KT_ASSERT_EQ(probe_read_u64((void *)va, &v), -14);
	KT_ASSERT_EQ(last_fixup.error_code & 1, 0);
	KT_ASSERT_EQ(vmm_protect(kernel_pml4, SCRATCH_VA, PAGE_SIZE, VM_WRITE), -2);
	pmm_free_pages(pg, 0);
}

KTEST(vmm_splits_large_direct_map_pages)
{
	/* The direct map uses 2 MiB/1 GiB pages: making one 4 KiB page read-only must split it. */
	struct page *pg = pmm_alloc_pages(0, 0);
	KT_ASSERT(pg);
	uint64_t *va = page_to_virt(pg);
	vaddr_t page = (vaddr_t)va;
	KT_ASSERT_EQ(vmm_protect(kernel_pml4, page, PAGE_SIZE, 0), 0);
	KT_ASSERT_EQ(probe_write_u64(va, 7), -14);
	/* Its neighbours (same former large page) are still writable. */
	uint64_t *next = (uint64_t *)(page + PAGE_SIZE);
	if (virt_to_page(next) && !(virt_to_page(next)->flags & PG_RESERVED)) {
		uint64_t old;
		KT_ASSERT_EQ(probe_read_u64(next, &old), 0);
		KT_ASSERT_EQ(probe_write_u64(next, old), 0);
	}
	KT_ASSERT_EQ(vmm_protect(kernel_pml4, page, PAGE_SIZE, VM_WRITE | VM_GLOBAL), 0);
	KT_ASSERT_EQ(probe_write_u64(va, 7), 0);
	pmm_free_pages(pg, 0);
}

KTEST(kernel_sections_protected)
{
	extern const char __text_start[], __rodata_start[];
	extern char __data_start[];
	unsigned f;
	KT_ASSERT_EQ(vmm_translate(kernel_pml4, (vaddr_t)__text_start, NULL, &f), 0);
	KT_ASSERT((f & VM_EXEC) && !(f & VM_WRITE));
	KT_ASSERT_EQ(vmm_translate(kernel_pml4, (vaddr_t)__rodata_start, NULL, &f), 0);
	KT_ASSERT(!(f & VM_EXEC) && !(f & VM_WRITE));
	KT_ASSERT_EQ(vmm_translate(kernel_pml4, (vaddr_t)__data_start, NULL, &f), 0);
	KT_ASSERT((f & VM_WRITE) && !(f & VM_EXEC));
	/* Writing to the code faults. */
	KT_ASSERT_EQ(probe_write_u64((void *)__text_start, 0), -14);
	/* The boot stack's guard page is not mapped. */
	extern char boot_stack_guard[];
	uint64_t v;
	KT_ASSERT_EQ(probe_read_u64(boot_stack_guard + 8, &v), -14);
	KT_ASSERT_EQ(last_fixup.cr2, (uint64_t)boot_stack_guard + 8);
}

/* Calls fn; if it faults on the instruction fetch itself, the handler "returns" for it. */
static volatile uint64_t exec_fault_error = ~0ull;
static void exec_fault_handler(struct trap_frame *tf)
{
	exec_fault_error = tf->error_code;
	tf->rip = *(uint64_t *)tf->rsp; /* emulate the ret of the called function */
	tf->rsp += 8;
}

static bool call_faults(vaddr_t fn)
{
	exec_fault_error = ~0ull;
	trap_set_handler(VEC_PAGE_FAULT, exec_fault_handler);
	((void (*)(void))fn)();
	fault_handlers_init(); /* back to the normal #PF handler */
	return exec_fault_error != ~0ull;
}

KTEST(nx_enforced)
{
	if (!paging_features.nx) {
		kprintf("ktest: nx_enforced: this CPU has no NX; nothing to test\n");
		return;
	}
	struct page *pg = pmm_alloc_pages(0, GFP_ZERO);
	KT_ASSERT(pg);
	*(uint8_t *)page_to_virt(pg) = 0xc3; /* ret */
	KT_ASSERT_EQ(vmm_map(kernel_pml4, SCRATCH_VA, page_to_phys(pg), PAGE_SIZE, VM_WRITE), 0);
	KT_ASSERT(call_faults(SCRATCH_VA));
	KT_ASSERT_EQ(exec_fault_error & 0x11, 0x11); /* present + instruction fetch */
	/* The same page mapped executable runs. */
	KT_ASSERT_EQ(vmm_protect(kernel_pml4, SCRATCH_VA, PAGE_SIZE, VM_EXEC), 0);
	KT_ASSERT(!call_faults(SCRATCH_VA));
	vmm_unmap(kernel_pml4, SCRATCH_VA, PAGE_SIZE);
	pmm_free_pages(pg, 0);
}

#define USER_TEST_VA 0x40000000ull

KTEST(smep_smap)
{
	kprintf("ktest: smep_smap: SMEP %s, SMAP %s, UMIP %s\n", paging_features.smep ? "on" : "absent",
		paging_features.smap ? "on" : "absent", paging_features.umip ? "on" : "absent");
	KT_ASSERT(!!(read_cr4() & (1ull << 20)) == paging_features.smep);
	KT_ASSERT(!!(read_cr4() & (1ull << 21)) == paging_features.smap);
	if (!paging_features.smep && !paging_features.smap)
		return;
	struct page *pg = pmm_alloc_pages(0, GFP_ZERO);
	KT_ASSERT(pg);
	uint64_t *k = page_to_virt(pg);
	*(uint8_t *)k = 0xc3;
	k[1] = 42;
	KT_ASSERT_EQ(vmm_map(kernel_pml4, USER_TEST_VA, page_to_phys(pg), PAGE_SIZE,
			     VM_USER | VM_WRITE | VM_EXEC), 0);
	if (paging_features.smap) {
		uint64_t v = 0;
		KT_ASSERT_EQ(probe_read_u64((void *)(USER_TEST_VA + 8), &v), -14);
		KT_ASSERT_EQ(last_fixup.error_code & 5, 1); /* present, supervisor access */
		__asm__ volatile("stac" ::: "memory"); /* what copy_from_user will do */
		int r = probe_read_u64((void *)(USER_TEST_VA + 8), &v);
		__asm__ volatile("clac" ::: "memory");
		KT_ASSERT_EQ(r, 0);
		KT_ASSERT_EQ(v, 42);
	}
	if (paging_features.smep)
		KT_ASSERT(call_faults(USER_TEST_VA));
	vmm_unmap(kernel_pml4, USER_TEST_VA, PAGE_SIZE);
	pmm_free_pages(pg, 0);
}

KTEST(vmalloc_guard_and_release)
{
	struct pmm_stats before, after;
	/* Warm up: the first use creates page tables and a slab that stay. */
	vfree(vmalloc(PAGE_SIZE));
	vfree(vmalloc(PAGE_SIZE));
	pmm_get_stats(&before);
	size_t size = 3 * PAGE_SIZE + 100;
	uint8_t *a = vmalloc(size);
	uint8_t *b = vmalloc(PAGE_SIZE);
	KT_ASSERT(a && b);
	KT_ASSERT((vaddr_t)a >= VMALLOC_START && (vaddr_t)a < VMALLOC_END);
	for (size_t i = 0; i < size; i++)
		a[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < size; i++)
		KT_ASSERT_EQ(a[i], (uint8_t)(i * 7));
	/* The page after the area is a guard, never the next area. */
	uint64_t v;
	KT_ASSERT_EQ(probe_read_u64(a + 4 * PAGE_SIZE, &v), -14);
	KT_ASSERT(b >= a + 5 * PAGE_SIZE || b + 2 * PAGE_SIZE <= a);
	vfree(a);
	vfree(b);
	KT_ASSERT_EQ(probe_read_u64(a, &v), -14);
	pmm_get_stats(&after);
	KT_ASSERT_EQ(after.free_pages, before.free_pages);
}

/* Recurses until the stack runs into its guard page (the system test expects a #DF report). */
__attribute__((noinline)) static uint64_t recurse(volatile uint64_t depth)
{
	volatile uint8_t pad[512];
	pad[0] = (uint8_t)depth;
	if (depth == ~0ull) /* never: the guard page stops us long before */
		return 0;
	return recurse(depth + 1) + pad[0];
}

KTEST_MANUAL(stack_overflow)
{
	recurse(0);
	ktest_fail_at(__FILE__, __LINE__, "recursion returned");
}

/*
 * vmalloc and vfree racing on every CPU: each thread's areas must keep their own pages. vfree
 * once made the range reusable before unmapping it, so another CPU's new area could lose its
 * pages to the old area's unmap (a fault or someone else's data here).
 */
struct vmalloc_racer {
	unsigned id;
	unsigned bad;
};

static void vmalloc_race_fn(void *arg)
{
	struct vmalloc_racer *r = arg;
	for (unsigned i = 0; i < 1500; i++) {
		size_t pages = 1 + (i + r->id) % 3;
		uint32_t *p = vmalloc(pages * PAGE_SIZE);
		if (!p)
			continue;
		uint32_t tag = r->id << 24 | i;
		for (size_t k = 0; k < pages * PAGE_SIZE / 4; k += 256)
			p[k] = tag;
		if (i % 8 == 0)
			thread_yield();
		for (size_t k = 0; k < pages * PAGE_SIZE / 4; k += 256)
			r->bad += p[k] != tag;
		vfree(p);
	}
	thread_exit(0);
}

KTEST(vmalloc_concurrent_reuse)
{
	enum { N = 4 };
	struct vmalloc_racer r[N];
	struct thread *t[N];
	for (unsigned i = 0; i < N; i++) {
		r[i] = (struct vmalloc_racer){ .id = i + 1 };
		t[i] = thread_create("vmalloc-race", vmalloc_race_fn, &r[i], NULL);
		KT_ASSERT(t[i]);
	}
	unsigned bad = 0;
	for (unsigned i = 0; i < N; i++) {
		thread_join(t[i]);
		bad += r[i].bad;
	}
	KT_ASSERT_EQ(bad, 0);
}
