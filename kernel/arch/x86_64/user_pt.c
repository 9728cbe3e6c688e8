/*
 * User page tables (mm/pgtable.h). The lower 256 PML4 slots belong to the address space; the
 * upper 256 are copied from kernel_pml4, whose upper slots paging_init fills completely so
 * that the copies never go stale.
 */
#include "mm/pgtable.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/paging.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"

#define USER_SLOTS 256

static inline uint64_t *table_of(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

static inline unsigned idx(vaddr_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

static paddr_t zeroed_page(void)
{
	struct page *p = pmm_alloc_pages(0, GFP_ZERO);
	return p ? page_to_phys(p) : 0;
}

/*
 * TLB entries for a user range can only be cached by CPUs that have this root loaded now: a
 * CPU that loads it later starts with a clean TLB (CR3 writes flush non-global entries). So
 * the flush goes to this CPU if the root is ours and to the CPUs whose active_root matches.
 */
static void flush_user(paddr_t root, vaddr_t va, size_t len)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the PTE change before reading active_root */
	uint64_t irq = irq_save();
	unsigned me = cpu_id();
	uint64_t mask = 0;
	for (unsigned c = 0; c < cpu_count && c < MAX_CPUS; c++)
		if (c != me && cpus[c].active_root == root)
			mask |= 1ull << c;
	if (read_cr3() == root) {
		if (len >= 64 * PAGE_SIZE)
			write_cr3(root);
		else
			for (vaddr_t a = va; a < va + len; a += PAGE_SIZE)
				__asm__ volatile("invlpg (%0)" ::"r"(a) : "memory");
	}
	irq_restore(irq);
	if (mask)
		smp_flush_tlb_mask(mask, va, len);
}

paddr_t pgt_create(void)
{
	paddr_t root = zeroed_page();
	if (!root)
		return 0;
	uint64_t *dst = phys_to_virt(root);
	const uint64_t *src = phys_to_virt(kernel_pml4);
	memcpy(dst + USER_SLOTS, src + USER_SLOTS, USER_SLOTS * sizeof(uint64_t));
	return root;
}

static void free_level(uint64_t entry, int level)
{
	uint64_t *t = table_of(entry);
	if (level > 1)
		for (int i = 0; i < 512; i++)
			if (t[i] & PTE_P)
				free_level(t[i], level - 1);
	pmm_free_pages(phys_to_page(entry & PTE_ADDR), 0);
}

void pgt_destroy(paddr_t root)
{
	uint64_t *pml4 = phys_to_virt(root);
	for (int i = 0; i < USER_SLOTS; i++)
		if (pml4[i] & PTE_P)
			free_level(pml4[i], 3); /* the PDPT and below; leaves were released by the caller */
	pmm_free_pages(phys_to_page(root), 0);
}

/* The level-1 entry for va, creating tables when asked; NULL if absent or out of memory. */
static uint64_t *pte_of(paddr_t root, vaddr_t va, bool create)
{
	uint64_t *table = phys_to_virt(root);
	for (int level = 4; level > 1; level--) {
		uint64_t *e = &table[idx(va, level)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			paddr_t t = zeroed_page();
			if (!t)
				return NULL;
			*e = t | PTE_P | PTE_W | PTE_U;
		}
		table = table_of(*e);
	}
	return &table[idx(va, 1)];
}

int pgt_set(paddr_t root, vaddr_t va, paddr_t pa, unsigned flags)
{
	if (va >= (1ull << 47) || (va & (PAGE_SIZE - 1)))
		return -EINVAL;
	uint64_t *pte = pte_of(root, va, true);
	if (!pte)
		return -ENOMEM;
	bool was_present = *pte & PTE_P;
	*pte = pa | flags_to_pte(flags, false);
	if (was_present)
		flush_user(root, va, PAGE_SIZE);
	return 0;
}

int pgt_get(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *flags)
{
	uint64_t *pte = va < (1ull << 47) ? pte_of(root, va, false) : NULL;
	if (!pte || !(*pte & PTE_P))
		return -ENOENT;
	if (pa)
		*pa = *pte & PTE_ADDR;
	if (flags)
		*flags = pte_to_flags(*pte);
	return 0;
}

void pgt_walk(paddr_t root, vaddr_t start, vaddr_t end, pgt_visit_t visit, void *ctx)
{
	if (end > (1ull << 47))
		end = 1ull << 47;
	vaddr_t lo = end, hi = start; /* the span of changed entries, to flush */
	uint64_t *pml4 = phys_to_virt(root);
	for (vaddr_t va = start; va < end;) {
		/* Skip whole absent tables quickly. */
		uint64_t *t = pml4;
		int level;
		for (level = 4; level > 1; level--) {
			uint64_t e = t[idx(va, level)];
			if (!(e & PTE_P))
				break;
			t = table_of(e);
		}
		if (level > 1) {
			uint64_t span = 1ull << (12 + 9 * (level - 1));
			va = (va & ~(span - 1)) + span;
			continue;
		}
		uint64_t *pte = &t[idx(va, 1)];
		if (*pte & PTE_P) {
			unsigned flags = pte_to_flags(*pte);
			enum pgt_action a = visit(va, *pte & PTE_ADDR, &flags, ctx);
			if (a == PGT_UPDATE)
				*pte = (*pte & PTE_ADDR) | flags_to_pte(flags, false);
			else if (a == PGT_CLEAR)
				*pte = 0;
			if (a != PGT_KEEP) {
				lo = va < lo ? va : lo;
				hi = va + PAGE_SIZE;
			}
		}
		va += PAGE_SIZE;
	}
	if (lo < hi)
		flush_user(root, lo, hi - lo);
}

void pgt_activate(paddr_t root)
{
	uint64_t irq = irq_save();
	this_cpu()->active_root = root; /* before the load: a concurrent shootdown must see it */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (read_cr3() != root)
		write_cr3(root);
	irq_restore(irq);
}
