/*
 * Kernel virtual memory: the page-table API (map, unmap, protect, translate) over 4-level
 * x86_64 tables, ioremap for device memory, and the TLB shootdown hook SMP fills in.
 */
#pragma once

#include "lib/types.h"

/* Mapping attributes (arch-neutral; translated to PTE bits). Readable is implied. */
#define VM_WRITE    0x01
#define VM_EXEC     0x02
#define VM_USER     0x04
#define VM_GLOBAL   0x08
#define VM_CACHE_UC 0x10 /* uncached: device registers */
#define VM_CACHE_WC 0x20 /* write-combining: framebuffers */

/* The kernel's top-level page table (physical address), shared by every address space. */
extern paddr_t kernel_pml4;

/* Each returns 0 or a negative errno. Ranges are page-aligned; 4 KiB pages are used. */
int vmm_map(paddr_t root, vaddr_t va, paddr_t pa, size_t len, unsigned flags);
/* Unmapping what is not mapped is not an error. */
int vmm_unmap(paddr_t root, vaddr_t va, size_t len);
/* -ENOENT when part of the range is not mapped (nothing is changed then). */
int vmm_protect(paddr_t root, vaddr_t va, size_t len, unsigned flags);
/* Physical address and attributes of va; -ENOENT when not mapped. */
int vmm_translate(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *flags);

/* Maps device memory at its direct-map address with the given cache mode; returns it. */
void *ioremap(paddr_t pa, size_t len, unsigned cache);

/* Invalidates [va, va+len) in this CPU's TLB, then calls the shootdown hook if set. */
void tlb_flush_range(vaddr_t va, size_t len);
extern void (*tlb_shootdown_hook)(vaddr_t va, size_t len);

/* vmalloc: virtually contiguous kernel memory from single pages, a guard page after each area. */
void *vmalloc(size_t size);
void vfree(void *addr);
