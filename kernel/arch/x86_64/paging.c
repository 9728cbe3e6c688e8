/*
 * The page-table API over x86_64 4-level tables. Large pages (2 MiB, 1 GiB) in the direct map
 * are split on demand when a range inside one is remapped, unmapped or reprotected.
 */
#include "arch/x86_64/paging.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "lib/compiler.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

paddr_t kernel_pml4;
void (*tlb_shootdown_hook)(vaddr_t va, size_t len);
struct paging_features paging_features;

/* One lock for the kernel's tables; per-address-space locks come with user processes. */
static spinlock_t pt_lock = SPINLOCK_INIT;

/* Where page-table pages come from: the early memory map at boot, then the buddy allocator. */
paddr_t (*pt_alloc_page)(void);

static inline uint64_t *table_at(paddr_t pa)
{
	return phys_to_virt(pa & PTE_ADDR);
}

static inline unsigned index_at(vaddr_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

uint64_t flags_to_pte(unsigned flags, bool large)
{
	uint64_t pte = PTE_P;
	if (flags & VM_WRITE)
		pte |= PTE_W;
	if (flags & VM_USER)
		pte |= PTE_U;
	if (!(flags & VM_EXEC) && paging_features.nx)
		pte |= PTE_NX;
	if ((flags & VM_GLOBAL) && paging_features.pge)
		pte |= PTE_G;
	/* PAT entries: 0 WB, 1 WC (reprogrammed from WT), 3 UC; see paging_init. */
	if (flags & VM_CACHE_UC)
		pte |= PTE_PCD | PTE_PWT;
	else if ((flags & VM_CACHE_WC) && paging_features.pat)
		pte |= PTE_PWT;
	(void)large;
	return pte;
}

unsigned pte_to_flags(uint64_t pte)
{
	unsigned f = 0;
	if (pte & PTE_W)
		f |= VM_WRITE;
	if (pte & PTE_U)
		f |= VM_USER;
	if (!(pte & PTE_NX))
		f |= VM_EXEC;
	if (pte & PTE_G)
		f |= VM_GLOBAL;
	if ((pte & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT))
		f |= VM_CACHE_UC;
	else if (pte & PTE_PWT)
		f |= VM_CACHE_WC;
	return f;
}

static paddr_t new_table(void)
{
	paddr_t pa = pt_alloc_page ? pt_alloc_page() : 0;
	if (pa)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

/* Replaces a large-page entry at `level` (2 or 3) with a table of 512 smaller entries. */
static int split_large(uint64_t *entry, int level)
{
	paddr_t t = new_table();
	if (!t)
		return -ENOMEM;
	uint64_t old = *entry;
	uint64_t *sub = table_at(t);
	uint64_t step = 1ull << (12 + 9 * (level - 2));
	uint64_t attrs = old & ~PTE_ADDR & ~PTE_PATBIG;
	uint64_t base = old & PTE_ADDR & ~((1ull << (12 + 9 * (level - 1))) - 1);
	if (level == 2) { /* into 4 KiB PTEs: no PS; the PAT bit moves from bit 12 to bit 7 */
		attrs &= ~PTE_PS;
		if (old & PTE_PATBIG)
			attrs |= PTE_PAT4K;
	} else if (old & PTE_PATBIG) {
		attrs |= PTE_PATBIG;
	}
	for (int i = 0; i < 512; i++)
		sub[i] = (base + i * step) | attrs;
	/* The table itself is permissive; the leaves carry the permissions. */
	*entry = t | PTE_P | PTE_W | (old & PTE_U);
	return 0;
}

/*
 * Finds the level-1 entry for va. With create, missing tables are allocated and large pages
 * split. Without, returns NULL when unmapped, or the large-page entry with *level set to 2/3.
 */
static uint64_t *walk(paddr_t root, vaddr_t va, bool create, bool user, int *level)
{
	uint64_t *table = table_at(root);
	for (int lvl = 4; lvl > 1; lvl--) {
		uint64_t *e = &table[index_at(va, lvl)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			paddr_t t = new_table();
			if (!t)
				return NULL;
			*e = t | PTE_P | PTE_W | (user ? PTE_U : 0);
		} else if ((*e & PTE_PS) && lvl <= 3) {
			if (!create) {
				*level = lvl;
				return e;
			}
			if (split_large(e, lvl) < 0)
				return NULL;
		}
		if (user)
			*e |= PTE_U;
		table = table_at(*e);
	}
	*level = 1;
	return &table[index_at(va, 1)];
}

void tlb_flush_range(vaddr_t va, size_t len)
{
	if (len >= 64 * PAGE_SIZE) {
		write_cr3(read_cr3()); /* cheaper than many invlpg; global pages survive, so also: */
		if (paging_features.pge) {
			uint64_t cr4 = read_cr4();
			write_cr4(cr4 & ~(1ull << 7));
			write_cr4(cr4);
		}
	} else {
		for (vaddr_t a = va; a < va + len; a += PAGE_SIZE)
			__asm__ volatile("invlpg (%0)" ::"r"(a) : "memory");
	}
	if (tlb_shootdown_hook)
		tlb_shootdown_hook(va, len);
}

static bool range_ok(vaddr_t va, size_t len)
{
	return !(va & (PAGE_SIZE - 1)) && !(len & (PAGE_SIZE - 1)) && va + len >= va;
}

int vmm_map(paddr_t root, vaddr_t va, paddr_t pa, size_t len, unsigned flags)
{
	if (!range_ok(va, len) || (pa & (PAGE_SIZE - 1)))
		return -EINVAL;
	uint64_t irq = spin_lock_irqsave(&pt_lock);
	int err = 0;
	bool replaced = false; /* only a present entry can be cached in a TLB */
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		int level;
		uint64_t *pte = walk(root, va + off, true, flags & VM_USER, &level);
		if (!pte) {
			err = -ENOMEM;
			break;
		}
		replaced |= *pte & PTE_P;
		*pte = (pa + off) | flags_to_pte(flags, false);
	}
	spin_unlock_irqrestore(&pt_lock, irq);
	if (replaced)
		tlb_flush_range(va, len);
	return err;
}

int vmm_unmap(paddr_t root, vaddr_t va, size_t len)
{
	if (!range_ok(va, len))
		return -EINVAL;
	uint64_t irq = spin_lock_irqsave(&pt_lock);
	int err = 0;
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		int level;
		uint64_t *probe = walk(root, va + off, false, false, &level);
		if (!probe || !(*probe & PTE_P))
			continue;
		if (level > 1) { /* part of a large page: split it, then clear the one entry */
			probe = walk(root, va + off, true, false, &level);
			if (!probe) {
				err = -ENOMEM;
				break;
			}
		}
		*probe = 0;
	}
	spin_unlock_irqrestore(&pt_lock, irq);
	tlb_flush_range(va, len);
	return err;
}

