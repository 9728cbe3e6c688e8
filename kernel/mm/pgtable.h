/*
 * Page tables of user address spaces (the architecture implements them: arch/x86_64/user_pt.c).
 * Every root shares the kernel half with kernel_pml4, whose top-level entries are all allocated
 * at boot, so kernel mappings made later appear in every address space. User mappings are 4 KiB
 * pages only. The caller serialises changes to one root (the address space's lock).
 */
#pragma once

#include "lib/types.h"

/* A new root with an empty user half; 0 without memory. */
paddr_t pgt_create(void);
/* Frees the user half's tables and the root. Leaf pages must have been released already. */
void pgt_destroy(paddr_t root);
/* Maps one page at va (VM_* flags; without VM_USER only the kernel may touch it: PROT_NONE).
 * Replacing a present entry flushes it. */
int pgt_set(paddr_t root, vaddr_t va, paddr_t pa, unsigned flags);
/* The page at va: 0 and its address/flags, or -ENOENT. */
int pgt_get(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *flags);

/*
 * Visits every present page in [start, end); the visitor may change *flags (PGT_UPDATE) or
 * remove the entry (PGT_CLEAR, after which it owns the page reference). TLB entries of changed
 * pages are flushed on every CPU before pgt_walk returns.
 */
enum pgt_action { PGT_KEEP, PGT_UPDATE, PGT_CLEAR };
typedef enum pgt_action (*pgt_visit_t)(vaddr_t va, paddr_t pa, unsigned *flags, void *ctx);
void pgt_walk(paddr_t root, vaddr_t start, vaddr_t end, pgt_visit_t visit, void *ctx);

/* Makes root the current address space on this CPU (kernel_pml4 for kernel threads). */
void pgt_activate(paddr_t root);
