/* Private to kernel/mm's address-space code (mm.c, vma.c, user_fault.c). */
#pragma once

#include "mm/mm.h"
#include "mm/page.h"
#include "mm/uaccess.h"
#include "mm/vmm.h"

#define USER_TOP_ADDR USER_TOP

static inline unsigned prot_to_vm(unsigned prot)
{
	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return 0; /* PROT_NONE: present for the kernel only, so user access faults */
	return VM_USER | ((prot & PROT_WRITE) ? VM_WRITE : 0) | ((prot & PROT_EXEC) ? VM_EXEC : 0);
}

/* User page references: struct page refcount; the last put frees the page. */
void user_page_get(paddr_t pa);
void user_page_put(paddr_t pa);
bool user_page_shared(paddr_t pa);

struct vma *vma_new(uint64_t start, uint64_t end, unsigned prot, unsigned flags, struct file *file,
		    uint64_t off);
void vma_free(struct vma *v);
void vma_insert(struct mm *mm, struct vma *v);
int unmap_range(struct mm *mm, uint64_t start, uint64_t end);
uint64_t find_free(struct mm *mm, uint64_t len, uint64_t hint);
/* Drops the pages of [start, end) (the VMAs stay). */
void mm_release_range(struct mm *mm, uint64_t start, uint64_t end);
/* mm_fault with mm->lock held. */
int mm_fault_locked(struct mm *mm, uint64_t addr, bool write, bool exec);