int vmm_protect(paddr_t root, vaddr_t va, size_t len, unsigned flags)
{
	if (!range_ok(va, len))
		return -EINVAL;
	uint64_t irq = spin_lock_irqsave(&pt_lock);
	int err = 0;
	for (size_t off = 0; off < len && !err; off += PAGE_SIZE) {
		int level;
		uint64_t *e = walk(root, va + off, false, false, &level);
		if (!e || !(*e & PTE_P))
			err = -ENOENT;
	}
	for (size_t off = 0; off < len && !err; off += PAGE_SIZE) {
		int level;
		uint64_t *pte = walk(root, va + off, true, flags & VM_USER, &level);
		if (!pte) {
			err = -ENOMEM;
			break;
		}
		*pte = (*pte & PTE_ADDR) | flags_to_pte(flags, false) | (*pte & (PTE_A | PTE_D));
	}
	spin_unlock_irqrestore(&pt_lock, irq);
	tlb_flush_range(va, len);
	return err;
}

int vmm_translate(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *flags)
{
	int level;
	uint64_t *e = walk(root, va, false, false, &level);
	if (!e || !(*e & PTE_P))
		return -ENOENT;
	uint64_t page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
	uint64_t entry = *e;
	if (level > 1 && (entry & PTE_PATBIG)) /* report the same cache mode as a 4 KiB entry would */
		entry = (entry & ~PTE_PATBIG) | PTE_PAT4K;
	if (pa)
		*pa = (entry & PTE_ADDR & ~page_mask) + (va & page_mask);
	if (flags)
		*flags = pte_to_flags(entry);
	return 0;
}

void *ioremap(paddr_t pa, size_t len, unsigned cache)
{
	paddr_t start = pa & PAGE_MASK;
	size_t span = ALIGN_UP(pa + len, PAGE_SIZE) - start;
	unsigned flags = VM_WRITE | VM_GLOBAL | (cache & (VM_CACHE_UC | VM_CACHE_WC));
	if (vmm_map(kernel_pml4, (vaddr_t)phys_to_virt(start), start, span, flags) < 0)
		return NULL;
	return phys_to_virt(pa);
}
