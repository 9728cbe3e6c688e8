/*
 * Ferrite's virtual memory layout (x86_64, 4-level paging). Shared by C and assembly.
 *
 *   0x0000000000000000 - 0x00007fffffffffff  user space (later)
 *   0xffff800000000000 - 0xffffc7ffffffffff  direct map of physical memory (64 TiB)
 *   0xffffc90000000000 - 0xffffe8ffffffffff  vmalloc space (32 TiB)
 *   0xffffffff80000000 - 0xffffffffffffffff  kernel image (top 2 GiB, -mcmodel=kernel)
 *
 * The kernel image is loaded at physical KERNEL_PHYS_BASE and linked at
 * KERNEL_VMA + KERNEL_PHYS_BASE.
 */
#pragma once

#define KERNEL_VMA        0xffffffff80000000
#define DIRECT_MAP_BASE   0xffff800000000000
#define VMALLOC_START     0xffffc90000000000
#define VMALLOC_END       0xffffe90000000000
#define KERNEL_PHYS_BASE  0x200000
#define BOOT_STACK_SIZE   0x8000

/* Until the memory manager builds its own tables, boot.S maps this much. */
#define BOOT_DIRECT_MAP_SIZE 0x100000000

#ifndef __ASSEMBLER__
#include "lib/types.h"

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + DIRECT_MAP_BASE);
}

static inline paddr_t kernel_virt_to_phys(const void *va)
{
	return (paddr_t)(uintptr_t)va - KERNEL_VMA;
}
#endif
